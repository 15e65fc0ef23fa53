// ctgrad/optim/levenberg_marquardt.hpp: nonlinear least squares, min ½ Σᵢ rᵢ(θ)², by
// Levenberg–Marquardt. The Jacobian row of example i is d(r, p) for every parameter p, derived
// at compile time; each point tried costs one fused pass over the batch that reduces r and J to
// the triangular factor R of [J | r] (residual_pass.hpp), so J is never stored and the steps
// keep J's condition number rather than JᵀJ's (docs/least_squares.md).
#ifndef CTGRAD_OPTIM_LEVENBERG_MARQUARDT_HPP
#define CTGRAD_OPTIM_LEVENBERG_MARQUARDT_HPP

#include "ctgrad/distributed/group_sums.hpp"
#include "ctgrad/distributed/process_group.hpp"
#include "ctgrad/error.hpp"
#include "ctgrad/eval/fused.hpp"
#include "ctgrad/optim/newton.hpp"
#include "ctgrad/optim/parameter_columns.hpp"
#include "ctgrad/optim/residual_pass.hpp"
#include "ctgrad/optim/streaming_qr.hpp"
#include "ctgrad/symbolic/derivative.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace ctgrad {

/// levenberg_marquardt's options: levenberg_marquardt({.max_iterations = 50}). The defaults
/// iterate to the accuracy double allows, as NIST's certified values ask.
struct levenberg_marquardt_options {
    std::size_t max_iterations = 1000; ///< steps tried (accepted or not) at most
    /// Converged when an accepted step lowered the cost by at most this fraction of it, the
    /// model promised no more, and the scaled step was at most 1e-10 of the scaled parameters.
    double function_tolerance = 1e-15;
    /// Converged when every column of J is this close to orthogonal to r (|J_jᵀ r| / (|J_j| |r|)).
    double gradient_tolerance = 1e-15;
    /// Converged when the scaled step |D δ| is at most this fraction of |D θ|.
    double parameter_tolerance = 1e-15;
    /// The first damping λ, relative to the squared column norms of J.
    double initial_damping = 1e-4;
};

/// Why minimize stopped.
enum class least_squares_termination {
    function_tolerance,
    gradient_tolerance,
    parameter_tolerance,
    zero_residual,    ///< every residual is 0
    no_progress,      ///< the damping grew past any use: no step lowers the cost in this precision
    max_iterations,
};

[[nodiscard]] constexpr std::string_view to_string(least_squares_termination t) noexcept {
    switch (t) {
    case least_squares_termination::function_tolerance: return "function tolerance";
    case least_squares_termination::gradient_tolerance: return "gradient tolerance";
    case least_squares_termination::parameter_tolerance: return "parameter tolerance";
    case least_squares_termination::zero_residual: return "zero residual";
    case least_squares_termination::no_progress: return "no progress";
    case least_squares_termination::max_iterations: return "max iterations";
    }
    return "unknown";
}

/// How minimize ended, and what the fit says about its N parameter components (J's columns,
/// in the store's order; N is std::dynamic_extent, counted at run time, when the store
/// holds a param_vec).
template <std::size_t N>
struct least_squares_result {
    std::size_t iterations = 0;       ///< steps tried
    std::size_t accepted_steps = 0;   ///< steps taken
    std::size_t examples = 0;         ///< m, the number of residuals
    double initial_cost = 0;          ///< ½ Σ r² at the start
    double cost = 0;                  ///< ½ Σ r² at the end
    least_squares_termination termination = least_squares_termination::max_iterations;
    /// σ² (JᵀJ)⁻¹ with σ² = Σ r² / (m - N), at the final parameters; NaN when m <= N. One row
    /// and column per column of J: a scalar parameter, or a component of a vector one.
    typename detail::column_matrix<N>::type covariance{};
    typename detail::column_numbers<N>::type standard_errors{}; ///< the square roots of the covariance's diagonal

    [[nodiscard]] bool converged() const noexcept {
        return termination != least_squares_termination::max_iterations &&
               termination != least_squares_termination::no_progress;
    }
    [[nodiscard]] double residual_sum_of_squares() const noexcept { return 2 * cost; }
};

/// What minimize's callback sees after every step tried (and once at the start, iteration 0).
template <class Params>
struct least_squares_iteration {
    std::size_t iteration = 0; ///< steps tried so far
    double cost = 0;           ///< ½ Σ r² at params (the point kept, after the step's verdict)
    double gradient_norm = 0;  ///< |Jᵀ r| at params
    double damping = 0;        ///< λ for the next step
    bool accepted = false;     ///< whether this step was taken (false at the start)
    const Params& params;
};

/// Least squares cannot go on: a residual not finite at the start, a parameter the data does
/// not determine, or a step that is not finite. Names the parameter and the iteration.
class least_squares_error : public std::runtime_error {
public:
    least_squares_error(std::size_t iteration, const std::string& what) : std::runtime_error(what), m_iteration(iteration) {}
    [[nodiscard]] std::size_t iteration() const noexcept { return m_iteration; }

private:
    std::size_t m_iteration;
};

namespace detail {

/// Whether d(r, p) is the constant 0 for every parameter p: a residual the solver cannot move.
template <class Residual, class... P>
inline constexpr bool depends_on_no_parameter_v = (std::is_same_v<decltype(d(std::declval<const Residual&>(), P{})), zero_t> && ...);

} // namespace detail

namespace detail {
/// ½ Σ r² over the group's examples at `at`, and R of the whole [J | r] into `qr`: each rank's
/// factor of its own examples (none: a zero factor), gathered and merged in rank order, so every
/// rank holds the same bits.
template <process_group G, class Pass, class Store, std::size_t N>
double group_factor(const G& group, Pass& pass, std::size_t examples, const Store& at, streaming_qr<N>& qr,
                    std::vector<double>& buffer) {
    if constexpr (is_single_process_v<G>) {
        return pass.run(at, qr);
    } else {
        if (examples == 0) qr.clear();
        const double cost = examples > 0 ? pass.run(at, qr) : 0.0;
        const auto mine = qr.entries();
        const std::size_t size = mine.size() + 1;
        buffer.resize(size * (group.ranks() + 1));
        double* const own = buffer.data() + size * group.ranks();
        std::copy(mine.begin(), mine.end(), own);
        own[mine.size()] = cost;
        group.all_gather(own, size, buffer.data());
        double total = buffer[size - 1];
        std::copy_n(buffer.data(), mine.size(), qr.entries().begin());
        streaming_qr<N> other = qr;
        for (std::size_t r = 1; r < group.ranks(); ++r) {
            std::copy_n(buffer.data() + r * size, mine.size(), other.entries().begin());
            qr.merge(other);
            total += buffer[r * size + size - 1];
        }
        return total;
    }
}
} // namespace detail

/// Levenberg–Marquardt for a per-example residual of scalar and vector parameters:
/// `ctgrad::levenberg_marquardt().minimize(b1 * (1_c - exp(-(b2 * x))) - y, params, batch)`.
/// Each component of a param_vec is a column of J.
class levenberg_marquardt {
public:
    /// Throws ctgrad::invalid_argument for a tolerance or damping that is negative or not finite.
    explicit levenberg_marquardt(const levenberg_marquardt_options& options = {}) : m_options(options) {
        check("function_tolerance", options.function_tolerance, false);
        check("gradient_tolerance", options.gradient_tolerance, false);
        check("parameter_tolerance", options.parameter_tolerance, false);
        check("initial_damping", options.initial_damping, true);
    }

    [[nodiscard]] const levenberg_marquardt_options& options() const noexcept { return m_options; }

    /// Minimises ½ Σᵢ rᵢ² over the batch, updating `params` in place, and calls
    /// on_iteration(least_squares_iteration) at the start and after every step tried. Throws
    /// least_squares_error when the residual is not finite at the start, a parameter is not
    /// determined by the data there, or a step is not finite; params then hold the last point kept.
    template <expression Residual, class T, class... P, batch_layout L, class... B, class OnIteration = detail::ignore_iteration>
    least_squares_result<detail::columns_of_v<P...>> minimize(const Residual& residual, parameter_store<T, P...>& params,
                                                              const batch_view<T, L, B...>& batch, OnIteration&& on_iteration = {}) const {
        return minimize(single_process{}, residual, params, batch, std::forward<OnIteration>(on_iteration));
    }

    /// The same over the processes of `group` (ctgrad/distributed/mpi.hpp), each calling it with
    /// its own share of the examples in `batch` (possibly none, but not all none): each rank
    /// reduces its residuals to a factor R, and every rank merges the ranks' factors in rank
    /// order, so every rank takes the same steps from rank 0's parameters and ends with the
    /// same bits. on_iteration runs on every rank.
    template <process_group G, expression Residual, class T, class... P, batch_layout L, class... B, class OnIteration = detail::ignore_iteration>
    least_squares_result<detail::columns_of_v<P...>> minimize(const G& group, const Residual& residual, parameter_store<T, P...>& params,
                                                              const batch_view<T, L, B...>& batch, OnIteration&& on_iteration = {}) const {
        constexpr std::size_t N = detail::columns_of_v<P...>;
        using store = parameter_store<T, P...>;
        using numbers = detail::column_numbers<N>;
        static_assert(!is_vector_v<Residual>, "ctgrad::levenberg_marquardt::minimize: the residual must be one number per example");
        static_assert(!detail::depends_on_no_parameter_v<Residual, P...>,
                      "ctgrad::levenberg_marquardt::minimize: the residual contains none of the parameters in the store; "
                      "write it in terms of the params passed to make_parameters");
        least_squares_result<N> result;
        std::vector<double> buffer; // a process group's
        result.examples = std::size_t(detail::group_total(group, double(batch.examples())));
        if (result.examples == 0)
            throw invalid_argument("ctgrad::levenberg_marquardt::minimize: the batch has no examples; pass make_batch(...) of the data");
        detail::broadcast_parameters(group, params, buffer);

        detail::residual_pass<Residual, store, batch_view<T, L, B...>> pass(residual, params, batch);
        const auto run = [&](const store& at, detail::streaming_qr<N>& out) {
            return detail::group_factor(group, pass, batch.examples(), at, out, buffer);
        };
        const std::size_t n = pass.columns();
        if (n == 0)
            throw invalid_argument("ctgrad::levenberg_marquardt::minimize: the parameters have no components (" +
                                   detail::describe_parameters(params) + "); give each param_vec its length in make_parameters");
        detail::streaming_qr<N> qr(n), trial_qr(n);
        result.cost = result.initial_cost = run(params, qr);
        if (!std::isfinite(result.cost))
            throw least_squares_error(0, "ctgrad::levenberg_marquardt: the residual is not finite at the start (" +
                                             detail::describe_parameters(params) + "); start where the model is defined for every example");
        // D_j: column j's norm now, but at least 10⁻³ (1 + its norm at the start), as Ceres'
        // Jacobi scaling and diagonal clamp give; it fits more of NIST's problems than Moré's
        // largest norm so far (docs/least_squares.md, How it works).
        auto scale = numbers::make(n), least_scale = numbers::make(n), gradient = numbers::make(n), point = numbers::make(n);
        auto update_scale_and_gradient = [&](std::size_t iteration) {
            for (std::size_t j = 0; j < n; ++j) {
                const double norm = qr.column_norm(j);
                if (!std::isfinite(norm))
                    throw least_squares_error(iteration, "ctgrad::levenberg_marquardt: the derivative by " + detail::column_name(params, j) +
                                                             " is not finite at iteration " + std::to_string(iteration) + " (" +
                                                             detail::describe_parameters(params) + "); start elsewhere, or rescale the parameter");
                if (iteration == 0) least_scale[j] = min_relative_scale * (1 + norm);
                scale[j] = std::max(norm, least_scale[j]);
                gradient[j] = qr.gradient(j);
            }
        };
        update_scale_and_gradient(0);
        require_determined(qr, params);
        auto norm_of = [&](const typename numbers::type& v) {
            double s = 0;
            for (std::size_t j = 0; j < n; ++j) s += v[j] * v[j];
            return std::sqrt(s);
        };

        double lambda = m_options.initial_damping;
        double growth = 2;
        on_iteration(least_squares_iteration<store>{0, result.cost, norm_of(gradient), lambda, false, params});
        store trial = params;
        bool stopped = false;
        while (!stopped && result.iterations < m_options.max_iterations) {
            if (result.cost == 0) {
                result.termination = least_squares_termination::zero_residual;
                break;
            }
            const double cosine = qr.largest_cosine(std::sqrt(2 * result.cost));
            if (cosine <= m_options.gradient_tolerance) {
                result.termination = least_squares_termination::gradient_tolerance;
                break;
            }
            const auto step = detail::solve_damped(qr, scale, lambda);
            detail::for_each_column(std::as_const(params), [&](std::size_t j, const T& v) { point[j] = double(v); });
            double scaled_step = 0, scaled_params = 0;
            for (std::size_t j = 0; j < n; ++j) {
                if (!std::isfinite(step.step[j]))
                    throw least_squares_error(result.iterations, "ctgrad::levenberg_marquardt: the step for " + detail::column_name(params, j) +
                                                                     " is not finite at iteration " + std::to_string(result.iterations) +
                                                                     " (" + detail::describe_parameters(params) +
                                                                     "); rescale the parameters or start closer to the solution");
                scaled_step += (scale[j] * step.step[j]) * (scale[j] * step.step[j]);
                scaled_params += (scale[j] * point[j]) * (scale[j] * point[j]);
            }
            // A step this small is not tried, so it is not an iteration (nor a callback).
            if (std::sqrt(scaled_step) <= m_options.parameter_tolerance * (std::sqrt(scaled_params) + m_options.parameter_tolerance)) {
                result.termination = least_squares_termination::parameter_tolerance;
                break;
            }
            detail::for_each_column(trial, [&](std::size_t j, T& v) { v = static_cast<T>(point[j] + step.step[j]); });
            ++result.iterations;
            const double trial_cost = run(trial, trial_qr);
            const double actual = result.cost - trial_cost;
            const double rho = std::isfinite(trial_cost) && step.predicted_reduction > 0 ? actual / step.predicted_reduction : -1;
            bool accepted = rho > 1e-3;
            bool by_gradient = false;
            const bool unjudged = trial_cost <= result.cost * (1 + noise_cost) ||
                                  (step.predicted_reduction <= noise_cost * result.cost && trial_cost <= result.cost * (1 + rounding_cost));
            if (!accepted && std::isfinite(trial_cost) && unjudged) {
                // Near a minimum the cost is flat to double precision long before the
                // parameters are: where it cannot rank the two points, or the model promises
                // less than it resolves, the gradient, linear in the error, decides.
                accepted = by_gradient = trial_qr.largest_cosine(std::sqrt(2 * trial_cost)) < cosine;
            }
            if (accepted) {
                const double previous = result.cost;
                params = trial;
                ++result.accepted_steps;
                result.cost = trial_cost;
                std::swap(qr, trial_qr);
                update_scale_and_gradient(result.iterations);
                const double gain = 2 * rho - 1;
                lambda *= std::max(1.0 / 3, 1 - gain * gain * gain);
                lambda = std::max(lambda, min_damping);
                growth = 2;
                // A step the gradient accepted says nothing about the cost's tolerance, and a
                // flat cost alone does not mean the parameters have settled.
                if (!by_gradient && actual <= m_options.function_tolerance * previous &&
                    step.predicted_reduction <= m_options.function_tolerance * previous &&
                    std::sqrt(scaled_step) <= settled_step * std::sqrt(scaled_params)) {
                    result.termination = least_squares_termination::function_tolerance;
                    stopped = true;
                }
            } else {
                lambda *= growth;
                growth *= 2;
                if (lambda > max_damping) {
                    result.termination = least_squares_termination::no_progress;
                    stopped = true;
                }
            }
            on_iteration(least_squares_iteration<store>{result.iterations, result.cost, norm_of(gradient), lambda, accepted, params});
        }
        covariance(qr, result);
        return result;
    }

    template <expression Residual, class T, class... P, class U, batch_layout L, class... B, class OnIteration = detail::ignore_iteration>
        requires(!std::is_same_v<T, U>)
    least_squares_result<detail::columns_of_v<P...>> minimize(const Residual&, parameter_store<T, P...>&,
                                                              const batch_view<U, L, B...>&, OnIteration&& = {}) const {
        static_assert(std::is_same_v<T, U>, "ctgrad::levenberg_marquardt::minimize: the parameters and the batch hold "
                                            "different number types: make both float or both double");
        return {};
    }

    /// The same for a trainable model with a residual() (nn::make_model's: prediction minus
    /// target) on the training part of a dataset of either layout, taken as one batch.
    template <class M, class T, batch_layout L, class OnIteration = detail::ignore_iteration>
        requires model<M, L>
    auto minimize(M& m, data::dataset<T, L>& data, OnIteration&& on_iteration = {}) const {
        return minimize(single_process{}, m, data, std::forward<OnIteration>(on_iteration));
    }

    /// The same over a process group: each rank takes its share (data::share_of) of the training
    /// part, or the whole of it when the dataset is a shard (dataset::mark_as_shard).
    template <process_group G, class M, class T, batch_layout L, class OnIteration = detail::ignore_iteration>
        requires model<M, L>
    auto minimize(const G& group, M& m, data::dataset<T, L>& data, OnIteration&& on_iteration = {}) const {
        static_assert(std::is_same_v<typename M::value_type, T>,
                      "ctgrad::levenberg_marquardt::minimize(model, data): the model and the dataset must hold the same number type");
        static_assert(requires(const M& cm) { { cm.residual() } -> expression; },
                      "ctgrad::levenberg_marquardt::minimize(model, data): the model needs residual(), the per-example "
                      "prediction minus target (models from nn::make_model have it)");
        if (data.num_train() == 0)
            throw invalid_argument("ctgrad::levenberg_marquardt::minimize: the dataset has no training examples");
        if constexpr (requires { m.initialize_for(data.num_features()); }) m.initialize_for(data.num_features());
        return minimize(group, m.residual(), m.parameters(),
                        m.bind(data.train_batch(group.rank(), group.ranks())),
                        std::forward<OnIteration>(on_iteration));
    }

private:
    static constexpr double min_damping = 1e-30;
    /// The least D_j, relative to 1 + column j's norm at the start.
    static constexpr double min_relative_scale = 1e-3;
    static constexpr double max_damping = 1e32;
    /// A relative change of the cost this small is within the roundoff of summing it.
    static constexpr double noise_cost = 1e-13;
    /// A relative rise of the cost this small can be the rounding of the residuals themselves
    /// (r = model - y keeps the absolute error of y, ε |y|, and ε |y| / |r| can be large): √ε.
    static constexpr double rounding_cost = 1.5e-8;
    /// The scaled step, relative to the scaled parameters, below which a flat cost means
    /// convergence: the cost of a large-residual problem goes flat while the parameters move.
    static constexpr double settled_step = 1e-10;
    /// R's diagonal entry, relative to its column's norm, below which J's columns are dependent.
    static constexpr double undetermined_pivot = 1e-13;

    static void check(const char* name, double v, bool positive) {
        if (!std::isfinite(v) || v < 0 || (positive && v == 0))
            throw invalid_argument(std::string("ctgrad::levenberg_marquardt: ") + name + " must be finite and " +
                                   (positive ? "> 0" : ">= 0") + ", not " + std::to_string(v));
    }

    /// Throws least_squares_error naming the first parameter component that J's columns at the
    /// start do not determine: its column is 0, or a combination of the columns before it.
    template <std::size_t N, class Store>
    static void require_determined(const detail::streaming_qr<N>& qr, const Store& params) {
        const std::size_t n = qr.parameters();
        for (std::size_t j = 0; j < n; ++j)
            if (!(qr.column_norm(j) > 0))
                throw least_squares_error(0, "ctgrad::levenberg_marquardt: the data do not determine " + detail::column_name(params, j) +
                                                 ": the residual's derivative by it is 0 for every example at the start (" +
                                                 detail::describe_parameters(params) + "); remove it from the store, or start where it matters");
        auto unused = detail::column_matrix<N>::make(n);
        std::size_t failed = 0;
        if (detail::inverse_normal_matrix(qr, undetermined_pivot, unused, failed)) return;
        std::string given;
        for (std::size_t k = 0; k < failed && k < 4; ++k) given += (k ? ", " : "given ") + detail::column_name(params, k);
        if (failed > 4) given += ", ... (" + std::to_string(failed) + " components)";
        throw least_squares_error(0, "ctgrad::levenberg_marquardt: " + given + (given.empty() ? "" : ", ") + "the data do not determine " +
                                         detail::column_name(params, failed) + " at the start (" + detail::describe_parameters(params) +
                                         "): the residual's derivatives by the parameters are linearly dependent; "
                                         "remove a parameter or write the model so that each one matters");
    }

    /// σ² (JᵀJ)⁻¹ from R at the final point; NaN where J does not determine the parameters.
    template <std::size_t N>
    static void covariance(const detail::streaming_qr<N>& qr, least_squares_result<N>& result) {
        constexpr double nan = std::numeric_limits<double>::quiet_NaN();
        const std::size_t n = qr.parameters();
        result.covariance = detail::column_matrix<N>::make(n);
        result.standard_errors = detail::column_numbers<N>::make(n);
        auto inverse = detail::column_matrix<N>::make(n);
        std::size_t failed = 0;
        const bool ok = result.examples > n && detail::inverse_normal_matrix(qr, undetermined_pivot, inverse, failed);
        const double sigma2 = result.examples > n ? 2 * result.cost / double(result.examples - n) : nan;
        for (std::size_t i = 0; i < n; ++i) {
            for (std::size_t j = 0; j < n; ++j) result.covariance[i][j] = ok ? sigma2 * inverse[i][j] : nan;
            result.standard_errors[i] = ok ? std::sqrt(result.covariance[i][i]) : nan;
        }
    }

    levenberg_marquardt_options m_options;
};

} // namespace ctgrad

#endif // CTGRAD_OPTIM_LEVENBERG_MARQUARDT_HPP
