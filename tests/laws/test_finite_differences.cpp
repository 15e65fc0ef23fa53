#define BOOST_TEST_MODULE ctgrad_finite_difference_laws
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

// The finite-difference law (described in finite_difference_law.hpp) for every op: scalar
// rules by two params (each op's expressions are in op_cases.hpp), and the vector rule by a
// param_vec w.

#include "op_cases.hpp"

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
// Every op of ctgrad::ops, from its entry in op_cases.hpp: scalar rules by the params a and p.

BOOST_AUTO_TEST_CASE_TEMPLATE(op, Tag, all_ops) {
    static_assert(has_op_case<Tag>, "an op without a case: give it an op_case in tests/laws/op_cases.hpp");
    op_case<Tag>::finite_difference(
        [](std::string_view name, const auto& e, const auto& sample) { check_scalar_law(name, e, sample); });
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
