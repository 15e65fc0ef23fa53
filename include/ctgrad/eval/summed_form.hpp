// ctgrad/eval/summed_form.hpp: the form in which value_and_grad sums the loss and each
// partial over the examples, decided at compile time.
//
// value_and_grad computes the mean over the batch of the loss and of each partial. Three
// rewrites of those (already slotted) expressions make that sum cheaper without changing
// what it is (the results differ from the written expressions by rounding only, a few ulp):
//
// 1. Additive terms that depend on no input are not summed: mean(d_i + g) = mean(d_i) + g,
//    and g is evaluated once per call. The prior of a regression, -sum(square(w)) / (2 m),
//    has the partial -w / m; left in the partial by w it would be computed for every
//    feature of every example. split_by_input_t<E> is E = per_example + once.
//
// 2. A factor that depends on no input is taken out of the sum: mean(h * d_i) = h * mean(d_i).
//    The likelihood -square(r) / (2 square(sigma)) then sums square(r) alone, as does its
//    partial by sigma, square(r) * sigma / square(square(sigma)): one entry per example for
//    both, where each had its own products and a division. hoisted_factor_t<E> is
//    E = coefficient * rest.
//
// 3. In what remains per example, work is moved from elements to examples and from examples
//    to the call: a vector term's scalar factors are gathered into one coefficient,
//    (r * x) / a becomes (r / a) * x, so the kernel computes r / a once per example (a plan
//    entry, shared with any partial that has it) rather than per feature; and dividing by
//    something that depends on no input becomes multiplying by its reciprocal, computed once
//    per call (a SIMD division costs several multiplications). per_example_form_t<E>.
//
// summed_form<E> puts them together: mean(E) = coefficient * mean(per_example) + once.
// All work on types alone: the expressions are stateless (their runtime numbers are slots).
#ifndef CTGRAD_EVAL_SUMMED_FORM_HPP
#define CTGRAD_EVAL_SUMMED_FORM_HPP

#include "ctgrad/eval/fused_plan.hpp"
#include "ctgrad/symbolic/simplify.hpp"

#include <tuple>
#include <type_traits>
#include <utility>

namespace ctgrad::detail {

/// E = PerExample + Once: every additive term of PerExample depends on an input, no part of
/// Once does. Either may be zero_t.
template <class PerExample, class Once>
struct input_split {
    using per_example = PerExample;
    using once = Once;
};

/// Whether a term that depends on no input is worth taking out of the sum over examples:
/// a computed one (sum(square(w)), b / m) or a vector (per element, even a leaf costs an
/// operation for every feature of every example). A scalar leaf stays: adding it costs one
/// operation per example, and taking the b out of y - dot(x, w) - b would make the residual
/// a different subexpression from the one the loss and the other partials share.
template <class E>
inline constexpr bool worth_taking_out_v = !depends_on_input_v<E> && (is_node_v<E> || is_vector_v<E>);

/// split_by_input_t<E>: E as input_split<per example, once>.
template <class E>
struct split_by_input {
    static_assert(is_stateless_v<E>, "ctgrad internal: split_by_input takes a slotted expression");
    using type = std::conditional_t<worth_taking_out_v<E>, input_split<zero_t, E>, input_split<E, zero_t>>;
};
template <class E> using split_by_input_t = typename split_by_input<E>::type;

namespace summed_form_impl {

template <class E> inline constexpr bool has_once_v = !std::is_same_v<typename split_by_input_t<E>::once, zero_t>;

/// The split of E = Tag(A, B) (or Tag(A)) when A or B has a part to take out; Build(a, b)
/// rebuilds a node of E's kind from parts.
template <class E, bool TakeOut, class Build, class... Parts>
struct split_node {
    using type = std::conditional_t<worth_taking_out_v<E>, input_split<zero_t, E>, input_split<E, zero_t>>;
};
template <class E, class Build, class... Parts>
struct split_node<E, true, Build, Parts...> {
    using type = input_split<decltype(Build{}(typename Parts::per_example{}...)), decltype(Build{}(typename Parts::once{}...))>;
};

struct build_add { template <class A, class B> constexpr auto operator()(A a, B b) const { return make_add(a, b); } };
struct build_sub { template <class A, class B> constexpr auto operator()(A a, B b) const { return make_sub(a, b); } };
struct build_neg { template <class A> constexpr auto operator()(A a) const { return make_neg(a); } };
/// h * part, h / part... with the factor H that depends on no input kept as it is.
template <class H> struct build_mul_left { template <class A> constexpr auto operator()(A a) const { return make_mul(H{}, a); } };
template <class H> struct build_mul_right { template <class A> constexpr auto operator()(A a) const { return make_mul(a, H{}); } };
template <class H> struct build_div_by { template <class A> constexpr auto operator()(A a) const { return make_div(a, H{}); } };

} // namespace summed_form_impl

// a + b and a - b: the parts of each side. When neither side has a part to take out, E is
// kept exactly as written.
template <class A, class B>
struct split_by_input<node<add_tag, A, B>>
    : summed_form_impl::split_node<node<add_tag, A, B>, depends_on_input_v<node<add_tag, A, B>> &&
                                       (summed_form_impl::has_once_v<A> || summed_form_impl::has_once_v<B>),
                                   summed_form_impl::build_add, split_by_input_t<A>, split_by_input_t<B>> {};
template <class A, class B>
struct split_by_input<node<sub_tag, A, B>>
    : summed_form_impl::split_node<node<sub_tag, A, B>, depends_on_input_v<node<sub_tag, A, B>> &&
                                       (summed_form_impl::has_once_v<A> || summed_form_impl::has_once_v<B>),
                                   summed_form_impl::build_sub, split_by_input_t<A>, split_by_input_t<B>> {};
template <class A>
struct split_by_input<node<neg_tag, A>>
    : summed_form_impl::split_node<node<neg_tag, A>, depends_on_input_v<A> && summed_form_impl::has_once_v<A>, summed_form_impl::build_neg,
                                   split_by_input_t<A>> {};
// h * (d + g) = h * d + h * g, and (d + g) / h = d / h + g / h, for h free of inputs.
template <class A, class B>
struct split_by_input<node<mul_tag, A, B>>
    : std::conditional_t<
          !depends_on_input_v<A>,
          summed_form_impl::split_node<node<mul_tag, A, B>, depends_on_input_v<B> && summed_form_impl::has_once_v<B>,
                                       summed_form_impl::build_mul_left<A>, split_by_input_t<B>>,
          summed_form_impl::split_node<node<mul_tag, A, B>, !depends_on_input_v<B> && summed_form_impl::has_once_v<A>,
                                       summed_form_impl::build_mul_right<B>, split_by_input_t<A>>> {};
template <class A, class B>
struct split_by_input<node<div_tag, A, B>>
    : summed_form_impl::split_node<node<div_tag, A, B>,
                                   depends_on_input_v<A> && !depends_on_input_v<B> && summed_form_impl::has_once_v<A>,
                                   summed_form_impl::build_div_by<B>, split_by_input_t<A>> {};

template <class E> struct per_example_form;
/// E rewritten for summing over examples (rewrite 3 above); E itself when nothing applies.
template <class E> using per_example_form_t = typename per_example_form<E>::type;

namespace summed_form_impl {

template <class E> using child0_t = std::remove_cvref_t<decltype(child<0>(std::declval<const E&>()))>;
template <class E> using child1_t = std::remove_cvref_t<decltype(child<1>(std::declval<const E&>()))>;

/// A vector expression seen as Coefficient * Body, Coefficient a scalar (one_t when there
/// is none to take out).
template <class Coefficient, class Body>
struct factored {
    using coefficient = Coefficient;
    using body = Body;
};

template <class E>
constexpr auto factor() {
    if constexpr (is_node_of_v<E, mul_tag> || is_node_of_v<E, div_tag> || is_node_of_v<E, neg_tag>) {
        using A = child0_t<E>;
        if constexpr (is_node_of_v<E, neg_tag>) {
            using FA = decltype(factor<A>());
            return factored<decltype(make_neg(typename FA::coefficient{})), typename FA::body>{};
        } else {
            using B = child1_t<E>;
            if constexpr (is_node_of_v<E, div_tag>) {
                if constexpr (is_vector_v<B>) {
                    return factored<one_t, E>{};
                } else {
                    using FA = decltype(factor<A>());
                    return factored<decltype(make_div(typename FA::coefficient{}, B{})), typename FA::body>{};
                }
            } else if constexpr (!is_vector_v<A>) {
                using FB = decltype(factor<B>());
                return factored<decltype(make_mul(A{}, typename FB::coefficient{})), typename FB::body>{};
            } else if constexpr (!is_vector_v<B>) {
                using FA = decltype(factor<A>());
                return factored<decltype(make_mul(typename FA::coefficient{}, B{})), typename FA::body>{};
            } else {
                using FA = decltype(factor<A>());
                using FB = decltype(factor<B>());
                return factored<decltype(make_mul(typename FA::coefficient{}, typename FB::coefficient{})),
                                decltype(make_mul(typename FA::body{}, typename FB::body{}))>{};
            }
        }
    } else {
        return factored<one_t, E>{};
    }
}

/// A vector term with its scalar factors gathered in front. The product is built as a plain
/// node, not by make_mul, which would move a constant factor out in front again and so cost
/// a second multiplication per element.
template <class E>
constexpr auto gather_scalar_factors() {
    if constexpr (!is_vector_v<E> || !is_node_v<E>) {
        return E{};
    } else if constexpr (is_node_of_v<E, add_tag> || is_node_of_v<E, sub_tag>) {
        return make_node<typename E::tag>(gather_scalar_factors<child0_t<E>>(), gather_scalar_factors<child1_t<E>>());
    } else {
        using F = decltype(factor<E>());
        if constexpr (std::is_same_v<typename F::coefficient, one_t>) return typename F::body{};
        else if constexpr (std::is_same_v<typename F::coefficient, constant<-1, 1>>) return make_node<neg_tag>(typename F::body{});
        else return make_node<mul_tag>(typename F::coefficient{}, typename F::body{});
    }
}

template <class E> inline constexpr bool divides_by_hoisted_v = false;
template <class A, class B> inline constexpr bool divides_by_hoisted_v<node<div_tag, A, B>> = !depends_on_input_v<B>;

/// E with every division by something that depends on no input turned into a
/// multiplication by its reciprocal (a hoisted plan entry, or a folded constant).
template <class E>
constexpr auto reciprocal_divisors() {
    if constexpr (!is_node_v<E> || !depends_on_input_v<E> || is_condition_v<E>) {
        return E{}; // a condition keeps its exact arithmetic: rounding could flip its branch
    } else if constexpr (divides_by_hoisted_v<E>) {
        return make_mul(reciprocal_divisors<child0_t<E>>(), make_div(one_t{}, child1_t<E>{}));
    } else {
        return std::apply([]<class... Cs>(const Cs&...) { return make_node<typename E::tag>(reciprocal_divisors<Cs>()...); },
                          E{}.m_children);
    }
}

} // namespace summed_form_impl

template <class E> struct per_example_form {
    using type = decltype(summed_form_impl::reciprocal_divisors<decltype(summed_form_impl::gather_scalar_factors<E>())>());
};

/// E = Coefficient * Rest, with Coefficient a scalar that depends on no input (one_t when E
/// has no such factor).
template <class Coefficient, class Rest>
struct hoisted_factor {
    using coefficient = Coefficient;
    using rest = Rest;
};

namespace summed_form_impl {

template <class E> inline constexpr bool is_hoistable_factor_v = !depends_on_input_v<E> && !is_vector_v<E>;

template <class E>
constexpr auto hoist_factor() {
    if constexpr (is_hoistable_factor_v<E>) {
        return hoisted_factor<E, one_t>{};
    } else if constexpr (is_node_of_v<E, neg_tag>) {
        using FA = decltype(hoist_factor<child0_t<E>>());
        return hoisted_factor<decltype(make_neg(typename FA::coefficient{})), typename FA::rest>{};
    } else if constexpr (is_node_of_v<E, mul_tag> || is_node_of_v<E, div_tag>) {
        using FA = decltype(hoist_factor<child0_t<E>>());
        using FB = decltype(hoist_factor<child1_t<E>>());
        if constexpr (std::is_same_v<typename FA::coefficient, one_t> && std::is_same_v<typename FB::coefficient, one_t>) {
            return hoisted_factor<one_t, E>{}; // nothing to take out: keep E as written
        } else if constexpr (is_node_of_v<E, mul_tag>) {
            return hoisted_factor<decltype(make_mul(typename FA::coefficient{}, typename FB::coefficient{})),
                                  decltype(make_mul(typename FA::rest{}, typename FB::rest{}))>{};
        } else {
            return hoisted_factor<decltype(make_div(typename FA::coefficient{}, typename FB::coefficient{})),
                                  decltype(make_div(typename FA::rest{}, typename FB::rest{}))>{};
        }
    } else {
        return hoisted_factor<one_t, E>{};
    }
}

} // namespace summed_form_impl

/// hoisted_factor_t<E>: E as hoisted_factor<coefficient, rest>; E a per-example part.
template <class E> using hoisted_factor_t = decltype(summed_form_impl::hoist_factor<E>());

/// mean(E) over a batch = coefficient * mean(per_example) + once, where per_example is all
/// the kernel computes per example, and coefficient and once depend on no input.
template <class E>
struct summed_form {
    using split = split_by_input_t<E>;
    // Nothing per example (the partial depends on no input): nothing to sum, not a sum of 0 * 1.
    using factored = std::conditional_t<std::is_same_v<typename split::per_example, zero_t>, hoisted_factor<one_t, zero_t>,
                                        hoisted_factor_t<typename split::per_example>>;
    using per_example = per_example_form_t<typename factored::rest>;
    using coefficient = typename factored::coefficient;
    using once = typename split::once;
};

} // namespace ctgrad::detail

#endif // CTGRAD_EVAL_SUMMED_FORM_HPP
