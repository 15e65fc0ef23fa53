// ctgrad/optim/sgd.hpp: the optimizer concept and stochastic gradient descent, with momentum,
// Nesterov momentum and weight decay as torch.optim.SGD defines them.
#ifndef CTGRAD_OPTIM_SGD_HPP
#define CTGRAD_OPTIM_SGD_HPP

#include "ctgrad/error.hpp"
#include "ctgrad/eval/parameter_store.hpp"
#include "ctgrad/optim/component_state.hpp"

#include <cstddef>
#include <string>
#include <type_traits>

namespace ctgrad {

/// Something that updates parameters from their gradient (same store type for both).
template <class O, class Params>
concept optimizer = requires(O& o, Params& params, const Params& grads) { o.step(params, grads); };

/// sgd's options, declared in torch.optim.SGD's order of use: sgd({.lr = 0.1, .momentum = 0.9}).
struct sgd_options {
    double lr = 1e-3;
    double momentum = 0;
    double dampening = 0;
    bool nesterov = false;
    double weight_decay = 0;
};

/// SGD as torch.optim.SGD: d = g + weight_decay θ; with momentum, b = d at the first step and
/// b ← momentum b + (1 − dampening) d after it, then d = d + momentum b (Nesterov) or d = b;
/// θ ← θ − lr d. Plain, it is d2l's θ ← θ − lr g (g is already the batch mean).
class sgd {
public:
    /// Throws ctgrad::invalid_argument unless lr is finite and > 0.
    explicit sgd(double lr) : sgd(sgd_options{.lr = lr}) {}

    /// Throws ctgrad::invalid_argument naming the option: lr <= 0, momentum, dampening or
    /// weight_decay < 0, nesterov without momentum or with dampening.
    explicit sgd(const sgd_options& options) : m_options(options) {
        detail::require_positive(who, "lr", options.lr);
        detail::require_non_negative(who, "momentum", options.momentum);
        detail::require_non_negative(who, "dampening", options.dampening);
        detail::require_non_negative(who, "weight_decay", options.weight_decay);
        if (options.nesterov && (options.momentum == 0 || options.dampening != 0))
            throw invalid_argument("ctgrad::sgd: nesterov needs momentum > 0 and dampening 0, not momentum " +
                                   detail::parameter_number(options.momentum) + " and dampening " +
                                   detail::parameter_number(options.dampening));
    }

    [[nodiscard]] const sgd_options& options() const noexcept { return m_options; }
    [[nodiscard]] double lr() const noexcept { return m_options.lr; }
    /// For schedules: the lr of the steps from now on. Throws as the constructor does.
    void set_lr(double lr) {
        detail::require_positive(who, "lr", lr);
        m_options.lr = lr;
    }

    template <class T, class... P>
    void step(parameter_store<T, P...>& params, const parameter_store<T, P...>& grads) {
        const T lr = static_cast<T>(m_options.lr), decay = static_cast<T>(m_options.weight_decay);
        if (m_options.momentum == 0) {
            detail::for_each_component(params, grads, who, [&](T& value, T g, std::size_t) {
                const T d = decay != 0 ? g + decay * value : g;
                value = value + -lr * d;
            });
            return;
        }
        const T momentum = static_cast<T>(m_options.momentum), kept = static_cast<T>(1 - m_options.dampening);
        const bool first = m_steps == 0;
        T* const buffer = m_state.get<T>(detail::column_count(params), T(0), who)[0];
        detail::for_each_component(params, grads, who, [&](T& value, T g, std::size_t k) {
            T d = decay != 0 ? g + decay * value : g;
            buffer[k] = first ? d : buffer[k] * momentum + kept * d;
            d = m_options.nesterov ? d + momentum * buffer[k] : buffer[k];
            value = value + -lr * d;
        });
        ++m_steps;
    }

    /// Saves or loads the lr, the step count and the momentum buffer (train/checkpoint_file.hpp).
    template <class Archive>
    void serialize(Archive& archive) {
        archive.check("the optimizer", std::string(who));
        archive(m_options.lr);
        archive(m_steps);
        m_state.serialize(archive);
    }

private:
    static constexpr const char* who = "ctgrad::sgd";

    sgd_options m_options;
    detail::component_buffers<1> m_state; ///< the momentum buffer
    std::size_t m_steps = 0;
};

} // namespace ctgrad

#endif // CTGRAD_OPTIM_SGD_HPP
