// ctgrad/symbolic/rules_reductions.hpp: derivative rules of dot, sum and size, the nodes
// where vectors become scalars (DESIGN.md §4).
//
// By a scalar s a reduction stays a reduction: d(sum(v), s) = sum(dv).
// By a vector symbol w the result is the vector of partials by each w[i]: a reduction's
// body is element-wise, so d(sum(v), w) is the element-wise derivative dv, and
// d(dot(u, v), w) = du * v + u * dv.
#ifndef CTGRAD_SYMBOLIC_RULES_REDUCTIONS_HPP
#define CTGRAD_SYMBOLIC_RULES_REDUCTIONS_HPP

#include "ctgrad/symbolic/derivative_fwd.hpp"

namespace ctgrad::detail {

template <class U, class V, class S>
constexpr auto derive(const node<dot_tag, U, V>& e, const S& s) {
    const auto& u = child<0>(e);
    const auto& v = child<1>(e);
    if constexpr (is_vector_v<S>) return make_add(make_mul(derive_any(u, s), v), make_mul(u, derive_any(v, s)));
    else return make_add(make_dot(derive_any(u, s), v), make_dot(u, derive_any(v, s)));
}

template <class V, class S>
constexpr auto derive(const node<sum_tag, V>& e, const S& s) {
    const auto& v = child<0>(e);
    const auto dv = derive_any(v, s);
    if constexpr (is_vector_v<S>) return dv;
    // Every element has the same derivative (d(sum(x + b), b) = 1 per element): n of them.
    else if constexpr (!is_vector_v<decltype(dv)>) return make_mul(dv, make_size(v));
    else return make_sum(dv);
}

template <class V, class S>
constexpr auto derive(const node<size_tag, V>&, const S&) {
    return zero_t{};
}

} // namespace ctgrad::detail

#endif // CTGRAD_SYMBOLIC_RULES_REDUCTIONS_HPP
