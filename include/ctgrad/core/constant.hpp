// ctgrad/core/constant.hpp: exact rational constants (folded by the simplifier) and
// runtime numbers (kept as stateful leaves, never folded).
#ifndef CTGRAD_CORE_CONSTANT_HPP
#define CTGRAD_CORE_CONSTANT_HPP

#include <cstdint>
#include <limits>
#include <numeric>
#include <type_traits>

namespace ctgrad {

/// The exact rational Num/Den, always in lowest terms with Den > 0 (so equal values are
/// equal types, which is what lets the simplifier compare them). Make one with c<N, D>.
template <std::intmax_t Num, std::intmax_t Den>
struct constant {
    static_assert(Den > 0 && std::gcd(Num, Den) == 1,
                  "ctgrad::constant: use ctgrad::c<N, D>, which normalises the fraction");
    static constexpr std::intmax_t numerator = Num;
    static constexpr std::intmax_t denominator = Den;

    template <class T>
    [[nodiscard]] static constexpr T as() noexcept { return static_cast<T>(Num) / static_cast<T>(Den); }
};

namespace detail {

template <std::intmax_t Num, std::intmax_t Den>
constexpr auto make_rational() {
    static_assert(Den != 0, "ctgrad::c<N, D>: the denominator D must not be 0");
    static_assert(Num > std::numeric_limits<std::intmax_t>::min() &&
                      Den > std::numeric_limits<std::intmax_t>::min(),
                  "ctgrad::c<N, D>: out of range");
    constexpr std::intmax_t sign = Den < 0 ? -1 : 1;
    constexpr std::intmax_t g = Num == 0 ? (Den < 0 ? -Den : Den) : std::gcd(Num, Den);
    return constant<sign * Num / g, sign * Den / g>{};
}

// Arithmetic on constants stays exact; an overflow is a compile error, never a wrong value.
constexpr std::intmax_t checked_mul(std::intmax_t a, std::intmax_t b) {
    std::intmax_t r{};
    if (__builtin_mul_overflow(a, b, &r)) throw "ctgrad: rational constant overflows intmax_t";
    return r;
}
constexpr std::intmax_t checked_add(std::intmax_t a, std::intmax_t b) {
    std::intmax_t r{};
    if (__builtin_add_overflow(a, b, &r)) throw "ctgrad: rational constant overflows intmax_t";
    return r;
}

} // namespace detail

/// The constant N/D as an object: ctgrad::c<1, 2> is one half.
template <std::intmax_t Num, std::intmax_t Den = 1>
inline constexpr auto c = detail::make_rational<Num, Den>();

namespace detail {

template <std::intmax_t N1, std::intmax_t D1, std::intmax_t N2, std::intmax_t D2>
constexpr auto rational_add(constant<N1, D1>, constant<N2, D2>) {
    return make_rational<checked_add(checked_mul(N1, D2), checked_mul(N2, D1)), checked_mul(D1, D2)>();
}
template <std::intmax_t N1, std::intmax_t D1, std::intmax_t N2, std::intmax_t D2>
constexpr auto rational_mul(constant<N1, D1>, constant<N2, D2>) {
    return make_rational<checked_mul(N1, N2), checked_mul(D1, D2)>();
}
template <std::intmax_t N, std::intmax_t D>
constexpr auto rational_neg(constant<N, D>) { return constant<-N, D>{}; }
template <std::intmax_t N, std::intmax_t D>
constexpr auto rational_inv(constant<N, D>) {
    static_assert(N != 0, "ctgrad: division by the constant 0");
    return make_rational<D, N>();
}

// Decimal digits of a literal such as 2_c, read at compile time.
template <char... Digits>
constexpr std::intmax_t parse_integer_literal() {
    std::intmax_t value = 0;
    for (char ch : {Digits...}) {
        if (ch == '\'') continue;
        if (ch < '0' || ch > '9') throw "ctgrad::literals::operator\"\"_c takes decimal integers only";
        value = checked_add(checked_mul(value, 10), ch - '0');
    }
    return value;
}

} // namespace detail

using zero_t = constant<0, 1>;
using one_t = constant<1, 1>;

/// A number known only at run time (the 0.75 in 0.75 * a). It is a leaf with state:
/// it evaluates to its value and is never folded, and two of them are not assumed equal.
struct number {
    double m_value;
};

namespace literals {
/// 2_c is the exact integer constant 2.
template <char... Digits>
constexpr auto operator""_c() {
    return c<detail::parse_integer_literal<Digits...>()>;
}
} // namespace literals

} // namespace ctgrad

#endif // CTGRAD_CORE_CONSTANT_HPP
