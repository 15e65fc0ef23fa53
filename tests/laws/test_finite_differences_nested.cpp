#define BOOST_TEST_MODULE ctgrad_finite_difference_laws_nested
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

// The finite-difference law (described in finite_difference_law.hpp) for derivatives by a
// vector symbol w of reductions whose body depends on w through a scalar subtree (a nested
// reduction): the chain rule through that scalar (include/ctgrad/symbolic/freeze.hpp).
// A file of its own: each case instantiates a dozen derivative types, and together with
// test_finite_differences.cpp they would cost one compiler ~1.8 GiB.

#include "finite_difference_law.hpp"

using namespace ctgrad::literals;
using namespace fd_law;

// The Hessian-vector products below are d(dot(d(f, w), u), w) with the direction u a
// function of x: the law compares them with finite differences of the exact gradient's
// projection dot(d(f, w), u), component by component.

BOOST_AUTO_TEST_CASE(vector_nested_scalar_times_vector) {
    // A w-dependent scalar multiplying a vector: d = dot(x, w) + sum(w) * x.
    check_vector_law("nested: sum(w * dot(x, w))", ctgrad::sum(w * ctgrad::dot(x, w)));
}

BOOST_AUTO_TEST_CASE(vector_nested_hvp_of_d2l_loss) {
    // d(e, w) is the Hessian of the d2l loss times sin(x): dot(x, sin(x)) * x.
    const auto loss = ctgrad::square(ctgrad::dot(x, w) + a - y) / 2_c;
    check_vector_law("nested: dot(d(d2l loss, w), sin(x))", ctgrad::dot(ctgrad::d(loss, w), ctgrad::sin(x)));
}

BOOST_AUTO_TEST_CASE(vector_nested_hvp_of_log_of_dot) {
    const auto f = ctgrad::log(1_c + ctgrad::dot(w, w)) * a;
    check_vector_law("nested: dot(d(log(1 + dot(w, w)) * a, w), x)", ctgrad::dot(ctgrad::d(f, w), x));
}

BOOST_AUTO_TEST_CASE(vector_nested_three_levels) {
    // sum(w) inside a dot inside a scalar function inside the outer sum's body.
    check_vector_law("nested: sum(w * log(1 + square(dot(x, w * sum(w)))))",
                     ctgrad::sum(w * ctgrad::log(1_c + ctgrad::square(ctgrad::dot(x, w * ctgrad::sum(w))))));
}

BOOST_AUTO_TEST_CASE(vector_nested_repeated_subtrees) {
    // One stateless subtree twice (one chain term), and two stateful subtrees of one type
    // but different values (0.5 and 0.25: one chain term each).
    check_vector_law("nested: dot(w * dot(x, w), tanh(w * dot(x, w) + a))",
                     ctgrad::dot(w * ctgrad::dot(x, w), ctgrad::tanh(w * ctgrad::dot(x, w) + a)));
    // dot(u, u) with u = w * dot(x, w) + a: dot's rule for equal arguments, by w and by a.
    const auto u = w * ctgrad::dot(x, w) + a;
    check_vector_law("nested: dot(u, u) with u = w * dot(x, w) + a", ctgrad::dot(u, u));
    check_vector_law("nested: sum(w * (0.5 * dot(x, w)) + x * (0.25 * dot(x, w)))",
                     ctgrad::sum(w * (0.5 * ctgrad::dot(x, w)) + x * (0.25 * ctgrad::dot(x, w))));
}

BOOST_AUTO_TEST_CASE(vector_nested_under_select) {
    // The condition depends on w through dot(x, w) (piecewise constant: not differentiated)
    // and the branches through sum(w). |dot(x, w) - a| is kept >= kKinkMargin (a redrawn).
    const auto sample = [](rng_t& rng, std::size_t n) {
        vector_point pt = default_vector_point(rng, n);
        double dot = 0;
        for (std::size_t i = 0; i < n; ++i) dot += pt.m_xs[i] * pt.m_ws[i];
        while (std::abs(dot - pt.m_a) < kKinkMargin) pt.m_a = uniform(rng, -1.0, 1.0);
        return pt;
    };
    check_vector_law("nested: sum(select(dot(x, w) > a, w * sum(w), x * w * a))",
                     ctgrad::sum(ctgrad::select(ctgrad::dot(x, w) > a, w * ctgrad::sum(w), x * w * a)), sample);
}
