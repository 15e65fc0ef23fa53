// ctgrad/optim/clip.hpp: gradient clipping by global L2 norm (d2l's clip_gradients), and the
// finiteness check the trainer makes before every step.
#ifndef CTGRAD_OPTIM_CLIP_HPP
#define CTGRAD_OPTIM_CLIP_HPP

#include "ctgrad/eval/parameter_store.hpp"

#include <cmath>
#include <type_traits>

namespace ctgrad {

namespace detail {
template <class F, class T, class... P>
void for_each_number(const parameter_store<T, P...>& store, F&& f) {
    store.for_each([&](auto, const auto& value) {
        if constexpr (std::is_arithmetic_v<std::remove_cvref_t<decltype(value)>>) f(value);
        else for (const T v : value) f(v);
    });
}
} // namespace detail

/// The L2 norm of all gradients together, as one long vector. Computed in double with a
/// running scale, so that it neither overflows nor underflows for finite gradients.
template <class T, class... P>
double global_norm(const parameter_store<T, P...>& grads) {
    double scale = 0, sum = 1; // norm = scale * sqrt(sum), the LAPACK dnrm2 recurrence
    detail::for_each_number(grads, [&](T value) {
        const double a = std::abs(double(value));
        if (a == 0) return;
        if (scale < a) {
            sum = 1 + sum * (scale / a) * (scale / a);
            scale = a;
        } else {
            sum += (a / scale) * (a / scale);
        }
    });
    return scale * std::sqrt(sum);
}

/// True when every value is finite.
template <class T, class... P>
bool all_finite(const parameter_store<T, P...>& store) {
    bool finite = true;
    detail::for_each_number(store, [&](T value) { finite = finite && std::isfinite(value); });
    return finite;
}

/// Scales all gradients by max_norm / norm when their global norm exceeds max_norm; returns
/// the norm before clipping. max_norm <= 0 clips nothing (the trainer's gradient_clip_val = 0).
template <class T, class... P>
double clip_by_global_norm(parameter_store<T, P...>& grads, double max_norm) {
    const double norm = global_norm(grads);
    if (max_norm > 0 && norm > max_norm) {
        const T factor = static_cast<T>(max_norm / norm);
        grads.for_each([&](auto, auto& value) {
            if constexpr (std::is_arithmetic_v<std::remove_cvref_t<decltype(value)>>) value *= factor;
            else for (auto& v : value) v *= factor;
        });
    }
    return norm;
}

} // namespace ctgrad

#endif // CTGRAD_OPTIM_CLIP_HPP
