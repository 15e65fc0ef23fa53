// ctgrad/symbolic/derivative.hpp: d(e, s), the derivative of an expression by a symbol,
// as a new expression type built by the rule headers and simplified as it is built.
#ifndef CTGRAD_SYMBOLIC_DERIVATIVE_HPP
#define CTGRAD_SYMBOLIC_DERIVATIVE_HPP

#include "ctgrad/symbolic/rules_arithmetic.hpp"
#include "ctgrad/symbolic/rules_functions.hpp"
#include "ctgrad/symbolic/rules_reductions.hpp"

namespace ctgrad {

namespace detail {

template <class E, class S>
constexpr auto derive_any(const E& e, const S& s) {
    if constexpr (!depends_on_v<E, S>) {
        return zero_t{};
    } else if constexpr (!is_node_v<E>) {
        return one_t{}; // a leaf that depends on S is S (by a vector symbol, the element-wise 1)
    } else {
        // By a vector w, a vector node's derivative is taken element by element. That is
        // exact unless a scalar child depends on w (as in w * dot(x, w)): then element i
        // depends on every w[j] and the Jacobian is not diagonal. Reductions never get here
        // with such a body (rules_reductions.hpp applies the chain rule through the scalar
        // first), so only d(vector expression, w) written by a user does. Conditions are
        // exempt: select differentiates its branches, never its condition.
        if constexpr (is_vector_v<S> && is_vector_v<E>) {
            constexpr bool scalar_child_depends_on_w = []<class Tag, class... Cs>(std::type_identity<node<Tag, Cs...>>) {
                return ((!is_vector_v<Cs> && !is_condition_v<Cs> && depends_on_v<Cs, S>) || ...);
            }(std::type_identity<E>{});
            static_assert(!scalar_child_depends_on_w,
                          "ctgrad::d(e, w): e is a vector expression that multiplies by a scalar depending on the "
                          "vector symbol w (as in w * dot(x, w)); its Jacobian is not diagonal, so it is not an "
                          "expression: differentiate a scalar instead, e.g. d(sum(e), w), or for a "
                          "Hessian-vector product d(dot(d(loss, w), v), w)");
        }
        return derive(e, s);
    }
}

} // namespace detail

/// The derivative of e by the symbol s, as an expression (simplified when built; usable in
/// constexpr declarations). By a vector symbol w, a scalar e gives the vector of partials
/// by w[i]; derivatives of any order compose: d(d(e, a), b).
template <expression E, class S>
constexpr auto d(const E& e, const S& s) {
    static_assert(symbolic<S>, "ctgrad::d(e, s) requires s to be a symbol (param, param_vec, input, input_vec)");
    if constexpr (symbolic<S>) return detail::derive_any(e, s);
    else return zero_t{}; // unreachable after the assertion; keeps the error message alone
}

} // namespace ctgrad

#endif // CTGRAD_SYMBOLIC_DERIVATIVE_HPP
