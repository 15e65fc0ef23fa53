// The fused evaluation's API: what it shares and hoists (decided at compile time), storage
// reuse, predict, strided batches, and its errors. Its numbers are checked against the
// scalar evaluator in laws/test_fused_equals_scalar.cpp.
#define BOOST_TEST_MODULE ctgrad_fused
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include <ctgrad/ctgrad.hpp>

#include <algorithm>
#include <cmath>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

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

// value_and_grad sums each partial in its summed form (summed_form.hpp): what depends on
// no input is taken out of the sum over examples. The d2l partials have nothing to take out
// and are summed exactly as written.
static_assert(std::is_same_v<ctgrad::detail::summed_form<decltype(ctgrad::d(loss, w))>::per_example, decltype(ctgrad::d(loss, w))>);
static_assert(std::is_same_v<ctgrad::detail::summed_form<decltype(ctgrad::d(loss, w))>::coefficient, ctgrad::one_t>);
static_assert(std::is_same_v<ctgrad::detail::summed_form<decltype(ctgrad::d(loss, w))>::once, ctgrad::zero_t>);
static_assert(std::is_same_v<ctgrad::detail::summed_form<L>::per_example, decltype(ctgrad::square(ctgrad::dot(x, w) + b - y))>);
static_assert(std::is_same_v<ctgrad::detail::summed_form<L>::coefficient, std::remove_const_t<decltype(ctgrad::c<1, 2>)>>);

// ---- ADBenchmark's "regression" objective (bench/bench_regression.cpp) ----
// f = sum_i [-(y_i - x_i.w - b)^2 / (2 sigma^2) - log sigma] - |w|^2 / 2 - b^2 / 2 - log 9.9,
// written per example with the priors divided by m (m times the mean is f). Its runtime
// numbers, as value_and_grad slots them: log 9.9 is slot 0, m is slot 1.
constexpr ctgrad::param<"sigma"> sigma;
constexpr auto residual = y - ctgrad::dot(x, w) - b;
auto regression(double m) {
    return -ctgrad::square(residual) / (2_c * ctgrad::square(sigma)) - ctgrad::log(sigma) +
           (-(ctgrad::sum(ctgrad::square(w)) + ctgrad::square(b)) / 2_c - std::log(9.9)) / m;
}
using R = std::remove_cvref_t<
    decltype(std::declval<ctgrad::detail::slotted_expression<decltype(regression(1.0)), double>&>().m_expression)>;
using slot_m = ctgrad::detail::number_slot<1>;
using residual_t = std::remove_const_t<decltype(residual)>;
template <class G> using form = ctgrad::detail::summed_form<G>;

// Per example, the objective and its partial by sigma are both square(residual) (one entry);
// -1/(2 sigma^2), sigma / sigma^4 and everything else are taken out of the sum.
static_assert(std::is_same_v<form<R>::per_example, decltype(ctgrad::square(residual))>);
static_assert(std::is_same_v<form<R>::coefficient, decltype(ctgrad::c<-1, 2> * (1_c / ctgrad::square(sigma)))>);
static_assert(!ctgrad::detail::depends_on_input_v<form<R>::once>);
using dR_dsigma = decltype(ctgrad::d(R{}, sigma));
static_assert(std::is_same_v<form<dR_dsigma>::per_example, decltype(ctgrad::square(residual))>);
static_assert(std::is_same_v<form<dR_dsigma>::coefficient, decltype(sigma / ctgrad::square(ctgrad::square(sigma)))>);
static_assert(std::is_same_v<form<dR_dsigma>::once, decltype(-(1_c / sigma))>);
// By w: written (y - dot(x, w) - b) * x / square(sigma) - w / m. The prior's -w / m is added
// once per call, not once per feature of every example; the division by square(sigma) is
// done once per feature, after the sum.
using dR_dw = decltype(ctgrad::d(R{}, w));
static_assert(std::is_same_v<dR_dw, decltype(residual * x / ctgrad::square(sigma) - w / slot_m{})>);
static_assert(std::is_same_v<form<dR_dw>::per_example, decltype(residual * x)>);
static_assert(std::is_same_v<form<dR_dw>::coefficient, decltype(1_c / ctgrad::square(sigma))>);
static_assert(std::is_same_v<form<dR_dw>::once, decltype(-(w / slot_m{}))>);
// By b: the b inside the residual stays (it is the residual the other partials share).
using dR_db = decltype(ctgrad::d(R{}, b));
static_assert(std::is_same_v<form<dR_db>::per_example, residual_t>);
static_assert(std::is_same_v<form<dR_db>::coefficient, decltype(1_c / ctgrad::square(sigma))>);
static_assert(std::is_same_v<form<dR_db>::once, decltype(-(b / slot_m{}))>);
// So the kernel's whole per-example work is four entries: dot(x, w), y - dot(x, w), the
// residual and its square. Every other entry of value_and_grad's plan is hoisted.
using regression_plan = ctgrad::detail::plan_entries_t<
    form<R>::per_example, form<dR_dw>::per_example, form<dR_db>::per_example, form<dR_dsigma>::per_example,
    form<R>::coefficient, form<dR_dw>::coefficient, form<dR_db>::coefficient, form<dR_dsigma>::coefficient, form<R>::once,
    form<dR_dw>::once, form<dR_db>::once, form<dR_dsigma>::once>;
constexpr std::size_t per_example_entries = [] {
    std::size_t count = 0;
    ctgrad::detail::for_each_type(regression_plan{}, [&](auto entry, auto) {
        count += ctgrad::detail::depends_on_input_v<typename decltype(entry)::type>;
    });
    return count;
}();
static_assert(per_example_entries == 4);
static_assert(ctgrad::detail::list_contains_v<regression_plan, decltype(ctgrad::dot(x, w))>);
static_assert(ctgrad::detail::list_contains_v<regression_plan, decltype(y - ctgrad::dot(x, w))>);
static_assert(ctgrad::detail::list_contains_v<regression_plan, residual_t>);
static_assert(ctgrad::detail::list_contains_v<regression_plan, decltype(ctgrad::square(residual))>);

constexpr ctgrad::param<"a"> a;
// A partial free of inputs leaves nothing to sum per example.
using all_once = decltype(ctgrad::d(a * ctgrad::sum(ctgrad::square(w)), w));
static_assert(std::is_same_v<form<all_once>::per_example, ctgrad::zero_t>);
static_assert(std::is_same_v<form<all_once>::once, all_once>);

// Rewrites inside what stays per example: a vector term's scalar factors are gathered in
// front, and a division by something free of inputs becomes a product with its reciprocal.
static_assert(std::is_same_v<ctgrad::detail::per_example_form_t<decltype(x * ctgrad::dot(x, w) / a)>,
                             decltype(ctgrad::dot(x, w) * (1_c / a) * x)>);
static_assert(std::is_same_v<ctgrad::detail::per_example_form_t<decltype(ctgrad::exp(y / a))>,
                             decltype(ctgrad::exp(y * (1_c / a)))>);
// ... but not inside a condition, whose branch a rounding could flip.
static_assert(std::is_same_v<ctgrad::detail::per_example_form_t<decltype(y / a > 1_c)>, decltype(y / a > 1_c)>);

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

BOOST_AUTO_TEST_CASE(a_vector_with_any_allocator_binds_as_a_column) {
    // Users keep targets in aligned vectors too; x is one feature here, so the loss reads both.
    const std::vector<double, xsimd::aligned_allocator<double>> xs{1.0, 2.0, 3.0}, ys{1.0, 1.0, 2.0};
    const auto params = ctgrad::make_parameters(w = xt::xtensor<double, 1>{2.0}, b = 0.5);
    // residuals: 2 + 0.5 - 1 = 1.5, 4.5 - 1 = 3.5, 6.5 - 2 = 4.5
    BOOST_TEST(ctgrad::value(loss, params, ctgrad::make_batch(x = xs, y = ys)) ==
                   (1.5 * 1.5 + 3.5 * 3.5 + 4.5 * 4.5) / 6, boost::test_tools::tolerance(1e-15));
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

namespace {

/// Random feature-major data: d features, m examples, uniform in [-1, 1].
struct uniform_data {
    xt::xtensor<double, 2> X;
    xt::xtensor<double, 1> Y;
    uniform_data(std::size_t d, std::size_t m, std::uint64_t seed) {
        std::mt19937_64 rng(seed);
        std::uniform_real_distribution<double> u(-1.0, 1.0);
        X = xt::xtensor<double, 2>::from_shape({d, m});
        Y = xt::xtensor<double, 1>::from_shape({m});
        for (auto& v : X) v = u(rng);
        for (auto& v : Y) v = u(rng);
    }
    [[nodiscard]] xt::xtensor<double, 1> example(std::size_t i) const {
        xt::xtensor<double, 1> xi = xt::xtensor<double, 1>::from_shape({X.shape(0)});
        for (std::size_t j = 0; j < X.shape(0); ++j) xi(j) = X(j, i);
        return xi;
    }
};

/// |got - want| within tol of the magnitude of what was summed.
void expect_near(double got, double want, double magnitude, double tol, const std::string& what) {
    BOOST_TEST(std::abs(got - want) <= tol * std::max(magnitude, 1e-300),
               what << ": " << got << " vs " << want << " (magnitude " << magnitude << ")");
}

/// value_and_grad against the mean of the scalar evaluator over the examples, for a loss
/// of x, y, w, a (the split, factored and rewritten form against the expression as written).
template <class Loss>
void check_against_eval(const std::string& name, const Loss& loss, std::size_t d, std::size_t m) {
    const uniform_data data(d, m, std::hash<std::string>{}(name));
    xt::xtensor<double, 1> w0 = xt::xtensor<double, 1>::from_shape({d});
    for (std::size_t j = 0; j < d; ++j) w0(j) = 0.3 - 0.1 * double(j % 7);
    const auto params = ctgrad::make_parameters(w = w0, a = 1.7);
    const auto batch = ctgrad::make_batch(x = data.X, y = data.Y);
    auto grads = params.zeros_like();
    const double value = ctgrad::value_and_grad(loss, params, batch, grads);

    double want = 0, magnitude = 0, want_a = 0, magnitude_a = 0;
    std::vector<double> want_w(d, 0.0), magnitude_w(d, 0.0);
    for (std::size_t i = 0; i < m; ++i) {
        const auto xi = data.example(i);
        const double yi = data.Y(i);
        const double v = ctgrad::eval(loss, x = xi, y = yi, w = w0, a = 1.7);
        want += v / double(m);
        magnitude += std::abs(v) / double(m);
        const double ga = ctgrad::eval(ctgrad::d(loss, a), x = xi, y = yi, w = w0, a = 1.7);
        want_a += ga / double(m);
        magnitude_a += std::abs(ga) / double(m);
        const auto gw = ctgrad::eval(ctgrad::d(loss, w), x = xi, y = yi, w = w0, a = 1.7);
        for (std::size_t j = 0; j < d; ++j) {
            double g = 0;
            if constexpr (std::is_arithmetic_v<std::remove_cvref_t<decltype(gw)>>) g = gw; // broadcast
            else g = gw(j);
            want_w[j] += g / double(m);
            magnitude_w[j] += std::abs(g) / double(m);
        }
    }
    expect_near(value, want, magnitude, 1e-12, name + " loss");
    expect_near(grads[a], want_a, magnitude_a, 1e-12, name + " d/da");
    for (std::size_t j = 0; j < d; ++j) expect_near(grads[w](j), want_w[j], magnitude_w[j], 1e-12, name + " d/dw[j]");
}

} // namespace

BOOST_AUTO_TEST_CASE(the_regression_objective_equals_its_hand_written_gradient_and_finite_differences) {
    // m = 203 leaves a scalar tail after the SIMD blocks, at any SIMD width.
    constexpr std::size_t d = 13, m = 203;
    const uniform_data data(d, m, 2024);
    std::vector<double> w0(d);
    for (std::size_t j = 0; j < d; ++j) w0[j] = 0.5 - 0.08 * double(j);
    const double b0 = 0.3, sigma0 = 0.7;
    const auto f = regression(double(m));
    auto params = ctgrad::make_parameters(w = w0, b = b0, sigma = sigma0);
    const auto batch = ctgrad::make_batch(x = data.X, y = data.Y);
    auto grads = params.zeros_like();
    const double mean = ctgrad::value_and_grad(f, params, batch, grads);

    // f and its gradient written out (totals, with the magnitude of what each one sums).
    double sum_rr = 0, sum_r = 0, magnitude_r = 0;
    std::vector<double> gw(d, 0.0), magnitude_w(d, 0.0);
    for (std::size_t i = 0; i < m; ++i) {
        double r = data.Y(i) - b0;
        for (std::size_t j = 0; j < d; ++j) r -= data.X(j, i) * w0[j];
        sum_rr += r * r;
        sum_r += r;
        magnitude_r += std::abs(r);
        for (std::size_t j = 0; j < d; ++j) {
            gw[j] += r * data.X(j, i) / (sigma0 * sigma0);
            magnitude_w[j] += std::abs(r * data.X(j, i)) / (sigma0 * sigma0);
        }
    }
    double w_squared = 0;
    for (std::size_t j = 0; j < d; ++j) {
        w_squared += w0[j] * w0[j];
        gw[j] -= w0[j];
        magnitude_w[j] += std::abs(w0[j]);
    }
    const double var = sigma0 * sigma0, md = double(m);
    const double f_total = -sum_rr / (2 * var) - md * std::log(sigma0) - w_squared / 2 - b0 * b0 / 2 - std::log(9.9);
    const double f_magnitude = sum_rr / (2 * var) + md * std::abs(std::log(sigma0)) + w_squared / 2 + b0 * b0 / 2 + std::log(9.9);
    expect_near(mean * md, f_total, f_magnitude, 1e-12, "f");
    expect_near(grads[b] * md, sum_r / var - b0, magnitude_r / var + std::abs(b0), 1e-12, "df/db");
    expect_near(grads[sigma] * md, sum_rr / (var * sigma0) - md / sigma0, sum_rr / (var * sigma0) + md / sigma0, 1e-12,
                "df/dsigma");
    for (std::size_t j = 0; j < d; ++j) expect_near(grads[w](j) * md, gw[j], magnitude_w[j], 1e-12, "df/dw[j]");

    // And against central differences of ctgrad::value (which sums the expression as
    // written): an independent check of the derivative and of the rewritten sums.
    const double h = 1e-5;
    auto central = [&](auto move) {
        auto plus = params, minus = params;
        move(plus, h);
        move(minus, -h);
        const double up = ctgrad::value(f, plus, batch), down = ctgrad::value(f, minus, batch);
        return (up - down) / (2 * h);
    };
    BOOST_TEST(grads[b] == central([](auto& p, double e) { p[b] += e; }), boost::test_tools::tolerance(1e-7));
    BOOST_TEST(grads[sigma] == central([](auto& p, double e) { p[sigma] += e; }), boost::test_tools::tolerance(1e-7));
    for (std::size_t j = 0; j < d; ++j)
        BOOST_TEST(grads[w](j) == central([j](auto& p, double e) { p[w](j) += e; }), boost::test_tools::tolerance(1e-6));
    expect_near(ctgrad::value(f, params, batch), mean, f_magnitude / md, 1e-13, "value() against value_and_grad");
}

BOOST_AUTO_TEST_CASE(parts_free_of_inputs_are_added_once_and_equal_the_scalar_evaluator) {
    // The partial by w is 2 a w, by a sum(square(w)): nothing of either is summed per example.
    check_against_eval("all once", ctgrad::square(y - 1_c) + a * ctgrad::sum(ctgrad::square(w)), 5, 37);
    // By w: y * x per example plus a / 3 once, broadcast over the features.
    check_against_eval("broadcast once", y * ctgrad::dot(x, w) + a * ctgrad::sum(w) / 3_c, 11, 41);
    // (d + g) / h = d / h + g / h: the penalty's share leaves the sum, 1 / (2 a) leaves it too.
    check_against_eval("distributed", (ctgrad::square(ctgrad::dot(x, w) - y) + a * ctgrad::sum(ctgrad::square(w))) / (2_c * a),
                       17, 64);
    // A condition keeps the division as written; its branches are summed in factored form.
    check_against_eval("condition", ctgrad::select(ctgrad::dot(x, w) / a > 0_c, ctgrad::dot(x, w) / a, y * a), 9, 29);
}
