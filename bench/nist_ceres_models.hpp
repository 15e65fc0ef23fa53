// bench/nist_ceres_models.hpp: the 27 models of NIST's StRD nonlinear regression suite for
// Ceres Solver's automatic differentiation (bench_least_squares), written from the formulas
// NIST publishes with each problem, the same formulas as examples/nist_models.hpp gives ctgrad.
// Each model is a struct with `parameters` (N) and `value(b, x, x2)`, templated on the number
// type so that Ceres can call it with its Jets; x2 is Nelson's second predictor (0 elsewhere).
// Nelson fits log y (`log_response`). nist_ceres::visit(name, fit) calls
// fit(std::type_identity<Model>{}) for the problem's model.
#ifndef CTGRAD_BENCH_NIST_CERES_MODELS_HPP
#define CTGRAD_BENCH_NIST_CERES_MODELS_HPP

#include <cmath>
#include <numbers>
#include <string_view>
#include <type_traits>

namespace nist_ceres {

// Unqualified calls find std:: for double and ceres:: (by argument-dependent lookup) for Jets.
using std::atan;
using std::cos;
using std::exp;
using std::log;
using std::pow;
using std::sin;
using std::sqrt;

inline constexpr double pi = std::numbers::pi;

// y = b1 (1 - exp(-b2 x))
struct misra1a {
    static constexpr int parameters = 2;
    template <class T>
    static T value(const T* b, double x, double) { return b[0] * (1.0 - exp(-b[1] * x)); }
};
using boxbod = misra1a; // the same model

// y = b1 (1 - (1 + b2 x / 2)^-2)
struct misra1b {
    static constexpr int parameters = 2;
    template <class T>
    static T value(const T* b, double x, double) {
        const T u = 1.0 + b[1] * x / 2.0;
        return b[0] * (1.0 - 1.0 / (u * u));
    }
};

// y = b1 (1 - (1 + 2 b2 x)^-1/2)
struct misra1c {
    static constexpr int parameters = 2;
    template <class T>
    static T value(const T* b, double x, double) { return b[0] * (1.0 - 1.0 / sqrt(1.0 + 2.0 * b[1] * x)); }
};

// y = b1 b2 x / (1 + b2 x)
struct misra1d {
    static constexpr int parameters = 2;
    template <class T>
    static T value(const T* b, double x, double) { return b[0] * b[1] * x / (1.0 + b[1] * x); }
};

// y = exp(-b1 x) / (b2 + b3 x)   (Chwirut1, Chwirut2)
struct chwirut {
    static constexpr int parameters = 3;
    template <class T>
    static T value(const T* b, double x, double) { return exp(-b[0] * x) / (b[1] + b[2] * x); }
};

// y = b1 exp(-b2 x) + b3 exp(-b4 x) + b5 exp(-b6 x)   (Lanczos1, 2, 3)
struct lanczos {
    static constexpr int parameters = 6;
    template <class T>
    static T value(const T* b, double x, double) {
        return b[0] * exp(-b[1] * x) + b[2] * exp(-b[3] * x) + b[4] * exp(-b[5] * x);
    }
};

// y = b1 exp(-b2 x) + b3 exp(-(x - b4)² / b5²) + b6 exp(-(x - b7)² / b8²)   (Gauss1, 2, 3)
struct gauss {
    static constexpr int parameters = 8;
    template <class T>
    static T value(const T* b, double x, double) {
        const T u = x - b[3], v = x - b[6];
        return b[0] * exp(-b[1] * x) + b[2] * exp(-(u * u) / (b[4] * b[4])) + b[5] * exp(-(v * v) / (b[7] * b[7]));
    }
};

// y = b1 x^b2
struct danwood {
    static constexpr int parameters = 2;
    template <class T>
    static T value(const T* b, double x, double) { return b[0] * pow(x, b[1]); }
};

// y = (b1 + b2 x + b3 x²) / (1 + b4 x + b5 x²)
struct kirby2 {
    static constexpr int parameters = 5;
    template <class T>
    static T value(const T* b, double x, double) {
        return (b[0] + b[1] * x + b[2] * (x * x)) / (1.0 + b[3] * x + b[4] * (x * x));
    }
};

// y = (b1 + b2 x + b3 x² + b4 x³) / (1 + b5 x + b6 x² + b7 x³)   (Hahn1, Thurber)
struct cubic_ratio {
    static constexpr int parameters = 7;
    template <class T>
    static T value(const T* b, double x, double) {
        const double x2 = x * x, x3 = x2 * x;
        return (b[0] + b[1] * x + b[2] * x2 + b[3] * x3) / (1.0 + b[4] * x + b[5] * x2 + b[6] * x3);
    }
};

// y = b1 + b2 exp(-x b4) + b3 exp(-x b5)
struct mgh17 {
    static constexpr int parameters = 5;
    template <class T>
    static T value(const T* b, double x, double) { return b[0] + b[1] * exp(-x * b[3]) + b[2] * exp(-x * b[4]); }
};

// y = b1 (x² + x b2) / (x² + x b3 + b4)
struct mgh09 {
    static constexpr int parameters = 4;
    template <class T>
    static T value(const T* b, double x, double) { return b[0] * (x * x + x * b[1]) / (x * x + x * b[2] + b[3]); }
};

// y = b1 exp(b2 / (x + b3))
struct mgh10 {
    static constexpr int parameters = 3;
    template <class T>
    static T value(const T* b, double x, double) { return b[0] * exp(b[1] / (x + b[2])); }
};

// y = b1 / (1 + exp(b2 - b3 x))
struct rat42 {
    static constexpr int parameters = 3;
    template <class T>
    static T value(const T* b, double x, double) { return b[0] / (1.0 + exp(b[1] - b[2] * x)); }
};

// y = b1 / (1 + exp(b2 - b3 x))^(1/b4)
struct rat43 {
    static constexpr int parameters = 4;
    template <class T>
    static T value(const T* b, double x, double) { return b[0] / pow(1.0 + exp(b[1] - b[2] * x), 1.0 / b[3]); }
};

// y = (b1 / b2) exp(-((x - b3) / b2)² / 2)
struct eckerle4 {
    static constexpr int parameters = 3;
    template <class T>
    static T value(const T* b, double x, double) {
        const T u = (x - b[2]) / b[1];
        return b[0] / b[1] * exp(-0.5 * (u * u));
    }
};

// y = b1 (b2 + x)^(-1/b3)
struct bennett5 {
    static constexpr int parameters = 3;
    template <class T>
    static T value(const T* b, double x, double) { return b[0] * pow(b[1] + x, -1.0 / b[2]); }
};

// y = b1 + b2 cos(2πx/12) + b3 sin(2πx/12) + b5 cos(2πx/b4) + b6 sin(2πx/b4)
//        + b8 cos(2πx/b7) + b9 sin(2πx/b7)
struct enso {
    static constexpr int parameters = 9;
    template <class T>
    static T value(const T* b, double x, double) {
        const double angle = 2 * pi * x;
        return b[0] + b[1] * cos(angle / 12.0) + b[2] * sin(angle / 12.0) + b[4] * cos(angle / b[3]) +
               b[5] * sin(angle / b[3]) + b[7] * cos(angle / b[6]) + b[8] * sin(angle / b[6]);
    }
};

// y = b1 - b2 x - arctan(b3 / (x - b4)) / π   (NIST's arctan: not atan2, whose branch for
// x - b4 < 0, which holds for all of the data, differs by π)
struct roszman1 {
    static constexpr int parameters = 4;
    template <class T>
    static T value(const T* b, double x, double) { return b[0] - b[1] * x - atan(b[2] / (x - b[3])) / pi; }
};

// log y = b1 - b2 x1 exp(-b3 x2)
struct nelson {
    static constexpr int parameters = 3;
    static constexpr bool log_response = true;
    template <class T>
    static T value(const T* b, double x1, double x2) { return b[0] - b[1] * x1 * exp(-b[2] * x2); }
};

/// Calls fit(std::type_identity<Model>{}) with the model of the problem named `name` (NIST's
/// "Dataset Name"); false for a name it does not know.
template <class Fit>
bool visit(std::string_view name, Fit&& fit) {
    const auto is = [&](auto... names) { return ((name == names) || ...); };
    if (is("Misra1a", "BoxBOD")) fit(std::type_identity<misra1a>{});
    else if (is("Misra1b")) fit(std::type_identity<misra1b>{});
    else if (is("Misra1c")) fit(std::type_identity<misra1c>{});
    else if (is("Misra1d")) fit(std::type_identity<misra1d>{});
    else if (is("Chwirut1", "Chwirut2")) fit(std::type_identity<chwirut>{});
    else if (is("Lanczos1", "Lanczos2", "Lanczos3")) fit(std::type_identity<lanczos>{});
    else if (is("Gauss1", "Gauss2", "Gauss3")) fit(std::type_identity<gauss>{});
    else if (is("DanWood")) fit(std::type_identity<danwood>{});
    else if (is("Kirby2")) fit(std::type_identity<kirby2>{});
    else if (is("Hahn1", "Thurber")) fit(std::type_identity<cubic_ratio>{});
    else if (is("MGH17")) fit(std::type_identity<mgh17>{});
    else if (is("MGH09")) fit(std::type_identity<mgh09>{});
    else if (is("MGH10")) fit(std::type_identity<mgh10>{});
    else if (is("Rat42")) fit(std::type_identity<rat42>{});
    else if (is("Rat43")) fit(std::type_identity<rat43>{});
    else if (is("Eckerle4")) fit(std::type_identity<eckerle4>{});
    else if (is("Bennett5")) fit(std::type_identity<bennett5>{});
    else if (is("ENSO")) fit(std::type_identity<enso>{});
    else if (is("Roszman1")) fit(std::type_identity<roszman1>{});
    else if (is("Nelson")) fit(std::type_identity<nelson>{});
    else return false;
    return true;
}

} // namespace nist_ceres

#endif // CTGRAD_BENCH_NIST_CERES_MODELS_HPP
