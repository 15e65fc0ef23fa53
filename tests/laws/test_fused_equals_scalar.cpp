// The fused SIMD kernel against the scalar reference: for every op of ctgrad::ops (its losses
// are in op_cases.hpp) and for losses that combine ops, at random batch sizes m in [1, 300] (so every remainder modulo the SIMD width, and the
// scalar tail) and feature counts d in [1, 70], value_and_grad's mean loss and mean
// gradients equal the mean of eval() over the examples: within 1e-12 (double) and 1e-5
// (float), relative to the mean magnitude of the summed terms (the scale a mean is
// accurate to). The combined losses are checked with the batch in both layouts: feature-major
// and example-major rows (eval/row_kernel.hpp). Built twice by Meson: for the baseline
// architecture and with -march=native.
#define BOOST_TEST_MODULE ctgrad_fused_equals_scalar
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include "op_cases.hpp"

#include <ctgrad/ctgrad.hpp>
#include <ctgrad/eval/fused.hpp>

#include <xtensor/xmanipulation.hpp>

#include <algorithm>
#include <cmath>
#include <random>
#include <sstream>
#include <string>

using namespace ctgrad::literals;

namespace {

using fd_law::a;
using fd_law::p;
using fd_law::w;
using fd_law::x;
using fd_law::y;

constexpr auto residual = ctgrad::dot(x, w) + p - y;

template <class T>
struct problem {
    std::size_t m, d;
    xt::xtensor<T, 2> X; // feature-major, d x m
    xt::xtensor<T, 2> rows; // the same numbers example-major, m x d
    xt::xtensor<T, 1> Y;
    ctgrad::parameter_store<T, std::remove_const_t<decltype(w)>, std::remove_const_t<decltype(p)>,
                            std::remove_const_t<decltype(a)>>
        params;
};

template <class T>
problem<T> random_problem(std::mt19937_64& rng) {
    std::uniform_int_distribution<std::size_t> m_dist(1, 300), d_dist(1, 70);
    std::normal_distribution<double> normal(0.0, 1.0);
    std::uniform_real_distribution<double> positive(0.5, 2.0);
    problem<T> q{m_dist(rng), d_dist(rng), {}, {}, {}, {}};
    q.X = xt::xtensor<T, 2>::from_shape({q.d, q.m});
    q.Y = xt::xtensor<T, 1>::from_shape({q.m});
    for (auto& v : q.X) v = static_cast<T>(normal(rng));
    q.rows = xt::transpose(q.X);
    for (auto& v : q.Y) v = static_cast<T>(positive(rng));
    xt::xtensor<T, 1> w0 = xt::xtensor<T, 1>::from_shape({q.d});
    for (auto& v : w0) v = static_cast<T>(0.5 * normal(rng) / std::sqrt(double(q.d)));
    q.params = ctgrad::make_parameters<T>(w = w0, p = positive(rng) / 2, a = positive(rng));
    return q;
}

/// Mean of |terms| and mean of terms, accumulated in double.
struct mean_and_scale {
    double mean = 0, scale = 0;
    void add(double v) { mean += v; scale += std::abs(v); }
    void finish(std::size_t m) { mean /= double(m); scale /= double(m); }
};

template <class T>
double tolerance() { return std::is_same_v<T, float> ? 1e-5 : 1e-12; }

void expect_close(double fused, const mean_and_scale& ref, double tol, const std::string& what) {
    const double error = std::abs(fused - ref.mean);
    const double allowed = tol * std::max(ref.scale, 1e-30);
    BOOST_TEST(error <= allowed, what << ": fused " << fused << " vs scalar " << ref.mean << " (scale " << ref.scale
                                      << ", error " << error << " > " << allowed << ")");
}

/// Which entry points a law checks: the combined losses check value() too.
enum class entry_points { value_and_grad, also_value };

template <class T, entry_points Entries, class Loss>
void check_once(const std::string& name, const Loss& loss, std::mt19937_64& rng) {
    problem<T> q = random_problem<T>(rng);
    const auto batch = ctgrad::make_batch(x = q.X, y = q.Y);
    auto grads = q.params.zeros_like();
    const T fused = ctgrad::value_and_grad(loss, q.params, batch, grads);

    mean_and_scale ref_loss, ref_p, ref_a;
    std::vector<mean_and_scale> ref_w(q.d);
    xt::xtensor<T, 1> xi = xt::xtensor<T, 1>::from_shape({q.d});
    const auto& W = q.params[w];
    const T P = q.params[p], A = q.params[a];
    for (std::size_t i = 0; i < q.m; ++i) {
        for (std::size_t j = 0; j < q.d; ++j) xi(j) = q.X(j, i);
        const T yi = q.Y(i);
        ref_loss.add(ctgrad::eval(loss, x = xi, y = yi, w = W, p = P, a = A));
        ref_p.add(ctgrad::eval(ctgrad::d(loss, p), x = xi, y = yi, w = W, p = P, a = A));
        ref_a.add(ctgrad::eval(ctgrad::d(loss, a), x = xi, y = yi, w = W, p = P, a = A));
        const auto g_w = ctgrad::eval(ctgrad::d(loss, w), x = xi, y = yi, w = W, p = P, a = A);
        for (std::size_t j = 0; j < q.d; ++j) {
            if constexpr (std::is_arithmetic_v<std::remove_cvref_t<decltype(g_w)>>) ref_w[j].add(g_w); // broadcast
            else ref_w[j].add(g_w(j));
        }
    }
    ref_loss.finish(q.m); ref_p.finish(q.m); ref_a.finish(q.m);
    for (auto& r : ref_w) r.finish(q.m);

    std::ostringstream where;
    where << name << " <" << (std::is_same_v<T, float> ? "float" : "double") << "> m=" << q.m << " d=" << q.d;
    const double tol = tolerance<T>();
    const auto expect_all = [&](T loss_value, const auto& g, const std::string& at) {
        expect_close(loss_value, ref_loss, tol, at + " loss");
        expect_close(g[p], ref_p, tol, at + " d/dp");
        expect_close(g[a], ref_a, tol, at + " d/da");
        BOOST_REQUIRE_EQUAL(g[w].size(), q.d);
        for (std::size_t j = 0; j < q.d; ++j) expect_close(g[w](j), ref_w[j], tol, at + " d/dw[" + std::to_string(j) + "]");
    };
    expect_all(fused, grads, where.str());
    if constexpr (Entries == entry_points::also_value) {
        expect_close(ctgrad::value(loss, q.params, batch), ref_loss, tol, where.str() + " value()");
        const auto rows = ctgrad::make_batch(x = ctgrad::example_major(q.rows), y = q.Y);
        auto row_grads = q.params.zeros_like();
        const T row_loss = ctgrad::value_and_grad(loss, q.params, rows, row_grads);
        expect_all(row_loss, row_grads, where.str() + " example-major");
        expect_close(ctgrad::value(loss, q.params, rows), ref_loss, tol, where.str() + " example-major value()");
    }
}

template <entry_points Entries = entry_points::also_value, class Loss>
void check_law(const std::string& name, const Loss& loss) {
    std::mt19937_64 rng(std::hash<std::string>{}(name));
    for (int round = 0; round < 12; ++round) {
        check_once<double, Entries>(name, loss, rng);
        check_once<float, Entries>(name, loss, rng);
    }
}

} // namespace

// Every op of ctgrad::ops, from its entry in op_cases.hpp.
BOOST_AUTO_TEST_CASE_TEMPLATE(op, Tag, fd_law::all_ops) {
    static_assert(fd_law::has_op_case<Tag>, "an op without a case: give it an op_case in tests/laws/op_cases.hpp");
    // value_and_grad only: value() runs the same per-op code, and each entry point costs compile time.
    fd_law::op_case<Tag>::fused(
        [](const std::string& name, const auto& loss) { check_law<entry_points::value_and_grad>(name, loss); });
}

// Losses that combine ops: shared subexpressions, terms hoisted out of the loop (they read no
// input), runtime numbers, and a model without a vector input.
BOOST_AUTO_TEST_CASE(d2l_squared_loss) { check_law("d2l", ctgrad::square(residual) / 2_c); }

BOOST_AUTO_TEST_CASE(logistic_with_sigmoid_and_log) {
    const auto z = ctgrad::dot(x, w) + p;
    const auto label = y - 1_c; // in [-0.5, 1]: a soft label
    check_law("logistic", -(label * ctgrad::log(ctgrad::sigmoid(z)) + (1_c - label) * ctgrad::log(1_c - ctgrad::sigmoid(z))));
}

BOOST_AUTO_TEST_CASE(runtime_numbers_and_a_hoisted_penalty) {
    // 0.25 and 0.75 are runtime numbers; sum(square(w)) and exp(a) depend on no input.
    check_law("penalty", ctgrad::exp(-ctgrad::square(y - p)) * a + 0.25 * ctgrad::sum(ctgrad::square(w)) +
                             0.75 * ctgrad::exp(a) - 0.25 * a);
}

BOOST_AUTO_TEST_CASE(no_vector_input_planck_like) {
    check_law("planck", ctgrad::pow<-5>(y) / (ctgrad::exp(a / y) - 1_c) * p);
}

BOOST_AUTO_TEST_CASE(sum_of_broadcast_and_a_division_by_a_reduction) {
    check_law("division", ctgrad::dot(x, w) / (1_c + ctgrad::sum(ctgrad::square(x))) - y / p +
                              ctgrad::sign(ctgrad::dot(x, w)) * ctgrad::sum(x + a) + ctgrad::sum(w) * a);
}

BOOST_AUTO_TEST_CASE(element_wise_vectors_inside_reductions) {
    check_law("elementwise", ctgrad::sum(ctgrad::exp(-ctgrad::abs(x - w)) * ctgrad::sigmoid(w * y)) +
                                 ctgrad::dot(ctgrad::select(x > 0_c, x, 0_c), w) * a);
}
