// d2l 3.4, exercise 2: "Assume that you are Georg Simon Ohm trying to come up with a model for
// resistance that relates voltage and current. Can you use automatic differentiation to learn
// the parameters of your model?"
//
// Synthetic measurements of a 4.7 kΩ resistor: currents drawn uniformly over 0..2 mA, voltages
// V = R I + V0 with an offset V0 = 0.12 V (a meter's zero error) and 0.05 V of Gaussian noise.
// The model is Ohm's law with an offset, V_hat = R * I + V0, with one scalar input (input<"I">)
// and two scalar parameters; the loss is d2l's squared error / 2, and its derivatives by R and
// V0 are derived at compile time and printed. Units are chosen so the numbers are O(1): I in mA
// and V in volts make R come out in kΩ (1 V / 1 mA = 1 kΩ); in ohms and amperes R would be
// ~5000 and I ~0.001, the loss's curvature in R would be ~1e-6 and in V0 1, and no single lr
// would suit both. The fit is compared with the closed-form least-squares line through the same
// training measurements.
//
//   ohms_law [--epochs N] [--lr X] [--seed N]
#include "flags.hpp"

#include <ctgrad/ctgrad.hpp>

#include <cmath>
#include <cstdio>
#include <exception>
#include <iostream>

using namespace ctgrad::literals;

int main(int argc, char** argv) {
    std::uint64_t epochs = 40, seed = 0;
    double lr = 0.1;
    examples::flags("ohms_law")
        .count("epochs", epochs, 1, 1'000'000, "passes over the training data")
        .positive("lr", lr, "learning rate of minibatch SGD")
        .count("seed", seed, 0, UINT64_MAX, "seeds the measurements and the shuffles")
        .parse(argc, argv);

    constexpr ctgrad::input<"I"> current;    // mA
    constexpr ctgrad::input<"V"> voltage;    // V
    constexpr ctgrad::param<"R"> resistance; // kΩ
    constexpr ctgrad::param<"V0"> offset;    // V
    constexpr auto ohm = resistance * current + offset;
    constexpr auto half_squared = [](const auto& v_hat, const auto& v) { return ctgrad::square(v_hat - v) / 2_c; };

    const double true_r = 4.7, true_v0 = 0.12, noise = 0.05;
    const std::size_t num_train = 200, num_val = 100;

    try {
        // The measurements: I uniform in [0, 2) mA, V = R I + V0 + noise.
        ctgrad::data::random_engine random(seed);
        auto features = xt::xtensor<double, 2>::from_shape({1, num_train + num_val});
        auto targets = xt::xtensor<double, 1>::from_shape({num_train + num_val});
        for (std::size_t i = 0; i < num_train + num_val; ++i) {
            features(0, i) = 2 * random.uniform();
            targets(i) = true_r * features(0, i) + true_v0 + noise * random.normal();
        }
        ctgrad::data::dataset<double> data(features, targets, {.num_train = num_train, .batch_size = 10, .seed = seed});

        auto model = ctgrad::nn::make_model(ohm, half_squared, voltage, {.lr = lr});
        std::cout << "model:         V_hat = " << model.forward() << "   (I in mA, V in V, R in kOhm)\n"
                  << "loss:          " << model.loss() << '\n'
                  << "d loss / d R:  " << ctgrad::d(model.loss(), resistance) << '\n'
                  << "d loss / d V0: " << ctgrad::d(model.loss(), offset) << "\n\n";
        std::printf("%zu measurements (%zu to train, %zu to validate) of R = %g kOhm, V0 = %g V, noise %g V\n", num_train + num_val,
                    num_train, num_val, true_r, true_v0, noise);

        const auto history = ctgrad::trainer({.max_epochs = epochs}).fit(model, data);
        const double r = model.parameters()[resistance], v0 = model.parameters()[offset];
        std::printf("trained (%zu epochs, lr %g, batch 10): R = %.4f kOhm, V0 = %.4f V, val loss %.3g\n",
                    static_cast<std::size_t>(epochs), lr, r, v0, history.val_loss.back());

        // Least squares through the training measurements: R = cov(I, V) / var(I), V0 = mean(V) - R mean(I).
        double mean_i = 0, mean_v = 0;
        for (std::size_t i = 0; i < num_train; ++i) {
            mean_i += features(0, i) / double(num_train);
            mean_v += targets(i) / double(num_train);
        }
        double cov = 0, var = 0;
        for (std::size_t i = 0; i < num_train; ++i) {
            cov += (features(0, i) - mean_i) * (targets(i) - mean_v);
            var += (features(0, i) - mean_i) * (features(0, i) - mean_i);
        }
        const double ls_r = cov / var, ls_v0 = mean_v - ls_r * mean_i;
        std::printf("least squares (closed form):      R = %.4f kOhm, V0 = %.4f V\n\n", ls_r, ls_v0);

        std::printf("relative error of R (trained, closed form): [%.5f, %.5f]\n", (r - true_r) / true_r, (ls_r - true_r) / true_r);
        std::printf("trained - closed form (R, V0): [%.2g, %.2g]\n", r - ls_r, v0 - ls_v0);
    } catch (const std::exception& e) {
        std::cerr << "ohms_law: " << e.what() << '\n';
        return 1;
    }
}
