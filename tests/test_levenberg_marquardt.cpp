// Levenberg–Marquardt (optim/levenberg_marquardt.hpp): the streaming QR against the normal
// equations, blocks of rows and merged factors against rows one at a time, the same large fit
// on any number of threads, the model + dataset overload, NIST's Misra1a fitted from both starts to its certified values and standard
// deviations, an exact fit, the callback, and the errors for bad options, a residual not
// finite at the start, a parameter the data do not determine and an empty batch.
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
    // 100003 examples: several pieces of the pass, which threads share, and a ragged last chunk.
    constexpr std::size_t m = 100003;
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
