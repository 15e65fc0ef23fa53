// ctgrad/optim/lbfgs.hpp: L-BFGS for full-batch smooth losses, as torch.optim.LBFGS defines it
// (minFunc's algorithm: the two-loop recursion over a history of steps, an optional strong Wolfe
// line search by cubic interpolation). Every loss and gradient it asks for, line-search trials
// included, is one fused pass over the batch (value_and_grad).
#ifndef CTGRAD_OPTIM_LBFGS_HPP
#define CTGRAD_OPTIM_LBFGS_HPP

#include "ctgrad/error.hpp"
#include "ctgrad/eval/fused.hpp"
#include "ctgrad/optim/component_state.hpp"
#include "ctgrad/optim/parameter_columns.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <deque>
#include <string_view>
#include <utility>
#include <vector>

namespace ctgrad {

/// lbfgs's options, in torch.optim.LBFGS's order and with its defaults: lbfgs({.max_iter = 100,
/// .line_search = lbfgs_line_search::strong_wolfe}).
enum class lbfgs_line_search { none, strong_wolfe };

struct lbfgs_options {
    double lr = 1;                 ///< the step along each direction (the line search's first trial)
    std::size_t max_iter = 20;     ///< iterations per minimize call
    std::size_t max_eval = 0;      ///< loss and gradient evaluations per call; 0: max_iter · 5 / 4
    double tolerance_grad = 1e-7;  ///< stop when every gradient component is this small
    double tolerance_change = 1e-9; ///< stop when the step or the loss changes less than this
    std::size_t history_size = 100;
    lbfgs_line_search line_search = lbfgs_line_search::none;
};

/// Why lbfgs::minimize stopped.
enum class lbfgs_termination { gradient_tolerance, change_tolerance, max_iterations, max_evaluations };

[[nodiscard]] constexpr std::string_view to_string(lbfgs_termination t) noexcept {
    switch (t) {
    case lbfgs_termination::gradient_tolerance: return "gradient tolerance";
    case lbfgs_termination::change_tolerance: return "change tolerance";
    case lbfgs_termination::max_iterations: return "max iterations";
    case lbfgs_termination::max_evaluations: return "max evaluations";
    }
    return "unknown";
}

struct lbfgs_result {
    double initial_loss = 0;    ///< at the call's start
    double loss = 0;            ///< at the last point evaluated (without a line search, the one before the last step when max_iter ends it)
    std::size_t iterations = 0; ///< in this call
    std::size_t evaluations = 0; ///< fused passes in this call
    lbfgs_termination termination = lbfgs_termination::max_iterations;
};

/// L-BFGS as torch.optim.LBFGS: one minimize call is one of torch's step(closure) calls, up to
/// max_iter iterations, and the history carries over to the next call, as torch's state does.
class lbfgs {
public:
    /// Throws ctgrad::invalid_argument naming the option: lr <= 0, max_iter or history_size 0,
    /// a tolerance < 0.
    explicit lbfgs(const lbfgs_options& options = {}) : m_options(options) {
        detail::require_positive(who, "lr", options.lr);
        detail::require_non_negative(who, "tolerance_grad", options.tolerance_grad);
        detail::require_non_negative(who, "tolerance_change", options.tolerance_change);
        if (options.max_iter == 0) throw invalid_argument("ctgrad::lbfgs: max_iter must be at least 1");
        if (options.history_size == 0) throw invalid_argument("ctgrad::lbfgs: history_size must be at least 1");
        if (m_options.max_eval == 0) m_options.max_eval = m_options.max_iter * 5 / 4;
    }

    [[nodiscard]] const lbfgs_options& options() const noexcept { return m_options; }

    /// Minimises the batch mean of `loss` over `params`, updating them in place.
    template <expression Loss, class T, class... P, batch_layout L, class... B>
    lbfgs_result minimize(const Loss& loss, parameter_store<T, P...>& params, const batch_view<T, L, B...>& batch) {
        problem<Loss, T, parameter_store<T, P...>, batch_view<T, L, B...>> f{loss, params, batch, params.zeros_like(), {}};
        return run(f);
    }
    template <expression Loss, class T, class... P, class U, batch_layout L, class... B>
        requires(!std::is_same_v<T, U>)
    lbfgs_result minimize(const Loss&, parameter_store<T, P...>&, const batch_view<U, L, B...>&) {
        static_assert(std::is_same_v<T, U>, "ctgrad::lbfgs::minimize: the parameters and the batch hold different number "
                                            "types: make both float or both double");
        return {};
    }

private:
    static constexpr const char* who = "ctgrad::lbfgs";

    /// The loss and its gradient at a flat point, by one fused pass each.
    template <class Loss, class T, class Store, class Batch>
    struct problem {
        const Loss& loss;
        Store& params;
        const Batch& batch;
        Store grads;
        std::vector<double> flat;

        std::vector<double> point() {
            std::vector<double> x(detail::column_count(params));
            detail::for_each_column(std::as_const(params), [&](std::size_t j, const T& v) { x[j] = double(v); });
            return x;
        }
        void set(const std::vector<double>& x) {
            detail::for_each_column(params, [&](std::size_t j, T& v) { v = T(x[j]); });
        }
        /// The loss at the store's parameters; its gradient into g.
        double evaluate(std::vector<double>& g) {
            const double value = double(value_and_grad(loss, params, batch, grads));
            g.resize(detail::column_count(grads));
            detail::for_each_column(std::as_const(grads), [&](std::size_t j, const T& v) { g[j] = double(v); });
            return value;
        }
        /// The loss and gradient at x + t d, leaving the store at x.
        double evaluate_along(const std::vector<double>& x, double t, const std::vector<double>& d, std::vector<double>& g) {
            std::vector<double> trial(x.size());
            for (std::size_t i = 0; i < x.size(); ++i) trial[i] = x[i] + t * d[i];
            set(trial);
            const double value = evaluate(g);
            set(x);
            return value;
        }
    };

    static double dot(const std::vector<double>& a, const std::vector<double>& b) {
        double s = 0;
        for (std::size_t i = 0; i < a.size(); ++i) s += a[i] * b[i];
        return s;
    }
    static double max_abs(const std::vector<double>& a) {
        double m = 0;
        for (double v : a) m = std::max(m, std::abs(v));
        return m;
    }

    template <class Problem>
    lbfgs_result run(Problem& f);

    lbfgs_options m_options;
    // The state torch keeps between step calls.
    std::size_t m_total_iterations = 0;
    std::vector<double> m_direction, m_previous_gradient;
    double m_t = 0, m_h_diag = 1;
    std::deque<std::vector<double>> m_old_dirs, m_old_steps;
    std::deque<double> m_ro;
};

namespace detail {

/// The minimiser of the cubic through (x1, f1, g1) and (x2, f2, g2), clamped to the bounds (by
/// default the two points); their midpoint when the cubic has none (torch's _cubic_interpolate).
inline double cubic_interpolate(double x1, double f1, double g1, double x2, double f2, double g2, double low, double high) {
    const double d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2);
    const double d2_square = d1 * d1 - g1 * g2;
    if (d2_square < 0) return (low + high) / 2;
    const double d2 = std::sqrt(d2_square);
    const double at = x1 <= x2 ? x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
                               : x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2));
    return std::min(std::max(at, low), high);
}

inline double cubic_interpolate(double x1, double f1, double g1, double x2, double f2, double g2) {
    return cubic_interpolate(x1, f1, g1, x2, f2, g2, std::min(x1, x2), std::max(x1, x2));
}

/// One point of a line search: the step, the loss there, its gradient and its slope along d.
struct line_point {
    double t = 0, f = 0;
    std::vector<double> g;
    double gtd = 0;
};

/// torch's _strong_wolfe: a step t along d from x satisfying the strong Wolfe conditions (c1 =
/// 1e-4, c2 = 0.9), by bracketing then zooming with cubic interpolation, at most 25 evaluations.
/// Returns the point chosen; `evaluations` counts the losses computed.
template <class Evaluate>
line_point strong_wolfe(Evaluate&& evaluate, double t, const std::vector<double>& d, double f, const std::vector<double>& g,
                        double gtd, double tolerance_change, std::size_t& evaluations) {
    constexpr double c1 = 1e-4, c2 = 0.9;
    constexpr std::size_t max_ls = 25;
    double d_norm = 0;
    for (double v : d) d_norm = std::max(d_norm, std::abs(v));
    auto slope = [&](const std::vector<double>& gradient) {
        double s = 0;
        for (std::size_t i = 0; i < d.size(); ++i) s += gradient[i] * d[i];
        return s;
    };
    line_point now{t, 0, {}, 0};
    now.f = evaluate(t, now.g);
    evaluations = 1;
    now.gtd = slope(now.g);
    line_point previous{0, f, g, gtd};
    std::array<line_point, 2> bracket;
    std::size_t size = 0; // points in the bracket: 1 when a point already satisfies the conditions
    bool done = false;
    std::size_t ls_iter = 0;
    while (ls_iter < max_ls) {
        if (now.f > f + c1 * now.t * gtd || (ls_iter > 1 && now.f >= previous.f)) {
            bracket = {previous, now};
            size = 2;
            break;
        }
        if (std::abs(now.gtd) <= -c2 * gtd) {
            bracket[0] = now;
            size = 1;
            done = true;
            break;
        }
        if (now.gtd >= 0) {
            bracket = {previous, now};
            size = 2;
            break;
        }
        const double min_step = now.t + 0.01 * (now.t - previous.t), max_step = now.t * 10;
        const double next = cubic_interpolate(previous.t, previous.f, previous.gtd, now.t, now.f, now.gtd, min_step, max_step);
        previous = now;
        now.t = next;
        now.f = evaluate(now.t, now.g);
        ++evaluations;
        now.gtd = slope(now.g);
        ++ls_iter;
    }
    if (ls_iter == max_ls) {
        bracket = {line_point{0, f, g, gtd}, now};
        size = 2;
    }
    if (size == 1) return bracket[0];
    bool insufficient_progress = false;
    std::size_t low = bracket[0].f <= bracket[1].f ? 0 : 1, high = 1 - low;
    while (!done && ls_iter < max_ls) {
        if (std::abs(bracket[1].t - bracket[0].t) * d_norm < tolerance_change) break;
        double trial = cubic_interpolate(bracket[0].t, bracket[0].f, bracket[0].gtd, bracket[1].t, bracket[1].f, bracket[1].gtd);
        const double top = std::max(bracket[0].t, bracket[1].t), bottom = std::min(bracket[0].t, bracket[1].t);
        const double eps = 0.1 * (top - bottom);
        if (std::min(top - trial, trial - bottom) < eps) {
            if (insufficient_progress || trial >= top || trial <= bottom) {
                trial = std::abs(trial - top) < std::abs(trial - bottom) ? top - eps : bottom + eps;
                insufficient_progress = false;
            } else {
                insufficient_progress = true;
            }
        } else {
            insufficient_progress = false;
        }
        line_point p{trial, 0, {}, 0};
        p.f = evaluate(trial, p.g);
        ++evaluations;
        p.gtd = slope(p.g);
        ++ls_iter;
        if (p.f > f + c1 * trial * gtd || p.f >= bracket[low].f) {
            bracket[high] = std::move(p);
            low = bracket[0].f <= bracket[1].f ? 0 : 1;
            high = 1 - low;
        } else {
            if (std::abs(p.gtd) <= -c2 * gtd) done = true;
            else if (p.gtd * (bracket[high].t - bracket[low].t) >= 0) bracket[high] = bracket[low];
            bracket[low] = std::move(p);
        }
    }
    return bracket[low];
}

} // namespace detail

template <class Problem>
lbfgs_result lbfgs::run(Problem& f) {
    lbfgs_result result;
    std::vector<double> g;
    double loss = f.evaluate(g);
    result.initial_loss = result.loss = loss;
    std::size_t evaluations = 1;
    result.evaluations = 1;
    if (max_abs(g) <= m_options.tolerance_grad) {
        result.termination = lbfgs_termination::gradient_tolerance;
        return result;
    }
    std::vector<double>& d = m_direction;
    const double lr = m_options.lr;
    double previous_loss = loss;
    while (result.iterations < m_options.max_iter) {
        ++result.iterations;
        ++m_total_iterations;
        if (m_total_iterations == 1) {
            d.resize(g.size());
            for (std::size_t i = 0; i < g.size(); ++i) d[i] = -g[i];
            m_old_dirs.clear();
            m_old_steps.clear();
            m_ro.clear();
            m_h_diag = 1;
        } else {
            std::vector<double> y(g.size()), s(g.size());
            for (std::size_t i = 0; i < g.size(); ++i) {
                y[i] = g[i] - m_previous_gradient[i];
                s[i] = d[i] * m_t;
            }
            const double ys = dot(y, s);
            if (ys > 1e-10) {
                if (m_old_dirs.size() == m_options.history_size) {
                    m_old_dirs.pop_front();
                    m_old_steps.pop_front();
                    m_ro.pop_front();
                }
                m_h_diag = ys / dot(y, y);
                m_old_dirs.push_back(std::move(y));
                m_old_steps.push_back(std::move(s));
                m_ro.push_back(1 / ys);
            }
            // The two-loop recursion: d = -H g with H the history's inverse-Hessian estimate.
            const std::size_t count = m_old_dirs.size();
            std::vector<double> al(count), q(g.size());
            for (std::size_t i = 0; i < g.size(); ++i) q[i] = -g[i];
            for (std::size_t i = count; i-- > 0;) {
                al[i] = dot(m_old_steps[i], q) * m_ro[i];
                for (std::size_t k = 0; k < q.size(); ++k) q[k] += -al[i] * m_old_dirs[i][k];
            }
            for (std::size_t k = 0; k < q.size(); ++k) d[k] = q[k] * m_h_diag;
            for (std::size_t i = 0; i < count; ++i) {
                const double be = dot(m_old_dirs[i], d) * m_ro[i];
                for (std::size_t k = 0; k < d.size(); ++k) d[k] += (al[i] - be) * m_old_steps[i][k];
            }
        }
        m_previous_gradient = g;
        previous_loss = loss;
        if (m_total_iterations == 1) {
            double sum = 0;
            for (double v : g) sum += std::abs(v);
            m_t = std::min(1.0, 1 / sum) * lr;
        } else {
            m_t = lr;
        }
        const double gtd = dot(g, d);
        if (gtd > -m_options.tolerance_change) {
            result.termination = lbfgs_termination::change_tolerance;
            break;
        }
        std::size_t step_evaluations = 0;
        bool gradient_small = false;
        std::vector<double> x = f.point();
        if (m_options.line_search == lbfgs_line_search::strong_wolfe) {
            auto along = [&](double t, std::vector<double>& gradient) { return f.evaluate_along(x, t, d, gradient); };
            detail::line_point chosen = detail::strong_wolfe(along, m_t, d, loss, g, gtd, m_options.tolerance_change, step_evaluations);
            loss = chosen.f;
            g = std::move(chosen.g);
            m_t = chosen.t;
            for (std::size_t i = 0; i < x.size(); ++i) x[i] += m_t * d[i];
            f.set(x);
            gradient_small = max_abs(g) <= m_options.tolerance_grad;
        } else {
            for (std::size_t i = 0; i < x.size(); ++i) x[i] += m_t * d[i];
            f.set(x);
            if (result.iterations != m_options.max_iter) {
                loss = f.evaluate(g);
                gradient_small = max_abs(g) <= m_options.tolerance_grad;
                step_evaluations = 1;
            }
        }
        evaluations += step_evaluations;
        result.evaluations = evaluations;
        result.loss = loss;
        if (result.iterations == m_options.max_iter) {
            result.termination = lbfgs_termination::max_iterations;
            break;
        }
        if (evaluations >= m_options.max_eval) {
            result.termination = lbfgs_termination::max_evaluations;
            break;
        }
        if (gradient_small) {
            result.termination = lbfgs_termination::gradient_tolerance;
            break;
        }
        double largest_step = 0;
        for (double v : d) largest_step = std::max(largest_step, std::abs(v * m_t));
        if (largest_step <= m_options.tolerance_change || std::abs(loss - previous_loss) < m_options.tolerance_change) {
            result.termination = lbfgs_termination::change_tolerance;
            break;
        }
    }
    return result;
}

} // namespace ctgrad

#endif // CTGRAD_OPTIM_LBFGS_HPP
