// ctgrad/symbolic/rules_reductions.hpp: derivative rules of dot, sum and size, the nodes
// where vectors become scalars (docs/design.md, "Expressions and derivatives").
//
// By a scalar s a reduction stays a reduction: d(sum(v), s) = sum(dv).
// By a vector symbol w the result is the vector of partials by each w[i]: a reduction's
// body is element-wise, so d(sum(v), w) is the element-wise derivative dv, and
// d(dot(u, v), w) = du * v + u * dv. When the body also depends on w through a scalar
// subtree (a nested reduction), the chain rule through that subtree is added (freeze.hpp).
#ifndef CTGRAD_SYMBOLIC_RULES_REDUCTIONS_HPP
#define CTGRAD_SYMBOLIC_RULES_REDUCTIONS_HPP

#include "ctgrad/symbolic/derivative_fwd.hpp"
#include "ctgrad/symbolic/freeze.hpp"

namespace ctgrad::detail {

/// sum over the distinct frozen subtrees s_k (from I on) of (dR/ds_k) * ds_k/dw, where
/// dR/ds_k is the derivative of the frozen reduction by the leaf standing for s_k.
template <std::size_t I, class R, class Subtrees, class S>
constexpr auto chain_terms(const R& held, const Subtrees& subtrees, const S& s) {
    if constexpr (I == std::tuple_size_v<Subtrees>) return zero_t{};
    else if constexpr (frozen_key<Subtrees, I>() != I) return chain_terms<I + 1>(held, subtrees, s);
    else return make_add(make_mul(thaw(derive_any(held, frozen<I>{}), subtrees), derive_any(std::get<I>(subtrees), s)),
                         chain_terms<I + 1>(held, subtrees, s));
}

/// dR/dw for a reduction R whose body depends on the vector symbol w through scalar
/// subtrees s_k: the element-wise derivative with every s_k held fixed, plus the chain
/// rule through each s_k.
template <class R, class S>
constexpr auto derive_through_subtrees(const R& r, const S& s) {
    using subtrees_type = frozen_tuple_t<R, S>;
    const subtrees_type subtrees = gather_under(r, s);
    const auto held = freeze_children<0, subtrees_type>(r, s);
    return make_add(thaw(derive_any(held, s), subtrees), chain_terms<0>(held, subtrees, s));
}

template <class U, class V, class S>
constexpr auto derive(const node<dot_tag, U, V>& e, const S& s) {
    const auto& u = child<0>(e);
    const auto& v = child<1>(e);
    if constexpr (is_vector_v<S> && needs_freezing_v<node<dot_tag, U, V>, S>) return derive_through_subtrees(e, s);
    else if constexpr (is_vector_v<S>) return make_add(make_mul(derive_any(u, s), v), make_mul(u, derive_any(v, s)));
    // dot(u, u): the two terms are one term twice, which make_add cannot see (dot's
    // arguments come in either order).
    else if constexpr (same_stateless_v<U, V>) return make_mul(c<2>, make_dot(derive_any(u, s), v));
    else return make_add(make_dot(derive_any(u, s), v), make_dot(u, derive_any(v, s)));
}

template <class V, class S>
constexpr auto derive(const node<sum_tag, V>& e, const S& s) {
    const auto& v = child<0>(e);
    if constexpr (is_vector_v<S> && needs_freezing_v<node<sum_tag, V>, S>) return derive_through_subtrees(e, s);
    else if constexpr (is_vector_v<S>) return derive_any(v, s);
    // Every element has the same derivative (d(sum(x + b), b) = 1 per element): n of them.
    else if constexpr (!is_vector_v<decltype(derive_any(v, s))>) return make_mul(derive_any(v, s), make_size(v));
    else return make_sum(derive_any(v, s));
}

template <class V, class S>
constexpr auto derive(const node<size_tag, V>&, const S&) {
    return zero_t{};
}

} // namespace ctgrad::detail

#endif // CTGRAD_SYMBOLIC_RULES_REDUCTIONS_HPP
