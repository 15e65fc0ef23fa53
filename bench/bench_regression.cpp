// bench/bench_regression.cpp: the "regression" objective of the AD benchmark suite
// ADBenchmark (JamesYang007/ADBenchmark, benchmark/functor/regression.hpp): the log density
// of a Bayesian linear regression,
//   f(w, b, σ) = Σ_i [ -(y_i - x_i·w - b)² / (2σ²) - log σ ] - ½‖w‖² - ½b² - log(9.9)
// (a normal likelihood, standard normal priors on w and b, a uniform prior on σ over
// [0.1, 10]), with X a 1000 x N matrix and y of length 1000, uniform in [-1, 1] as the suite
// fills them, w and b uniform in [-1, 1], σ = 0.1 + |U(-1, 1)|, and N in {10, 50, 150, 500}.
// The data are stored feature-major (X(j, i) is feature j of example i), as ctgrad's batch
// reads them, and every hand-written version reads the same arrays. In
//   ctgrad_value_and_grad  ctgrad::value_and_grad of the per-example term below: f / m and
//                          its gradient by (w, b, σ), divided by m, in one fused pass
//   ctgrad_value           ctgrad::value of the same term: f / m
//   hand_grad_two_pass     f and its analytic gradient: residuals r = y - Xw - b by axpy
//                          sweeps over the features (8 rows per sweep over r, which stays
//                          in L1), then X'r as dot products (8 rows at a time)
//   hand_grad_blocked4, 8, 16
//                          one pass over blocks of 4, 8 or 16 SIMD lane groups of examples:
//                          the block's residuals (at least 8 independent FMA chains), then
//                          each feature's row again while it is in L1 / L2, into lane-wise
//                          sums per feature that are summed across lanes at the end
//   hand_grad_blocked4_transposed
//                          blocks of 4 lane groups, each block's products of 8 features
//                          summed across lanes at once by a transposing reduction and added
//                          straight into the gradient (the shape of ctgrad's kernel)
//   hand_value_two_pass, hand_value_blocked4, 8, 16
//                          f alone, the same ways
// The fastest hand-written gradient and value at each N are the baselines.
//
// Counters (every row of one N carries the same ones):
//   grad_vs_hand        ctgrad's value+grad time over the best hand-written gradient's
//                       (target <= 1.0)
//   grad_over_value     ctgrad's value+grad time over ctgrad's value time (target <= 2.0)
//   grad_over_hand_value ctgrad's value+grad time over the best hand-written value's
//   vs_best_hand_grad   this row's time over the best hand-written gradient's
// The times behind the ratios are measured in this process before the benchmarks run, all
// variants of one N interleaved sample by sample, each the best of its samples (docs/design.md, "Measuring"):
// on a shared machine a load spike then hits every variant, not one.
//
// Before anything is timed, ctgrad's value and gradient and every hand-written version's
// must equal a plain scalar loop's within 1e-10 of the magnitude of the summed terms (for
// the value: of f; for a component: Σ_i |term_i| plus the prior's term); a mismatch aborts
// the binary with a message.

#include <ctgrad/ctgrad.hpp>
#include <ctgrad/simd/simd.hpp> // xsimd, with g++'s AVX-512 header warnings silenced

#include "splitmix.hpp"

#include <benchmark/benchmark.h>

#include <xtensor/xtensor.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace {

using namespace ctgrad::literals;

constexpr ctgrad::input_vec<"x"> x;
constexpr ctgrad::input<"y"> y;
constexpr ctgrad::param_vec<"w"> w;
constexpr ctgrad::param<"b"> b;
constexpr ctgrad::param<"sigma"> sigma;

constexpr std::size_t examples = 1000; // the suite's row count
const double log_sigma_prior_width = std::log(10.0 - 0.1); // σ's prior: uniform on [0.1, 10]

// One example's share of f: its log likelihood, plus 1/m of the priors, so that m times the
// batch mean (what value_and_grad returns) is f. The priors depend on no input: value_and_grad
// computes them and their gradient (-w/m, -b/m) once per call, and takes -1/(2σ²) out of the
// sum over examples, so per example it computes only dot(x, w), the residual and its square
// (eval/summed_form.hpp; pinned in tests/test_fused.cpp).
constexpr auto residual = y - ctgrad::dot(x, w) - b;
constexpr auto log_likelihood = -ctgrad::square(residual) / (2_c * ctgrad::square(sigma)) - ctgrad::log(sigma);
auto objective(std::size_t m) {
    const auto log_prior = -(ctgrad::sum(ctgrad::square(w)) + ctgrad::square(b)) / 2_c - log_sigma_prior_width;
    return log_likelihood + log_prior / double(m);
}

using V = ctgrad::simd::batch<double>;
constexpr std::size_t lanes = V::size;
using clock_type = std::chrono::steady_clock;

[[noreturn]] void fail(const std::string& message) {
    std::fprintf(stderr, "bench_regression: %s\n", message.c_str());
    std::fflush(stderr);
    std::abort();
}

// ---------------------------------------------------------------------------------------
// The problem and the hand-written versions.

/// The value and gradient of f (totals, not means).
struct objective_and_gradient {
    double value = 0;
    std::vector<double> gw;
    double gb = 0, gsigma = 0;
};

struct problem {
    std::size_t n = 0, m = 0; // features, examples
    xt::xtensor<double, 2> X; // (n, m), feature-major
    xt::xtensor<double, 1> Y;
    std::vector<double> wv;
    double bv = 0, sigmav = 1;
    // Scratch the hand-written versions reuse: residuals, lane-wise gradient sums.
    std::vector<double> r;
    std::vector<double, xsimd::aligned_allocator<double>> lane_sums;
};

/// The reference: one example at a time, with the magnitude of every sum's terms, against
/// which a result is "equal" (a sum in another order differs by rounding relative to that).
objective_and_gradient reference(const problem& p, objective_and_gradient& magnitude) {
    objective_and_gradient out;
    out.gw.assign(p.n, 0.0);
    magnitude.gw.assign(p.n, 0.0);
    const double inv_var = 1 / (p.sigmav * p.sigmav);
    double sum_rr = 0, sum_r = 0, mag_r = 0;
    for (std::size_t i = 0; i < p.m; ++i) {
        double dot = 0;
        for (std::size_t j = 0; j < p.n; ++j) dot += p.X(j, i) * p.wv[j];
        const double r = p.Y(i) - dot - p.bv;
        sum_rr += r * r;
        sum_r += r;
        mag_r += std::abs(r);
        for (std::size_t j = 0; j < p.n; ++j) {
            out.gw[j] += r * p.X(j, i) * inv_var;
            magnitude.gw[j] += std::abs(r * p.X(j, i) * inv_var);
        }
    }
    double w_squared = 0;
    for (std::size_t j = 0; j < p.n; ++j) {
        w_squared += p.wv[j] * p.wv[j];
        out.gw[j] -= p.wv[j];
        magnitude.gw[j] += std::abs(p.wv[j]);
    }
    const double m = double(p.m), log_sigma = std::log(p.sigmav);
    out.value = -sum_rr * inv_var / 2 - m * log_sigma - w_squared / 2 - p.bv * p.bv / 2 - log_sigma_prior_width;
    magnitude.value = sum_rr * inv_var / 2 + m * std::abs(log_sigma) + w_squared / 2 + p.bv * p.bv / 2 + log_sigma_prior_width;
    out.gb = sum_r * inv_var - p.bv;
    magnitude.gb = mag_r * inv_var + std::abs(p.bv);
    out.gsigma = sum_rr * inv_var / p.sigmav - m / p.sigmav;
    magnitude.gsigma = sum_rr * inv_var / p.sigmav + m / p.sigmav;
    return out;
}

/// f from the sums over examples of r and r²; the gradient by b and σ likewise.
double finish_scalars(const problem& p, double sum_r, double sum_rr, double& gb, double& gsigma) {
    const double inv_var = 1 / (p.sigmav * p.sigmav), m = double(p.m);
    double w_squared = 0;
    for (double v : p.wv) w_squared += v * v;
    gb = sum_r * inv_var - p.bv;
    gsigma = sum_rr * inv_var / p.sigmav - m / p.sigmav;
    return -sum_rr * inv_var / 2 - m * std::log(p.sigmav) - w_squared / 2 - p.bv * p.bv / 2 - log_sigma_prior_width;
}

/// r = y - Xw - b, sweeping r (which stays in L1) once per `Sweep` features: each sweep
/// loads and stores r once for Sweep rows of X.
template <std::size_t Sweep>
void residuals_by_axpy(const problem& p, double* r) {
    const double* X = p.X.data();
    const std::size_t m = p.m, n = p.n, whole = m - m % lanes;
    for (std::size_t i = 0; i < whole; i += lanes) (V::load_unaligned(p.Y.data() + i) - V(p.bv)).store_unaligned(r + i);
    for (std::size_t i = whole; i < m; ++i) r[i] = p.Y(i) - p.bv;
    std::size_t j = 0;
    for (; j + Sweep <= n; j += Sweep) {
        std::array<V, Sweep> wj;
        for (std::size_t f = 0; f < Sweep; ++f) wj[f] = V(p.wv[j + f]);
        for (std::size_t i = 0; i < whole; i += lanes) {
            V acc = V::load_unaligned(r + i);
            for (std::size_t f = 0; f < Sweep; ++f) acc = xsimd::fnma(wj[f], V::load_unaligned(X + (j + f) * m + i), acc);
            acc.store_unaligned(r + i);
        }
        for (std::size_t i = whole; i < m; ++i)
            for (std::size_t f = 0; f < Sweep; ++f) r[i] -= p.wv[j + f] * X[(j + f) * m + i];
    }
    for (; j < n; ++j)
        for (std::size_t i = 0; i < m; ++i) r[i] -= p.wv[j] * X[j * m + i];
}

void sums_of_residuals(const double* r, std::size_t m, double& sum_r, double& sum_rr) {
    const std::size_t whole = m - m % lanes;
    V s(0.0), ss(0.0);
    for (std::size_t i = 0; i < whole; i += lanes) {
        const V ri = V::load_unaligned(r + i);
        s += ri;
        ss = xsimd::fma(ri, ri, ss);
    }
    sum_r = xsimd::hadd(s);
    sum_rr = xsimd::hadd(ss);
    for (std::size_t i = whole; i < m; ++i) {
        sum_r += r[i];
        sum_rr += r[i] * r[i];
    }
}

/// The gradient by w: X'r / σ² - w, `Rows` dot products at a time (Rows independent
/// accumulators hide the FMA latency; r is loaded once for all of them).
template <std::size_t Rows>
void gradient_by_dots(const problem& p, const double* r, double* gw) {
    const double* X = p.X.data();
    const std::size_t m = p.m, n = p.n, whole = m - m % lanes;
    const double inv_var = 1 / (p.sigmav * p.sigmav);
    std::size_t j = 0;
    for (; j + Rows <= n; j += Rows) {
        std::array<V, Rows> acc;
        acc.fill(V(0.0));
        for (std::size_t i = 0; i < whole; i += lanes) {
            const V ri = V::load_unaligned(r + i);
            for (std::size_t f = 0; f < Rows; ++f) acc[f] = xsimd::fma(V::load_unaligned(X + (j + f) * m + i), ri, acc[f]);
        }
        for (std::size_t f = 0; f < Rows; ++f) {
            double total = xsimd::hadd(acc[f]);
            for (std::size_t i = whole; i < m; ++i) total += X[(j + f) * m + i] * r[i];
            gw[j + f] = total * inv_var - p.wv[j + f];
        }
    }
    for (; j < n; ++j) {
        double total = 0;
        for (std::size_t i = 0; i < m; ++i) total += X[j * m + i] * r[i];
        gw[j] = total * inv_var - p.wv[j];
    }
}

double hand_grad_two_pass(problem& p, double* gw, double& gb, double& gsigma) {
    residuals_by_axpy<8>(p, p.r.data());
    double sum_r, sum_rr;
    sums_of_residuals(p.r.data(), p.m, sum_r, sum_rr);
    gradient_by_dots<8>(p, p.r.data(), gw);
    return finish_scalars(p, sum_r, sum_rr, gb, gsigma);
}

double hand_value_two_pass(problem& p) {
    residuals_by_axpy<8>(p, p.r.data());
    double sum_r, sum_rr, gb, gsigma;
    sums_of_residuals(p.r.data(), p.m, sum_r, sum_rr);
    return finish_scalars(p, sum_r, sum_rr, gb, gsigma);
}

/// The residuals of K lane groups of examples from i0: K dot products over the features,
/// features outer so that each row is read contiguously. With fewer than 8 groups each
/// group gets two accumulators (even and odd features): 8 independent FMA chains keep both
/// FMA pipes busy, where K chains would wait on the FMA latency.
template <std::size_t K>
CTGRAD_ALWAYS_INLINE inline std::array<V, K> block_residuals(const problem& p, std::size_t i0) {
    const double* X = p.X.data();
    const std::size_t m = p.m, n = p.n;
    constexpr std::size_t chains = K < 8 ? 2 : 1;
    std::array<std::array<V, K>, chains> acc;
    for (auto& a : acc) a.fill(V(0.0));
    std::size_t j = 0;
    for (; j + chains <= n; j += chains)
        for (std::size_t c = 0; c < chains; ++c) {
            const V wj(p.wv[j + c]);
            for (std::size_t k = 0; k < K; ++k) acc[c][k] = xsimd::fma(V::load_unaligned(X + (j + c) * m + i0 + k * lanes), wj, acc[c][k]);
        }
    for (; j < n; ++j)
        for (std::size_t k = 0; k < K; ++k) acc[0][k] = xsimd::fma(V::load_unaligned(X + j * m + i0 + k * lanes), V(p.wv[j]), acc[0][k]);
    std::array<V, K> r;
    for (std::size_t k = 0; k < K; ++k) {
        V dot = acc[0][k];
        if constexpr (chains == 2) dot += acc[1][k];
        r[k] = V::load_unaligned(p.Y.data() + i0 + k * lanes) - V(p.bv) - dot;
    }
    return r;
}

/// One block of K lane groups: its residuals into the sums of r and r², and (WithGradient)
/// each feature's products with them into that feature's lane-wise sum, read again while
/// the block's rows are still in L1 or L2.
template <std::size_t K, bool WithGradient>
CTGRAD_ALWAYS_INLINE inline void hand_block(const problem& p, std::size_t i0, double* lane_sums, V& sum_r, V& sum_rr) {
    const std::array<V, K> r = block_residuals<K>(p, i0);
    for (std::size_t k = 0; k < K; ++k) {
        sum_r += r[k];
        sum_rr = xsimd::fma(r[k], r[k], sum_rr);
    }
    if constexpr (WithGradient) {
        const double* X = p.X.data();
        for (std::size_t j = 0; j < p.n; ++j) {
            V g = V::load_aligned(lane_sums + j * lanes);
            for (std::size_t k = 0; k < K; ++k) g = xsimd::fma(V::load_unaligned(X + j * p.m + i0 + k * lanes), r[k], g);
            g.store_aligned(lane_sums + j * lanes);
        }
    }
}

/// f and (WithGradient) its gradient in one pass over blocks of K lane groups, then single
/// lane groups, then plain numbers; the gradient is kept lane-wise until the end.
/// The examples from `first` on (fewer than one lane group), one at a time: their residuals
/// added to sum_r and sum_rr and, WithGradient, their gradient terms to gw.
template <bool WithGradient>
void hand_scalar_tail(const problem& p, std::size_t first, double* gw, double& sum_r, double& sum_rr) {
    const double* X = p.X.data();
    const double* Y = p.Y.data();
    const std::size_t m = p.m, n = p.n;
    for (std::size_t i = first; i < m; ++i) {
        double dot = 0;
        for (std::size_t j = 0; j < n; ++j) dot += X[j * m + i] * p.wv[j];
        const double r = Y[i] - p.bv - dot;
        sum_r += r;
        sum_rr += r * r;
        if constexpr (WithGradient)
            for (std::size_t j = 0; j < n; ++j) gw[j] += X[j * m + i] * r;
    }
}

/// gw[j] = (its plain sum + the lane-wise sums of feature j) / sigma^2 - w[j]: the
/// likelihood's part of the gradient, then the prior's.
void hand_finish_gradient(const problem& p, double* gw, const double* lane_sums) {
    const double inv_var = 1 / (p.sigmav * p.sigmav);
    for (std::size_t j = 0; j < p.n; ++j)
        gw[j] = (gw[j] + xsimd::hadd(V::load_aligned(lane_sums + j * lanes))) * inv_var - p.wv[j];
}

template <std::size_t K, bool WithGradient>
double hand_blocked(problem& p, double* gw, double& gb, double& gsigma) {
    const std::size_t m = p.m, n = p.n;
    double* sums = p.lane_sums.data(); // n x lanes
    if constexpr (WithGradient) std::fill(sums, sums + n * lanes, 0.0);
    V sum_r(0.0), sum_rr(0.0);
    std::size_t i0 = 0;
    for (; i0 + K * lanes <= m; i0 += K * lanes) hand_block<K, WithGradient>(p, i0, sums, sum_r, sum_rr);
    for (; i0 + lanes <= m; i0 += lanes) hand_block<1, WithGradient>(p, i0, sums, sum_r, sum_rr);
    double tail_r = 0, tail_rr = 0;
    if constexpr (WithGradient) std::fill(gw, gw + n, 0.0);
    hand_scalar_tail<WithGradient>(p, i0, gw, tail_r, tail_rr);
    if constexpr (WithGradient) hand_finish_gradient(p, gw, sums);
    return finish_scalars(p, xsimd::hadd(sum_r) + tail_r, xsimd::hadd(sum_rr) + tail_rr, gb, gsigma);
}

/// As hand_blocked<4, true>, but each block's gradient goes straight into gw: the products of
/// 8 features (one register each) are summed across lanes together by one transposing
/// reduction (xsimd::haddp) and added to gw[j..j+8); no lane-wise sums in memory.
double hand_blocked4_transposed(problem& p, double* gw, double& gb, double& gsigma) {
    constexpr std::size_t K = 4;
    const double* X = p.X.data();
    const std::size_t m = p.m, n = p.n, whole_features = n - n % lanes;
    double* sums = p.lane_sums.data(); // lane-wise sums of the last n % lanes features only
    std::fill(sums, sums + n * lanes, 0.0);
    std::fill(gw, gw + n, 0.0);
    V sum_r(0.0), sum_rr(0.0);
    std::size_t i0 = 0;
    for (; i0 + K * lanes <= m; i0 += K * lanes) {
        const std::array<V, K> r = block_residuals<K>(p, i0);
        for (std::size_t k = 0; k < K; ++k) {
            sum_r += r[k];
            sum_rr = xsimd::fma(r[k], r[k], sum_rr);
        }
        for (std::size_t j0 = 0; j0 < whole_features; j0 += lanes) {
            std::array<V, lanes> rows;
            for (std::size_t f = 0; f < lanes; ++f) {
                const double* row = X + (j0 + f) * m + i0;
                V t = V::load_unaligned(row) * r[0];
                for (std::size_t k = 1; k < K; ++k) t = xsimd::fma(V::load_unaligned(row + k * lanes), r[k], t);
                rows[f] = t;
            }
            (V::load_unaligned(gw + j0) + xsimd::haddp(rows.data())).store_unaligned(gw + j0);
        }
        for (std::size_t j = whole_features; j < n; ++j) {
            V g = V::load_aligned(sums + j * lanes);
            for (std::size_t k = 0; k < K; ++k) g = xsimd::fma(V::load_unaligned(X + j * m + i0 + k * lanes), r[k], g);
            g.store_aligned(sums + j * lanes);
        }
    }
    for (; i0 + lanes <= m; i0 += lanes) hand_block<1, true>(p, i0, sums, sum_r, sum_rr);
    double tail_r = 0, tail_rr = 0;
    hand_scalar_tail<true>(p, i0, gw, tail_r, tail_rr);
    hand_finish_gradient(p, gw, sums);
    return finish_scalars(p, xsimd::hadd(sum_r) + tail_r, xsimd::hadd(sum_rr) + tail_rr, gb, gsigma);
}

// ---------------------------------------------------------------------------------------
// ctgrad.

using params_t = decltype(ctgrad::make_parameters(w = std::vector<double>{}, b = 0.0, sigma = 1.0));

using batch_t = decltype(ctgrad::make_batch(x = std::declval<const xt::xtensor<double, 2>&>(),
                                            y = std::declval<const xt::xtensor<double, 1>&>()));

struct config {
    problem p;
    decltype(objective(1)) loss = objective(1);
    params_t params, grads;
    std::optional<batch_t> batch; // views of p.X and p.Y, made once
    std::vector<double> hand_gw;  // where the hand-written versions write the gradient by w
    // Best seconds per call of each variant, in the order of `variants` below.
    std::vector<double> best;
};

enum class kind { ctgrad_gradient, ctgrad_value, hand_gradient, hand_value };

/// The timed variants: one call computes f (returned, so that nothing is optimised away)
/// and, for a gradient, the gradient into c.grads (ctgrad) or into the given array.
struct variant {
    const char* name;
    kind what;
    double (*call)(config& c, double* gw, double& gb, double& gsigma);
};

const variant variants[] = {
    {"ctgrad_value_and_grad", kind::ctgrad_gradient,
     [](config& c, double*, double&, double&) { return ctgrad::value_and_grad(c.loss, c.params, *c.batch, c.grads); }},
    {"ctgrad_value", kind::ctgrad_value,
     [](config& c, double*, double&, double&) { return ctgrad::value(c.loss, c.params, *c.batch); }},
    {"hand_grad_two_pass", kind::hand_gradient,
     [](config& c, double* gw, double& gb, double& gs) { return hand_grad_two_pass(c.p, gw, gb, gs); }},
    {"hand_grad_blocked4", kind::hand_gradient,
     [](config& c, double* gw, double& gb, double& gs) { return hand_blocked<4, true>(c.p, gw, gb, gs); }},
    {"hand_grad_blocked8", kind::hand_gradient,
     [](config& c, double* gw, double& gb, double& gs) { return hand_blocked<8, true>(c.p, gw, gb, gs); }},
    {"hand_grad_blocked16", kind::hand_gradient,
     [](config& c, double* gw, double& gb, double& gs) { return hand_blocked<16, true>(c.p, gw, gb, gs); }},
    {"hand_grad_blocked4_transposed", kind::hand_gradient,
     [](config& c, double* gw, double& gb, double& gs) { return hand_blocked4_transposed(c.p, gw, gb, gs); }},
    {"hand_value_two_pass", kind::hand_value,
     [](config& c, double*, double&, double&) { return hand_value_two_pass(c.p); }},
    {"hand_value_blocked4", kind::hand_value,
     [](config& c, double*, double& gb, double& gs) { return hand_blocked<4, false>(c.p, nullptr, gb, gs); }},
    {"hand_value_blocked8", kind::hand_value,
     [](config& c, double*, double& gb, double& gs) { return hand_blocked<8, false>(c.p, nullptr, gb, gs); }},
    {"hand_value_blocked16", kind::hand_value,
     [](config& c, double*, double& gb, double& gs) { return hand_blocked<16, false>(c.p, nullptr, gb, gs); }},
};
constexpr std::size_t variant_count = std::size(variants);

double run_once(config& c, const variant& v) {
    double gb = 0, gs = 0;
    const double f = v.call(c, c.hand_gw.data(), gb, gs);
    return f + gb + gs;
}

void check_close(const char* what, const char* who, std::size_t n, double got, double want, double magnitude) {
    constexpr double tolerance = 1e-10;
    const double err = std::abs(got - want);
    if (!(err <= tolerance * std::max(magnitude, std::abs(want)))) {
        char buffer[512];
        std::snprintf(buffer, sizeof buffer,
                      "%s (N=%zu): %s is %.17g but the reference loop gives %.17g (|diff| %.3g > %.1g of the terms' "
                      "magnitude %.3g)",
                      who, n, what, got, want, err, tolerance, magnitude);
        fail(buffer);
    }
}

void check_against(const objective_and_gradient& want, const objective_and_gradient& magnitude,
                   const objective_and_gradient& got, const char* who, std::size_t n) {
    check_close("f", who, n, got.value, want.value, magnitude.value);
    check_close("df/db", who, n, got.gb, want.gb, magnitude.gb);
    check_close("df/dsigma", who, n, got.gsigma, want.gsigma, magnitude.gsigma);
    if (got.gw.size() != n) fail(std::string(who) + ": the gradient by w has the wrong length");
    for (std::size_t j = 0; j < n; ++j) check_close("df/dw[j]", who, n, got.gw[j], want.gw[j], magnitude.gw[j]);
}

/// Interleaved best-of timing: each round takes one sample of every variant, so a burst of
/// load from another process falls on all of them; each sample lasts about 2 ms.
std::vector<double> best_seconds_interleaved(config& c) {
    std::vector<std::size_t> calls(variant_count);
    for (std::size_t v = 0; v < variant_count; ++v) { // calibrate
        std::size_t k = 1;
        for (;; k *= 2) {
            const auto t0 = clock_type::now();
            for (std::size_t i = 0; i < k; ++i) benchmark::DoNotOptimize(run_once(c, variants[v]));
            if (std::chrono::duration<double>(clock_type::now() - t0).count() > 1e-3) break;
        }
        calls[v] = 2 * k;
    }
    std::vector<double> best(variant_count, 1e300);
    for (int round = 0; round < 25; ++round) {
        for (std::size_t v = 0; v < variant_count; ++v) {
            const auto t0 = clock_type::now();
            for (std::size_t i = 0; i < calls[v]; ++i) {
                benchmark::DoNotOptimize(run_once(c, variants[v]));
                benchmark::ClobberMemory();
            }
            const double s = std::chrono::duration<double>(clock_type::now() - t0).count() / double(calls[v]);
            best[v] = std::min(best[v], s);
        }
    }
    return best;
}

/// Every variant's result against the reference loop; ctgrad's means times m.
void check_all(config& c) {
    objective_and_gradient magnitude;
    const objective_and_gradient want = reference(c.p, magnitude);
    const std::size_t n = c.p.n;
    const double m = double(c.p.m);
    for (const variant& v : variants) {
        objective_and_gradient got;
        got.gw.assign(n, -1.0);
        std::fill(c.hand_gw.begin(), c.hand_gw.end(), -1.0);
        double f = v.call(c, c.hand_gw.data(), got.gb, got.gsigma);
        switch (v.what) {
        case kind::ctgrad_gradient:
            got.value = f * m;
            for (std::size_t j = 0; j < n; ++j) got.gw[j] = c.grads[w](j) * m;
            got.gb = c.grads[b] * m;
            got.gsigma = c.grads[sigma] * m;
            check_against(want, magnitude, got, v.name, n);
            break;
        case kind::ctgrad_value: check_close("f", v.name, n, f * m, want.value, magnitude.value); break;
        case kind::hand_gradient:
            got.value = f;
            got.gw = c.hand_gw;
            check_against(want, magnitude, got, v.name, n);
            break;
        case kind::hand_value: check_close("f", v.name, n, f, want.value, magnitude.value); break;
        }
    }
}

config& setup(std::size_t n) {
    static std::unique_ptr<config> slot;
    if (slot && slot->p.n == n) return *slot;
    auto c = std::make_unique<config>();
    problem& p = c->p;
    p.n = n;
    p.m = examples;
    bench::splitmix rng{0x5eed0000ULL + n};
    p.X = xt::xtensor<double, 2>::from_shape({n, p.m});
    p.Y = xt::xtensor<double, 1>::from_shape({p.m});
    for (auto& v : p.X) v = rng.next();
    for (auto& v : p.Y) v = rng.next();
    p.wv.resize(n);
    for (auto& v : p.wv) v = rng.next();
    p.bv = rng.next();
    p.sigmav = 0.1 + std::abs(rng.next());
    p.r.resize(p.m);
    p.lane_sums.resize(n * lanes);
    c->loss = objective(p.m);
    c->params = ctgrad::make_parameters(w = p.wv, b = p.bv, sigma = p.sigmav);
    c->grads = c->params.zeros_like();
    c->batch.emplace(ctgrad::make_batch(x = p.X, y = p.Y));
    c->hand_gw.resize(n);

    check_all(*c);
    c->best = best_seconds_interleaved(*c);
    slot = std::move(c);
    return *slot;
}

// ---------------------------------------------------------------------------------------
// The benchmarks.

void run(benchmark::State& state, std::size_t which) {
    config& c = setup(static_cast<std::size_t>(state.range(0)));
    for (auto _ : state) {
        benchmark::DoNotOptimize(run_once(c, variants[which]));
        benchmark::ClobberMemory();
    }
    const auto& best = c.best;
    double best_grad = 1e300, best_value = 1e300, ours = 0, ours_value = 0;
    for (std::size_t v = 0; v < variant_count; ++v) {
        switch (variants[v].what) {
        case kind::ctgrad_gradient: ours = best[v]; break;
        case kind::ctgrad_value: ours_value = best[v]; break;
        case kind::hand_gradient: best_grad = std::min(best_grad, best[v]); break;
        case kind::hand_value: best_value = std::min(best_value, best[v]); break;
        }
    }
    state.counters["grad_vs_hand"] = ours / best_grad;
    state.counters["grad_over_value"] = ours / ours_value;
    state.counters["grad_over_hand_value"] = ours / best_value;
    state.counters["vs_best_hand_grad"] = best[which] / best_grad;
    state.counters["best_us"] = best[which] * 1e6;
}

const bool registered = [] {
    for (std::int64_t n : {10, 50, 150, 500})
        for (std::size_t v = 0; v < variant_count; ++v)
            benchmark::RegisterBenchmark(variants[v].name, run, v)->Arg(n)->ArgName("N")->Unit(benchmark::kMicrosecond);
    return true;
}();

} // namespace

BENCHMARK_MAIN();
