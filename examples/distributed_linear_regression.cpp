// d2l 3.4 data-parallel over MPI: the same data, model, loss and training loop as
// linear_regression_scratch, every process taking its share of each minibatch. The ranks'
// loss and gradient sums are added in rank order, so every rank ends with the same parameters,
// those of the single process to rounding; rank 0 prints the same lines as
// linear_regression_scratch (`mpirun -n 1` and `mpirun -n 4` print the same errors).
//
//   mpirun -n 4 distributed_linear_regression [--epochs N] [--lr X] [--batch-size N] [--seed N]
//                                             [--checkpoint FILE] [--resume FILE]
#include "flags.hpp"
#include "print_vector.hpp"

#include <ctgrad/ctgrad.hpp>
#include <ctgrad/distributed/mpi.hpp>
#include <ctgrad/train/checkpoint.hpp>

#include <iostream>
#include <string>

int main(int argc, char** argv) {
    std::uint64_t epochs = 3, batch_size = 32, seed = 0;
    double lr = 0.03;
    std::string checkpoint_path, resume_path;
    examples::flags("distributed_linear_regression")
        .count("epochs", epochs, 0, 1'000'000, "passes over the training data")
        .positive("lr", lr, "learning rate of minibatch SGD")
        .count("batch-size", batch_size, 1, 1'000'000, "examples per minibatch (shared among the ranks)")
        .count("seed", seed, 0, UINT64_MAX, "seeds the data, the initial w and the shuffles")
        .path("checkpoint", checkpoint_path, "rank 0 saves the run here after every epoch")
        .path("resume", resume_path, "go on from this checkpoint (with any number of ranks)")
        .parse(argc, argv);

    // An exception on any rank ends the whole job with a message naming the rank.
    return ctgrad::mpi::run(argc, argv, [&](const ctgrad::mpi::communicator& world) {
        using model_type = ctgrad::linear_regression_scratch<double>;
        constexpr auto loss = model_type::loss();
        const bool root = world.rank() == 0;
        if (root)
            std::cout << "model:        y_hat = " << model_type::forward() << '\n'
                      << "loss:         " << loss << '\n'
                      << "d loss / d w: " << ctgrad::d(loss, model_type::w) << '\n'
                      << "d loss / d b: " << ctgrad::d(loss, model_type::b) << "\n\n";

        // Every rank draws the same data from the seed and trains on its share of each batch.
        auto data = ctgrad::data::synthetic_regression_data({2, -3.4}, 4.2, {.batch_size = batch_size, .seed = seed});
        model_type model(2, lr, {.seed = seed});
        const ctgrad::trainer trainer({.max_epochs = epochs});
        const auto train = [&](auto&&... more_callbacks) {
            if (!resume_path.empty())
                return trainer.resume(world, resume_path, model, data, ctgrad::progress_bar{}, ctgrad::print_loss{}, more_callbacks...);
            return trainer.fit(world, model, data, ctgrad::progress_bar{}, ctgrad::print_loss{}, more_callbacks...);
        };
        if (!checkpoint_path.empty()) (void)train(ctgrad::checkpoint(checkpoint_path));
        else (void)train();

        const auto& params = model.parameters();
        const xt::xtensor<double, 1> w_error = data.true_w() - params[model.w];
        const xt::xtensor<double, 1> b_error{data.true_b() - params[model.b]};
        if (root)
            std::cout << "error in estimating w: " << examples::format(w_error) << '\n'
                      << "error in estimating b: " << examples::format(b_error) << '\n';
        return 0;
    });
}
