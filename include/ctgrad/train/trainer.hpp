// ctgrad/train/trainer.hpp: d2l's Trainer. Per training batch: the fused loss and gradient,
// a divergence check, clipping by global norm when asked, the optimizer step; after each
// epoch the validation loss; callbacks hear about all of it.
#ifndef CTGRAD_TRAIN_TRAINER_HPP
#define CTGRAD_TRAIN_TRAINER_HPP

#include "ctgrad/error.hpp"
#include "ctgrad/eval/fused.hpp"
#include "ctgrad/optim/clip.hpp"
#include "ctgrad/train/history.hpp"
#include "ctgrad/train/model.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstddef>
#include <limits>
#include <string>
#include <type_traits>
#include <utility>

namespace ctgrad {

/// The optimizer's learning rate as callbacks see it, for schedules: empty when the optimizer
/// has no lr() and set_lr() (newton, a user's own).
class learning_rate_control {
public:
    learning_rate_control() = default;
    template <class O>
    explicit learning_rate_control(O& opt)
        : m_optimizer(&opt), m_get([](const void* o) { return static_cast<const O*>(o)->lr(); }),
          m_set([](void* o, double lr) { static_cast<O*>(o)->set_lr(lr); }) {}

    [[nodiscard]] explicit operator bool() const noexcept { return m_optimizer != nullptr; }
    /// The lr of the next step; throws ctgrad::invalid_argument, naming `who`, when empty.
    [[nodiscard]] double get(const char* who = "ctgrad::learning_rate_control") const {
        require(who);
        return m_get(m_optimizer);
    }
    /// Sets the lr of the steps from now on (the optimizer checks it).
    void set(double lr, const char* who = "ctgrad::learning_rate_control") const {
        require(who);
        m_set(m_optimizer, lr);
    }

private:
    void require(const char* who) const {
        if (!m_optimizer)
            throw invalid_argument(std::string(who) + ": the model's optimizer has no lr() and set_lr(); "
                                                      "a learning-rate schedule needs one (sgd, adam, adamw, rmsprop, adagrad)");
    }

    void* m_optimizer = nullptr;
    double (*m_get)(const void*) = nullptr;
    void (*m_set)(void*, double) = nullptr;
};

/// Where training is, as callbacks see it. Epochs and batches count from 0 here; printed
/// messages count from 1.
struct fit_state {
    std::size_t epoch = 0;
    std::size_t max_epochs = 0;
    std::size_t batch = 0;             ///< within the epoch
    std::size_t batches_per_epoch = 0;
    double loss = std::numeric_limits<double>::quiet_NaN();     ///< the last training batch's loss
    double val_loss = std::numeric_limits<double>::quiet_NaN(); ///< the last validation loss
    const history* record = nullptr;   ///< everything so far
    learning_rate_control learning_rate{}; ///< the optimizer's lr, for schedules
};

/// A callback implements any of these (each optional), taking the model and the state:
///   on_fit_begin, on_batch_end, on_epoch_end (returning bool: true stops training), on_fit_end.
namespace detail {
template <class C, class M>
void fit_begin(C& c, const M& m, const fit_state& s) {
    if constexpr (requires { c.on_fit_begin(m, s); }) c.on_fit_begin(m, s);
}
template <class C, class M>
void batch_end(C& c, const M& m, const fit_state& s) {
    if constexpr (requires { c.on_batch_end(m, s); }) c.on_batch_end(m, s);
}
template <class C, class M>
bool epoch_end(C& c, const M& m, const fit_state& s) {
    if constexpr (requires { { c.on_epoch_end(m, s) } -> std::convertible_to<bool>; }) return c.on_epoch_end(m, s);
    else if constexpr (requires { c.on_epoch_end(m, s); }) c.on_epoch_end(m, s);
    return false;
}
template <class C, class M>
void fit_end(C& c, const M& m, const fit_state& s) {
    if constexpr (requires { c.on_fit_end(m, s); }) c.on_fit_end(m, s);
}

template <class T, class... P>
void copy_values(const parameter_store<T, P...>& from, parameter_store<T, P...>& to) {
    (
        [&] {
            if constexpr (P::is_vector) std::copy(from[P{}].begin(), from[P{}].end(), to[P{}].begin());
            else to[P{}] = from[P{}];
        }(),
        ...);
}

inline std::string format_number(double value) {
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%.3g", value);
    return buffer;
}

inline std::string describe(double value) { return std::isnan(value) ? "NaN" : (value > 0 ? "+inf" : "-inf"); }
} // namespace detail

struct trainer_options {
    std::size_t max_epochs = 3;
    double gradient_clip_val = 0;  ///< > 0: clip the gradient's global L2 norm to this
    /// A training loss above this many times the first batch's loss counts as divergence
    /// (0: only a non-finite loss does). In double, a run that diverges takes hundreds of
    /// steps to overflow and prints huge numbers meanwhile; this names the batch where it went.
    double divergence_factor = 1e8;
};

class trainer {
public:
    /// Throws ctgrad::invalid_argument for a negative or non-finite gradient_clip_val.
    explicit trainer(const trainer_options& options = {}) : m_options(options) {
        if (!(options.gradient_clip_val >= 0) || !std::isfinite(options.gradient_clip_val))
            throw invalid_argument("ctgrad::trainer: gradient_clip_val must be finite and >= 0, not " +
                                   std::to_string(options.gradient_clip_val));
        if (!(options.divergence_factor >= 0))
            throw invalid_argument("ctgrad::trainer: divergence_factor must be >= 0 (0 turns it off), not " +
                                   std::to_string(options.divergence_factor));
    }

    [[nodiscard]] const trainer_options& options() const noexcept { return m_options; }

    /// Trains `m` on `data` for max_epochs (or until a callback stops it) and returns the
    /// history. A non-finite loss, gradient or parameter throws ctgrad::divergence_error; the
    /// model then holds the parameters of the last finite step.
    template <model M, data_module D, class... Callbacks>
    history fit(M& m, D& data, Callbacks&&... callbacks) const {
        auto& train = data.train_dataloader();
        auto& val = data.val_dataloader();
        if (train.size() == 0) throw invalid_argument("ctgrad::trainer::fit: the training data has no examples");
        if constexpr (requires { m.initialize_for(train.num_features()); }) m.initialize_for(train.num_features());

        auto& params = m.parameters();
        auto grads = params.zeros_like();
        auto last_finite = params;
        auto opt = m.configure_optimizers();
        const auto loss = m.loss();

        history record;
        record.batches_per_epoch = train.size();
        record.train_loss.reserve(m_options.max_epochs * train.size());
        record.val_loss.reserve(m_options.max_epochs);
        fit_state state{0, m_options.max_epochs, 0, train.size()};
        state.record = &record;
        if constexpr (requires { opt.set_lr(opt.lr()); }) state.learning_rate = learning_rate_control(opt);
        (detail::fit_begin(callbacks, std::as_const(m), state), ...);

        double reference_loss = 0; // the first positive training loss
        for (std::size_t epoch = 0; epoch < m_options.max_epochs; ++epoch) {
            state.epoch = epoch;
            // The error carries the history so far: a diverged run's curves can still be drawn.
            auto diverged = [&](std::size_t batch, const std::string& what) {
                return divergence_error(epoch + 1, batch, what, std::move(record));
            };
            train.start_epoch();
            for (std::size_t i = 0; i < train.size(); ++i) {
                state.batch = i;
                const double batch_loss = value_and_grad(loss, params, m.bind(train.batch(i)), grads);
                if (!std::isfinite(batch_loss))
                    throw diverged(i + 1, "the training loss is " + detail::describe(batch_loss));
                if (reference_loss == 0) reference_loss = batch_loss;
                if (m_options.divergence_factor > 0 && batch_loss > m_options.divergence_factor * reference_loss)
                    throw diverged(i + 1, "the training loss " + detail::format_number(batch_loss) + " is more than " +
                                              detail::format_number(m_options.divergence_factor) + " times the first batch's " +
                                              detail::format_number(reference_loss) + " (trainer_options::divergence_factor)");
                if (!all_finite(grads)) throw diverged(i + 1, "the gradient is not finite");
                if (m_options.gradient_clip_val > 0) clip_by_global_norm(grads, m_options.gradient_clip_val);
                detail::copy_values(params, last_finite);
                opt.step(params, grads);
                if (!all_finite(params)) {
                    detail::copy_values(last_finite, params);
                    throw diverged(i + 1, "the step made a parameter non-finite");
                }
                record.train_loss.push_back(batch_loss);
                state.loss = batch_loss;
                (detail::batch_end(callbacks, std::as_const(m), state), ...);
            }
            if (val.size() > 0) {
                state.val_loss = validation_loss(m, loss, val);
                if (!std::isfinite(state.val_loss))
                    throw diverged(train.size(), "the validation loss is " + detail::describe(state.val_loss));
                record.val_loss.push_back(state.val_loss);
            }
            record.epochs = epoch + 1;
            bool stop = false;
            ((stop = detail::epoch_end(callbacks, std::as_const(m), state) || stop), ...);
            if (stop) {
                record.stopped_early = epoch + 1 < m_options.max_epochs;
                break;
            }
        }
        (detail::fit_end(callbacks, std::as_const(m), state), ...);
        return record;
    }

private:
    // The book's validation loss: the mean of the batches' mean losses.
    template <class M, class Loss, class L>
    static double validation_loss(M& m, const Loss& loss, L& val) {
        val.start_epoch();
        double sum = 0;
        for (std::size_t i = 0; i < val.size(); ++i) sum += value(loss, m.parameters(), m.bind(val.batch(i)));
        return sum / double(val.size());
    }

    trainer_options m_options;
};

} // namespace ctgrad

#endif // CTGRAD_TRAIN_TRAINER_HPP
