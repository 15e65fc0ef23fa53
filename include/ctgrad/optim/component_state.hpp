// ctgrad/optim/component_state.hpp: what the optimizers share. Their rules act on each parameter
// component alone, so they walk a store's scalars and vector entries in one order, keep what
// they remember (momentum, moments, sums) as buffers of one number per component, allocated at
// the first step, and check their options the same way.
#ifndef CTGRAD_OPTIM_COMPONENT_STATE_HPP
#define CTGRAD_OPTIM_COMPONENT_STATE_HPP

#include "ctgrad/error.hpp"
#include "ctgrad/eval/parameter_store.hpp"
#include "ctgrad/optim/parameter_columns.hpp"

#include <array>
#include <cmath>
#include <cstddef>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace ctgrad::detail {

/// f(value&, gradient, k) for every parameter component, k counting them in the store's order.
/// Throws ctgrad::invalid_argument, naming `who`, when a gradient's length is not its parameter's.
template <class T, class... P, class F>
void for_each_component(parameter_store<T, P...>& params, const parameter_store<T, P...>& grads, std::string_view who, F&& f) {
    std::size_t k = 0;
    auto visit = [&](auto symbol, auto& value, const auto& grad) {
        if constexpr (std::is_arithmetic_v<std::remove_cvref_t<decltype(value)>>) {
            f(value, grad, k++);
        } else {
            if (grad.size() != value.size())
                throw invalid_argument(std::string(who) + ": the gradient of " + std::string(decltype(symbol)::name.view()) + " has " +
                                       std::to_string(grad.size()) + " entries but the parameter has " + std::to_string(value.size()));
            T* v = value.data();
            const T* g = grad.data();
            for (std::size_t j = 0; j < value.size(); ++j) f(v[j], g[j], k++);
        }
    };
    (visit(P{}, params[P{}], grads[P{}]), ...);
}

/// Count buffers of one number per parameter component, in the parameters' number type.
template <std::size_t Count>
class component_buffers {
public:
    /// The buffers for T, made at the first call with `components` numbers each, every one
    /// `initial`. Throws ctgrad::invalid_argument, naming `who`, when a later call has another
    /// count: the optimizer's memory belongs to the parameters it was first given.
    template <class T>
    std::array<T*, Count> get(std::size_t components, T initial, std::string_view who) {
        auto& buffers = of<T>();
        if (!m_made) {
            for (auto& b : buffers) b.assign(components, initial);
            m_made = true;
            m_components = components;
        } else if (components != m_components || buffers[0].size() != components) {
            throw invalid_argument(std::string(who) + ": the parameters have " + std::to_string(components) +
                                   " components, but the optimizer's state was made for " + std::to_string(m_components) +
                                   " (and its number type); make one optimizer per model");
        }
        std::array<T*, Count> out{};
        for (std::size_t i = 0; i < Count; ++i) out[i] = buffers[i].data();
        return out;
    }

    /// Saves or loads the buffers (train/checkpoint_file.hpp).
    template <class Archive>
    void serialize(Archive& archive) {
        archive(m_made);
        archive(m_components);
        archive(m_double);
        archive(m_float);
    }

private:
    template <class T>
    std::array<std::vector<T>, Count>& of() {
        if constexpr (std::is_same_v<T, float>) return m_float;
        else return m_double;
    }

    std::array<std::vector<double>, Count> m_double;
    std::array<std::vector<float>, Count> m_float;
    std::size_t m_components = 0;
    bool m_made = false;
};

/// Throws ctgrad::invalid_argument "WHO: NAME must be finite and RULE, not VALUE" unless value is
/// finite and `ok`.
inline void require_option(std::string_view who, std::string_view name, double value, bool ok, std::string_view rule) {
    if (!ok || !std::isfinite(value))
        throw invalid_argument(std::string(who) + ": " + std::string(name) + " must be finite and " + std::string(rule) + ", not " +
                               parameter_number(value));
}

inline void require_positive(std::string_view who, std::string_view name, double value) {
    require_option(who, name, value, value > 0, "> 0");
}
inline void require_non_negative(std::string_view who, std::string_view name, double value) {
    require_option(who, name, value, value >= 0, ">= 0");
}
/// For averaging factors (betas): in [0, 1).
inline void require_fraction(std::string_view who, std::string_view name, double value) {
    require_option(who, name, value, value >= 0 && value < 1, "in [0, 1)");
}

} // namespace ctgrad::detail

#endif // CTGRAD_OPTIM_COMPONENT_STATE_HPP
