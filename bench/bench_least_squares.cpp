// bench/bench_least_squares.cpp: ctgrad's levenberg_marquardt beside Ceres Solver,
// in one run, as a printed table (no Google Benchmark loop: each number is one solve, timed).
//
// 1. NIST's StRD nonlinear regression problems, each file from both of NIST's starts. Every
//    case is solved `--repetitions` times (default 7) from the same start by each solver, the
//    solvers interleaved repetition by repetition, and the row shows each solver's median solve
//    time, the LRE of its fit against the certified values (ctgrad::lre: the digits reached,
//    the smallest over the parameters, in [0, 11]), whether that counts as solved (LRE > 4),
//    and its iterations:
//      ctgrad      ctgrad::levenberg_marquardt() with its default options, on the residuals of
//                  examples/nist_models.hpp (a problem it has no model for is skipped, and the
//                  row says so)
//      Ceres LM    ceres::Solve as Ceres' own examples/nist.cc sets it up for NIST: one residual
//                  block holding all m residuals (AutoDiffCostFunction<Model, DYNAMIC, N>, the
//                  models of nist_ceres_models.hpp), TRUST_REGION with LEVENBERG_MARQUARDT,
//                  DENSE_QR (Eigen), max_num_iterations 10000, initial_trust_region_radius 1e4,
//                  monotonic steps, and function, gradient and parameter tolerances all
//                  DBL_EPSILON; one thread (a residual block is evaluated on one thread). The
//                  time is ceres::Solve's, which includes its preprocessing; building the
//                  ceres::Problem (once per case) is not timed.
//      Tiny nist   ceres::TinySolver on the same functor (TinySolverAutoDiffFunction<Model,
//                  Dynamic, N>) with the options nist.cc gives it: max_num_iterations 10000,
//                  gradient and parameter tolerance DBL_EPSILON, function tolerance 0
//      Tiny dflt   the same with TinySolver's default options (50 iterations, gradient
//                  tolerance 1e-10, parameter tolerance 1e-8, function tolerance 1e-6, which
//                  TinySolver compares with the absolute change of the cost)
//    A summary line per solver follows (cases, solved, mean LRE, the per-case medians summed),
//    and the ratios of ctgrad's summed time to the others', over the cases ctgrad ran.
//
// 2. A large synthetic fit of Misra1a's model y = b1 (1 - exp(-b2 x)), b1 = 238.94,
//    b2 = 5.5e-4, x uniform in [0, 800], y with Gaussian noise of standard deviation 0.1, from
//    NIST's start 2 (b1 = 250, b2 = 5e-4), at each m of `--large` (default 10^6 and 10^7). Each
//    solver runs once per m in a fresh child process (fork) that makes the data itself, so that
//    its peak memory (the child's ru_maxrss from wait4; it starts from the parent's resident
//    size, shown as "start") is its own. Shown: the solve time, the peak, the data's own bytes
//    (m x 2 doubles) and peak / data. ctgrad runs with its default threads (max_threads());
//    Ceres with num_threads = 2 (this machine's cores), the NIST settings above otherwise, and
//    one residual block per point (AutoDiffCostFunction<F, 1, 2> holding its x and y), as
//    Ceres' curve-fitting tutorial writes such a fit; `--ceres-blocks single` puts all m
//    residuals in one block instead, as nist.cc does (Ceres then evaluates on one thread).
//    Building the per-point ceres::Problem is timed apart ("build").
//
// 3. A wide fit, with a vector parameter: y = b exp(w · x) + noise, x of 8 features drawn
//    N(0, 0.5^2), w a fixed vector of 8 values between 0.1 and 0.5 in size, b = 2, Gaussian
//    noise of standard deviation 0.01, from w = 0, b = 1, at each m of `--wide` (default 10^6).
//    Measured as the large fit is (a child process per solver and m; data = m x 9 doubles).
//    ctgrad fits w as a param_vec (each component a column of J) beside the scalar b; Ceres
//    as in the large fit, one residual block per point, AutoDiffCostFunction<F, 1, 8, 1> with
//    the parameter blocks w and b (`--ceres-blocks` does not apply).
//
//   bench_least_squares [--nist] [DIR | FILE.dat]... [--large M[,M...]] [--wide M[,M...]]
//                       [--repetitions N] [--ceres-blocks per-point|single]
// With no DIR, FILE, --large or --wide: data/nist, --large 1000000,10000000 and
// --wide 1000000. With only some of them, only those parts run.
//
// Ceres is an optional dependency of this binary alone (bench/meson.build).

#include "nist_ceres_models.hpp"
#include "nist_models.hpp" // examples/: ctgrad's residuals of the NIST models
#include "timing.hpp"

#include <ctgrad/ctgrad.hpp>
#include <ctgrad/data/nist.hpp>
#include <ctgrad/optim/levenberg_marquardt.hpp>

#include <ceres/ceres.h>
#include <ceres/tiny_solver.h>
#include <ceres/tiny_solver_autodiff_function.h>
#include <glog/logging.h>

#include <xtensor/xtensor.hpp>

#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <exception>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace {

using bench::clock_type;
using bench::median;
using bench::seconds_since;

// ---------------------------------------------------------------------------------------------
// Ceres' settings

constexpr double epsilon = std::numeric_limits<double>::epsilon();

/// LM with DENSE_QR as Ceres' examples/nist.cc configures it.
ceres::Solver::Options nist_cc_options(int threads) {
    ceres::Solver::Options options;
    options.minimizer_type = ceres::TRUST_REGION;
    options.trust_region_strategy_type = ceres::LEVENBERG_MARQUARDT;
    options.linear_solver_type = ceres::DENSE_QR;
    options.dense_linear_algebra_library_type = ceres::EIGEN;
    options.max_num_iterations = 10000;
    options.initial_trust_region_radius = 1e4;
    options.use_nonmonotonic_steps = false;
    options.function_tolerance = epsilon;
    options.gradient_tolerance = epsilon;
    options.parameter_tolerance = epsilon;
    options.num_threads = threads;
    options.logging_type = ceres::SILENT;
    options.minimizer_progress_to_stdout = false;
    return options;
}

/// All m residuals of a NIST model in one functor: a single residual block for ceres::Problem
/// (as nist.cc builds it) and the function TinySolver differentiates.
template <class Model>
struct all_residuals {
    const double* x;
    const double* x2; // Nelson's second predictor, else nullptr
    const double* y;  // the response, log y for Nelson
    int m;

    template <class T>
    bool operator()(const T* b, T* residual) const {
        for (int i = 0; i < m; ++i) residual[i] = Model::value(b, x[i], x2 ? x2[i] : 0.0) - y[i];
        return true;
    }
    [[nodiscard]] int NumResiduals() const { return m; } // TinySolverAutoDiffFunction asks
};

// ---------------------------------------------------------------------------------------------
// NIST

/// One solve: its time, the fitted values, the iterations and anything unusual.
struct sample {
    double seconds = 0;
    std::vector<double> fitted;
    long iterations = 0;
    std::string note;
};

using solve_fn = std::function<sample()>;

constexpr std::size_t solvers = 4;
constexpr std::array<const char*, solvers> solver_names = {"ctgrad LM, defaults", "Ceres LM, DENSE_QR, nist.cc",
                                                           "TinySolver, nist.cc opts", "TinySolver, defaults"};
constexpr std::array<const char*, solvers> solver_short = {"ctgrad", "Ceres LM", "Tiny nist", "Tiny dflt"};

/// The problem's data as the Ceres functors read them.
struct nist_data {
    std::vector<double> x, x2, y;
};

template <class Model>
nist_data data_for(const ctgrad::nist_problem& p) {
    nist_data d;
    const std::size_t m = p.y.size();
    for (std::size_t i = 0; i < m; ++i) {
        d.x.push_back(p.predictors(i, 0));
        if (p.predictors.shape(1) > 1) d.x2.push_back(p.predictors(i, 1));
        if constexpr (requires { Model::log_response; }) d.y.push_back(std::log(p.y(i)));
        else d.y.push_back(p.y(i));
    }
    return d;
}

template <class Model>
all_residuals<Model> functor_for(const nist_data& d) {
    return {d.x.data(), d.x2.empty() ? nullptr : d.x2.data(), d.y.data(), static_cast<int>(d.y.size())};
}

template <class Model>
solve_fn ceres_lm(const ctgrad::nist_problem& p, int start, const nist_data& d) {
    constexpr int n = Model::parameters;
    struct state {
        std::array<double, n> b{};
        ceres::Problem problem;
    };
    auto s = std::make_shared<state>();
    s->problem.AddResidualBlock(
        new ceres::AutoDiffCostFunction<all_residuals<Model>, ceres::DYNAMIC, n>(new all_residuals<Model>(functor_for<Model>(d)),
                                                                                 static_cast<int>(d.y.size())),
        nullptr, s->b.data());
    const std::vector<double> from = start == 1 ? p.start1 : p.start2;
    return [s, from] {
        std::copy(from.begin(), from.end(), s->b.begin());
        const ceres::Solver::Options options = nist_cc_options(1);
        ceres::Solver::Summary summary;
        const auto t0 = clock_type::now();
        ceres::Solve(options, &s->problem, &summary);
        sample out;
        out.seconds = seconds_since(t0);
        out.fitted.assign(s->b.begin(), s->b.end());
        out.iterations = summary.num_successful_steps + summary.num_unsuccessful_steps;
        if (summary.termination_type == ceres::FAILURE || summary.termination_type == ceres::USER_FAILURE)
            out.note = "Ceres LM: " + summary.message;
        return out;
    };
}

template <class Model>
solve_fn tiny_solver(const ctgrad::nist_problem& p, int start, const nist_data& d, bool nist_cc_settings) {
    constexpr int n = Model::parameters;
    using function = ceres::TinySolverAutoDiffFunction<all_residuals<Model>, Eigen::Dynamic, n>;
    struct state {
        all_residuals<Model> residuals;
        function f; // holds a reference to `residuals`
        explicit state(const all_residuals<Model>& r) : residuals(r), f(residuals) {}
    };
    auto s = std::make_shared<state>(functor_for<Model>(d));
    const std::vector<double> from = start == 1 ? p.start1 : p.start2;
    return [s, from, nist_cc_settings] {
        ceres::TinySolver<function> solver;
        if (nist_cc_settings) {
            solver.options.max_num_iterations = 10000;
            solver.options.gradient_tolerance = epsilon;
            solver.options.parameter_tolerance = epsilon;
            solver.options.function_tolerance = 0;
        }
        Eigen::Matrix<double, n, 1> b;
        for (int j = 0; j < n; ++j) b(j) = from[static_cast<std::size_t>(j)];
        const auto t0 = clock_type::now();
        const auto& summary = solver.Solve(s->f, &b);
        sample out;
        out.seconds = seconds_since(t0);
        out.fitted.assign(b.data(), b.data() + n);
        out.iterations = summary.iterations;
        return out;
    };
}

/// What a solver did on one case: the median time, and the LRE and iterations of its last
/// solve (every solve from the same start ends at the same place).
struct outcome {
    bool ran = false;
    double seconds = 0;
    double lre = 0;
    long iterations = 0;
    std::string note;
};

struct totals {
    int cases = 0, solved = 0;
    double lre_sum = 0, seconds = 0;
    double seconds_with_ctgrad = 0; // over the cases ctgrad ran too, for the ratios
};

struct nist_report {
    std::array<totals, solvers> sum{};
    int cases = 0, cases_with_ctgrad = 0;
    int repetitions = 7;
};

void print_nist_header(int repetitions) {
    std::printf("NIST StRD: median of %d solves from the same start per case; LRE: digits of the certified values\n"
                "reached (ctgrad::lre); ok: LRE > 4; it: iterations (steps tried)\n\n",
                repetitions);
    std::printf("%-9s %-2s %4s %2s", "problem", "st", "m", "N");
    for (std::size_t k = 0; k < solvers; ++k) std::printf(" | %-25s", solver_names[k]);
    std::printf("\n%-9s %-2s %4s %2s", "", "", "", "");
    for (std::size_t k = 0; k < solvers; ++k) std::printf(" | %10s %5s %-2s %5s", "median us", "LRE", "ok", "it");
    std::printf("\n");
}

void measure_case(const ctgrad::nist_problem& p, int start, std::size_t parameters, std::array<solve_fn, solvers>& solve,
                  std::string note, nist_report& report) {
    std::array<std::vector<double>, solvers> times;
    std::array<sample, solvers> last;
    for (int rep = 0; rep < report.repetitions; ++rep)
        for (std::size_t k = 0; k < solvers; ++k)
            if (solve[k]) {
                last[k] = solve[k]();
                times[k].push_back(last[k].seconds);
            }
    std::array<outcome, solvers> out;
    for (std::size_t k = 0; k < solvers; ++k) {
        if (!solve[k]) continue;
        out[k].ran = true;
        out[k].seconds = median(times[k]);
        out[k].lre = ctgrad::lre(last[k].fitted, p.certified_values);
        out[k].iterations = last[k].iterations;
        if (!last[k].note.empty()) note += (note.empty() ? "" : "; ") + last[k].note;
    }
    std::printf("%-9s %-2d %4zu %2zu", p.name.c_str(), start, p.y.size(), parameters);
    for (std::size_t k = 0; k < solvers; ++k) {
        if (out[k].ran)
            std::printf(" | %10.1f %5.2f %-2s %5ld", out[k].seconds * 1e6, out[k].lre, out[k].lre > 4 ? "ok" : "--",
                        out[k].iterations);
        else
            std::printf(" | %-25s", "(not run)");
    }
    if (!note.empty()) std::printf("  %s", note.c_str());
    std::printf("\n");
    std::fflush(stdout);

    ++report.cases;
    report.cases_with_ctgrad += out[0].ran;
    for (std::size_t k = 0; k < solvers; ++k) {
        if (!out[k].ran) continue;
        auto& t = report.sum[k];
        ++t.cases;
        t.solved += out[k].lre > 4;
        t.lre_sum += out[k].lre;
        t.seconds += out[k].seconds;
        if (out[0].ran) t.seconds_with_ctgrad += out[k].seconds;
    }
}

/// Both starts of one problem. Returns false for a problem neither ctgrad nor the Ceres models know.
bool fit_problem(const ctgrad::nist_problem& p, nist_report& report) {
    for (int start = 1; start <= 2; ++start) {
        std::array<solve_fn, solvers> solve;
        nist_data data; // the Ceres functors point into it
        const bool ceres_known = nist_ceres::visit(p.name, [&](auto model) {
            using Model = typename decltype(model)::type;
            data = data_for<Model>(p);
            solve[1] = ceres_lm<Model>(p, start, data);
            solve[2] = tiny_solver<Model>(p, start, data, true);
            solve[3] = tiny_solver<Model>(p, start, data, false);
        });
        const bool ctgrad_known =
            examples::nist::visit(p, [&](const auto& residual, const auto& batch, auto... symbols) {
                solve[0] = [&p, &residual, &batch, start, symbols...] {
                    auto params = examples::nist::parameters_at(p, start, symbols...);
                    sample out;
                    const auto t0 = clock_type::now();
                    try {
                        const auto result = ctgrad::levenberg_marquardt().minimize(residual, params, batch);
                        out.seconds = seconds_since(t0);
                        out.iterations = static_cast<long>(result.iterations);
                    } catch (const ctgrad::least_squares_error& e) {
                        // params hold the last point kept: score that
                        out.seconds = seconds_since(t0);
                        out.iterations = static_cast<long>(e.iteration());
                        out.note = std::string("ctgrad threw: ") + e.what();
                    }
                    out.fitted = {double(params[symbols])...};
                    return out;
                };
                measure_case(p, start, sizeof...(symbols), solve, "", report);
            });
        if (!ctgrad_known && !ceres_known) return false;
        if (!ctgrad_known)
            measure_case(p, start, p.certified_values.size(), solve, "ctgrad skipped: no model in examples/nist_models.hpp",
                         report);
    }
    return true;
}

void print_nist_summary(const nist_report& report) {
    std::printf("\n");
    for (std::size_t k = 0; k < solvers; ++k) {
        const auto& t = report.sum[k];
        std::printf("%-27s %2d cases, solved %2d, mean LRE %5.2f, median times summed %9.2f ms\n", solver_names[k], t.cases,
                    t.solved, t.cases > 0 ? t.lre_sum / t.cases : 0.0, t.seconds * 1e3);
    }
    const auto& c = report.sum[0];
    if (report.cases_with_ctgrad > 0) {
        std::printf("summed time ratios over the %d cases ctgrad ran:", report.cases_with_ctgrad);
        for (std::size_t k = 1; k < solvers; ++k)
            if (report.sum[k].seconds_with_ctgrad > 0)
                std::printf("%s ctgrad / %s %.3f", k == 1 ? "" : ",", solver_short[k],
                            c.seconds_with_ctgrad / report.sum[k].seconds_with_ctgrad);
        std::printf("\n");
    }
}

// ---------------------------------------------------------------------------------------------
// The large synthetic fit

constexpr double true_b1 = 238.94, true_b2 = 5.5e-4, noise = 0.1, x_max = 800;
constexpr double start_b1 = 250, start_b2 = 5e-4;

/// The wide fit's number of features (w's length); with b, the most parameters a child reports.
constexpr std::size_t wide_features = 8;

/// What a child reports through its pipe (trivially copyable).
struct child_result {
    bool ok = false;
    char error[256] = {};
    double build_seconds = -1; // building the ceres::Problem
    double solve_seconds = 0;
    long iterations = 0;
    std::array<double, wide_features + 1> fitted{}; // the parameters, in the order the table names them
    std::size_t parameters = 0;                     // how many of `fitted` hold one
    double cost = 0;
    long rss_start_kb = 0; // resident at the child's start (the parent's pages)
    long hwm_kb = 0;       // VmHWM at the end, in the child
    char how[64] = {};     // termination
};

/// A field of /proc/self/status in kB (VmRSS, VmHWM), or 0.
long status_kb(std::string_view field) {
    std::ifstream in("/proc/self/status");
    std::string line;
    while (std::getline(in, line))
        if (line.starts_with(field) && line.size() > field.size() && line[field.size()] == ':') {
            std::string_view rest = std::string_view(line).substr(field.size() + 1);
            while (!rest.empty() && (rest.front() == ' ' || rest.front() == '\t')) rest.remove_prefix(1);
            long v = 0;
            std::from_chars(rest.data(), rest.data() + rest.size(), v);
            return v;
        }
    return 0;
}

struct synthetic {
    xt::xtensor<double, 1> x, y;
};

synthetic make_synthetic(std::size_t m) {
    synthetic d{xt::xtensor<double, 1>::from_shape({m}), xt::xtensor<double, 1>::from_shape({m})};
    std::mt19937_64 rng(20);
    std::uniform_real_distribution<double> ux(0, x_max);
    std::normal_distribution<double> e(0, noise);
    for (std::size_t i = 0; i < m; ++i) {
        d.x(i) = ux(rng);
        d.y(i) = true_b1 * (1 - std::exp(-true_b2 * d.x(i))) + e(rng);
    }
    return d;
}

/// y_i - f(x_i) for one point: the residual block of a per-point Ceres problem.
struct misra1a_point {
    double x, y;
    template <class T>
    bool operator()(const T* b, T* residual) const {
        residual[0] = nist_ceres::misra1a::value(b, x, 0.0) - y;
        return true;
    }
};

/// The iterations, cost and termination of a ctgrad solve, into the child's report.
template <class Result>
void record_ctgrad(const Result& result, child_result& r) {
    r.iterations = static_cast<long>(result.iterations);
    r.cost = result.cost;
    std::snprintf(r.how, sizeof r.how, "%s", std::string(ctgrad::to_string(result.termination)).c_str());
    r.ok = true;
}

/// Solves `problem` as the large and the wide fits run Ceres, timed, into the child's report
/// (the fitted values are the caller's: they live in its parameter blocks).
void solve_with_ceres(ceres::Problem& problem, child_result& r) {
    const ceres::Solver::Options options = nist_cc_options(2);
    ceres::Solver::Summary summary;
    const auto t0 = clock_type::now();
    ceres::Solve(options, &problem, &summary);
    r.solve_seconds = seconds_since(t0);
    r.iterations = summary.num_successful_steps + summary.num_unsuccessful_steps;
    r.cost = summary.final_cost;
    std::snprintf(r.how, sizeof r.how, "%s", ceres::TerminationTypeToString(summary.termination_type));
    r.ok = summary.termination_type != ceres::FAILURE;
    if (!r.ok) std::snprintf(r.error, sizeof r.error, "%s", summary.message.c_str());
}

child_result large_ctgrad(std::size_t m) {
    child_result r;
    const synthetic d = make_synthetic(m);
    using namespace examples::nist; // x, y, b1, b2
    using namespace ctgrad::literals;
    const auto residual = b1 * (1_c - ctgrad::exp(-(b2 * x))) - y;
    auto params = ctgrad::make_parameters(b1 = start_b1, b2 = start_b2);
    const auto batch = ctgrad::make_batch(x = d.x, y = d.y);
    const auto t0 = clock_type::now();
    const auto result = ctgrad::levenberg_marquardt().minimize(residual, params, batch);
    r.solve_seconds = seconds_since(t0);
    record_ctgrad(result, r);
    r.fitted = {params[b1], params[b2]};
    r.parameters = 2;
    return r;
}

child_result large_ceres(std::size_t m, bool single_block) {
    child_result r;
    const synthetic d = make_synthetic(m);
    std::array<double, 2> b{start_b1, start_b2};
    ceres::Problem problem;
    const auto t_build = clock_type::now();
    if (single_block) {
        // All m residuals in one block, as nist.cc writes a NIST problem.
        problem.AddResidualBlock(new ceres::AutoDiffCostFunction<all_residuals<nist_ceres::misra1a>, ceres::DYNAMIC, 2>(
                                     new all_residuals<nist_ceres::misra1a>{d.x.data(), nullptr, d.y.data(), static_cast<int>(m)},
                                     static_cast<int>(m)),
                                 nullptr, b.data());
    } else {
        // One residual block per point, as Ceres' curve-fitting tutorial writes a fit.
        for (std::size_t i = 0; i < m; ++i)
            problem.AddResidualBlock(new ceres::AutoDiffCostFunction<misra1a_point, 1, 2>(new misra1a_point{d.x(i), d.y(i)}),
                                     nullptr, b.data());
    }
    r.build_seconds = seconds_since(t_build);
    solve_with_ceres(problem, r);
    r.fitted = {b[0], b[1]};
    r.parameters = 2;
    return r;
}

/// Runs fn() in a child process and returns its result, with the child's peak resident size
/// from wait4 (kB) in peak_kb.
template <class Fn>
child_result in_child(Fn fn, long& peak_kb) {
    int fds[2];
    if (pipe(fds) != 0) throw std::runtime_error(std::string("pipe: ") + std::strerror(errno));
    std::fflush(stdout);
    std::fflush(stderr);
    const pid_t pid = fork();
    if (pid < 0) throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
    if (pid == 0) {
        close(fds[0]);
        child_result r;
        const long rss_start = status_kb("VmRSS");
        try {
            r = fn();
        } catch (const std::exception& e) {
            r.ok = false;
            std::snprintf(r.error, sizeof r.error, "%s", e.what());
        }
        r.rss_start_kb = rss_start;
        r.hwm_kb = status_kb("VmHWM");
        const char* p = reinterpret_cast<const char*>(&r);
        std::size_t left = sizeof r;
        while (left > 0) {
            const ssize_t w = write(fds[1], p, left);
            if (w <= 0) break;
            p += w;
            left -= static_cast<std::size_t>(w);
        }
        _exit(0); // no destructors, no atexit: the parent owns those
    }
    close(fds[1]);
    child_result r;
    char* p = reinterpret_cast<char*>(&r);
    std::size_t got = 0;
    while (got < sizeof r) {
        const ssize_t n = read(fds[0], p + got, sizeof r - got);
        if (n <= 0) break;
        got += static_cast<std::size_t>(n);
    }
    close(fds[0]);
    int status = 0;
    rusage usage{};
    wait4(pid, &status, 0, &usage);
    peak_kb = usage.ru_maxrss;
    if (got != sizeof r) {
        r = child_result{};
        std::snprintf(r.error, sizeof r.error, "the child died (%s %d) before reporting",
                      WIFSIGNALED(status) ? "signal" : "exit status", WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
    }
    return r;
}

/// The headings of a child-run table: the measurement columns every such table shares, then
/// fit_headings() (the fit's own columns), then the termination.
template <class FitHeadings>
void print_child_header(FitHeadings fit_headings) {
    std::printf("%9s  %-9s %9s %8s %5s %10s %10s %10s %10s %12s  ", "m", "solver", "solve s", "build s", "it", "peak MB",
                "start MB", "data MB", "peak/data", "(pk-st)/data");
    fit_headings();
    std::printf("%s\n", "termination");
}

/// Runs solve() in a fresh child and prints its row under print_child_header: the measurements,
/// fit_columns(r), the termination. Returns the child's report.
template <class Solve, class FitColumns>
child_result run_in_child_and_print(std::size_t m, const char* solver, double data_mb, Solve solve, FitColumns fit_columns) {
    long peak_kb = 0;
    const child_result r = in_child(solve, peak_kb);
    if (!r.ok && r.solve_seconds == 0) {
        std::printf("%9zu  %-9s failed: %s\n", m, solver, r.error);
        return r;
    }
    const double peak_mb = static_cast<double>(peak_kb) * 1024 / 1e6;
    const double start_mb = static_cast<double>(r.rss_start_kb) * 1024 / 1e6;
    char build[32] = "-";
    if (r.build_seconds >= 0) std::snprintf(build, sizeof build, "%.3f", r.build_seconds);
    std::printf("%9zu  %-9s %9.3f %8s %5ld %10.1f %10.1f %10.1f %10.2f %12.2f  ", m, solver, r.solve_seconds, build,
                r.iterations, peak_mb, start_mb, data_mb, peak_mb / data_mb, (peak_mb - start_mb) / data_mb);
    fit_columns(r);
    std::printf("%s%s%s\n", r.how, r.ok ? "" : ": ", r.error);
    if (std::abs(static_cast<double>(r.hwm_kb - peak_kb)) > 0.02 * static_cast<double>(peak_kb))
        std::printf("           (the child's own VmHWM says %.1f MB)\n", static_cast<double>(r.hwm_kb) * 1024 / 1e6);
    std::fflush(stdout);
    return r;
}

/// How close Ceres' fit (results[1]) comes to ctgrad's (results[0]): the LRE of its parameters
/// against ctgrad's, the worst (ctgrad::lre, NIST's score) and the best, the costs, and the
/// ratio of the solve times.
void print_fit_comparison(std::size_t m, const std::array<child_result, 2>& results) {
    const child_result &ours = results[0], &theirs = results[1];
    if (!ours.ok || !theirs.ok) return;
    const std::vector<double> reference(ours.fitted.begin(), ours.fitted.begin() + static_cast<std::ptrdiff_t>(ours.parameters));
    const std::vector<double> fitted(theirs.fitted.begin(), theirs.fitted.begin() + static_cast<std::ptrdiff_t>(theirs.parameters));
    double best = 0;
    for (std::size_t j = 0; j < reference.size() && j < fitted.size(); ++j)
        best = std::max(best, ctgrad::log_relative_error(fitted[j], reference[j]));
    std::printf("%9zu  Ceres' fit against ctgrad's: LRE %.2f (worst parameter), %.2f (best); cost ctgrad %.10g, Ceres %.10g;"
                " time ctgrad / Ceres %.3f\n",
                m, ctgrad::lre(fitted, reference), best, ours.cost, theirs.cost, ours.solve_seconds / theirs.solve_seconds);
}

void run_large(const std::vector<std::size_t>& sizes, bool single_block) {
    std::printf("Synthetic Misra1a: y = b1 (1 - exp(-b2 x)) + N(0, %g^2), b1 = %g, b2 = %g, x ~ U[0, %g], from b1 = %g, b2 = %g.\n"
                "One solve per solver and m, each in a fresh child process; peak = the child's ru_maxrss, start = its\n"
                "resident size when forked; data = m x 2 doubles. ctgrad: default options and threads (max_threads() = %zu);\n"
                "Ceres LM: DENSE_QR, nist.cc's tolerances, num_threads = 2, %s.\n\n",
                noise, true_b1, true_b2, x_max, start_b1, start_b2, ctgrad::max_threads(),
                single_block ? "all residuals in one block" : "one residual block per point");
    print_child_header([] { std::printf("%-14s %-14s ", "b1", "b2"); });
    const auto b1_b2 = [](const child_result& r) { std::printf("%-14.10g %-14.8g ", r.fitted[0], r.fitted[1]); };
    for (const std::size_t m : sizes) {
        const double data_mb = static_cast<double>(m) * 2 * sizeof(double) / 1e6;
        const std::array<child_result, 2> results = {
            run_in_child_and_print(m, "ctgrad", data_mb, [m] { return large_ctgrad(m); }, b1_b2),
            run_in_child_and_print(m, "Ceres LM", data_mb, [m, single_block] { return large_ceres(m, single_block); }, b1_b2)};
        print_fit_comparison(m, results);
    }
}

// ---------------------------------------------------------------------------------------------
// The wide fit: a vector parameter

constexpr std::array<double, wide_features> wide_true_w = {0.4, -0.3, 0.2, -0.1, 0.5, -0.25, 0.15, -0.35};
constexpr double wide_true_b = 2, wide_feature_sd = 0.5, wide_noise = 0.01, wide_start_b = 1;

struct wide_data {
    xt::xtensor<double, 2> x; // (wide_features, m): feature-major, as an input_vec's batch is laid out
    xt::xtensor<double, 1> y;
};

wide_data make_wide(std::size_t m) {
    wide_data d{xt::xtensor<double, 2>::from_shape({wide_features, m}), xt::xtensor<double, 1>::from_shape({m})};
    std::mt19937_64 rng(21);
    std::normal_distribution<double> feature(0, wide_feature_sd), e(0, wide_noise);
    for (std::size_t i = 0; i < m; ++i) {
        double w_x = 0;
        for (std::size_t j = 0; j < wide_features; ++j) {
            d.x(j, i) = feature(rng);
            w_x += wide_true_w[j] * d.x(j, i);
        }
        d.y(i) = wide_true_b * std::exp(w_x) + e(rng);
    }
    return d;
}

/// b exp(w · x) - y for one point: the residual block of the per-point Ceres problem, with the
/// parameter blocks w (wide_features values) and b (one).
struct wide_point {
    std::array<double, wide_features> x;
    double y;
    template <class T>
    bool operator()(const T* w, const T* b, T* residual) const {
        using std::exp; // ceres::exp for Jets, by argument-dependent lookup
        T w_x(0.0);
        for (std::size_t j = 0; j < wide_features; ++j) w_x += w[j] * x[j];
        residual[0] = b[0] * exp(w_x) - y;
        return true;
    }
};

namespace wide_symbols {
constexpr ctgrad::input_vec<"x"> x;
constexpr ctgrad::input<"y"> y;
constexpr ctgrad::param_vec<"w"> w;
constexpr ctgrad::param<"b"> b;
} // namespace wide_symbols

child_result wide_ctgrad(std::size_t m) {
    child_result r;
    const wide_data d = make_wide(m);
    using namespace wide_symbols;
    const auto residual = b * ctgrad::exp(ctgrad::dot(w, x)) - y;
    auto params = ctgrad::make_parameters(w = std::vector<double>(wide_features, 0.0), b = wide_start_b);
    const auto batch = ctgrad::make_batch(x = d.x, y = d.y);
    const auto t0 = clock_type::now();
    const auto result = ctgrad::levenberg_marquardt().minimize(residual, params, batch);
    r.solve_seconds = seconds_since(t0);
    record_ctgrad(result, r);
    for (std::size_t j = 0; j < wide_features; ++j) r.fitted[j] = params[w](j);
    r.fitted[wide_features] = params[b];
    r.parameters = wide_features + 1;
    return r;
}

child_result wide_ceres(std::size_t m) {
    child_result r;
    const wide_data d = make_wide(m);
    std::array<double, wide_features> w{};
    double b = wide_start_b;
    ceres::Problem problem;
    const auto t_build = clock_type::now();
    for (std::size_t i = 0; i < m; ++i) {
        auto* point = new wide_point{{}, d.y(i)};
        for (std::size_t j = 0; j < wide_features; ++j) point->x[j] = d.x(j, i);
        problem.AddResidualBlock(new ceres::AutoDiffCostFunction<wide_point, 1, static_cast<int>(wide_features), 1>(point), nullptr,
                                 w.data(), &b);
    }
    r.build_seconds = seconds_since(t_build);
    solve_with_ceres(problem, r);
    std::copy(w.begin(), w.end(), r.fitted.begin());
    r.fitted[wide_features] = b;
    r.parameters = wide_features + 1;
    return r;
}

void run_wide(const std::vector<std::size_t>& sizes) {
    std::printf("Wide fit: y = b exp(w . x) + N(0, %g^2), %zu features x_j ~ N(0, %g^2), b = %g, w = [", wide_noise, wide_features,
                wide_feature_sd, wide_true_b);
    for (std::size_t j = 0; j < wide_features; ++j) std::printf("%s%g", j == 0 ? "" : ", ", wide_true_w[j]);
    std::printf("],\nfrom w = 0, b = %g. One solve per solver and m, each in a fresh child process; peak = the child's ru_maxrss,\n"
                "start = its resident size when forked; data = m x %zu doubles (x and y). ctgrad: w a param_vec, default options\n"
                "and threads (max_threads() = %zu); Ceres LM: DENSE_QR, nist.cc's tolerances, num_threads = 2, one residual block\n"
                "per point (AutoDiffCostFunction<F, 1, %zu, 1>: parameter blocks w and b).\n\n",
                wide_start_b, wide_features + 1, ctgrad::max_threads(), wide_features);
    print_child_header([] { std::printf("%-16s %-14s ", "cost", "b"); });
    const auto cost_b = [](const child_result& r) { std::printf("%-16.10g %-14.10g ", r.cost, r.fitted[wide_features]); };
    for (const std::size_t m : sizes) {
        const double data_mb = static_cast<double>(m) * (wide_features + 1) * sizeof(double) / 1e6;
        const std::array<child_result, 2> results = {
            run_in_child_and_print(m, "ctgrad", data_mb, [m] { return wide_ctgrad(m); }, cost_b),
            run_in_child_and_print(m, "Ceres LM", data_mb, [m] { return wide_ceres(m); }, cost_b)};
        print_fit_comparison(m, results);
    }
}

// ---------------------------------------------------------------------------------------------

[[noreturn]] void usage(const std::string& problem) {
    std::fprintf(stderr,
                 "bench_least_squares: %s\n"
                 "usage: bench_least_squares [--nist] [DIR | FILE.dat]... [--large M[,M...]] [--wide M[,M...]]\n"
                 "                           [--repetitions N] [--ceres-blocks per-point|single]\n"
                 "  with no DIR, FILE, --large or --wide: data/nist, --large 1000000,10000000 and --wide 1000000\n",
                 problem.c_str());
    std::exit(2);
}

std::size_t positive(const std::string& flag, std::string_view text) {
    std::size_t v = 0;
    const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc{} || ptr != text.data() + text.size() || v == 0)
        usage(flag + " takes whole numbers > 0, not '" + std::string(text) + "'");
    return v;
}

/// The m values of a comma-separated list (--large, --wide).
std::vector<std::size_t> sizes_in(const std::string& flag, const std::string& list) {
    std::vector<std::size_t> sizes;
    std::size_t from = 0;
    while (from <= list.size()) {
        const std::size_t comma = std::min(list.find(',', from), list.size());
        sizes.push_back(positive(flag, std::string_view(list).substr(from, comma - from)));
        from = comma + 1;
    }
    return sizes;
}

} // namespace

int main(int argc, char** argv) {
    // glog (Ceres' logging): to stderr, never to files in /tmp, and errors only: Ceres warns at
    // length (residual_block.cc) about every trial step whose residuals are not finite, which
    // it then rejects as a normal unsuccessful step; printing that is no part of its solve.
    FLAGS_logtostderr = true;
    FLAGS_minloglevel = google::GLOG_ERROR;
    google::InitGoogleLogging(argv[0]);

    std::vector<std::string> places;
    std::vector<std::size_t> large, wide;
    bool large_given = false, wide_given = false, single_block = false;
    int repetitions = 7;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc) usage(arg + " needs a value");
            return argv[++i];
        };
        if (arg == "--nist") {
            while (i + 1 < argc && std::string_view(argv[i + 1]).substr(0, 2) != "--") places.emplace_back(argv[++i]);
        } else if (arg == "--large") {
            large_given = true;
            const std::vector<std::size_t> sizes = sizes_in(arg, value());
            large.insert(large.end(), sizes.begin(), sizes.end());
        } else if (arg == "--wide") {
            wide_given = true;
            const std::vector<std::size_t> sizes = sizes_in(arg, value());
            wide.insert(wide.end(), sizes.begin(), sizes.end());
        } else if (arg == "--repetitions") {
            repetitions = static_cast<int>(std::min<std::size_t>(positive(arg, value()), 1000));
        } else if (arg == "--ceres-blocks") {
            const std::string v = value();
            if (v != "per-point" && v != "single") usage("--ceres-blocks takes per-point or single, not '" + v + "'");
            single_block = v == "single";
        } else if (arg == "--help" || arg == "-h") {
            usage("ctgrad's levenberg_marquardt beside Ceres Solver");
        } else if (arg.starts_with("--")) {
            usage("unknown flag " + arg);
        } else {
            places.push_back(arg);
        }
    }
    if (places.empty() && !large_given && !wide_given) {
        places.emplace_back("data/nist");
        large = {1000000, 10000000};
        wide = {1000000};
    }

    std::printf("ctgrad levenberg_marquardt against Ceres Solver %s (Eigen %d.%d.%d)\n\n", CERES_VERSION_STRING, EIGEN_WORLD_VERSION,
                EIGEN_MAJOR_VERSION, EIGEN_MINOR_VERSION);
    int failed = 0;
    if (!places.empty()) {
        std::vector<std::filesystem::path> files;
        try {
            files = examples::nist::dat_files(places);
        } catch (const std::invalid_argument& e) {
            usage(e.what());
        }
        nist_report report;
        report.repetitions = repetitions;
        print_nist_header(repetitions);
        for (const auto& file : files) {
            try {
                const auto problem = ctgrad::read_nist(file.string());
                if (!fit_problem(problem, report))
                    std::printf("%-9s skipped: no model for this problem\n", problem.name.c_str());
            } catch (const std::exception& e) {
                std::fprintf(stderr, "bench_least_squares: %s\n", e.what());
                ++failed;
            }
        }
        if (report.cases == 0) {
            std::fprintf(stderr, "bench_least_squares: no NIST problem fitted\n");
            return 1;
        }
        print_nist_summary(report);
        if (!large.empty() || !wide.empty()) std::printf("\n");
    }
    if (!large.empty()) {
        try {
            run_large(large, single_block);
        } catch (const std::exception& e) {
            std::fprintf(stderr, "bench_least_squares: %s\n", e.what());
            ++failed;
        }
        if (!wide.empty()) std::printf("\n");
    }
    if (!wide.empty()) {
        try {
            run_wide(wide);
        } catch (const std::exception& e) {
            std::fprintf(stderr, "bench_least_squares: %s\n", e.what());
            ++failed;
        }
    }
    return failed == 0 ? 0 : 1;
}
