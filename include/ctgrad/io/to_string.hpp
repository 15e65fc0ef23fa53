// ctgrad/io/to_string.hpp: expressions printed as readable infix with the fewest
// parentheses that keep the meaning: (dot(x, w) + b - y) * x.
#ifndef CTGRAD_IO_TO_STRING_HPP
#define CTGRAD_IO_TO_STRING_HPP

#include "ctgrad/core/traits.hpp"

#include <charconv>
#include <ostream>
#include <string>

namespace ctgrad {

namespace detail {

/// How tightly e binds when printed (see ctgrad::precedence).
template <class E>
constexpr int printed_strength() {
    if constexpr (is_node_v<E>) return E::tag::binding_strength;
    else if constexpr (is_constant_v<E>) {
        if constexpr (E::denominator != 1) return precedence::multiplicative; // 1/2 reads as a division
        else if constexpr (E::numerator < 0) return precedence::unary;
        else return precedence::atom;
    } else return precedence::atom; // symbols; numbers get parentheses when negative (below)
}

inline void append_number(std::string& out, double value) {
    char buffer[32];
    const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
    const bool negative = value < 0;
    if (negative) out += '(';
    out.append(buffer, result.ptr);
    if (negative) out += ')';
}

template <class E> void append_expression(std::string& out, const E& e);

template <class E>
void append_wrapped(std::string& out, const E& e, bool parenthesize) {
    if (parenthesize) out += '(';
    append_expression(out, e);
    if (parenthesize) out += ')';
}

template <class E>
void append_expression(std::string& out, const E& e) {
    if constexpr (is_symbol_v<E>) {
        out += E::name.view();
    } else if constexpr (is_constant_v<E>) {
        out += std::to_string(E::numerator);
        if constexpr (E::denominator != 1) out += '/' + std::to_string(E::denominator);
    } else if constexpr (std::is_same_v<E, number>) {
        append_number(out, e.m_value);
    } else if constexpr (requires { E::printed(); }) {
        out += E::printed(); // leaves private to an evaluator
    } else {
        using tag = typename E::tag;
        constexpr int strength = tag::binding_strength;
        if constexpr (tag::form == notation::infix) {
            using lhs = std::remove_cvref_t<decltype(child<0>(e))>;
            using rhs = std::remove_cvref_t<decltype(child<1>(e))>;
            constexpr int left = printed_strength<lhs>();
            constexpr int right = printed_strength<rhs>();
            // a - (b - c) and a / (b * c) need their parentheses; a + (b + c) does not.
            constexpr bool wrap_right = right < strength ||
                                        (right == strength && tag::is_left_associative_only) ||
                                        (right == precedence::unary && strength != precedence::comparison);
            append_wrapped(out, child<0>(e), left < strength);
            out += ' ';
            out += tag::name;
            out += ' ';
            append_wrapped(out, child<1>(e), wrap_right);
        } else if constexpr (tag::form == notation::prefix) {
            using arg = std::remove_cvref_t<decltype(child<0>(e))>;
            out += tag::name;
            append_wrapped(out, child<0>(e), printed_strength<arg>() <= strength);
        } else {
            out += tag::name;
            out += '(';
            std::apply([&out](const auto&... children) {
                bool first = true;
                ((out += first ? "" : ", ", first = false, append_expression(out, children)), ...);
            }, e.m_children);
            if constexpr (requires { tag::exponent; }) out += ", " + std::to_string(tag::exponent);
            out += ')';
        }
    }
}

} // namespace detail

/// e as readable infix text, e.g. "(dot(x, w) + b - y) * x".
template <expression E>
std::string to_string(const E& e) {
    std::string out;
    detail::append_expression(out, e);
    return out;
}

/// Streams to_string(e).
template <expression E>
std::ostream& operator<<(std::ostream& os, const E& e) {
    return os << to_string(e);
}

} // namespace ctgrad

#endif // CTGRAD_IO_TO_STRING_HPP
