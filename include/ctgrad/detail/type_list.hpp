// ctgrad/detail/type_list.hpp: a minimal list of types for compile-time planning (which
// subexpressions the fused kernel computes, in what order).
#ifndef CTGRAD_DETAIL_TYPE_LIST_HPP
#define CTGRAD_DETAIL_TYPE_LIST_HPP

#include <cstddef>
#include <tuple>
#include <type_traits>
#include <utility>

namespace ctgrad::detail {

template <class... Ts>
struct type_list {
    static constexpr std::size_t size = sizeof...(Ts);
};

template <class List, class T> inline constexpr bool list_contains_v = false;
template <class... Ts, class T>
inline constexpr bool list_contains_v<type_list<Ts...>, T> = (std::is_same_v<Ts, T> || ...);

/// The I-th type of List.
template <class List, std::size_t I> struct list_at;
template <class... Ts, std::size_t I> struct list_at<type_list<Ts...>, I> {
    using type = std::tuple_element_t<I, std::tuple<Ts...>>;
};
template <class List, std::size_t I> using list_at_t = typename list_at<List, I>::type;

/// The position of T in List (List::size when absent).
template <class List, class T> inline constexpr std::size_t list_index_v = 0;
template <class... Ts, class T>
inline constexpr std::size_t list_index_v<type_list<Ts...>, T> = [] {
    constexpr bool matches[] = {std::is_same_v<Ts, T>..., true};
    std::size_t i = 0;
    while (!matches[i]) ++i;
    return i;
}();

/// List with T appended unless it is already there.
template <class List, class T> struct push_unique;
template <class... Ts, class T>
struct push_unique<type_list<Ts...>, T> {
    using type = std::conditional_t<list_contains_v<type_list<Ts...>, T>, type_list<Ts...>, type_list<Ts..., T>>;
};
template <class List, class T> using push_unique_t = typename push_unique<List, T>::type;

/// Calls f(std::type_identity<T>{}, std::integral_constant<size_t, I>{}) for each T at index I.
template <class... Ts, class F>
constexpr void for_each_type(type_list<Ts...>, F&& f) {
    [&]<std::size_t... I>(std::index_sequence<I...>) {
        (f(std::type_identity<Ts>{}, std::integral_constant<std::size_t, I>{}), ...);
    }(std::index_sequence_for<Ts...>{});
}

} // namespace ctgrad::detail

#endif // CTGRAD_DETAIL_TYPE_LIST_HPP
