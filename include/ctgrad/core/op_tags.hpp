// ctgrad/core/op_tags.hpp: the operations. A tag is everything the library knows about an op
// apart from its derivative rule (symbolic/rules_*.hpp): how it prints, its value on plain
// numbers (apply), its value on SIMD batches (lanes) and, optionally, the exact constants it
// folds to (fold). The list `ops` at the end names every op; the law tests iterate it.
//
// lanes() calls functions unqualified: for an xsimd::batch, argument-dependent lookup finds
// xsimd's exp, select, min..., so core/ states the SIMD form without including xsimd.
#ifndef CTGRAD_CORE_OP_TAGS_HPP
#define CTGRAD_CORE_OP_TAGS_HPP

#include "ctgrad/core/constant.hpp"
#include "ctgrad/detail/type_list.hpp"

#include <cmath>
#include <string_view>

namespace ctgrad {

/// How to_string writes a node.
enum class notation { infix, prefix, call };

/// Binding strength for printing: comparisons < + - < * / < unary - < calls and leaves.
namespace precedence {
inline constexpr int comparison = 0;
inline constexpr int additive = 1;
inline constexpr int multiplicative = 2;
inline constexpr int unary = 3;
inline constexpr int atom = 4;
} // namespace precedence

namespace detail {
template <notation Form, int Precedence>
struct op_traits {
    static constexpr notation form = Form;
    static constexpr int binding_strength = Precedence;
    static constexpr bool is_reduction = false;
    static constexpr bool is_comparison = false;
    static constexpr bool is_left_associative_only = false; // a - (b - c) must keep its parentheses
};
using call_op = op_traits<notation::call, precedence::atom>;

// Integer powers by repeated squaring: exact where the value is, and no std::pow call.
template <int N, class T>
constexpr T integer_power(T x) {
    if constexpr (N < 0) {
        return T(1) / integer_power<-N>(x);
    } else {
        T result(1);
        T base = x;
        for (int n = N; n > 0; n >>= 1) {
            if (n & 1) result *= base;
            base *= base;
        }
        return result;
    }
}
} // namespace detail

// Arithmetic. Each apply() takes one number per child, each lanes() one batch per child.
struct add_tag : detail::op_traits<notation::infix, precedence::additive> {
    static constexpr std::string_view name = "+";
    template <class T> static constexpr T apply(T a, T b) { return a + b; }
    template <class V> static V lanes(const V& a, const V& b) { return a + b; }
};
struct sub_tag : detail::op_traits<notation::infix, precedence::additive> {
    static constexpr std::string_view name = "-";
    static constexpr bool is_left_associative_only = true;
    template <class T> static constexpr T apply(T a, T b) { return a - b; }
    template <class V> static V lanes(const V& a, const V& b) { return a - b; }
};
struct mul_tag : detail::op_traits<notation::infix, precedence::multiplicative> {
    static constexpr std::string_view name = "*";
    template <class T> static constexpr T apply(T a, T b) { return a * b; }
    template <class V> static V lanes(const V& a, const V& b) { return a * b; }
};
struct div_tag : detail::op_traits<notation::infix, precedence::multiplicative> {
    static constexpr std::string_view name = "/";
    static constexpr bool is_left_associative_only = true;
    template <class T> static constexpr T apply(T a, T b) { return a / b; }
    template <class V> static V lanes(const V& a, const V& b) { return a / b; }
};
struct neg_tag : detail::op_traits<notation::prefix, precedence::unary> {
    static constexpr std::string_view name = "-";
    template <class T> static constexpr T apply(T a) { return -a; }
    template <class V> static V lanes(const V& a) { return -a; }
};

// Functions of one argument.
struct square_tag : detail::call_op {
    static constexpr std::string_view name = "square";
    template <class T> static constexpr T apply(T a) { return a * a; }
    template <class V> static V lanes(const V& a) { return a * a; }
};
template <int N>
struct pow_tag : detail::call_op {
    static constexpr std::string_view name = "pow";
    static constexpr int exponent = N;
    template <class T> static constexpr T apply(T a) { return detail::integer_power<N>(a); }
    template <class V> static V lanes(const V& a) { return detail::integer_power<N>(a); }
};
struct exp_tag : detail::call_op {
    static constexpr std::string_view name = "exp";
    template <class T> static T apply(T a) { return std::exp(a); }
    template <class V> static V lanes(const V& a) { return exp(a); }
    static constexpr one_t fold(zero_t) { return {}; }
};
struct log_tag : detail::call_op {
    static constexpr std::string_view name = "log";
    template <class T> static T apply(T a) { return std::log(a); }
    template <class V> static V lanes(const V& a) { return log(a); }
    static constexpr zero_t fold(one_t) { return {}; }
};
struct sqrt_tag : detail::call_op {
    static constexpr std::string_view name = "sqrt";
    template <class T> static T apply(T a) { return std::sqrt(a); }
    template <class V> static V lanes(const V& a) { return sqrt(a); }
    static constexpr zero_t fold(zero_t) { return {}; }
    static constexpr one_t fold(one_t) { return {}; }
};
struct abs_tag : detail::call_op {
    static constexpr std::string_view name = "abs";
    template <class T> static T apply(T a) { return std::abs(a); }
    template <class V> static V lanes(const V& a) { return abs(a); }
    template <std::intmax_t N, std::intmax_t D>
    static constexpr auto fold(constant<N, D>) { return constant<(N < 0 ? -N : N), D>{}; }
};
/// sign(a) is -1, 0 or 1: the derivative of abs.
struct sign_tag : detail::call_op {
    static constexpr std::string_view name = "sign";
    template <class T> static constexpr T apply(T a) { return T((T(0) < a) - (a < T(0))); }
    // Not xsimd::sign, which may give +-1 at 0.
    template <class V> static V lanes(const V& a) { return select(a > V(0), V(1), V(0)) - select(a < V(0), V(1), V(0)); }
    template <std::intmax_t N, std::intmax_t D>
    static constexpr auto fold(constant<N, D>) { return constant<(N > 0) - (N < 0), 1>{}; }
};
struct sin_tag : detail::call_op {
    static constexpr std::string_view name = "sin";
    template <class T> static T apply(T a) { return std::sin(a); }
    template <class V> static V lanes(const V& a) { return sin(a); }
    static constexpr zero_t fold(zero_t) { return {}; }
};
struct cos_tag : detail::call_op {
    static constexpr std::string_view name = "cos";
    template <class T> static T apply(T a) { return std::cos(a); }
    template <class V> static V lanes(const V& a) { return cos(a); }
    static constexpr one_t fold(zero_t) { return {}; }
};
struct tanh_tag : detail::call_op {
    static constexpr std::string_view name = "tanh";
    template <class T> static T apply(T a) { return std::tanh(a); }
    template <class V> static V lanes(const V& a) { return tanh(a); }
    static constexpr zero_t fold(zero_t) { return {}; }
};
struct atan_tag : detail::call_op {
    static constexpr std::string_view name = "atan";
    template <class T> static T apply(T a) { return std::atan(a); }
    template <class V> static V lanes(const V& a) { return atan(a); }
    static constexpr zero_t fold(zero_t) { return {}; }
};
struct log1p_tag : detail::call_op {
    static constexpr std::string_view name = "log1p";
    template <class T> static T apply(T a) { return std::log1p(a); }
    template <class V> static V lanes(const V& a) { return log1p(a); }
    static constexpr zero_t fold(zero_t) { return {}; }
};
struct expm1_tag : detail::call_op {
    static constexpr std::string_view name = "expm1";
    template <class T> static T apply(T a) { return std::expm1(a); }
    template <class V> static V lanes(const V& a) { return expm1(a); }
    static constexpr zero_t fold(zero_t) { return {}; }
};
struct sigmoid_tag : detail::call_op {
    static constexpr std::string_view name = "sigmoid";
    // Written so that neither branch overflows: exp only ever sees a non-positive argument.
    template <class T> static T apply(T a) {
        if (a >= T(0)) return T(1) / (T(1) + std::exp(-a));
        const T e = std::exp(a);
        return e / (T(1) + e);
    }
    // exp(-a) overflows to inf for very negative a, and 1 / inf is the right 0.
    template <class V> static V lanes(const V& a) { return V(1) / (V(1) + exp(-a)); }
    static constexpr constant<1, 2> fold(zero_t) { return {}; }
};

/// softplus(a) = log(1 + exp(a)), written so that exp never overflows.
struct softplus_tag : detail::call_op {
    static constexpr std::string_view name = "softplus";
    template <class T> static T apply(T a) { return (a > T(0) ? a : T(0)) + std::log1p(std::exp(-std::abs(a))); }
    template <class V> static V lanes(const V& a) { return max(a, V(0)) + log1p(exp(-abs(a))); }
};

// Functions of two arguments.
struct min_tag : detail::call_op {
    static constexpr std::string_view name = "min";
    template <class T> static constexpr T apply(T a, T b) { return b < a ? b : a; }
    template <class V> static V lanes(const V& a, const V& b) { return min(a, b); }
};
struct max_tag : detail::call_op {
    static constexpr std::string_view name = "max";
    template <class T> static constexpr T apply(T a, T b) { return a < b ? b : a; }
    template <class V> static V lanes(const V& a, const V& b) { return max(a, b); }
};

/// pow(a, b) with a real exponent expression b, defined for a > 0.
struct real_pow_tag : detail::call_op {
    static constexpr std::string_view name = "pow";
    template <class T> static T apply(T a, T b) { return std::pow(a, b); }
    template <class V> static V lanes(const V& a, const V& b) { return pow(a, b); }
};

// Comparisons give a condition, usable only as the first argument of select: a bool for
// numbers, a lane mask for SIMD batches.
namespace detail {
struct comparison_op : op_traits<notation::infix, precedence::comparison> {
    static constexpr bool is_comparison = true;
};
} // namespace detail
struct less_tag : detail::comparison_op {
    static constexpr std::string_view name = "<";
    template <class T> static constexpr bool apply(T a, T b) { return a < b; }
    template <class V> static auto lanes(const V& a, const V& b) { return a < b; }
};
struct greater_tag : detail::comparison_op {
    static constexpr std::string_view name = ">";
    template <class T> static constexpr bool apply(T a, T b) { return a > b; }
    template <class V> static auto lanes(const V& a, const V& b) { return a > b; }
};
struct less_equal_tag : detail::comparison_op {
    static constexpr std::string_view name = "<=";
    template <class T> static constexpr bool apply(T a, T b) { return a <= b; }
    template <class V> static auto lanes(const V& a, const V& b) { return a <= b; }
};
struct greater_equal_tag : detail::comparison_op {
    static constexpr std::string_view name = ">=";
    template <class T> static constexpr bool apply(T a, T b) { return a >= b; }
    template <class V> static auto lanes(const V& a, const V& b) { return a >= b; }
};
struct select_tag : detail::call_op {
    static constexpr std::string_view name = "select";
    template <class T> static constexpr T apply(bool condition, T a, T b) { return condition ? a : b; }
    template <class C, class V> static V lanes(const C& condition, const V& a, const V& b) { return select(condition, a, b); }
};

// Reductions from vectors to scalars. apply() and lanes() give the per-element term that is summed.
namespace detail {
struct reduction_op : call_op {
    static constexpr bool is_reduction = true;
};
} // namespace detail
struct dot_tag : detail::reduction_op {
    static constexpr std::string_view name = "dot";
    template <class T> static constexpr T apply(T a, T b) { return a * b; }
    template <class V> static V lanes(const V& a, const V& b) { return a * b; }
};
struct sum_tag : detail::reduction_op {
    static constexpr std::string_view name = "sum";
    template <class T> static constexpr T apply(T a) { return a; }
    template <class V> static V lanes(const V& a) { return a; }
};
/// size(v): the length of v. It appears in derivatives only, where a vector's elements all
/// share one derivative: d(sum(x + b), b) = size(x + b).
struct size_tag : detail::reduction_op {
    static constexpr std::string_view name = "size";
    template <class T> static constexpr T apply(T) { return T(1); }
    template <class V> static V lanes(const V&) { return V(1); }
};

/// Every op; pow_tag<3> stands for every pow_tag<N>. The law tests check each one, and a node
/// of an op missing here does not compile (make_node), so no op goes untested.
using ops = detail::type_list<add_tag, sub_tag, mul_tag, div_tag, neg_tag, square_tag, pow_tag<3>, exp_tag, log_tag,
                              sqrt_tag, abs_tag, sign_tag, sin_tag, cos_tag, tanh_tag, atan_tag, log1p_tag, expm1_tag,
                              sigmoid_tag, softplus_tag, min_tag, max_tag, real_pow_tag, less_tag, greater_tag, less_equal_tag,
                              greater_equal_tag, select_tag, dot_tag, sum_tag, size_tag>;

namespace detail {
template <class Tag> inline constexpr bool is_listed_op_v = list_contains_v<ops, Tag>;
template <int N> inline constexpr bool is_listed_op_v<pow_tag<N>> = list_contains_v<ops, pow_tag<3>>;
} // namespace detail

} // namespace ctgrad

#endif // CTGRAD_CORE_OP_TAGS_HPP
