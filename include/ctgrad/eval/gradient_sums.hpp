// ctgrad/eval/gradient_sums.hpp: what value_and_grad adds up over the blocks of a pass (the
// loss, the scalar partials and the vector partials), kept where the block loop is fastest.
#ifndef CTGRAD_EVAL_GRADIENT_SUMS_HPP
#define CTGRAD_EVAL_GRADIENT_SUMS_HPP

#include "ctgrad/eval/fused_kernel.hpp"

#include <algorithm>
#include <array>
#include <cstddef>
#include <utility>

namespace ctgrad::detail {

/// Room for the lane-wise sums of the vector partials in blocks that prefetch (large batches
/// read from memory): one lane group per feature in a per-thread buffer, whose lanes are summed
/// once per call. Summing each block's lanes instead costs a shuffle network per block and
/// `lanes` features, which the memory-bound loop does not hide (docs/performance.md, Why the
/// kernel's constants).
template <class T, std::size_t Params>
struct lane_sum_buffers {
    using V = simd::batch<T>;
    static constexpr std::size_t lanes = simd::lanes_v<V>;
    std::array<V*, Params> m_sums{}; ///< per vector parameter, a lane group per feature
    bool m_ready = false;            ///< whether m_sums point to zeroed room

    /// Points m_sums at zeroed room for lengths[i] lane groups each (0 for a scalar).
    void prepare(const std::size_t (&lengths)[Params]) {
        std::size_t total = 0;
        for (std::size_t length : lengths) total += length;
        V* room = thread_buffer<V, lane_sum_buffers>(total);
        std::fill(room, room + total, V(T(0)));
        for (std::size_t i = 0; i < Params; ++i) {
            m_sums[i] = room;
            room += lengths[i];
        }
        m_ready = true;
    }

    /// Adds the lanes of parameter i's lane-wise sums to out[0, length), if any block made them.
    void fold(std::size_t i, T* out, std::size_t length) const {
        if (!m_ready) return;
        const V* sums = m_sums[i];
        const std::size_t whole = length - length % lanes;
        for (std::size_t j0 = 0; j0 < whole; j0 += lanes)
            (V::load_unaligned(out + j0) + simd::sum_rows(sums + j0)).store_unaligned(out + j0);
        for (std::size_t j = whole; j < length; ++j) out[j] += simd::sum_lanes(sums[j]);
    }
};

/// What value_and_grad sums over the blocks of a pass: the loss and the scalar partials, lane
/// by lane for SIMD blocks and as plain numbers for the scalar tail, and the vector partials'
/// features that blocks which do not prefetch leave over (below). The block loops keep these
/// in registers (for_each_block), so they hold only what each kind of parameter needs.
///
/// Blocks that do not prefetch add a vector partial's whole chunks of `lanes` features straight
/// into grads, one transposing reduction per chunk and block; only the last length % lanes
/// features keep lane-wise sums here (m_rest). A small batch then needs no buffer to zero and
/// fold: lane by lane everywhere (lane_sum_buffers) was slower in the caches and on ADBenchmark's
/// N = 10 (docs/performance.md, Why the kernel's constants).
template <class T, class ParamList>
struct gradient_sums;

template <class T, class... P>
struct gradient_sums<T, type_list<P...>> {
    using V = simd::batch<T>;
    static constexpr std::size_t lanes = simd::lanes_v<V>;
    static constexpr std::size_t Params = sizeof...(P);
    static constexpr std::array<bool, Params> is_vector = {P::is_vector...};
    static constexpr std::size_t vectors = (std::size_t(P::is_vector) + ... + 0);

    /// Parameter i's index among the parameters of its kind (scalars or vectors).
    static constexpr std::size_t slot(std::size_t i) {
        std::size_t before = 0;
        for (std::size_t k = 0; k < i; ++k) before += is_vector[k] == is_vector[i];
        return before;
    }

    V m_loss = V(T(0));
    T m_loss_tail = 0;
    std::array<V, Params - vectors> m_scalar;          ///< by slot
    std::array<T, Params - vectors> m_scalar_tail{};   ///< by slot
    std::array<std::array<V, lanes>, vectors> m_rest;  ///< by slot
    std::array<std::size_t, vectors> m_rest_count{};   ///< by slot: the features m_rest holds

    /// Zero sums, as a block loop starts them (its m_rest_count is left at 0: only the sums it
    /// is added to need to know them).
    gradient_sums() {
        m_scalar.fill(V(T(0)));
        for (auto& rest : m_rest) rest.fill(V(T(0)));
    }

    /// Zero sums for parameters of these lengths (0 for a scalar).
    explicit gradient_sums(const std::size_t (&lengths)[Params]) : gradient_sums() {
        for (std::size_t i = 0; i < Params; ++i)
            if (is_vector[i]) m_rest_count[slot(i)] = lengths[i] % lanes;
    }

    /// Adds a block loop's sums (only the lane groups of m_rest in use: adding all of them is a
    /// visible cost for a small batch; docs/performance.md, Why the kernel's constants).
    gradient_sums& operator+=(const gradient_sums& other) {
        m_loss += other.m_loss;
        m_loss_tail += other.m_loss_tail;
        for (std::size_t i = 0; i < m_scalar.size(); ++i) {
            m_scalar[i] += other.m_scalar[i];
            m_scalar_tail[i] += other.m_scalar_tail[i];
        }
        // Lane groups indexed at compile time: a runtime index into other.m_rest would put the
        // block loop's sums in memory.
        for (std::size_t i = 0; i < vectors; ++i)
            [&]<std::size_t... j>(std::index_sequence<j...>) {
                ((j < m_rest_count[i] ? void(m_rest[i][j] += other.m_rest[i][j]) : void()), ...);
            }(std::make_index_sequence<lanes>{});
        return *this;
    }

    /// Adds what is still kept lane by lane to each vector parameter's outs[i][0, lengths[i])
    /// (also from the buffers of blocks that prefetch), and writes the loss's sum to totals[0]
    /// and scalar parameter i's to totals[1 + i].
    void finish(const std::array<T*, Params>& outs, const std::size_t (&lengths)[Params],
                const lane_sum_buffers<T, Params>& buffers, T* totals) const {
        totals[0] = simd::sum_lanes(m_loss) + m_loss_tail;
        for (std::size_t i = 0; i < Params; ++i) {
            if (!is_vector[i]) {
                totals[1 + i] = simd::sum_lanes(m_scalar[slot(i)]) + m_scalar_tail[slot(i)];
                continue;
            }
            const std::size_t whole = lengths[i] - lengths[i] % lanes;
            for (std::size_t j = whole; j < lengths[i]; ++j) outs[i][j] += simd::sum_lanes(m_rest[slot(i)][j - whole]);
            buffers.fold(i, outs[i], lengths[i]);
        }
    }
};

/// The sums of a block loop that sums nothing in registers: predict() stores each block's
/// predictions, value() adds into its own variables.
struct no_sums {
    no_sums& operator+=(const no_sums&) { return *this; }
};

/// Adds one block's sum of the partial G (by the parameter P, index I) to the sums.
template <class G, class P, std::size_t I, class Evaluator, class Sums, class Buffers, class T>
CTGRAD_ALWAYS_INLINE inline void accumulate_partial(const Evaluator& ev, Sums& sums, const Buffers& buffers, T* out,
                                                    std::size_t length) {
    using V = typename Evaluator::lane_type;
    if constexpr (std::is_same_v<G, zero_t>) {
        return;
    } else if constexpr (P::is_vector && Evaluator::reads_rows) {
        ev.template add_elements<G>(out, length); // a lane group of example-major rows
    } else if constexpr (P::is_vector && simd::is_batch_v<V> && Evaluator::prefetches) {
        // Last feature first: the rows the reductions read last are the likeliest still in L1
        // when a block's rows do not all fit (docs/performance.md, Why the kernel's constants).
        V* lane_sums = buffers.m_sums[I];
        for (std::size_t j = length; j-- > 0;) {
            ev.template prefetch_again<G>(j);
            lane_sums[j] += ev.template element_sum<G>(j);
        }
    } else if constexpr (P::is_vector && simd::is_batch_v<V>) {
        constexpr std::size_t lanes = simd::lanes_v<V>;
        const std::size_t whole = length - length % lanes;
        for (std::size_t j0 = 0; j0 < whole; j0 += lanes) {
            std::array<V, lanes> rows;
            for (std::size_t i = 0; i < lanes; ++i) rows[i] = ev.template element_sum<G>(j0 + i);
            (V::load_unaligned(out + j0) + simd::sum_rows(rows.data())).store_unaligned(out + j0);
        }
        // One lane group of sums per feature left over, indexed at compile time so that they stay
        // in registers (for_each_block); a branch per lane, taken the same way in every block.
        [&]<std::size_t... i>(std::index_sequence<i...>) {
            ((whole + i < length ? void(sums.m_rest[Sums::slot(I)][i] += ev.template element_sum<G>(whole + i)) : void()), ...);
        }(std::make_index_sequence<lanes>{});
    } else if constexpr (P::is_vector) {
        for (std::size_t j = 0; j < length; ++j) out[j] += ev.template element_sum<G>(j); // the scalar tail
    } else if constexpr (simd::is_batch_v<V>) {
        sums.m_scalar[Sums::slot(I)] += ev.template block_sum<G>();
    } else {
        sums.m_scalar_tail[Sums::slot(I)] += ev.template block_sum<G>();
    }
}

} // namespace ctgrad::detail

#endif // CTGRAD_EVAL_GRADIENT_SUMS_HPP
