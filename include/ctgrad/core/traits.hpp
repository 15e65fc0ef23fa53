// ctgrad/core/traits.hpp: what the compiler knows about an expression type: is it one,
// its shape (scalar or vector), whether it is a condition, which symbols it contains.
#ifndef CTGRAD_CORE_TRAITS_HPP
#define CTGRAD_CORE_TRAITS_HPP

#include "ctgrad/core/constant.hpp"
#include "ctgrad/core/node.hpp"
#include "ctgrad/core/op_tags.hpp"
#include "ctgrad/core/symbol.hpp"

#include <type_traits>

namespace ctgrad {

template <class T> inline constexpr bool is_constant_v = false;
template <std::intmax_t N, std::intmax_t D> inline constexpr bool is_constant_v<constant<N, D>> = true;

template <class T> inline constexpr bool is_expression_v = is_symbol_v<T> || is_constant_v<T>;
template <> inline constexpr bool is_expression_v<number> = true;
template <class Tag, class... Children>
inline constexpr bool is_expression_v<node<Tag, Children...>> = (is_expression_v<Children> && ...);

/// A ctgrad expression: a symbol, a constant, a runtime number, or a node over expressions.
template <class T>
concept expression = is_expression_v<std::remove_cvref_t<T>>;

/// Something an operator accepts beside an expression: a plain number becomes a `number`.
template <class T>
concept operand = expression<T> || std::is_arithmetic_v<std::remove_cvref_t<T>>;

namespace detail {
template <class E> inline constexpr bool is_vector_impl_v = false;
template <fixed_string Name, symbol_kind Kind>
inline constexpr bool is_vector_impl_v<symbol<Name, Kind>> = symbol<Name, Kind>::is_vector;
template <class Tag, class... Children>
inline constexpr bool is_vector_impl_v<node<Tag, Children...>> = !Tag::is_reduction && (is_vector_impl_v<Children> || ...);

template <class E> inline constexpr bool is_condition_impl_v = false;
template <class Tag, class... Children>
inline constexpr bool is_condition_impl_v<node<Tag, Children...>> = Tag::is_comparison;
} // namespace detail

/// A vector expression has one value per element of a run-time length; reductions
/// (dot, sum) are the only way back to a scalar.
template <class E> inline constexpr bool is_vector_v = detail::is_vector_impl_v<std::remove_cvref_t<E>>;

/// A comparison: a condition that only select(cond, a, b) consumes.
template <class E> inline constexpr bool is_condition_v = detail::is_condition_impl_v<std::remove_cvref_t<E>>;

// ---- dependence on a symbol (types are identities, so this is a type search) ----
template <class E, class S> inline constexpr bool depends_on_v = std::is_same_v<E, S>;
template <class Tag, class... Children, class S>
inline constexpr bool depends_on_v<node<Tag, Children...>, S> = (depends_on_v<Children, S> || ...);

/// True when no leaf holds a runtime number: then two expressions of the same type are the
/// same expression, which is what lets the simplifier merge `a - a` and CSE share work.
template <class E> inline constexpr bool is_stateless_v = std::is_empty_v<E>;
template <> inline constexpr bool is_stateless_v<number> = false;
template <class Tag, class... Children>
inline constexpr bool is_stateless_v<node<Tag, Children...>> = (is_stateless_v<Children> && ...);

template <class A, class B>
inline constexpr bool same_stateless_v = std::is_same_v<A, B> && is_stateless_v<A>;

namespace detail {
template <class T> inline constexpr bool dependent_false_v = false;
}

} // namespace ctgrad

#endif // CTGRAD_CORE_TRAITS_HPP
