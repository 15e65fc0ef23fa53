// d2l 3.4, exercise 3: "Can you build a model based on Planck's Law for determining the
// temperature of an object using spectral energy density?"
//
// Planck's law, B(lambda, T) = 2 h c^2 / lambda^5 / (exp(h c / (lambda k T)) - 1), sampled at
// 300 wavelengths from 0.2 to 3 µm for a black body at T = 5800 K (the Sun's surface), each
// reading with 1% multiplicative Gaussian noise. T is fitted with the nonlinear model written
// in the DSL, by minibatch SGD (the trainer) and by Newton's method, whose step divides the
// gradient by the second derivative d(d(loss, t), t), both derived at compile time.
//
// Scaling, so that every number the fit sees is O(1):
//   - wavelength lambda in µm (0.2 .. 3), not metres (2e-7 .. 3e-6);
//   - temperature as t = T / 5000 K, so the parameter is about 1; hc / (lambda k T) is then
//     c2 / (lambda t) with c2 = hc / (k 5000 K) = 2.8776 µm;
//   - radiance in units of the peak of a 5000 K black body (B_ref = 1.2e13 W sr^-1 m^-3 at
//     lambda = 0.5796 µm), a constant fixed before seeing the data, so readings are 0.03 .. 2.1;
//   - the model predicts log(B / B_ref), and the loss is the squared error of that log:
//     multiplicative noise of 1% is additive noise of 0.01 on log B at every wavelength, so
//     each reading weighs the same (in B itself the bright peak would dominate), and the loss
//     stays convex in t from 0.3 to 1.9 (T = 1500 .. 9500 K), which Newton's method needs.
//
//   planck_law [--epochs N] [--lr X] [--seed N] [--plot FILE.svg]
#include "flags.hpp"

#include <ctgrad/ctgrad.hpp>
#include <ctgrad/optim/newton.hpp>

#include <charconv>
#include <cmath>
#include <cstdio>
#include <initializer_list>
#include <utility>
#include <exception>
#include <iostream>
#include <string>
#include <vector>

using namespace ctgrad::literals;

namespace {

// CODATA 2018, exact in the SI.
constexpr double planck_h = 6.62607015e-34;   // J s
constexpr double light_c = 299792458.0;       // m / s
constexpr double boltzmann_k = 1.380649e-23;  // J / K
constexpr double t_unit = 5000.0;             // K: t = T / t_unit
constexpr double c2 = planck_h * light_c / boltzmann_k / t_unit * 1e6; // µm, = 2.8776
constexpr double wien_b = 2897.771955;        // µm K: the peak of B(., T) is at wien_b / T

/// Planck's law in SI units: wavelength in metres, radiance in W sr^-1 m^-3.
double planck_si(double lambda_m, double kelvin) {
    return 2 * planck_h * light_c * light_c / std::pow(lambda_m, 5) /
           std::expm1(planck_h * light_c / (lambda_m * boltzmann_k * kelvin));
}

const double b_ref = planck_si(wien_b / t_unit * 1e-6, t_unit);

constexpr ctgrad::input<"lambda"> lambda; // µm
constexpr ctgrad::input<"log_B"> log_b;   // log(B / B_ref)
constexpr ctgrad::param<"t"> t;           // T / 5000 K

/// to_string(e) with its runtime numbers named: to_string writes a number in its shortest
/// round-trip form (std::to_chars), so that is the text to replace.
template <class E>
std::string named(const E& e, std::initializer_list<std::pair<double, const char*>> names) {
    std::string text = ctgrad::to_string(e);
    for (const auto& [value, name] : names) {
        char buffer[32];
        const std::string digits(buffer, std::to_chars(buffer, buffer + sizeof buffer, value).ptr);
        for (std::size_t at = text.find(digits); at != std::string::npos; at = text.find(digits, at))
            text.replace(at, digits.size(), name);
    }
    return text;
}

std::string kelvin(double t) {
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%.1f K", t * t_unit);
    return buffer;
}

} // namespace

int main(int argc, char** argv) {
    std::uint64_t epochs = 10, seed = 0;
    double lr = 0.01;
    std::string plot_path;
    examples::flags("planck_law")
        .count("epochs", epochs, 1, 1'000'000, "SGD's passes over the readings")
        .positive("lr", lr, "SGD's learning rate")
        .count("seed", seed, 0, UINT64_MAX, "seeds the noise and the shuffles")
        .path("plot", plot_path, "write the readings and the fitted curves as an SVG picture")
        .parse(argc, argv);

    // log(B / B_ref) = log(2 h c^2 / B_ref) - 5 log(lambda) - log(exp(c2 / (lambda t)) - 1), the
    // first term written for lambda in µm (2 h c^2 / (1 µm)^5 / B_ref = peak^5 (exp(c2 / peak) - 1)).
    const double peak = wien_b / t_unit;
    const double log_scale = 5 * std::log(peak) + std::log(std::expm1(c2 / peak));
    const auto log_radiance = log_scale - 5_c * ctgrad::log(lambda) - ctgrad::log(ctgrad::expm1(c2 / (lambda * t)));

    const double true_t = 5800.0 / t_unit, start_t = 1.0;
    constexpr std::size_t n = 300;

    const auto loss = ctgrad::loss::mse(log_radiance, log_b);
    const auto constants = {std::pair{log_scale, "s"}, std::pair{c2, "c2"}};
    std::printf("units: lambda in µm, t = T / 5000 K, B in units of B_ref = %.4g W/(sr m^3) (the peak of a 5000 K\n"
                "black body); the model fits log(B / B_ref), with s = %.6f and c2 = hc / (k 5000 K) = %.6f µm\n",
                b_ref, log_scale, c2);
    std::cout << "model:            log_B_hat = " << named(log_radiance, constants) << '\n'
              << "loss:             " << named(loss, constants) << '\n'
              << "d(loss, t):       " << named(ctgrad::d(loss, t), constants) << '\n'
              << "d(d(loss, t), t): " << named(ctgrad::d(ctgrad::d(loss, t), t), constants) << "\n\n";

    try {
        // The readings: B(lambda, 5800 K) (1 + 0.01 N(0, 1)), in units of B_ref; the targets
        // are their logs.
        ctgrad::data::random_engine random(seed);
        auto features = xt::xtensor<double, 2>::from_shape({1, n});
        auto targets = xt::xtensor<double, 1>::from_shape({n});
        std::vector<double> lambdas(n), readings(n);
        for (std::size_t i = 0; i < n; ++i) {
            lambdas[i] = features(0, i) = 0.2 + 2.8 * double(i) / double(n - 1);
            readings[i] = planck_si(lambdas[i] * 1e-6, true_t * t_unit) / b_ref * (1 + 0.01 * random.normal());
            targets(i) = std::log(readings[i]);
        }
        ctgrad::data::dataset<double> data(features, targets, {.num_train = n, .batch_size = 32, .seed = seed});

        // SGD: d2l's trainer on batches of 32 (10 steps per epoch), from T = 5000 K.
        auto sgd_model = ctgrad::nn::make_model(log_radiance, ctgrad::loss::mse, log_b, {.lr = lr});
        sgd_model.parameters()[t] = start_t;
        struct print_t {
            void on_epoch_end(const decltype(sgd_model)& m, const ctgrad::fit_state& s) const {
                std::printf("  epoch %2zu: T = %s, train loss %.3e\n", s.epoch + 1, kelvin(m.parameters()[t]).c_str(),
                            s.record->epoch_train_loss(s.epoch));
            }
        };
        std::printf("SGD (lr %g, batch 32, %zu steps per epoch) from T = %s:\n", lr, data.train_dataloader().size(),
                    kelvin(start_t).c_str());
        const auto history = ctgrad::trainer({.max_epochs = epochs}).fit(sgd_model, data, print_t{});
        const double sgd_t = sgd_model.parameters()[t];

        // Newton's method on the whole data set, from the same start.
        auto newton_model = ctgrad::nn::make_model(log_radiance, ctgrad::loss::mse, log_b);
        newton_model.parameters()[t] = start_t;
        std::printf("Newton (the whole data set per step) from T = %s:\n", kelvin(start_t).c_str());
        const auto result = ctgrad::newton({.max_iterations = 10}).minimize(newton_model, data, [](const auto& it) {
            std::printf("  iteration %zu: T = %s, loss %.6e\n", it.iteration, kelvin(it.params[t]).c_str(), it.loss);
        });
        const double newton_t = newton_model.parameters()[t];

        std::printf("\ntrue T = %s\n", kelvin(true_t).c_str());
        std::printf("SGD after %zu epochs (%zu steps): T = %s\n", history.epochs, history.train_loss.size(),
                    kelvin(sgd_t).c_str());
        std::printf("Newton %s after %zu iterations: T = %s\n", result.converged ? "converged" : "did not converge",
                    result.iterations, kelvin(newton_t).c_str());
        std::printf("newton iterations: [%zu]\n", result.iterations);
        std::printf("relative error of T (Newton, SGD): [%.5f, %.5f]\n", newton_t / true_t - 1, sgd_t / true_t - 1);

        if (!plot_path.empty()) {
            std::vector<double> at_newton(n), at_sgd(n), at_start(n);
            for (std::size_t i = 0; i < n; ++i) {
                at_newton[i] = planck_si(lambdas[i] * 1e-6, newton_t * t_unit) / b_ref;
                at_sgd[i] = planck_si(lambdas[i] * 1e-6, sgd_t * t_unit) / b_ref;
                at_start[i] = planck_si(lambdas[i] * 1e-6, start_t * t_unit) / b_ref;
            }
            ctgrad::plot::write_svg(plot_path,
                                    {{"readings (1% noise)", lambdas, readings},
                                     {"Newton fit", lambdas, at_newton},
                                     {"SGD fit", lambdas, at_sgd},
                                     {"start (5000 K)", lambdas, at_start}},
                                    {.title = "Planck's law: T fitted to readings of a 5800 K black body",
                                     .x_label = "wavelength (µm)",
                                     .y_label = "spectral radiance / peak of 5000 K"});
            std::cout << "wrote " << plot_path << '\n';
        }
        return result.converged ? 0 : 1;
    } catch (const std::exception& e) {
        std::cerr << "planck_law: " << e.what() << '\n';
        return 1;
    }
}
