// ctgrad/eval/fused.hpp: value_and_grad, value and predict over a minibatch, in one
// SIMD pass over its data.
#ifndef CTGRAD_EVAL_FUSED_HPP
#define CTGRAD_EVAL_FUSED_HPP

#include "ctgrad/eval/chunks.hpp"
#include "ctgrad/eval/fused_checks.hpp"
#include "ctgrad/eval/gradient_pass.hpp"
#include "ctgrad/eval/parallel.hpp"

#include <cstddef>
#include <type_traits>

namespace ctgrad {

namespace detail {

/// Runs the plan of a single expression (its runtime numbers slotted) over the batch in the
/// chunks of plan_chunks, on up to max_threads() threads: first on_chunks(count), then for
/// every chunk c, sum_chunk(c, std::type_identity<E>{}, run) with E the slotted expression;
/// run(sums, on_block) calls on_block(evaluator, sums) for each block of the chunk.
template <class Expr, class Params, class Batch, class OnChunks, class SumChunk>
void run_expression(const Expr& e, const Params& params, const Batch& batch, OnChunks&& on_chunks, SumChunk&& sum_chunk) {
    using T = typename Params::value_type;
    const slotted_expression<Expr, T> slotted(e);
    using E = std::remove_cvref_t<decltype(slotted.m_expression)>;
    using entries = plan_entries_t<E>;
    kernel_inputs<Params, Batch, slotted.count, entries> in{params, batch, slotted.numbers()};
    prepare_inputs<entries>(in);
    const chunk_plan chunks = plan_chunks(in, batch.examples());
    on_chunks(chunks.m_count);
    parallel_for(chunks.m_count, [&](std::size_t c) {
        sum_chunk(c, std::type_identity<E>{},
                  [&](auto& sums, auto&& on_block) { run_plan<entries>(in, chunks.begin(c), chunks.end(c), sums, on_block); });
    });
}

} // namespace detail

/// The mean over the batch of the per-example loss, and its mean gradient by every
/// parameter of `params`, computed in one pass over the batch's data. The gradient is
/// written into `grads` (same layout as params; parameters the loss does not contain get
/// 0), so a training step that reuses `grads` allocates nothing.
///
/// The loss's subexpressions are computed once per block of examples and shared with every
/// partial; those that depend on no input are computed once per call.
template <expression Loss, class T, class... P, class U, batch_layout L, class... B>
T value_and_grad(const Loss& loss, const parameter_store<T, P...>& params, const batch_view<U, L, B...>& batch,
                 parameter_store<T, P...>& grads) {
    using params_type = parameter_store<T, P...>;
    using batch_type = batch_view<U, L, B...>;
    detail::require_complete<detail::fused_call::value_and_grad, Loss, params_type, batch_type>();
    if constexpr (!detail::is_bound_v<Loss, params_type, batch_type>) {
        return T{};
    } else {
        detail::require_examples(batch, "ctgrad::value_and_grad");
        const detail::gradient_pass<Loss, params_type, batch_type> pass(loss, params, batch);
        pass.check_lengths();
        const auto totals = pass.sum(grads);
        return pass.scale(totals, grads);
    }
}

/// The mean loss and gradient, returned: {value, grad}. Allocates the gradient store; in a
/// training loop prefer the overload that writes into caller-owned storage.
template <class T, class Store>
struct value_and_grad_result {
    T value;
    Store grad;
};

template <expression Loss, class T, class... P, class U, batch_layout L, class... B>
auto value_and_grad(const Loss& loss, const parameter_store<T, P...>& params, const batch_view<U, L, B...>& batch) {
    auto grads = params.zeros_like();
    const T value = value_and_grad(loss, params, batch, grads);
    return value_and_grad_result<T, parameter_store<T, P...>>{value, std::move(grads)};
}

/// The mean over the batch of the per-example loss alone (for validation).
template <expression Loss, class T, class... P, class U, batch_layout L, class... B>
T value(const Loss& loss, const parameter_store<T, P...>& params, const batch_view<U, L, B...>& batch) {
    using params_type = parameter_store<T, P...>;
    using batch_type = batch_view<U, L, B...>;
    detail::require_complete<detail::fused_call::value, Loss, params_type, batch_type>();
    if constexpr (!detail::is_bound_v<Loss, params_type, batch_type>) {
        return T{};
    } else {
        detail::require_examples(batch, "ctgrad::value");
        T single = 0;
        T* sums = &single; // each chunk's, added up in chunk order
        std::size_t chunks = 0;
        detail::run_expression(
            loss, params, batch,
            [&](std::size_t count) {
                if (count > 1) sums = detail::thread_buffer<T, detail::chunk_values_purpose>(count);
                chunks = count;
            },
            [&]<class E>(std::size_t c, std::type_identity<E>, auto&& run) {
                // Summed into the caller's variables rather than the block loop's registers
                // (no_sums): a sum kept in a register, though faster in L1, is slower, for reasons
                // not understood, in a batch that L2 serves (docs/performance.md, Why the
                // kernel's constants).
                simd::batch<T> total(T(0));
                T tail = 0;
                detail::no_sums none;
                run(none, [&](const auto& ev, detail::no_sums&) {
                    if constexpr (simd::is_batch_v<typename std::remove_cvref_t<decltype(ev)>::lane_type>)
                        total += ev.template block_sum<E>();
                    else
                        tail += ev.template block_sum<E>();
                });
                sums[c] = simd::sum_lanes(total) + tail;
            });
        T sum = 0;
        for (std::size_t c = 0; c < chunks; ++c) sum += sums[c];
        return sum / static_cast<T>(batch.examples());
    }
}

/// The per-example value of a scalar expression (a model's prediction) for every example of
/// the batch, written to `out` (resized to the batch when its size differs).
template <expression Model, class T, class... P, class U, batch_layout L, class... B>
void predict(const Model& model, const parameter_store<T, P...>& params, const batch_view<U, L, B...>& batch,
             xt::xtensor<T, 1>& out) {
    using params_type = parameter_store<T, P...>;
    using batch_type = batch_view<U, L, B...>;
    static_assert(!is_vector_v<Model>, "ctgrad::predict: the model must give one number per example");
    detail::require_complete<detail::fused_call::predict, Model, params_type, batch_type>();
    if constexpr (detail::is_bound_v<Model, params_type, batch_type>) {
        if (out.size() != batch.examples()) out = xt::xtensor<T, 1>::from_shape({batch.examples()});
        T* data = out.data();
        detail::run_expression(
            model, params, batch, [](std::size_t) {},
            [&]<class E>(std::size_t, std::type_identity<E>, auto&& run) {
                detail::no_sums none;
                run(none, [&](const auto& ev, detail::no_sums&) {
                    for (std::size_t k = 0; k < ev.active(); ++k) {
                        const auto v = ev.template scalar<E>(k);
                        T* at = data + ev.m_offset + k * ev.lanes;
                        if constexpr (simd::is_batch_v<std::remove_cvref_t<decltype(v)>>) v.store_unaligned(at);
                        else *at = v;
                    }
                });
            });
    }
}

/// predict, returning a new vector.
template <expression Model, class T, class... P, class U, batch_layout L, class... B>
xt::xtensor<T, 1> predict(const Model& model, const parameter_store<T, P...>& params, const batch_view<U, L, B...>& batch) {
    xt::xtensor<T, 1> out;
    predict(model, params, batch, out);
    return out;
}

} // namespace ctgrad

#endif // CTGRAD_EVAL_FUSED_HPP
