// ctgrad/optim/adagrad.hpp: Adagrad as torch.optim.Adagrad defines it, in the parameters'
// number type.
#ifndef CTGRAD_OPTIM_ADAGRAD_HPP
#define CTGRAD_OPTIM_ADAGRAD_HPP

#include "ctgrad/eval/parameter_store.hpp"
#include "ctgrad/optim/component_state.hpp"

#include <cmath>
#include <cstddef>

namespace ctgrad {

/// adagrad's options, in torch.optim.Adagrad's order: adagrad({.lr = 0.1, .lr_decay = 1e-3}).
struct adagrad_options {
    double lr = 1e-2;
    double lr_decay = 0;
    double weight_decay = 0;
    double initial_accumulator_value = 0;
    double eps = 1e-10;
};

/// Adagrad as torch.optim.Adagrad: g ← g + weight_decay θ; s ← s + g² (s starts at
/// initial_accumulator_value); θ ← θ − lr / (1 + (t − 1) lr_decay) · g / (√s + eps) at step t.
class adagrad {
public:
    /// Throws ctgrad::invalid_argument naming the option: lr <= 0; lr_decay, weight_decay,
    /// initial_accumulator_value or eps < 0.
    explicit adagrad(const adagrad_options& options = {}) : m_options(options) {
        detail::require_positive(who, "lr", options.lr);
        detail::require_non_negative(who, "lr_decay", options.lr_decay);
        detail::require_non_negative(who, "weight_decay", options.weight_decay);
        detail::require_non_negative(who, "initial_accumulator_value", options.initial_accumulator_value);
        detail::require_non_negative(who, "eps", options.eps);
    }

    [[nodiscard]] const adagrad_options& options() const noexcept { return m_options; }
    [[nodiscard]] double lr() const noexcept { return m_options.lr; }
    /// For schedules: the lr of the steps from now on. Throws as the constructor does.
    void set_lr(double lr) {
        detail::require_positive(who, "lr", lr);
        m_options.lr = lr;
    }
    /// Steps taken: the t of lr_decay.
    [[nodiscard]] std::size_t steps() const noexcept { return m_steps; }

    template <class T, class... P>
    void step(parameter_store<T, P...>& params, const parameter_store<T, P...>& grads) {
        T* const sum = m_state.get<T>(detail::column_count(params), T(m_options.initial_accumulator_value), who)[0];
        ++m_steps;
        const T minus_lr = T(-(m_options.lr / (1 + double(m_steps - 1) * m_options.lr_decay)));
        const T decay = T(m_options.weight_decay), eps = T(m_options.eps);
        detail::for_each_component(params, grads, who, [&](T& value, T g, std::size_t k) {
            if (decay != 0) g = g + decay * value;
            sum[k] = sum[k] + T(1) * g * g;
            value = value + minus_lr * g / (std::sqrt(sum[k]) + eps);
        });
    }

    /// Saves or loads the lr, the step count and the sums (train/checkpoint_file.hpp).
    template <class Archive>
    void serialize(Archive& archive) {
        archive.check("the optimizer", std::string(who));
        archive(m_options.lr);
        archive(m_steps);
        m_state.serialize(archive);
    }

private:
    static constexpr const char* who = "ctgrad::adagrad";

    adagrad_options m_options;
    detail::component_buffers<1> m_state; ///< the sum of squared gradients
    std::size_t m_steps = 0;
};

} // namespace ctgrad

#endif // CTGRAD_OPTIM_ADAGRAD_HPP
