// ctgrad/nn/losses.hpp: ready per-example losses for the concise API (d2l 3.5 and its
// exercises). Each is a function object: loss(y_hat, y) gives an expression; the trainer takes
// its mean over a batch.
#ifndef CTGRAD_NN_LOSSES_HPP
#define CTGRAD_NN_LOSSES_HPP

#include "ctgrad/core/constant.hpp"
#include "ctgrad/core/operators.hpp"
#include "ctgrad/error.hpp"

#include <cmath>
#include <string>
#include <type_traits>

namespace ctgrad::loss {

/// Squared error, square(y_hat - y): PyTorch's MSELoss, without d2l's 1/2 factor.
/// d/dy_hat = 2 * (y_hat - y).
struct mse_loss {
    template <class A, class B>
    constexpr auto operator()(const A& y_hat, const B& y) const { return square(y_hat - y); }
};
inline constexpr mse_loss mse{};

/// Absolute error, abs(y_hat - y): PyTorch's L1Loss. d/dy_hat = sign(y_hat - y).
struct l1_loss {
    template <class A, class B>
    constexpr auto operator()(const A& y_hat, const B& y) const { return abs(y_hat - y); }
};
inline constexpr l1_loss l1{};

/// Huber's loss (PyTorch's HuberLoss): with r = y_hat - y,
/// square(r) / 2 where |r| <= delta, delta * (|r| - delta / 2) beyond; quadratic near the
/// fit, linear for outliers. d/dy_hat = r inside, delta * sign(r) beyond.
template <class Delta>
struct huber_loss {
    Delta delta;

    template <class A, class B>
    constexpr auto operator()(const A& y_hat, const B& y) const {
        const auto r = y_hat - y;
        return select(abs(r) <= delta, square(r) / c<2>, delta * (abs(r) - delta / c<2>));
    }
};

/// huber(1.5) with a runtime delta, or huber(2_c) with an exact one (then folded at compile time).
template <class Delta>
constexpr auto huber(const Delta& delta) {
    if constexpr (std::is_arithmetic_v<Delta>) {
        if (!(delta > 0) || !std::isfinite(static_cast<double>(delta)))
            throw invalid_argument("ctgrad::loss::huber: delta must be finite and > 0, not " +
                                   std::to_string(static_cast<double>(delta)));
        return huber_loss<number>{number{static_cast<double>(delta)}};
    } else {
        return huber_loss<Delta>{delta};
    }
}

/// Logistic loss (binary cross-entropy) on a logit: PyTorch's BCEWithLogitsLoss. With
/// z = y_hat a logit (p = sigmoid(z)) and y in {0, 1} (or a probability),
///   -(y log p + (1 - y) log(1 - p)) = log(1 + exp(z)) - y z
///                                   = (z + abs(z)) / 2 + log(1 + exp(-abs(z))) - y z,
/// written in the last form: exp never sees a positive argument, so nothing overflows, and
/// no log of a probability rounded to 0 appears (the first two forms give inf or NaN once
/// |z| passes ~37 or ~709 in double). d/dz = (1 + sign(z)) / 2 - exp(-abs(z)) * sign(z) /
/// (1 + exp(-abs(z))) - y, which is sigmoid(z) - y everywhere, z = 0 included: max(z, 0)
/// would be the same function, but its derivative at 0 is select's 1 while abs's is 0, so
/// the gradient at z = 0 (every example, after a zero initialisation) would be 1 - y.
/// The second derivative, derived the same way, is 0 rather than 1/4 at exactly z = 0.
struct logistic_loss {
    template <class A, class B>
    constexpr auto operator()(const A& logit, const B& y) const {
        return (logit + abs(logit)) / c<2> + log(c<1> + exp(-abs(logit))) - y * logit;
    }
};
inline constexpr logistic_loss logistic{};

} // namespace ctgrad::loss

#endif // CTGRAD_NN_LOSSES_HPP
