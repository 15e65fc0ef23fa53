// ctgrad/symbolic/rules_functions.hpp: derivative rules of exp, log, sqrt, abs, sign, sin,
// cos, tanh, atan, log1p, expm1, sigmoid, softplus, pow(a, b), min, max and select.
#ifndef CTGRAD_SYMBOLIC_RULES_FUNCTIONS_HPP
#define CTGRAD_SYMBOLIC_RULES_FUNCTIONS_HPP

#include "ctgrad/symbolic/derivative_fwd.hpp"

namespace ctgrad::detail {

template <class A, class S>
constexpr auto derive(const node<exp_tag, A>& e, const S& s) {
    return make_mul(e, derive_any(child<0>(e), s));
}

template <class A, class S>
constexpr auto derive(const node<log_tag, A>& e, const S& s) {
    return make_div(derive_any(child<0>(e), s), child<0>(e));
}

template <class A, class S>
constexpr auto derive(const node<sqrt_tag, A>& e, const S& s) {
    return make_div(derive_any(child<0>(e), s), make_mul(c<2>, e));
}

template <class A, class S>
constexpr auto derive(const node<abs_tag, A>& e, const S& s) {
    return make_mul(make_unary<sign_tag>(child<0>(e)), derive_any(child<0>(e), s));
}

// sign is piecewise constant: its derivative is 0 wherever it exists.
template <class A, class S>
constexpr auto derive(const node<sign_tag, A>&, const S&) {
    return zero_t{};
}

template <class A, class S>
constexpr auto derive(const node<sin_tag, A>& e, const S& s) {
    return make_mul(make_unary<cos_tag>(child<0>(e)), derive_any(child<0>(e), s));
}

template <class A, class S>
constexpr auto derive(const node<cos_tag, A>& e, const S& s) {
    return make_neg(make_mul(make_unary<sin_tag>(child<0>(e)), derive_any(child<0>(e), s)));
}

template <class A, class S>
constexpr auto derive(const node<tanh_tag, A>& e, const S& s) {
    return make_mul(make_sub(one_t{}, make_square(e)), derive_any(child<0>(e), s));
}

template <class A, class S>
constexpr auto derive(const node<atan_tag, A>& e, const S& s) {
    return make_div(derive_any(child<0>(e), s), make_add(one_t{}, make_square(child<0>(e))));
}

template <class A, class S>
constexpr auto derive(const node<log1p_tag, A>& e, const S& s) {
    return make_div(derive_any(child<0>(e), s), make_add(one_t{}, child<0>(e)));
}

template <class A, class S>
constexpr auto derive(const node<expm1_tag, A>& e, const S& s) {
    return make_mul(make_unary<exp_tag>(child<0>(e)), derive_any(child<0>(e), s));
}

// b * pow(a, b - 1) rather than pow(a, b) * b / a, so the base term stays finite at a = 0.
template <class A, class B, class S>
constexpr auto derive(const node<real_pow_tag, A, B>& e, const S& s) {
    const auto& a = child<0>(e);
    const auto& b = child<1>(e);
    return make_add(make_mul(make_mul(b, make_real_pow(a, make_sub(b, one_t{}))), derive_any(a, s)),
                    make_mul(make_mul(e, make_unary<log_tag>(a)), derive_any(b, s)));
}

template <class A, class S>
constexpr auto derive(const node<sigmoid_tag, A>& e, const S& s) {
    return make_mul(make_mul(e, make_sub(one_t{}, e)), derive_any(child<0>(e), s));
}

template <class A, class S>
constexpr auto derive(const node<softplus_tag, A>& e, const S& s) {
    return make_mul(make_unary<sigmoid_tag>(child<0>(e)), derive_any(child<0>(e), s));
}

template <class A, class B, class S>
constexpr auto derive(const node<min_tag, A, B>& e, const S& s) {
    const auto& a = child<0>(e);
    const auto& b = child<1>(e);
    return make_select(make_comparison<less_equal_tag>(a, b), derive_any(a, s), derive_any(b, s));
}

template <class A, class B, class S>
constexpr auto derive(const node<max_tag, A, B>& e, const S& s) {
    const auto& a = child<0>(e);
    const auto& b = child<1>(e);
    return make_select(make_comparison<greater_equal_tag>(a, b), derive_any(a, s), derive_any(b, s));
}

template <class C, class A, class B, class S>
constexpr auto derive(const node<select_tag, C, A, B>& e, const S& s) {
    return make_select(child<0>(e), derive_any(child<1>(e), s), derive_any(child<2>(e), s));
}

template <class Tag, class A, class B, class S> requires Tag::is_comparison
constexpr auto derive(const node<Tag, A, B>&, const S&) {
    static_assert(dependent_false_v<Tag>,
                  "ctgrad::d: a comparison has no derivative; differentiate the select(cond, a, b) that uses it");
    return zero_t{};
}

} // namespace ctgrad::detail

#endif // CTGRAD_SYMBOLIC_RULES_FUNCTIONS_HPP
