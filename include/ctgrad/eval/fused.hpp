// ctgrad/eval/fused.hpp: value_and_grad, value and predict over a minibatch, in one
// SIMD pass over its data.
#ifndef CTGRAD_EVAL_FUSED_HPP
#define CTGRAD_EVAL_FUSED_HPP

#include "ctgrad/eval/fused_kernel.hpp"
#include "ctgrad/symbolic/derivative.hpp"

#include <algorithm>
#include <cstddef>
#include <stdexcept>
#include <string>
#include <vector>

namespace ctgrad {

/// The most lane groups in one block of the fused kernel (a block is up to this times the
/// SIMD width; fewer when many features would push the block out of L1).
inline constexpr std::size_t fused_block_groups = 16;

namespace detail {

template <class S, class... Symbols>
constexpr void require_bound(type_list<Symbols...>) {
    if constexpr (!list_contains_v<type_list<Symbols...>, S>) {
        report_missing_binding<S>(std::make_index_sequence<S::name.view().size()>{});
    }
}

template <class E, class Params, class Batch>
inline constexpr bool is_bound_v =
    std::is_same_v<typename Params::value_type, typename Batch::value_type> &&
    []<class... Ps>(type_list<Ps...>) { return (list_contains_v<typename Params::symbols, Ps> && ...); }(params_of_t<E>{}) &&
    []<class... Is>(type_list<Is...>) { return (list_contains_v<typename Batch::symbols, Is> && ...); }(inputs_of_t<E>{});

/// Static checks shared by the entry points: every parameter of E is in the store, every
/// input in the batch, and both hold one number type. Each failure names the symbol; the
/// entry points then stop (if constexpr on is_bound_v), so it is the only error.
template <class E, class Params, class Batch>
constexpr void require_complete() {
    static_assert(std::is_same_v<typename Params::value_type, typename Batch::value_type>,
                  "ctgrad: the parameters and the batch must hold the same number type (float or double)");
    for_each_type(params_of_t<E>{}, [](auto s, auto) { require_bound<typename decltype(s)::type>(typename Params::symbols{}); });
    for_each_type(inputs_of_t<E>{}, [](auto s, auto) { require_bound<typename decltype(s)::type>(typename Batch::symbols{}); });
}

template <class Batch>
void require_examples(const Batch& batch, const char* call) {
    if (batch.examples() == 0) throw std::invalid_argument(std::string(call) + ": the batch has no examples");
}

/// The loss with its runtime numbers in slots, and those numbers.
template <class E, class T>
struct slotted_expression {
    static constexpr std::size_t count = number_count_v<E>;
    std::array<double, count> m_numbers{};
    decltype(to_slots<0>(std::declval<const E&>(), std::declval<std::array<double, count>&>())) m_expression;

    explicit slotted_expression(const E& e) : m_expression(to_slots<0>(e, m_numbers)) {}

    std::array<T, count> numbers() const {
        std::array<T, count> out{};
        std::transform(m_numbers.begin(), m_numbers.end(), out.begin(), [](double v) { return static_cast<T>(v); });
        return out;
    }
};

/// Runs the plan over the whole batch: SIMD blocks, then the scalar tail.
template <class Entries, class Inputs, class OnBlock>
void run_plan(const Inputs& in, std::size_t examples, std::size_t features, OnBlock&& on_block) {
    using T = typename Inputs::value_type;
    using V = simd::batch<T>;
    const std::size_t groups = groups_for<T>(features, simd::lanes_v<V>, fused_block_groups);
    const std::size_t done = for_each_block<V, fused_block_groups, Entries>(in, 0, examples, groups, on_block);
    for_each_block<T, 1, Entries>(in, done, examples, 1, on_block);
}

/// The most features any reduction of the plan walks.
template <class Inputs>
std::size_t widest(const Inputs& in) {
    std::size_t most = 0;
    for (std::size_t length : in.m_lengths) most = length > most ? length : most;
    return most;
}

/// Lane-wise gradient accumulators for vector parameters, one per element, reused from
/// call to call on each thread so that a steady-state step allocates nothing. Summing
/// lanes once per call, not once per block, keeps wide gradients cheap.
template <class T>
std::vector<simd::batch<T>>& lane_accumulators(std::size_t size) {
    thread_local std::vector<simd::batch<T>> buffer;
    if (buffer.size() < size) buffer.resize(size);
    std::fill_n(buffer.begin(), size, simd::batch<T>(T(0)));
    return buffer;
}

template <class E, class Evaluator>
auto sum_over_block(const Evaluator& ev) {
    auto total = ev.template scalar<E>(0);
    for (std::size_t k = 1; k < ev.active(); ++k) total += ev.template scalar<E>(k);
    return simd::sum_lanes(total);
}

/// Where each parameter's lane accumulators start in the shared buffer (scalars take none).
template <class T, class... P>
std::array<std::size_t, sizeof...(P) + 1> lane_starts(const parameter_store<T, P...>& params) {
    std::array<std::size_t, sizeof...(P) + 1> starts{};
    const std::size_t sizes[] = {[&] {
        if constexpr (P::is_vector) return params[P{}].size();
        else return std::size_t{0};
    }()...};
    for (std::size_t i = 0; i < sizeof...(P); ++i) starts[i + 1] = starts[i] + sizes[i];
    return starts;
}

/// Adds one block's sum of the partial G (by the parameter P) to its accumulator: lane-wise
/// for SIMD blocks of a vector parameter, straight into grads otherwise.
template <class G, class P, class Evaluator, class Store, class T>
void accumulate_partial(const Evaluator& ev, Store& grads, simd::batch<T>* lane_totals) {
    if constexpr (std::is_same_v<G, zero_t>) {
        return;
    } else if constexpr (P::is_vector) {
        T* out = grads[P{}].data();
        const std::size_t length = grads[P{}].size();
        for (std::size_t j = 0; j < length; ++j) {
            auto total = ev.template element<G>(j, 0);
            for (std::size_t k = 1; k < ev.active(); ++k) total += ev.template element<G>(j, k);
            if constexpr (simd::is_batch_v<typename Evaluator::lane_type>) lane_totals[j] += total;
            else out[j] += total; // the scalar tail
        }
    } else {
        grads[P{}] += sum_over_block<G>(ev);
    }
}

/// Runs the plan of a single expression (its runtime numbers slotted) over the batch,
/// calling on_block(std::type_identity<E>{}, evaluator) with E the slotted expression.
template <class Expr, class Params, class Batch, class OnBlock>
void run_expression(const Expr& e, const Params& params, const Batch& batch, OnBlock&& on_block) {
    using T = typename Params::value_type;
    const slotted_expression<Expr, T> slotted(e);
    using E = std::remove_cvref_t<decltype(slotted.m_expression)>;
    using entries = plan_entries_t<E>;
    kernel_inputs<Params, Batch, slotted.count, entries> in{params, batch, slotted.numbers()};
    prepare_inputs<entries>(in);
    run_plan<entries>(in, batch.examples(), widest(in), [&](const auto& ev) { on_block(std::type_identity<E>{}, ev); });
}

} // namespace detail

/// The mean over the batch of the per-example loss, and its mean gradient by every
/// parameter of `params`, computed in one pass over the batch's data. The gradient is
/// written into `grads` (same layout as params; parameters the loss does not contain get
/// 0), so a training step that reuses `grads` allocates nothing.
///
/// The loss's subexpressions are computed once per block of examples and shared with every
/// partial; those that depend on no input are computed once per call.
template <expression Loss, class T, class... P, class... B>
T value_and_grad(const Loss& loss, const parameter_store<T, P...>& params, const batch_view<T, B...>& batch,
                 parameter_store<T, P...>& grads) {
    using params_type = parameter_store<T, P...>;
    using batch_type = batch_view<T, B...>;
    detail::require_complete<Loss, params_type, batch_type>();
    if constexpr (!detail::is_bound_v<Loss, params_type, batch_type>) {
        return T{};
    } else {
        detail::require_examples(batch, "ctgrad::value_and_grad");

        const detail::slotted_expression<Loss, T> slotted(loss);
        using E = std::remove_cvref_t<decltype(slotted.m_expression)>;
        using entries = detail::plan_entries_t<E, decltype(detail::derive_any(E{}, P{}))...>;
        using inputs_type = detail::kernel_inputs<params_type, batch_type, slotted.count, entries>;
        inputs_type in{params, batch, slotted.numbers()};
        detail::prepare_inputs<entries>(in);

        // Vector partials read their elements up to the parameter's length: check it once.
        (
            [&] {
                using G = decltype(detail::derive_any(E{}, P{}));
                if constexpr (P::is_vector) {
                    if constexpr (detail::element_leaves_t<G>::size > 0)
                        (void)detail::common_vector_length(
                            detail::push_unique_t<detail::element_leaves_t<G>, P>{}, params, batch,
                            "the gradient by " + std::string(P::name.view()) + ", " + to_string(G{}));
                    auto& g = grads[P{}];
                    if (g.size() != params[P{}].size()) g = xt::xtensor<T, 1>::from_shape({params[P{}].size()});
                    std::fill(g.begin(), g.end(), T(0));
                } else {
                    grads[P{}] = T(0);
                }
            }(),
            ...);

        const auto starts = detail::lane_starts(params);
        auto& lane_totals = detail::lane_accumulators<T>(starts.back());
        using param_list = detail::type_list<P...>;

        T loss_total = 0;
        detail::run_plan<entries>(in, batch.examples(), detail::widest(in), [&](const auto& ev) {
            loss_total += detail::sum_over_block<E>(ev);
            (detail::accumulate_partial<decltype(detail::derive_any(E{}, P{})), P>(
                 ev, grads, lane_totals.data() + starts[detail::list_index_v<param_list, P>]),
             ...);
        });
        detail::for_each_type(param_list{}, [&](auto symbol, auto index) {
            using S = typename decltype(symbol)::type;
            if constexpr (S::is_vector) {
                T* out = grads[S{}].data();
                for (std::size_t j = 0; j < grads[S{}].size(); ++j) out[j] += simd::sum_lanes(lane_totals[starts[index] + j]);
            }
        });

        const T scale = T(1) / static_cast<T>(batch.examples());
        grads.for_each([&](auto, auto& g) {
            if constexpr (std::is_arithmetic_v<std::remove_cvref_t<decltype(g)>>) g *= scale;
            else for (auto& v : g) v *= scale;
        });
        return loss_total * scale;
    }
}

/// The mean loss and gradient, returned: {value, grad}. Allocates the gradient store; in a
/// training loop prefer the overload that writes into caller-owned storage.
template <class T, class Store>
struct value_and_grad_result {
    T value;
    Store grad;
};

template <expression Loss, class T, class... P, class... B>
auto value_and_grad(const Loss& loss, const parameter_store<T, P...>& params, const batch_view<T, B...>& batch) {
    auto grads = params.zeros_like();
    const T value = value_and_grad(loss, params, batch, grads);
    return value_and_grad_result<T, parameter_store<T, P...>>{value, std::move(grads)};
}

/// The mean over the batch of the per-example loss alone (for validation).
template <expression Loss, class T, class... P, class... B>
T value(const Loss& loss, const parameter_store<T, P...>& params, const batch_view<T, B...>& batch) {
    using params_type = parameter_store<T, P...>;
    using batch_type = batch_view<T, B...>;
    detail::require_complete<Loss, params_type, batch_type>();
    if constexpr (!detail::is_bound_v<Loss, params_type, batch_type>) {
        return T{};
    } else {
        detail::require_examples(batch, "ctgrad::value");
        T total = 0;
        detail::run_expression(loss, params, batch, [&]<class E>(std::type_identity<E>, const auto& ev) {
            total += detail::sum_over_block<E>(ev);
        });
        return total / static_cast<T>(batch.examples());
    }
}

/// The per-example value of a scalar expression (a model's prediction) for every example of
/// the batch, written to `out` (resized to the batch when its size differs).
template <expression Model, class T, class... P, class... B>
void predict(const Model& model, const parameter_store<T, P...>& params, const batch_view<T, B...>& batch,
             xt::xtensor<T, 1>& out) {
    using params_type = parameter_store<T, P...>;
    using batch_type = batch_view<T, B...>;
    static_assert(!is_vector_v<Model>, "ctgrad::predict: the model must give one number per example");
    detail::require_complete<Model, params_type, batch_type>();
    if constexpr (detail::is_bound_v<Model, params_type, batch_type>) {
        if (out.size() != batch.examples()) out = xt::xtensor<T, 1>::from_shape({batch.examples()});
        T* data = out.data();
        detail::run_expression(model, params, batch, [&]<class E>(std::type_identity<E>, const auto& ev) {
            for (std::size_t k = 0; k < ev.active(); ++k) {
                const auto v = ev.template scalar<E>(k);
                T* at = data + ev.m_offset + k * ev.lanes;
                if constexpr (simd::is_batch_v<std::remove_cvref_t<decltype(v)>>) v.store_unaligned(at);
                else *at = v;
            }
        });
    }
}

/// predict, returning a new vector.
template <expression Model, class T, class... P, class... B>
xt::xtensor<T, 1> predict(const Model& model, const parameter_store<T, P...>& params, const batch_view<T, B...>& batch) {
    xt::xtensor<T, 1> out;
    predict(model, params, batch, out);
    return out;
}

} // namespace ctgrad

#endif // CTGRAD_EVAL_FUSED_HPP
