// ctgrad/optim/newton.hpp: Newton's method for models with a few scalar parameters (Ohm's
// law, Planck's law). The gradient and the Hessian are derived symbolically: the Hessian
// entry (i, j) is d(d(loss, p_i), p_j), a type built at compile time; their batch means come
// from the fused kernel, one pass per parameter (value_and_grad of d(loss, p_i) gives the
// gradient's entry i and the Hessian's row i together).
//
// Each iteration solves H step = -g by Gauss elimination with partial pivoting and takes the
// longest step 2^-k that lowers the loss enough (Armijo's rule, so a step into a region
// where the loss is higher, or not finite, is halved rather than taken). A singular Hessian,
// or one that is not positive definite (so the Newton step need not go downhill), is an
// error that names the parameters and where it happened.
#ifndef CTGRAD_OPTIM_NEWTON_HPP
#define CTGRAD_OPTIM_NEWTON_HPP

#include "ctgrad/data/dataset.hpp"
#include "ctgrad/distributed/group_sums.hpp"
#include "ctgrad/distributed/process_group.hpp"
#include "ctgrad/error.hpp"
#include "ctgrad/eval/fused.hpp"
#include "ctgrad/optim/parameter_columns.hpp"
#include "ctgrad/symbolic/derivative.hpp"
#include "ctgrad/train/model.hpp"

#include <algorithm>
#include <array>
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

/// What newton's constructor takes: newton({.max_iterations = 10, .tolerance = 1e-10}).
struct newton_options {
    std::size_t max_iterations = 10; ///< Newton steps at most
    /// Converged when the decrease the quadratic model still predicts, g' H^-1 g / 2 (half the
    /// squared Newton decrement), is at most tolerance * (1 + |loss|).
    double tolerance = 1e-10;
    std::size_t max_halvings = 40;   ///< the line search gives up after this many halvings
};

/// How minimize ended.
struct newton_result {
    std::size_t iterations = 0; ///< Newton steps taken
    double loss = std::numeric_limits<double>::quiet_NaN();      ///< the mean loss at the final parameters
    double decrement = std::numeric_limits<double>::quiet_NaN(); ///< g' H^-1 g / 2 there
    bool converged = false; ///< false: max_iterations reached, or no step lowered the loss
};

/// What minimize's callback sees after each iteration (and once at the start).
template <class Params>
struct newton_iteration {
    std::size_t iteration = 0; ///< Newton steps taken so far (0: the starting point)
    double loss = 0;           ///< the mean loss at params
    double decrement = 0;      ///< g' H^-1 g / 2 at params: what the next full step should gain
    double step_scale = 0;     ///< the fraction of the Newton step taken to get here (1: all; 0 at the start)
    const Params& params;
};

/// Newton's method cannot go on: a singular Hessian (a parameter the loss does not
/// determine), one that is not positive definite, or a loss that is not finite.
class newton_error : public std::runtime_error {
public:
    newton_error(std::size_t iteration, const std::string& what) : std::runtime_error(what), m_iteration(iteration) {}
    /// Newton steps taken before the failure.
    [[nodiscard]] std::size_t iteration() const noexcept { return m_iteration; }

private:
    std::size_t m_iteration;
};

/// A batch's mean loss, mean gradient and mean Hessian by N scalar parameters.
template <class T, std::size_t N>
struct second_order {
    T value{};
    std::array<T, N> gradient{};
    std::array<std::array<T, N>, N> hessian{}; ///< hessian[i][j]: mean of d(d(loss, p_i), p_j)
};

namespace detail {

/// Instantiated only for a vector parameter; its name is spelled in the template arguments.
template <char... Name>
struct newton_takes_scalar_parameters_only {
    static_assert(sizeof...(Name) == 0,
                  "ctgrad::newton: Newton's method here is for a few scalar parameters (param), and a "
                  "param_vec is in the parameter store (its name is spelled in the template arguments of "
                  "newton_takes_scalar_parameters_only); train vectors with sgd, or write them as scalar params");
};

template <class S, std::size_t... I>
constexpr void report_vector_parameter(std::index_sequence<I...>) {
    [[maybe_unused]] newton_takes_scalar_parameters_only<S::name.m_chars[I]...> error;
}

/// The one error for a vector among P...; callers then skip their body (if constexpr on
/// all_scalar_v), so that nothing else fails to compile.
template <class... P>
constexpr void require_scalar_parameters() {
    ([] {
        if constexpr (P::is_vector) report_vector_parameter<P>(std::make_index_sequence<P::name.view().size()>{});
    }(), ...);
}

template <class... P> inline constexpr bool all_scalar_v = !(P::is_vector || ...);

template <class... P>
std::string parameter_names() {
    std::string out;
    ((out += (out.empty() ? "" : ", ") + std::string(P::name.view())), ...);
    return out;
}

template <class... P>
std::string parameter_name(std::size_t k) {
    constexpr std::string_view names[] = {P::name.view()...};
    return std::string(names[k]);
}

/// The outcome of solving H step = -g for a symmetric H. `failed` names the first parameter
/// whose pivot vanished (singular) or is not positive (not positive definite).
template <std::size_t N>
struct newton_solve {
    std::array<double, N> step{};
    double decrement = 0; ///< -g' step / 2 = g' H^-1 g / 2
    enum { ok, singular, indefinite } status = ok;
    std::size_t failed = 0;
    double pivot = 0;
};

/// Pivots smaller than this times the Hessian's largest entry count as 0: roundoff in an
/// exactly singular Hessian leaves pivots of about N * 1e-16 relative.
inline constexpr double newton_singular_pivot = 1e-12;

template <std::size_t N>
newton_solve<N> solve_newton_system(std::array<std::array<double, N>, N> h, const std::array<double, N>& g) {
    newton_solve<N> out;
    double scale = 0;
    for (const auto& row : h)
        for (double v : row) scale = std::max(scale, std::abs(v));
    const double tiny = newton_singular_pivot * scale;

    // The step, by elimination with partial pivoting (the numerically stable order). A
    // vanishing pivot names the parameter that the ones before it leave undetermined.
    auto u = h;
    std::array<double, N> rhs{};
    for (std::size_t i = 0; i < N; ++i) rhs[i] = -g[i];
    for (std::size_t k = 0; k < N; ++k) {
        std::size_t best = k;
        for (std::size_t i = k + 1; i < N; ++i)
            if (std::abs(u[i][k]) > std::abs(u[best][k])) best = i;
        std::swap(u[k], u[best]);
        std::swap(rhs[k], rhs[best]);
        if (!(std::abs(u[k][k]) > tiny)) {
            out.status = out.singular;
            out.failed = k;
            out.pivot = u[k][k];
            return out;
        }
        for (std::size_t i = k + 1; i < N; ++i) {
            const double f = u[i][k] / u[k][k];
            for (std::size_t j = k; j < N; ++j) u[i][j] -= f * u[k][j];
            rhs[i] -= f * rhs[k];
        }
    }
    for (std::size_t k = N; k-- > 0;) {
        double v = rhs[k];
        for (std::size_t j = k + 1; j < N; ++j) v -= u[k][j] * out.step[j];
        out.step[k] = v / u[k][k];
    }

    // Positive definiteness: a symmetric matrix is positive definite exactly when elimination
    // without row exchanges meets only positive pivots (the D of its LDL' factorisation).
    for (std::size_t k = 0; k < N; ++k) {
        if (!(h[k][k] > tiny)) {
            out.status = out.indefinite;
            out.failed = k;
            out.pivot = h[k][k];
            return out;
        }
        for (std::size_t i = k + 1; i < N; ++i) {
            const double f = h[i][k] / h[k][k];
            for (std::size_t j = k; j < N; ++j) h[i][j] -= f * h[k][j];
        }
    }
    for (std::size_t i = 0; i < N; ++i) out.decrement -= g[i] * out.step[i] / 2;
    return out;
}

struct ignore_iteration {
    template <class I>
    void operator()(const I&) const noexcept {}
};

} // namespace detail

/// The batch means of the loss, of its gradient and of its Hessian by every parameter of
/// `params` (all scalars). Entry (i, j) of the Hessian is the mean of d(d(loss, p_i), p_j),
/// derived at compile time; the result is symmetrised against roundoff.
template <expression Loss, class T, class... P, batch_layout L, class... B>
second_order<T, sizeof...(P)> value_grad_hessian(const Loss& loss, const parameter_store<T, P...>& params,
                                                 const batch_view<T, L, B...>& batch) {
    constexpr std::size_t n = sizeof...(P);
    second_order<T, n> out;
    detail::require_scalar_parameters<P...>();
    if constexpr (detail::all_scalar_v<P...>) {
        out.value = value(loss, params, batch);
        auto row = params.zeros_like();
        std::size_t i = 0;
        (
            [&] {
                out.gradient[i] = value_and_grad(d(loss, P{}), params, batch, row);
                std::size_t j = 0;
                row.for_each([&](auto, const T& v) { out.hessian[i][j++] = v; });
                ++i;
            }(),
            ...);
        for (std::size_t r = 0; r < n; ++r)
            for (std::size_t c = r + 1; c < n; ++c) out.hessian[r][c] = out.hessian[c][r] = (out.hessian[r][c] + out.hessian[c][r]) / 2;
    }
    return out;
}

namespace detail {
/// The means over the group's examples of a second_order whose means over this rank's
/// `examples` (possibly none) local() gives.
template <class T, std::size_t N, process_group G, class Local>
second_order<T, N> group_second_order(const G& group, std::size_t examples, Local&& local) {
    if constexpr (is_single_process_v<G>) {
        return local();
    } else {
        std::array<double, 2 + N + N * N> sums{};
        if (examples > 0) {
            const second_order<T, N> mine = local();
            const double n = double(examples);
            sums[0] = n;
            sums[1] = n * double(mine.value);
            for (std::size_t i = 0; i < N; ++i) {
                sums[2 + i] = n * double(mine.gradient[i]);
                for (std::size_t j = 0; j < N; ++j) sums[2 + N + i * N + j] = n * double(mine.hessian[i][j]);
            }
        }
        group.sum(sums.data(), sums.size());
        second_order<T, N> out;
        out.value = static_cast<T>(sums[1] / sums[0]);
        for (std::size_t i = 0; i < N; ++i) {
            out.gradient[i] = static_cast<T>(sums[2 + i] / sums[0]);
            for (std::size_t j = 0; j < N; ++j) out.hessian[i][j] = static_cast<T>(sums[2 + N + i * N + j] / sums[0]);
        }
        return out;
    }
}
} // namespace detail

/// Newton's method with a backtracking line search, for losses of a few scalar parameters:
/// `ctgrad::newton({.max_iterations = 10}).minimize(loss, params, batch)`.
class newton {
public:
    /// Throws ctgrad::invalid_argument for a negative or non-finite tolerance.
    explicit newton(const newton_options& options = {}) : m_options(options) {
        if (!(options.tolerance >= 0) || !std::isfinite(options.tolerance))
            throw invalid_argument("ctgrad::newton: tolerance must be finite and >= 0, not " + std::to_string(options.tolerance));
    }

    [[nodiscard]] const newton_options& options() const noexcept { return m_options; }

    /// Minimises the batch mean of `loss` over the parameters in `params` (updated in place),
    /// calling on_iteration(newton_iteration) at the start and after every step. Throws
    /// newton_error when the loss is not finite or the Hessian is singular or not positive
    /// definite (naming the parameters); params then hold the last point reached.
    template <expression Loss, class T, class... P, batch_layout L, class... B, class OnIteration = detail::ignore_iteration>
    newton_result minimize(const Loss& loss, parameter_store<T, P...>& params, const batch_view<T, L, B...>& batch,
                           OnIteration&& on_iteration = {}) const {
        return minimize(single_process{}, loss, params, batch, std::forward<OnIteration>(on_iteration));
    }

    /// The same over the processes of `group` (ctgrad/distributed/mpi.hpp), each calling it
    /// with its own share of the examples in `batch` (possibly none): the loss, gradient and
    /// Hessian are the ranks' sums added in rank order, so every rank takes the same steps from
    /// rank 0's parameters and ends with the same bits. on_iteration runs on every rank.
    template <process_group G, expression Loss, class T, class... P, batch_layout L, class... B, class OnIteration = detail::ignore_iteration>
    newton_result minimize(const G& group, const Loss& loss, parameter_store<T, P...>& params, const batch_view<T, L, B...>& batch,
                           OnIteration&& on_iteration = {}) const {
        newton_result result;
        detail::require_scalar_parameters<P...>();
        if constexpr (detail::all_scalar_v<P...>) {
            using store = parameter_store<T, P...>;
            std::vector<double> buffer;
            detail::broadcast_parameters(group, params, buffer);
            auto solve_at = [&](double step_scale) {
                const auto system = detail::group_second_order<T, sizeof...(P)>(group, batch.examples(),
                                                               [&] { return value_grad_hessian(loss, params, batch); });
                const auto solved = checked_solve<P...>(system, params, result.iterations);
                result.loss = double(system.value);
                result.decrement = solved.decrement;
                on_iteration(newton_iteration<store>{result.iterations, result.loss, solved.decrement, step_scale, params});
                return solved;
            };
            auto solved = solve_at(0.0);
            store trial = params;
            for (;;) {
                result.converged = solved.decrement <= m_options.tolerance * (1 + std::abs(result.loss));
                if (result.converged || result.iterations == m_options.max_iterations) break;
                // Armijo: accept t when the loss falls by at least 1e-4 of what the slope
                // g' step = -2 decrement promises for it.
                double t = 1;
                bool accepted = false;
                for (std::size_t halving = 0; halving <= m_options.max_halvings && !accepted; ++halving) {
                    if (halving > 0) t /= 2;
                    std::size_t k = 0;
                    ((trial[P{}] = static_cast<T>(double(params[P{}]) + t * solved.step[k++])), ...);
                    const double trial_loss = detail::group_mean(group, batch.examples(), [&] { return value(loss, trial, batch); });
                    accepted = std::isfinite(trial_loss) && trial_loss <= result.loss - 1e-4 * t * 2 * solved.decrement;
                }
                if (!accepted) break; // no step lowers the loss: roundoff is all that is left
                params = trial;
                ++result.iterations;
                solved = solve_at(t);
            }
        }
        return result;
    }

    template <expression Loss, class T, class... P, class U, batch_layout L, class... B, class OnIteration = detail::ignore_iteration>
        requires(!std::is_same_v<T, U>)
    newton_result minimize(const Loss&, parameter_store<T, P...>&, const batch_view<U, L, B...>&, OnIteration&& = {}) const {
        static_assert(std::is_same_v<T, U>, "ctgrad::newton::minimize: the parameters and the batch hold different number "
                                            "types: make both float or both double");
        return {};
    }

    /// The same for a trainable model (train/model.hpp) on the training part of a dataset of
    /// either layout, taken as one batch.
    template <class M, class T, batch_layout L, class OnIteration = detail::ignore_iteration>
        requires model<M, L>
    newton_result minimize(M& m, data::dataset<T, L>& data, OnIteration&& on_iteration = {}) const {
        return minimize(single_process{}, m, data, std::forward<OnIteration>(on_iteration));
    }

    /// The same over a process group: each rank takes its share (data::share_of) of the training
    /// part, or the whole of it when the dataset is a shard (dataset::mark_as_shard).
    template <process_group G, class M, class T, batch_layout L, class OnIteration = detail::ignore_iteration>
        requires model<M, L>
    newton_result minimize(const G& group, M& m, data::dataset<T, L>& data, OnIteration&& on_iteration = {}) const {
        static_assert(std::is_same_v<typename M::value_type, T>,
                      "ctgrad::newton::minimize(model, data): the model and the dataset must hold the same number type");
        if (data.num_train() == 0) throw invalid_argument("ctgrad::newton::minimize: the dataset has no training examples");
        if constexpr (requires { m.initialize_for(data.num_features()); }) m.initialize_for(data.num_features());
        return minimize(group, m.loss(), m.parameters(), m.bind(data.train_batch(group.rank(), group.ranks())),
                        std::forward<OnIteration>(on_iteration));
    }

private:
    template <class... P, class T, std::size_t N>
    static detail::newton_solve<N> checked_solve(const second_order<T, N>& system, const parameter_store<T, P...>& params,
                                                 std::size_t iteration) {
        const std::string where = " at iteration " + std::to_string(iteration) + " (" + detail::describe_parameters(params) + ")";
        bool finite = std::isfinite(double(system.value));
        std::array<double, N> g{};
        std::array<std::array<double, N>, N> h{};
        for (std::size_t i = 0; i < N; ++i) {
            g[i] = double(system.gradient[i]);
            finite = finite && std::isfinite(g[i]);
            for (std::size_t j = 0; j < N; ++j) {
                h[i][j] = double(system.hessian[i][j]);
                finite = finite && std::isfinite(h[i][j]);
            }
        }
        if (!finite)
            throw newton_error(iteration, "ctgrad::newton: the loss, its gradient or its Hessian is not finite" + where);
        auto solved = detail::solve_newton_system(h, g);
        const std::string by = "the Hessian of the loss by (" + detail::parameter_names<P...>() + ")";
        const std::string name = detail::parameter_name<P...>(solved.failed);
        // Elimination takes the parameters in order, so a failure at parameter k is about k
        // with the ones before it held fixed.
        std::string given;
        for (std::size_t k = 0; k < solved.failed; ++k) given += (k ? ", " : "given ") + detail::parameter_name<P...>(k);
        if (!given.empty()) given += ", ";
        const std::string pivot = " (pivot " + detail::parameter_number(solved.pivot) + ")";
        if (solved.status == solved.singular)
            throw newton_error(iteration, "ctgrad::newton: " + by + " is singular" + where + ": " + given +
                                              "the loss does not determine " + name + pivot +
                                              "; the data or the model leave it free, or it needs rescaling");
        if (solved.status == solved.indefinite)
            throw newton_error(iteration, "ctgrad::newton: " + by + " is not positive definite" + where + ": " + given +
                                              "the loss " + (solved.pivot < 0 ? "curves downwards" : "is flat") +
                                              " along " + name + pivot +
                                              ", so a Newton step need not go towards a minimum; start closer to it");
        return solved;
    }

    newton_options m_options;
};

} // namespace ctgrad

#endif // CTGRAD_OPTIM_NEWTON_HPP
