// d2l 3.4, exercise 1: "What would happen if we were to initialize the weights to zero. Would
// the algorithm still work? What if we initialized the parameters with variance 1000 rather than
// 0.01?"
//
// The book's model, data and lr (0.03), with w drawn from N(0, sigma) for sigma = 0 (all
// zeros), the book's 0.01, sqrt(1000) = 31.6 (variance 1000, as the exercise says) and 1000 (as
// the book's code reads sigma); b starts at 0 each time. All four converge to the same fit:
// the loss is a convex quadratic in (w, b), so there is one minimum and no symmetry to break
// (each weight has its own input; zero weights still get different, non-zero gradients).
// A large start only costs steps: with standard normal features the loss's curvature is about 1
// in every direction, so each SGD step multiplies the error by about 1 - lr = 0.97 (stable
// while lr * curvature < 2), and sigma = 1000 starts 5 orders of magnitude further away.
// Prints, per start, the first batch's loss, the largest parameter error after chosen epochs
// and the first epoch whose validation loss is below 1e-4 (the noise floor is 0.01^2 / 2 =
// 5e-5); draws the training loss curves on a log axis.
//
//   initialization [--epochs N] [--seed N] [--plot FILE.svg]
#include "flags.hpp"

#include <ctgrad/ctgrad.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <exception>
#include <iostream>
#include <string>
#include <vector>

namespace {

/// Records, after every epoch, the largest |parameter - true parameter|.
class error_log {
public:
    error_log(const xt::xtensor<double, 1>& w, double b) : m_w(w), m_b(b) {}

    template <class M>
    void on_epoch_end(const M& model, const ctgrad::fit_state&) {
        const auto& params = model.parameters();
        double largest = std::abs(params[model.b] - m_b);
        for (std::size_t j = 0; j < m_w.size(); ++j) largest = std::max(largest, std::abs(params[model.w](j) - m_w(j)));
        m_errors.push_back(largest);
    }

    [[nodiscard]] const std::vector<double>& errors() const noexcept { return m_errors; }

private:
    xt::xtensor<double, 1> m_w;
    double m_b;
    std::vector<double> m_errors;
};

} // namespace

int main(int argc, char** argv) {
    std::uint64_t epochs = 20, seed = 0;
    std::string plot_path = "initialization.svg";
    examples::flags("initialization")
        .count("epochs", epochs, 10, 1'000'000, "passes over the training data")
        .count("seed", seed, 0, UINT64_MAX, "seeds the data, the initial w and the shuffles")
        .path("plot", plot_path, "the SVG picture of the loss curves")
        .parse(argc, argv);

    const double lr = 0.03;
    const std::vector<std::pair<double, std::string>> starts{
        {0.0, "sigma = 0"}, {0.01, "sigma = 0.01 (d2l)"}, {std::sqrt(1000.0), "sigma = 31.6 (variance 1000)"}, {1000.0, "sigma = 1000"}};
    const std::vector<std::size_t> report_after{1, 3, 10, static_cast<std::size_t>(epochs)};

    try {
        std::printf("d2l's data and model, lr %g, %zu epochs; w ~ N(0, sigma), b = 0\n\n", lr, static_cast<std::size_t>(epochs));
        std::printf("%-29s %-12s %-40s %s\n", "", "first batch", "largest |error| in (w, b) after", "val loss < 1e-4");
        std::printf("%-29s %-12s", "start", "loss");
        for (std::size_t e : report_after) std::printf(" epoch %-3zu", e);
        std::printf("  from epoch\n");

        std::vector<ctgrad::plot::series> curves;
        std::vector<double> final_errors;
        for (const auto& [sigma, label] : starts) {
            auto data = ctgrad::data::synthetic_regression_data({2, -3.4}, 4.2, {.seed = seed});
            ctgrad::linear_regression_scratch<double> model(2, lr, {.sigma = sigma, .seed = seed});
            error_log log(data.true_w(), data.true_b());
            const auto history = ctgrad::trainer({.max_epochs = epochs}).fit(model, data, log);

            std::size_t settled = 0;
            for (std::size_t e = 0; e < history.val_loss.size() && settled == 0; ++e)
                if (history.val_loss[e] < 1e-4) settled = e + 1;
            std::printf("%-29s %-12.4g", label.c_str(), history.train_loss.front());
            for (std::size_t e : report_after) std::printf(" %-9.2g", log.errors()[e - 1]);
            std::printf("  %zu\n", settled);

            final_errors.push_back(log.errors().back());
            auto train = history.train_curve(4);
            curves.push_back({label, std::move(train.x), std::move(train.y)});
        }

        std::printf("\nlargest |error| after epoch %zu, for each start: [", static_cast<std::size_t>(epochs));
        for (std::size_t i = 0; i < final_errors.size(); ++i) std::printf("%s%.2g", i ? ", " : "", final_errors[i]);
        std::printf("]\n");

        ctgrad::plot::write_svg(plot_path, curves,
                                {.title = "d2l 3.4 from four initialisations (lr 0.03)", .x_label = "epoch",
                                 .y_label = "training loss (log scale)", .log_y = true});
        std::cout << "\nwrote " << plot_path << '\n';
    } catch (const std::exception& e) {
        std::cerr << "initialization: " << e.what() << '\n';
        return 1;
    }
}
