// d2l 3.5, exercise 5: "How does the solution change as you change the amount of data
// generated? Plot the estimation error for w_hat - w and b_hat - b as a function of the amount
// of data. Hint: increase the amount of data logarithmically rather than linearly, i.e., 5, 10,
// 20, 50, ..., 10,000 rather than 1,000, 2,000, ..., 10,000. Why is the suggestion in the hint
// appropriate?"
//
// The book's data (w = [2, -3.4], b = 4.2, noise 0.01) with n = 5, 10, 20, 50, ..., 10000
// training examples, several seeds each. Each fit is trained to convergence, so that what is
// measured is the estimator's error and not the optimiser's: full-batch gradient descent (batch
// size n, d2l's loss and model) until the training loss has stopped falling for 20 steps. The
// loss's curvature is the moment matrix M = mean([x, 1] [x, 1]^T), whose largest eigenvalue is
// at most trace(M); lr = 1 / trace(M) (about 1/3 for large n) keeps every lr * curvature <= 1,
// so no run can diverge, and a few draws with n = 5 that are nearly degenerate (a small
// eigenvalue, slow convergence) just take more steps. Gradient descent converges to the
// least-squares solution, which is computed in closed form too: the largest difference
// between the two over every run is printed.
// Least squares is unbiased and its standard error is sigma / sqrt(n) times a factor that tends
// to 1 (the features are standard normal), so the errors fall as n^(-1/2): a straight line of
// slope -1/2 on log-log axes. The fitted slopes of log(mean error) against log(n) are printed,
// and the picture draws both errors with the line 0.01 / sqrt(n).
//
//   estimation_error [--seeds N] [--plot FILE.svg]
#include "flags.hpp"
#include "least_squares.hpp"

#include <ctgrad/ctgrad.hpp>

#include <array>
#include <cmath>
#include <cstdio>
#include <exception>
#include <iostream>
#include <string>
#include <utility>
#include <vector>

namespace {

/// Least squares over all examples, [x, 1] theta = y, by the normal equations (3 x 3, Gaussian
/// elimination with partial pivoting): w[0], w[1], b.
std::array<double, 3> least_squares(const ctgrad::data::dataset<double>& data) {
    return examples::least_squares_2(data, data.size());
}

/// The slope of the least-squares line through (log x, log y).
double log_log_slope(const std::vector<double>& x, const std::vector<double>& y) {
    double mx = 0, my = 0;
    for (std::size_t i = 0; i < x.size(); ++i) {
        mx += std::log(x[i]) / double(x.size());
        my += std::log(y[i]) / double(x.size());
    }
    double sxy = 0, sxx = 0;
    for (std::size_t i = 0; i < x.size(); ++i) {
        sxy += (std::log(x[i]) - mx) * (std::log(y[i]) - my);
        sxx += (std::log(x[i]) - mx) * (std::log(x[i]) - mx);
    }
    return sxy / sxx;
}

} // namespace

int main(int argc, char** argv) {
    std::uint64_t seeds = 50;
    std::string plot_path = "estimation_error.svg";
    examples::flags("estimation_error")
        .count("seeds", seeds, 2, 10'000, "data sets drawn for each n")
        .path("plot", plot_path, "the SVG picture of the errors against n")
        .parse(argc, argv);

    const std::vector<std::size_t> sizes{5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000};
    const double noise = 0.01;
    const std::size_t max_steps = 200'000;

    try {
        std::printf("d2l's data (noise %g), full-batch gradient descent (lr 1 / trace(M)) to convergence, %zu seeds per n\n\n",
                    noise, static_cast<std::size_t>(seeds));
        std::printf("%-7s %-15s %-15s %-15s %s\n", "n", "mean |w_hat-w|", "mean |b_hat-b|", "0.01/sqrt(n)", "steps (most)");

        std::vector<double> ns, w_errors, b_errors, reference;
        double worst_gap = 0; // |trained - closed form|, over every run
        for (std::size_t k = 0; k < sizes.size(); ++k) {
            const std::size_t n = sizes[k];
            double w_sum = 0, b_sum = 0;
            std::size_t most_steps = 0;
            for (std::uint64_t s = 0; s < seeds; ++s) {
                const std::uint64_t seed = 1000 * k + s;
                auto data = ctgrad::data::synthetic_regression_data(
                    {2, -3.4}, 4.2, {.noise = noise, .num_train = n, .num_val = 0, .batch_size = n, .seed = seed});
                double trace = 1; // of M = mean([x, 1] [x, 1]^T): the 1 is b's
                for (std::size_t i = 0; i < n; ++i)
                    trace += (data.features()(0, i) * data.features()(0, i) + data.features()(1, i) * data.features()(1, i)) /
                             double(n);
                ctgrad::linear_regression_scratch<double> model(2, 1 / trace, {.seed = seed});
                // One batch per epoch: an epoch is a step. Stop once the loss has not fallen for 20 steps.
                const auto history =
                    ctgrad::trainer({.max_epochs = max_steps}).fit(model, data, ctgrad::early_stop_at_min_loss(20));
                most_steps = std::max(most_steps, history.epochs);

                const auto& params = model.parameters();
                const auto& w = params[model.w];
                const double b = params[model.b];
                w_sum += std::hypot(w(0) - data.true_w()(0), w(1) - data.true_w()(1));
                b_sum += std::abs(b - data.true_b());
                const auto exact = least_squares(data);
                worst_gap = std::max({worst_gap, std::abs(w(0) - exact[0]), std::abs(w(1) - exact[1]), std::abs(b - exact[2])});
            }
            ns.push_back(double(n));
            w_errors.push_back(w_sum / double(seeds));
            b_errors.push_back(b_sum / double(seeds));
            reference.push_back(noise / std::sqrt(double(n)));
            std::printf("%-7zu %-15.3g %-15.3g %-15.3g %zu\n", n, w_errors.back(), b_errors.back(), reference.back(), most_steps);
        }

        std::printf("\nlargest |trained - least squares| over all runs: [%.2g]\n", worst_gap);
        std::printf("slope of log(error) against log(n) for w and b: [%.3f, %.3f]\n", log_log_slope(ns, w_errors),
                    log_log_slope(ns, b_errors));
        // With n close to the 3 parameters the design is often nearly degenerate, which inflates
        // the error beyond sigma / sqrt(n); from n = 50 on the line is straight.
        const std::vector<double> ns_50(ns.begin() + 3, ns.end()), w_50(w_errors.begin() + 3, w_errors.end()),
            b_50(b_errors.begin() + 3, b_errors.end());
        std::printf("the same for n >= 50:                           [%.3f, %.3f]\n", log_log_slope(ns_50, w_50),
                    log_log_slope(ns_50, b_50));

        ctgrad::plot::write_svg(plot_path,
                                {{"mean |w_hat - w|", ns, w_errors}, {"mean |b_hat - b|", ns, b_errors}, {"0.01 / sqrt(n)", ns, reference}},
                                {.title = "Estimation error against the amount of data (d2l 3.5, exercise 5)",
                                 .x_label = "training examples n (log scale)", .y_label = "error (log scale)", .log_x = true,
                                 .log_y = true});
        std::cout << "\nwrote " << plot_path << '\n';
    } catch (const std::exception& e) {
        std::cerr << "estimation_error: " << e.what() << '\n';
        return 1;
    }
}
