// The fused evaluation's API: what it shares and hoists (decided at compile time), storage
// reuse, predict, strided batches, and its errors. Its numbers are checked against the
// scalar evaluator in laws/test_fused_equals_scalar.cpp.
#define BOOST_TEST_MODULE ctgrad_fused
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include <ctgrad/ctgrad.hpp>

#include <stdexcept>
#include <string>

using namespace ctgrad::literals;

namespace {

constexpr ctgrad::input_vec<"x"> x;
constexpr ctgrad::input<"y"> y;
constexpr ctgrad::param_vec<"w"> w;
constexpr ctgrad::param<"b"> b;
constexpr ctgrad::param<"s"> s;

constexpr auto loss = ctgrad::square(ctgrad::dot(x, w) + b - y) / 2_c;
using W = std::remove_const_t<decltype(w)>;
using B = std::remove_const_t<decltype(b)>;
using L = std::remove_const_t<decltype(loss)>;

// The d2l loss and both partials need five scalar entries per block: dot(x, w),
// dot(x, w) + b, the residual, its square, and the loss. The residual is d(loss, b) and
// the scalar factor of d(loss, w): computed once, shared by all three.
using d2l_plan = ctgrad::detail::plan_entries_t<L, decltype(ctgrad::d(loss, w)), decltype(ctgrad::d(loss, b))>;
static_assert(d2l_plan::size == 5);
static_assert(ctgrad::detail::list_contains_v<d2l_plan, decltype(ctgrad::dot(x, w) + b - y)>);

// A penalty depends on no input: it is hoisted, computed once per call.
constexpr auto ridge = loss + ctgrad::c<1, 100> * ctgrad::sum(ctgrad::square(w));
using penalty = decltype(ctgrad::sum(ctgrad::square(w)));
using ridge_plan = ctgrad::detail::plan_entries_t<std::remove_const_t<decltype(ridge)>>;
static_assert(ctgrad::detail::list_contains_v<ridge_plan, penalty>);
static_assert(!ctgrad::detail::depends_on_input_v<penalty>);
static_assert(ctgrad::detail::depends_on_input_v<decltype(ctgrad::dot(x, w))>);

struct d2l_data {
    xt::xtensor<double, 2> X{{1.0, 2.0, -1.0, 0.5, 3.0}, {0.0, 1.0, 1.0, -2.0, 0.25}};
    xt::xtensor<double, 1> Y{4.0, 3.0, 1.0, 2.0, 0.5};
};

} // namespace

BOOST_AUTO_TEST_CASE(a_hand_computed_step) {
    const d2l_data data;
    auto params = ctgrad::make_parameters(w = xt::xtensor<double, 1>{1.0, -1.0}, b = 0.5);
    const auto batch = ctgrad::make_batch(x = data.X, y = data.Y);
    const auto [value, grad] = ctgrad::value_and_grad(loss, params, batch);

    double loss_sum = 0, gb = 0, gw0 = 0, gw1 = 0;
    for (std::size_t i = 0; i < 5; ++i) {
        const double r = data.X(0, i) - data.X(1, i) + 0.5 - data.Y(i);
        loss_sum += r * r / 2;
        gb += r;
        gw0 += r * data.X(0, i);
        gw1 += r * data.X(1, i);
    }
    BOOST_TEST(value == loss_sum / 5, boost::test_tools::tolerance(1e-14));
    BOOST_TEST(grad[b] == gb / 5, boost::test_tools::tolerance(1e-14));
    BOOST_TEST(grad[w](0) == gw0 / 5, boost::test_tools::tolerance(1e-14));
    BOOST_TEST(grad[w](1) == gw1 / 5, boost::test_tools::tolerance(1e-14));
    BOOST_TEST(ctgrad::value(loss, params, batch) == loss_sum / 5, boost::test_tools::tolerance(1e-14));
}

BOOST_AUTO_TEST_CASE(caller_owned_gradients_are_reused_and_unused_parameters_get_zero) {
    const d2l_data data;
    auto params = ctgrad::make_parameters(w = xt::xtensor<double, 1>{1.0, -1.0}, b = 0.5, s = 2.0);
    const auto batch = ctgrad::make_batch(x = data.X, y = data.Y);
    auto grads = params.zeros_like();
    grads[s] = 123.0;
    const double* storage = grads[w].data();
    const double first = ctgrad::value_and_grad(loss, params, batch, grads);
    const double again = ctgrad::value_and_grad(loss, params, batch, grads);
    BOOST_TEST(first == again);
    BOOST_TEST(grads[w].data() == storage); // no reallocation in a steady-state step
    BOOST_TEST(grads[s] == 0.0);            // s is not in the loss
}

BOOST_AUTO_TEST_CASE(predict_gives_the_model_per_example) {
    const d2l_data data;
    const auto params = ctgrad::make_parameters(w = xt::xtensor<double, 1>{2.0, -3.4}, b = 4.2);
    const auto batch = ctgrad::make_batch(x = data.X, y = data.Y);
    const auto predictions = ctgrad::predict(ctgrad::dot(x, w) + b, params, batch);
    BOOST_REQUIRE_EQUAL(predictions.size(), 5u);
    for (std::size_t i = 0; i < 5; ++i)
        BOOST_TEST(predictions(i) == 2.0 * data.X(0, i) - 3.4 * data.X(1, i) + 4.2, boost::test_tools::tolerance(1e-14));
}

BOOST_AUTO_TEST_CASE(a_strided_view_reads_the_first_m_examples_of_a_wider_buffer) {
    // A loader's reusable buffer has room for a full batch; the last batch uses part of it.
    xt::xtensor<double, 2> buffer{{1.0, 2.0, 99.0}, {3.0, 4.0, 99.0}};
    xt::xtensor<double, 1> targets{1.0, 1.0, 99.0};
    const ctgrad::feature_major_view<double> xs{buffer.data(), 2, 2, 3};
    const ctgrad::feature_major_view<double> ys{targets.data(), 1, 2, 3};
    const auto params = ctgrad::make_parameters(w = xt::xtensor<double, 1>{1.0, 1.0}, b = 0.0);
    // residuals: 1 + 3 - 1 = 3 and 2 + 4 - 1 = 5
    BOOST_TEST(ctgrad::value(loss, params, ctgrad::make_batch(x = xs, y = ys)) == (9.0 + 25.0) / 4);
}

BOOST_AUTO_TEST_CASE(errors_name_what_is_wrong) {
    const d2l_data data;
    const auto params = ctgrad::make_parameters(w = xt::xtensor<double, 1>{1.0, -1.0, 0.0}, b = 0.5);
    const auto batch = ctgrad::make_batch(x = data.X, y = data.Y);
    try {
        (void)ctgrad::value(loss, params, batch);
        BOOST_FAIL("expected std::invalid_argument");
    } catch (const std::invalid_argument& error) {
        BOOST_TEST(std::string(error.what()) == "ctgrad: length mismatch in dot(x, w): x has length 2 but w has length 3");
    }

    const xt::xtensor<double, 1> short_targets{1.0, 2.0};
    try {
        (void)ctgrad::make_batch(x = data.X, y = short_targets);
        BOOST_FAIL("expected std::invalid_argument");
    } catch (const std::invalid_argument& error) {
        BOOST_TEST(std::string(error.what()) == "ctgrad::make_batch: input x has 5 examples but input y has 2");
    }

    const xt::xtensor<double, 2> no_examples = xt::xtensor<double, 2>::from_shape({2, 0});
    const xt::xtensor<double, 1> no_targets = xt::xtensor<double, 1>::from_shape({0});
    const auto ok_params = ctgrad::make_parameters(w = xt::xtensor<double, 1>{1.0, -1.0}, b = 0.5);
    BOOST_CHECK_THROW((void)ctgrad::value(loss, ok_params, ctgrad::make_batch(x = no_examples, y = no_targets)),
                      std::invalid_argument);
}
