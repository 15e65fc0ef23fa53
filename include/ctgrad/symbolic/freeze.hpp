// ctgrad/symbolic/freeze.hpp: the chain rule through scalar subtrees of a reduction's body.
//
// A reduction R = sum_j f_j by a vector symbol w is differentiated element by element: the
// body is element-wise, so dR/dw[i] only needs df_i/dw[i]. That is exact unless the body
// also depends on w through a scalar subtree s (a nested reduction such as the dot in
// dot((dot(x, w) + b - y) * x, v)): every f_j then depends on every w[i] through s. Then
//   dR/dw = (dR/dw with every such s held fixed) + sum_k (dR/ds_k) * ds_k/dw,
// where dR/ds_k is again a reduction (of df_j/ds_k) and ds_k/dw a scalar's derivative by w.
//
// To hold s_k fixed, the body is rewritten with s_k replaced by a private leaf frozen<K>;
// both derivatives are taken of that rewritten reduction, and the leaves are replaced by
// the subtrees again ("thawed") through the simplifying constructors, so the result is in
// the same canonical form as any other derivative.
//
// Subtrees are numbered in tree order. Two stateless subtrees of one type are one subtree
// (one leaf, one chain term); stateful ones (holding runtime numbers, as in 0.5 * dot(x, w))
// get one leaf per occurrence, because two of one type may hold different values.
#ifndef CTGRAD_SYMBOLIC_FREEZE_HPP
#define CTGRAD_SYMBOLIC_FREEZE_HPP

#include "ctgrad/symbolic/simplify.hpp"

#include <array>
#include <cstddef>
#include <string>
#include <tuple>
#include <utility>

namespace ctgrad::detail {

/// The K-th scalar subtree of a reduction's body, held fixed. It never leaves the
/// derivative rules (it is thawed before they return); printed() is for diagnostics.
template <std::size_t K>
struct frozen {
    static std::string printed() { return "frozen" + std::to_string(K); }
};

template <class E> inline constexpr bool is_frozen_v = false;
template <std::size_t K> inline constexpr bool is_frozen_v<frozen<K>> = true;

template <class E> inline constexpr std::size_t frozen_index_v = 0;
template <std::size_t K> inline constexpr std::size_t frozen_index_v<frozen<K>> = K;

template <class E> inline constexpr bool has_frozen_v = false;
template <std::size_t K> inline constexpr bool has_frozen_v<frozen<K>> = true;
template <class Tag, class... Children>
inline constexpr bool has_frozen_v<node<Tag, Children...>> = (has_frozen_v<Children> || ...);

/// In a vector body: a subtree to freeze (a scalar that depends on S), or a vector node
/// that may hold one. Conditions are neither: select differentiates its branches only.
template <class E, class S>
inline constexpr bool is_freezable_v = !is_condition_v<E> && !is_vector_v<E> && depends_on_v<E, S>;
template <class E, class S>
inline constexpr bool may_hold_freezable_v = is_node_v<E> && !is_condition_v<E> && is_vector_v<E> && depends_on_v<E, S>;

template <class R, class S>
constexpr auto gather_under(const R& r, const S& s);

/// The subtrees to freeze in E (a vector expression, or a child of one), in tree order.
template <class E, class S>
constexpr auto gather_frozen(const E& e, const S& s) {
    if constexpr (is_freezable_v<E, S>) return std::tuple<E>{e};
    else if constexpr (may_hold_freezable_v<E, S>) return gather_under(e, s);
    else return std::tuple<>{};
}

/// The subtrees to freeze under a node: a reduction (its children are the vector body), or
/// a vector node of the body.
template <class R, class S>
constexpr auto gather_under(const R& r, const S& s) {
    return std::apply([&](const auto&... cs) { return std::tuple_cat(gather_frozen(cs, s)...); }, r.m_children);
}

template <class R, class S>
using frozen_tuple_t = decltype(gather_under(std::declval<const R&>(), std::declval<const S&>()));

/// How many subtrees gather_frozen finds in E. A variable template rather than the size of
/// frozen_tuple_t: every reduction derived by a vector asks, and instantiating the gathering
/// functions for every one of them cost g++ a good part of the finite-difference law's compile
/// time (docs/performance.md, Compile time).
template <class E, class S>
inline constexpr std::size_t frozen_count_v = is_freezable_v<E, S> ? 1 : 0;
template <class Tag, class... Children, class S>
inline constexpr std::size_t frozen_count_v<node<Tag, Children...>, S> =
    is_freezable_v<node<Tag, Children...>, S>         ? 1
    : may_hold_freezable_v<node<Tag, Children...>, S> ? (frozen_count_v<Children, S> + ... + 0)
                                                      : 0;

/// Whether a reduction R needs the chain rule through scalar subtrees to be differentiated by S.
template <class R, class S> inline constexpr bool needs_freezing_v = false;
template <class Tag, class... Children, class S>
inline constexpr bool needs_freezing_v<node<Tag, Children...>, S> = ((frozen_count_v<Children, S> + ... + 0) > 0);

/// The leaf standing for subtree I of Subtrees: the first of its type when stateless.
template <class Subtrees, std::size_t I>
constexpr std::size_t frozen_key() {
    using T = std::tuple_element_t<I, Subtrees>;
    if constexpr (!is_stateless_v<T>) {
        return I;
    } else {
        return []<std::size_t... J>(std::index_sequence<J...>) {
            constexpr bool same[] = {std::is_same_v<std::tuple_element_t<J, Subtrees>, T>...};
            std::size_t first = 0;
            while (!same[first]) ++first;
            return first;
        }(std::make_index_sequence<I + 1>{});
    }
}

template <std::size_t First, class Subtrees, class E, class S>
constexpr auto freeze(const E& e, const S& s);

/// The node e with the subtrees under its children frozen, numbered from First on.
/// Built with make_node, not the simplifier: only derivatives of it are kept.
template <std::size_t First, class Subtrees, class E, class S>
constexpr auto freeze_children(const E& e, const S& s) {
    return std::apply([&]<class... Cs>(const Cs&... cs) {
        constexpr auto starts = [] {
            std::array<std::size_t, sizeof...(Cs)> at{};
            std::size_t next = First, i = 0;
            ((at[i++] = next, next += frozen_count_v<Cs, S>), ...);
            return at;
        }();
        return [&]<std::size_t... I>(std::index_sequence<I...>) {
            return make_node<typename E::tag>(freeze<starts[I], Subtrees>(cs, s)...);
        }(std::index_sequence_for<Cs...>{});
    }, e.m_children);
}

/// E (a vector expression, or a child of one) with subtree First, and those after it in
/// tree order, replaced by their frozen leaves.
template <std::size_t First, class Subtrees, class E, class S>
constexpr auto freeze(const E& e, const S& s) {
    if constexpr (is_freezable_v<E, S>) return frozen<frozen_key<Subtrees, First>()>{};
    else if constexpr (may_hold_freezable_v<E, S>) return freeze_children<First, Subtrees>(e, s);
    else return e;
}

/// A node of tag Tag over the given children, through the simplifying constructors: one
/// overload per constructor, and make_unary for every function of one argument.
template <class Tag, class A> constexpr auto rebuild(Tag, const A& a) { return make_unary<Tag>(a); }
template <class A, class B> constexpr auto rebuild(add_tag, const A& a, const B& b) { return make_add(a, b); }
template <class A, class B> constexpr auto rebuild(sub_tag, const A& a, const B& b) { return make_sub(a, b); }
template <class A, class B> constexpr auto rebuild(mul_tag, const A& a, const B& b) { return make_mul(a, b); }
template <class A, class B> constexpr auto rebuild(div_tag, const A& a, const B& b) { return make_div(a, b); }
template <class A> constexpr auto rebuild(neg_tag, const A& a) { return make_neg(a); }
template <class A> constexpr auto rebuild(square_tag, const A& a) { return make_square(a); }
template <int N, class A> constexpr auto rebuild(pow_tag<N>, const A& a) { return make_pow<N>(a); }
template <class A, class B> constexpr auto rebuild(min_tag, const A& a, const B& b) { return make_extremum<min_tag>(a, b); }
template <class A, class B> constexpr auto rebuild(max_tag, const A& a, const B& b) { return make_extremum<max_tag>(a, b); }
template <class A, class B> constexpr auto rebuild(real_pow_tag, const A& a, const B& b) { return make_real_pow(a, b); }
template <class Tag, class A, class B> requires Tag::is_comparison
constexpr auto rebuild(Tag, const A& a, const B& b) { return make_comparison<Tag>(a, b); }
template <class C, class A, class B>
constexpr auto rebuild(select_tag, const C& c, const A& a, const B& b) { return make_select(c, a, b); }
template <class A, class B> constexpr auto rebuild(dot_tag, const A& a, const B& b) { return make_dot(a, b); }
template <class A> constexpr auto rebuild(sum_tag, const A& a) { return make_sum(a); }
template <class A> constexpr auto rebuild(size_tag, const A& a) { return make_size(a); }

/// e with every frozen<K> replaced by std::get<K>(subtrees), simplified on the way up.
template <class E, class Subtrees>
constexpr auto thaw(const E& e, const Subtrees& subtrees) {
    if constexpr (!has_frozen_v<E>) return e;
    else if constexpr (is_frozen_v<E>) return std::get<frozen_index_v<E>>(subtrees);
    else return std::apply([&](const auto&... cs) { return rebuild(typename E::tag{}, thaw(cs, subtrees)...); }, e.m_children);
}

} // namespace ctgrad::detail

#endif // CTGRAD_SYMBOLIC_FREEZE_HPP
