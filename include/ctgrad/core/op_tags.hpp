// ctgrad/core/op_tags.hpp: the operations. A tag carries what every consumer of an op needs
// to know about it: how it prints and how it evaluates on one scalar per child. Its
// derivative rule lives in symbolic/, its SIMD functor in simd/.
#ifndef CTGRAD_CORE_OP_TAGS_HPP
#define CTGRAD_CORE_OP_TAGS_HPP

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

// Arithmetic. Each apply() takes one scalar per child.
struct add_tag : detail::op_traits<notation::infix, precedence::additive> {
    static constexpr std::string_view name = "+";
    template <class T> static constexpr T apply(T a, T b) { return a + b; }
};
struct sub_tag : detail::op_traits<notation::infix, precedence::additive> {
    static constexpr std::string_view name = "-";
    template <class T> static constexpr T apply(T a, T b) { return a - b; }
};
struct mul_tag : detail::op_traits<notation::infix, precedence::multiplicative> {
    static constexpr std::string_view name = "*";
    template <class T> static constexpr T apply(T a, T b) { return a * b; }
};
struct div_tag : detail::op_traits<notation::infix, precedence::multiplicative> {
    static constexpr std::string_view name = "/";
    template <class T> static constexpr T apply(T a, T b) { return a / b; }
};
struct neg_tag : detail::op_traits<notation::prefix, precedence::unary> {
    static constexpr std::string_view name = "-";
    template <class T> static constexpr T apply(T a) { return -a; }
};

// Functions of one argument.
struct square_tag : detail::call_op {
    static constexpr std::string_view name = "square";
    template <class T> static constexpr T apply(T a) { return a * a; }
};
template <int N>
struct pow_tag : detail::call_op {
    static constexpr std::string_view name = "pow";
    static constexpr int exponent = N;
    template <class T> static constexpr T apply(T a) { return detail::integer_power<N>(a); }
};
struct exp_tag : detail::call_op {
    static constexpr std::string_view name = "exp";
    template <class T> static T apply(T a) { return std::exp(a); }
};
struct log_tag : detail::call_op {
    static constexpr std::string_view name = "log";
    template <class T> static T apply(T a) { return std::log(a); }
};
struct sqrt_tag : detail::call_op {
    static constexpr std::string_view name = "sqrt";
    template <class T> static T apply(T a) { return std::sqrt(a); }
};
struct abs_tag : detail::call_op {
    static constexpr std::string_view name = "abs";
    template <class T> static T apply(T a) { return std::abs(a); }
};
/// sign(a) is -1, 0 or 1: the derivative of abs.
struct sign_tag : detail::call_op {
    static constexpr std::string_view name = "sign";
    template <class T> static constexpr T apply(T a) { return T((T(0) < a) - (a < T(0))); }
};
struct sin_tag : detail::call_op {
    static constexpr std::string_view name = "sin";
    template <class T> static T apply(T a) { return std::sin(a); }
};
struct cos_tag : detail::call_op {
    static constexpr std::string_view name = "cos";
    template <class T> static T apply(T a) { return std::cos(a); }
};
struct tanh_tag : detail::call_op {
    static constexpr std::string_view name = "tanh";
    template <class T> static T apply(T a) { return std::tanh(a); }
};
struct atan_tag : detail::call_op {
    static constexpr std::string_view name = "atan";
    template <class T> static T apply(T a) { return std::atan(a); }
};
struct log1p_tag : detail::call_op {
    static constexpr std::string_view name = "log1p";
    template <class T> static T apply(T a) { return std::log1p(a); }
};
struct expm1_tag : detail::call_op {
    static constexpr std::string_view name = "expm1";
    template <class T> static T apply(T a) { return std::expm1(a); }
};
struct sigmoid_tag : detail::call_op {
    static constexpr std::string_view name = "sigmoid";
    // Written so that neither branch overflows: exp only ever sees a non-positive argument.
    template <class T> static T apply(T a) {
        if (a >= T(0)) return T(1) / (T(1) + std::exp(-a));
        const T e = std::exp(a);
        return e / (T(1) + e);
    }
};

// Functions of two arguments.
struct min_tag : detail::call_op {
    static constexpr std::string_view name = "min";
    template <class T> static constexpr T apply(T a, T b) { return b < a ? b : a; }
};
struct max_tag : detail::call_op {
    static constexpr std::string_view name = "max";
    template <class T> static constexpr T apply(T a, T b) { return a < b ? b : a; }
};

/// pow(a, b) with a real exponent expression b, defined for a > 0.
struct real_pow_tag : detail::call_op {
    static constexpr std::string_view name = "pow";
    template <class T> static T apply(T a, T b) { return std::pow(a, b); }
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
    template <class T> static constexpr auto apply(T a, T b) { return a < b; }
};
struct greater_tag : detail::comparison_op {
    static constexpr std::string_view name = ">";
    template <class T> static constexpr auto apply(T a, T b) { return a > b; }
};
struct less_equal_tag : detail::comparison_op {
    static constexpr std::string_view name = "<=";
    template <class T> static constexpr auto apply(T a, T b) { return a <= b; }
};
struct greater_equal_tag : detail::comparison_op {
    static constexpr std::string_view name = ">=";
    template <class T> static constexpr auto apply(T a, T b) { return a >= b; }
};
struct select_tag : detail::call_op {
    static constexpr std::string_view name = "select";
    template <class T> static constexpr T apply(bool condition, T a, T b) { return condition ? a : b; }
};

// Reductions from vectors to scalars. apply() is the per-element term that is summed.
namespace detail {
struct reduction_op : call_op {
    static constexpr bool is_reduction = true;
};
} // namespace detail
struct dot_tag : detail::reduction_op {
    static constexpr std::string_view name = "dot";
    template <class T> static constexpr T apply(T a, T b) { return a * b; }
};
struct sum_tag : detail::reduction_op {
    static constexpr std::string_view name = "sum";
    template <class T> static constexpr T apply(T a) { return a; }
};
/// size(v): the length of v. It appears in derivatives only, where a vector's elements all
/// share one derivative: d(sum(x + b), b) = size(x + b).
struct size_tag : detail::reduction_op {
    static constexpr std::string_view name = "size";
    template <class T> static constexpr T apply(T) { return T(1); }
};

} // namespace ctgrad

#endif // CTGRAD_CORE_OP_TAGS_HPP
