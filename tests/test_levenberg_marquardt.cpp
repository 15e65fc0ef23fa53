// Levenberg–Marquardt (optim/levenberg_marquardt.hpp): the streaming QR against the normal
// equations, blocks of rows and merged factors against rows one at a time, the same large fit
// on any number of threads, the model + dataset overload, NIST's Misra1a fitted from both starts to its certified values and standard
// deviations, an exact fit, the callback, vector parameters (against the linear least-squares
// solution written out, in chunks of many columns, nonlinear, through a model, on example-major
// rows), and the errors
// for bad options, a residual not finite at the start, a parameter the data do not determine,
// mismatched lengths and an empty batch.
#define BOOST_TEST_MODULE ctgrad_levenberg_marquardt
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include <ctgrad/ctgrad.hpp>
#include <ctgrad/optim/levenberg_marquardt.hpp>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

using namespace ctgrad::literals;
namespace data = ctgrad::data;

namespace {

constexpr ctgrad::input<"x"> x;
constexpr ctgrad::input<"y"> y;
constexpr ctgrad::param<"b1"> b1;
constexpr ctgrad::param<"b2"> b2;
constexpr ctgrad::param<"b3"> b3;

// NIST StRD Misra1a (public domain): y = b1 (1 - exp(-b2 x)), certified to 11 digits.
const xt::xtensor<double, 1> misra_x = {77.6, 114.9, 141.1, 190.8, 239.9, 289.0, 332.8,
                                        378.4, 434.8, 477.3, 536.8, 593.1, 689.1, 760.0};
const xt::xtensor<double, 1> misra_y = {10.07, 14.73, 17.94, 23.93, 29.61, 35.18, 40.02,
                                        44.82, 50.76, 55.05, 61.01, 66.40, 75.47, 81.78};
constexpr double misra_b1 = 2.3894212918E+02, misra_b2 = 5.5015643181E-04;
constexpr double misra_sd1 = 2.7070075241E+00, misra_sd2 = 7.2668688436E-06;
constexpr double misra_rss = 1.2455138894E-01;
constexpr auto misra_residual = b1 * (1_c - ctgrad::exp(-(b2 * x))) - y;

/// NIST's log relative error: the number of digits of `certified` that `estimate` gets right.
double lre(double estimate, double certified) {
    const double e = std::abs(estimate - certified) / std::abs(certified);
    return e == 0 ? 11.0 : std::min(11.0, std::max(0.0, -std::log10(e)));
}

/// m rows of n Jacobian entries and a residual, drawn from N(0, 1).
template <std::size_t n>
std::vector<std::array<double, n + 1>> random_rows(std::size_t m, std::uint64_t seed) {
    data::random_engine random(seed);
    std::vector<std::array<double, n + 1>> rows(m);
    for (auto& row : rows)
        for (auto& v : row) v = random.normal();
    return rows;
}

/// m examples of d standard normal features, feature-major as make_batch takes them.
xt::xtensor<double, 2> random_features(std::size_t d, std::size_t m, std::uint64_t seed) {
    data::random_engine random(seed);
    auto features = xt::xtensor<double, 2>::from_shape({d, m});
    for (auto& v : features) v = random.normal();
    return features;
}

/// The least-squares solution of [X; 1]ᵀ β = y (β = (w, b)) and σ² (AᵀA)⁻¹, from the normal
/// equations in long double by Gauss-Jordan elimination: independent of the solver's QR.
struct linear_fit {
    std::vector<double> beta;
    std::vector<std::vector<double>> covariance;
};

linear_fit solve_normal_equations(const xt::xtensor<double, 2>& features, const xt::xtensor<double, 1>& targets) {
    const std::size_t d = features.shape(0), m = features.shape(1), n = d + 1;
    auto a = [&](std::size_t j, std::size_t i) -> long double { return j < d ? features(j, i) : 1.0L; };
    // [AᵀA | Aᵀy | I], reduced to [I | β | (AᵀA)⁻¹].
    std::vector<std::vector<long double>> t(n, std::vector<long double>(2 * n + 1, 0.0L));
    for (std::size_t j = 0; j < n; ++j) {
        for (std::size_t k = 0; k < n; ++k)
            for (std::size_t i = 0; i < m; ++i) t[j][k] += a(j, i) * a(k, i);
        for (std::size_t i = 0; i < m; ++i) t[j][n] += a(j, i) * targets(i);
        t[j][n + 1 + j] = 1;
    }
    for (std::size_t k = 0; k < n; ++k) {
        const long double pivot = t[k][k];
        for (auto& v : t[k]) v /= pivot;
        for (std::size_t j = 0; j < n; ++j)
            if (j != k) {
                const long double f = t[j][k];
                for (std::size_t c = 0; c <= 2 * n; ++c) t[j][c] -= f * t[k][c];
            }
    }
    linear_fit out{std::vector<double>(n), std::vector<std::vector<double>>(n, std::vector<double>(n))};
    long double rss = 0;
    for (std::size_t j = 0; j < n; ++j) out.beta[j] = double(t[j][n]);
    for (std::size_t i = 0; i < m; ++i) {
        long double r = -targets(i);
        for (std::size_t j = 0; j < n; ++j) r += a(j, i) * t[j][n];
        rss += r * r;
    }
    for (std::size_t j = 0; j < n; ++j)
        for (std::size_t k = 0; k < n; ++k) out.covariance[j][k] = double(rss / (m - n) * t[j][n + 1 + k]);
    return out;
}

bool message_has(const std::exception& e, const std::string& part) {
    BOOST_TEST_MESSAGE(e.what());
    return std::string(e.what()).find(part) != std::string::npos;
}

} // namespace

BOOST_AUTO_TEST_CASE(streaming_qr_gives_the_normal_equations_factor) {
    // RᵀR must equal [J | r]ᵀ[J | r], whatever order the rows come in.
    constexpr std::size_t n = 3;
    const auto rows = random_rows<n>(50, 7);
    ctgrad::detail::streaming_qr<n> qr;
    for (const auto& row : rows) qr.add_row(row);
    for (std::size_t i = 0; i <= n; ++i)
        for (std::size_t j = 0; j <= n; ++j) {
            double direct = 0, factored = 0;
            for (const auto& row : rows) direct += row[i] * row[j];
            for (std::size_t k = 0; k <= std::min(i, j); ++k) factored += qr(k, i) * qr(k, j);
            BOOST_TEST(factored == direct, boost::test_tools::tolerance(1e-12));
        }
    for (std::size_t i = 1; i <= n; ++i)
        for (std::size_t j = 0; j < i; ++j) BOOST_TEST(qr(i, j) == 0.0);
}

/// R's entries from rows added one at a time (rotations) and from the same rows added in
/// blocks (reflections), in the blocks' sizes given.
template <std::size_t n>
void require_blocks_give_the_rotations_factor(const std::vector<std::array<double, n + 1>>& rows,
                                              const std::vector<std::size_t>& blocks, double tolerance) {
    ctgrad::detail::streaming_qr<n> rotated, reflected;
    for (const auto& row : rows) rotated.add_row(row);
    std::size_t first = 0;
    for (const std::size_t count : blocks) {
        std::vector<std::vector<double>> storage(n + 1, std::vector<double>(count));
        std::array<double*, n + 1> columns{};
        for (std::size_t j = 0; j <= n; ++j) {
            for (std::size_t i = 0; i < count; ++i) storage[j][i] = rows[first + i][j];
            columns[j] = storage[j].data();
        }
        reflected.add_rows(columns, count);
        first += count;
    }
    BOOST_REQUIRE(first == rows.size());
    for (std::size_t i = 0; i <= n; ++i)
        for (std::size_t j = i; j <= n; ++j) {
            const double scale = std::abs(rotated(j, j)) + std::abs(rotated(i, j));
            BOOST_TEST(std::abs(reflected(i, j) - rotated(i, j)) <= tolerance * scale, i << ", " << j);
        }
}

BOOST_AUTO_TEST_CASE(blocks_of_rows_give_the_factor_that_single_rows_give) {
    constexpr std::size_t n = 4;
    // Blocks shorter and longer than a SIMD width, an empty one, a single row.
    require_blocks_give_the_rotations_factor<n>(random_rows<n>(100, 3), {37, 0, 1, 50, 12}, 1e-13);
    // A column of entries whose squares overflow double: the block falls back to rotations.
    auto huge = random_rows<n>(40, 5);
    for (auto& row : huge) row[2] *= 1e200;
    require_blocks_give_the_rotations_factor<n>(huge, {40}, 1e-13);
    // A column that is 0 in the block but not before.
    auto gap = random_rows<n>(30, 9);
    for (std::size_t i = 10; i < 30; ++i) gap[i][1] = 0;
    require_blocks_give_the_rotations_factor<n>(gap, {10, 20}, 1e-13);
}

BOOST_AUTO_TEST_CASE(merged_factors_are_the_factor_of_all_rows) {
    constexpr std::size_t n = 3;
    const auto rows = random_rows<n>(60, 13);
    ctgrad::detail::streaming_qr<n> all, first, second;
    for (std::size_t i = 0; i < rows.size(); ++i) {
        all.add_row(rows[i]);
        (i < 25 ? first : second).add_row(rows[i]);
    }
    first.merge(second);
    for (std::size_t i = 0; i <= n; ++i)
        for (std::size_t j = i; j <= n; ++j) BOOST_TEST(first(i, j) == all(i, j), boost::test_tools::tolerance(1e-12));
}

/// (JᵀJ + λ D²) δ = -Jᵀr and the promised reduction, checked against the normal equations
/// written out, for m random rows.
template <std::size_t n>
void require_damped_step_solves_the_normal_equations(std::size_t m, const std::array<double, n>& scale, double lambda) {
    const auto rows = random_rows<n>(m, 11 + n);
    ctgrad::detail::streaming_qr<n> qr;
    for (const auto& row : rows) qr.add_row(row);
    const auto step = ctgrad::detail::solve_damped(qr, scale, lambda);
    for (std::size_t i = 0; i < n; ++i) {
        double lhs = lambda * scale[i] * scale[i] * step.step[i], rhs = 0, size = std::abs(lhs);
        for (const auto& row : rows) {
            for (std::size_t j = 0; j < n; ++j) {
                lhs += row[i] * row[j] * step.step[j];
                size += std::abs(row[i] * row[j] * step.step[j]);
            }
            rhs -= row[i] * row[n];
        }
        BOOST_TEST(std::abs(lhs - rhs) <= 1e-12 * (size + std::abs(rhs)), n << " parameters, entry " << i);
    }
    double before = 0, after = 0;
    for (const auto& row : rows) {
        double moved = row[n];
        for (std::size_t j = 0; j < n; ++j) moved += row[j] * step.step[j];
        before += row[n] * row[n];
        after += moved * moved;
    }
    BOOST_TEST(step.predicted_reduction == (before - after) / 2, boost::test_tools::tolerance(1e-10));
}

BOOST_AUTO_TEST_CASE(damped_step_solves_the_regularised_normal_equations) {
    require_damped_step_solves_the_normal_equations<2>(20, {2.0, 0.5}, 0.3);
    require_damped_step_solves_the_normal_equations<6>(40, {1.0, 3.0, 0.2, 7.0, 1e-3, 1.0}, 1e-2);
    // Damping rows whose squares overflow double: reduced by rotations instead of reflections.
    require_damped_step_solves_the_normal_equations<3>(15, {1e145, 1.0, 2.0}, 1.0);
}

BOOST_AUTO_TEST_CASE(fits_misra1a_to_its_certified_values_from_both_starts) {
    const auto batch = ctgrad::make_batch(x = misra_x, y = misra_y);
    for (const auto& [s1, s2] : {std::pair{500.0, 1e-4}, std::pair{250.0, 5e-4}}) {
        auto params = ctgrad::make_parameters(b1 = s1, b2 = s2);
        const auto result = ctgrad::levenberg_marquardt().minimize(misra_residual, params, batch);
        BOOST_TEST(result.converged(), ctgrad::to_string(result.termination));
        BOOST_TEST(lre(params[b1], misra_b1) > 9.5, params[b1]);
        BOOST_TEST(lre(params[b2], misra_b2) > 9.5, params[b2]);
        BOOST_TEST(lre(result.residual_sum_of_squares(), misra_rss) > 9.0);
        BOOST_TEST(lre(result.standard_errors[0], misra_sd1) > 8.0, result.standard_errors[0]);
        BOOST_TEST(lre(result.standard_errors[1], misra_sd2) > 8.0, result.standard_errors[1]);
        BOOST_TEST(result.covariance[0][1] == result.covariance[1][0]);
        BOOST_TEST(result.examples == misra_x.size());
        BOOST_TEST(result.initial_cost > result.cost);
        BOOST_TEST(result.iterations >= result.accepted_steps);
        BOOST_TEST(result.iterations < 100u);
    }
}

BOOST_AUTO_TEST_CASE(fits_in_float_too) {
    const xt::xtensor<float, 1> xf = xt::cast<float>(misra_x), yf = xt::cast<float>(misra_y);
    auto params = ctgrad::make_parameters<float>(b1 = 250, b2 = 5e-4f);
    const auto result = ctgrad::levenberg_marquardt().minimize(misra_residual, params, ctgrad::make_batch(x = xf, y = yf));
    BOOST_TEST(result.converged(), ctgrad::to_string(result.termination));
    BOOST_TEST(lre(params[b1], misra_b1) > 4.0, params[b1]);
    BOOST_TEST(lre(params[b2], misra_b2) > 4.0, params[b2]);
}

BOOST_AUTO_TEST_CASE(an_exact_fit_of_many_examples_stops_on_a_zero_or_tiny_residual) {
    // 5000 examples: more than one chunk of the streaming pass.
    constexpr std::size_t m = 5000;
    xt::xtensor<double, 1> xs = xt::linspace<double>(0.0, 4.0, m), ys = 3.0 * xt::exp(-0.7 * xs) + 0.25;
    auto params = ctgrad::make_parameters(b1 = 1.0, b2 = 0.1, b3 = 0.0);
    const auto result = ctgrad::levenberg_marquardt().minimize(b1 * ctgrad::exp(-(b2 * x)) + b3 - y, params,
                                                               ctgrad::make_batch(x = xs, y = ys));
    BOOST_TEST(result.converged(), ctgrad::to_string(result.termination));
    BOOST_TEST(params[b1] == 3.0, boost::test_tools::tolerance(1e-10));
    BOOST_TEST(params[b2] == 0.7, boost::test_tools::tolerance(1e-10));
    BOOST_TEST(params[b3] == 0.25, boost::test_tools::tolerance(1e-10));
    BOOST_TEST(result.cost < 1e-20);
}

BOOST_AUTO_TEST_CASE(a_large_fit_is_the_same_on_any_number_of_threads) {
    // 1100003 examples: 34 pieces of the pass, which threads share, in two rounds of pieces
    // (residual_pass.hpp), and a ragged last chunk.
    constexpr std::size_t m = 1100003;
    data::random_engine random(17);
    xt::xtensor<double, 1> xs = xt::linspace<double>(0.0, 800.0, m), ys = xs;
    for (std::size_t i = 0; i < m; ++i) ys(i) = misra_b1 * (1 - std::exp(-misra_b2 * xs(i))) + 0.1 * random.normal();
    const auto batch = ctgrad::make_batch(x = xs, y = ys);
    const std::size_t threads = ctgrad::max_threads();
    std::vector<std::array<double, 3>> fits;
    for (const std::size_t t : {std::size_t(1), std::size_t(2), std::size_t(3)}) {
        ctgrad::set_max_threads(t);
        auto params = ctgrad::make_parameters(b1 = 250.0, b2 = 5e-4);
        const auto result = ctgrad::levenberg_marquardt().minimize(misra_residual, params, batch);
        BOOST_TEST(result.converged(), ctgrad::to_string(result.termination));
        fits.push_back({params[b1], params[b2], result.cost});
    }
    ctgrad::set_max_threads(threads);
    for (const auto& fit : fits) {
        BOOST_TEST(fit[0] == fits[0][0]); // bit for bit
        BOOST_TEST(fit[1] == fits[0][1]);
        BOOST_TEST(fit[2] == fits[0][2]);
    }
    // The noise is small and the data many: the fit is close to the model's parameters.
    BOOST_TEST(fits[0][0] == misra_b1, boost::test_tools::tolerance(1e-3));
    BOOST_TEST(fits[0][1] == misra_b2, boost::test_tools::tolerance(1e-3));
}

BOOST_AUTO_TEST_CASE(fits_a_model_on_the_training_part_of_a_dataset) {
    // Misra1a's 14 readings for training and two wild ones after them for validation, which the
    // fit must not see: the model overload gives the explicit call's fit on the first 14.
    constexpr std::size_t n = 14;
    auto features = xt::xtensor<double, 2>::from_shape({1, n + 2});
    auto targets = xt::xtensor<double, 1>::from_shape({n + 2});
    for (std::size_t i = 0; i < n; ++i) {
        features(0, i) = misra_x(i);
        targets(i) = misra_y(i);
    }
    features(0, n) = features(0, n + 1) = 100.0;
    targets(n) = targets(n + 1) = 1e6;
    data::dataset<double> readings(std::move(features), std::move(targets), {.num_train = n});
    auto model = ctgrad::nn::make_model(b1 * (1_c - ctgrad::exp(-(b2 * x))), ctgrad::loss::mse, y);
    model.parameters()[b1] = 250.0;
    model.parameters()[b2] = 5e-4;
    const auto result = ctgrad::levenberg_marquardt().minimize(model, readings);

    auto params = ctgrad::make_parameters(b1 = 250.0, b2 = 5e-4);
    const auto direct = ctgrad::levenberg_marquardt().minimize(misra_residual, params, ctgrad::make_batch(x = misra_x, y = misra_y));
    BOOST_TEST(result.examples == n);
    BOOST_TEST(result.cost == direct.cost);
    BOOST_TEST(model.parameters()[b1] == params[b1]);
    BOOST_TEST(model.parameters()[b2] == params[b2]);
    BOOST_TEST(lre(model.parameters()[b1], misra_b1) > 9.5);
}

BOOST_AUTO_TEST_CASE(the_callback_sees_every_step_and_the_costs_never_rise) {
    const auto batch = ctgrad::make_batch(x = misra_x, y = misra_y);
    auto params = ctgrad::make_parameters(b1 = 500.0, b2 = 1e-4);
    std::vector<double> costs;
    std::size_t calls = 0, accepted = 0;
    const auto result = ctgrad::levenberg_marquardt({.max_iterations = 30}).minimize(misra_residual, params, batch, [&](const auto& it) {
        BOOST_TEST(it.iteration == calls);
        ++calls;
        accepted += it.accepted;
        BOOST_TEST(it.damping > 0);
        BOOST_TEST(std::isfinite(it.gradient_norm));
        costs.push_back(it.cost);
    });
    BOOST_TEST(calls == result.iterations + 1);
    BOOST_TEST(accepted == result.accepted_steps);
    for (std::size_t i = 1; i < costs.size(); ++i) BOOST_TEST(costs[i] <= costs[i - 1] * (1 + 1e-12));
    BOOST_TEST(costs.front() == result.initial_cost);
    BOOST_TEST(costs.back() == result.cost);
}

BOOST_AUTO_TEST_CASE(stops_at_max_iterations) {
    auto params = ctgrad::make_parameters(b1 = 500.0, b2 = 1e-4);
    const auto result = ctgrad::levenberg_marquardt({.max_iterations = 2}).minimize(misra_residual, params,
                                                                                      ctgrad::make_batch(x = misra_x, y = misra_y));
    BOOST_TEST(result.iterations == 2u);
    BOOST_TEST((result.termination == ctgrad::least_squares_termination::max_iterations));
    BOOST_TEST(!result.converged());
}

BOOST_AUTO_TEST_CASE(rejects_bad_options) {
    BOOST_CHECK_EXCEPTION(ctgrad::levenberg_marquardt({.function_tolerance = -1}), ctgrad::invalid_argument,
                          [](const auto& e) { return message_has(e, "function_tolerance must be finite and >= 0"); });
    BOOST_CHECK_EXCEPTION(ctgrad::levenberg_marquardt({.initial_damping = 0}), ctgrad::invalid_argument,
                          [](const auto& e) { return message_has(e, "initial_damping must be finite and > 0"); });
    BOOST_CHECK_EXCEPTION(ctgrad::levenberg_marquardt({.parameter_tolerance = std::numeric_limits<double>::infinity()}),
                          ctgrad::invalid_argument, [](const auto& e) { return message_has(e, "parameter_tolerance"); });
}

BOOST_AUTO_TEST_CASE(reports_what_it_cannot_fit) {
    const auto batch = ctgrad::make_batch(x = misra_x, y = misra_y);
    auto at_log_of_negative = ctgrad::make_parameters(b1 = -1.0, b2 = 1e-4);
    BOOST_CHECK_EXCEPTION(ctgrad::levenberg_marquardt().minimize(ctgrad::log(b1 * x) - y, at_log_of_negative, batch),
                          ctgrad::least_squares_error, [](const auto& e) {
                              return message_has(e, "the residual is not finite at the start (b1 = -1, b2 = 0.0001)") &&
                                     e.iteration() == 0;
                          });
    auto unused = ctgrad::make_parameters(b1 = 200.0, b2 = 5e-4, b3 = 1.0);
    BOOST_CHECK_EXCEPTION(ctgrad::levenberg_marquardt().minimize(misra_residual, unused, batch), ctgrad::least_squares_error,
                          [](const auto& e) { return message_has(e, "the data do not determine b3: the residual's derivative by it is 0"); });
    auto collinear = ctgrad::make_parameters(b1 = 1.0, b2 = 2.0);
    BOOST_CHECK_EXCEPTION(ctgrad::levenberg_marquardt().minimize((b1 + b2) * x - y, collinear, batch), ctgrad::least_squares_error,
                          [](const auto& e) { return message_has(e, "given b1, the data do not determine b2 at the start"); });
    const xt::xtensor<double, 1> none = xt::zeros<double>({0});
    auto params = ctgrad::make_parameters(b1 = 200.0, b2 = 5e-4);
    BOOST_CHECK_EXCEPTION(ctgrad::levenberg_marquardt().minimize(misra_residual, params, ctgrad::make_batch(x = none, y = none)),
                          ctgrad::invalid_argument, [](const auto& e) { return message_has(e, "the batch has no examples"); });
}

BOOST_AUTO_TEST_SUITE(vector_parameters)

constexpr ctgrad::input_vec<"x"> features;
constexpr ctgrad::param_vec<"w"> w;
constexpr ctgrad::param<"b"> b;

BOOST_AUTO_TEST_CASE(each_component_is_a_column_and_the_fit_is_the_linear_least_squares_solution) {
    // 70001 examples of 5 features: three pieces of the pass, on 1, 2 and 3 threads.
    constexpr std::size_t d = 5, m = 70001;
    const auto xs = random_features(d, m, 21);
    const std::vector<double> true_w = {1.5, -2.0, 0.25, 3.0, -0.75};
    data::random_engine random(22);
    xt::xtensor<double, 1> ys = xt::zeros<double>({m});
    for (std::size_t i = 0; i < m; ++i) {
        ys(i) = 0.5 + 0.3 * random.normal();
        for (std::size_t j = 0; j < d; ++j) ys(i) += true_w[j] * xs(j, i);
    }
    const auto reference = solve_normal_equations(xs, ys);
    const auto batch = ctgrad::make_batch(features = xs, y = ys);
    const std::size_t threads = ctgrad::max_threads();
    std::vector<std::vector<double>> fits;
    for (const std::size_t t : {std::size_t(1), std::size_t(2), std::size_t(3)}) {
        ctgrad::set_max_threads(t);
        auto params = ctgrad::make_parameters(w = std::vector<double>(d, 0.0), b = 0.0);
        const auto result = ctgrad::levenberg_marquardt().minimize(ctgrad::dot(w, features) + b - y, params, batch);
        static_assert(std::is_same_v<decltype(result.standard_errors), std::vector<double>>);
        BOOST_TEST(result.converged(), ctgrad::to_string(result.termination));
        BOOST_TEST(result.iterations <= 6u); // a linear model: Gauss-Newton steps, the damping falls at once
        BOOST_REQUIRE(result.covariance.size() == d + 1);
        BOOST_REQUIRE(result.standard_errors.size() == d + 1);
        for (std::size_t j = 0; j <= d; ++j) {
            const double fitted = j < d ? params[w](j) : params[b];
            BOOST_TEST(fitted == reference.beta[j], boost::test_tools::tolerance(1e-11));
            BOOST_TEST(result.standard_errors[j] == std::sqrt(reference.covariance[j][j]), boost::test_tools::tolerance(1e-9));
            for (std::size_t k = 0; k < j; ++k) {
                BOOST_TEST(result.covariance[j][k] == result.covariance[k][j]);
                BOOST_TEST(std::abs(result.covariance[j][k] - reference.covariance[j][k]) <= 1e-9 * result.standard_errors[j] * result.standard_errors[k]);
            }
        }
        std::vector<double> fit(params[w].begin(), params[w].end());
        fit.push_back(params[b]);
        fit.push_back(result.cost);
        fits.push_back(fit);
    }
    ctgrad::set_max_threads(threads);
    for (const auto& fit : fits)
        for (std::size_t j = 0; j < fit.size(); ++j) BOOST_TEST(fit[j] == fits[0][j]); // bit for bit
}

BOOST_AUTO_TEST_CASE(many_columns_are_reduced_in_shorter_chunks) {
    // 120 columns: a chunk of 537 examples keeps its columns in L2, so chunks start at offsets
    // that are not multiples of a lane group. Exact data: the fit recovers w to rounding.
    constexpr std::size_t d = 120, m = 3000;
    const auto xs = random_features(d, m, 31);
    xt::xtensor<double, 1> true_w = xt::zeros<double>({d}), ys = xt::zeros<double>({m});
    for (std::size_t j = 0; j < d; ++j) true_w(j) = std::sin(double(j)) * 2;
    for (std::size_t i = 0; i < m; ++i)
        for (std::size_t j = 0; j < d; ++j) ys(i) += true_w(j) * xs(j, i);
    auto params = ctgrad::make_parameters(w = std::vector<double>(d, 0.0));
    const auto result = ctgrad::levenberg_marquardt().minimize(ctgrad::dot(w, features) - y, params,
                                                               ctgrad::make_batch(features = xs, y = ys));
    BOOST_TEST(result.converged(), ctgrad::to_string(result.termination));
    BOOST_TEST(result.cost < 1e-20 * result.initial_cost);
    for (std::size_t j = 0; j < d; ++j) BOOST_TEST(std::abs(params[w](j) - true_w(j)) < 1e-12, "w[" << j << "]");
}

BOOST_AUTO_TEST_CASE(fits_a_nonlinear_model_of_a_vector_and_a_scalar) {
    // y = b exp(w·x): every column of J depends on all the parameters.
    constexpr std::size_t d = 3, m = 400;
    auto xs = random_features(d, m, 41);
    xs *= 0.5;
    const double true_w[] = {0.5, -0.2, 0.1}, true_b = 2.0;
    xt::xtensor<double, 1> ys = xt::zeros<double>({m});
    for (std::size_t i = 0; i < m; ++i) ys(i) = true_b * std::exp(true_w[0] * xs(0, i) + true_w[1] * xs(1, i) + true_w[2] * xs(2, i));
    auto params = ctgrad::make_parameters(w = std::vector<double>{0.0, 0.0, 0.0}, b = 1.0);
    std::size_t calls = 0;
    const auto result = ctgrad::levenberg_marquardt().minimize(b * ctgrad::exp(ctgrad::dot(w, features)) - y, params,
                                                               ctgrad::make_batch(features = xs, y = ys),
                                                               [&](const auto& it) { calls += it.params[w].size() == d; });
    BOOST_TEST(result.converged(), ctgrad::to_string(result.termination));
    BOOST_TEST(calls == result.iterations + 1);
    for (std::size_t j = 0; j < d; ++j) BOOST_TEST(params[w](j) == true_w[j], boost::test_tools::tolerance(1e-10));
    BOOST_TEST(params[b] == true_b, boost::test_tools::tolerance(1e-10));

    // The same in float: the columns are summed in double, the parameters kept in float.
    auto in_float = ctgrad::make_parameters<float>(w = std::vector<float>{0, 0, 0}, b = 1);
    const xt::xtensor<float, 2> xf = xt::cast<float>(xs);
    const xt::xtensor<float, 1> yf = xt::cast<float>(ys);
    const auto float_result = ctgrad::levenberg_marquardt().minimize(b * ctgrad::exp(ctgrad::dot(w, features)) - y, in_float,
                                                                     ctgrad::make_batch(features = xf, y = yf));
    BOOST_TEST(float_result.converged(), ctgrad::to_string(float_result.termination));
    for (std::size_t j = 0; j < d; ++j) BOOST_TEST(std::abs(in_float[w](j) - true_w[j]) < 1e-5);
    BOOST_TEST(in_float[b] == true_b, boost::test_tools::tolerance(1e-5));
}

BOOST_AUTO_TEST_CASE(fits_the_books_linear_model_through_the_model_overload) {
    // d2l 3.5's model, its weight sized from the data by minimize: the linear least-squares
    // solution on the training part, which lies within the noise of the book's parameters.
    auto d = data::synthetic_regression_data({2, -3.4}, 4.2, {.seed = 5});
    auto model = ctgrad::nn::linear_regression(0.03);
    const auto result = ctgrad::levenberg_marquardt().minimize(model, d);
    BOOST_TEST(result.converged(), ctgrad::to_string(result.termination));
    BOOST_TEST(result.examples == d.num_train());
    const auto [fitted_w, fitted_b] = model.get_w_b();
    BOOST_REQUIRE(fitted_w.size() == 2u);
    BOOST_TEST(std::abs(fitted_w(0) - 2) < 4 * result.standard_errors[0]);
    BOOST_TEST(std::abs(fitted_w(1) + 3.4) < 4 * result.standard_errors[1]);
    BOOST_TEST(std::abs(fitted_b - 4.2) < 4 * result.standard_errors[2]);
    BOOST_TEST(result.standard_errors[0] < 0.01);
}

BOOST_AUTO_TEST_CASE(fits_the_same_model_on_example_major_rows) {
    // The same fit from the rows of the same data: the row kernel sums in another order, so
    // the two agree to rounding.
    auto columns = data::synthetic_regression_data({2, -3.4, 0.7}, 4.2, {.seed = 6});
    auto rows = data::to_example_major(columns);
    auto by_columns = ctgrad::nn::linear_regression(0.03);
    auto by_rows = ctgrad::nn::linear_regression(0.03);
    const auto fit_columns = ctgrad::levenberg_marquardt().minimize(by_columns, columns);
    const auto fit_rows = ctgrad::levenberg_marquardt().minimize(by_rows, rows);
    BOOST_TEST(fit_rows.converged(), ctgrad::to_string(fit_rows.termination));
    BOOST_TEST(fit_rows.examples == rows.num_train());
    BOOST_TEST(fit_rows.cost == fit_columns.cost, boost::test_tools::tolerance(1e-10));
    const auto [w_rows, b_rows] = by_rows.get_w_b();
    const auto [w_columns, b_columns] = by_columns.get_w_b();
    BOOST_REQUIRE(w_rows.size() == 3u);
    for (std::size_t j = 0; j < 3; ++j) BOOST_TEST(w_rows(j) == w_columns(j), boost::test_tools::tolerance(1e-10));
    BOOST_TEST(b_rows == b_columns, boost::test_tools::tolerance(1e-10));
    for (std::size_t k = 0; k < 4; ++k)
        BOOST_TEST(fit_rows.standard_errors[k] == fit_columns.standard_errors[k], boost::test_tools::tolerance(1e-10));
    BOOST_TEST(std::abs(w_rows(1) + 3.4) < 4 * fit_rows.standard_errors[1]);

    // Misra1a's scalar input x, one number per row, and rank 1's share of the rows of 3 ranks.
    auto misra_rows = xt::xtensor<double, 2>::from_shape({misra_x.size(), 1});
    std::copy(misra_x.begin(), misra_x.end(), misra_rows.begin());
    auto readings = data::dataset<double, ctgrad::batch_layout::example_major>::from_rows(std::move(misra_rows), misra_y,
                                                                                          {.num_train = misra_x.size()});
    auto model = ctgrad::nn::make_model(b1 * (1_c - ctgrad::exp(-(b2 * x))), ctgrad::loss::mse, y);
    model.parameters()[b1] = 250.0;
    model.parameters()[b2] = 5e-4;
    ctgrad::levenberg_marquardt().minimize(model, readings);
    BOOST_TEST(lre(model.parameters()[b1], misra_b1) > 9.5);
    BOOST_TEST(lre(model.parameters()[b2], misra_b2) > 9.5);
}

BOOST_AUTO_TEST_CASE(names_the_component_the_data_do_not_determine_and_mismatched_lengths) {
    auto xs = random_features(4, 50, 51);
    xt::xtensor<double, 1> ys = xt::zeros<double>({50});
    for (std::size_t i = 0; i < 50; ++i) ys(i) = xs(0, i) + 0.1 * xs(3, i);
    const auto residual = ctgrad::dot(w, features) - y;
    for (std::size_t i = 0; i < 50; ++i) xs(2, i) = 0;
    auto zero_column = ctgrad::make_parameters(w = std::vector<double>(4, 1.0));
    BOOST_CHECK_EXCEPTION(ctgrad::levenberg_marquardt().minimize(residual, zero_column, ctgrad::make_batch(features = xs, y = ys)),
                          ctgrad::least_squares_error, [](const auto& e) {
                              return message_has(e, "the data do not determine w[2]: the residual's derivative by it is 0") &&
                                     message_has(e, "(w = [1, 1, 1, 1])");
                          });
    for (std::size_t i = 0; i < 50; ++i) xs(2, i) = 2 * xs(1, i);
    auto collinear = ctgrad::make_parameters(w = std::vector<double>(4, 1.0));
    BOOST_CHECK_EXCEPTION(ctgrad::levenberg_marquardt().minimize(residual, collinear, ctgrad::make_batch(features = xs, y = ys)),
                          ctgrad::least_squares_error,
                          [](const auto& e) { return message_has(e, "given w[0], w[1], the data do not determine w[2] at the start"); });
    auto short_w = ctgrad::make_parameters(w = std::vector<double>(3, 1.0), b = 0.0);
    BOOST_CHECK_EXCEPTION(ctgrad::levenberg_marquardt().minimize(residual + b, short_w, ctgrad::make_batch(features = xs, y = ys)),
                          ctgrad::invalid_argument, [](const auto& e) {
                              return message_has(e, "ctgrad::levenberg_marquardt::minimize, the derivative of the residual by w") &&
                                     message_has(e, "has length 4 but w has length 3");
                          });
    auto empty = ctgrad::make_parameters(w = std::vector<double>{});
    BOOST_CHECK_EXCEPTION(ctgrad::levenberg_marquardt().minimize(ctgrad::sum(ctgrad::exp(w)) - y, empty, ctgrad::make_batch(y = ys)),
                          ctgrad::invalid_argument, [](const auto& e) { return message_has(e, "the parameters have no components (w = [])"); });
    // Messages show a long vector by its first components.
    BOOST_TEST(ctgrad::detail::describe_parameters(ctgrad::make_parameters(w = std::vector<double>(8, 1.5), b = 2.0)) ==
               "w = [1.5, 1.5, 1.5, ... 8 values], b = 2");
}

BOOST_AUTO_TEST_SUITE_END()
