// ctgrad/optim/residual_pass.hpp: one fused pass of a per-example residual r and its
// derivative by every scalar parameter over a batch, reduced to ½ Σ r² and the triangular
// factor R of [J | r] (streaming_qr.hpp). The residual and J's columns are plan entries of one
// kernel (common subexpressions computed once per block), written a chunk at a time to a
// buffer that stays in L2 and reflected into R there, so J is never stored.
#ifndef CTGRAD_OPTIM_RESIDUAL_PASS_HPP
#define CTGRAD_OPTIM_RESIDUAL_PASS_HPP

#include "ctgrad/eval/fused.hpp"
#include "ctgrad/optim/streaming_qr.hpp"
#include "ctgrad/symbolic/derivative.hpp"

#include <algorithm>
#include <array>
#include <cstddef>
#include <type_traits>
#include <vector>

namespace ctgrad::detail {

/// Examples per chunk: its residuals and Jacobian columns stay in L2.
inline constexpr std::size_t least_squares_chunk = 2048;
/// Chunks per piece, the unit of work a thread takes. Each piece has its own R and the pieces'
/// factors are merged in piece order, so the result does not depend on the number of threads.
inline constexpr std::size_t least_squares_piece_chunks = 16;

/// The calling thread's buffer of a chunk's columns (thread_buffer).
struct residual_pass_purpose;

/// Σ r_i² in double-double, lane by lane: each square split exactly into p + e by an FMA, each
/// sum kept as s + c by Knuth's TwoSum. The gain ratio compares costs that agree to many digits
/// near the solution, and a long double chain would serialise the pass.
inline long double sum_of_squares(const double* r, std::size_t count) noexcept {
    using V = simd::batch<double>;
    constexpr std::size_t lanes = simd::lanes_v<V>;
    V sum(0.0), error(0.0);
    std::size_t i = 0;
    for (; i + lanes <= count; i += lanes) {
        const V v = V::load_unaligned(r + i);
        const V square = v * v;
        const V total = sum + square;
        const V back = total - sum;
        error += ((sum - (total - back)) + (square - back)) + xsimd::fms(v, v, square);
        sum = total;
    }
    alignas(64) std::array<double, lanes> sums{}, errors{};
    sum.store_aligned(sums.data());
    error.store_aligned(errors.data());
    long double out = 0;
    for (std::size_t k = 0; k < lanes; ++k) out += static_cast<long double>(sums[k]) + errors[k];
    for (; i < count; ++i) out += static_cast<long double>(r[i]) * r[i];
    return out;
}

template <class Residual, class Params, class Batch>
class residual_pass;

template <class Residual, class T, class... P, class... B>
class residual_pass<Residual, parameter_store<T, P...>, batch_view<T, B...>> {
public:
    static constexpr std::size_t n = sizeof...(P);
    using store = parameter_store<T, P...>;
    using batch_type = batch_view<T, B...>;

    /// For a batch of at least one example (minimize checks).
    residual_pass(const Residual& residual, const batch_type& batch)
        : m_slotted(residual), m_batch(batch),
          m_pieces((batch.examples() + piece_examples - 1) / piece_examples) {}

    /// ½ Σ r² at `at` (sum_of_squares per chunk, the chunks in order), and the factor R of
    /// [J | r] there, into `qr`.
    double run(const store& at, streaming_qr<n>& qr) {
        inputs_type in{at, m_batch, m_slotted.numbers()};
        prepare_inputs<entries>(in);
        parallel_for(m_pieces.size(), [&](std::size_t c) { run_piece(in, c); });
        qr = m_pieces[0].qr;
        long double half_sum = m_pieces[0].half_sum;
        for (std::size_t c = 1; c < m_pieces.size(); ++c) {
            qr.merge(m_pieces[c].qr);
            half_sum += m_pieces[c].half_sum;
        }
        return static_cast<double>(half_sum);
    }

private:
    static constexpr std::size_t piece_examples = least_squares_piece_chunks * least_squares_chunk;

    using slotted_type = slotted_expression<Residual, T>;
    using E = std::remove_cvref_t<decltype(std::declval<slotted_type&>().m_expression)>;
    /// J's columns, then r: the column order of streaming_qr.
    using columns = type_list<decltype(derive_any(E{}, P{}))..., E>;
    using entries = plan_entries_t<decltype(derive_any(E{}, P{}))..., E>;
    using inputs_type = kernel_inputs<store, batch_type, slotted_type::count, entries>;

    struct piece {
        streaming_qr<n> qr;
        long double half_sum = 0;
    };

    void run_piece(const inputs_type& in, std::size_t c) {
        double* const room = thread_buffer<double, residual_pass_purpose>((n + 1) * least_squares_chunk);
        std::array<double*, n + 1> column{};
        for (std::size_t j = 0; j <= n; ++j) column[j] = room + j * least_squares_chunk;
        piece& out = m_pieces[c];
        out.qr.clear();
        out.half_sum = 0;
        const std::size_t end = std::min(m_batch.examples(), (c + 1) * piece_examples);
        for (std::size_t begin = c * piece_examples; begin < end; begin += least_squares_chunk) {
            const std::size_t count = std::min(least_squares_chunk, end - begin);
            no_sums none;
            run_plan<entries>(in, begin, begin + count, none, [&](const auto& ev, no_sums&) {
                for_each_type(columns{}, [&](auto type, auto j) {
                    for (std::size_t k = 0; k < ev.active(); ++k)
                        store_lanes(ev.template scalar<typename decltype(type)::type>(k), column[j] + (ev.m_offset - begin) + k * ev.lanes);
                });
            });
            out.half_sum += sum_of_squares(column[n], count) / 2;
            out.qr.add_rows(column, count);
        }
    }

    /// A lane group's values (or the scalar tail's one value) as doubles.
    template <class V>
    CTGRAD_ALWAYS_INLINE static void store_lanes(const V& v, double* at) {
        if constexpr (!simd::is_batch_v<V>) {
            *at = static_cast<double>(v);
        } else if constexpr (std::is_same_v<T, double>) {
            v.store_unaligned(at);
        } else {
            alignas(64) std::array<T, simd::lanes_v<V>> lanes;
            v.store_aligned(lanes.data());
            std::copy(lanes.begin(), lanes.end(), at);
        }
    }

    slotted_type m_slotted;
    batch_type m_batch;
    std::vector<piece> m_pieces;
};

} // namespace ctgrad::detail

#endif // CTGRAD_OPTIM_RESIDUAL_PASS_HPP
