// ctgrad/eval/gradient_pass.hpp: one call of value_and_grad, in the order it runs: plan (the
// slotted loss, its partials in summed form, the prepared inputs, the chunks), check the
// lengths the partials read, sum over the batch's blocks, scale the sums to means.
#ifndef CTGRAD_EVAL_GRADIENT_PASS_HPP
#define CTGRAD_EVAL_GRADIENT_PASS_HPP

#include "ctgrad/eval/chunks.hpp"
#include "ctgrad/eval/gradient_sums.hpp"
#include "ctgrad/eval/hoisted_eval.hpp"
#include "ctgrad/eval/parallel.hpp"
#include "ctgrad/eval/summed_form.hpp"
#include "ctgrad/symbolic/derivative.hpp"

#include <algorithm>
#include <array>
#include <cstddef>
#include <string>

namespace ctgrad::detail {

/// The partial of the loss E by the parameter S in the form value_and_grad sums it
/// (summed_form.hpp).
template <class E, class S>
using summed_partial = summed_form<decltype(derive_any(E{}, S{}))>;

template <class Loss, class Params, class Batch>
class gradient_pass;

template <class Loss, class T, class... P, class Batch>
class gradient_pass<Loss, parameter_store<T, P...>, Batch> {
    using params_type = parameter_store<T, P...>;
    using slotted_type = slotted_expression<Loss, T>;
    using E = std::remove_cvref_t<decltype(std::declval<const slotted_type&>().m_expression)>;
    using param_list = type_list<P...>;
    static constexpr std::size_t params_count = sizeof...(P);

    // The loss and each partial as the kernel sums them (summed_form.hpp): mean(G) =
    // coefficient * mean(per_example) + once, where only per_example is computed for every
    // example; the coefficient and the once part depend on no input.
    using loss_form = summed_form<E>;
    using entries = plan_entries_t<typename loss_form::per_example, typename summed_partial<E, P>::per_example...,
                                   typename loss_form::coefficient, typename summed_partial<E, P>::coefficient...,
                                   typename loss_form::once, typename summed_partial<E, P>::once...>;
    // The inputs the summed partials read again after the reductions (copied per block when
    // their rows collide in the caches: fused_kernel.hpp).
    using packed = packed_inputs_t<entries, typename summed_partial<E, P>::per_example...>;

public:
    /// The loss's sum, then each scalar partial's.
    using totals_type = std::array<T, 1 + params_count>;

    /// Plans the pass: computes what depends on no input and checks the reductions' lengths.
    gradient_pass(const Loss& loss, const params_type& params, const Batch& batch)
        : m_slotted(loss), m_in{params, batch, m_slotted.numbers()},
          m_lengths{[&] {
              if constexpr (P::is_vector) return params[P{}].size();
              else return std::size_t{0};
          }()...} {
        prepare_inputs<entries>(m_in);
        m_chunks = plan_chunks(m_in, batch.examples());
    }
    gradient_pass(const gradient_pass&) = delete;
    gradient_pass& operator=(const gradient_pass&) = delete;

    [[nodiscard]] const chunk_plan& chunks() const noexcept { return m_chunks; }

    /// The blocks that chunk c runs.
    [[nodiscard]] kernel_schedule schedule(std::size_t c) const {
        return schedule_of<entries, packed>(m_in, m_chunks.begin(c), m_chunks.end(c));
    }

    /// Throws std::invalid_argument when a vector partial reads vectors whose length is not
    /// its parameter's (it reads their elements up to that length).
    void check_lengths() const {
        ([&] {
            using G = decltype(derive_any(E{}, P{}));
            if constexpr (P::is_vector && element_leaves_t<G>::size > 0)
                (void)common_vector_length(push_unique_t<element_leaves_t<G>, P>{}, m_in.m_params, m_in.m_batch, [] {
                    return "the gradient by " + std::string(P::name.view()) + ", " + to_string(G{});
                });
        }(), ...);
    }

    /// Sums the loss and its partials over every example: the vector partials into grads
    /// (sized to their parameters), the rest returned.
    totals_type sum(params_type& grads) const {
        ([&] {
            if constexpr (P::is_vector) {
                auto& g = grads[P{}];
                if (g.size() != m_in.m_params[P{}].size()) g = xt::xtensor<T, 1>::from_shape({m_in.m_params[P{}].size()});
                std::fill(g.begin(), g.end(), T(0));
            }
        }(), ...);
        // Pointer to each vector gradient, read once rather than once per block.
        const std::array<T*, params_count> outs = {[&]() -> T* {
            if constexpr (P::is_vector) return grads[P{}].data();
            else return nullptr;
        }()...};
        totals_type totals{};
        if (m_chunks.m_count == 1) {
            // Straight into grads: a minibatch step (the d2l fit) pays nothing for chunks.
            sum_range(0, outs, totals.data());
            return totals;
        }
        // A large batch: each chunk sums into its own row (its totals, then each vector
        // partial), on whichever thread takes it; the rows are added up in chunk order.
        std::size_t width = 1 + params_count;
        for (std::size_t length : m_lengths) width += length;
        T* const rows = thread_buffer<T, chunk_gradients_purpose>(m_chunks.m_count * width);
        parallel_for(m_chunks.m_count, [&](std::size_t c) {
            T* const row = rows + c * width;
            std::fill(row, row + width, T(0));
            std::array<T*, params_count> row_outs{};
            T* at = row + 1 + params_count;
            for (std::size_t i = 0; i < params_count; ++i) {
                row_outs[i] = at;
                at += m_lengths[i];
            }
            sum_range(c, row_outs, row);
        });
        for (std::size_t c = 0; c < m_chunks.m_count; ++c) {
            const T* from = rows + c * width;
            for (std::size_t k = 0; k < 1 + params_count; ++k) totals[k] += *from++;
            for (std::size_t i = 0; i < params_count; ++i)
                for (std::size_t j = 0; j < m_lengths[i]; ++j) outs[i][j] += *from++;
        }
        return totals;
    }

    /// Turns the sums into means (grads in place) and adds the parts that depend on no input,
    /// computed once (hoisted_eval.hpp); returns the mean loss.
    T scale(const totals_type& totals, params_type& grads) const {
        const T scale = T(1) / static_cast<T>(m_in.m_batch.examples());
        for_each_type(param_list{}, [&](auto symbol, auto index) {
            using S = typename decltype(symbol)::type;
            using form = summed_partial<E, S>;
            const T factor = hoisted_scalar<typename form::coefficient, entries>(m_in) * scale;
            if constexpr (S::is_vector) {
                T* out = grads[S{}].data();
                const std::size_t length = grads[S{}].size();
                if constexpr (std::is_same_v<typename form::once, zero_t>) {
                    for (std::size_t j = 0; j < length; ++j) out[j] *= factor;
                } else {
                    for (std::size_t j = 0; j < length; ++j)
                        out[j] = out[j] * factor + hoisted_element<typename form::once, entries>(m_in, j);
                }
            } else {
                grads[S{}] = totals[1 + index] * factor + hoisted_scalar<typename form::once, entries>(m_in);
            }
        });
        return totals[0] * (hoisted_scalar<typename loss_form::coefficient, entries>(m_in) * scale) +
               hoisted_scalar<typename loss_form::once, entries>(m_in);
    }

private:
    /// Sums chunk c: each vector partial added into outs, the loss and the scalar partials
    /// written to totals (gradient_sums::finish).
    CTGRAD_ALWAYS_INLINE void sum_range(std::size_t c, const std::array<T*, params_count>& outs, T* totals) const {
        // The lengths through a reference to the array, as the block loop reads them every block:
        // through `this` its registers were allocated worse (d2l minibatch 15% slower).
        const std::size_t(&lengths)[params_count] = m_lengths;
        gradient_sums<T, param_list> sums(lengths);
        lane_sum_buffers<T, params_count> buffers;
        run_schedule<entries, packed>(schedule(c), m_in, sums, [&](const auto& ev, auto& running) {
            if constexpr (std::remove_cvref_t<decltype(ev)>::prefetches)
                if (!buffers.m_ready) buffers.prepare(lengths);
            if constexpr (simd::is_batch_v<typename std::remove_cvref_t<decltype(ev)>::lane_type>)
                running.m_loss += ev.template block_sum<typename loss_form::per_example>();
            else
                running.m_loss_tail += ev.template block_sum<typename loss_form::per_example>();
            (accumulate_partial<typename summed_partial<E, P>::per_example, P, list_index_v<param_list, P>>(
                 ev, running, buffers, outs[list_index_v<param_list, P>], lengths[list_index_v<param_list, P>]),
             ...);
        });
        sums.finish(outs, lengths, buffers, totals);
    }

    slotted_type m_slotted; // before m_in, which copies its numbers
    kernel_inputs<params_type, Batch, slotted_type::count, entries> m_in;
    std::size_t m_lengths[params_count]; ///< each parameter's length (0 for a scalar)
    chunk_plan m_chunks;
};

} // namespace ctgrad::detail

#endif // CTGRAD_EVAL_GRADIENT_PASS_HPP
