// Data: the portable random engine, d2l's synthetic data, the dataset split and the loaders
// (shuffling, the short last batch, reused buffers, in-place validation views), and the same
// in example-major rows, batch for batch the feature-major numbers.
#define BOOST_TEST_MODULE ctgrad_data
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include <ctgrad/ctgrad.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <numeric>
#include <random>
#include <set>
#include <stdexcept>
#include <vector>

namespace data = ctgrad::data;

namespace {

std::vector<std::size_t> epoch_indices(data::minibatch_loader<double>& loader) {
    std::vector<std::size_t> seen;
    loader.start_epoch();
    const auto order = loader.order();
    std::size_t at = 0;
    for (std::size_t i = 0; i < loader.size(); ++i) {
        const auto batch = loader.batch(i);
        for (std::size_t k = 0; k < batch.size(); ++k) seen.push_back(order[at++]);
    }
    return seen;
}

constexpr auto rows_layout = ctgrad::batch_layout::example_major;
using rows_dataset = data::dataset<double, rows_layout>;
using rows_batch = data::minibatch<double, rows_layout>;

/// n examples of d features, row i = example i, drawn from N(0, 1); targets from N(0, 1) too.
std::pair<xt::xtensor<double, 2>, xt::xtensor<double, 1>> random_rows(std::size_t n, std::size_t d, std::uint64_t seed) {
    data::random_engine random(seed);
    auto rows = xt::xtensor<double, 2>::from_shape({n, d});
    auto targets = xt::xtensor<double, 1>::from_shape({n});
    for (auto& v : rows) v = random.normal();
    for (auto& v : targets) v = random.normal();
    return {std::move(rows), std::move(targets)};
}

/// How many numbers of the two batches differ (features and targets), or the size when the
/// shapes differ.
std::size_t differences(const data::minibatch<double>& columns, const rows_batch& rows) {
    if (rows.size() != columns.size() || rows.features.m_features != columns.features.m_features)
        return std::max<std::size_t>(rows.size() + columns.size(), 1);
    std::size_t count = 0;
    for (std::size_t k = 0; k < rows.size(); ++k) {
        for (std::size_t j = 0; j < rows.features.m_features; ++j)
            count += rows.features.m_data[k * rows.features.m_stride + j] !=
                     columns.features.m_data[j * columns.features.m_stride + k];
        count += rows.targets.m_data[k] != columns.targets.m_data[k];
    }
    return count;
}

template <class F>
std::string error_of(F&& call) {
    try {
        call();
    } catch (const ctgrad::invalid_argument& e) {
        return e.what();
    }
    return "no error";
}

} // namespace

BOOST_AUTO_TEST_SUITE(random_numbers)

BOOST_AUTO_TEST_CASE(same_seed_same_numbers_and_other_seed_other_numbers) {
    data::random_engine a(7), b(7), c(8);
    for (int i = 0; i < 100; ++i) {
        const double x = a.normal();
        BOOST_TEST(x == b.normal());
        BOOST_TEST(x != c.normal());
    }
}

BOOST_AUTO_TEST_CASE(normal_draws_have_mean_0_and_variance_1) {
    data::random_engine r(1);
    const int n = 200'000;
    double sum = 0, sum_sq = 0;
    for (int i = 0; i < n; ++i) {
        const double x = r.normal();
        sum += x;
        sum_sq += x * x;
    }
    const double mean = sum / n, var = sum_sq / n - mean * mean;
    BOOST_TEST(std::abs(mean) < 0.01); // 4.5 standard errors
    BOOST_TEST(std::abs(var - 1) < 0.015);
    data::random_engine s(2);
    double scaled = 0;
    for (int i = 0; i < 1000; ++i) scaled += std::abs(s.normal(5.0, 0.0) - 5.0);
    BOOST_TEST(scaled == 0.0);
}

BOOST_AUTO_TEST_CASE(uniform_is_in_0_1_and_below_is_unbiased) {
    data::random_engine r(3);
    std::vector<int> counts(6, 0);
    for (int i = 0; i < 60'000; ++i) {
        const double u = r.uniform();
        BOOST_TEST((u >= 0 && u < 1));
        ++counts[r.below(6)];
    }
    for (int count : counts) BOOST_TEST(std::abs(count - 10'000) < 400); // 4 standard deviations
}

BOOST_AUTO_TEST_CASE(shuffle_is_a_permutation) {
    data::random_engine r(4);
    std::vector<int> v(1000);
    for (int i = 0; i < 1000; ++i) v[i] = i;
    r.shuffle(v.begin(), v.end());
    BOOST_TEST(!std::is_sorted(v.begin(), v.end()));
    std::sort(v.begin(), v.end());
    for (int i = 0; i < 1000; ++i) BOOST_TEST(v[i] == i);
}

// Every length: the pairwise draws (two swaps per 64-bit draw) must leave none out, whether
// the length is odd or even.
BOOST_AUTO_TEST_CASE(shuffles_of_every_small_length_are_permutations) {
    data::random_engine r(5);
    for (int n = 0; n <= 40; ++n) {
        std::vector<int> v(static_cast<std::size_t>(n));
        std::iota(v.begin(), v.end(), 0);
        r.shuffle(v.begin(), v.end());
        std::sort(v.begin(), v.end());
        for (int i = 0; i < n; ++i) BOOST_TEST(v[static_cast<std::size_t>(i)] == i);
    }
}

// Each of the 6 orders of 3 elements (two swaps from the two halves of one draw) and of the
// 24 orders of 4 (such a pair, then the last swap from a draw of its own) comes out equally
// often.
BOOST_AUTO_TEST_CASE(shuffles_of_3_and_4_elements_give_every_order_equally_often) {
    data::random_engine r(6);
    for (int n : {3, 4}) {
        std::map<std::vector<int>, int> counts;
        const int orders = n == 3 ? 6 : 24, draws = 2000 * orders;
        for (int i = 0; i < draws; ++i) {
            std::vector<int> v(static_cast<std::size_t>(n));
            std::iota(v.begin(), v.end(), 0);
            r.shuffle(v.begin(), v.end());
            ++counts[v];
        }
        BOOST_TEST(counts.size() == static_cast<std::size_t>(orders));
        // 2000 expected each; the standard deviation is about 44, so 4.5 of them is 200.
        for (const auto& [order, count] : counts) BOOST_TEST(std::abs(count - 2000) < 200);
    }
}

// For n = 3 * 2^30, r * n / 2^32 = 0.75 r maps the r = 4q and 4q + 1 both to 3q: without
// the rejection, results divisible by 3 would come half the time instead of a third. The
// rejected r are exactly those with r mod 4 == 0 (a low half below 2^32 mod n = 2^30).
BOOST_AUTO_TEST_CASE(multiply_shift_rejects_the_draws_that_would_bias_it) {
    const std::uint64_t n = std::uint64_t{3} << 30;
    std::mt19937 bits(7);
    auto draw = [&] { return static_cast<std::uint32_t>(bits()); };
    int multiples_of_3 = 0;
    const int draws = 90'000;
    for (int i = 0; i < draws; ++i) {
        const std::uint32_t k = data::detail::multiply_shift_below(draw(), n, draw);
        BOOST_TEST(k < n);
        multiples_of_3 += k % 3 == 0;
    }
    BOOST_TEST(std::abs(multiples_of_3 - draws / 3) < 640); // 4.5 standard deviations (141)
    int redraws = 0;
    for (std::uint32_t r : {0u, 4u, 8u, 0xfffffffcu}) {
        data::detail::multiply_shift_below(r, n, [&] { return ++redraws, 1u; });
    }
    BOOST_TEST(redraws == 4);
    BOOST_TEST(data::detail::multiply_shift_below(1u, n, [] { return 0u; }) == 0u);
    BOOST_TEST(data::detail::multiply_shift_below(0xffffffffu, n, [] { return 0u; }) == n - 1);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(synthetic)

BOOST_AUTO_TEST_CASE(the_books_data) {
    auto d = data::synthetic_regression_data({2, -3.4}, 4.2, {.seed = 5});
    BOOST_TEST(d.size() == 2000u);
    BOOST_TEST(d.num_features() == 2u);
    BOOST_TEST(d.num_train() == 1000u);
    BOOST_TEST(d.num_val() == 1000u);
    BOOST_TEST(d.true_b() == 4.2);
    BOOST_TEST(d.true_w()(1) == -3.4);
    // y - (X w + b) is the noise: mean 0, standard deviation 0.01.
    double sum = 0, sum_sq = 0, x_sum_sq = 0;
    for (std::size_t i = 0; i < d.size(); ++i) {
        const double noise = d.targets()(i) - (2 * d.features()(0, i) - 3.4 * d.features()(1, i) + 4.2);
        sum += noise;
        sum_sq += noise * noise;
        x_sum_sq += d.features()(0, i) * d.features()(0, i);
    }
    BOOST_TEST(std::abs(sum / 2000) < 0.001);
    BOOST_TEST(std::abs(std::sqrt(sum_sq / 2000) - 0.01) < 0.001);
    BOOST_TEST(std::abs(x_sum_sq / 2000 - 1) < 0.1); // X ~ N(0, 1)
}

BOOST_AUTO_TEST_CASE(the_seed_decides_the_data) {
    auto a = data::synthetic_regression_data({2, -3.4}, 4.2, {.seed = 9});
    auto b = data::synthetic_regression_data({2, -3.4}, 4.2, {.seed = 9});
    auto c = data::synthetic_regression_data({2, -3.4}, 4.2, {.seed = 10});
    BOOST_TEST(a.features() == b.features());
    BOOST_TEST(a.targets() == b.targets());
    BOOST_TEST(a.features()(0, 0) != c.features()(0, 0));
}

BOOST_AUTO_TEST_CASE(float_data) {
    auto d = data::synthetic_regression_data(std::vector<float>{1.0f, 2.0f, 3.0f}, 0.5, {.num_train = 10, .num_val = 3});
    static_assert(std::is_same_v<decltype(d)::value_type, float>);
    BOOST_TEST(d.num_features() == 3u);
    BOOST_TEST(d.val_dataloader().size() == 1u);
}

BOOST_AUTO_TEST_CASE(bad_arguments_are_named) {
    auto message_of = [](auto&& call) {
        try {
            call();
        } catch (const ctgrad::invalid_argument& e) {
            return std::string(e.what());
        }
        return std::string("no error");
    };
    BOOST_TEST(message_of([] { data::synthetic_regression_data(std::vector<double>{}, 1.0); }) ==
               "ctgrad::data::synthetic_regression_data: w is empty");
    BOOST_TEST(message_of([] { data::synthetic_regression_data({1.0}, 1.0, {.batch_size = 0}); }) ==
               "ctgrad::data::synthetic_regression_data: batch_size must be at least 1");
    BOOST_TEST(message_of([] { data::synthetic_regression_data({1.0}, 1.0, {.noise = -1}); }).find("noise must be finite and >= 0") !=
               std::string::npos);
    BOOST_TEST(message_of([] { data::synthetic_regression_data({1.0}, 1.0, {.num_train = 0, .num_val = 0}); }) ==
               "ctgrad::data::synthetic_regression_data: num_train + num_val is 0: there is nothing to draw");
    BOOST_TEST(message_of([] { data::synthetic_regression_data({std::numeric_limits<double>::quiet_NaN()}, 1.0); }) ==
               "ctgrad::data::synthetic_regression_data: w[0] is not finite");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(loaders)

BOOST_AUTO_TEST_CASE(training_loader_takes_every_example_once_per_epoch_in_a_new_order) {
    auto d = data::synthetic_regression_data({2, -3.4}, 4.2, {.seed = 1});
    auto& train = d.train_dataloader();
    BOOST_TEST(train.size() == 32u); // 31 full batches and one of 8
    std::vector<std::vector<std::size_t>> epochs;
    for (int e = 0; e < 3; ++e) {
        auto seen = epoch_indices(train);
        BOOST_TEST(seen.size() == 1000u);
        std::set<std::size_t> unique(seen.begin(), seen.end());
        BOOST_TEST(unique.size() == 1000u);
        BOOST_TEST(*unique.begin() == 0u);
        BOOST_TEST(*unique.rbegin() == 999u);
        epochs.push_back(seen);
    }
    BOOST_TEST((epochs[0] != epochs[1] && epochs[1] != epochs[2]));
    BOOST_TEST(train.batch(31).size() == 8u);
    for (std::size_t i = 0; i < 31; ++i) BOOST_TEST(train.batch(i).size() == 32u);
}

BOOST_AUTO_TEST_CASE(a_gathered_batch_holds_the_shuffled_examples_feature_major) {
    auto d = data::synthetic_regression_data({2, -3.4, 1.0}, 4.2, {.num_train = 100, .num_val = 0, .batch_size = 16, .seed = 2});
    auto& train = d.train_dataloader();
    train.start_epoch();
    const auto order = train.order();
    const auto batch = train.batch(6); // the short one: 100 = 6 * 16 + 4
    BOOST_TEST(batch.size() == 4u);
    for (std::size_t k = 0; k < 4; ++k) {
        const std::size_t example = order[6 * 16 + k];
        for (std::size_t j = 0; j < 3; ++j)
            BOOST_TEST(batch.features.m_data[j * batch.features.m_stride + k] == d.features()(j, example));
        BOOST_TEST(batch.targets.m_data[k] == d.targets()(example));
    }
}

// The fused kernel loads a lane group of examples from each row; a row off a 64-byte line makes
// every such load span two lines (1.4-1.6x the time in the caches, README).
template <class T>
void check_gathered_rows_start_on_a_line(std::size_t batch_size) {
    auto d = data::synthetic_regression_data(std::vector<T>{T(1), T(-2), T(3)}, 0.5,
                                             {.num_train = 50, .num_val = 0, .batch_size = batch_size, .seed = 5});
    auto& train = d.train_dataloader();
    train.start_epoch();
    const auto order = train.order();
    for (std::size_t i = 0; i < train.size(); ++i) {
        const auto batch = train.batch(i);
        BOOST_TEST(reinterpret_cast<std::uintptr_t>(batch.targets.m_data) % 64 == 0u);
        for (std::size_t j = 0; j < 3; ++j) {
            const T* row = batch.features.m_data + j * batch.features.m_stride;
            BOOST_TEST(reinterpret_cast<std::uintptr_t>(row) % 64 == 0u, "row " << j << " of batch " << i);
            for (std::size_t k = 0; k < batch.size(); ++k) BOOST_TEST(row[k] == d.features()(j, order[i * batch_size + k]));
        }
    }
}

BOOST_AUTO_TEST_CASE(every_row_of_a_gathered_batch_starts_on_a_cache_line) {
    for (std::size_t batch_size : {16u, 10u, 3u, 50u}) {
        check_gathered_rows_start_on_a_line<double>(batch_size);
        check_gathered_rows_start_on_a_line<float>(batch_size);
    }
}

BOOST_AUTO_TEST_CASE(gathered_rows_are_an_odd_number_of_lines_apart) {
    // A batch size of 1024 doubles would put rows 8 KiB apart, in the same cache sets.
    for (std::size_t batch_size : {1024u, 16u, 10u}) {
        auto d = data::synthetic_regression_data({2, -3.4}, 4.2, {.num_train = 2048, .num_val = 0, .batch_size = batch_size});
        auto& train = d.train_dataloader();
        train.start_epoch();
        const std::size_t stride = train.batch(0).features.m_stride;
        BOOST_TEST(stride == ctgrad::padded_stride<double>(batch_size));
        BOOST_TEST(stride >= batch_size);
        BOOST_TEST(stride * sizeof(double) % 64 == 0u);
        BOOST_TEST(stride * sizeof(double) / 64 % 2 == 1u, "batch size " << batch_size);
    }
}

BOOST_AUTO_TEST_CASE(padded_stride_is_the_fewest_whole_lines_in_an_odd_number) {
    BOOST_TEST(ctgrad::padded_stride<double>(0) == 8u); // one line: an odd number
    BOOST_TEST(ctgrad::padded_stride<double>(1) == 8u);
    BOOST_TEST(ctgrad::padded_stride<double>(8) == 8u);
    BOOST_TEST(ctgrad::padded_stride<double>(9) == 24u);  // 2 lines, made 3
    BOOST_TEST(ctgrad::padded_stride<double>(24) == 24u);
    BOOST_TEST(ctgrad::padded_stride<double>(32768) == 32776u);
    BOOST_TEST(ctgrad::padded_stride<float>(32768) == 32784u);
    BOOST_TEST(ctgrad::padded_stride<float>(245784) == 245808u); // 15362 lines of floats, made 15363
}

template <class T>
void check_padded_copies() {
    // Feature j of example i is 10 * j + i, from (d, m) features and from (m, d) rows alike.
    const std::size_t d = 3, m = 1024;
    auto features = xt::xtensor<T, 2>::from_shape({d, m});
    auto rows = xt::xtensor<T, 2>::from_shape({m, d});
    for (std::size_t j = 0; j < d; ++j)
        for (std::size_t i = 0; i < m; ++i) features(j, i) = rows(i, j) = T(10 * j + i);
    for (const auto& padded : {ctgrad::padded_feature_major<T>::from_features(features),
                               ctgrad::padded_feature_major<T>::from_rows(rows)}) {
        BOOST_TEST(padded.features() == d);
        BOOST_TEST(padded.examples() == m);
        BOOST_TEST(padded.stride() == ctgrad::padded_stride<T>(m));
        const ctgrad::feature_major_view<T> view = padded.view();
        BOOST_TEST(view.m_stride == padded.stride());
        BOOST_TEST((view.m_features == d && view.m_examples == m));
        std::size_t wrong = 0;
        for (std::size_t j = 0; j < d; ++j) {
            BOOST_TEST(reinterpret_cast<std::uintptr_t>(padded.row(j)) % 64 == 0u);
            for (std::size_t i = 0; i < m; ++i)
                wrong += padded(j, i) != T(10 * j + i) || view.m_data[j * view.m_stride + i] != T(10 * j + i);
        }
        BOOST_TEST(wrong == 0u);
    }
}

BOOST_AUTO_TEST_CASE(padded_feature_major_copies_features_and_rows) {
    check_padded_copies<double>();
    check_padded_copies<float>();
}

BOOST_AUTO_TEST_CASE(batches_reuse_the_loaders_buffers) {
    auto d = data::synthetic_regression_data({2, -3.4}, 4.2, {.seed = 3});
    auto& train = d.train_dataloader();
    const double* first = nullptr;
    for (const auto& batch : train) {
        if (!first) first = batch.features.m_data;
        BOOST_TEST(batch.features.m_data == first);
    }
    for (const auto& batch : train) BOOST_TEST(batch.features.m_data == first);
}

BOOST_AUTO_TEST_CASE(validation_is_in_order_and_views_the_data) {
    auto d = data::synthetic_regression_data({2, -3.4}, 4.2, {.seed = 4});
    auto& val = d.val_dataloader();
    BOOST_TEST(val.size() == 32u);
    for (int pass = 0; pass < 2; ++pass) {
        std::size_t expected = 1000;
        for (const auto& batch : val) {
            BOOST_TEST(batch.features.m_data == d.features().data() + expected); // no copy
            BOOST_TEST(batch.features.m_stride == ctgrad::padded_stride<double>(2000)); // 2008
            BOOST_TEST(batch.targets.m_data[0] == d.targets()(expected));
            expected += batch.size();
        }
        BOOST_TEST(expected == 2000u);
    }
    BOOST_TEST(val.batch(31).size() == 8u);
}

BOOST_AUTO_TEST_CASE(a_moved_dataset_keeps_working_loaders) {
    auto source = data::synthetic_regression_data({1.0, 2.0}, 0.0, {.num_train = 50, .num_val = 10, .seed = 5});
    const double first_target = source.targets()(50);
    auto moved = std::move(source);
    const auto batch = moved.val_dataloader().batch(0);
    BOOST_TEST(batch.targets.m_data == moved.targets().data() + 50);
    BOOST_TEST(batch.targets.m_data[0] == first_target);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(datasets)

BOOST_AUTO_TEST_CASE(from_rows_transposes) {
    const xt::xtensor<double, 2> rows{{1, 2}, {3, 4}, {5, 6}};
    auto d = data::dataset<double>::from_rows(rows, xt::xtensor<double, 1>{7, 8, 9}, {.num_train = 2, .batch_size = 2});
    BOOST_TEST(d.features()(0, 1) == 3.0);
    BOOST_TEST(d.features()(1, 2) == 6.0);
    BOOST_TEST(d.num_train() == 2u);
    BOOST_TEST(d.num_val() == 1u);
}

BOOST_AUTO_TEST_CASE(feature_major_rows_are_stored_padded_and_read_back_as_given) {
    // 2^10 examples: unpadded, the rows would be 8 KiB apart and fall into the same cache sets.
    const std::size_t d = 3, n = 1024, stride = ctgrad::padded_stride<double>(n);
    BOOST_TEST(stride == 1032u);
    auto given = xt::xtensor<double, 2>::from_shape({d, n});
    for (std::size_t j = 0; j < d; ++j)
        for (std::size_t i = 0; i < n; ++i) given(j, i) = 1000.0 * double(j) + double(i);
    const xt::xtensor<double, 1> targets = xt::arange<double>(double(n));
    const data::split_options split{.num_train = 1000, .batch_size = 64};
    auto rows = xt::xtensor<double, 2>::from_shape({n, d});
    for (std::size_t i = 0; i < n; ++i)
        for (std::size_t j = 0; j < d; ++j) rows(i, j) = given(j, i);
    const data::dataset<double> made(xt::xtensor<double, 2>(given), targets, split);
    const auto from_rows = data::dataset<double>::from_rows(rows, targets, split);
    for (const auto* data : {&made, &from_rows}) {
        BOOST_TEST(data->features() == given);
        BOOST_TEST(data->features().strides()[0] == std::ptrdiff_t(stride));
        const auto all = data->train_batch();
        BOOST_TEST(all.size() == 1000u);
        BOOST_TEST(all.features.m_stride == stride);
        BOOST_TEST(all.features.m_data == data->features().data()); // in place
        std::size_t wrong = 0;
        for (std::size_t j = 0; j < d; ++j) {
            BOOST_TEST(reinterpret_cast<std::uintptr_t>(all.features.m_data + j * stride) % 64 == 0u);
            for (std::size_t i = 0; i < n; ++i) wrong += all.features.m_data[j * stride + i] != given(j, i);
        }
        BOOST_TEST(wrong == 0u);
    }
}

BOOST_AUTO_TEST_CASE(bad_data_is_named) {
    auto message_of = [](xt::xtensor<double, 2> f, xt::xtensor<double, 1> t, data::split_options o) {
        try {
            data::dataset<double> d(std::move(f), std::move(t), o);
        } catch (const ctgrad::invalid_argument& e) {
            return std::string(e.what());
        }
        return std::string("no error");
    };
    const double nan = std::numeric_limits<double>::quiet_NaN();
    BOOST_TEST(message_of({{1, 2, 3}}, {1, 2}, {.num_train = 1}) ==
               "ctgrad::data::dataset: features have 3 examples but targets have 2");
    BOOST_TEST(message_of({{1, 2}}, {1, 2}, {.num_train = 3}) == "ctgrad::data::dataset: num_train is 3 but there are only 2 examples");
    BOOST_TEST(message_of({{1, 2}}, {1, 2}, {.num_train = 1, .batch_size = 0}) == "ctgrad::data::dataset: batch_size must be at least 1");
    BOOST_TEST(message_of({{1, 2}, {3, nan}}, {1, 2}, {.num_train = 1}) ==
               "ctgrad::data::dataset: feature 1 of example 1 is not finite");
    BOOST_TEST(message_of({{1, 2}}, {nan, 2}, {.num_train = 1}) == "ctgrad::data::dataset: the target of example 0 is not finite");
}

BOOST_AUTO_TEST_CASE(a_scalar_input_takes_one_feature_only) {
    constexpr ctgrad::input<"t"> t;
    const xt::xtensor<double, 2> two_features{{1, 2}, {3, 4}};
    BOOST_CHECK_EXCEPTION(ctgrad::make_batch(t = two_features), std::invalid_argument, [](const std::invalid_argument& e) {
        return std::string(e.what()) == "ctgrad::make_batch: input t is a scalar per example but is bound to 2 features";
    });
    const xt::xtensor<double, 2> one_feature{{1, 2}};
    BOOST_TEST(ctgrad::make_batch(t = one_feature).examples() == 2u);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(example_major)

BOOST_AUTO_TEST_CASE(from_rows_keeps_the_rows_and_counts_the_features) {
    auto [rows, targets] = random_rows(7, 3, 1);
    const xt::xtensor<double, 2> kept = rows;
    auto d = rows_dataset::from_rows(std::move(rows), targets, {.num_train = 5, .batch_size = 2, .seed = 3});
    static_assert(decltype(d)::layout == rows_layout);
    BOOST_TEST(d.features() == kept); // shape (n, d), not transposed
    BOOST_TEST(d.size() == 7u);
    BOOST_TEST(d.num_features() == 3u);
    BOOST_TEST(d.num_train() == 5u);
    BOOST_TEST(d.num_val() == 2u);
    BOOST_TEST(d.options().seed == 3u);
    const auto all = d.train_batch();
    BOOST_TEST(all.features.m_data == d.features().data()); // in place
    BOOST_TEST(all.features.m_stride == 3u);
    BOOST_TEST(all.size() == 5u);
}

BOOST_AUTO_TEST_CASE(to_example_major_keeps_the_examples_the_split_and_the_seed) {
    auto columns = data::synthetic_regression_data({2, -3.4, 0.5}, 4.2, {.num_train = 40, .num_val = 9, .batch_size = 8, .seed = 6});
    const auto rows = data::to_example_major(columns);
    static_assert(std::is_same_v<std::remove_cvref_t<decltype(rows)>, rows_dataset>);
    BOOST_TEST((rows.features().shape() == std::array<std::size_t, 2>{49, 3}));
    for (std::size_t i = 0; i < 49; ++i)
        for (std::size_t j = 0; j < 3; ++j) BOOST_TEST(rows.features()(i, j) == columns.features()(j, i));
    BOOST_TEST(rows.targets() == columns.targets());
    BOOST_TEST(rows.num_features() == 3u);
    BOOST_TEST(rows.num_train() == 40u);
    BOOST_TEST(rows.num_val() == 9u);
    BOOST_TEST(rows.batch_size() == 8u);
    BOOST_TEST(rows.options().seed == 6u);
    BOOST_TEST(!rows.is_shard());
    BOOST_TEST(differences(columns.train_batch(), rows.train_batch()) == 0u);
}

BOOST_AUTO_TEST_CASE(loaders_give_the_feature_major_numbers_epoch_after_epoch) {
    // 100 training examples in batches of 16 (the last one of 4) and 37 validation ones (the
    // last batch of 5), from the same rows and seed in both layouts.
    auto [rows, targets] = random_rows(137, 3, 2);
    const data::split_options split{.num_train = 100, .batch_size = 16, .seed = 8};
    auto columns = data::dataset<double>::from_rows(rows, targets, split);
    auto by_rows = rows_dataset::from_rows(rows, targets, split);
    auto& train_columns = columns.train_dataloader();
    auto& train_rows = by_rows.train_dataloader();
    BOOST_TEST(train_rows.size() == 7u);
    BOOST_TEST(train_rows.num_features() == 3u);
    std::vector<std::vector<std::size_t>> orders;
    for (int epoch = 0; epoch < 3; ++epoch) {
        train_columns.start_epoch();
        train_rows.start_epoch();
        BOOST_TEST(train_rows.order() == train_columns.order());
        orders.push_back(train_rows.order());
        for (std::size_t i = 0; i < train_rows.size(); ++i) {
            const auto batch = train_rows.batch(i);
            BOOST_TEST(batch.size() == (i == 6 ? 4u : 16u));
            BOOST_TEST(batch.features.m_stride == 3u); // the gathered rows lie back to back
            BOOST_TEST(differences(train_columns.batch(i), batch) == 0u, "epoch " << epoch << ", batch " << i);
        }
        std::size_t at = 100;
        for (std::size_t i = 0; i < by_rows.val_dataloader().size(); ++i) {
            const auto batch = by_rows.val_dataloader().batch(i);
            BOOST_TEST(batch.features.m_data == by_rows.features().data() + at * 3); // a view, no copy
            BOOST_TEST(differences(columns.val_dataloader().batch(i), batch) == 0u);
            at += batch.size();
        }
        BOOST_TEST(at == 137u);
        BOOST_TEST(by_rows.val_dataloader().batch(2).size() == 5u);
    }
    BOOST_TEST((orders[0] != orders[1] && orders[1] != orders[2]));
}

BOOST_AUTO_TEST_CASE(gathered_rows_reuse_one_aligned_buffer) {
    auto rows = data::to_example_major(data::synthetic_regression_data({1.0, 2.0}, 0.0, {.seed = 3}));
    const double* first = nullptr;
    for (int epoch = 0; epoch < 2; ++epoch)
        for (const auto& batch : rows.train_dataloader()) {
            if (!first) first = batch.features.m_data;
            BOOST_TEST(batch.features.m_data == first);
            BOOST_TEST(reinterpret_cast<std::uintptr_t>(batch.targets.m_data) % 64 == 0u);
        }
    BOOST_TEST(reinterpret_cast<std::uintptr_t>(first) % 64 == 0u);
}

BOOST_AUTO_TEST_CASE(a_share_of_rows_starts_at_its_first_example) {
    auto [rows, targets] = random_rows(50, 4, 3);
    const data::split_options split{.num_train = 47, .batch_size = 10, .seed = 4};
    auto columns = data::dataset<double>::from_rows(rows, targets, split);
    auto by_rows = rows_dataset::from_rows(rows, targets, split);
    const rows_batch whole = by_rows.train_batch();
    std::size_t next = 0;
    for (std::size_t rank = 0; rank < 3; ++rank) {
        const rows_batch share = data::share_of(whole, rank, 3);
        const data::row_range expected = data::share_of(47, rank, 3);
        BOOST_TEST(share.size() == expected.count);
        BOOST_TEST(share.features.m_data == by_rows.features().data() + expected.first * 4);
        BOOST_TEST(share.targets.m_data == by_rows.targets().data() + expected.first);
        BOOST_TEST(share.features.m_stride == 4u);
        BOOST_TEST(differences(data::share_of(columns.train_batch(), rank, 3), share) == 0u);
        BOOST_TEST(differences(columns.train_batch(rank, 3), by_rows.train_batch(rank, 3)) == 0u);
        BOOST_TEST(expected.first == next);
        next += share.size();
    }
    BOOST_TEST(next == 47u);
}

BOOST_AUTO_TEST_CASE(a_rank_takes_its_share_of_every_gathered_batch) {
    auto [rows, targets] = random_rows(60, 2, 5);
    const data::split_options split{.num_train = 45, .batch_size = 8, .seed = 6};
    auto columns = data::dataset<double>::from_rows(rows, targets, split);
    auto whole = rows_dataset::from_rows(rows, targets, split);
    auto share = rows_dataset::from_rows(rows, targets, split);
    columns.train_dataloader().take_share(1, 3);
    share.train_dataloader().take_share(1, 3);
    share.val_dataloader().take_share(1, 3);
    columns.val_dataloader().take_share(1, 3);
    for (int epoch = 0; epoch < 2; ++epoch) {
        whole.train_dataloader().start_epoch();
        share.train_dataloader().start_epoch();
        columns.train_dataloader().start_epoch();
        for (std::size_t i = 0; i < whole.train_dataloader().size(); ++i) {
            const auto full = whole.train_dataloader().batch(i);
            const auto mine = share.train_dataloader().batch(i);
            const data::row_range part = data::share_of(full.size(), 1, 3);
            BOOST_TEST_REQUIRE(mine.size() == part.count);
            for (std::size_t k = 0; k < mine.size(); ++k) {
                BOOST_TEST(mine.features.m_data[k * 2] == full.features.m_data[(part.first + k) * 2]);
                BOOST_TEST(mine.features.m_data[k * 2 + 1] == full.features.m_data[(part.first + k) * 2 + 1]);
                BOOST_TEST(mine.targets.m_data[k] == full.targets.m_data[part.first + k]);
            }
            BOOST_TEST(differences(columns.train_dataloader().batch(i), mine) == 0u);
        }
        for (std::size_t i = 0; i < share.val_dataloader().size(); ++i)
            BOOST_TEST(differences(columns.val_dataloader().batch(i), share.val_dataloader().batch(i)) == 0u);
    }
}

BOOST_AUTO_TEST_CASE(a_shard_stays_a_shard_and_keeps_its_batches_whole) {
    auto rows = data::to_example_major(
        data::synthetic_regression_shard(std::vector<double>{1.0, -1.0}, 0.5, {10, 30}, {.num_train = 30, .num_val = 20, .batch_size = 4}));
    BOOST_TEST(rows.is_shard());
    BOOST_TEST(rows.num_train() == 20u);
    rows.train_dataloader().take_share(2, 4);
    BOOST_TEST(rows.train_dataloader().batch(0).size() == 4u);
    BOOST_TEST(rows.train_batch(2, 4).size() == 20u);
}

BOOST_AUTO_TEST_CASE(bad_data_is_named_with_the_shape_expected) {
    auto make = [](xt::xtensor<double, 2> f, xt::xtensor<double, 1> t, data::split_options o) {
        return [f = std::move(f), t = std::move(t), o] { rows_dataset d(f, t, o); };
    };
    const double nan = std::numeric_limits<double>::quiet_NaN();
    const double inf = std::numeric_limits<double>::infinity();
    // Three examples of two features, given feature-major (2, 3) by mistake.
    BOOST_TEST(error_of(make({{1, 2, 3}, {4, 5, 6}}, {1, 2, 3}, {.num_train = 1})) ==
               "ctgrad::data::dataset (example-major): features of shape (2, 3) hold 2 examples but targets have 3: "
               "example-major features have shape (examples, features), here (3, d)");
    BOOST_TEST(error_of(make({{1, 2}, {3, 4}}, {1, 2}, {.num_train = 3})) ==
               "ctgrad::data::dataset (example-major): num_train is 3 but there are only 2 examples");
    BOOST_TEST(error_of(make({{1, 2}, {3, 4}}, {1, 2}, {.num_train = 1, .batch_size = 0})) ==
               "ctgrad::data::dataset (example-major): batch_size must be at least 1");
    // Row 1 is example 1: its feature 0 is the first number that is not finite.
    BOOST_TEST(error_of(make({{1, 2, 3}, {nan, 5, inf}}, {1, 2}, {.num_train = 1})) ==
               "ctgrad::data::dataset (example-major): feature 0 of example 1 is not finite");
    BOOST_TEST(error_of(make({{1, 2, 3}, {4, 5, 6}}, {1, inf}, {.num_train = 1})) ==
               "ctgrad::data::dataset (example-major): the target of example 1 is not finite");
    BOOST_TEST(error_of(make({{1, 2, 3}, {4, 5, 6}}, {1, 2}, {.num_train = 2})) == "no error");
    BOOST_TEST(error_of([] {
                   rows_dataset::from_rows(xt::xtensor<double, 2>{{1, 2}, {3, 4}, {5, 6}}, {1, 2}, {.num_train = 1});
               }).starts_with("ctgrad::data::dataset (example-major): features of shape (3, 2) hold 3 examples but targets have 2"));
    // to_example_major of good data is good data.
    BOOST_TEST(error_of([] { (void)data::to_example_major(data::synthetic_regression_data({1.0}, 0.0, {.num_train = 3, .num_val = 1})); }) ==
               "no error");
}

BOOST_AUTO_TEST_SUITE_END()
