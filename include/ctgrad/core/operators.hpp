// ctgrad/core/operators.hpp: the public way to build expressions: + - * / and unary -,
// the functions, comparisons and select, and the reductions dot and sum. Every one goes
// through the simplifying constructors, so `x * 1` is x and `a - a` is 0.
#ifndef CTGRAD_CORE_OPERATORS_HPP
#define CTGRAD_CORE_OPERATORS_HPP

#include "ctgrad/symbolic/simplify.hpp"

namespace ctgrad {

namespace detail {

/// A plain number next to an expression becomes a runtime `number` leaf.
template <class T>
constexpr auto as_expression(const T& value) {
    if constexpr (expression<T>) return value;
    else return number{static_cast<double>(value)};
}

template <class A, class B>
concept operand_pair = operand<A> && operand<B> && (expression<A> || expression<B>);

template <class E>
constexpr void require_arithmetic_operand() {
    static_assert(!is_condition_v<E>,
                  "ctgrad: a comparison is a condition, usable only as the first argument of select(cond, a, b)");
}

} // namespace detail

// ---- arithmetic ----
/// d(a + b) = da + db
template <class A, class B> requires detail::operand_pair<A, B>
constexpr auto operator+(const A& a, const B& b) {
    detail::require_arithmetic_operand<A>(); detail::require_arithmetic_operand<B>();
    return detail::make_add(detail::as_expression(a), detail::as_expression(b));
}
/// d(a - b) = da - db
template <class A, class B> requires detail::operand_pair<A, B>
constexpr auto operator-(const A& a, const B& b) {
    detail::require_arithmetic_operand<A>(); detail::require_arithmetic_operand<B>();
    return detail::make_sub(detail::as_expression(a), detail::as_expression(b));
}
/// d(a * b) = da * b + a * db
template <class A, class B> requires detail::operand_pair<A, B>
constexpr auto operator*(const A& a, const B& b) {
    detail::require_arithmetic_operand<A>(); detail::require_arithmetic_operand<B>();
    return detail::make_mul(detail::as_expression(a), detail::as_expression(b));
}
/// d(a / b) = da / b - a * db / square(b)
template <class A, class B> requires detail::operand_pair<A, B>
constexpr auto operator/(const A& a, const B& b) {
    detail::require_arithmetic_operand<A>(); detail::require_arithmetic_operand<B>();
    return detail::make_div(detail::as_expression(a), detail::as_expression(b));
}
/// d(-a) = -da
template <expression A>
constexpr auto operator-(const A& a) {
    detail::require_arithmetic_operand<A>();
    return detail::make_neg(a);
}

// ---- functions of one argument ----
/// d(square(a)) = 2 * a * da
template <expression A> constexpr auto square(const A& a) { detail::require_arithmetic_operand<A>(); return detail::make_square(a); }
/// d(pow<N>(a)) = N * pow<N - 1>(a) * da, for any integer N
template <int N, expression A> constexpr auto pow(const A& a) { detail::require_arithmetic_operand<A>(); return detail::make_pow<N>(a); }
/// d(exp(a)) = exp(a) * da
template <expression A> constexpr auto exp(const A& a) { detail::require_arithmetic_operand<A>(); return detail::make_unary<exp_tag>(a); }
/// d(log(a)) = da / a
template <expression A> constexpr auto log(const A& a) { detail::require_arithmetic_operand<A>(); return detail::make_unary<log_tag>(a); }
/// d(sqrt(a)) = da / (2 * sqrt(a))
template <expression A> constexpr auto sqrt(const A& a) { detail::require_arithmetic_operand<A>(); return detail::make_unary<sqrt_tag>(a); }
/// d(abs(a)) = sign(a) * da (0 at a = 0)
template <expression A> constexpr auto abs(const A& a) { detail::require_arithmetic_operand<A>(); return detail::make_unary<abs_tag>(a); }
/// d(sign(a)) = 0
template <expression A> constexpr auto sign(const A& a) { detail::require_arithmetic_operand<A>(); return detail::make_unary<sign_tag>(a); }
/// d(sin(a)) = cos(a) * da
template <expression A> constexpr auto sin(const A& a) { detail::require_arithmetic_operand<A>(); return detail::make_unary<sin_tag>(a); }
/// d(cos(a)) = -(sin(a) * da)
template <expression A> constexpr auto cos(const A& a) { detail::require_arithmetic_operand<A>(); return detail::make_unary<cos_tag>(a); }
/// d(tanh(a)) = (1 - square(tanh(a))) * da
template <expression A> constexpr auto tanh(const A& a) { detail::require_arithmetic_operand<A>(); return detail::make_unary<tanh_tag>(a); }
/// d(atan(a)) = da / (1 + square(a))
template <expression A> constexpr auto atan(const A& a) { detail::require_arithmetic_operand<A>(); return detail::make_unary<atan_tag>(a); }
/// d(log1p(a)) = da / (1 + a)
template <expression A> constexpr auto log1p(const A& a) { detail::require_arithmetic_operand<A>(); return detail::make_unary<log1p_tag>(a); }
/// d(expm1(a)) = exp(a) * da
template <expression A> constexpr auto expm1(const A& a) { detail::require_arithmetic_operand<A>(); return detail::make_unary<expm1_tag>(a); }
/// d(sigmoid(a)) = sigmoid(a) * (1 - sigmoid(a)) * da
template <expression A> constexpr auto sigmoid(const A& a) { detail::require_arithmetic_operand<A>(); return detail::make_unary<sigmoid_tag>(a); }

/// d(softplus(a)) = sigmoid(a) * da; softplus(a) = log(1 + exp(a)) without overflow
template <expression A> constexpr auto softplus(const A& a) { detail::require_arithmetic_operand<A>(); return detail::make_unary<softplus_tag>(a); }
// ---- functions of two arguments ----
/// d(min(a, b)) = select(a <= b, da, db)
template <class A, class B> requires detail::operand_pair<A, B>
constexpr auto min(const A& a, const B& b) {
    detail::require_arithmetic_operand<A>(); detail::require_arithmetic_operand<B>();
    return detail::make_extremum<min_tag>(detail::as_expression(a), detail::as_expression(b));
}
/// d(max(a, b)) = select(a >= b, da, db)
template <class A, class B> requires detail::operand_pair<A, B>
constexpr auto max(const A& a, const B& b) {
    detail::require_arithmetic_operand<A>(); detail::require_arithmetic_operand<B>();
    return detail::make_extremum<max_tag>(detail::as_expression(a), detail::as_expression(b));
}

/// pow(a, b) for a > 0 and a real exponent b: d = b * pow(a, b - 1) * da + pow(a, b) * log(a) * db
template <class A, class B> requires detail::operand_pair<A, B>
constexpr auto pow(const A& a, const B& b) {
    detail::require_arithmetic_operand<A>(); detail::require_arithmetic_operand<B>();
    return detail::make_real_pow(detail::as_expression(a), detail::as_expression(b));
}

// ---- comparisons and select ----
namespace detail {
template <class Tag, class A, class B>
constexpr auto compare(const A& a, const B& b) {
    require_arithmetic_operand<A>(); require_arithmetic_operand<B>();
    return make_comparison<Tag>(as_expression(a), as_expression(b));
}
} // namespace detail

/// a < b, a condition for select. Comparisons have no derivative.
template <class A, class B> requires detail::operand_pair<A, B>
constexpr auto operator<(const A& a, const B& b) { return detail::compare<less_tag>(a, b); }
/// a > b, a condition for select.
template <class A, class B> requires detail::operand_pair<A, B>
constexpr auto operator>(const A& a, const B& b) { return detail::compare<greater_tag>(a, b); }
/// a <= b, a condition for select.
template <class A, class B> requires detail::operand_pair<A, B>
constexpr auto operator<=(const A& a, const B& b) { return detail::compare<less_equal_tag>(a, b); }
/// a >= b, a condition for select.
template <class A, class B> requires detail::operand_pair<A, B>
constexpr auto operator>=(const A& a, const B& b) { return detail::compare<greater_equal_tag>(a, b); }

/// select(cond, a, b) is a where cond holds, else b. d(select(c, a, b)) = select(c, da, db).
template <expression C, operand A, operand B>
constexpr auto select(const C& condition, const A& a, const B& b) {
    static_assert(is_condition_v<C>, "ctgrad::select(cond, a, b) requires cond to be a comparison such as a < b");
    detail::require_arithmetic_operand<A>(); detail::require_arithmetic_operand<B>();
    return detail::make_select(condition, detail::as_expression(a), detail::as_expression(b));
}

// ---- reductions: the only way from vectors to scalars ----
/// dot(u, v) = sum of u[i] * v[i]. By a scalar s: d = dot(du, v) + dot(u, dv);
/// by a vector w: d = du * v + u * dv (element-wise).
template <expression U, expression V>
constexpr auto dot(const U& u, const V& v) {
    static_assert(is_vector_v<U> && is_vector_v<V>,
                  "ctgrad::dot(u, v) requires two vector expressions (param_vec, input_vec, or element-wise ops on them); "
                  "for scalars use u * v");
    detail::require_arithmetic_operand<U>(); detail::require_arithmetic_operand<V>();
    return detail::make_dot(u, v);
}
/// sum(v) = sum of v[i]. By a scalar s: d = sum(dv); by a vector w: d = dv.
template <expression V>
constexpr auto sum(const V& v) {
    static_assert(is_vector_v<V>, "ctgrad::sum(v) requires a vector expression");
    detail::require_arithmetic_operand<V>();
    return detail::make_sum(v);
}

} // namespace ctgrad

#endif // CTGRAD_CORE_OPERATORS_HPP
