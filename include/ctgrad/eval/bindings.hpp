// ctgrad/eval/bindings.hpp: finding a symbol's value among the `symbol = value` bindings
// of one eval() call, and the number type the call computes in.
#ifndef CTGRAD_EVAL_BINDINGS_HPP
#define CTGRAD_EVAL_BINDINGS_HPP

#include "ctgrad/core/traits.hpp"

#include <cstddef>
#include <iterator>
#include <tuple>
#include <utility>
#include <type_traits>

namespace ctgrad {

template <class T> inline constexpr bool is_binding_v = false;
template <class S, class V> inline constexpr bool is_binding_v<binding<S, V>> = true;

/// What `symbol = value` makes.
template <class T>
concept symbol_binding = is_binding_v<std::remove_cvref_t<T>>;

namespace detail {

/// The number type a bound value holds: the value's own type, or a range's element type.
template <class V>
struct bound_number {
    using type = std::remove_cvref_t<decltype(*std::data(std::declval<const V&>()))>;
};
template <class V>
    requires std::is_arithmetic_v<V>
struct bound_number<V> {
    using type = V;
};
template <class Binding>
using bound_number_t = typename bound_number<std::remove_cvref_t<decltype(std::declval<Binding>().m_value)>>::type;

template <class N>
inline constexpr bool is_wider_than_float_v = std::is_floating_point_v<N> && !std::is_same_v<N, float>;

/// float when some bound number is float and none is double; otherwise double (integers
/// count as neither, so `a = 1` does not force a type).
template <class... Bindings>
using computation_t =
    std::conditional_t<(std::is_same_v<bound_number_t<Bindings>, float> || ...) &&
                           !(is_wider_than_float_v<bound_number_t<Bindings>> || ...),
                       float, double>;

template <class S, class... Bindings>
constexpr std::size_t count_bindings_v = (std::size_t{std::is_same_v<typename Bindings::symbol_type, S>} + ... + 0);

template <class S, class... Bindings>
constexpr std::size_t binding_index() {
    constexpr bool matches[] = {std::is_same_v<typename Bindings::symbol_type, S>..., false};
    std::size_t i = 0;
    while (!matches[i]) ++i;
    return i;
}

/// Instantiated only when a symbol has no binding. Its name is spelled out as characters,
/// which both g++ and clang print legibly: no_binding_for_symbol<'b', 'e', 'e'>.
template <char... Name>
struct no_binding_for_symbol {
    static_assert(sizeof...(Name) == 0,
                  "ctgrad::eval: the expression contains a symbol with no binding; pass it as `symbol = value` "
                  "(its name is spelled in the template arguments of no_binding_for_symbol)");
};

template <class S, std::size_t... I>
constexpr void report_missing_binding(std::index_sequence<I...>) {
    [[maybe_unused]] no_binding_for_symbol<S::name.m_chars[I]...> error;
}

/// The binding of S among bindings (a compile error naming S when there is none).
template <class S, class... Bindings>
constexpr const auto& find_binding(const std::tuple<const Bindings&...>& bindings) {
    static_assert(count_bindings_v<S, Bindings...> <= 1, "ctgrad::eval: a symbol is bound twice");
    if constexpr (count_bindings_v<S, Bindings...> == 0) {
        report_missing_binding<S>(std::make_index_sequence<S::name.view().size()>{});
        return std::get<0>(bindings);
    } else {
        return std::get<binding_index<S, Bindings...>()>(bindings);
    }
}

} // namespace detail

} // namespace ctgrad

#endif // CTGRAD_EVAL_BINDINGS_HPP
