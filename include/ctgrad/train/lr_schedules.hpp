// ctgrad/train/lr_schedules.hpp: learning-rate schedules as trainer callbacks, as
// torch.optim.lr_scheduler defines them: step decay, exponential decay, cosine annealing with a
// linear warm-up, and reduce-on-plateau. Each sets the optimizer's lr (fit_state::learning_rate)
// before every epoch; the lr the optimizer has when fit begins is the base.
#ifndef CTGRAD_TRAIN_LR_SCHEDULES_HPP
#define CTGRAD_TRAIN_LR_SCHEDULES_HPP

#include "ctgrad/error.hpp"
#include "ctgrad/optim/component_state.hpp"
#include "ctgrad/train/callbacks.hpp"
#include "ctgrad/train/trainer.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <numbers>

namespace ctgrad {

namespace detail {

/// The hooks of a schedule whose lr is a function of the epoch: Schedule::lr_at(epoch, base).
template <class Schedule>
class epoch_schedule {
public:
    template <class M>
    void on_fit_begin(const M&, const fit_state& s) {
        m_base = s.learning_rate.get(Schedule::who);
        s.learning_rate.set(static_cast<const Schedule&>(*this).lr_at(0, m_base), Schedule::who);
    }
    template <class M>
    void on_epoch_end(const M&, const fit_state& s) {
        s.learning_rate.set(static_cast<const Schedule&>(*this).lr_at(s.epoch + 1, m_base), Schedule::who);
    }
    /// The optimizer's lr when the last fit began.
    [[nodiscard]] double base_lr() const noexcept { return m_base; }

    /// Saves or loads the base lr (train/checkpoint.hpp).
    template <class Archive>
    void serialize(Archive& archive) {
        archive.check("a callback", std::string(Schedule::who));
        archive(m_base);
    }

private:
    double m_base = 0;
};

} // namespace detail

/// torch's StepLR: lr = base · gammaᵏ in epoch e, k = ⌊e / step_size⌋.
class step_lr : public detail::epoch_schedule<step_lr> {
public:
    static constexpr const char* who = "ctgrad::step_lr";

    /// Throws ctgrad::invalid_argument for step_size 0 or gamma <= 0.
    explicit step_lr(std::size_t step_size, double gamma = 0.1) : m_step_size(step_size), m_gamma(gamma) {
        if (step_size == 0) throw invalid_argument("ctgrad::step_lr: step_size must be at least 1");
        detail::require_positive(who, "gamma", gamma);
    }
    [[nodiscard]] double lr_at(std::size_t epoch, double base) const {
        return base * std::pow(m_gamma, double(epoch / m_step_size));
    }

private:
    std::size_t m_step_size;
    double m_gamma;
};

/// torch's ExponentialLR: lr = base · gammaᵉ in epoch e.
class exponential_lr : public detail::epoch_schedule<exponential_lr> {
public:
    static constexpr const char* who = "ctgrad::exponential_lr";

    /// Throws ctgrad::invalid_argument for gamma <= 0.
    explicit exponential_lr(double gamma) : m_gamma(gamma) { detail::require_positive(who, "gamma", gamma); }
    [[nodiscard]] double lr_at(std::size_t epoch, double base) const { return base * std::pow(m_gamma, double(epoch)); }

private:
    double m_gamma;
};

/// cosine_annealing_lr's options: cosine_annealing_lr({.t_max = 50, .warmup_epochs = 5}).
struct cosine_annealing_options {
    std::size_t t_max = 0;              ///< epochs from the base lr down to eta_min (required)
    double eta_min = 0;                 ///< the least lr
    std::size_t warmup_epochs = 0;      ///< linear warm-up before the cosine, as torch's LinearLR
    double warmup_start_factor = 1.0 / 3; ///< the warm-up's first lr, relative to the base (LinearLR's default)
};

/// torch's CosineAnnealingLR after an optional LinearLR warm-up (SequentialLR of the two): in
/// epoch e < W = warmup_epochs, lr = base (f + (1 − f) e / W); after it, with k = e − W,
/// lr = eta_min + (base − eta_min) (1 + cos(π k / t_max)) / 2 (the closed form; past t_max the
/// cosine rises again, as torch's).
class cosine_annealing_lr : public detail::epoch_schedule<cosine_annealing_lr> {
public:
    static constexpr const char* who = "ctgrad::cosine_annealing_lr";

    /// Throws ctgrad::invalid_argument for t_max 0, eta_min < 0, or a warm-up start factor
    /// outside (0, 1].
    explicit cosine_annealing_lr(const cosine_annealing_options& options) : m_options(options) {
        if (options.t_max == 0) throw invalid_argument("ctgrad::cosine_annealing_lr: t_max must be at least 1 (epochs)");
        detail::require_non_negative(who, "eta_min", options.eta_min);
        detail::require_option(who, "warmup_start_factor", options.warmup_start_factor,
                               options.warmup_start_factor > 0 && options.warmup_start_factor <= 1, "in (0, 1]");
    }
    [[nodiscard]] double lr_at(std::size_t epoch, double base) const {
        const std::size_t warmup = m_options.warmup_epochs;
        if (epoch < warmup) {
            const double f = m_options.warmup_start_factor;
            return base * (f + (1 - f) * double(epoch) / double(warmup));
        }
        const double k = double(epoch - warmup);
        return m_options.eta_min + (base - m_options.eta_min) * (1 + std::cos(std::numbers::pi * k / double(m_options.t_max))) / 2;
    }

private:
    cosine_annealing_options m_options;
};

/// reduce_lr_on_plateau's options, in torch's ReduceLROnPlateau order (mode is 'min': a loss).
struct reduce_lr_on_plateau_options {
    double factor = 0.1;        ///< lr ← max(lr · factor, min_lr)
    std::size_t patience = 10;  ///< epochs without improvement tolerated
    double threshold = 1e-4;    ///< how much lower counts as better
    bool relative_threshold = true; ///< better: loss < best (1 − threshold); else loss < best − threshold
    std::size_t cooldown = 0;   ///< epochs after a reduction before counting again
    double min_lr = 0;
    double eps = 1e-8;          ///< a reduction smaller than this is not made
};

/// torch's ReduceLROnPlateau on the validation loss (the epoch's training loss when there is no
/// validation data): after more than `patience` epochs without a better loss, the lr is
/// multiplied by `factor`, then `cooldown` epochs pass before epochs are counted again.
class reduce_lr_on_plateau {
public:
    static constexpr const char* who = "ctgrad::reduce_lr_on_plateau";

    /// Throws ctgrad::invalid_argument for factor outside (0, 1), threshold, min_lr or eps < 0.
    explicit reduce_lr_on_plateau(const reduce_lr_on_plateau_options& options = {}) : m_options(options) {
        detail::require_option(who, "factor", options.factor, options.factor > 0 && options.factor < 1, "in (0, 1)");
        detail::require_non_negative(who, "threshold", options.threshold);
        detail::require_non_negative(who, "min_lr", options.min_lr);
        detail::require_non_negative(who, "eps", options.eps);
    }

    template <class M>
    void on_fit_begin(const M&, const fit_state& s) {
        (void)s.learning_rate.get(who); // a schedule needs an lr to set: say so before training
        m_best = std::numeric_limits<double>::infinity();
        m_bad_epochs = m_cooldown_left = m_reductions = 0;
    }

    template <class M>
    void on_epoch_end(const M&, const fit_state& s) {
        observe(detail::monitored_loss(s), s.learning_rate);
    }

    /// One epoch's loss: the rule itself, for a loop without the trainer.
    void observe(double loss, const learning_rate_control& lr) {
        if (better(loss)) {
            m_best = loss;
            m_bad_epochs = 0;
        } else {
            ++m_bad_epochs;
        }
        if (m_cooldown_left > 0) {
            --m_cooldown_left;
            m_bad_epochs = 0;
        }
        if (m_bad_epochs > m_options.patience) {
            const double old_lr = lr.get(who);
            const double new_lr = std::max(old_lr * m_options.factor, m_options.min_lr);
            if (old_lr - new_lr > m_options.eps) {
                lr.set(new_lr, who);
                ++m_reductions;
            }
            m_cooldown_left = m_options.cooldown;
            m_bad_epochs = 0;
        }
    }

    [[nodiscard]] double best_loss() const noexcept { return m_best; }
    [[nodiscard]] std::size_t reductions() const noexcept { return m_reductions; }

    /// Saves or loads the best loss and the counters (train/checkpoint.hpp).
    template <class Archive>
    void serialize(Archive& archive) {
        archive.check("a callback", std::string(who));
        archive(m_best);
        archive(m_bad_epochs);
        archive(m_cooldown_left);
        archive(m_reductions);
    }

private:
    [[nodiscard]] bool better(double loss) const {
        return m_options.relative_threshold ? loss < m_best * (1 - m_options.threshold) : loss < m_best - m_options.threshold;
    }

    reduce_lr_on_plateau_options m_options;
    double m_best = std::numeric_limits<double>::infinity();
    std::size_t m_bad_epochs = 0, m_cooldown_left = 0, m_reductions = 0;
};

} // namespace ctgrad

#endif // CTGRAD_TRAIN_LR_SCHEDULES_HPP
