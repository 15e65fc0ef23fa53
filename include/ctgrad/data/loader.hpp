// ctgrad/data/loader.hpp: minibatches over a dataset. The training loader reshuffles at the
// start of every pass and gathers each batch into buffers it owns and reuses (no allocation per
// batch); an ordered loader (validation) hands out views into the data itself, with no copy.
// The layout is a template parameter: feature-major (the default) stores and hands out one row
// per feature, example-major one row per example, the two layouts the fused kernel reads.
#ifndef CTGRAD_DATA_LOADER_HPP
#define CTGRAD_DATA_LOADER_HPP

#include "ctgrad/data/random.hpp"
#include "ctgrad/data/row_range.hpp"
#include "ctgrad/detail/aligned_allocator.hpp"
#include "ctgrad/eval/batch.hpp"
#include "ctgrad/eval/padded_feature_major.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <numeric>
#include <type_traits>
#include <vector>

namespace ctgrad::data {

/// The view of a minibatch's features in layout L.
template <class T, batch_layout L>
using features_view_t = std::conditional_t<L == batch_layout::example_major, example_major_view<T>, feature_major_view<T>>;

/// One minibatch: features (d x m feature-major, or m x d example-major, as L says) and
/// targets (one row of m).
template <class T, batch_layout L = batch_layout::feature_major>
struct minibatch {
    static constexpr batch_layout layout = L;

    features_view_t<T, L> features;
    feature_major_view<T> targets;

    [[nodiscard]] std::size_t size() const noexcept { return features.m_examples; }
};

/// Rank `rank`'s contiguous share (share_of) of `batch` among `ranks`, viewing the same data:
/// what each process of a group takes of a full batch that every process holds.
template <class T, batch_layout L>
minibatch<T, L> share_of(const minibatch<T, L>& batch, std::size_t rank, std::size_t ranks) {
    const row_range share = share_of(batch.size(), rank, ranks);
    auto features = batch.features;
    features.m_data += L == batch_layout::example_major ? share.first * features.m_stride : share.first;
    features.m_examples = share.count;
    return {features, {batch.targets.m_data + share.first, 1, share.count, batch.targets.m_stride}};
}

/// Where a loader reads: `count` examples starting at `first` of a dataset whose target of
/// example i is targets[i] and whose feature j of example i is features[j * stride + i]
/// (feature-major) or features[i * stride + j] (example-major).
template <class T, batch_layout L = batch_layout::feature_major>
struct example_range {
    const T* features = nullptr;
    const T* targets = nullptr;
    std::size_t num_features = 0;
    std::size_t stride = 0;
    std::size_t first = 0;
    std::size_t count = 0;
};

template <class T, batch_layout L = batch_layout::feature_major>
class minibatch_loader {
    static constexpr bool by_examples = L == batch_layout::example_major;

public:
    static constexpr batch_layout layout = L;

    /// Ordered when shuffle is false. The last batch is kept when it is short. The order of
    /// the examples depends on the seed alone, not on the layout.
    minibatch_loader(example_range<T, L> range, std::size_t batch_size, bool shuffle, std::uint64_t seed)
        : m_range(range), m_batch_size(batch_size < 1 ? 1 : batch_size), m_shuffle(shuffle), m_random(seed) {
        if (m_shuffle) {
            m_order.resize(m_range.count);
            std::iota(m_order.begin(), m_order.end(), m_range.first);
            const std::size_t rows = std::min(m_batch_size, m_range.count);
            m_buffer_stride = by_examples ? m_range.num_features : padded_stride<T>(rows);
            m_feature_buffer.resize(by_examples ? rows * m_buffer_stride : m_range.num_features * m_buffer_stride);
            m_target_buffer.resize(rows);
        }
    }

    [[nodiscard]] std::size_t batch_size() const noexcept { return m_batch_size; }
    [[nodiscard]] std::size_t num_examples() const noexcept { return m_range.count; }
    [[nodiscard]] std::size_t num_features() const noexcept { return m_range.num_features; }
    /// Batches per pass: the ceiling of examples / batch_size (the short last one counts).
    [[nodiscard]] std::size_t size() const noexcept { return (m_range.count + m_batch_size - 1) / m_batch_size; }
    [[nodiscard]] bool shuffles() const noexcept { return m_shuffle; }

    /// From now on batch(i) is rank `rank`'s contiguous share (share_of) of batch i, for one
    /// process among `ranks` that all hold the same data and draw the same orders; the trainer
    /// sets it from its process group. (0, 1), the whole batch, is the default.
    /// A shard's loader (mark_as_shard) keeps its batches whole: they are its rank's part of
    /// each global batch already. Throws ctgrad::invalid_argument unless rank < ranks.
    void take_share(std::size_t rank, std::size_t ranks) {
        (void)share_of(0, rank, ranks);
        m_rank = m_shard ? 0 : rank;
        m_ranks = m_shard ? 1 : ranks;
    }

    /// This loader reads one process's rows of a larger set (a shard): take_share leaves it whole.
    void mark_as_shard() noexcept {
        m_shard = true;
        m_rank = 0;
        m_ranks = 1;
    }

    /// Starts a pass: a shuffling loader draws a new order. begin() calls it, so every
    /// range-for over the loader is one epoch, as with a PyTorch DataLoader.
    void start_epoch() {
        if (m_shuffle) m_random.shuffle(m_order.begin(), m_order.end());
    }

    /// Batch i of the current pass (i < size()), or this rank's share of it (take_share: it
    /// may have no examples). A shuffled batch lives in the loader's buffers and is valid until
    /// the next call; an ordered one views the dataset.
    [[nodiscard]] minibatch<T, L> batch(std::size_t i) {
        const std::size_t global_start = i * m_batch_size;
        const row_range share = share_of(std::min(m_batch_size, m_range.count - global_start), m_rank, m_ranks);
        const std::size_t start = global_start + share.first;
        const std::size_t rows = share.count;
        const std::size_t d = m_range.num_features;
        if (!m_shuffle) {
            const std::size_t at = m_range.first + start;
            const T* features = m_range.features + (by_examples ? at * m_range.stride : at);
            return {{features, d, rows, m_range.stride}, {m_range.targets + at, 1, rows, rows}};
        }
        const std::size_t* order = m_order.data() + start;
        const std::size_t buffer_stride = m_buffer_stride;
        if constexpr (by_examples) {
            // Example by example: each sampled row is d contiguous numbers, copied whole.
            for (std::size_t k = 0; k < rows; ++k) {
                const T* from = m_range.features + order[k] * m_range.stride;
                std::copy(from, from + d, m_feature_buffer.data() + k * buffer_stride);
            }
        } else {
            // Feature by feature: each output row is written contiguously.
            for (std::size_t j = 0; j < d; ++j) {
                const T* from = m_range.features + j * m_range.stride;
                T* to = m_feature_buffer.data() + j * buffer_stride;
                for (std::size_t k = 0; k < rows; ++k) to[k] = from[order[k]];
            }
        }
        for (std::size_t k = 0; k < rows; ++k) m_target_buffer[k] = m_range.targets[order[k]];
        const std::size_t target_stride = by_examples ? rows : buffer_stride;
        return {{m_feature_buffer.data(), d, rows, buffer_stride}, {m_target_buffer.data(), 1, rows, target_stride}};
    }

    /// The dataset indices of the current pass, in order (for tests and diagnostics).
    [[nodiscard]] std::vector<std::size_t> order() const {
        if (m_shuffle) return m_order;
        std::vector<std::size_t> out(m_range.count);
        std::iota(out.begin(), out.end(), m_range.first);
        return out;
    }

    /// Saves or loads the pass's order and the shuffling engine (train/checkpoint_file.hpp): a
    /// loaded loader draws the orders the saved one would have drawn.
    template <class Archive>
    void serialize(Archive& archive) {
        archive.check("a loader's number of examples", m_range.count);
        archive.check("a loader's batch size", m_batch_size);
        archive.check("whether a loader shuffles", m_shuffle);
        if (m_shuffle) {
            archive(m_order);
            m_random.serialize(archive);
        }
    }

    class iterator {
    public:
        using value_type = minibatch<T, L>;
        using difference_type = std::ptrdiff_t;

        iterator() = default;
        iterator(minibatch_loader* loader, std::size_t index) : m_loader(loader), m_index(index) {}

        value_type operator*() const { return m_loader->batch(m_index); }
        iterator& operator++() {
            ++m_index;
            return *this;
        }
        iterator operator++(int) {
            iterator before = *this;
            ++m_index;
            return before;
        }
        bool operator==(const iterator& other) const { return m_index == other.m_index; }

    private:
        minibatch_loader* m_loader = nullptr;
        std::size_t m_index = 0;
    };

    iterator begin() {
        start_epoch();
        return {this, 0};
    }
    iterator end() { return {this, size()}; }

private:
    example_range<T, L> m_range;
    std::size_t m_batch_size;
    bool m_shuffle;
    random_engine m_random;
    std::vector<std::size_t> m_order;
    std::size_t m_rank = 0;
    std::size_t m_ranks = 1;
    bool m_shard = false;
    // Each row of a gathered feature-major batch starts on a cache line
    // (detail/aligned_allocator.hpp), and the rows are an odd number of lines apart so that they
    // do not share cache sets (eval/padded_feature_major.hpp). Example-major rows lie back to
    // back (stride d), as in the dataset.
    std::size_t m_buffer_stride = 0;
    std::vector<T, ctgrad::detail::aligned_allocator<T>> m_feature_buffer;
    std::vector<T, ctgrad::detail::aligned_allocator<T>> m_target_buffer;
};

} // namespace ctgrad::data

#endif // CTGRAD_DATA_LOADER_HPP
