// ctgrad/eval/number_slots.hpp: runtime numbers turned into indexed leaves.
//
// The fused kernel shares work between the loss and its partials by type: two
// subexpressions of one type are computed once. A `number` leaf breaks that (two of one
// type may hold different values), so before deriving, the kernel replaces the I-th number
// of the loss by number_slot<I> and keeps the values in an array. Every partial is then
// derived from the slotted loss, so equal types really are equal values.
#ifndef CTGRAD_EVAL_NUMBER_SLOTS_HPP
#define CTGRAD_EVAL_NUMBER_SLOTS_HPP

#include "ctgrad/core/traits.hpp"

#include <algorithm>
#include <array>
#include <cstddef>
#include <string>

namespace ctgrad {

namespace detail {
/// The I-th runtime number of an expression; its value is in the kernel's slot array.
template <std::size_t I>
struct number_slot {
    static std::string printed() { return "number" + std::to_string(I); }
};
} // namespace detail

template <std::size_t I> inline constexpr bool is_expression_v<detail::number_slot<I>> = true;

namespace detail {

template <class E> inline constexpr std::size_t number_count_v = 0;
template <> inline constexpr std::size_t number_count_v<number> = 1;
template <class Tag, class... Children>
inline constexpr std::size_t number_count_v<node<Tag, Children...>> = (number_count_v<Children> + ... + 0);

/// Where each child's numbers start when the node's numbers start at First.
template <std::size_t First, class... Children>
constexpr std::array<std::size_t, sizeof...(Children)> child_slot_starts() {
    std::array<std::size_t, sizeof...(Children)> starts{};
    std::size_t at = First;
    std::size_t i = 0;
    ((starts[i++] = at, at += number_count_v<Children>), ...);
    return starts;
}

/// e with its numbers, in left-to-right order from First on, replaced by slots; their
/// values written to values[First...].
template <std::size_t First, class E, std::size_t N>
constexpr auto to_slots(const E& e, std::array<double, N>& values) {
    if constexpr (std::is_same_v<E, number>) {
        values[First] = e.m_value;
        return number_slot<First>{};
    } else if constexpr (is_node_v<E>) {
        return std::apply(
            [&]<class... Children>(const Children&... children) {
                constexpr auto starts = child_slot_starts<First, Children...>();
                return [&]<std::size_t... I>(std::index_sequence<I...>) {
                    return make_node<typename E::tag>(to_slots<starts[I]>(children, values)...);
                }(std::index_sequence_for<Children...>{});
            },
            e.m_children);
    } else {
        return e;
    }
}

/// An expression with its runtime numbers in slots, and those numbers.
template <class E, class T>
struct slotted_expression {
    static constexpr std::size_t count = number_count_v<E>;
    std::array<double, count> m_numbers{};
    decltype(to_slots<0>(std::declval<const E&>(), std::declval<std::array<double, count>&>())) m_expression;

    explicit slotted_expression(const E& e) : m_expression(to_slots<0>(e, m_numbers)) {}

    std::array<T, count> numbers() const {
        std::array<T, count> out{};
        std::transform(m_numbers.begin(), m_numbers.end(), out.begin(), [](double v) { return static_cast<T>(v); });
        return out;
    }
};

} // namespace detail

} // namespace ctgrad

#endif // CTGRAD_EVAL_NUMBER_SLOTS_HPP
