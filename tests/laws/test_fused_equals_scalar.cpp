// The fused SIMD kernel against the scalar reference: for expressions covering every op,
// at random batch sizes m in [1, 300] (so every remainder modulo the SIMD width, and the
// scalar tail) and feature counts d in [1, 70], value_and_grad's mean loss and mean
// gradients equal the mean of eval() over the examples: within 1e-12 (double) and 1e-5
// (float), relative to the mean magnitude of the summed terms (the scale a mean is
// accurate to). Built twice by Meson: for the baseline architecture and with -march=native.
#define BOOST_TEST_MODULE ctgrad_fused_equals_scalar
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include <ctgrad/ctgrad.hpp>
#include <ctgrad/eval/fused.hpp>

#include <algorithm>
#include <cmath>
#include <random>
#include <sstream>
#include <string>

using namespace ctgrad::literals;

namespace {

constexpr ctgrad::input_vec<"x"> x;
constexpr ctgrad::input<"y"> y;
constexpr ctgrad::param_vec<"w"> w;
constexpr ctgrad::param<"b"> b;
constexpr ctgrad::param<"a"> a;

constexpr auto residual = ctgrad::dot(x, w) + b - y;

template <class T>
struct problem {
    std::size_t m, d;
    xt::xtensor<T, 2> X; // feature-major, d x m
    xt::xtensor<T, 1> Y;
    ctgrad::parameter_store<T, std::remove_const_t<decltype(w)>, std::remove_const_t<decltype(b)>,
                            std::remove_const_t<decltype(a)>>
        params;
};

template <class T>
problem<T> random_problem(std::mt19937_64& rng) {
    std::uniform_int_distribution<std::size_t> m_dist(1, 300), d_dist(1, 70);
    std::normal_distribution<double> normal(0.0, 1.0);
    std::uniform_real_distribution<double> positive(0.5, 2.0);
    problem<T> p{m_dist(rng), d_dist(rng), {}, {}, {}};
    p.X = xt::xtensor<T, 2>::from_shape({p.d, p.m});
    p.Y = xt::xtensor<T, 1>::from_shape({p.m});
    for (auto& v : p.X) v = static_cast<T>(normal(rng));
    for (auto& v : p.Y) v = static_cast<T>(positive(rng));
    xt::xtensor<T, 1> w0 = xt::xtensor<T, 1>::from_shape({p.d});
    for (auto& v : w0) v = static_cast<T>(0.5 * normal(rng) / std::sqrt(double(p.d)));
    p.params = ctgrad::make_parameters<T>(w = w0, b = positive(rng) / 2, a = positive(rng));
    return p;
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

template <class T, class Loss>
void check_once(const std::string& name, const Loss& loss, std::mt19937_64& rng) {
    problem<T> p = random_problem<T>(rng);
    const auto batch = ctgrad::make_batch(x = p.X, y = p.Y);
    auto grads = p.params.zeros_like();
    const T fused = ctgrad::value_and_grad(loss, p.params, batch, grads);
    const T loss_only = ctgrad::value(loss, p.params, batch);

    mean_and_scale ref_loss, ref_b, ref_a;
    std::vector<mean_and_scale> ref_w(p.d);
    xt::xtensor<T, 1> xi = xt::xtensor<T, 1>::from_shape({p.d});
    const auto& W = p.params[w];
    const T B = p.params[b], A = p.params[a];
    for (std::size_t i = 0; i < p.m; ++i) {
        for (std::size_t j = 0; j < p.d; ++j) xi(j) = p.X(j, i);
        const T yi = p.Y(i);
        ref_loss.add(ctgrad::eval(loss, x = xi, y = yi, w = W, b = B, a = A));
        ref_b.add(ctgrad::eval(ctgrad::d(loss, b), x = xi, y = yi, w = W, b = B, a = A));
        ref_a.add(ctgrad::eval(ctgrad::d(loss, a), x = xi, y = yi, w = W, b = B, a = A));
        const auto g_w = ctgrad::eval(ctgrad::d(loss, w), x = xi, y = yi, w = W, b = B, a = A);
        for (std::size_t j = 0; j < p.d; ++j) {
            if constexpr (std::is_arithmetic_v<std::remove_cvref_t<decltype(g_w)>>) ref_w[j].add(g_w); // broadcast
            else ref_w[j].add(g_w(j));
        }
    }
    ref_loss.finish(p.m); ref_b.finish(p.m); ref_a.finish(p.m);
    for (auto& r : ref_w) r.finish(p.m);

    std::ostringstream where;
    where << name << " <" << (std::is_same_v<T, float> ? "float" : "double") << "> m=" << p.m << " d=" << p.d;
    const double tol = tolerance<T>();
    expect_close(fused, ref_loss, tol, where.str() + " loss");
    expect_close(loss_only, ref_loss, tol, where.str() + " value()");
    expect_close(grads[b], ref_b, tol, where.str() + " d/db");
    expect_close(grads[a], ref_a, tol, where.str() + " d/da");
    BOOST_REQUIRE_EQUAL(grads[w].size(), p.d);
    for (std::size_t j = 0; j < p.d; ++j) expect_close(grads[w](j), ref_w[j], tol, where.str() + " d/dw[" + std::to_string(j) + "]");
}

template <class Loss>
void check_law(const std::string& name, const Loss& loss) {
    std::mt19937_64 rng(std::hash<std::string>{}(name));
    for (int round = 0; round < 12; ++round) {
        check_once<double>(name, loss, rng);
        check_once<float>(name, loss, rng);
    }
}

} // namespace

BOOST_AUTO_TEST_CASE(d2l_squared_loss) { check_law("d2l", ctgrad::square(residual) / 2_c); }

BOOST_AUTO_TEST_CASE(huber_with_select_abs_comparison) {
    check_law("huber", ctgrad::select(ctgrad::abs(residual) <= 1_c, ctgrad::square(residual) / 2_c,
                                      ctgrad::abs(residual) - ctgrad::c<1, 2>));
}

BOOST_AUTO_TEST_CASE(logistic_with_sigmoid_and_log) {
    const auto z = ctgrad::dot(x, w) + b;
    const auto label = y - 1_c; // in [-0.5, 1]: a soft label
    check_law("logistic", -(label * ctgrad::log(ctgrad::sigmoid(z)) + (1_c - label) * ctgrad::log(1_c - ctgrad::sigmoid(z))));
}

BOOST_AUTO_TEST_CASE(trigonometric_and_tanh) {
    check_law("trig", a * ctgrad::sum(ctgrad::tanh(x * w + b)) + ctgrad::sin(b * y) * ctgrad::cos(a + y));
}

BOOST_AUTO_TEST_CASE(atan_log1p_expm1_real_pow) {
    // y and a lie in [0.5, 2] and b in [0.25, 1]: positive bases and log1p arguments above -1.
    check_law("atan_log1p_expm1_pow", a * ctgrad::sum(ctgrad::atan(x * w + b)) + ctgrad::log1p(y * b - 0.5 * b) +
                                          ctgrad::expm1(-(a * y)) + ctgrad::pow(y, a) * b + ctgrad::pow(y + b, 1.5));
}

BOOST_AUTO_TEST_CASE(sqrt_pow_min_max) {
    check_law("sqrt_pow_min_max", ctgrad::sqrt(ctgrad::square(ctgrad::dot(x, w) - y) + 1_c) + ctgrad::pow<-2>(a + 3_c) +
                                      ctgrad::pow<3>(b) * y + ctgrad::max(b, y) - ctgrad::min(a, y));
}

BOOST_AUTO_TEST_CASE(runtime_numbers_and_a_hoisted_penalty) {
    // 0.25 and 0.75 are runtime numbers; sum(square(w)) and exp(a) depend on no input.
    check_law("penalty", ctgrad::exp(-ctgrad::square(y - b)) * a + 0.25 * ctgrad::sum(ctgrad::square(w)) +
                             0.75 * ctgrad::exp(a) - 0.25 * a);
}

BOOST_AUTO_TEST_CASE(no_vector_input_planck_like) {
    check_law("planck", ctgrad::pow<-5>(y) / (ctgrad::exp(a / y) - 1_c) * b);
}

BOOST_AUTO_TEST_CASE(sign_division_and_sum_of_broadcast) {
    check_law("division", ctgrad::dot(x, w) / (1_c + ctgrad::sum(ctgrad::square(x))) - y / b +
                              ctgrad::sign(ctgrad::dot(x, w)) * ctgrad::sum(x + a) + ctgrad::sum(w) * a);
}

BOOST_AUTO_TEST_CASE(element_wise_vectors_inside_reductions) {
    check_law("elementwise", ctgrad::sum(ctgrad::exp(-ctgrad::abs(x - w)) * ctgrad::sigmoid(w * y)) +
                                 ctgrad::dot(ctgrad::select(x > 0_c, x, 0_c), w) * a);
}
