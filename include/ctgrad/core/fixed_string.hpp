// ctgrad/core/fixed_string.hpp: a string usable as a template argument, so that a
// symbol's name is part of its type (param<"b"> and param<"b"> are the same type).
#ifndef CTGRAD_CORE_FIXED_STRING_HPP
#define CTGRAD_CORE_FIXED_STRING_HPP

#include <cstddef>
#include <string_view>

namespace ctgrad {

/// A compile-time string; N counts the terminating '\0' of the literal it was made from.
template <std::size_t N>
struct fixed_string {
    char m_chars[N]{};

    constexpr fixed_string(const char (&text)[N]) noexcept {
        for (std::size_t i = 0; i < N; ++i) m_chars[i] = text[i];
    }

    [[nodiscard]] constexpr std::string_view view() const noexcept { return {m_chars, N - 1}; }
};

} // namespace ctgrad

#endif // CTGRAD_CORE_FIXED_STRING_HPP
