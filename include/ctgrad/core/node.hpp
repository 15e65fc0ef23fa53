// ctgrad/core/node.hpp: the one interior node template. An expression is a tree of
// node<op_tag, Children...> over leaves (symbols, constants, numbers).
#ifndef CTGRAD_CORE_NODE_HPP
#define CTGRAD_CORE_NODE_HPP

#include "ctgrad/core/op_tags.hpp"

#include <cstddef>
#include <tuple>
#include <type_traits>

namespace ctgrad {

/// An operation applied to child expressions. It is empty when its children are, so a
/// stateless expression is a value-less type that works in constexpr declarations.
template <class Tag, class... Children>
struct node {
    using tag = Tag;
    [[no_unique_address]] std::tuple<Children...> m_children;
};

template <class Tag, class... Children>
constexpr node<Tag, Children...> make_node(const Children&... children) {
    static_assert(detail::is_listed_op_v<Tag>, "ctgrad: an op missing from ctgrad::ops (core/op_tags.hpp), which the law tests "
                                              "iterate: list it there and give it a case in tests/laws/op_cases.hpp");
    return {std::tuple<Children...>{children...}};
}

/// The I-th child of a node.
template <std::size_t I, class Tag, class... Children>
constexpr const auto& child(const node<Tag, Children...>& n) noexcept {
    return std::get<I>(n.m_children);
}

template <class T> inline constexpr bool is_node_v = false;
template <class Tag, class... Children> inline constexpr bool is_node_v<node<Tag, Children...>> = true;

template <class E, class Tag> inline constexpr bool is_node_of_v = false;
template <class Tag, class... Children> inline constexpr bool is_node_of_v<node<Tag, Children...>, Tag> = true;

} // namespace ctgrad

#endif // CTGRAD_CORE_NODE_HPP
