// d2l 3.4, "Linear Regression Implementation from Scratch": the model and the squared loss
// written with ctgrad, and the gradient the compiler derives for them. The training loop
// arrives with the trainer; this prints what it will run on.
#include <ctgrad/ctgrad.hpp>

#include <boost/hana/for_each.hpp>
#include <xtensor/xtensor.hpp>

#include <cstdio>
#include <iostream>
#include <string>

using namespace ctgrad::literals;

namespace {

constexpr ctgrad::input_vec<"x"> x; // one example's features
constexpr ctgrad::input<"y"> y;     // its target
constexpr ctgrad::param_vec<"w"> w; // weights
constexpr ctgrad::param<"b"> b;     // bias

constexpr auto y_hat = ctgrad::dot(x, w) + b;              // LinearRegressionScratch.forward
constexpr auto loss = ctgrad::square(y_hat - y) / 2_c;     // LinearRegressionScratch.loss (per example)
constexpr auto gradient = ctgrad::grad(loss, w, b);        // derived at compile time

std::string format(const xt::xtensor<double, 1>& v) {
    std::string out = "[";
    for (std::size_t i = 0; i < v.size(); ++i) {
        char buffer[32];
        std::snprintf(buffer, sizeof buffer, "%s%.4f", i ? ", " : "", v(i));
        out += buffer;
    }
    return out + "]";
}

std::string format(double v) {
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%.4f", v);
    return buffer;
}

} // namespace

int main() {
    std::cout << "model:        y_hat = " << y_hat << '\n'
              << "loss:         " << loss << '\n'
              << "d loss / d w: " << ctgrad::d(loss, w) << '\n'
              << "d loss / d b: " << ctgrad::d(loss, b) << '\n'
              << "d2 loss / db2: " << ctgrad::d(ctgrad::d(loss, b), b) << "\n\n";

    // One example of the book's data (true w = [2, -3.4], b = 4.2), and the model at its
    // initial guess w = 0, b = 0: the gradient points from the guess toward the truth.
    const xt::xtensor<double, 1> features{1.0, -0.5};
    const double target = 2.0 * 1.0 + (-3.4) * (-0.5) + 4.2;
    const xt::xtensor<double, 1> w0{0.0, 0.0};

    std::cout << "at x = " << format(features) << ", y = " << format(target) << ", w = " << format(w0)
              << ", b = 0:\n  loss = " << format(ctgrad::eval(loss, x = features, y = target, w = w0, b = 0.0)) << '\n';
    boost::hana::for_each(gradient, [&](const auto& partial) {
        std::cout << "  " << partial << " = "
                  << format(ctgrad::eval(partial, x = features, y = target, w = w0, b = 0.0)) << '\n';
    });
}
