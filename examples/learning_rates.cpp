// d2l 3.4, exercise 6: "Experiment using different learning rates to find out how quickly the
// loss function value drops. Can you reduce the error by increasing the number of epochs of
// training?"
//
// The book's model and data trained with lr 0.003, 0.03, 0.3 and 3. The features are standard
// normal, so the loss's curvature is about 1 in every direction and each SGD step multiplies the
// error by about 1 - lr: 0.997, 0.97, 0.7 and -2. The first three converge, ever faster;
// lr = 3 overshoots and doubles the error at every step, which the trainer reports as
// divergence (ctgrad::divergence_error, naming the epoch and batch) before the numbers
// overflow; its curve so far comes from the error's partial() history.
// More epochs help only while the error is above the noise floor: lr = 0.003 needs about
// ln(5 / 0.001) / 0.003 = 2800 steps (90 epochs), so it is also run 10 times longer; the
// others reach the floor (val loss 0.01^2 / 2 = 5e-5) in a few epochs and stop improving.
//
//   learning_rates [--epochs N] [--seed N] [--plot FILE.svg]
#include "flags.hpp"

#include <ctgrad/ctgrad.hpp>

#include <cstdio>
#include <exception>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

namespace {

struct outcome {
    ctgrad::history history;
    std::optional<ctgrad::divergence_error> diverged;
    double error[3] = {0, 0, 0}; // w[0], w[1], b: fitted - true
};

outcome train(double lr, std::size_t epochs, std::uint64_t seed) {
    auto data = ctgrad::data::synthetic_regression_data({2, -3.4}, 4.2, {.seed = seed});
    ctgrad::linear_regression_scratch<double> model(2, lr, {.seed = seed});
    outcome out;
    try {
        out.history = ctgrad::trainer({.max_epochs = epochs}).fit(model, data);
    } catch (const ctgrad::divergence_error& e) {
        out.history = e.partial();
        out.diverged = e;
    }
    const auto& params = model.parameters();
    out.error[0] = params[model.w](0) - data.true_w()(0);
    out.error[1] = params[model.w](1) - data.true_w()(1);
    out.error[2] = params[model.b] - data.true_b();
    return out;
}

} // namespace

int main(int argc, char** argv) {
    std::uint64_t epochs = 10, seed = 0;
    std::string plot_path = "learning_rates.svg";
    examples::flags("learning_rates")
        .count("epochs", epochs, 3, 100'000, "passes over the training data")
        .count("seed", seed, 0, UINT64_MAX, "seeds the data, the initial w and the shuffles")
        .path("plot", plot_path, "the SVG picture of the loss curves")
        .parse(argc, argv);

    try {
        const std::vector<double> rates{0.003, 0.03, 0.3, 3};
        const std::size_t n = epochs;
        std::printf("d2l's data and model, %zu epochs, batch size 32\n\n", n);
        std::printf("%-7s validation loss after epoch 1, 2, 3, %zu\n", "lr", n);

        std::vector<ctgrad::plot::series> curves;
        std::vector<std::string> error_lines, divergence_lines;
        for (const double lr : rates) {
            const outcome run = train(lr, n, seed);
            char name[32];
            std::snprintf(name, sizeof name, "lr %g", lr);
            if (run.diverged) {
                const auto& e = *run.diverged;
                std::printf("%-7g diverged at epoch %zu, batch %zu\n", lr, e.epoch(), e.batch());
                divergence_lines.push_back(std::string(name) + ": diverged at epoch " + std::to_string(e.epoch()) +
                                           ", batch " + std::to_string(e.batch()) + ":\n  " + e.what());
                // Too few batches for a point per quarter epoch: every batch is a point.
                ctgrad::plot::series s{name, {}, {}};
                for (std::size_t i = 0; i < run.history.train_loss.size(); ++i) {
                    s.x.push_back(double(i) / double(run.history.batches_per_epoch));
                    s.y.push_back(run.history.train_loss[i]);
                }
                curves.push_back(std::move(s));
                continue;
            }
            std::printf("%-7g", lr);
            for (const std::size_t e : {std::size_t(1), std::size_t(2), std::size_t(3), n})
                std::printf(" %-9.3g", run.history.val_loss[e - 1]);
            std::printf("\n");
            char line[160];
            std::snprintf(line, sizeof line, "%s: [%.4f, %.4f, %.4f]", name, run.error[0], run.error[1], run.error[2]);
            error_lines.push_back(line);
            auto train = run.history.train_curve(4);
            curves.push_back({name, std::move(train.x), std::move(train.y)});
        }

        // Exercise 6's second question: the smallest rate, ten times as long.
        const outcome longer = train(rates.front(), 10 * n, seed);
        std::printf("\nlr %g for %zu epochs: validation loss %.3g after epoch %zu (%.3g after epoch %zu)\n", rates.front(),
                    10 * n, longer.history.val_loss.back(), 10 * n, longer.history.val_loss[n - 1], n);
        char line[160];
        std::snprintf(line, sizeof line, "lr %g, %zu epochs: [%.4f, %.4f, %.4f]", rates.front(), 10 * n, longer.error[0],
                      longer.error[1], longer.error[2]);
        error_lines.push_back(line);

        std::printf("\nerrors (w[0], w[1], b) = fitted - true, after %zu epochs unless said:\n", n);
        for (const auto& l : error_lines) std::printf("%s\n", l.c_str());
        for (const auto& l : divergence_lines) std::printf("%s\n", l.c_str());

        ctgrad::plot::write_svg(plot_path, curves,
                                {.title = "d2l 3.4 with four learning rates", .x_label = "epoch",
                                 .y_label = "training loss (log scale)", .log_y = true});
        std::cout << "\nwrote " << plot_path << '\n';
    } catch (const std::exception& e) {
        std::cerr << "learning_rates: " << e.what() << '\n';
        return 1;
    }
}
