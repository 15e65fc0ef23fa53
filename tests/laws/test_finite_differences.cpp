#define BOOST_TEST_MODULE ctgrad_finite_difference_laws
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

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

using namespace ctgrad::literals;

namespace {

constexpr ctgrad::param<"a"> a;
constexpr ctgrad::param<"p"> p;
constexpr ctgrad::param_vec<"w"> w;
constexpr ctgrad::input_vec<"x"> x;
constexpr ctgrad::input<"y"> y;

// The engine's output is fixed by the standard; the distributions' are per standard
// library, so the points are reproducible for one standard library (libstdc++ here).
using rng_t = std::mt19937_64;

constexpr int kPointsPerOp = 200;        // >= 100 points per op, as the law requires
constexpr int kMinPoints = 100;
constexpr int kVectorLengths = 32;       // vector rule: n = 1, n = 64, then 30 random n in [1, 64]
constexpr std::size_t kMaxLength = 64;
constexpr double kFirstTol = 1e-6;       // relative, first derivatives
constexpr double kSecondTol = 1e-4;      // relative, second derivatives
constexpr double kKinkMargin = 0.05;     // distance kept from kinks of abs/min/max and select boundaries

// The relative error |exact - fd| / max(|exact|, |fd|, kFloor). The floor makes the check
// absolute (tolerance * 1e-3) for derivatives whose magnitude is below 1e-3, e.g. where a
// derivative crosses zero (cos near its extremum, a product near a root of one factor).
// There the relative error is meaningless: the finite difference cannot resolve a value
// much below its rounding error, about eps * |f| / h ~ 1e-12 |f| with the stencil below,
// while every function value tested here is at most a few hundred (a sum over 64
// elements is the largest). 1e-3 is far above that noise and far below the O(1e-1..1e1)
// size of a typical derivative, so a wrong rule (off by a term, a factor or a sign) still
// shows as an O(1) relative error.
constexpr double kFloor = 1e-3;

// The step is relative to the point: h = kStepRel * max(1, |v|). With the fourth-order
// five-point central stencil (below) the truncation error is about h^4 f^(5) / 30 ~ 3e-16
// f^(5) and the rounding error about 1.5 eps |f| / h ~ 1e-12 |f|; 3e-4 balances the two
// (with 1e-3, truncation reaches half the tolerance for pow<5>; with 1e-4, rounding in the
// 64-element sums reaches 4%); with it the worst error of every check is at most ~1% of
// its tolerance. (The two-point stencil with h ~ 1e-6 would leave a rounding error of
// ~1e-10 |f|, too close to 1e-6 * kFloor for functions of size O(10) and more.)
constexpr double kStepRel = 3e-4;

// ---------------------------------------------------------------------------------------
// Finite differences

/// The step used at v, rounded so that v + h is exactly representable (h = (v + h) - v).
double step_at(double v) {
    const double h = kStepRel * std::max(1.0, std::abs(v));
    const double shifted = v + h;
    return shifted - v;
}

/// The central five-point stencil f'(v) ~ (f(v-2h) - 8 f(v-h) + 8 f(v+h) - f(v+2h)) / 12h,
/// from the four values around v.
double stencil(double fm2, double fm1, double fp1, double fp2, double h) {
    return (fm2 - 8.0 * fm1 + 8.0 * fp1 - fp2) / (12.0 * h);
}

/// The central finite difference of f at v.
template <class F>
double central_difference(const F& f, double v) {
    const double h = step_at(v);
    return stencil(f(v - 2.0 * h), f(v - h), f(v + h), f(v + 2.0 * h), h);
}

double relative_error(double exact, double fd) {
    if (!std::isfinite(exact) || !std::isfinite(fd)) return std::numeric_limits<double>::infinity();
    return std::abs(exact - fd) / std::max({std::abs(exact), std::abs(fd), kFloor});
}

std::string fmt(double v) {
    std::ostringstream s;
    s.precision(17);
    s << v;
    return s.str();
}

std::uint64_t seed_of(std::string_view name) { // FNV-1a: each case has its own fixed seed
    std::uint64_t hash = 14695981039346656037ull;
    for (const char ch : name) {
        hash ^= static_cast<unsigned char>(ch);
        hash *= 1099511628211ull;
    }
    return hash;
}

double uniform(rng_t& rng, double lo, double hi) { return std::uniform_real_distribution<double>(lo, hi)(rng); }

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

std::string describe(const point& pt, int index) {
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
auto box(double a_lo, double a_hi, double p_lo, double p_hi) {
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

} // namespace

// A guard on the oracle itself: the stencil and step reproduce known derivatives far
// inside the tolerances, so a failure below is the library's, not the finite difference's.
BOOST_AUTO_TEST_CASE(finite_difference_oracle_is_accurate) {
    rng_t rng(seed_of("oracle"));
    double worst = 0.0;
    for (int i = 0; i < kPointsPerOp; ++i) {
        const double v = uniform(rng, -3.0, 3.0);
        worst = std::max(worst,
                         relative_error(std::cos(v), central_difference([](double t) { return std::sin(t); }, v)));
        worst = std::max(worst, relative_error(3.0 * std::exp(3.0 * v),
                                               central_difference([](double t) { return std::exp(3.0 * t); }, v)));
        worst = std::max(worst, relative_error(-1.0 / ((v + 4.0) * (v + 4.0)),
                                               central_difference([](double t) { return 1.0 / (t + 4.0); }, v)));
    }
    BOOST_TEST_MESSAGE("oracle: worst relative error " << fmt(worst));
    BOOST_TEST(worst <= kFirstTol * 1e-2, "the finite-difference oracle itself is off by " << fmt(worst));
}

// ---------------------------------------------------------------------------------------
// Arithmetic

BOOST_AUTO_TEST_CASE(op_add) {
    check_scalar_law("add", a * p * p + (0.5 * a - p) * a, box(-2, 2, -2, 2));
}

BOOST_AUTO_TEST_CASE(op_sub) {
    check_scalar_law("sub", a * a * p - (p - 0.25 * a) * p * a, box(-2, 2, -2, 2));
}

BOOST_AUTO_TEST_CASE(op_mul) {
    check_scalar_law("mul", (a * p + 1_c) * (a - 2_c * p + 0.75 * a * p), box(-2, 2, -2, 2));
}

BOOST_AUTO_TEST_CASE(op_div) {
    // The denominator is >= 1: no pole in the domain.
    check_scalar_law("div", (a * p - p) / (a * a + p * p + 1_c), box(-2, 2, -2, 2));
}

BOOST_AUTO_TEST_CASE(op_neg) {
    check_scalar_law("neg", -(a * p * p - 0.5 * a) * (a + p), box(-2, 2, -2, 2));
}

BOOST_AUTO_TEST_CASE(op_square) {
    check_scalar_law("square", ctgrad::square(a * p - p + 0.5 * a), box(-2, 2, -2, 2));
}

BOOST_AUTO_TEST_CASE(op_pow_minus_3) {
    // a * p + 2 is in [1, 3].
    check_scalar_law("pow<-3>", ctgrad::pow<-3>(a * p + 2_c), box(-1, 1, -1, 1));
}

BOOST_AUTO_TEST_CASE(op_pow_minus_1) {
    // Both signs of the base, |base| >= 0.5 (kept away from the pole at 0).
    const auto base = a * a - p;
    const auto far_from_pole = [=](const point& pt) { return std::abs(value_at(base, pt)) >= 0.5; };
    check_scalar_law("pow<-1>", ctgrad::pow<-1>(base), only_where(box(-1.5, 1.5, -1.5, 1.5), far_from_pole));
}

BOOST_AUTO_TEST_CASE(op_pow_3) {
    check_scalar_law("pow<3>", ctgrad::pow<3>(a * p - p + 0.5 * a), box(-2, 2, -2, 2));
}

BOOST_AUTO_TEST_CASE(op_pow_5) {
    check_scalar_law("pow<5>", ctgrad::pow<5>(a - p * p), box(-1.5, 1.5, -1.5, 1.5));
}

// ---------------------------------------------------------------------------------------
// Functions of one argument

BOOST_AUTO_TEST_CASE(op_exp) {
    check_scalar_law("exp", ctgrad::exp(a * p - p * p), box(-2, 2, -2, 2));
}

BOOST_AUTO_TEST_CASE(op_log) {
    // a^2 + p >= 0.2.
    check_scalar_law("log", ctgrad::log(a * a + p), box(-2, 2, 0.2, 3));
}

BOOST_AUTO_TEST_CASE(op_sqrt) {
    // a^2 p + 1 >= 0.2 for a in [-1, 1], p in [-0.8, 2].
    check_scalar_law("sqrt", ctgrad::sqrt(a * a * p + 1_c), box(-1, 1, -0.8, 2));
}

BOOST_AUTO_TEST_CASE(op_abs) {
    // Both signs of the argument, kept away from the kink at 0.
    const auto arg = a * p - p + 0.25;
    check_scalar_law("abs", ctgrad::abs(arg) * (a + 2_c), away_from_zero_of(box(-1.5, 1.5, -1.5, 1.5), arg));
}

BOOST_AUTO_TEST_CASE(op_sin) {
    check_scalar_law("sin", ctgrad::sin(a * p + p), box(-2, 2, -2, 2));
}

BOOST_AUTO_TEST_CASE(op_cos) {
    check_scalar_law("cos", ctgrad::cos(a * a - p), box(-2, 2, -2, 2));
}

BOOST_AUTO_TEST_CASE(op_tanh) {
    check_scalar_law("tanh", ctgrad::tanh(a * p + 0.5 * a), box(-2, 2, -2, 2));
}

BOOST_AUTO_TEST_CASE(op_sigmoid) {
    // The argument spans [-10, 10]: both branches of the overflow-safe evaluation.
    check_scalar_law("sigmoid", ctgrad::sigmoid(2_c * a * p - p), box(-2, 2, -2, 2));
}

// ---------------------------------------------------------------------------------------
// min, max, select: piecewise, checked away from the switching boundary

BOOST_AUTO_TEST_CASE(op_min) {
    const auto lhs = a * p;
    const auto rhs = a + p - 0.5;
    check_scalar_law("min", ctgrad::min(lhs, rhs), away_from_zero_of(box(-2, 2, -2, 2), lhs - rhs));
}

BOOST_AUTO_TEST_CASE(op_max) {
    const auto lhs = a * a - p;
    const auto rhs = p * a;
    check_scalar_law("max", ctgrad::max(lhs, rhs), away_from_zero_of(box(-2, 2, -2, 2), lhs - rhs));
}

BOOST_AUTO_TEST_CASE(op_select_less) {
    check_scalar_law("select(<)", ctgrad::select(a * p < p, ctgrad::sin(a) * p, a * a + p),
                     away_from_zero_of(box(-2, 2, -2, 2), a * p - p));
}

BOOST_AUTO_TEST_CASE(op_select_greater) {
    check_scalar_law("select(>)", ctgrad::select(a > p * p, a * p * p, ctgrad::exp(a - p)),
                     away_from_zero_of(box(-2, 2, -2, 2), a - p * p));
}

BOOST_AUTO_TEST_CASE(op_select_less_equal) {
    check_scalar_law("select(<=)", ctgrad::select(a * a <= p, a * p * p, 0.5 * a - p * a),
                     away_from_zero_of(box(-2, 2, -2, 2), a * a - p));
}

BOOST_AUTO_TEST_CASE(op_select_greater_equal) {
    check_scalar_law("select(>=)", ctgrad::select(a + p >= 0.25, ctgrad::square(a - p), 3_c * a * p),
                     away_from_zero_of(box(-2, 2, -2, 2), a + p - 0.25));
}

// ---------------------------------------------------------------------------------------
// Reductions, differentiated by the scalars a and p (n in [1, 64])

BOOST_AUTO_TEST_CASE(op_dot) {
    check_scalar_law("dot", ctgrad::dot(x * a + p, ctgrad::sin(x * p)), with_vector(box(-2, 2, -2, 2)));
}

BOOST_AUTO_TEST_CASE(op_sum) {
    check_scalar_law("sum", ctgrad::sum(ctgrad::exp(x * a) * p), with_vector(box(-2, 2, -2, 2)));
    // The derivative of the body is a scalar here (d(x * p + a * a, a) = 2a): the rule turns
    // it into 2a * size(x * p + a * a).
    check_scalar_law("sum (scalar body derivative)", ctgrad::sum(x * p + a * a) * p, with_vector(box(-2, 2, -2, 2)));
}

// ---------------------------------------------------------------------------------------
// Vector rule: derivatives by a param_vec w, component by component.

namespace {

struct vector_point {
    double m_a = 0.0;
    double m_y = 0.0;
    std::vector<double> m_xs;
    std::vector<double> m_ws;
};

std::string describe(const vector_point& pt) {
    std::ostringstream s;
    s.precision(17);
    s << "n = " << pt.m_ws.size() << " (a = " << pt.m_a << ", y = " << pt.m_y << ", w[0] = " << pt.m_ws[0]
      << ", x[0] = " << pt.m_xs[0] << ")";
    return s.str();
}

std::string describe(const vector_point& pt, std::size_t i) {
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
vector_point default_vector_point(rng_t& rng, std::size_t n) {
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

} // namespace

BOOST_AUTO_TEST_CASE(vector_d2l_squared_loss) {
    check_vector_law("vector: square(dot(x, w) + a - y) / 2", ctgrad::square(ctgrad::dot(x, w) + a - y) / 2_c);
}

BOOST_AUTO_TEST_CASE(vector_sum_exp) {
    check_vector_law("vector: sum(exp(w * x))", ctgrad::sum(ctgrad::exp(w * x)));
}

BOOST_AUTO_TEST_CASE(vector_log_of_dot) {
    check_vector_law("vector: log(1 + dot(w, w))", ctgrad::log(1_c + ctgrad::dot(w, w)));
}

BOOST_AUTO_TEST_CASE(vector_sum_tanh) {
    check_vector_law("vector: sum(tanh(x * w + a))", ctgrad::sum(ctgrad::tanh(x * w + a)));
}

BOOST_AUTO_TEST_CASE(vector_sqrt_of_sum_of_squares) {
    check_vector_law("vector: sqrt(sum(square(w)) + 1)", ctgrad::sqrt(ctgrad::sum(ctgrad::square(w)) + 1_c));
}

BOOST_AUTO_TEST_CASE(vector_dot_sigmoid) {
    check_vector_law("vector: dot(sigmoid(w), x) * a", ctgrad::dot(ctgrad::sigmoid(w), x) * a);
}

BOOST_AUTO_TEST_CASE(vector_quotient_of_reductions) {
    // Both numerator and denominator depend on w; a runtime number in the denominator.
    check_vector_law("vector: dot(x, w) / (0.5 + sum(exp(w * a)))",
                     ctgrad::dot(x, w) / (0.5 + ctgrad::sum(ctgrad::exp(w * a))));
}

BOOST_AUTO_TEST_CASE(vector_linear_in_w) {
    // d(e, w) simplifies to a scalar (a + 3) that stands for every component, and
    // d(d(e, w), a) to the constant 1: the broadcast path of the comparison.
    check_vector_law("vector: sum(w) * a + 3 * sum(w - x)", ctgrad::sum(w) * a + 3_c * ctgrad::sum(w - x));
}

BOOST_AUTO_TEST_CASE(vector_elementwise_functions) {
    check_vector_law("vector: sum(pow<-2>(w + 2) * x) + dot(cos(w), sin(x * a)) + sum(log(square(w) + 1))",
                     ctgrad::sum(ctgrad::pow<-2>(w + 2_c) * x) + ctgrad::dot(ctgrad::cos(w), ctgrad::sin(x * a)) +
                         ctgrad::sum(ctgrad::log(ctgrad::square(w) + 1_c)));
}

BOOST_AUTO_TEST_CASE(vector_abs_max_select) {
    // Element-wise kinks: |w[i] - a|, w[i] - x[i] a and w[i] - x[i] are all kept >= kKinkMargin
    // (w[i] is redrawn until they are).
    const auto sample = [](rng_t& rng, std::size_t n) {
        vector_point pt = default_vector_point(rng, n);
        for (std::size_t i = 0; i < n; ++i) {
            const auto near_kink = [&] {
                const double wi = pt.m_ws[i];
                return std::abs(wi - pt.m_a) < kKinkMargin || std::abs(wi - pt.m_xs[i] * pt.m_a) < kKinkMargin ||
                       std::abs(wi - pt.m_xs[i]) < kKinkMargin;
            };
            while (near_kink()) pt.m_ws[i] = uniform(rng, -1.0, 1.0);
        }
        return pt;
    };
    check_vector_law("vector: sum(abs(w - a) * x) + sum(max(w, x * a)) + sum(select(w < x, w * w * a, x * w))",
                     ctgrad::sum(ctgrad::abs(w - a) * x) + ctgrad::sum(ctgrad::max(w, x * a)) +
                         ctgrad::sum(ctgrad::select(w < x, w * w * a, x * w)),
                     sample);
}
