// tests/laws/op_cases.hpp: one entry per op of ctgrad::ops, which both laws iterate.
//   - finite_difference(law) calls law(name, e, sample) for expressions e of the scalar params
//     a and p (and the input vector x) that use the op, with the sampler of the points where
//     e is smooth (test_finite_differences.cpp compares every derivative with finite differences).
//   - fused(law) calls law(name, loss) for a loss of one example that uses the op, on scalars
//     unless it is a reduction (the combined losses of test_fused_equals_scalar.cpp use ops
//     element by element inside reductions). The fused law draws
//     a and y in [0.5, 2], p in [0.25, 1], x ~ N(0, 1) and w ~ N(0, 0.25 / d), d in [1, 70]
//     (test_fused_equals_scalar.cpp compares the fused kernel with the scalar evaluator).
// An op without an entry fails to compile both law tests.
#ifndef CTGRAD_TESTS_LAWS_OP_CASES_HPP
#define CTGRAD_TESTS_LAWS_OP_CASES_HPP

#include "finite_difference_law.hpp"

#include <tuple>

namespace fd_law {

template <class Tag>
struct op_case; // specialised for each op below

template <class Tag>
concept has_op_case = requires { sizeof(op_case<Tag>); };

template <class List> struct as_tuple;
template <class... Ts> struct as_tuple<ctgrad::detail::type_list<Ts...>> { using type = std::tuple<Ts...>; };
/// ctgrad::ops as the std::tuple that BOOST_AUTO_TEST_CASE_TEMPLATE iterates.
using all_ops = typename as_tuple<ctgrad::ops>::type;

// ---------------------------------------------------------------------------------------
// Arithmetic

template <> struct op_case<ctgrad::add_tag> {
    static void finite_difference(const auto& law) { law("add", a * p * p + (0.5 * a - p) * a, box(-2, 2, -2, 2)); }
    static void fused(const auto& law) { law("add", (a + y) * p); }
};

template <> struct op_case<ctgrad::sub_tag> {
    static void finite_difference(const auto& law) { law("sub", a * a * p - (p - 0.25 * a) * p * a, box(-2, 2, -2, 2)); }
    static void fused(const auto& law) { law("sub", (y - a) * p); }
};

template <> struct op_case<ctgrad::mul_tag> {
    static void finite_difference(const auto& law) {
        law("mul", (a * p + 1_c) * (a - 2_c * p + 0.75 * a * p), box(-2, 2, -2, 2));
    }
    static void fused(const auto& law) { law("mul", a * y * p); }
};

template <> struct op_case<ctgrad::div_tag> {
    // The denominator is >= 1: no pole in the domain.
    static void finite_difference(const auto& law) { law("div", (a * p - p) / (a * a + p * p + 1_c), box(-2, 2, -2, 2)); }
    static void fused(const auto& law) { law("div", y / a + a / (p + y)); }
};

template <> struct op_case<ctgrad::neg_tag> {
    static void finite_difference(const auto& law) { law("neg", -(a * p * p - 0.5 * a) * (a + p), box(-2, 2, -2, 2)); }
    static void fused(const auto& law) { law("neg", -(a * y) + p); }
};

// ---------------------------------------------------------------------------------------
// Functions of one argument

template <> struct op_case<ctgrad::square_tag> {
    static void finite_difference(const auto& law) {
        law("square", ctgrad::square(a * p - p + 0.5 * a), box(-2, 2, -2, 2));
    }
    static void fused(const auto& law) {
        law("square", ctgrad::square(a * y - p));
    }
};

template <> struct op_case<ctgrad::pow_tag<3>> {
    static void finite_difference(const auto& law) {
        // a * p + 2 is in [1, 3].
        law("pow<-3>", ctgrad::pow<-3>(a * p + 2_c), box(-1, 1, -1, 1));
        // Both signs of the base, |base| >= 0.5 (kept away from the pole at 0).
        const auto base = a * a - p;
        const auto far_from_pole = [=](const point& pt) { return std::abs(value_at(base, pt)) >= 0.5; };
        law("pow<-1>", ctgrad::pow<-1>(base), only_where(box(-1.5, 1.5, -1.5, 1.5), far_from_pole));
        law("pow<3>", ctgrad::pow<3>(a * p - p + 0.5 * a), box(-2, 2, -2, 2));
        law("pow<5>", ctgrad::pow<5>(a - p * p), box(-1.5, 1.5, -1.5, 1.5));
    }
    static void fused(const auto& law) {
        law("pow<N>", ctgrad::pow<-3>(y + p) + ctgrad::pow<3>(a * y));
    }
};

template <> struct op_case<ctgrad::exp_tag> {
    static void finite_difference(const auto& law) { law("exp", ctgrad::exp(a * p - p * p), box(-2, 2, -2, 2)); }
    static void fused(const auto& law) { law("exp", ctgrad::exp(-(a * y)) * p); }
};

template <> struct op_case<ctgrad::log_tag> {
    // a^2 + p >= 0.2.
    static void finite_difference(const auto& law) { law("log", ctgrad::log(a * a + p), box(-2, 2, 0.2, 3)); }
    static void fused(const auto& law) {
        law("log", ctgrad::log(a * y) * p);
    }
};

template <> struct op_case<ctgrad::sqrt_tag> {
    // a^2 p + 1 >= 0.2 for a in [-1, 1], p in [-0.8, 2].
    static void finite_difference(const auto& law) { law("sqrt", ctgrad::sqrt(a * a * p + 1_c), box(-1, 1, -0.8, 2)); }
    static void fused(const auto& law) {
        law("sqrt", ctgrad::sqrt(a * y) * p);
    }
};

template <> struct op_case<ctgrad::abs_tag> {
    static void finite_difference(const auto& law) {
        // Both signs of the argument, kept away from the kink at 0.
        const auto arg = a * p - p + 0.25;
        law("abs", ctgrad::abs(arg) * (a + 2_c), away_from_zero_of(box(-1.5, 1.5, -1.5, 1.5), arg));
    }
    static void fused(const auto& law) {
        law("abs", ctgrad::abs(a - y) * p);
    }
};

template <> struct op_case<ctgrad::sign_tag> {
    // sign is piecewise constant: its derivative is 0 away from the jump at 0.
    static void finite_difference(const auto& law) {
        const auto arg = a - p * p;
        law("sign", ctgrad::sign(arg) * a * p, away_from_zero_of(box(-2, 2, -2, 2), arg));
    }
    static void fused(const auto& law) {
        law("sign", ctgrad::sign(a - y) * p * a);
    }
};

template <> struct op_case<ctgrad::sin_tag> {
    static void finite_difference(const auto& law) { law("sin", ctgrad::sin(a * p + p), box(-2, 2, -2, 2)); }
    static void fused(const auto& law) { law("sin", ctgrad::sin(a * y) * p); }
};

template <> struct op_case<ctgrad::cos_tag> {
    static void finite_difference(const auto& law) { law("cos", ctgrad::cos(a * a - p), box(-2, 2, -2, 2)); }
    static void fused(const auto& law) { law("cos", ctgrad::cos(a * y) * p); }
};

template <> struct op_case<ctgrad::tanh_tag> {
    static void finite_difference(const auto& law) { law("tanh", ctgrad::tanh(a * p + 0.5 * a), box(-2, 2, -2, 2)); }
    static void fused(const auto& law) { law("tanh", ctgrad::tanh(a * y - p)); }
};

template <> struct op_case<ctgrad::atan_tag> {
    static void finite_difference(const auto& law) { law("atan", ctgrad::atan(a * p + 0.5 * a), box(-2, 2, -2, 2)); }
    static void fused(const auto& law) { law("atan", ctgrad::atan(a * y - p)); }
};

template <> struct op_case<ctgrad::log1p_tag> {
    // a * a + p > -1 on this box, where log1p is defined.
    static void finite_difference(const auto& law) { law("log1p", ctgrad::log1p(a * a + p), box(-2, 2, -0.8, 3)); }
    static void fused(const auto& law) {
        law("log1p", ctgrad::log1p(y * p - 0.5 * p) * a);
    }
};

template <> struct op_case<ctgrad::expm1_tag> {
    static void finite_difference(const auto& law) { law("expm1", ctgrad::expm1(a * p - p * p), box(-2, 2, -2, 2)); }
    static void fused(const auto& law) { law("expm1", ctgrad::expm1(-(a * y)) * p); }
};

template <> struct op_case<ctgrad::sigmoid_tag> {
    // The argument spans [-10, 10]: both branches of the overflow-safe evaluation.
    static void finite_difference(const auto& law) { law("sigmoid", ctgrad::sigmoid(2_c * a * p - p), box(-2, 2, -2, 2)); }
    static void fused(const auto& law) {
        law("sigmoid", ctgrad::sigmoid(ctgrad::dot(x, w) * a - y));
    }
};

template <> struct op_case<ctgrad::softplus_tag> {
    // The argument spans [-10, 10]: both signs, where the overflow-safe form switches.
    static void finite_difference(const auto& law) { law("softplus", ctgrad::softplus(2_c * a * p - p), box(-2, 2, -2, 2)); }
    static void fused(const auto& law) { law("softplus", ctgrad::softplus(ctgrad::dot(x, w) * a - y) * p); }
};

// ---------------------------------------------------------------------------------------
// Functions of two arguments, and comparisons with select: piecewise, checked by finite
// differences away from the switching boundary

template <> struct op_case<ctgrad::min_tag> {
    static void finite_difference(const auto& law) {
        const auto lhs = a * p;
        const auto rhs = a + p - 0.5;
        law("min", ctgrad::min(lhs, rhs), away_from_zero_of(box(-2, 2, -2, 2), lhs - rhs));
    }
    static void fused(const auto& law) { law("min", ctgrad::min(a, y) * p); }
};

template <> struct op_case<ctgrad::max_tag> {
    static void finite_difference(const auto& law) {
        const auto lhs = a * a - p;
        const auto rhs = p * a;
        law("max", ctgrad::max(lhs, rhs), away_from_zero_of(box(-2, 2, -2, 2), lhs - rhs));
    }
    static void fused(const auto& law) { law("max", ctgrad::max(a, y) * p); }
};

template <> struct op_case<ctgrad::real_pow_tag> {
    static void finite_difference(const auto& law) {
        // The base a * a + p stays positive on this box, where pow(a, b) and log(a) are defined.
        law("pow(a, b)", ctgrad::pow(a * a + p, a * p - 0.5 * a), box(-1.5, 1.5, 0.2, 2));
        law("pow(a, 1.5)", ctgrad::pow(a * a + p, 1.5), box(-1.5, 1.5, 0.2, 2));
        law("pow(2, b)", ctgrad::pow(2.0, a * p), box(-1.5, 1.5, -1.5, 1.5));
    }
    static void fused(const auto& law) {
        law("pow(a, b)", ctgrad::pow(y, a) * p + ctgrad::pow(y + p, 1.5));
    }
};

template <> struct op_case<ctgrad::less_tag> {
    static void finite_difference(const auto& law) {
        law("select(<)", ctgrad::select(a * p < p, ctgrad::sin(a) * p, a * a + p), away_from_zero_of(box(-2, 2, -2, 2), a * p - p));
    }
    static void fused(const auto& law) {
        law("select(<)", ctgrad::select(y < a, a * y, p));
    }
};

template <> struct op_case<ctgrad::greater_tag> {
    static void finite_difference(const auto& law) {
        law("select(>)", ctgrad::select(a > p * p, a * p * p, ctgrad::exp(a - p)), away_from_zero_of(box(-2, 2, -2, 2), a - p * p));
    }
    static void fused(const auto& law) {
        law("select(>)", ctgrad::select(y > a, a * y, p));
    }
};

template <> struct op_case<ctgrad::less_equal_tag> {
    static void finite_difference(const auto& law) {
        law("select(<=)", ctgrad::select(a * a <= p, a * p * p, 0.5 * a - p * a), away_from_zero_of(box(-2, 2, -2, 2), a * a - p));
    }
    static void fused(const auto& law) {
        law("select(<=)", ctgrad::select(ctgrad::abs(ctgrad::dot(x, w) - y) <= 1_c, ctgrad::square(ctgrad::dot(x, w) - y) / 2_c,
                                         ctgrad::abs(ctgrad::dot(x, w) - y) - ctgrad::c<1, 2>));
    }
};

template <> struct op_case<ctgrad::greater_equal_tag> {
    static void finite_difference(const auto& law) {
        law("select(>=)", ctgrad::select(a + p >= 0.25, ctgrad::square(a - p), 3_c * a * p),
            away_from_zero_of(box(-2, 2, -2, 2), a + p - 0.25));
    }
    static void fused(const auto& law) {
        law("select(>=)", ctgrad::select(y >= a, y - a, p * a));
    }
};

template <> struct op_case<ctgrad::select_tag> {
    // A condition on a function of both params, and branches with different derivatives.
    static void finite_difference(const auto& law) {
        const auto condition = ctgrad::sin(a) * p - 0.25 * a;
        law("select", ctgrad::select(condition >= 0_c, ctgrad::exp(a * p), a - p * p),
            away_from_zero_of(box(-2, 2, -2, 2), condition));
    }
    static void fused(const auto& law) {
        law("select", ctgrad::select(ctgrad::dot(x, w) > p, ctgrad::square(y - a), a * p));
    }
};

// ---------------------------------------------------------------------------------------
// Reductions, differentiated by the scalars a and p (n in [1, 64])

template <> struct op_case<ctgrad::dot_tag> {
    static void finite_difference(const auto& law) {
        law("dot", ctgrad::dot(x * a + p, ctgrad::sin(x * p)), with_vector(box(-2, 2, -2, 2)));
    }
    static void fused(const auto& law) { law("dot", ctgrad::dot(x, w) * a); }
};

template <> struct op_case<ctgrad::sum_tag> {
    static void finite_difference(const auto& law) {
        law("sum", ctgrad::sum(ctgrad::exp(x * a) * p), with_vector(box(-2, 2, -2, 2)));
    }
    static void fused(const auto& law) { law("sum", ctgrad::sum(x * w) * p); }
};

template <> struct op_case<ctgrad::size_tag> {
    // The derivative of the body is a scalar here (d(x * p + a * a, a) = 2a): the rule turns
    // it into 2a * size(x * p + a * a).
    static void finite_difference(const auto& law) {
        law("size", ctgrad::sum(x * p + a * a) * p, with_vector(box(-2, 2, -2, 2)));
    }
    static void fused(const auto& law) { law("size", ctgrad::sum(x + a) * p); }
};

} // namespace fd_law

#endif // CTGRAD_TESTS_LAWS_OP_CASES_HPP
