// ctgrad/optim/adam.hpp: Adam and AdamW as torch.optim.Adam and torch.optim.AdamW define them,
// including AMSGrad; the same arithmetic in the parameters' number type, so that a PyTorch run
// given the same gradients reaches the same parameters to rounding.
#ifndef CTGRAD_OPTIM_ADAM_HPP
#define CTGRAD_OPTIM_ADAM_HPP

#include "ctgrad/eval/parameter_store.hpp"
#include "ctgrad/optim/component_state.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>

namespace ctgrad {

/// adam's options, in torch.optim.Adam's order: adam({.lr = 1e-3, .weight_decay = 0.1}).
struct adam_options {
    double lr = 1e-3;
    double beta1 = 0.9;
    double beta2 = 0.999;
    double eps = 1e-8;
    double weight_decay = 0; ///< L2: added to the gradient as weight_decay θ
    bool amsgrad = false;
};

/// adamw's options: adam's, with torch.optim.AdamW's decoupled weight decay of 0.01.
struct adamw_options {
    double lr = 1e-3;
    double beta1 = 0.9;
    double beta2 = 0.999;
    double eps = 1e-8;
    double weight_decay = 1e-2; ///< decoupled: θ ← θ (1 − lr weight_decay) before the step
    bool amsgrad = false;
};

namespace detail {

/// Adam's rule, its weight decay either added to the gradient (Adam) or Decoupled (AdamW).
template <class Options, bool Decoupled>
class adam_rule {
public:
    explicit adam_rule(const Options& options) : m_options(options) {
        require_positive(who, "lr", options.lr);
        require_fraction(who, "beta1", options.beta1);
        require_fraction(who, "beta2", options.beta2);
        require_non_negative(who, "eps", options.eps);
        require_non_negative(who, "weight_decay", options.weight_decay);
    }

    [[nodiscard]] const Options& options() const noexcept { return m_options; }
    [[nodiscard]] double lr() const noexcept { return m_options.lr; }
    /// For schedules: the lr of the steps from now on. Throws as the constructor does.
    void set_lr(double lr) {
        require_positive(who, "lr", lr);
        m_options.lr = lr;
    }
    /// Steps taken: the t of the bias corrections 1 − βᵗ.
    [[nodiscard]] std::size_t steps() const noexcept { return m_steps; }

    template <class T, class... P>
    void step(parameter_store<T, P...>& params, const parameter_store<T, P...>& grads) {
        // Named pointers rather than a structured binding, which clang 14 cannot capture.
        const auto state = m_state.template get<T>(column_count(params), T(0), who);
        T* const m = state[0];
        T* const v = state[1];
        T* const v_max = state[2];
        ++m_steps;
        // β₁ᵗ and β₂ᵗ by one product a step: pow() twice a step is a third of a small fit's time.
        m_beta1_power *= m_options.beta1;
        m_beta2_power *= m_options.beta2;
        const T beta1 = T(m_options.beta1), beta2 = T(m_options.beta2);
        const T keep1 = T(1 - m_options.beta1), keep2 = T(1 - m_options.beta2);
        const T decay = T(Decoupled ? 1 - m_options.lr * m_options.weight_decay : m_options.weight_decay);
        const T correction2 = T(std::sqrt(1 - m_beta2_power));
        const T step_size = T(-(m_options.lr / (1 - m_beta1_power)));
        const T eps = T(m_options.eps);
        const bool decays = m_options.weight_decay != 0;
        for_each_component(params, grads, who, [&](T& value, T g, std::size_t k) {
            if constexpr (Decoupled) value = value * decay;
            else if (decays) g = g + decay * value;
            m[k] = m[k] * beta1 + keep1 * g;
            v[k] = v[k] * beta2 + keep2 * g * g;
            T second = v[k];
            if (m_options.amsgrad) second = v_max[k] = std::max(v_max[k], v[k]);
            const T denominator = std::sqrt(second) / correction2 + eps;
            value = value + step_size * m[k] / denominator;
        });
    }

    /// Saves or loads the lr, the step count and the moments (train/checkpoint_file.hpp).
    template <class Archive>
    void serialize(Archive& archive) {
        archive.check("the optimizer", std::string(who));
        archive(m_options.lr);
        archive(m_steps);
        archive(m_beta1_power);
        archive(m_beta2_power);
        m_state.serialize(archive);
    }

private:
    static constexpr const char* who = Decoupled ? "ctgrad::adamw" : "ctgrad::adam";

    Options m_options;
    component_buffers<3> m_state; ///< the first moment, the second, and the second's maximum (AMSGrad)
    std::size_t m_steps = 0;
    double m_beta1_power = 1; ///< β₁ᵗ
    double m_beta2_power = 1; ///< β₂ᵗ
};

} // namespace detail

/// Adam as torch.optim.Adam: g ← g + weight_decay θ; m ← β₁ m + (1 − β₁) g;
/// v ← β₂ v + (1 − β₂) g²; v̂ = max(v̂, v) with amsgrad, else v;
/// θ ← θ − lr / (1 − β₁ᵗ) · m / (√v̂ / √(1 − β₂ᵗ) + eps).
class adam : public detail::adam_rule<adam_options, false> {
public:
    /// Throws ctgrad::invalid_argument naming the option: lr <= 0, a beta outside [0, 1), eps or
    /// weight_decay < 0.
    explicit adam(const adam_options& options = {}) : adam_rule(options) {}
};

/// AdamW as torch.optim.AdamW: θ ← θ (1 − lr weight_decay), then Adam's step without the decay
/// in the gradient.
class adamw : public detail::adam_rule<adamw_options, true> {
public:
    /// Throws ctgrad::invalid_argument naming the option, as adam.
    explicit adamw(const adamw_options& options = {}) : adam_rule(options) {}
};

} // namespace ctgrad

#endif // CTGRAD_OPTIM_ADAM_HPP
