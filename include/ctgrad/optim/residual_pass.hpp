// ctgrad/optim/residual_pass.hpp: one fused pass of a per-example residual r and its
// derivative by every parameter component over a batch, reduced to ½ Σ r² and the triangular
// factor R of [J | r] (streaming_qr.hpp). The residual and J's columns are plan entries of one
// kernel (common subexpressions computed once per block), written a chunk at a time to a
// buffer that stays in L2 and reflected into R there, so J is never stored.
#ifndef CTGRAD_OPTIM_RESIDUAL_PASS_HPP
#define CTGRAD_OPTIM_RESIDUAL_PASS_HPP

#include "ctgrad/eval/fused.hpp"
#include "ctgrad/optim/parameter_columns.hpp"
#include "ctgrad/optim/streaming_qr.hpp"
#include "ctgrad/symbolic/derivative.hpp"

#include <algorithm>
#include <array>
#include <cstddef>
#include <type_traits>
#include <vector>

namespace ctgrad::detail {

/// Examples per chunk at most (fewer with many columns): its residuals and Jacobian columns
/// stay in L2.
inline constexpr std::size_t least_squares_chunk = 2048;
/// Chunks per piece, the unit of work a thread takes. Each piece has its own R and the pieces'
/// factors are merged in piece order, so the result does not depend on the number of threads.
inline constexpr std::size_t least_squares_piece_chunks = 16;
/// Pieces per round: the factors kept at once, (N + 1)² numbers each, whatever the batch.
inline constexpr std::size_t least_squares_round_pieces = 32;

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

template <class Residual, class T, class... P, batch_layout L, class... B>
class residual_pass<Residual, parameter_store<T, P...>, batch_view<T, L, B...>> {
public:
    /// J's column count, or dynamic_columns when a parameter is a vector.
    static constexpr std::size_t N = columns_of_v<P...>;
    using store = parameter_store<T, P...>;
    using batch_type = batch_view<T, L, B...>;

    /// For a batch of at least one example (minimize checks) and parameters of the lengths that
    /// `params` has. Throws ctgrad::invalid_argument when a vector partial's inputs and its
    /// parameter differ in length.
    residual_pass(const Residual& residual, const store& params, const batch_type& batch)
        : m_slotted(residual), m_batch(batch), m_columns(column_count(params)),
          m_chunk(std::clamp<std::size_t>(chunk_numbers / (m_columns + 1), least_squares_min_chunk, least_squares_chunk)) {
        std::size_t first = 0;
        for_each_type(type_list<P...>{}, [&](auto symbol, auto i) {
            using S = typename decltype(symbol)::type;
            m_first_column[i] = first;
            if constexpr (S::is_vector) {
                using G = decltype(derive_any(E{}, S{}));
                if constexpr (element_leaves_t<G>::size > 0)
                    (void)common_vector_length(push_unique_t<element_leaves_t<G>, S>{}, params, batch, [] {
                        return "ctgrad::levenberg_marquardt::minimize, the derivative of the residual by " + std::string(S::name.view()) +
                               ", " + to_string(G{});
                    });
                m_lengths[i] = params[S{}].size();
            } else {
                m_lengths[i] = 1;
            }
            first += m_lengths[i];
        });
        const std::size_t piece_examples = least_squares_piece_chunks * m_chunk;
        m_piece_count = (batch.examples() + piece_examples - 1) / piece_examples;
        const std::size_t kept = std::min(m_piece_count, least_squares_round_pieces);
        m_pieces.reserve(kept);
        for (std::size_t c = 0; c < kept; ++c) m_pieces.push_back({streaming_qr<N>(m_columns), 0});
    }

    /// J's column count.
    [[nodiscard]] std::size_t columns() const noexcept { return m_columns; }

    /// ½ Σ r² at `at` (sum_of_squares per chunk, the chunks in order), and the factor R of
    /// [J | r] there, into `qr` (of columns() parameters).
    double run(const store& at, streaming_qr<N>& qr) {
        inputs_type in{at, m_batch, m_slotted.numbers()};
        prepare_inputs<entries>(in);
        long double half_sum = 0;
        // Rounds of pieces, merged in piece order: a round's factors are all that is kept.
        for (std::size_t first = 0; first < m_piece_count; first += m_pieces.size()) {
            const std::size_t count = std::min(m_pieces.size(), m_piece_count - first);
            parallel_for(count, [&](std::size_t c) { run_piece(in, first + c, m_pieces[c]); });
            for (std::size_t c = 0; c < count; ++c) {
                if (first + c == 0) qr = m_pieces[0].qr;
                else qr.merge(m_pieces[c].qr);
                half_sum += m_pieces[c].half_sum;
            }
        }
        return static_cast<double>(half_sum);
    }

private:
    /// The doubles a chunk's columns may take (512 KiB, within L2), and the fewest examples per
    /// chunk however many columns there are.
    static constexpr std::size_t chunk_numbers = std::size_t(1) << 16;
    static constexpr std::size_t least_squares_min_chunk = 256;

    using slotted_type = slotted_expression<Residual, T>;
    using E = std::remove_cvref_t<decltype(std::declval<slotted_type&>().m_expression)>;
    using entries = plan_entries_t<decltype(derive_any(E{}, P{}))..., E>;
    using inputs_type = kernel_inputs<store, batch_type, slotted_type::count, entries>;

    struct piece {
        streaming_qr<N> qr;
        long double half_sum = 0;
    };

    /// Piece c of the batch, into `out`.
    void run_piece(const inputs_type& in, std::size_t c, piece& out) {
        double* const room = thread_buffer<double, residual_pass_purpose>((m_columns + 1) * m_chunk);
        auto column_storage = pointers::make(m_columns + 1);
        for (std::size_t j = 0; j <= m_columns; ++j) column_storage[j] = room + j * m_chunk;
        double* const* const column = column_storage.data();
        out.qr.clear();
        out.half_sum = 0;
        const std::size_t piece_examples = least_squares_piece_chunks * m_chunk;
        const std::size_t end = std::min(m_batch.examples(), (c + 1) * piece_examples);
        for (std::size_t begin = c * piece_examples; begin < end; begin += m_chunk) {
            const std::size_t count = std::min(m_chunk, end - begin);
            no_sums none;
            run_plan<entries>(in, begin, begin + count, none, [&](const auto& ev, no_sums&) {
                const std::size_t at = ev.m_offset - begin;
                // J's columns: a scalar parameter's partial, then each component of a vector's.
                for_each_type(type_list<P...>{}, [&](auto symbol, auto i) {
                    using S = typename decltype(symbol)::type;
                    using G = decltype(derive_any(E{}, S{}));
                    double* const* const first = column + m_first_column[i];
                    if constexpr (S::is_vector) {
                        for (std::size_t e = 0; e < m_lengths[i]; ++e)
                            for (std::size_t k = 0; k < ev.active(); ++k)
                                store_lanes(ev.template element<G>(e, k), first[e] + at + k * ev.lanes);
                    } else {
                        for (std::size_t k = 0; k < ev.active(); ++k)
                            store_lanes(ev.template scalar<G>(k), first[0] + at + k * ev.lanes);
                    }
                });
                for (std::size_t k = 0; k < ev.active(); ++k)
                    store_lanes(ev.template scalar<E>(k), column[m_columns] + at + k * ev.lanes);
            });
            out.half_sum += sum_of_squares(column[m_columns], count) / 2;
            out.qr.add_rows({column, m_columns + 1}, count);
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

    /// The chunk's column pointers: J's columns and r.
    struct pointers {
        using type = std::conditional_t<N == dynamic_columns, std::vector<double*>, std::array<double*, N + 1>>;
        static type make(std::size_t count) {
            if constexpr (N == dynamic_columns) return type(count);
            else return {};
        }
    };

    slotted_type m_slotted;
    batch_type m_batch;
    std::size_t m_columns;
    std::size_t m_chunk; ///< examples per chunk
    std::array<std::size_t, sizeof...(P)> m_first_column{}, m_lengths{};
    std::size_t m_piece_count = 0;
    std::vector<piece> m_pieces; ///< one round's
};

} // namespace ctgrad::detail

#endif // CTGRAD_OPTIM_RESIDUAL_PASS_HPP
