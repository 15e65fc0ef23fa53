// Newton's method (optim/newton.hpp): the Hessian it uses (derived types pinned, values
// against hand computations), one step on a quadratic, true parameters recovered on
// Ohm-like data (also in example-major rows) and Planck-like data, the line search, and the
// errors for singular and indefinite Hessians and non-finite losses.
#define BOOST_TEST_MODULE ctgrad_newton
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include <ctgrad/ctgrad.hpp>
#include <ctgrad/optim/newton.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <type_traits>
#include <vector>

using namespace ctgrad::literals;
namespace data = ctgrad::data;

namespace {

constexpr ctgrad::input<"x"> x;
constexpr ctgrad::input<"y"> y;
constexpr ctgrad::param<"a"> a;
constexpr ctgrad::param<"b"> b;
constexpr ctgrad::param<"c"> c;

constexpr auto line_loss = ctgrad::square(a * x + b - y) / 2_c;

template <class A, class B>
constexpr bool same = std::is_same_v<std::remove_cvref_t<A>, std::remove_cvref_t<B>>;

// The Hessian entries newton evaluates are types derived at compile time.
static_assert(same<decltype(ctgrad::d(ctgrad::d(line_loss, a), a)), decltype(ctgrad::square(x))>);
static_assert(same<decltype(ctgrad::d(ctgrad::d(line_loss, a), b)), decltype(x)>);
static_assert(same<decltype(ctgrad::d(ctgrad::d(line_loss, b), a)), decltype(x)>);
static_assert(same<decltype(ctgrad::d(ctgrad::d(line_loss, b), b)), ctgrad::one_t>);

/// m examples of y = slope * x + intercept + noise * N(0, 1), x ~ N(0, 1).
struct line_data {
    xt::xtensor<double, 1> xs, ys;

    line_data(std::size_t m, double slope, double intercept, double noise, std::uint64_t seed)
        : xs(xt::xtensor<double, 1>::from_shape({m})), ys(xt::xtensor<double, 1>::from_shape({m})) {
        data::random_engine random(seed);
        for (std::size_t i = 0; i < m; ++i) {
            xs(i) = random.normal();
            ys(i) = slope * xs(i) + intercept + noise * random.normal();
        }
    }

    double mean(double (*f)(double, double)) const {
        double total = 0;
        for (std::size_t i = 0; i < xs.size(); ++i) total += f(xs(i), ys(i));
        return total / double(xs.size());
    }
};

bool close(double value, double expected, double rel) {
    return std::abs(value - expected) <= rel * std::max(1.0, std::abs(expected));
}

/// Planck's law in the units of examples/planck_law.cpp: wavelength in µm, temperature as
/// t = T / 5000 K, log of the radiance in units of a 5000 K black body's peak.
constexpr ctgrad::input<"lambda"> lambda;
constexpr ctgrad::param<"t"> t;
constexpr double c2 = 14387.7688 / 5000;   // hc / (k * 5000 K) in µm
constexpr double peak = 2897.7719 / 5000;  // Wien's peak of 5000 K in µm
const double log_scale = 5 * std::log(peak) + std::log(std::expm1(c2 / peak));
const auto log_radiance = log_scale - 5_c * ctgrad::log(lambda) - ctgrad::log(ctgrad::exp(c2 / (lambda * t)) - 1_c);

double log_radiance_at(double lam, double temperature) {
    return log_scale - 5 * std::log(lam) - std::log(std::expm1(c2 / (lam * temperature)));
}

/// 300 wavelengths from 0.2 to 3 µm at t_true, with 1% multiplicative noise; log targets.
data::dataset<double> planck_data(double t_true, std::uint64_t seed) {
    constexpr std::size_t n = 300;
    auto features = xt::xtensor<double, 2>::from_shape({1, n});
    auto targets = xt::xtensor<double, 1>::from_shape({n});
    data::random_engine random(seed);
    for (std::size_t i = 0; i < n; ++i) {
        features(0, i) = 0.2 + 2.8 * double(i) / double(n - 1);
        targets(i) = log_radiance_at(features(0, i), t_true) + std::log1p(0.01 * random.normal());
    }
    return data::dataset<double>(std::move(features), std::move(targets), {.num_train = n, .batch_size = 32});
}

} // namespace

BOOST_AUTO_TEST_CASE(hessian_is_the_batch_mean_of_the_second_derivatives) {
    const line_data d(200, 2.0, -1.0, 0.1, 11);
    const auto batch = ctgrad::make_batch(x = d.xs, y = d.ys);
    const auto params = ctgrad::make_parameters(a = 0.5, b = 0.25);
    const auto s = ctgrad::value_grad_hessian(line_loss, params, batch);

    const double xx = d.mean([](double u, double) { return u * u; });
    const double mx = d.mean([](double u, double) { return u; });
    const double r_x = d.mean([](double u, double v) { return (0.5 * u + 0.25 - v) * u; });
    const double r = d.mean([](double u, double v) { return 0.5 * u + 0.25 - v; });
    const double half_r2 = d.mean([](double u, double v) { return (0.5 * u + 0.25 - v) * (0.5 * u + 0.25 - v) / 2; });
    BOOST_TEST(close(s.value, half_r2, 1e-13));
    BOOST_TEST(close(s.gradient[0], r_x, 1e-13));
    BOOST_TEST(close(s.gradient[1], r, 1e-13));
    BOOST_TEST(close(s.hessian[0][0], xx, 1e-13));
    BOOST_TEST(close(s.hessian[0][1], mx, 1e-13));
    BOOST_TEST(s.hessian[1][0] == s.hessian[0][1]);
    BOOST_TEST(s.hessian[1][1] == 1.0);
}

BOOST_AUTO_TEST_CASE(converges_on_a_quadratic_in_one_step) {
    const line_data d(200, 2.0, -1.0, 0.1, 12);
    const auto batch = ctgrad::make_batch(x = d.xs, y = d.ys);
    auto params = ctgrad::make_parameters(a = 0.0, b = 0.0);
    const auto result = ctgrad::newton().minimize(line_loss, params, batch);

    // Least squares in closed form.
    const double mx = d.mean([](double u, double) { return u; });
    const double my = d.mean([](double, double v) { return v; });
    const double sxy = d.mean([](double u, double v) { return u * v; }) - mx * my;
    const double sxx = d.mean([](double u, double) { return u * u; }) - mx * mx;
    const double slope = sxy / sxx, intercept = my - slope * mx;

    BOOST_TEST(result.iterations == 1u);
    BOOST_TEST(result.converged);
    BOOST_TEST(close(params[a], slope, 1e-12));
    BOOST_TEST(close(params[b], intercept, 1e-12));
    BOOST_TEST(close(result.loss, ctgrad::value(line_loss, params, batch), 1e-15));
    BOOST_TEST(result.decrement <= 1e-20);
}

BOOST_AUTO_TEST_CASE(recovers_ohms_law) {
    // U = R I + U0 with R = 4.7 kΩ and an offset U0 = 0.15 V: currents 0.1 to 2 mA, 2% noise
    // on each voltage reading. Newton on the model+dataset overload (nn::make_model).
    constexpr ctgrad::input<"current"> current;
    constexpr ctgrad::param<"resistance"> resistance;
    constexpr ctgrad::param<"offset"> offset;
    constexpr std::size_t n = 50;
    auto features = xt::xtensor<double, 2>::from_shape({1, n});
    auto targets = xt::xtensor<double, 1>::from_shape({n});
    data::random_engine random(5);
    for (std::size_t i = 0; i < n; ++i) {
        features(0, i) = 0.1 + 1.9 * double(i) / double(n - 1);
        targets(i) = (4.7 * features(0, i) + 0.15) * (1 + 0.02 * random.normal());
    }
    data::dataset<double> readings(std::move(features), std::move(targets), {.num_train = n});
    auto model = ctgrad::nn::make_model(resistance * current + offset, ctgrad::loss::mse, ctgrad::input<"voltage">{});
    const auto result = ctgrad::newton().minimize(model, readings);

    BOOST_TEST(result.converged);
    BOOST_TEST(result.iterations == 1u); // the loss is quadratic in (R, U0)
    BOOST_TEST(std::abs(model.parameters()[resistance] / 4.7 - 1) < 0.01);
    BOOST_TEST(std::abs(model.parameters()[offset] - 0.15) < 0.05);

    // The same readings example-major, one number per row.
    auto rows = data::to_example_major(readings);
    auto by_rows = ctgrad::nn::make_model(resistance * current + offset, ctgrad::loss::mse, ctgrad::input<"voltage">{});
    const auto rows_result = ctgrad::newton().minimize(by_rows, rows);
    BOOST_TEST(rows_result.converged);
    BOOST_TEST(close(by_rows.parameters()[resistance], model.parameters()[resistance], 1e-10));
    BOOST_TEST(close(by_rows.parameters()[offset], model.parameters()[offset], 1e-10));
}

BOOST_AUTO_TEST_CASE(recovers_planck_temperature) {
    auto readings = planck_data(1.16, 3); // T = 5800 K
    auto model = ctgrad::nn::make_model(log_radiance, ctgrad::loss::mse, y);
    model.parameters()[t] = 1.0; // T = 5000 K
    std::vector<double> losses;
    const auto result = ctgrad::newton({.max_iterations = 10}).minimize(
        model, readings, [&](const auto& it) { losses.push_back(it.loss); });

    BOOST_TEST(result.converged);
    BOOST_TEST(result.iterations <= 10u);
    BOOST_TEST(std::abs(model.parameters()[t] / 1.16 - 1) < 0.01);
    BOOST_TEST(losses.size() == result.iterations + 1);
    for (std::size_t i = 1; i < losses.size(); ++i) BOOST_TEST(losses[i] < losses[i - 1]);
}

BOOST_AUTO_TEST_CASE(stops_at_max_iterations) {
    auto readings = planck_data(1.16, 3);
    auto model = ctgrad::nn::make_model(log_radiance, ctgrad::loss::mse, y);
    model.parameters()[t] = 1.0;
    const auto result = ctgrad::newton({.max_iterations = 1}).minimize(model, readings);
    BOOST_TEST(!result.converged);
    BOOST_TEST(result.iterations == 1u);
    BOOST_TEST(result.decrement > 1e-10);
}

BOOST_AUTO_TEST_CASE(line_search_halves_steps_that_raise_the_loss) {
    // sqrt(1 + (a - y)^2) far from its minimum: the full Newton step, -a (1 + a^2) for one
    // example, overshoots by orders of magnitude; the line search must shorten it.
    const line_data d(20, 0.0, 3.0, 1.0, 13);
    const auto batch = ctgrad::make_batch(y = d.ys);
    const auto loss = ctgrad::sqrt(1_c + ctgrad::square(a - y));
    auto params = ctgrad::make_parameters(a = 30.0);
    std::vector<double> scales, losses;
    const auto result = ctgrad::newton({.max_iterations = 20}).minimize(loss, params, batch, [&](const auto& it) {
        scales.push_back(it.step_scale);
        losses.push_back(it.loss);
    });

    BOOST_TEST(result.converged);
    BOOST_TEST(scales.front() == 0.0);
    BOOST_TEST(scales.at(1) < 1.0);
    for (std::size_t i = 1; i < losses.size(); ++i) BOOST_TEST(losses[i] < losses[i - 1]);
    const auto s = ctgrad::value_grad_hessian(loss, params, batch);
    BOOST_TEST(std::abs(s.gradient[0]) < 1e-6);
}

BOOST_AUTO_TEST_CASE(reports_singular_hessians) {
    const line_data d(20, 1.0, 0.0, 0.1, 14);
    const auto batch = ctgrad::make_batch(x = d.xs, y = d.ys);
    const auto check = [](const ctgrad::newton_error& e, const std::string& expected) {
        BOOST_TEST_MESSAGE(e.what());
        BOOST_TEST(std::string(e.what()).find(expected) != std::string::npos, e.what());
        BOOST_TEST(e.iteration() == 0u);
        return true;
    };
    // Only a + b is determined.
    auto sum_only = ctgrad::make_parameters(a = 0.0, b = 0.0);
    BOOST_CHECK_EXCEPTION(ctgrad::newton().minimize(ctgrad::square(a + b - y) / 2_c, sum_only, batch), ctgrad::newton_error,
                          [&](const auto& e) {
                              return check(e, "the Hessian of the loss by (a, b) is singular at iteration 0 (a = 0, b = 0): "
                                              "given a, the loss does not determine b");
                          });
    // A parameter in the store that the loss does not contain.
    auto extra = ctgrad::make_parameters(a = 0.0, b = 0.0, c = 1.0);
    BOOST_CHECK_EXCEPTION(ctgrad::newton().minimize(line_loss, extra, batch), ctgrad::newton_error,
                          [&](const auto& e) { return check(e, "given a, b, the loss does not determine c"); });
}

BOOST_AUTO_TEST_CASE(reports_hessians_that_are_not_positive_definite) {
    const line_data d(20, 1.0, 0.0, 0.1, 15);
    const auto batch = ctgrad::make_batch(x = d.xs);
    auto params = ctgrad::make_parameters(a = 0.1);
    // cos(a) * (1 + x^2) has a maximum at a = 0.
    BOOST_CHECK_EXCEPTION(ctgrad::newton().minimize(ctgrad::cos(a) * (1_c + ctgrad::square(x)), params, batch),
                          ctgrad::newton_error, [](const auto& e) {
                              BOOST_TEST_MESSAGE(e.what());
                              return std::string(e.what()).find("is not positive definite at iteration 0 (a = 0.1): the loss "
                                                                "curves downwards along a") != std::string::npos;
                          });
    // a b (1 + x^2) is a saddle: nonsingular, but flat along a.
    auto saddle = ctgrad::make_parameters(a = 0.5, b = 0.5);
    BOOST_CHECK_EXCEPTION(ctgrad::newton().minimize(a * b * (1_c + ctgrad::square(x)), saddle, batch), ctgrad::newton_error,
                          [](const auto& e) {
                              BOOST_TEST_MESSAGE(e.what());
                              return std::string(e.what()).find("by (a, b) is not positive definite at iteration 0 (a = "
                                                                "0.5, b = 0.5): the loss is flat along a (pivot 0)") !=
                                     std::string::npos;
                          });
}

BOOST_AUTO_TEST_CASE(reports_a_loss_that_is_not_finite) {
    const line_data d(20, 1.0, 0.0, 0.1, 16);
    const auto batch = ctgrad::make_batch(y = d.ys);
    auto params = ctgrad::make_parameters(a = -1.0);
    BOOST_CHECK_EXCEPTION(ctgrad::newton().minimize(ctgrad::square(ctgrad::log(a) - y), params, batch), ctgrad::newton_error,
                          [](const auto& e) {
                              return std::string(e.what()).find("not finite at iteration 0 (a = -1)") != std::string::npos;
                          });
}

BOOST_AUTO_TEST_CASE(works_in_float) {
    const line_data d(64, 2.0, -1.0, 0.1, 17);
    auto xs = xt::xtensor<float, 1>::from_shape({d.xs.size()});
    auto ys = xs;
    for (std::size_t i = 0; i < xs.size(); ++i) {
        xs(i) = static_cast<float>(d.xs(i));
        ys(i) = static_cast<float>(d.ys(i));
    }
    const auto batch = ctgrad::make_batch(x = xs, y = ys);
    auto params = ctgrad::make_parameters(a = 0.0f, b = 0.0f);
    // float roundoff is ~1e-7 of the loss: the default 1e-10 could not be met.
    const auto result = ctgrad::newton({.tolerance = 1e-6}).minimize(line_loss, params, batch);
    BOOST_TEST(result.converged);
    BOOST_TEST(std::abs(params[a] - 2.0f) < 0.05f);
    BOOST_TEST(std::abs(params[b] + 1.0f) < 0.05f);
}

BOOST_AUTO_TEST_CASE(rejects_bad_options) {
    BOOST_CHECK_THROW(ctgrad::newton({.tolerance = -1}), ctgrad::invalid_argument);
}
