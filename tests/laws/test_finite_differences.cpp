#define BOOST_TEST_MODULE ctgrad_finite_difference_laws
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

// The finite-difference law (described in finite_difference_law.hpp) for every op: scalar
// rules by two params, and the vector rule by a param_vec w.

#include "finite_difference_law.hpp"

using namespace ctgrad::literals;
using namespace fd_law;

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

BOOST_AUTO_TEST_CASE(op_atan) {
    check_scalar_law("atan", ctgrad::atan(a * p + 0.5 * a), box(-2, 2, -2, 2));
}

BOOST_AUTO_TEST_CASE(op_log1p) {
    // a * a + p > -1 on this box, where log1p is defined.
    check_scalar_law("log1p", ctgrad::log1p(a * a + p), box(-2, 2, -0.8, 3));
}

BOOST_AUTO_TEST_CASE(op_expm1) {
    check_scalar_law("expm1", ctgrad::expm1(a * p - p * p), box(-2, 2, -2, 2));
}

BOOST_AUTO_TEST_CASE(op_real_pow) {
    // The base a * a + p stays positive on this box, where pow(a, b) and log(a) are defined.
    check_scalar_law("pow(a, b)", ctgrad::pow(a * a + p, a * p - 0.5 * a), box(-1.5, 1.5, 0.2, 2));
    check_scalar_law("pow(a, 1.5)", ctgrad::pow(a * a + p, 1.5), box(-1.5, 1.5, 0.2, 2));
    check_scalar_law("pow(2, b)", ctgrad::pow(2.0, a * p), box(-1.5, 1.5, -1.5, 1.5));
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
