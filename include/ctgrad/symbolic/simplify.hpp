// ctgrad/symbolic/simplify.hpp: the smart constructors. Every node, written by a user or
// produced by d(), is built here, so both meet in one canonical form:
//   - 0 and 1 identities; exact folding of rational constants;
//   - -(-a) = a; a - a = 0 and a + a = 2 * a (like terms, for stateless a only);
//   - constant factors collected into one coefficient on the left: c * (x * y).
// Like terms are merged only for stateless expressions: two `number` leaves of one type
// may hold different values.
#ifndef CTGRAD_SYMBOLIC_SIMPLIFY_HPP
#define CTGRAD_SYMBOLIC_SIMPLIFY_HPP

#include "ctgrad/core/traits.hpp"

namespace ctgrad::detail {

template <class A, class B> constexpr auto make_add(const A& a, const B& b);
template <class A, class B> constexpr auto make_sub(const A& a, const B& b);
template <class A, class B> constexpr auto make_mul(const A& a, const B& b);
template <class A, class B> constexpr auto make_div(const A& a, const B& b);
template <class A> constexpr auto make_neg(const A& a);
template <class A> constexpr auto make_square(const A& a);

template <class E> inline constexpr bool is_negative_constant_v = false;
template <std::intmax_t N, std::intmax_t D> inline constexpr bool is_negative_constant_v<constant<N, D>> = N < 0;

template <class E> inline constexpr bool is_scaled_v = false; // c * body with a constant c
template <std::intmax_t N, std::intmax_t D, class B>
inline constexpr bool is_scaled_v<node<mul_tag, constant<N, D>, B>> = true;

template <class E> inline constexpr bool is_divided_by_constant_v = false; // body / c
template <class A, std::intmax_t N, std::intmax_t D>
inline constexpr bool is_divided_by_constant_v<node<div_tag, A, constant<N, D>>> = true;

/// A term seen as coefficient * body: 3 * x is (3, x), -x is (-1, x), anything else (1, e).
template <class E>
struct term {
    using coefficient = one_t;
    using body_type = E;
    static constexpr const E& body(const E& e) noexcept { return e; }
};
template <std::intmax_t N, std::intmax_t D, class B>
struct term<node<mul_tag, constant<N, D>, B>> {
    using coefficient = constant<N, D>;
    using body_type = B;
    static constexpr const B& body(const node<mul_tag, constant<N, D>, B>& e) noexcept { return child<1>(e); }
};
template <class B>
struct term<node<neg_tag, B>> {
    using coefficient = constant<-1, 1>;
    using body_type = B;
    static constexpr const B& body(const node<neg_tag, B>& e) noexcept { return child<0>(e); }
};

template <class A, class B>
inline constexpr bool like_terms_v = same_stateless_v<typename term<A>::body_type, typename term<B>::body_type>;

template <class A, class B>
constexpr auto make_add(const A& a, const B& b) {
    if constexpr (is_constant_v<A> && is_constant_v<B>) return rational_add(a, b);
    else if constexpr (std::is_same_v<A, zero_t>) return b;
    else if constexpr (std::is_same_v<B, zero_t>) return a;
    else if constexpr (is_node_of_v<B, neg_tag>) return make_sub(a, child<0>(b));
    else if constexpr (is_node_of_v<A, neg_tag>) return make_sub(b, child<0>(a));
    else if constexpr (is_negative_constant_v<B>) return make_sub(a, rational_neg(b));
    else if constexpr (like_terms_v<A, B>)
        return make_mul(rational_add(typename term<A>::coefficient{}, typename term<B>::coefficient{}),
                        term<A>::body(a));
    else return make_node<add_tag>(a, b);
}

template <class A, class B>
constexpr auto make_sub(const A& a, const B& b) {
    if constexpr (is_constant_v<A> && is_constant_v<B>) return rational_add(a, rational_neg(b));
    else if constexpr (std::is_same_v<B, zero_t>) return a;
    else if constexpr (std::is_same_v<A, zero_t>) return make_neg(b);
    else if constexpr (is_node_of_v<B, neg_tag>) return make_add(a, child<0>(b));
    else if constexpr (is_negative_constant_v<B>) return make_add(a, rational_neg(b));
    else if constexpr (like_terms_v<A, B>)
        return make_mul(rational_add(typename term<A>::coefficient{}, rational_neg(typename term<B>::coefficient{})),
                        term<A>::body(a));
    else return make_node<sub_tag>(a, b);
}

template <class A>
constexpr auto make_neg(const A& a) {
    if constexpr (is_constant_v<A>) return rational_neg(a);
    else if constexpr (is_node_of_v<A, neg_tag>) return child<0>(a);
    else if constexpr (is_scaled_v<A>) return make_mul(rational_neg(typename term<A>::coefficient{}), child<1>(a));
    else return make_node<neg_tag>(a);
}

template <class A, class B>
constexpr auto make_mul(const A& a, const B& b) {
    if constexpr (is_constant_v<A> && is_constant_v<B>) return rational_mul(a, b);
    else if constexpr (std::is_same_v<A, zero_t> || std::is_same_v<B, zero_t>) return zero_t{};
    else if constexpr (std::is_same_v<A, one_t>) return b;
    else if constexpr (std::is_same_v<B, one_t>) return a;
    else if constexpr (is_constant_v<B>) return make_mul(b, a);
    else if constexpr (is_constant_v<A>) {
        // a is the coefficient: fold it into any coefficient b already has.
        if constexpr (is_scaled_v<B>) return make_mul(rational_mul(a, child<0>(b)), child<1>(b));
        else if constexpr (is_node_of_v<B, neg_tag>) return make_mul(rational_neg(a), child<0>(b));
        else if constexpr (is_divided_by_constant_v<B>) return make_mul(rational_mul(a, rational_inv(child<1>(b))), child<0>(b));
        else if constexpr (std::is_same_v<A, constant<-1, 1>>) return make_neg(b);
        else return make_node<mul_tag>(a, b);
    }
    // Neither is a constant: move coefficients and signs out to the left.
    else if constexpr (is_scaled_v<A>) return make_mul(child<0>(a), make_mul(child<1>(a), b));
    else if constexpr (is_scaled_v<B>) return make_mul(child<0>(b), make_mul(a, child<1>(b)));
    else if constexpr (is_node_of_v<A, neg_tag>) return make_neg(make_mul(child<0>(a), b));
    else if constexpr (is_node_of_v<B, neg_tag>) return make_neg(make_mul(a, child<0>(b)));
    else if constexpr (is_divided_by_constant_v<A>) return make_mul(rational_inv(child<1>(a)), make_mul(child<0>(a), b));
    else if constexpr (same_stateless_v<A, B>) return make_square(a);
    else return make_node<mul_tag>(a, b);
}

template <class A, class B>
constexpr auto make_div(const A& a, const B& b) {
    if constexpr (std::is_same_v<B, zero_t>) {
        static_assert(dependent_false_v<A>, "ctgrad: division by the constant 0");
        return zero_t{};
    }
    else if constexpr (is_constant_v<A> && is_constant_v<B>) return rational_mul(a, rational_inv(b));
    else if constexpr (std::is_same_v<A, zero_t>) return zero_t{};
    else if constexpr (std::is_same_v<B, one_t>) return a;
    else if constexpr (is_constant_v<B>) {
        if constexpr (is_scaled_v<A>) return make_mul(rational_mul(child<0>(a), rational_inv(b)), child<1>(a));
        else if constexpr (is_node_of_v<A, neg_tag>) return make_neg(make_div(child<0>(a), b));
        else if constexpr (is_divided_by_constant_v<A>) return make_div(child<0>(a), rational_mul(child<1>(a), b));
        else if constexpr (std::is_same_v<B, constant<-1, 1>>) return make_neg(a);
        // Dividing by an integer reads well (square(u) / 2); by a fraction, multiply instead.
        else if constexpr (B::denominator != 1) return make_mul(rational_inv(b), a);
        else return make_node<div_tag>(a, b);
    }
    else if constexpr (is_scaled_v<A>) return make_mul(child<0>(a), make_div(child<1>(a), b));
    else if constexpr (is_node_of_v<A, neg_tag>) return make_neg(make_div(child<0>(a), b));
    // a / (c * x) = (1/c) * (a / x), except that 1 / (2 * x) reads better as it is.
    else if constexpr (is_scaled_v<B> && !is_constant_v<A>) return make_mul(rational_inv(child<0>(b)), make_div(a, child<1>(b)));
    else if constexpr (is_node_of_v<B, neg_tag>) return make_neg(make_div(a, child<0>(b)));
    else if constexpr (same_stateless_v<A, B>) return one_t{};
    else return make_node<div_tag>(a, b);
}

template <class A>
constexpr auto make_square(const A& a) {
    if constexpr (is_constant_v<A>) return rational_mul(a, a);
    else if constexpr (is_node_of_v<A, neg_tag>) return make_square(child<0>(a));
    else if constexpr (is_scaled_v<A>) return make_mul(rational_mul(child<0>(a), child<0>(a)), make_square(child<1>(a)));
    else return make_node<square_tag>(a);
}

template <int N, class A>
constexpr auto make_pow(const A& a) {
    if constexpr (N == 0) return one_t{};
    else if constexpr (N == 1) return a;
    else if constexpr (N == 2) return make_square(a);
    else if constexpr (N < 0 && is_constant_v<A>) return rational_inv(make_pow<-N>(a));
    else if constexpr (is_constant_v<A>) return rational_mul(a, make_pow<N - 1>(a));
    else return make_node<pow_tag<N>>(a);
}

/// Functions of one argument; a constant argument the tag knows the exact value at (its
/// fold(), as exp(0) = 1) gives that value.
template <class Tag, class A>
constexpr auto make_unary(const A& a) {
    if constexpr (requires { Tag::fold(a); }) return Tag::fold(a);
    else return make_node<Tag>(a);
}

/// pow(a, b) with a real exponent; an integer constant exponent becomes pow<N>, which folds further.
template <class A, class B>
constexpr auto make_real_pow(const A& a, const B& b) {
    if constexpr (is_constant_v<B>) {
        if constexpr (B::denominator == 1) return make_pow<static_cast<int>(B::numerator)>(a);
        else return make_node<real_pow_tag>(a, b);
    } else {
        return make_node<real_pow_tag>(a, b);
    }
}

/// min and max of two arguments.
template <class Tag, class A, class B>
constexpr auto make_extremum(const A& a, const B& b) {
    if constexpr (same_stateless_v<A, B>) return a;
    else return make_node<Tag>(a, b);
}

template <class Tag, class A, class B>
constexpr auto make_comparison(const A& a, const B& b) { return make_node<Tag>(a, b); }

template <class C, class A, class B>
constexpr auto make_select(const C& condition, const A& a, const B& b) {
    if constexpr (same_stateless_v<A, B>) return a;
    else return make_node<select_tag>(condition, a, b);
}

template <class V>
constexpr auto make_sum(const V& v) {
    if constexpr (std::is_same_v<V, zero_t>) return zero_t{};
    else return make_node<sum_tag>(v);
}

/// dot(u, v). Derivatives can hand it one scalar argument (d(dot(b * x, w), b) needs
/// dot(x, w), but d(dot(b + x, w), b) needs dot(1, w)): then it is s * sum(v).
template <class U, class V>
constexpr auto make_dot(const U& u, const V& v) {
    if constexpr (std::is_same_v<U, zero_t> || std::is_same_v<V, zero_t>) return zero_t{};
    else if constexpr (!is_vector_v<U>) return make_mul(u, make_sum(v));
    else if constexpr (!is_vector_v<V>) return make_mul(v, make_sum(u));
    else return make_node<dot_tag>(u, v);
}

template <class V>
constexpr auto make_size(const V& v) { return make_node<size_tag>(v); }

} // namespace ctgrad::detail

#endif // CTGRAD_SYMBOLIC_SIMPLIFY_HPP
