// The scalar evaluator: bindings, the number type, vector values, and its errors.
#define BOOST_TEST_MODULE ctgrad_eval
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include <ctgrad/ctgrad.hpp>

#include <boost/hana/for_each.hpp>

#include <array>
#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

using namespace ctgrad::literals;

namespace {

constexpr ctgrad::input_vec<"x"> x;
constexpr ctgrad::input<"y"> y;
constexpr ctgrad::param_vec<"w"> w;
constexpr ctgrad::param<"b"> b;
constexpr ctgrad::param<"a"> a;

constexpr auto loss = ctgrad::square(ctgrad::dot(x, w) + b - y) / 2_c;

// The d2l loss by hand, for one example.
double hand_loss(const std::vector<double>& xs, const std::vector<double>& ws, double bias, double target) {
    double r = bias - target;
    for (std::size_t i = 0; i < xs.size(); ++i) r += xs[i] * ws[i];
    return r * r / 2;
}

} // namespace

BOOST_AUTO_TEST_CASE(d2l_loss_and_its_gradient_match_a_hand_computation) {
    const std::vector<double> xs{1.5, -2.0, 0.25};
    const std::vector<double> ws{2.0, -3.4, 0.5};
    const double bias = 4.2, target = 1.0;
    const double residual = 1.5 * 2.0 + 2.0 * 3.4 + 0.25 * 0.5 + bias - target;

    BOOST_TEST(ctgrad::eval(loss, x = xs, w = ws, b = bias, y = target) == hand_loss(xs, ws, bias, target),
               boost::test_tools::tolerance(1e-15));
    BOOST_TEST(ctgrad::eval(ctgrad::d(loss, b), x = xs, w = ws, b = bias, y = target) == residual,
               boost::test_tools::tolerance(1e-15));

    const xt::xtensor<double, 1> g_w = ctgrad::eval(ctgrad::d(loss, w), x = xs, w = ws, b = bias, y = target);
    BOOST_REQUIRE_EQUAL(g_w.size(), 3u);
    for (std::size_t i = 0; i < 3; ++i) BOOST_TEST(g_w(i) == residual * xs[i], boost::test_tools::tolerance(1e-15));
}

BOOST_AUTO_TEST_CASE(one_call_site_evaluates_the_loss_and_all_partials) {
    // Bindings the expression does not use are allowed: the same bindings serve every partial.
    const xt::xtensor<double, 1> xs{1.0, 2.0};
    const xt::xtensor<double, 1> ws{0.5, -1.0};
    int evaluated = 0;
    boost::hana::for_each(ctgrad::grad(loss, w, b, y), [&](const auto& partial) {
        const auto value = ctgrad::eval(partial, x = xs, w = ws, b = 0.1, y = 3.0);
        if constexpr (std::is_same_v<decltype(value), const double>) BOOST_TEST(std::isfinite(value));
        else BOOST_TEST(value.size() == 2u);
        ++evaluated;
    });
    BOOST_TEST(evaluated == 3);
    // The residual is 0.5 - 2 + 0.1 - 3 = -4.4; d/dy is its negation.
    BOOST_TEST(ctgrad::eval(ctgrad::d(loss, y), x = xs, w = ws, b = 0.1, y = 3.0) == 4.4,
               boost::test_tools::tolerance(1e-14));
    // A constant needs no binding at all.
    BOOST_TEST(ctgrad::eval(ctgrad::d(ctgrad::d(loss, b), b)) == 1.0);
}

BOOST_AUTO_TEST_CASE(the_number_type_follows_the_bindings) {
    const std::vector<float> xs{1.0f, 2.0f};
    const std::vector<float> ws{0.5f, 0.25f};
    const auto f = ctgrad::eval(loss, x = xs, w = ws, b = 0.5f, y = 1.0f);
    static_assert(std::is_same_v<decltype(f), const float>);
    BOOST_TEST(f == 0.5f * 0.5f * 0.5f, boost::test_tools::tolerance(1e-6f));

    // One double anywhere makes the computation double; integers do not decide.
    const auto mixed = ctgrad::eval(loss, x = xs, w = ws, b = 0.5, y = 1);
    static_assert(std::is_same_v<decltype(mixed), const double>);
    const auto g = ctgrad::eval(ctgrad::d(loss, w), x = xs, w = ws, b = 0.5f, y = 1.0f);
    static_assert(std::is_same_v<decltype(g), const xt::xtensor<float, 1>>);
    static_assert(std::is_same_v<decltype(ctgrad::eval(a * 2_c, a = 3)), double>);
    BOOST_TEST(ctgrad::eval(ctgrad::c<1, 3> * a, a = 3) == 1.0, boost::test_tools::tolerance(1e-15));
}

BOOST_AUTO_TEST_CASE(vectors_bind_to_any_contiguous_numbers) {
    const std::array<double, 3> arr{1, 2, 3};
    const std::vector<int> ints{1, 2, 3};
    const xt::xtensor<double, 1> tensor{1, 2, 3};
    BOOST_TEST(ctgrad::eval(ctgrad::sum(x), x = arr) == 6.0);
    BOOST_TEST(ctgrad::eval(ctgrad::sum(x), x = ints) == 6.0);
    BOOST_TEST(ctgrad::eval(ctgrad::dot(x, w), x = tensor, w = arr) == 14.0);

    // A bare vector symbol evaluates to a copy of its values.
    const xt::xtensor<double, 1> copy = ctgrad::eval(x, x = ints);
    BOOST_TEST(copy.size() == 3u);
    BOOST_TEST(copy(2) == 3.0);

    // Element-wise ops broadcast scalars over vectors.
    const auto shifted = ctgrad::eval(ctgrad::exp(x * a) + b, x = tensor, a = 0.5, b = 1.0);
    for (std::size_t i = 0; i < 3; ++i) BOOST_TEST(shifted(i) == std::exp(tensor(i) * 0.5) + 1.0);

    // size(v): every element of x + a has derivative 1 by a.
    BOOST_TEST(ctgrad::eval(ctgrad::d(ctgrad::sum(x + a), a), x = tensor, a = 0.0) == 3.0);
    // An empty vector sums to 0.
    BOOST_TEST(ctgrad::eval(ctgrad::dot(x, w), x = std::vector<double>{}, w = std::vector<double>{}) == 0.0);
}

BOOST_AUTO_TEST_CASE(a_length_mismatch_names_both_operands_and_lengths) {
    const std::vector<double> xs{1, 2, 3};
    const std::vector<double> ws{1, 2};
    try {
        (void)ctgrad::eval(loss, x = xs, w = ws, b = 0.0, y = 0.0);
        BOOST_FAIL("expected std::invalid_argument");
    } catch (const std::invalid_argument& error) {
        const std::string message = error.what();
        BOOST_TEST(message == "ctgrad::eval: length mismatch in dot(x, w): x has length 3 but w has length 2");
    }
    // Element-wise ops check lengths too, naming compound operands in full.
    BOOST_CHECK_THROW((void)ctgrad::eval(ctgrad::exp(x) * w, x = xs, w = ws), std::invalid_argument);
    try {
        (void)ctgrad::eval(ctgrad::sum(ctgrad::exp(x) * w), x = xs, w = ws);
    } catch (const std::invalid_argument& error) {
        BOOST_TEST(std::string(error.what()).find("exp(x) has length 3 but w has length 2") != std::string::npos);
    }
}

BOOST_AUTO_TEST_CASE(conditions_and_select) {
    const auto huber = ctgrad::select(ctgrad::abs(a) <= 1_c, ctgrad::square(a) / 2_c, ctgrad::abs(a) - ctgrad::c<1, 2>);
    BOOST_TEST(ctgrad::eval(huber, a = 0.5) == 0.125);
    BOOST_TEST(ctgrad::eval(huber, a = -3.0) == 2.5);
    BOOST_TEST(ctgrad::eval(ctgrad::d(huber, a), a = 0.5) == 0.5);
    BOOST_TEST(ctgrad::eval(ctgrad::d(huber, a), a = -3.0) == -1.0);
    BOOST_TEST(ctgrad::eval(a < b, a = 1.0, b = 2.0) == true);
    BOOST_TEST(ctgrad::eval(ctgrad::min(a, b) + ctgrad::max(a, b), a = 1.0, b = 2.0) == 3.0);
    const xt::xtensor<double, 1> xs{-1, 2};
    const auto relu = ctgrad::eval(ctgrad::select(x > 0_c, x, 0_c), x = xs);
    BOOST_TEST(relu(0) == 0.0);
    BOOST_TEST(relu(1) == 2.0);
}

BOOST_AUTO_TEST_CASE(sigmoid_is_finite_for_large_arguments) {
    BOOST_TEST(ctgrad::eval(ctgrad::sigmoid(a), a = -800.0) == 0.0);
    BOOST_TEST(ctgrad::eval(ctgrad::sigmoid(a), a = 800.0) == 1.0);
    BOOST_TEST(ctgrad::eval(ctgrad::sigmoid(a), a = 0.0) == 0.5);
}
