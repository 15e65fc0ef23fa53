// ctgrad/optim/rmsprop.hpp: RMSprop as torch.optim.RMSprop defines it, centered and with
// momentum too, in the parameters' number type.
#ifndef CTGRAD_OPTIM_RMSPROP_HPP
#define CTGRAD_OPTIM_RMSPROP_HPP

#include "ctgrad/eval/parameter_store.hpp"
#include "ctgrad/optim/component_state.hpp"

#include <cmath>
#include <cstddef>

namespace ctgrad {

/// rmsprop's options, in torch.optim.RMSprop's order: rmsprop({.lr = 1e-3, .centered = true}).
struct rmsprop_options {
    double lr = 1e-2;
    double alpha = 0.99; ///< the squared gradient's averaging factor
    double eps = 1e-8;
    double weight_decay = 0;
    double momentum = 0;
    bool centered = false;
};

/// RMSprop as torch.optim.RMSprop: g ← g + weight_decay θ; s ← α s + (1 − α) g²;
/// centered: a ← α a + (1 − α) g and d = √(s − a²) + eps, else d = √s + eps;
/// with momentum: b ← momentum b + g / d and θ ← θ − lr b, else θ ← θ − lr g / d.
class rmsprop {
public:
    /// Throws ctgrad::invalid_argument naming the option: lr <= 0, alpha outside [0, 1], eps,
    /// weight_decay or momentum < 0.
    explicit rmsprop(const rmsprop_options& options = {}) : m_options(options) {
        detail::require_positive(who, "lr", options.lr);
        detail::require_option(who, "alpha", options.alpha, options.alpha >= 0 && options.alpha <= 1, "in [0, 1]");
        detail::require_non_negative(who, "eps", options.eps);
        detail::require_non_negative(who, "weight_decay", options.weight_decay);
        detail::require_non_negative(who, "momentum", options.momentum);
    }

    [[nodiscard]] const rmsprop_options& options() const noexcept { return m_options; }
    [[nodiscard]] double lr() const noexcept { return m_options.lr; }
    /// For schedules: the lr of the steps from now on. Throws as the constructor does.
    void set_lr(double lr) {
        detail::require_positive(who, "lr", lr);
        m_options.lr = lr;
    }

    template <class T, class... P>
    void step(parameter_store<T, P...>& params, const parameter_store<T, P...>& grads) {
        // Named pointers rather than a structured binding, which clang 14 cannot capture.
        const auto state = m_state.get<T>(detail::column_count(params), T(0), who);
        T* const square_avg = state[0];
        T* const grad_avg = state[1];
        T* const buffer = state[2];
        const T alpha = T(m_options.alpha), keep = T(1 - m_options.alpha), eps = T(m_options.eps);
        const T decay = T(m_options.weight_decay), momentum = T(m_options.momentum), minus_lr = T(-m_options.lr);
        detail::for_each_component(params, grads, who, [&](T& value, T g, std::size_t k) {
            if (decay != 0) g = g + decay * value;
            square_avg[k] = square_avg[k] * alpha + keep * g * g;
            T average = square_avg[k];
            if (m_options.centered) {
                grad_avg[k] = grad_avg[k] * alpha + keep * g;
                average = average + T(-1) * grad_avg[k] * grad_avg[k];
            }
            const T denominator = std::sqrt(average) + eps;
            if (m_options.momentum > 0) {
                buffer[k] = buffer[k] * momentum + T(1) * g / denominator;
                value = value + minus_lr * buffer[k];
            } else {
                value = value + minus_lr * g / denominator;
            }
        });
    }

    /// Saves or loads the lr and the averages (train/checkpoint_file.hpp).
    template <class Archive>
    void serialize(Archive& archive) {
        archive.check("the optimizer", std::string(who));
        archive(m_options.lr);
        m_state.serialize(archive);
    }

private:
    static constexpr const char* who = "ctgrad::rmsprop";

    rmsprop_options m_options;
    detail::component_buffers<3> m_state; ///< the squared gradient's average, the gradient's (centered), momentum
};

} // namespace ctgrad

#endif // CTGRAD_OPTIM_RMSPROP_HPP
