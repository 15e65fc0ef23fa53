// A d2l training run over MPI into which a fault is injected at the end of an epoch, for
// tests/check_mpi_faults.py: `mpi_faults MODE RANK EPOCH [--checkpoint FILE] [--resume FILE]`
// with MODE one of none, throw (rank RANK throws), kill (it kills itself with SIGKILL) and
// hang (it sleeps for ever). Rank 0 prints the final parameters with 17 digits.
#include <ctgrad/ctgrad.hpp>
#include <ctgrad/distributed/mpi.hpp>
#include <ctgrad/train/checkpoint.hpp>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <thread>

namespace {

struct fault {
    std::string mode;
    std::size_t rank = 0;
    std::size_t epoch = 0;

    template <class M>
    void on_epoch_end(const M&, const ctgrad::fit_state& s) const {
        if (s.epoch + 1 != epoch || ctgrad::mpi::communicator().rank() != rank) return;
        if (mode == "throw") throw std::runtime_error("injected failure at epoch " + std::to_string(epoch));
        if (mode == "kill") std::raise(SIGKILL);
        if (mode == "hang")
            for (;;) std::this_thread::sleep_for(std::chrono::seconds(1));
    }
};

} // namespace

int main(int argc, char** argv) {
    if (argc < 4) {
        std::fprintf(stderr, "usage: mpi_faults none|throw|kill|hang RANK EPOCH [--checkpoint FILE] [--resume FILE]\n");
        return 2;
    }
    const fault injected{argv[1], std::stoul(argv[2]), std::stoul(argv[3])};
    std::string checkpoint_path, resume_path;
    for (int i = 4; i + 1 < argc; i += 2) (std::string(argv[i]) == "--resume" ? resume_path : checkpoint_path) = argv[i + 1];
    return ctgrad::mpi::run(argc, argv, [&](const ctgrad::mpi::communicator& world) {
        auto data = ctgrad::data::synthetic_regression_data({2, -3.4}, 4.2, {.seed = 11});
        ctgrad::linear_regression_scratch<double> model(2, 0.03, {.seed = 11});
        const ctgrad::trainer trainer({.max_epochs = 4});
        const ctgrad::checkpoint save(checkpoint_path.empty() ? "unused.ckpt" : checkpoint_path);
        if (!resume_path.empty()) (void)trainer.resume(world, resume_path, model, data, injected, save);
        else (void)trainer.fit(world, model, data, injected, save);
        const auto& p = model.parameters();
        if (world.rank() == 0) std::printf("w = %.17g %.17g, b = %.17g\n", p[model.w](0), p[model.w](1), p[model.b]);
        return 0;
    });
}
