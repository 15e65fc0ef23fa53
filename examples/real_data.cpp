// Linear regression on real data: NIST's Longley dataset (16 years of US employment and six
// economic series, 1947-1962, famously collinear), read with csv_dataset. Three things:
//  1. the closed-form least-squares fit (Householder QR in long double), checked against
//     NIST's certified coefficients;
//  2. why standardisation matters: on the raw features (GNP is in the hundreds of thousands)
//     SGD either diverges or, with a step small enough to be stable, barely moves;
//  3. gradient descent on standardised features, its weights mapped back to the file's units, compared with
//     the closed form.
//
//   real_data [--csv FILE] [--epochs N] [--lr X]
//
// Any CSV with a header and the target in its last column works; the NIST check is made
// when the columns are Longley's.
#include "flags.hpp"

#include <ctgrad/ctgrad.hpp>
#include <ctgrad/data/csv.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <exception>
#include <iostream>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

using real = long double;

// NIST StRD, Longley.dat: certified B0 (intercept) to B6.
const std::vector<std::string> longley_columns{"gnp_deflator", "gnp", "unemployed", "armed_forces", "population", "year"};
const double nist_certified[7] = {-3482258.63459582, 15.0618722713733,  -0.358191792925910e-01, -2.02022980381683,
                                  -1.03322686717359, -0.511041056535807e-01, 1829.15146461355};

// The least-squares coefficients (intercept first) of y on the columns x[j], by Householder
// QR of the centred and scaled columns in long double. The normal equations would square
// Longley's condition number (about 1e8 after scaling) and lose most digits of a double.
std::vector<real> least_squares(const std::vector<std::vector<real>>& x, const std::vector<real>& y) {
    const std::size_t m = y.size(), p = x.size();
    if (m <= p + 1) throw std::invalid_argument("the closed form needs more rows than features + 1");
    std::vector<real> mean(p, 0), scale(p, 0), q(m), b(p + 1, 0);
    std::vector<std::vector<real>> a(p, std::vector<real>(m)); // column-major
    real y_mean = 0;
    for (std::size_t i = 0; i < m; ++i) y_mean += y[i] / real(m);
    for (std::size_t i = 0; i < m; ++i) q[i] = y[i] - y_mean;
    for (std::size_t j = 0; j < p; ++j) {
        for (std::size_t i = 0; i < m; ++i) mean[j] += x[j][i] / real(m);
        for (std::size_t i = 0; i < m; ++i) scale[j] += (x[j][i] - mean[j]) * (x[j][i] - mean[j]);
        scale[j] = std::sqrt(scale[j]);
        if (scale[j] == 0) throw std::invalid_argument("the closed form needs columns that are not constant");
        for (std::size_t i = 0; i < m; ++i) a[j][i] = (x[j][i] - mean[j]) / scale[j];
    }
    for (std::size_t k = 0; k < p; ++k) { // reflect column k onto e_k; apply to the rest and to q
        real norm = 0;
        for (std::size_t i = k; i < m; ++i) norm += a[k][i] * a[k][i];
        norm = std::sqrt(norm);
        const real alpha = a[k][k] > 0 ? -norm : norm;
        std::vector<real> v(a[k].begin() + long(k), a[k].end());
        v[0] -= alpha;
        real vv = 0;
        for (real t : v) vv += t * t;
        const auto reflect = [&](std::vector<real>& c) {
            real s = 0;
            for (std::size_t i = k; i < m; ++i) s += v[i - k] * c[i];
            for (std::size_t i = k; i < m; ++i) c[i] -= 2 * s / vv * v[i - k];
        };
        for (std::size_t j = k; j < p; ++j) reflect(a[j]);
        reflect(q);
    }
    for (std::size_t k = p; k-- > 0;) { // back substitution R b = Q^T y
        real s = q[k];
        for (std::size_t j = k + 1; j < p; ++j) s -= a[j][k] * b[j + 1];
        b[k + 1] = s / a[k][k];
    }
    b[0] = y_mean;
    for (std::size_t j = 0; j < p; ++j) {
        b[j + 1] /= scale[j];
        b[0] -= b[j + 1] * mean[j];
    }
    return b;
}

// The columns of the file, in its units (the dataset holds them unstandardised).
std::vector<std::vector<real>> columns_of(const ctgrad::data::tabular_dataset<double>& data) {
    std::vector<std::vector<real>> x(data.num_features(), std::vector<real>(data.size()));
    for (std::size_t j = 0; j < data.num_features(); ++j)
        for (std::size_t i = 0; i < data.size(); ++i) x[j][i] = data.features()(j, i);
    return x;
}

std::vector<real> fitted(const std::vector<real>& b, const std::vector<std::vector<real>>& x) {
    std::vector<real> out(x[0].size(), b[0]);
    for (std::size_t j = 0; j < x.size(); ++j)
        for (std::size_t i = 0; i < out.size(); ++i) out[i] += b[j + 1] * x[j][i];
    return out;
}

real rms(const std::vector<real>& a, const std::vector<real>& b) {
    real sum = 0;
    for (std::size_t i = 0; i < a.size(); ++i) sum += (a[i] - b[i]) * (a[i] - b[i]);
    return std::sqrt(sum / real(a.size()));
}

template <class Model, class Data>
std::vector<real> trained_coefficients(const Model& model, const Data& data) {
    const auto [w, b] = model.get_w_b();
    const auto [w_raw, b_raw] = data.to_original_units(w, b);
    std::vector<real> out{b_raw};
    for (double v : w_raw) out.push_back(v);
    return out;
}

} // namespace

int main(int argc, char** argv) {
    std::string path = "data/longley.csv";
    std::uint64_t epochs = 100'000;
    double lr = 0.2;
    examples::flags("real_data")
        .path("csv", path, "the CSV file: a header, then one row per example, the target last (default data/longley.csv)")
        .count("epochs", epochs, 1, 10'000'000, "passes of full-batch gradient descent")
        .positive("lr", lr, "learning rate on standardised features")
        .parse(argc, argv);

    try {
        namespace data = ctgrad::data;
        // All rows train (the comparison is with the least-squares fit of the same rows), one
        // batch of all of them: plain gradient descent, which converges to that fit.
        auto raw = data::csv_dataset(path, {.batch_size = 1'000'000});
        const std::size_t n = raw.size();
        std::cout << path << ": " << n << " rows, target '" << raw.target_name() << "', " << raw.num_features()
                  << " features\n\n";
        const auto x = columns_of(raw);
        const std::vector<real> y(raw.targets().begin(), raw.targets().end());
        real y_mean = 0, y_spread = 0;
        for (real v : y) y_mean += v / real(n);
        for (real v : y) y_spread += (v - y_mean) * (v - y_mean) / real(n);
        y_spread = std::sqrt(y_spread);

        // 1. The closed form.
        const auto exact = least_squares(x, y);
        const auto exact_fit = fitted(exact, x);
        std::printf("closed form (least squares by Householder QR): RMS residual %.6g (the target's standard deviation: %.6g)\n",
                    double(rms(exact_fit, y)), double(y_spread));
        if (raw.feature_names() == longley_columns) {
            double worst = 0;
            for (std::size_t j = 0; j < 7; ++j)
                worst = std::max(worst, double(std::abs((exact[j] - nist_certified[j]) / nist_certified[j])));
            std::printf("largest relative difference from NIST's certified coefficients: %.2g\n", worst);
        }

        // 2. The raw features: GNP is about 4e5, so the loss's curvature along its weight is
        // about 1e11 times that along the bias. A learning rate that suits the bias blows up...
        std::cout << "\nraw features:\n";
        try {
            auto model = ctgrad::nn::linear_regression(lr);
            (void)ctgrad::trainer({.max_epochs = epochs}).fit(model, raw);
            std::cout << "  lr " << lr << ": trained (unexpectedly)\n";
        } catch (const ctgrad::divergence_error& e) {
            std::cout << "  lr " << lr << ": " << e.what() << '\n';
        }
        // ...and one small enough to be stable (below 2 / the largest curvature) crawls.
        {
            const double small_lr = 1e-12;
            auto model = ctgrad::nn::linear_regression(small_lr);
            (void)ctgrad::trainer({.max_epochs = epochs}).fit(model, raw);
            const auto fit = fitted(trained_coefficients(model, raw), x);
            std::printf("  lr %g, %llu epochs: RMS residual %.6g (closed form: %.6g)\n", small_lr,
                        static_cast<unsigned long long>(epochs), double(rms(fit, y)), double(rms(exact_fit, y)));
        }

        // 3. Standardised features: every direction has a curvature of order 1 or less. The
        // model keeps its parameters from one fit to the next, so training in stages shows the
        // way there: the fitted values settle long before the coefficients, because along the
        // nearly collinear directions the loss is almost flat and gradient descent moves slowly.
        auto scaled = data::csv_dataset(path, {.batch_size = 1'000'000, .standardize = true});
        auto model = ctgrad::nn::linear_regression(lr);
        std::printf("\nstandardised features, lr %g (relative differences from the closed form):\n", lr);
        std::printf("  %10s %14s %14s %14s\n", "epochs", "training loss", "fitted values", "coefficients");
        std::vector<real> trained;
        double fit_difference = 0, coefficient_difference = 0;
        for (std::uint64_t done = 0, stage = std::max<std::uint64_t>(epochs / 100, 1); done < epochs; stage *= 10) {
            const std::uint64_t now = std::min(epochs - done, stage - done);
            const auto history = ctgrad::trainer({.max_epochs = now}).fit(model, scaled);
            done += now;
            trained = trained_coefficients(model, scaled);
            fit_difference = double(rms(fitted(trained, x), exact_fit) / y_spread);
            coefficient_difference = 0;
            for (std::size_t j = 0; j < trained.size(); ++j)
                coefficient_difference = std::max(coefficient_difference, double(std::abs((trained[j] - exact[j]) / exact[j])));
            std::printf("  %10llu %14.7g %14.2g %14.2g\n", static_cast<unsigned long long>(done), history.train_loss.back(),
                        fit_difference, coefficient_difference);
        }
        std::printf("  %10s %14.7g\n", "closed form", double(rms(exact_fit, y) * rms(exact_fit, y)));

        std::printf("\n  %-14s %18s %18s\n", "coefficient", "trained", "closed form");
        for (std::size_t j = 0; j < trained.size(); ++j)
            std::printf("  %-14s %18.10g %18.10g\n", j == 0 ? "intercept" : raw.feature_names()[j - 1].c_str(),
                        double(trained[j]), double(exact[j]));
        std::printf("\nrelative RMS difference of the fitted values: %.2g\n", fit_difference);
        std::printf("largest relative difference of the coefficients: %.2g\n", coefficient_difference);
    } catch (const std::exception& e) {
        std::cerr << "real_data: " << e.what() << '\n';
        return 1;
    }
}
