// d2l 3.4, exercise 8: "Try implementing a different loss function, such as the absolute value
// loss. (1) Check what happens for regular data. (2) Check whether there is a difference in
// behavior if you actively perturb some entries, such as y_5 = 10000. (3) Can you think of a
// cheap solution for combining the best aspects of squared loss and absolute value loss?"
//
// The book's data (w = [2, -3.4], b = 4.2), once as drawn and once with the training target
// y[5] set to 10000, fitted with three losses on the same linear layer: d2l's squared loss
// square(y_hat - y) / 2, the absolute loss (loss::l1) and Huber's loss (loss::huber(1_c), the
// answer to (3): quadratic near the fit, linear beyond |r| = 1, so no example's gradient is
// larger than 1). One outlier drags the squared loss's fit far away (its gradient grows with
// the residual: the outlier alone pulls with 10000 / batch size); the absolute and Huber losses
// hear it no louder than any other example. The closed-form least-squares fit of the perturbed
// data shows that this is the squared loss's own minimum, not a training failure.
//
// The absolute loss's gradient, sign(r) x, has the same size however close the fit is, so SGD
// with a constant lr never settles: it keeps jumping by about lr around the minimum (up to
// 0.03 at lr 0.03). Every fit here therefore runs N epochs at lr and N more at lr / 10 (a step
// decay), which takes the absolute loss about ten times closer. The squared loss's fit of the
// perturbed data moves toward its closed-form minimum but never settles either: once an epoch
// the outlier's batch kicks b by lr * 10000 / 32 (9 at lr 0.03, 1 at lr 0.003).
//
//   outliers [--epochs N] [--lr X] [--seed N] [--outlier X]
#include "flags.hpp"
#include "least_squares.hpp"

#include <ctgrad/ctgrad.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <exception>
#include <iostream>
#include <string>
#include <utility>

using namespace ctgrad::literals;

namespace {

constexpr ctgrad::input_vec<"x"> x;
constexpr ctgrad::input<"y"> y;
constexpr ctgrad::nn::linear net; // dot(x, w) + b

/// d2l 3.4's loss, square(y_hat - y) / 2.
struct half_squared_loss {
    template <class A, class B>
    constexpr auto operator()(const A& y_hat, const B& target) const { return ctgrad::square(y_hat - target) / 2_c; }
};

struct fit {
    double w0, w1, b;
};

/// A copy of the book's data with y[index] replaced (the same index as given keeps it).
ctgrad::data::dataset<double> copy_with(const ctgrad::data::regression_data<double>& book, std::size_t index,
                                        double value, std::size_t num_train, std::uint64_t seed) {
    xt::xtensor<double, 2> features = book.features();
    xt::xtensor<double, 1> targets = book.targets();
    targets(index) = value;
    return {std::move(features), std::move(targets), {.num_train = num_train, .batch_size = 32, .seed = seed}};
}

/// Least squares over the training part, [x, 1] theta = y, by the normal equations (3 x 3,
/// Gaussian elimination with partial pivoting).
fit least_squares(const ctgrad::data::dataset<double>& data) {
    const auto theta = examples::least_squares_2(data, data.num_train());
    return {theta[0], theta[1], theta[2]};
}

/// The fit after `epochs` epochs at lr and after `epochs` more at lr / 10. The model's lr is
/// fixed when it is made, so the second phase is a second model that starts from the first's
/// parameters.
template <class Loss>
std::pair<fit, fit> train(const Loss& loss, ctgrad::data::dataset<double>& data, double lr, std::size_t epochs,
                          std::uint64_t seed) {
    const auto read = [](const auto& model) {
        const auto [w, b] = model.get_w_b();
        return fit{w(0), w(1), b};
    };
    auto model = ctgrad::nn::make_model(net(x), loss, y, {.lr = lr, .seed = seed, .num_inputs = 2});
    ctgrad::trainer({.max_epochs = epochs}).fit(model, data);
    auto slower = ctgrad::nn::make_model(net(x), loss, y, {.lr = lr / 10, .num_inputs = 2});
    slower.parameters() = model.parameters();
    ctgrad::trainer({.max_epochs = epochs}).fit(slower, data);
    return {read(model), read(slower)};
}

void print_fit(const std::string& label, const fit& f) {
    std::printf("%-43s w = [%.4f, %.4f], b = %.4f\n", label.c_str(), f.w0, f.w1, f.b);
}

} // namespace

int main(int argc, char** argv) {
    std::uint64_t epochs = 20, seed = 0;
    double lr = 0.03, outlier = 10000;
    examples::flags("outliers")
        .count("epochs", epochs, 1, 1'000'000, "passes at lr, then as many at lr / 10")
        .positive("lr", lr, "learning rate of minibatch SGD")
        .count("seed", seed, 0, UINT64_MAX, "seeds the data, the initial w and the shuffles")
        .positive("outlier", outlier, "the value y[5] is set to")
        .parse(argc, argv);

    try {
        // The book's data: 1000 training and 1000 validation examples, noise 0.01.
        const auto book = ctgrad::data::synthetic_regression_data({2, -3.4}, 4.2, {.seed = seed});
        const fit truth{book.true_w()(0), book.true_w()(1), book.true_b()};
        char outlier_text[64];
        std::snprintf(outlier_text, sizeof outlier_text, "y[5] = %g", outlier);
        const std::string perturbed = outlier_text;
        std::printf("%-43s w = [%.4f, %.4f], b = %.4f\n", "true parameters:", truth.w0, truth.w1, truth.b);
        std::printf("example 5: x = [%.4f, %.4f], y = %.4f; y becomes %g (one of %zu training targets)\n\n",
                    book.features()(0, 5), book.features()(1, 5), book.targets()(5), outlier, book.num_train());

        const auto squared = half_squared_loss{};
        const auto absolute = ctgrad::loss::l1;
        const auto huber = ctgrad::loss::huber(1_c);
        std::cout << "losses, r = y_hat - y, and their derivatives by b:\n"
                  << "  squared: " << squared(net(x), y) << "\n           " << ctgrad::d(squared(net(x), y), net.bias)
                  << "\n  l1:      " << absolute(net(x), y) << "\n           " << ctgrad::d(absolute(net(x), y), net.bias)
                  << "\n  huber:   " << huber(net(x), y) << "\n           " << ctgrad::d(huber(net(x), y), net.bias)
                  << "\n\n";

        using fits = std::array<std::pair<std::string, std::pair<fit, fit>>, 3>;
        const auto run_all = [&](double y5) {
            auto d1 = copy_with(book, 5, y5, book.num_train(), seed);
            auto d2 = copy_with(book, 5, y5, book.num_train(), seed);
            auto d3 = copy_with(book, 5, y5, book.num_train(), seed);
            return fits{std::pair{std::string("squared"), train(squared, d1, lr, epochs, seed)},
                        std::pair{std::string("l1"), train(absolute, d2, lr, epochs, seed)},
                        std::pair{std::string("huber"), train(huber, d3, lr, epochs, seed)}};
        };
        const fits regular = run_all(book.targets()(5));
        const fits outlying = run_all(outlier);

        std::printf("fits after %zu epochs at lr %g, then %zu at lr %g:\n", static_cast<std::size_t>(epochs), lr,
                    static_cast<std::size_t>(epochs), lr / 10);
        for (const auto& [name, f] : regular) print_fit(name + ", regular data:", f.second);
        for (const auto& [name, f] : outlying) print_fit(name + ", " + perturbed + ":", f.second);
        auto perturbed_data = copy_with(book, 5, outlier, book.num_train(), seed);
        print_fit("least squares (closed form), " + perturbed + ":", least_squares(perturbed_data));

        std::printf("\nerrors (w[0], w[1], b) = fitted - true, after %zu epochs at lr %g and at the end:\n",
                    static_cast<std::size_t>(epochs), lr);
        const auto errors = [&](const fit& f) { return fit{f.w0 - truth.w0, f.w1 - truth.w1, f.b - truth.b}; };
        const auto largest = [&](const fit& f) {
            const fit e = errors(f);
            return std::max({std::abs(e.w0), std::abs(e.w1), std::abs(e.b)});
        };
        const auto print_errors = [&](const std::string& label, const std::pair<fit, fit>& f) {
            const fit a = errors(f.first), e = errors(f.second);
            std::printf("%-18s [%.4f, %.4f, %.4f]  [%.4f, %.4f, %.4f]\n", label.c_str(), a.w0, a.w1, a.b, e.w0, e.w1, e.b);
        };
        for (const auto& [name, f] : regular) print_errors("regular, " + name + ":", f);
        for (const auto& [name, f] : outlying) print_errors("outlier, " + name + ":", f);

        std::printf("\nwithin 0.05 of the true parameters with %s:", perturbed.c_str());
        for (std::size_t i = 0; i < outlying.size(); ++i)
            std::printf("%s %s %s", i ? "," : "", outlying[i].first.c_str(),
                        largest(outlying[i].second.second) < 0.05 ? "yes" : "no");
        std::printf("\n");
    } catch (const std::exception& e) {
        std::cerr << "outliers: " << e.what() << '\n';
        return 1;
    }
}
