// Exact derived types (pinned at compile time), the simplification rules, printing, and
// grad(). Numerical correctness of every rule is in laws/test_finite_differences.cpp.
#define BOOST_TEST_MODULE ctgrad_symbolic
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include <ctgrad/ctgrad.hpp>

#include <boost/hana/at.hpp>
#include <boost/hana/equal.hpp>
#include <boost/hana/length.hpp>

#include <type_traits>

using namespace ctgrad::literals;
namespace hana = boost::hana;

namespace {

constexpr ctgrad::input_vec<"x"> x;
constexpr ctgrad::input<"y"> y;
constexpr ctgrad::param_vec<"w"> w;
constexpr ctgrad::param<"b"> b;
constexpr ctgrad::param<"a"> a;

// The d2l loss and its derivatives, all constexpr.
constexpr auto y_hat = ctgrad::dot(x, w) + b;
constexpr auto loss = ctgrad::square(y_hat - y) / 2_c;
constexpr auto d_loss_b = ctgrad::d(loss, b);
constexpr auto d_loss_w = ctgrad::d(loss, w);
constexpr auto d2_loss_b = ctgrad::d(d_loss_b, b);

template <class A, class B>
constexpr bool same_type(const A&, const B&) {
    return std::is_same_v<A, B>;
}

// ---- the pinned results of d2l 3.4's derivatives ----
static_assert(same_type(d_loss_b, ctgrad::dot(x, w) + b - y));
static_assert(same_type(d_loss_w, (ctgrad::dot(x, w) + b - y) * x));
static_assert(same_type(d2_loss_b, 1_c));
static_assert(std::is_same_v<decltype(d2_loss_b), const ctgrad::one_t>);

// Mixed and cross partials of the d2l loss.
static_assert(same_type(ctgrad::d(d_loss_w, b), x));
static_assert(same_type(ctgrad::d(d_loss_b, w), x));
static_assert(same_type(ctgrad::d(loss, y), -(ctgrad::dot(x, w) + b - y)));

// Expressions over symbols are empty literal types.
static_assert(std::is_empty_v<decltype(loss)>);
static_assert(std::is_empty_v<decltype(d_loss_w)>);
static_assert(ctgrad::is_vector_v<decltype(d_loss_w)>);
static_assert(!ctgrad::is_vector_v<decltype(d_loss_b)>);

// ---- simplification at construction ----
static_assert(same_type(a + 0_c, a));
static_assert(same_type(0_c + a, a));
static_assert(same_type(a * 1_c, a));
static_assert(same_type(1_c * a, a));
static_assert(same_type(a * 0_c, 0_c));
static_assert(same_type(a / 1_c, a));
static_assert(same_type(0_c / a, 0_c));
static_assert(same_type(-(-a), a));
static_assert(same_type(a - a, 0_c));
static_assert(same_type(a + a, 2_c * a));
static_assert(same_type(a / a, 1_c));
static_assert(same_type(a * a, ctgrad::square(a)));
static_assert(same_type(a + (-b), a - b));
static_assert(same_type(a - (-b), a + b));
static_assert(same_type(a + ctgrad::c<-3>, a - 3_c));
// Exact rational folding.
static_assert(same_type(1_c / 3_c + ctgrad::c<1, 6>, ctgrad::c<1, 2>));
static_assert(same_type(ctgrad::c<2, 4>, ctgrad::c<1, 2>));
static_assert(same_type(ctgrad::c<3, -6>, ctgrad::c<-1, 2>));
static_assert(same_type(2_c * 3_c - 6_c, 0_c));
static_assert(same_type(ctgrad::pow<-2>(2_c), ctgrad::c<1, 4>));
static_assert(same_type(ctgrad::square(ctgrad::c<-2, 3>), ctgrad::c<4, 9>));
// Constant factors collected into one coefficient on the left.
static_assert(same_type(2_c * (3_c * a), 6_c * a));
static_assert(same_type((2_c * a) * (3_c * b), 6_c * (a * b)));
static_assert(same_type(a * 2_c, 2_c * a));
static_assert(same_type((4_c * a) / 2_c, 2_c * a));
static_assert(same_type(-(2_c * a), ctgrad::c<-2> * a));
static_assert(same_type(3_c * a - a, 2_c * a));
static_assert(same_type(-1_c * a, -a));
// Small powers and known values of functions.
static_assert(same_type(ctgrad::pow<0>(a), 1_c));
static_assert(same_type(ctgrad::pow<1>(a), a));
static_assert(same_type(ctgrad::pow<2>(a), ctgrad::square(a)));
static_assert(same_type(ctgrad::exp(0_c), 1_c));
static_assert(same_type(ctgrad::log(1_c), 0_c));
static_assert(same_type(ctgrad::abs(ctgrad::c<-5, 2>), ctgrad::c<5, 2>));
static_assert(same_type(ctgrad::sign(ctgrad::c<-5, 2>), ctgrad::c<-1>));
static_assert(same_type(ctgrad::sqrt(0_c), 0_c) && same_type(ctgrad::sqrt(1_c), 1_c));
static_assert(same_type(ctgrad::sin(0_c), 0_c) && same_type(ctgrad::cos(0_c), 1_c) && same_type(ctgrad::tanh(0_c), 0_c));
static_assert(same_type(ctgrad::atan(0_c), 0_c) && same_type(ctgrad::log1p(0_c), 0_c) && same_type(ctgrad::expm1(0_c), 0_c));
static_assert(same_type(ctgrad::sigmoid(0_c), ctgrad::c<1, 2>));
// A value that is not a rational constant stays a node: softplus(0) = log 2.
static_assert(std::is_same_v<decltype(ctgrad::softplus(0_c)), ctgrad::node<ctgrad::softplus_tag, ctgrad::zero_t>>);
static_assert(same_type(ctgrad::max(a, a), a));
static_assert(same_type(ctgrad::select(a < b, y, y), y));

// ---- derivative rules (shapes; values are checked by the finite-difference laws) ----
static_assert(same_type(ctgrad::d(ctgrad::exp(a), a), ctgrad::exp(a)));
static_assert(same_type(ctgrad::d(ctgrad::log(a), a), 1_c / a));
static_assert(same_type(ctgrad::d(ctgrad::sin(a), a), ctgrad::cos(a)));
static_assert(same_type(ctgrad::d(ctgrad::cos(a), a), -ctgrad::sin(a)));
static_assert(same_type(ctgrad::d(ctgrad::pow<-3>(a), a), ctgrad::c<-3> * ctgrad::pow<-4>(a)));
static_assert(same_type(ctgrad::d(ctgrad::abs(a), a), ctgrad::sign(a)));
static_assert(same_type(ctgrad::d(ctgrad::sign(a), a), 0_c));
static_assert(same_type(ctgrad::d(ctgrad::tanh(a), a), 1_c - ctgrad::square(ctgrad::tanh(a))));
static_assert(same_type(ctgrad::d(ctgrad::atan(a), a), 1_c / (1_c + ctgrad::square(a))));
static_assert(same_type(ctgrad::d(ctgrad::log1p(a), a), 1_c / (1_c + a)));
static_assert(same_type(ctgrad::d(ctgrad::expm1(a), a), ctgrad::exp(a)));
static_assert(same_type(ctgrad::d(ctgrad::pow(a, b), a), b * ctgrad::pow(a, b - 1_c)));
static_assert(same_type(ctgrad::d(ctgrad::pow(a, b), b), ctgrad::pow(a, b) * ctgrad::log(a)));
// An integer constant exponent is the integer pow<N>.
static_assert(same_type(ctgrad::pow(a, 3_c), ctgrad::pow<3>(a)));
static_assert(same_type(ctgrad::d(ctgrad::sigmoid(a), a), ctgrad::sigmoid(a) * (1_c - ctgrad::sigmoid(a))));
static_assert(same_type(ctgrad::d(ctgrad::softplus(a), a), ctgrad::sigmoid(a)));
static_assert(same_type(ctgrad::d(ctgrad::max(a, b), a), ctgrad::select(a >= b, 1_c, 0_c)));
static_assert(same_type(ctgrad::d(ctgrad::min(a, b), b), ctgrad::select(a <= b, 0_c, 1_c)));
static_assert(same_type(ctgrad::d(a * b, a), b));
static_assert(same_type(ctgrad::d(ctgrad::sum(ctgrad::exp(w)), w), ctgrad::exp(w)));
static_assert(same_type(ctgrad::d(ctgrad::dot(w, w), w), 2_c * w));
static_assert(same_type(ctgrad::d(ctgrad::dot(x, a * w), a), ctgrad::dot(x, w)));
// A vector's elements sharing one derivative: n of them.
static_assert(same_type(ctgrad::d(ctgrad::sum(x + a), a), ctgrad::detail::make_size(x + a)));
// Something that does not contain the symbol has derivative 0.
static_assert(same_type(ctgrad::d(loss, a), 0_c));
// Third order composes.
static_assert(same_type(ctgrad::d(ctgrad::d(ctgrad::d(ctgrad::pow<4>(a), a), a), a), 24_c * a));

// ---- by a vector, through a scalar subtree of a reduction's body (symbolic/freeze.hpp) ----
constexpr ctgrad::param_vec<"v"> v;
constexpr ctgrad::input_vec<"u"> u;
// The Hessian-vector product of the d2l loss: d(dot((dot(x, w) + b - y) * x, v), w). The
// residual is a scalar inside the body that depends on w; its chain term is
// dot(x, v) * d(residual, w) = dot(x, v) * x, and the term with the residual held fixed is 0.
constexpr auto hvp = ctgrad::d(ctgrad::dot(d_loss_w, v), w);
static_assert(same_type(hvp, ctgrad::dot(x, v) * x));
static_assert(same_type(ctgrad::d(ctgrad::dot(d_loss_w, u), w), ctgrad::dot(x, u) * x)); // direction an input
static_assert(same_type(ctgrad::d(ctgrad::dot(d_loss_w, v), b), ctgrad::dot(x, v)));
// A w-dependent scalar multiplying a vector: the fixed part, then the chain term.
static_assert(same_type(ctgrad::d(ctgrad::sum(w * ctgrad::dot(x, w)), w), ctgrad::dot(x, w) + ctgrad::sum(w) * x));
// One subtree twice is one chain term (2 * ...); a subtree the body has not got, none.
static_assert(same_type(ctgrad::d(ctgrad::sum(x * ctgrad::square(ctgrad::dot(x, w))), w),
                        2_c * (ctgrad::sum(x) * (ctgrad::dot(x, w) * x))));
static_assert(same_type(ctgrad::d(ctgrad::dot(x * ctgrad::dot(x, w), x * ctgrad::dot(x, w)), w),
                        2_c * ctgrad::dot(x, x * ctgrad::dot(x, w)) * x));
// dot(u, u) by a scalar: one term, twice.
static_assert(same_type(ctgrad::d(ctgrad::dot(x * a, x * a), a), 2_c * ctgrad::dot(x, x * a)));
// A condition that depends on w is not differentiated (select's rule), only the branches.
static_assert(same_type(ctgrad::d(ctgrad::sum(ctgrad::select(ctgrad::dot(x, w) > a, w * b, x)), w),
                        ctgrad::select(ctgrad::dot(x, w) > a, b, 0_c)));
// No placeholder escapes: the results are ordinary expressions.
static_assert(!ctgrad::detail::has_frozen_v<std::remove_cvref_t<decltype(hvp)>>);

// ---- grad ----
constexpr auto partials = ctgrad::grad(loss, w, b);
static_assert(hana::length(partials) == hana::size_c<2>);
static_assert(same_type(hana::at_c<0>(partials), d_loss_w));
static_assert(same_type(hana::at_c<1>(partials), d_loss_b));

// ---- symbols ----
static_assert(std::is_same_v<ctgrad::param<"b">, std::remove_const_t<decltype(b)>>);
static_assert(!std::is_same_v<ctgrad::param<"b">, ctgrad::input<"b">>);
static_assert(ctgrad::symbolic<decltype(w)> && !ctgrad::symbolic<decltype(loss)>);

} // namespace

BOOST_AUTO_TEST_CASE(d2l_loss_prints_like_the_book) {
    BOOST_TEST(ctgrad::to_string(loss) == "square(dot(x, w) + b - y) / 2");
    BOOST_TEST(ctgrad::to_string(d_loss_b) == "dot(x, w) + b - y");
    BOOST_TEST(ctgrad::to_string(d_loss_w) == "(dot(x, w) + b - y) * x");
    BOOST_TEST(ctgrad::to_string(d2_loss_b) == "1");
}

BOOST_AUTO_TEST_CASE(second_derivatives_print_like_the_math) {
    BOOST_TEST(ctgrad::to_string(hvp) == "dot(x, v) * x");
    BOOST_TEST(ctgrad::to_string(ctgrad::d(ctgrad::sum(w * ctgrad::dot(x, w)), w)) == "dot(x, w) + sum(w) * x");
    // Runtime numbers: two subtrees of one type, one chain term each (their values differ).
    const auto e = ctgrad::sum(w * (0.5 * ctgrad::dot(x, w)) + x * (0.25 * ctgrad::dot(x, w)));
    BOOST_TEST(ctgrad::to_string(ctgrad::d(e, w)) == "0.5 * dot(x, w) + sum(w) * 0.5 * x + sum(x) * 0.25 * x");
}

BOOST_AUTO_TEST_CASE(printing_uses_minimal_parentheses) {
    BOOST_TEST(ctgrad::to_string(a - (b - y)) == "a - (b - y)");
    BOOST_TEST(ctgrad::to_string((a - b) - y) == "a - b - y");
    BOOST_TEST(ctgrad::to_string(a + (b + y)) == "a + b + y");
    BOOST_TEST(ctgrad::to_string(a / (b * y)) == "a / (b * y)");
    BOOST_TEST(ctgrad::to_string((a / b) * y) == "a / b * y");
    BOOST_TEST(ctgrad::to_string((a + b) * (a - b)) == "(a + b) * (a - b)");
    BOOST_TEST(ctgrad::to_string(-(a + b)) == "-(a + b)");
    BOOST_TEST(ctgrad::to_string(-ctgrad::exp(a)) == "-exp(a)");
    BOOST_TEST(ctgrad::to_string(a * -b) == "-(a * b)");
    BOOST_TEST(ctgrad::to_string(ctgrad::c<1, 2> * a) == "1/2 * a");
    BOOST_TEST(ctgrad::to_string(a / ctgrad::c<1, 2>) == "2 * a");
    BOOST_TEST(ctgrad::to_string(ctgrad::pow<-3>(a + b)) == "pow(a + b, -3)");
    BOOST_TEST(ctgrad::to_string(ctgrad::select(a < b, a, b)) == "select(a < b, a, b)");
    BOOST_TEST(ctgrad::to_string(ctgrad::sum(ctgrad::square(w - x))) == "sum(square(w - x))");
    BOOST_TEST(ctgrad::to_string(ctgrad::d(ctgrad::sqrt(a), a)) == "1 / (2 * sqrt(a))");
}

BOOST_AUTO_TEST_CASE(runtime_numbers_are_leaves_that_are_not_merged) {
    // 0.75 and 0.5 are values, not types: 0.75 * a - 0.5 * a must not be folded as like terms.
    const auto e = 0.75 * a - 0.5 * a;
    BOOST_TEST(ctgrad::to_string(e) == "0.75 * a - 0.5 * a");
    BOOST_TEST(ctgrad::eval(e, a = 2.0) == 0.5);
    BOOST_TEST(ctgrad::eval(ctgrad::d(e, a), a = 2.0) == 0.25);
    BOOST_TEST(ctgrad::to_string(a + -1.5) == "a + (-1.5)");
    static_assert(!std::is_empty_v<decltype(e)>);
}

BOOST_AUTO_TEST_CASE(symbol_names_come_from_their_type) {
    constexpr ctgrad::param<"temperature"> temperature;
    BOOST_TEST(ctgrad::to_string(temperature * 2_c) == "2 * temperature");
    BOOST_TEST(ctgrad::to_string(ctgrad::d(ctgrad::log(temperature), temperature)) == "1 / temperature");
}
