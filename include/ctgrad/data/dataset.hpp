// ctgrad/data/dataset.hpp: examples split into a training part (the first num_train examples,
// reshuffled every epoch) and a validation part (the rest, in order), with the book's
// train_dataloader() / val_dataloader(). A dataset<T> holds its features feature-major: d rows
// of n numbers, padded_stride<T>(n) numbers apart (eval/padded_feature_major.hpp); a dataset<T,
// batch_layout::example_major> holds them in rows, (n, d), and hands out example-major batches
// (to_example_major converts the one into the other).
#ifndef CTGRAD_DATA_DATASET_HPP
#define CTGRAD_DATA_DATASET_HPP

#include "ctgrad/data/loader.hpp"
#include "ctgrad/error.hpp"
#include "ctgrad/eval/padded_feature_major.hpp"

#include <xtensor/xtensor.hpp>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <type_traits>

namespace ctgrad::data {

/// How a dataset is split and batched.
struct split_options {
    std::size_t num_train = 0;   ///< the first num_train examples train; the rest validate
    std::size_t batch_size = 32; ///< examples per minibatch (the last one may be short)
    std::uint64_t seed = 0;      ///< seeds the training loader's shuffles
};

/// The seed of a dataset's training shuffles, from split_options::seed. The shuffles get
/// their own stream, so they do not depend on how many numbers generating the data took; a
/// hand-written loop that replays a dataset's batch order seeds its engine with this.
inline std::uint64_t shuffle_seed(std::uint64_t seed) noexcept { return seed ^ 0x9e3779b97f4a7c15ULL; }

namespace detail {
/// A copy of `in` (a 2-D xtensor expression) with rows and columns swapped, read in the order
/// `in` is stored.
template <class E>
auto transposed(const E& in) {
    using T = typename E::value_type;
    auto out = xt::xtensor<T, 2>::from_shape({in.shape(1), in.shape(0)});
    for (std::size_t i = 0; i < in.shape(0); ++i)
        for (std::size_t j = 0; j < in.shape(1); ++j) out(j, i) = in(i, j);
    return out;
}
} // namespace detail

template <class T, batch_layout L = batch_layout::feature_major>
class dataset {
    static_assert(std::is_same_v<T, float> || std::is_same_v<T, double>, "ctgrad::data::dataset<T>: T is float or double");
    static constexpr bool by_examples = L == batch_layout::example_major;
    // Feature-major rows padded apart, so that a full batch of 2^k examples does not put its
    // rows into the same cache sets.
    using storage = std::conditional_t<by_examples, xt::xtensor<T, 2>, padded_feature_major<T>>;

public:
    using value_type = T;
    static constexpr batch_layout layout = L;

    /// features: shape (d, n), feature j of example i at (j, i), or, example-major, shape
    /// (n, d), at (i, j); targets: n values. A feature-major dataset copies the features into
    /// its padded rows (so for a moment both are in memory); an example-major one moves them.
    /// Throws ctgrad::invalid_argument for a shape mismatch, batch_size 0, num_train > n,
    /// or a NaN or infinite value (naming the example and feature).
    dataset(xt::xtensor<T, 2> features, xt::xtensor<T, 1> targets, const split_options& options)
        : dataset(as_stored{}, stored(std::move(features)), std::move(targets), options) {}

    /// From the usual layout, one row per example: rows has shape (n, d). A feature-major
    /// dataset transposes them; an example-major one keeps them as they are (moved when given
    /// an rvalue).
    static dataset from_rows(const xt::xtensor<T, 2>& rows, xt::xtensor<T, 1> targets, const split_options& options)
        requires(!by_examples)
    {
        return dataset(as_stored{}, padded_feature_major<T>::from_rows(rows), std::move(targets), options);
    }
    static dataset from_rows(xt::xtensor<T, 2> rows, xt::xtensor<T, 1> targets, const split_options& options)
        requires by_examples
    {
        return dataset(std::move(rows), std::move(targets), options);
    }

    // The loaders point into this object's tensors: a copy would read the original's.
    // A move keeps the tensors' buffers, so moving is safe.
    dataset(const dataset&) = delete;
    dataset& operator=(const dataset&) = delete;
    dataset(dataset&&) noexcept = default;
    dataset& operator=(dataset&&) noexcept = default;

    [[nodiscard]] std::size_t size() const noexcept { return m_targets.size(); }
    [[nodiscard]] std::size_t num_features() const noexcept {
        if constexpr (by_examples)
            return m_features.shape(1);
        else
            return m_features.features();
    }
    [[nodiscard]] std::size_t num_train() const noexcept { return m_train.num_examples(); }
    [[nodiscard]] std::size_t num_val() const noexcept { return m_val.num_examples(); }
    [[nodiscard]] std::size_t batch_size() const noexcept { return m_options.batch_size; }
    /// The split, batch size and seed the dataset was made with.
    [[nodiscard]] const split_options& options() const noexcept { return m_options; }

    /// The features, read-only: feature-major, a (d, n) xtensor expression viewing the padded
    /// rows in place (strides()[0] is the distance between rows, padded_stride<T>(n)); example-major,
    /// the (n, d) xt::xtensor as stored. And the n targets.
    [[nodiscard]] decltype(auto) features() const {
        if constexpr (by_examples)
            return static_cast<const xt::xtensor<T, 2>&>(m_features);
        else
            return m_features.tensor();
    }
    [[nodiscard]] const xt::xtensor<T, 1>& targets() const noexcept { return m_targets; }

    /// The training part as one minibatch, in place (for full-batch solvers: newton,
    /// levenberg_marquardt).
    [[nodiscard]] minibatch<T, L> train_batch() const noexcept {
        return {{feature_data(), num_features(), num_train(), feature_stride()}, {m_targets.data(), 1, num_train(), size()}};
    }

    /// Declares that this dataset holds one process's rows of a larger set (npy_dataset with
    /// `.rows` and synthetic_regression_shard do it): over a process group, the trainer takes each
    /// of its batches whole, as the rank's part of the global batch, and the solvers its whole
    /// training part, rather than a share of them.
    void mark_as_shard() noexcept {
        m_shard = true;
        m_train.mark_as_shard();
        m_val.mark_as_shard();
    }
    [[nodiscard]] bool is_shard() const noexcept { return m_shard; }

    /// This process's part of the training examples, as one minibatch: the whole training part
    /// of a shard, else rank `rank`'s share (data::share_of) of it, for full-batch solvers over a
    /// process group whose every rank holds the whole dataset.
    [[nodiscard]] minibatch<T, L> train_batch(std::size_t rank, std::size_t ranks) const {
        return m_shard ? train_batch() : share_of(train_batch(), rank, ranks);
    }

    [[nodiscard]] minibatch_loader<T, L>& train_dataloader() noexcept { return m_train; }
    [[nodiscard]] minibatch_loader<T, L>& val_dataloader() noexcept { return m_val; }

private:
    struct as_stored {};
    dataset(as_stored, storage features, xt::xtensor<T, 1> targets, const split_options& options)
        : m_features(std::move(features)), m_targets(std::move(targets)), m_options(options),
          m_train(range(0, options.num_train), options.batch_size, true, shuffle_seed(options.seed)),
          m_val(range(options.num_train, size() - std::min(options.num_train, size())), options.batch_size, false, 0) {
        check();
    }

    static storage stored(xt::xtensor<T, 2>&& features) {
        if constexpr (by_examples)
            return std::move(features);
        else
            return padded_feature_major<T>::from_features(features);
    }

    [[nodiscard]] const T* feature_data() const noexcept {
        if constexpr (by_examples)
            return m_features.data();
        else
            return m_features.row(0);
    }
    // Numbers from one example's row to the next (example-major) or one feature's to the next.
    [[nodiscard]] std::size_t feature_stride() const noexcept {
        if constexpr (by_examples)
            return m_features.shape(1);
        else
            return m_features.stride();
    }
    [[nodiscard]] std::size_t stored_examples() const noexcept {
        if constexpr (by_examples)
            return m_features.shape(0);
        else
            return m_features.examples();
    }

    example_range<T, L> range(std::size_t first, std::size_t count) const {
        const std::size_t n = m_targets.size();
        first = std::min(first, n);
        count = std::min(count, n - first);
        return {feature_data(), m_targets.data(), num_features(), feature_stride(), first, count};
    }

    void check() const {
        const std::string where = by_examples ? "ctgrad::data::dataset (example-major): " : "ctgrad::data::dataset: ";
        if (stored_examples() != m_targets.size()) {
            if constexpr (by_examples)
                throw invalid_argument(where + "features of shape (" + std::to_string(m_features.shape(0)) + ", " +
                                       std::to_string(m_features.shape(1)) + ") hold " + std::to_string(stored_examples()) +
                                       " examples but targets have " + std::to_string(m_targets.size()) +
                                       ": example-major features have shape (examples, features), here (" +
                                       std::to_string(m_targets.size()) + ", d)");
            else
                throw invalid_argument(where + "features have " + std::to_string(stored_examples()) +
                                       " examples but targets have " + std::to_string(m_targets.size()));
        }
        if (m_options.batch_size == 0) throw invalid_argument(where + "batch_size must be at least 1");
        if (m_options.num_train > size())
            throw invalid_argument(where + "num_train is " + std::to_string(m_options.num_train) + " but there are only " +
                                   std::to_string(size()) + " examples");
        for (std::size_t i = 0; i < size(); ++i)
            if (!std::isfinite(m_targets(i)))
                throw invalid_argument(where + "the target of example " + std::to_string(i) + " is not finite");
        // In the order the numbers are stored, so the scan reads memory once.
        const std::size_t outer = by_examples ? size() : num_features(), inner = by_examples ? num_features() : size();
        const T* numbers = feature_data();
        for (std::size_t a = 0; a < outer; ++a)
            for (std::size_t b = 0; b < inner; ++b)
                if (!std::isfinite(numbers[a * feature_stride() + b])) {
                    const std::size_t example = by_examples ? a : b, feature = by_examples ? b : a;
                    throw invalid_argument(where + "feature " + std::to_string(feature) + " of example " +
                                           std::to_string(example) + " is not finite");
                }
    }

    storage m_features;
    xt::xtensor<T, 1> m_targets;
    split_options m_options;
    minibatch_loader<T, L> m_train;
    minibatch_loader<T, L> m_val;
    bool m_shard = false;
};

/// The same examples, split, batch size and seed stored example-major, by one transposing
/// copy: so data read from npy or csv files, or drawn by synthetic_regression_data, can be
/// trained on in rows. The training loader draws the same batches as `data`'s; a shard stays one.
template <class T>
dataset<T, batch_layout::example_major> to_example_major(const dataset<T>& data) {
    dataset<T, batch_layout::example_major> out(detail::transposed(data.features()), data.targets(), data.options());
    if (data.is_shard()) out.mark_as_shard();
    return out;
}

} // namespace ctgrad::data

#endif // CTGRAD_DATA_DATASET_HPP
