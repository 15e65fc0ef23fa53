// tests/laws/finite_difference_law.hpp: the finite-difference law shared by the law test files
// (test_finite_differences.cpp: every op; test_finite_differences_nested.cpp: reductions nested in
// a reduction's body by a vector symbol, kept apart so that no one file costs too much to compile).
// Include it after defining BOOST_TEST_MODULE.
//
// Law: every symbolic derivative agrees with a central finite difference of the function
// it differentiates.
//
//   - Each op has one test case. The op is applied to non-trivial inner expressions of two
//     scalar params a and p, so the chain rule and the product rule are exercised, and is
//     checked at kPointsPerOp points drawn by a seeded std::mt19937_64 inside the op's
//     domain (away from poles, from the kinks of abs/min/max and from select boundaries).
//   - First derivatives d(e, a) and d(e, p) are compared with central differences of
//     eval(e) (relative tolerance 1e-6).
//   - Second derivatives d(d(e, a), a), d(d(e, a), p), d(d(e, p), a) and d(d(e, p), p) are
//     compared with central differences of the exact first derivative, which the first
//     check has already validated (relative tolerance 1e-4).
//   - The vector rule: for random lengths n in [1, 64], each component of d(e, w) by a
//     param_vec w is compared with a central difference on w[i]; the mixed derivatives
//     d(d(e, w), a) and d(d(e, a), w) with a central difference of d(e, a) on w[i], and
//     d(d(e, w), a) also with a central difference of d(e, w)[i] on a.
//
// Every check records the worst relative error over all points and asserts on it once,
// with the op, the derivative, the point, the exact and the finite-difference values in
// the message. Run with --log_level=message to see the worst error of every check.
#ifndef CTGRAD_TESTS_LAWS_FINITE_DIFFERENCE_LAW_HPP
#define CTGRAD_TESTS_LAWS_FINITE_DIFFERENCE_LAW_HPP

#include <boost/test/unit_test.hpp>

#include <ctgrad/ctgrad.hpp>

#include <xtensor/xtensor.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <random>
#include <sstream>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace fd_law {

using namespace ctgrad::literals;

inline constexpr ctgrad::param<"a"> a;
inline constexpr ctgrad::param<"p"> p;
inline constexpr ctgrad::param_vec<"w"> w;
inline constexpr ctgrad::input_vec<"x"> x;
inline constexpr ctgrad::input<"y"> y;

// The engine's output is fixed by the standard; the distributions' are per standard
// library, so the points are reproducible for one standard library (libstdc++ here).
using rng_t = std::mt19937_64;

inline constexpr int kPointsPerOp = 200;        // >= 100 points per op, as the law requires
inline constexpr int kMinPoints = 100;
inline constexpr int kVectorLengths = 32;       // vector rule: n = 1, n = 64, then 30 random n in [1, 64]
inline constexpr std::size_t kMaxLength = 64;
inline constexpr double kFirstTol = 1e-6;       // relative, first derivatives
inline constexpr double kSecondTol = 1e-4;      // relative, second derivatives
inline constexpr double kKinkMargin = 0.05;     // distance kept from kinks of abs/min/max and select boundaries

// The relative error |exact - fd| / max(|exact|, |fd|, kFloor). The floor makes the check
// absolute (tolerance * 1e-3) for derivatives whose magnitude is below 1e-3, e.g. where a
// derivative crosses zero (cos near its extremum, a product near a root of one factor).
// There the relative error is meaningless: the finite difference cannot resolve a value
// much below its rounding error, about eps * |f| / h ~ 1e-12 |f| with the stencil below,
// while every function value tested here is at most a few hundred (a sum over 64
// elements is the largest). 1e-3 is far above that noise and far below the O(1e-1..1e1)
// size of a typical derivative, so a wrong rule (off by a term, a factor or a sign) still
// shows as an O(1) relative error.
inline constexpr double kFloor = 1e-3;

// The step is relative to the point: h = kStepRel * max(1, |v|). With the fourth-order
// five-point central stencil (below) the truncation error is about h^4 f^(5) / 30 ~ 3e-16
// f^(5) and the rounding error about 1.5 eps |f| / h ~ 1e-12 |f|; 3e-4 balances the two
// (with 1e-3, truncation reaches half the tolerance for pow<5>; with 1e-4, rounding in the
// 64-element sums reaches 4%); with it the worst error of every check is at most ~1% of
// its tolerance. (The two-point stencil with h ~ 1e-6 would leave a rounding error of
// ~1e-10 |f|, too close to 1e-6 * kFloor for functions of size O(10) and more.)
inline constexpr double kStepRel = 3e-4;

// ---------------------------------------------------------------------------------------
// Finite differences

/// The step used at v, rounded so that v + h is exactly representable (h = (v + h) - v).
inline double step_at(double v) {
    const double h = kStepRel * std::max(1.0, std::abs(v));
    const double shifted = v + h;
    return shifted - v;
}

/// The central five-point stencil f'(v) ~ (f(v-2h) - 8 f(v-h) + 8 f(v+h) - f(v+2h)) / 12h,
/// from the four values around v.
inline double stencil(double fm2, double fm1, double fp1, double fp2, double h) {
    return (fm2 - 8.0 * fm1 + 8.0 * fp1 - fp2) / (12.0 * h);
}

/// The central finite difference of f at v.
template <class F>
double central_difference(const F& f, double v) {
    const double h = step_at(v);
    return stencil(f(v - 2.0 * h), f(v - h), f(v + h), f(v + 2.0 * h), h);
}

inline double relative_error(double exact, double fd) {
    if (!std::isfinite(exact) || !std::isfinite(fd)) return std::numeric_limits<double>::infinity();
    return std::abs(exact - fd) / std::max({std::abs(exact), std::abs(fd), kFloor});
}

inline std::string fmt(double v) {
    std::ostringstream s;
    s.precision(17);
    s << v;
    return s.str();
}

inline std::uint64_t seed_of(std::string_view name) { // FNV-1a: each case has its own fixed seed
    std::uint64_t hash = 14695981039346656037ull;
    for (const char ch : name) {
        hash ^= static_cast<unsigned char>(ch);
        hash *= 1099511628211ull;
    }
    return hash;
}

inline double uniform(rng_t& rng, double lo, double hi) { return std::uniform_real_distribution<double>(lo, hi)(rng); }

/// The worst relative error of one check (one derivative of one op) over all its points.
struct worst_error {
    std::string m_what;
    double m_tol;
    double m_rel = 0.0;
    double m_exact = 0.0;
    double m_fd = 0.0;
    std::string m_where = "(no point checked)";
    int m_count = 0;

    worst_error(std::string what, double tol) : m_what(std::move(what)), m_tol(tol) {}

    template <class Where>
    void record(double exact, double fd, const Where& where) {
        ++m_count;
        const double rel = relative_error(exact, fd);
        if (m_count == 1 || rel > m_rel) {
            m_rel = rel;
            m_exact = exact;
            m_fd = fd;
            m_where = where();
        }
    }

    void report(std::string_view name, int min_count) const {
        BOOST_TEST_MESSAGE(name << ": " << m_what << ": worst relative error " << fmt(m_rel) << " over " << m_count
                                << " checks (tolerance " << m_tol << ")");
        BOOST_TEST(m_count >= min_count, name << ": " << m_what << " was checked only " << m_count << " times");
        BOOST_TEST(m_rel <= m_tol, name << ": " << m_what << " disagrees with its central finite difference: "
                                        << "relative error " << fmt(m_rel) << " > " << m_tol << " at " << m_where
                                        << ": exact " << fmt(m_exact) << ", finite difference " << fmt(m_fd)
                                        << " (seed " << seed_of(name) << ")");
    }
};

// ---------------------------------------------------------------------------------------
// Scalar law: e is a scalar expression of the params a and p (and maybe of the input x).

struct point {
    double m_a = 0.0;
    double m_p = 0.0;
    std::vector<double> m_xs; // bound to x; empty unless the op needs a vector
};

inline std::string describe(const point& pt, int index) {
    std::ostringstream s;
    s.precision(17);
    s << "point #" << index << " (a = " << pt.m_a << ", p = " << pt.m_p;
    if (!pt.m_xs.empty()) s << ", n = " << pt.m_xs.size() << ", x[0] = " << pt.m_xs[0];
    s << ")";
    return s.str();
}

/// eval(expr) at pt with a and p replaced by av and pv. x is always bound (an unused
/// binding is allowed), so one helper serves every op. noinline (here and for vectors):
/// each expression's evaluator is then compiled once instead of being inlined into every
/// stencil call site, which cuts the -O2 compile time of this file by about a quarter.
template <class E>
[[gnu::noinline]] double value_at(const E& expr, const point& pt, double av, double pv) {
    const auto v = ctgrad::eval(expr, a = av, p = pv, x = pt.m_xs);
    static_assert(std::is_same_v<std::remove_cv_t<decltype(v)>, double>, "the scalar law needs scalar expressions");
    return v;
}

template <class E>
double value_at(const E& expr, const point& pt) { return value_at(expr, pt, pt.m_a, pt.m_p); }

/// Checks the first and second derivatives of e by a and p against central differences
/// at kPointsPerOp points drawn by sample(rng).
template <class E, class Sampler>
void check_scalar_law(std::string_view name, const E& e, const Sampler& sample) {
    const auto da = ctgrad::d(e, a);
    const auto dp = ctgrad::d(e, p);
    const auto daa = ctgrad::d(da, a);
    const auto dap = ctgrad::d(da, p);
    const auto dpa = ctgrad::d(dp, a);
    const auto dpp = ctgrad::d(dp, p);

    worst_error first_a{"d(e, a)", kFirstTol}, first_p{"d(e, p)", kFirstTol};
    worst_error second_aa{"d(d(e, a), a)", kSecondTol}, second_ap{"d(d(e, a), p)", kSecondTol};
    worst_error second_pa{"d(d(e, p), a)", kSecondTol}, second_pp{"d(d(e, p), p)", kSecondTol};
    int non_finite_values = 0;

    rng_t rng(seed_of(name));
    for (int i = 0; i < kPointsPerOp; ++i) {
        const point pt = sample(rng);
        const auto where = [&] { return describe(pt, i); };
        if (!std::isfinite(value_at(e, pt))) ++non_finite_values;

        // f along a (p fixed) and along p (a fixed).
        const auto along_a = [&](const auto& f) { return [&](double v) { return value_at(f, pt, v, pt.m_p); }; };
        const auto along_p = [&](const auto& f) { return [&](double v) { return value_at(f, pt, pt.m_a, v); }; };

        first_a.record(value_at(da, pt), central_difference(along_a(e), pt.m_a), where);
        first_p.record(value_at(dp, pt), central_difference(along_p(e), pt.m_p), where);
        second_aa.record(value_at(daa, pt), central_difference(along_a(da), pt.m_a), where);
        second_ap.record(value_at(dap, pt), central_difference(along_p(da), pt.m_p), where);
        second_pa.record(value_at(dpa, pt), central_difference(along_a(dp), pt.m_a), where);
        second_pp.record(value_at(dpp, pt), central_difference(along_p(dp), pt.m_p), where);
    }

    BOOST_TEST(non_finite_values == 0,
               name << ": the sampler left the domain of e at " << non_finite_values << " points");
    for (const auto* check : {&first_a, &first_p, &second_aa, &second_ap, &second_pa, &second_pp})
        check->report(name, kMinPoints);
}

/// (a, p) uniform in [a_lo, a_hi] x [p_lo, p_hi].
inline auto box(double a_lo, double a_hi, double p_lo, double p_hi) {
    return [=](rng_t& rng) {
        point pt;
        pt.m_a = uniform(rng, a_lo, a_hi);
        pt.m_p = uniform(rng, p_lo, p_hi);
        return pt;
    };
}

/// Points of `sample` for which keep(pt) holds (rejection sampling).
template <class Sampler, class Keep>
auto only_where(Sampler sample, Keep keep) {
    return [=](rng_t& rng) {
        for (;;) {
            point pt = sample(rng);
            if (keep(pt)) return pt;
        }
    };
}

/// Points where the scalar expression g is at least kKinkMargin away from 0: g is the
/// argument of abs, the difference of the arguments of min/max, or the difference of
/// the two sides of a select's comparison. The finite-difference stencil reaches at most
/// 2h = 6e-4 * max(1, |v|) <= 1.2e-3 away from the point in a or p (|a|, |p| <= 2), so with
/// |grad g| < 40 it never crosses the kink.
template <class Sampler, class G>
auto away_from_zero_of(Sampler sample, G g) {
    return only_where(sample, [=](const point& pt) { return std::abs(value_at(g, pt)) > kKinkMargin; });
}

/// Adds x: n uniform in [1, 64], x[i] uniform in [-1, 1].
template <class Sampler>
auto with_vector(Sampler sample) {
    return [=](rng_t& rng) {
        point pt = sample(rng);
        const auto n = std::uniform_int_distribution<std::size_t>(1, kMaxLength)(rng);
        pt.m_xs.resize(n);
        for (auto& xi : pt.m_xs) xi = uniform(rng, -1.0, 1.0);
        return pt;
    };
}

// ---------------------------------------------------------------------------------------
// Vector rule: derivatives by a param_vec w, component by component.

struct vector_point {
    double m_a = 0.0;
    double m_y = 0.0;
    std::vector<double> m_xs;
    std::vector<double> m_ws;
};

inline std::string describe(const vector_point& pt) {
    std::ostringstream s;
    s.precision(17);
    s << "n = " << pt.m_ws.size() << " (a = " << pt.m_a << ", y = " << pt.m_y << ", w[0] = " << pt.m_ws[0]
      << ", x[0] = " << pt.m_xs[0] << ")";
    return s.str();
}

inline std::string describe(const vector_point& pt, std::size_t i) {
    std::ostringstream s;
    s.precision(17);
    s << "n = " << pt.m_ws.size() << ", component i = " << i << " (w[i] = " << pt.m_ws[i] << ", x[i] = " << pt.m_xs[i]
      << ", a = " << pt.m_a << ", y = " << pt.m_y << ")";
    return s.str();
}

template <class E>
[[gnu::noinline]] auto value_at(const E& expr, const vector_point& pt, double av, const std::vector<double>& ws) {
    return ctgrad::eval(expr, a = av, w = ws, x = pt.m_xs, y = pt.m_y);
}

/// Component i of a derivative by w. A derivative that simplified to a scalar stands for
/// the same value in every component.
template <class R>
double component(const R& r, std::size_t i) {
    if constexpr (std::is_arithmetic_v<R>) return static_cast<double>(r);
    else return static_cast<double>(r(i));
}

template <class R>
bool has_length(const R& r, std::size_t n) {
    if constexpr (std::is_arithmetic_v<R>) return true;
    else return r.size() == n;
}

/// x[i], w[i], a, y uniform in [-1, 1].
inline vector_point default_vector_point(rng_t& rng, std::size_t n) {
    vector_point pt;
    pt.m_a = uniform(rng, -1.0, 1.0);
    pt.m_y = uniform(rng, -1.0, 1.0);
    pt.m_xs.resize(n);
    pt.m_ws.resize(n);
    for (auto& xi : pt.m_xs) xi = uniform(rng, -1.0, 1.0);
    for (auto& wi : pt.m_ws) wi = uniform(rng, -1.0, 1.0);
    return pt;
}

/// Checks d(e, w), d(e, a), d(d(e, w), a) and d(d(e, a), w) against central differences
/// for n = 1, n = 64 and kVectorLengths - 2 random n in [1, 64].
template <class E, class Sampler>
void check_vector_law(std::string_view name, const E& e, const Sampler& sample) {
    const auto dw = ctgrad::d(e, w);
    const auto da = ctgrad::d(e, a);
    const auto dwa = ctgrad::d(dw, a);
    const auto daw = ctgrad::d(da, w);

    worst_error first_w{"d(e, w)[i] vs FD of e on w[i]", kFirstTol};
    worst_error first_a{"d(e, a) vs FD of e on a", kFirstTol};
    worst_error mixed_wa{"d(d(e, w), a)[i] vs FD of d(e, a) on w[i]", kSecondTol};
    worst_error mixed_wa_by_a{"d(d(e, w), a)[i] vs FD of d(e, w)[i] on a", kSecondTol};
    worst_error mixed_aw{"d(d(e, a), w)[i] vs FD of d(e, a) on w[i]", kSecondTol};
    int wrong_lengths = 0;

    rng_t rng(seed_of(name));
    std::uniform_int_distribution<std::size_t> length(1, kMaxLength);
    for (int k = 0; k < kVectorLengths; ++k) {
        const std::size_t n = k == 0 ? 1 : k == 1 ? kMaxLength : length(rng);
        const vector_point pt = sample(rng, n);

        const auto g_w = value_at(dw, pt, pt.m_a, pt.m_ws);
        const auto g_wa = value_at(dwa, pt, pt.m_a, pt.m_ws);
        const auto g_aw = value_at(daw, pt, pt.m_a, pt.m_ws);
        if (!has_length(g_w, n) || !has_length(g_wa, n) || !has_length(g_aw, n)) ++wrong_lengths;

        first_a.record(value_at(da, pt, pt.m_a, pt.m_ws),
                       central_difference([&](double v) { return value_at(e, pt, v, pt.m_ws); }, pt.m_a),
                       [&] { return describe(pt); });

        // d(e, w) at the four stencil points along a, for the FD of d(e, w)[i] on a.
        const double h_a = step_at(pt.m_a);
        const auto g_w_m2 = value_at(dw, pt, pt.m_a - 2.0 * h_a, pt.m_ws);
        const auto g_w_m1 = value_at(dw, pt, pt.m_a - h_a, pt.m_ws);
        const auto g_w_p1 = value_at(dw, pt, pt.m_a + h_a, pt.m_ws);
        const auto g_w_p2 = value_at(dw, pt, pt.m_a + 2.0 * h_a, pt.m_ws);

        std::vector<double> ws = pt.m_ws;
        for (std::size_t i = 0; i < n; ++i) {
            const auto where = [&] { return describe(pt, i); };
            const auto along_wi = [&](const auto& f) {
                return [&](double v) {
                    ws[i] = v;
                    const double r = value_at(f, pt, pt.m_a, ws);
                    ws[i] = pt.m_ws[i];
                    return r;
                };
            };
            const double fd_e = central_difference(along_wi(e), pt.m_ws[i]);
            const double fd_da = central_difference(along_wi(da), pt.m_ws[i]);
            first_w.record(component(g_w, i), fd_e, where);
            mixed_wa.record(component(g_wa, i), fd_da, where);
            mixed_aw.record(component(g_aw, i), fd_da, where);
            mixed_wa_by_a.record(component(g_wa, i),
                                 stencil(component(g_w_m2, i), component(g_w_m1, i), component(g_w_p1, i),
                                         component(g_w_p2, i), h_a),
                                 where);
        }
    }

    BOOST_TEST(wrong_lengths == 0,
               name << ": a derivative by w had a length other than n at " << wrong_lengths << " points");
    first_a.report(name, kVectorLengths);
    // Components over all lengths: >= 95 by construction (n = 1, n = 64, 30 more), ~1000 in fact.
    for (const auto* check : {&first_w, &mixed_wa, &mixed_wa_by_a, &mixed_aw}) check->report(name, kMinPoints);
}

template <class E>
void check_vector_law(std::string_view name, const E& e) {
    check_vector_law(name, e, default_vector_point);
}

} // namespace fd_law

#endif // CTGRAD_TESTS_LAWS_FINITE_DIFFERENCE_LAW_HPP
