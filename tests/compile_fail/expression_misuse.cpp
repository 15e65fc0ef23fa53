// Misuses of expressions and derivatives must not compile, each with its own message; the twin
// (CTGRAD_TWIN) writes every call right and compiles. Each case is a function of its own, so
// every error is reported.
// expect: ctgrad::grad(e, s1, ...) requires at least one symbol
// expect: ctgrad: division by the constant 0
// expect: ctgrad::c<N, D>: the denominator D must not be 0
// expect: ctgrad::c<N, D>: out of range
// expect: ctgrad::constant: use ctgrad::c<N, D>, which normalises the fraction
// expect: ctgrad::d: a comparison has no derivative; differentiate the select(cond, a, b) that uses it
// expect: ctgrad: a comparison is a condition, usable only as the first argument of select(cond, a, b)
// expect: ctgrad::select(cond, a, b) requires cond to be a comparison such as a < b
// expect: ctgrad::sum(v) requires a vector expression
// expect: ctgrad::d(e, w): e is a vector expression that multiplies by a scalar depending on the vector symbol w
#include <ctgrad/ctgrad.hpp>

#include <cstdint>
#include <limits>

using namespace ctgrad::literals;

constexpr ctgrad::param<"a"> a;
constexpr ctgrad::param<"b"> b;
constexpr ctgrad::param_vec<"w"> w;
constexpr ctgrad::input_vec<"x"> x;

double grad_without_symbols() {
#ifdef CTGRAD_TWIN
    const auto g = ctgrad::grad(a * a, a);
#else
    const auto g = ctgrad::grad(a * a);
#endif
    return ctgrad::eval(boost::hana::at_c<0>(g), a = 1.0);
}

double division_by_zero() {
#ifdef CTGRAD_TWIN
    return ctgrad::eval(a / 2_c, a = 1.0);
#else
    return ctgrad::eval(a / 0_c, a = 1.0);
#endif
}

double zero_denominator() {
#ifdef CTGRAD_TWIN
    return ctgrad::eval(a * ctgrad::c<1, 2>, a = 1.0);
#else
    return ctgrad::eval(a * ctgrad::c<1, 0>, a = 1.0);
#endif
}

double constant_out_of_range() {
#ifdef CTGRAD_TWIN
    return ctgrad::eval(a * ctgrad::c<std::numeric_limits<std::intmax_t>::max()>, a = 1.0);
#else
    return ctgrad::eval(a * ctgrad::c<std::numeric_limits<std::intmax_t>::min()>, a = 1.0);
#endif
}

double unnormalised_constant() {
#ifdef CTGRAD_TWIN
    return ctgrad::eval(a * ctgrad::c<2, 4>, a = 1.0);
#else
    return ctgrad::eval(a * ctgrad::constant<2, 4>{}, a = 1.0);
#endif
}

double derivative_of_comparison() {
#ifdef CTGRAD_TWIN
    return ctgrad::eval(ctgrad::d(ctgrad::select(a < b, a, b), a), a = 1.0, b = 2.0);
#else
    return ctgrad::eval(ctgrad::d(a < b, a), a = 1.0, b = 2.0);
#endif
}

double comparison_as_operand() {
#ifdef CTGRAD_TWIN
    return ctgrad::eval(ctgrad::select(a < b, a, b) + a, a = 1.0, b = 2.0);
#else
    return ctgrad::eval((a < b) + a, a = 1.0, b = 2.0);
#endif
}

double select_without_comparison() {
#ifdef CTGRAD_TWIN
    return ctgrad::eval(ctgrad::select(a > 0_c, a, b), a = 1.0, b = 2.0);
#else
    return ctgrad::eval(ctgrad::select(a, a, b), a = 1.0, b = 2.0);
#endif
}

double sum_of_scalar() {
#ifdef CTGRAD_TWIN
    return ctgrad::eval(ctgrad::sum(x * a), a = 1.0, x = std::vector<double>{1.0, 2.0});
#else
    return ctgrad::eval(ctgrad::sum(a), a = 1.0);
#endif
}

double non_diagonal_jacobian() {
    const std::vector<double> values{1.0, 2.0};
#ifdef CTGRAD_TWIN
    return ctgrad::eval(ctgrad::d(ctgrad::sum(w * ctgrad::dot(x, w)), w), w = values, x = values)(0);
#else
    return ctgrad::eval(ctgrad::d(w * ctgrad::dot(x, w), w), w = values, x = values)(0);
#endif
}

int main() {
    return static_cast<int>(grad_without_symbols() + division_by_zero() + zero_denominator() + constant_out_of_range() +
                            unnormalised_constant() + derivative_of_comparison() + comparison_as_operand() +
                            select_without_comparison() + sum_of_scalar() + non_diagonal_jacobian());
}
