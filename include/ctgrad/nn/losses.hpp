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

} // namespace ctgrad::loss

#endif // CTGRAD_NN_LOSSES_HPP
