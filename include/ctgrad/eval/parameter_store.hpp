// ctgrad/eval/parameter_store.hpp: owning storage for a model's parameters, keyed by
// symbol: params[w] is an xt::xtensor<T, 1>, params[b] a T. Gradients use the same type,
// so an optimizer step is a walk over two stores of one layout.
#ifndef CTGRAD_EVAL_PARAMETER_STORE_HPP
#define CTGRAD_EVAL_PARAMETER_STORE_HPP

#include "ctgrad/eval/bindings.hpp"
#include "ctgrad/detail/type_list.hpp"

#include <xtensor/xtensor.hpp>

#include <algorithm>
#include <cstddef>
#include <iterator>
#include <tuple>

namespace ctgrad {

/// How a parameter symbol S is stored in number type T.
template <class T, class S>
using parameter_value_t = std::conditional_t<S::is_vector, xt::xtensor<T, 1>, T>;

/// The parameters Symbols... of a model, in number type T (float or double).
template <class T, class... Symbols>
class parameter_store {
    static_assert(std::is_same_v<T, float> || std::is_same_v<T, double>,
                  "ctgrad::parameter_store<T, ...>: T is float or double");
    static_assert((Symbols::is_param && ...),
                  "ctgrad::parameter_store holds param and param_vec symbols only (inputs come with the batch)");

public:
    using value_type = T;
    using symbols = detail::type_list<Symbols...>;

    parameter_store() = default;
    explicit parameter_store(parameter_value_t<T, Symbols>... values) : m_values{std::move(values)...} {}

    template <class S>
    static constexpr bool contains = detail::list_contains_v<symbols, S>;

    template <class S> requires contains<S>
    parameter_value_t<T, S>& operator[](S) noexcept {
        return std::get<detail::list_index_v<symbols, S>>(m_values);
    }
    template <class S> requires contains<S>
    const parameter_value_t<T, S>& operator[](S) const noexcept {
        return std::get<detail::list_index_v<symbols, S>>(m_values);
    }

    /// f(symbol, value) for every parameter, in declaration order.
    template <class F>
    void for_each(F&& f) {
        std::apply([&](auto&... values) { (f(Symbols{}, values), ...); }, m_values);
    }
    template <class F>
    void for_each(F&& f) const {
        std::apply([&](const auto&... values) { (f(Symbols{}, values), ...); }, m_values);
    }

    /// A store of the same layout, every value zero (vectors of the same lengths).
    [[nodiscard]] parameter_store zeros_like() const {
        parameter_store out = *this;
        out.for_each([](auto, auto& value) {
            if constexpr (std::is_arithmetic_v<std::remove_cvref_t<decltype(value)>>) value = T(0);
            else std::fill(value.begin(), value.end(), T(0));
        });
        return out;
    }

private:
    std::tuple<parameter_value_t<T, Symbols>...> m_values;
};

namespace detail {
template <class T, class V>
auto to_parameter_value(const V& value) {
    if constexpr (std::is_arithmetic_v<V>) {
        return static_cast<T>(value);
    } else {
        auto out = xt::xtensor<T, 1>::from_shape({static_cast<std::size_t>(std::size(value))});
        std::copy(std::data(value), std::data(value) + std::size(value), out.begin());
        return out;
    }
}
} // namespace detail

/// Copies the bound values into a new store: make_parameters(w = w0, b = 0.0). The number
/// type is float when some value is float and none is double, otherwise double.
template <symbol_binding... Bindings>
auto make_parameters(const Bindings&... bindings) {
    using T = detail::computation_t<Bindings...>;
    return parameter_store<T, typename Bindings::symbol_type...>{detail::to_parameter_value<T>(bindings.m_value)...};
}

/// The same, in a number type chosen by the caller: make_parameters<float>(w = w0, b = 0).
template <class T, symbol_binding... Bindings>
auto make_parameters(const Bindings&... bindings) {
    return parameter_store<T, typename Bindings::symbol_type...>{detail::to_parameter_value<T>(bindings.m_value)...};
}

} // namespace ctgrad

#endif // CTGRAD_EVAL_PARAMETER_STORE_HPP
