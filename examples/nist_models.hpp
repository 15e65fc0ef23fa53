// examples/nist_models.hpp: the models of NIST's StRD nonlinear regression suite as ctgrad
// residuals, one per problem name, for examples/nist_strd and tests/test_nist_suite. Written
// from the formulas NIST publishes with each problem; files for the problems not in data/nist
// are fitted the same way when given. Not part of the library.
#ifndef CTGRAD_EXAMPLES_NIST_MODELS_HPP
#define CTGRAD_EXAMPLES_NIST_MODELS_HPP

#include <ctgrad/ctgrad.hpp>
#include <ctgrad/data/nist.hpp>

#include <algorithm>
#include <filesystem>
#include <numbers>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <xtensor/xview.hpp>

namespace examples::nist {

using namespace ctgrad::literals;

inline constexpr ctgrad::input<"x"> x;
inline constexpr ctgrad::input<"y"> y;
inline constexpr ctgrad::input<"x1"> x1;
inline constexpr ctgrad::input<"x2"> x2;
inline constexpr ctgrad::param<"b1"> b1;
inline constexpr ctgrad::param<"b2"> b2;
inline constexpr ctgrad::param<"b3"> b3;
inline constexpr ctgrad::param<"b4"> b4;
inline constexpr ctgrad::param<"b5"> b5;
inline constexpr ctgrad::param<"b6"> b6;
inline constexpr ctgrad::param<"b7"> b7;
inline constexpr ctgrad::param<"b8"> b8;
inline constexpr ctgrad::param<"b9"> b9;

/// Calls fit(residual, batch, b1, b2, ...) with the residual of problem p's model, its data bound
/// as a batch and its parameter symbols in NIST's order; false for a problem it does not know.
template <class Fit>
bool visit(const ctgrad::nist_problem& p, Fit&& fit) {
    using ctgrad::exp;
    using ctgrad::square;
    using ctgrad::pow;
    const auto batch = ctgrad::make_batch(x = p.x, y = p.y);
    const std::string_view name = p.name;
    const auto exponentials = b1 * exp(-(b2 * x)) + b3 * exp(-(b4 * x)) + b5 * exp(-(b6 * x)) - y;
    const auto gaussians = b1 * exp(-(b2 * x)) + b3 * exp(-(square(x - b4) / square(b5))) +
                           b6 * exp(-(square(x - b7) / square(b8))) - y;
    const auto cubic_ratio = (b1 + b2 * x + b3 * square(x) + b4 * pow<3>(x)) / (1_c + b5 * x + b6 * square(x) + b7 * pow<3>(x)) - y;
    if (name == "Misra1a" || name == "BoxBOD") fit(b1 * (1_c - exp(-(b2 * x))) - y, batch, b1, b2);
    else if (name == "Misra1b") fit(b1 * (1_c - 1_c / square(1_c + b2 * x / 2_c)) - y, batch, b1, b2);
    else if (name == "Misra1c") fit(b1 * (1_c - 1_c / ctgrad::sqrt(1_c + 2_c * b2 * x)) - y, batch, b1, b2);
    else if (name == "Misra1d") fit(b1 * b2 * x / (1_c + b2 * x) - y, batch, b1, b2);
    else if (name == "Chwirut1" || name == "Chwirut2") fit(exp(-(b1 * x)) / (b2 + b3 * x) - y, batch, b1, b2, b3);
    else if (name == "Lanczos1" || name == "Lanczos2" || name == "Lanczos3") fit(exponentials, batch, b1, b2, b3, b4, b5, b6);
    else if (name == "Gauss1" || name == "Gauss2" || name == "Gauss3") fit(gaussians, batch, b1, b2, b3, b4, b5, b6, b7, b8);
    else if (name == "DanWood") fit(b1 * pow(x, b2) - y, batch, b1, b2);
    else if (name == "Kirby2")
        fit((b1 + b2 * x + b3 * square(x)) / (1_c + b4 * x + b5 * square(x)) - y, batch, b1, b2, b3, b4, b5);
    else if (name == "Hahn1" || name == "Thurber") fit(cubic_ratio, batch, b1, b2, b3, b4, b5, b6, b7);
    else if (name == "MGH17") fit(b1 + b2 * exp(-(x * b4)) + b3 * exp(-(x * b5)) - y, batch, b1, b2, b3, b4, b5);
    else if (name == "MGH09") fit(b1 * (square(x) + x * b2) / (square(x) + x * b3 + b4) - y, batch, b1, b2, b3, b4);
    else if (name == "MGH10") fit(b1 * exp(b2 / (x + b3)) - y, batch, b1, b2, b3);
    else if (name == "Rat42") fit(b1 / (1_c + exp(b2 - b3 * x)) - y, batch, b1, b2, b3);
    else if (name == "Rat43") fit(b1 / pow(1_c + exp(b2 - b3 * x), 1_c / b4) - y, batch, b1, b2, b3, b4);
    else if (name == "Roszman1") fit(b1 - b2 * x - (1 / std::numbers::pi) * ctgrad::atan(b3 / (x - b4)) - y, batch, b1, b2, b3, b4);
    else if (name == "Eckerle4") fit(b1 / b2 * exp(-(square((x - b3) / b2) / 2_c)) - y, batch, b1, b2, b3);
    else if (name == "Bennett5") fit(b1 * pow(b2 + x, -(1_c / b3)) - y, batch, b1, b2, b3);
    else if (name == "ENSO") {
        constexpr double two_pi = 2 * std::numbers::pi;
        const auto angle = two_pi * x;
        fit(b1 + b2 * ctgrad::cos(angle / 12_c) + b3 * ctgrad::sin(angle / 12_c) + b5 * ctgrad::cos(angle / b4) +
                b6 * ctgrad::sin(angle / b4) + b8 * ctgrad::cos(angle / b7) + b9 * ctgrad::sin(angle / b7) - y,
            batch, b1, b2, b3, b4, b5, b6, b7, b8, b9);
    } else if (name == "Nelson") {
        // NIST fits log y.
        const xt::xtensor<double, 1> first = xt::view(p.predictors, xt::all(), 0);
        const xt::xtensor<double, 1> second = xt::view(p.predictors, xt::all(), 1);
        fit(b1 - b2 * x1 * exp(-(b3 * x2)) - ctgrad::log(y), ctgrad::make_batch(x1 = first, x2 = second, y = p.y), b1, b2, b3);
    } else {
        return false;
    }
    return true;
}

/// The .dat files of `places`: every .dat file in each directory and each file named, sorted by
/// file name. Throws std::invalid_argument for a place that is neither.
inline std::vector<std::filesystem::path> dat_files(const std::vector<std::string>& places) {
    std::vector<std::filesystem::path> files;
    for (const auto& place : places) {
        if (std::filesystem::is_directory(place)) {
            for (const auto& entry : std::filesystem::directory_iterator(place))
                if (entry.path().extension() == ".dat") files.push_back(entry.path());
        } else if (std::filesystem::exists(place)) {
            files.emplace_back(place);
        } else {
            throw std::invalid_argument(place + " is neither a directory nor a file; pass data/nist or NIST .dat files");
        }
    }
    std::sort(files.begin(), files.end(), [](const auto& a, const auto& b) { return a.filename() < b.filename(); });
    return files;
}

/// The problem's parameters in a store, at start 1 or 2 (NIST's order).
template <class... P>
auto parameters_at(const ctgrad::nist_problem& p, int start, P... symbols) {
    const auto& values = start == 1 ? p.start1 : p.start2;
    return [&]<std::size_t... I>(std::index_sequence<I...>) {
        return ctgrad::make_parameters((symbols = values[I])...);
    }(std::index_sequence_for<P...>{});
}

} // namespace examples::nist

#endif // CTGRAD_EXAMPLES_NIST_MODELS_HPP
