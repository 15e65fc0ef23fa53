// ctgrad/data/synthetic.hpp: d2l's SyntheticRegressionData. X ~ N(0, 1) of shape
// (n, len(w)), y = X w + b + noise * N(0, 1), n = num_train + num_val; the first num_train
// examples train, the rest validate. Also a set whose rows a process can draw alone (a shard).
#ifndef CTGRAD_DATA_SYNTHETIC_HPP
#define CTGRAD_DATA_SYNTHETIC_HPP

#include "ctgrad/core/symbol.hpp"
#include "ctgrad/data/dataset.hpp"
#include "ctgrad/data/random.hpp"
#include "ctgrad/data/row_range.hpp"
#include "ctgrad/error.hpp"

#include <xtensor/xtensor.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <iterator>
#include <string>
#include <type_traits>
#include <vector>

namespace ctgrad::data {

/// The book's defaults; the book sets no seed, ctgrad takes one.
struct synthetic_options {
    double noise = 0.01;
    std::size_t num_train = 1000;
    std::size_t num_val = 1000;
    std::size_t batch_size = 32;
    std::uint64_t seed = 0;
};

/// A dataset drawn around true parameters, which it remembers (true_w(), true_b()).
template <class T>
class regression_data : public dataset<T> {
public:
    regression_data(dataset<T> data, xt::xtensor<T, 1> w, T b)
        : dataset<T>(std::move(data)), m_w(std::move(w)), m_b(b) {}

    [[nodiscard]] const xt::xtensor<T, 1>& true_w() const noexcept { return m_w; }
    [[nodiscard]] T true_b() const noexcept { return m_b; }

private:
    xt::xtensor<T, 1> m_w;
    T m_b;
};

namespace detail {

/// Checks the arguments of a synthetic set (naming `call`) and returns w as a tensor.
template <class T, class W>
xt::xtensor<T, 1> checked_true_w(const std::string& call, const W& w, double b, const synthetic_options& options) {
    const std::string where = call + ": ";
    const std::size_t d = std::size(w);
    if (d == 0) throw invalid_argument(where + "w is empty");
    if (!(options.noise >= 0) || !std::isfinite(options.noise))
        throw invalid_argument(where + "noise must be finite and >= 0, not " + std::to_string(options.noise));
    if (!std::isfinite(b)) throw invalid_argument(where + "b is not finite");
    if (options.batch_size == 0) throw invalid_argument(where + "batch_size must be at least 1");
    if (options.num_train + options.num_val == 0)
        throw invalid_argument(where + "num_train + num_val is 0: there is nothing to draw");
    auto true_w = xt::xtensor<T, 1>::from_shape({d});
    std::copy(std::data(w), std::data(w) + d, true_w.begin());
    for (std::size_t j = 0; j < d; ++j)
        if (!std::isfinite(true_w(j))) throw invalid_argument(where + "w[" + std::to_string(j) + "] is not finite");
    return true_w;
}

/// Draws `count` examples as the book does: each one's features, then, after all of them, the
/// noise of each target. features is feature-major (d rows, `stride` apart).
template <class T>
void draw_examples(random_engine& random, const xt::xtensor<T, 1>& w, double b, double noise, std::size_t count, T* features,
                   std::size_t stride, T* targets) {
    const std::size_t d = w.size();
    for (std::size_t i = 0; i < count; ++i)
        for (std::size_t j = 0; j < d; ++j) features[j * stride + i] = static_cast<T>(random.normal());
    for (std::size_t i = 0; i < count; ++i) {
        double y = b;
        for (std::size_t j = 0; j < d; ++j) y += double(features[j * stride + i]) * double(w(j));
        targets[i] = static_cast<T>(y + noise * random.normal());
    }
}

} // namespace detail

/// synthetic_regression_data(std::vector{2.0, -3.4}, 4.2, {.seed = 7}). The number type is
/// w's (float or double). Examples are drawn one after another, each its features then, after
/// all of X, the noise, as the book draws them; the same seed gives the same data everywhere.
template <contiguous_values W>
auto synthetic_regression_data(const W& w, double b, const synthetic_options& options = {}) {
    using T = std::remove_cvref_t<decltype(*std::data(w))>;
    static_assert(std::is_same_v<T, float> || std::is_same_v<T, double>,
                  "ctgrad::data::synthetic_regression_data: w holds float or double");
    auto true_w = detail::checked_true_w<T>("ctgrad::data::synthetic_regression_data", w, b, options);
    const std::size_t d = true_w.size(), n = options.num_train + options.num_val;
    random_engine random(options.seed);
    auto features = xt::xtensor<T, 2>::from_shape({d, n});
    auto targets = xt::xtensor<T, 1>::from_shape({n});
    detail::draw_examples(random, true_w, b, options.noise, n, features.data(), n, targets.data());
    dataset<T> data(std::move(features), std::move(targets), {options.num_train, options.batch_size, options.seed});
    return regression_data<T>(std::move(data), std::move(true_w), static_cast<T>(b));
}

/// Examples per block of synthetic_regression_shard, each block drawn by its own engine.
inline constexpr std::size_t synthetic_shard_block = 4096;

/// Rows [rows.first, rows.first + rows.count) of a synthetic set of num_train + num_val
/// examples drawn so that a process can draw its rows alone, without the others': each block of
/// 4096 examples from its own engine, seeded from (seed, block index). So the shards of a
/// process group (rows = data::share_of(n, rank, ranks)) together hold the set one process
/// draws with rows = {0, n}, whatever the number of ranks. (It is not synthetic_regression_data's
/// set: the book's is one sequence.) The shard's rows below num_train train, the rest validate;
/// it is marked as a shard (dataset::mark_as_shard). Throws ctgrad::invalid_argument as
/// synthetic_regression_data does, and for rows past the set's end or no rows.
template <contiguous_values W>
auto synthetic_regression_shard(const W& w, double b, row_range rows, const synthetic_options& options = {}) {
    using T = std::remove_cvref_t<decltype(*std::data(w))>;
    static_assert(std::is_same_v<T, float> || std::is_same_v<T, double>,
                  "ctgrad::data::synthetic_regression_shard: w holds float or double");
    const std::string call = "ctgrad::data::synthetic_regression_shard";
    auto true_w = detail::checked_true_w<T>(call, w, b, options);
    const std::size_t d = true_w.size(), n = options.num_train + options.num_val;
    if (rows.count == 0 || rows.first > n || rows.count > n - rows.first)
        throw invalid_argument(call + ": rows {first " + std::to_string(rows.first) + ", count " + std::to_string(rows.count) +
                               "} are not within the set's " + std::to_string(n) + " examples; take data::share_of(" +
                               std::to_string(n) + ", rank, ranks) and give a rank without rows none");
    auto features = xt::xtensor<T, 2>::from_shape({d, rows.count});
    auto targets = xt::xtensor<T, 1>::from_shape({rows.count});
    const std::size_t end = rows.first + rows.count;
    auto block_features = xt::xtensor<T, 2>::from_shape({d, synthetic_shard_block});
    auto block_targets = xt::xtensor<T, 1>::from_shape({synthetic_shard_block});
    for (std::size_t block = rows.first / synthetic_shard_block; block * synthetic_shard_block < end; ++block) {
        const std::size_t start = block * synthetic_shard_block;
        const std::size_t count = std::min(synthetic_shard_block, n - start);
        random_engine random(options.seed + 0x9e3779b97f4a7c15ULL * (block + 1));
        detail::draw_examples(random, true_w, b, options.noise, count, block_features.data(), synthetic_shard_block,
                              block_targets.data());
        // This block's examples within the rows.
        const std::size_t from = std::max(start, rows.first), to = std::min(start + count, end);
        for (std::size_t j = 0; j < d; ++j)
            for (std::size_t i = from; i < to; ++i) features(j, i - rows.first) = block_features(j, i - start);
        for (std::size_t i = from; i < to; ++i) targets(i - rows.first) = block_targets(i - start);
    }
    const std::size_t train = std::clamp(options.num_train, rows.first, end) - rows.first;
    dataset<T> data(std::move(features), std::move(targets), {train, options.batch_size, options.seed});
    data.mark_as_shard();
    return regression_data<T>(std::move(data), std::move(true_w), static_cast<T>(b));
}

/// The same with w written in place: synthetic_regression_data({2, -3.4}, 4.2) (double).
inline auto synthetic_regression_data(std::initializer_list<double> w, double b, const synthetic_options& options = {}) {
    return synthetic_regression_data(std::vector<double>(w), b, options);
}

} // namespace ctgrad::data

#endif // CTGRAD_DATA_SYNTHETIC_HPP
