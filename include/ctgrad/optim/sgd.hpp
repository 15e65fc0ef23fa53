// ctgrad/optim/sgd.hpp: the optimizer concept and minibatch stochastic gradient descent.
#ifndef CTGRAD_OPTIM_SGD_HPP
#define CTGRAD_OPTIM_SGD_HPP

#include "ctgrad/error.hpp"
#include "ctgrad/eval/parameter_store.hpp"

#include <cmath>
#include <string>
#include <type_traits>

namespace ctgrad {

/// Something that updates parameters from their gradient (same store type for both).
template <class O, class Params>
concept optimizer = requires(O& o, Params& params, const Params& grads) { o.step(params, grads); };

/// d2l's SGD: theta <- theta - lr * g. No division by the batch size: the gradient is
/// already the mean over the batch (the loss is a mean).
class sgd {
public:
    /// Throws ctgrad::invalid_argument unless lr is finite and > 0.
    explicit sgd(double lr) : m_lr(lr) {
        if (!(lr > 0) || !std::isfinite(lr))
            throw invalid_argument("ctgrad::sgd: lr must be finite and > 0, not " + std::to_string(lr));
    }

    [[nodiscard]] double lr() const noexcept { return m_lr; }

    template <class T, class... P>
    void step(parameter_store<T, P...>& params, const parameter_store<T, P...>& grads) const {
        const T lr = static_cast<T>(m_lr);
        (update(params[P{}], grads[P{}], lr), ...);
    }

private:
    template <class T>
    static void update(T& value, const T& grad, T lr) requires std::is_arithmetic_v<T> {
        value -= lr * grad;
    }
    template <class Vector, class T>
    static void update(Vector& value, const Vector& grad, T lr) {
        T* v = value.data();
        const T* g = grad.data();
        for (std::size_t j = 0; j < value.size(); ++j) v[j] -= lr * g[j];
    }

    double m_lr;
};

} // namespace ctgrad

#endif // CTGRAD_OPTIM_SGD_HPP
