// ctgrad/eval/hoisted_eval.hpp: the value of an expression that depends on no input, read
// from the fused kernel's inputs once a call has prepared them (prepare_inputs has computed
// every hoisted plan entry). value_and_grad uses it for what it adds once per call: the
// coefficients taken out of the sums over examples and the parts free of inputs
// (summed_form.hpp). Plain scalar code over kernel_inputs, rather than a block evaluator of
// one number: it needs nothing of the kernel's per-block machinery, only the hoisted values.
#ifndef CTGRAD_EVAL_HOISTED_EVAL_HPP
#define CTGRAD_EVAL_HOISTED_EVAL_HPP

#include "ctgrad/eval/fused_kernel.hpp"

#include <cstddef>

namespace ctgrad::detail {

template <class E, class Entries, class Inputs>
auto hoisted_element(const Inputs& in, std::size_t j);

/// E's value: a hoisted plan entry, a parameter, a runtime number, a constant, or (for a
/// condition, which is never an entry) its operation applied to its children's values.
template <class E, class Entries, class Inputs>
auto hoisted_scalar(const Inputs& in) {
    using T = typename Inputs::value_type;
    static_assert(!depends_on_input_v<E>, "ctgrad internal: hoisted_scalar of an expression that reads an input");
    if constexpr (list_contains_v<Entries, E>) {
        return in.m_hoisted[list_index_v<Entries, E>];
    } else if constexpr (is_symbol_v<E>) {
        return static_cast<T>(in.m_params[E{}]);
    } else if constexpr (is_constant_v<E>) {
        return E::template as<T>();
    } else if constexpr (is_slot_v<E>) {
        return in.m_slots[slot_index_v<E>];
    } else {
        static_assert(is_condition_v<E>, "ctgrad internal: a scalar free of inputs missing from the plan");
        return [&]<class Tag, class... Cs>(std::type_identity<node<Tag, Cs...>>) {
            return simd::apply<Tag>(hoisted_element<Cs, Entries>(in, 0)...);
        }(std::type_identity<E>{});
    }
}

/// Element j of E (a scalar broadcasts).
template <class E, class Entries, class Inputs>
auto hoisted_element(const Inputs& in, std::size_t j) {
    if constexpr (!is_vector_v<E>) {
        return hoisted_scalar<E, Entries>(in);
    } else if constexpr (is_symbol_v<E>) {
        static_assert(E::is_param, "ctgrad internal: hoisted_element of an input");
        return in.m_params[E{}].data()[j];
    } else {
        return [&]<class Tag, class... Cs>(std::type_identity<node<Tag, Cs...>>) {
            return simd::apply<Tag>(hoisted_element<Cs, Entries>(in, j)...);
        }(std::type_identity<E>{});
    }
}

} // namespace ctgrad::detail

#endif // CTGRAD_EVAL_HOISTED_EVAL_HPP
