// ctgrad/symbolic/rules_arithmetic.hpp: derivative rules of + - * / unary -, square, pow<N>.
#ifndef CTGRAD_SYMBOLIC_RULES_ARITHMETIC_HPP
#define CTGRAD_SYMBOLIC_RULES_ARITHMETIC_HPP

#include "ctgrad/symbolic/derivative_fwd.hpp"

namespace ctgrad::detail {

template <class A, class B, class S>
constexpr auto derive(const node<add_tag, A, B>& e, const S& s) {
    return make_add(derive_any(child<0>(e), s), derive_any(child<1>(e), s));
}

template <class A, class B, class S>
constexpr auto derive(const node<sub_tag, A, B>& e, const S& s) {
    return make_sub(derive_any(child<0>(e), s), derive_any(child<1>(e), s));
}

template <class A, class S>
constexpr auto derive(const node<neg_tag, A>& e, const S& s) {
    return make_neg(derive_any(child<0>(e), s));
}

template <class A, class B, class S>
constexpr auto derive(const node<mul_tag, A, B>& e, const S& s) {
    const auto& a = child<0>(e);
    const auto& b = child<1>(e);
    return make_add(make_mul(derive_any(a, s), b), make_mul(a, derive_any(b, s)));
}

template <class A, class B, class S>
constexpr auto derive(const node<div_tag, A, B>& e, const S& s) {
    const auto& a = child<0>(e);
    const auto& b = child<1>(e);
    return make_sub(make_div(derive_any(a, s), b), make_div(make_mul(a, derive_any(b, s)), make_square(b)));
}

template <class A, class S>
constexpr auto derive(const node<square_tag, A>& e, const S& s) {
    const auto& a = child<0>(e);
    return make_mul(make_mul(c<2>, a), derive_any(a, s));
}

template <int N, class A, class S>
constexpr auto derive(const node<pow_tag<N>, A>& e, const S& s) {
    const auto& a = child<0>(e);
    return make_mul(make_mul(c<N>, make_pow<N - 1>(a)), derive_any(a, s));
}

} // namespace ctgrad::detail

#endif // CTGRAD_SYMBOLIC_RULES_ARITHMETIC_HPP
