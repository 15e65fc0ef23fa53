// The fused kernel over example-major rows (eval/row_kernel.hpp) on real calls: the schedule it
// runs; value_and_grad, value and predict against the d2l reference loop and the same numbers
// feature-major, for feature counts below the SIMD width, between widths, short rows (read side
// by side) and long ones (one after another, prefetching), with the scalar tail; long rows
// starting anywhere in a line (the masked first lane group); rows a wider
// stride apart (a view of some columns of a table); two input vectors of different lengths;
// large batches split into chunks give the same bits on any number of threads; Levenberg–
// Marquardt's Jacobian columns gathered from rows; Newton; and make_batch's check of a rows view.
#define BOOST_TEST_MODULE ctgrad_rows
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include <ctgrad/ctgrad.hpp>
#include <ctgrad/eval/fused.hpp>
#include <ctgrad/optim/levenberg_marquardt.hpp>
#include <ctgrad/optim/newton.hpp>

#include "fused_reference.hpp"

#include <cmath>
#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <vector>

using namespace ctgrad::literals;

namespace {

using namespace fused_test;

constexpr auto d2l_loss = ctgrad::square(ctgrad::dot(x, w) + b - y) / 2_c;

/// Random feature-major X (d x m) and the same numbers example-major, `stride` apart (>= d),
/// starting where malloc puts them or, with `shift`, that many numbers past a 64-byte line.
template <class T>
struct two_layouts {
    static constexpr std::size_t line_numbers = 64 / sizeof(T);
    std::size_t d, m, stride;
    std::vector<T> feature_major, rows, Y;
    std::size_t first = 0; ///< where in `rows` the first row starts

    two_layouts(std::size_t features, std::size_t examples, std::size_t row_stride, std::mt19937_64& rng,
                std::optional<std::size_t> shift = std::nullopt)
        : d(features), m(examples), stride(row_stride), feature_major(random_vector<T>(features * examples, 1.0, rng)),
          rows(examples * row_stride + 2 * line_numbers, T(1e30)), Y(random_vector<T>(examples, 1.0, rng)) {
        if (shift) {
            const auto address = reinterpret_cast<std::uintptr_t>(rows.data());
            first = (64 - address % 64) % 64 / sizeof(T) + *shift;
        }
        for (std::size_t i = 0; i < m; ++i)
            for (std::size_t j = 0; j < d; ++j) rows[first + i * stride + j] = feature_major[j * m + i];
    }
    [[nodiscard]] ctgrad::example_major_view<T> row_view() const { return {rows.data() + first, d, m, stride}; }
    [[nodiscard]] ctgrad::feature_major_view<T> column_view() const { return {feature_major.data(), d, m, m}; }
};

template <class T>
auto d2l_params(std::size_t d, std::mt19937_64& rng) {
    const std::vector<T> w0 = random_vector<T>(d, 0.5, rng);
    return ctgrad::make_parameters<T>(w = w0, b = T(0.25));
}

template <class T>
void check_d2l(std::size_t d, std::size_t m, std::size_t stride, std::optional<std::size_t> shift = std::nullopt) {
    std::mt19937_64 rng(d * 1000 + m + stride);
    const two_layouts<T> data(d, m, stride, rng, shift);
    const auto params = d2l_params<T>(d, rng);
    const std::string where = "d=" + std::to_string(d) + " m=" + std::to_string(m) + " stride=" + std::to_string(stride) +
                              (shift ? " shift=" + std::to_string(*shift) : std::string());
    const d2l_reference ref = reference_d2l(data.feature_major.data(), data.Y, params, d, m);

    const auto rows = ctgrad::make_batch(x = data.row_view(), y = data.Y);
    auto grads = params.zeros_like();
    const T loss = ctgrad::value_and_grad(d2l_loss, params, rows, grads);
    require_near_reference(ref, m, loss, grads, where);
    require_loss_near_reference(ref, m, ctgrad::value(d2l_loss, params, rows), where + " value()");
    require_predictions_near_reference(ref, ctgrad::predict(ctgrad::dot(x, w) + b, params, rows), laws_tolerance<T>,
                                       where + " predict()");
}

} // namespace

BOOST_AUTO_TEST_CASE(rows_run_lane_groups_of_rows_then_the_scalar_tail) {
    std::mt19937_64 rng(1);
    const two_layouts<double> data(40, 1000, 40, rng);
    const auto params = d2l_params<double>(40, rng);
    const auto rows = ctgrad::make_batch(x = data.row_view(), y = data.Y);
    using pass_type = ctgrad::detail::gradient_pass<std::remove_const_t<decltype(d2l_loss)>, std::remove_const_t<decltype(params)>,
                                                    std::remove_const_t<decltype(rows)>>;
    const pass_type pass(d2l_loss, params, rows);
    BOOST_TEST(pass.schedule(0) == ctgrad::detail::rows_schedule(0, 1000));
    BOOST_TEST(to_string(pass.schedule(0)) == "rows, single");
}

BOOST_AUTO_TEST_CASE(the_d2l_loss_over_rows_equals_the_reference_loop) {
    constexpr std::size_t lanes = ctgrad::simd::lanes_v<ctgrad::simd::batch<double>>;
    // Fewer features than lanes (all in the scalar part of a row), a width and a bit, short rows
    // (side by side) at the bound, long rows with a feature tail; m with and without a tail.
    for (std::size_t d : {std::size_t(1), std::size_t(3), lanes + 1, 4 * lanes, 4 * lanes + 1, 9 * lanes + 3})
        for (std::size_t m : {std::size_t(1), std::size_t(5), 4 * lanes, 37 * lanes + 3}) {
            check_d2l<double>(d, m, d);
            check_d2l<float>(d, m, d);
        }
}

BOOST_AUTO_TEST_CASE(long_rows_starting_anywhere_in_a_line_equal_the_reference_loop) {
    // Rows a whole number of lane groups long share their place in a line, and the kernel takes the
    // features before the first aligned lane group as one masked group (row_alignment): every
    // start within a line, with a feature tail after the aligned groups or none; rows that do not
    // share it (stride d + 1) take none.
    for (std::size_t shift = 0; shift < two_layouts<double>::line_numbers; ++shift) {
        check_d2l<double>(64, 203, 64, shift);
        check_d2l<double>(72, 37, 72, shift);
        check_d2l<double>(65, 37, 66, shift);
    }
    for (std::size_t shift = 0; shift < two_layouts<float>::line_numbers; ++shift) {
        check_d2l<float>(128, 203, 128, shift);
        check_d2l<float>(144, 37, 144, shift);
        check_d2l<float>(65, 37, 66, shift);
    }
}

BOOST_AUTO_TEST_CASE(rows_a_wider_stride_apart_read_only_their_features) {
    // The rest of each row holds 1e30: reading past d would show in every sum.
    for (std::size_t d : {std::size_t(2), std::size_t(17), std::size_t(70)}) {
        check_d2l<double>(d, 203, d + 5);
        check_d2l<float>(d, 203, d + 5);
    }
}

BOOST_AUTO_TEST_CASE(two_input_vectors_of_different_lengths_over_rows_equal_the_feature_major_batch) {
    std::mt19937_64 rng(7);
    const std::size_t m = 301;
    const two_layouts<double> first(13, m, 13, rng), second(50, m, 50, rng);
    const auto params = ctgrad::make_parameters<double>(w = random_vector<double>(13, 0.5, rng),
                                                        v = random_vector<double>(50, 0.5, rng), b = 0.1);
    const auto loss = ctgrad::square(ctgrad::dot(x, w) * ctgrad::sum(ctgrad::square(z - v)) + b - y) + ctgrad::dot(z, v) * y;
    const auto rows = ctgrad::make_batch(x = first.row_view(), z = second.row_view(), y = first.Y);
    const auto columns = ctgrad::make_batch(x = first.column_view(), z = second.column_view(), y = first.Y);
    auto row_grads = params.zeros_like(), column_grads = params.zeros_like();
    const double row_loss = ctgrad::value_and_grad(loss, params, rows, row_grads);
    const double column_loss = ctgrad::value_and_grad(loss, params, columns, column_grads);
    const double scale = std::abs(column_loss);
    BOOST_TEST(std::abs(row_loss - column_loss) <= 1e-12 * scale);
    BOOST_TEST(std::abs(row_grads[b] - column_grads[b]) <= 1e-12 * (1 + std::abs(column_grads[b])));
    for (std::size_t j = 0; j < 13; ++j)
        BOOST_TEST(std::abs(row_grads[w](j) - column_grads[w](j)) <= 1e-11 * (1 + std::abs(column_grads[w](j))), "w " << j);
    for (std::size_t j = 0; j < 50; ++j)
        BOOST_TEST(std::abs(row_grads[v](j) - column_grads[v](j)) <= 1e-11 * (1 + std::abs(column_grads[v](j))), "v " << j);
}

BOOST_AUTO_TEST_CASE(a_large_batch_of_rows_gives_the_same_bits_on_any_number_of_threads) {
    // 16 MiB and more of rows: the pass is split into chunks (eval/chunks.hpp).
    std::mt19937_64 rng(3);
    const std::size_t d = 130, m = 20011;
    const two_layouts<double> data(d, m, d, rng);
    const auto params = d2l_params<double>(d, rng);
    const auto rows = ctgrad::make_batch(x = data.row_view(), y = data.Y);
    const d2l_reference ref = reference_d2l(data.feature_major.data(), data.Y, params, d, m);

    const std::size_t threads_before = ctgrad::max_threads();
    ctgrad::set_max_threads(1);
    auto one = params.zeros_like();
    const double loss_one = ctgrad::value_and_grad(d2l_loss, params, rows, one);
    require_near_reference(ref, m, loss_one, one, "one thread");
    for (std::size_t threads : {std::size_t(2), std::size_t(3)}) {
        ctgrad::set_max_threads(threads);
        auto many = params.zeros_like();
        const double loss_many = ctgrad::value_and_grad(d2l_loss, params, rows, many);
        require_identical(one, many, loss_one, loss_many, std::to_string(threads) + " threads");
        BOOST_TEST(ctgrad::value(d2l_loss, params, rows) == ctgrad::value(d2l_loss, params, rows));
    }
    ctgrad::set_max_threads(threads_before);
}

BOOST_AUTO_TEST_CASE(levenberg_marquardt_over_rows_reaches_the_feature_major_solution) {
    // A linear least-squares problem with a vector parameter: its Jacobian columns are gathered
    // from the rows (row_evaluator::element).
    std::mt19937_64 rng(11);
    const std::size_t d = 11, m = 157;
    const two_layouts<double> data(d, m, d, rng);
    const auto residual = ctgrad::dot(x, w) + b - y;
    auto from_rows = ctgrad::make_parameters<double>(w = std::vector<double>(d, 0.0), b = 0.0);
    auto from_columns = from_rows;
    const auto rows_result =
        ctgrad::levenberg_marquardt().minimize(residual, from_rows, ctgrad::make_batch(x = data.row_view(), y = data.Y));
    const auto columns_result =
        ctgrad::levenberg_marquardt().minimize(residual, from_columns, ctgrad::make_batch(x = data.column_view(), y = data.Y));
    BOOST_TEST(rows_result.converged());
    BOOST_TEST(columns_result.converged());
    BOOST_TEST(std::abs(from_rows[b] - from_columns[b]) <= 1e-10);
    for (std::size_t j = 0; j < d; ++j) BOOST_TEST(std::abs(from_rows[w](j) - from_columns[w](j)) <= 1e-10, "w " << j);
}

BOOST_AUTO_TEST_CASE(newton_over_rows_reaches_the_feature_major_solution) {
    // Newton takes scalar parameters; its Hessian's rows are value_and_grad of the partials.
    constexpr ctgrad::param<"a"> a;
    const auto loss = ctgrad::square(a * ctgrad::sum(x) + b * ctgrad::sum(ctgrad::square(x)) - y);
    std::mt19937_64 rng(13);
    const std::size_t d = 6, m = 90;
    const two_layouts<double> data(d, m, d, rng);
    auto from_rows = ctgrad::make_parameters<double>(a = 0.0, b = 0.0);
    auto from_columns = from_rows;
    const auto rows_result = ctgrad::newton().minimize(loss, from_rows, ctgrad::make_batch(x = data.row_view(), y = data.Y));
    const auto columns_result = ctgrad::newton().minimize(loss, from_columns, ctgrad::make_batch(x = data.column_view(), y = data.Y));
    BOOST_TEST(rows_result.converged);
    BOOST_TEST(columns_result.converged);
    BOOST_TEST(std::abs(from_rows[a] - from_columns[a]) <= 1e-10);
    BOOST_TEST(std::abs(from_rows[b] - from_columns[b]) <= 1e-10);
    BOOST_TEST(from_rows[a] != 0.0);
}

BOOST_AUTO_TEST_CASE(make_batch_rejects_a_rows_view_narrower_than_its_features) {
    const std::vector<double> numbers(20, 1.0), Y(4, 1.0);
    const ctgrad::example_major_view<double> bad{numbers.data(), 5, 4, 3};
    BOOST_CHECK_EXCEPTION(ctgrad::make_batch(x = bad, y = Y), std::invalid_argument, [](const std::invalid_argument& e) {
        return std::string(e.what()) == "ctgrad::make_batch: input x is not a valid example-major view";
    });
    const ctgrad::example_major_view<double> good{numbers.data(), 5, 4, 5};
    BOOST_TEST(ctgrad::make_batch(x = good, y = Y).examples() == 4u);
}
