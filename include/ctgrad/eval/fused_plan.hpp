// ctgrad/eval/fused_plan.hpp: what the fused kernel computes, decided at compile time.
//
// The plan is a list of the distinct scalar subexpressions of the loss and its partials,
// children before parents. Types are identities (runtime numbers are slots by now), so a
// subexpression shared by the loss and a partial, such as the residual dot(x, w) + b - y,
// is one entry: computed once per block of examples (common-subexpression elimination).
// Entries that depend on no input (a penalty sum(square(w)), a prior on a scale) are
// "hoisted": computed once per call instead of once per example.
// Vector subexpressions and conditions are not entries: they are computed inline, element
// by element, inside the reductions and the vector partials that use them.
#ifndef CTGRAD_EVAL_FUSED_PLAN_HPP
#define CTGRAD_EVAL_FUSED_PLAN_HPP

#include "ctgrad/detail/type_list.hpp"
#include "ctgrad/eval/number_slots.hpp"

namespace ctgrad::detail {

template <class E> inline constexpr bool depends_on_input_v = false;
template <fixed_string Name, symbol_kind Kind>
inline constexpr bool depends_on_input_v<symbol<Name, Kind>> = !symbol<Name, Kind>::is_param;
template <class Tag, class... Children>
inline constexpr bool depends_on_input_v<node<Tag, Children...>> = (depends_on_input_v<Children> || ...);

// ---- the list of scalar subexpressions, children first ----
template <class List, class... Es> struct collect_scalars;
template <class List> struct collect_scalars<List> { using type = List; };
template <class List, class E, class... Rest>
struct collect_scalars<List, E, Rest...> {
    using type = typename collect_scalars<List, Rest...>::type; // leaves add nothing
};
template <class List, class Tag, class... Children, class... Rest>
struct collect_scalars<List, node<Tag, Children...>, Rest...> {
    using with_children = typename collect_scalars<List, Children...>::type;
    using E = node<Tag, Children...>;
    using with_self = std::conditional_t<is_vector_v<E> || is_condition_v<E>, with_children,
                                         push_unique_t<with_children, E>>;
    using type = typename collect_scalars<with_self, Rest...>::type;
};

/// The plan's entries for the roots (a loss and its partials), children before parents.
template <class... Roots>
using plan_entries_t = typename collect_scalars<type_list<>, Roots...>::type;

// ---- the vector leaves under an expression, for length checks ----
template <class List, class... Es> struct collect_vector_leaves;
template <class List> struct collect_vector_leaves<List> { using type = List; };
template <class List, class E, class... Rest>
struct collect_vector_leaves<List, E, Rest...> {
    using with_self = std::conditional_t<is_symbol_v<E> && is_vector_v<E>, push_unique_t<List, E>, List>;
    using type = typename collect_vector_leaves<with_self, Rest...>::type;
};
template <class List, class Tag, class... Children, class... Rest>
struct collect_vector_leaves<List, node<Tag, Children...>, Rest...> {
    // A reduction below this point has its own length; only element-wise paths count.
    using below = std::conditional_t<Tag::is_reduction, List, typename collect_vector_leaves<List, Children...>::type>;
    using type = typename collect_vector_leaves<below, Rest...>::type;
};

/// The vector symbols whose elements an element-wise evaluation of E (a reduction's body,
/// or a vector partial) reads: they must all have one length.
template <class E>
using element_leaves_t = typename collect_vector_leaves<type_list<>, E>::type;

/// The vector symbols a reduction's body reads, element by element.
template <class E> struct reduction_leaves { using type = type_list<>; };
template <class Tag, class... Children>
struct reduction_leaves<node<Tag, Children...>> {
    using type = typename collect_vector_leaves<type_list<>, Children...>::type;
};
template <class E> using reduction_leaves_t = typename reduction_leaves<E>::type;

/// The symbols under the given expressions that Keep<S>::value selects, each once, in order
/// of first appearance.
template <template <class> class Keep, class List, class... Es> struct collect_symbols;
template <template <class> class Keep, class List> struct collect_symbols<Keep, List> { using type = List; };
template <template <class> class Keep, class List, class E, class... Rest>
struct collect_symbols<Keep, List, E, Rest...> {
    static constexpr bool keep = [] {
        if constexpr (is_symbol_v<E>) return Keep<E>::value;
        else return false; // constants and slots
    }();
    using type = typename collect_symbols<Keep, std::conditional_t<keep, push_unique_t<List, E>, List>, Rest...>::type;
};
template <template <class> class Keep, class List, class Tag, class... Children, class... Rest>
struct collect_symbols<Keep, List, node<Tag, Children...>, Rest...> {
    using type = typename collect_symbols<Keep, typename collect_symbols<Keep, List, Children...>::type, Rest...>::type;
};

template <class S> struct is_param_symbol : std::bool_constant<S::is_param> {};
template <class S> struct is_input_symbol : std::bool_constant<!S::is_param> {};

/// The param and param_vec symbols under E, each once.
template <class E> using params_of_t = typename collect_symbols<is_param_symbol, type_list<>, E>::type;
/// The input and input_vec symbols under E, each once.
template <class E> using inputs_of_t = typename collect_symbols<is_input_symbol, type_list<>, E>::type;

} // namespace ctgrad::detail

#endif // CTGRAD_EVAL_FUSED_PLAN_HPP
