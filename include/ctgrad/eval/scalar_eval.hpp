// ctgrad/eval/scalar_eval.hpp: eval(e, a = 0.3, x = xs, ...), the straightforward
// evaluator. It is the reference every faster path is tested against, so it favours
// plain loops over cleverness.
#ifndef CTGRAD_EVAL_SCALAR_EVAL_HPP
#define CTGRAD_EVAL_SCALAR_EVAL_HPP

#include "ctgrad/error.hpp"
#include "ctgrad/eval/bindings.hpp"
#include "ctgrad/io/to_string.hpp"

#include <xtensor/xtensor.hpp>

#include <cstddef>
#include <stdexcept>
#include <string>
#include <tuple>

namespace ctgrad {

namespace detail {

/// A vector symbol's bound values, read in place.
template <class U>
struct vector_view {
    const U* m_data;
    std::size_t m_size;
};

template <class V> inline constexpr bool is_vector_value_v = false;
template <class U> inline constexpr bool is_vector_value_v<vector_view<U>> = true;
template <class U> inline constexpr bool is_vector_value_v<xt::xtensor<U, 1>> = true;

template <class U> std::size_t length_of(const vector_view<U>& v) { return v.m_size; }
template <class U> std::size_t length_of(const xt::xtensor<U, 1>& v) { return v.size(); }

/// Element i of a value as a T; a scalar is the same for every i (it broadcasts).
template <class T, class V>
auto element(const V& v, std::size_t i) {
    if constexpr (std::is_same_v<V, bool>) return v;
    else if constexpr (!is_vector_value_v<V>) return static_cast<T>(v);
    else if constexpr (std::is_same_v<V, xt::xtensor<bool, 1>>) return bool(v(i));
    else if constexpr (is_vector_value_v<V> && requires { v.m_data; }) return static_cast<T>(v.m_data[i]);
    else return static_cast<T>(v(i));
}

template <class Node, class... Children, class... Values>
std::size_t common_length(const Node& n, const std::tuple<Children...>& children, const Values&... values) {
    constexpr std::size_t count = sizeof...(Values);
    const bool is_vector[count] = {is_vector_value_v<Values>...};
    std::size_t lengths[count] = {};
    std::size_t k = 0;
    ((lengths[k++] = [&] { if constexpr (is_vector_value_v<Values>) return length_of(values); else return std::size_t{0}; }()), ...);

    std::string names[count];
    std::size_t first = count;
    for (std::size_t i = 0; i < count; ++i) {
        if (!is_vector[i]) continue;
        if (first == count) { first = i; continue; }
        if (lengths[i] == lengths[first]) continue;
        std::apply([&](const auto&... cs) { std::size_t j = 0; ((names[j++] = to_string(cs)), ...); }, children);
        throw ctgrad::invalid_argument("ctgrad::eval: length mismatch in " + to_string(n) + ": " + names[first] +
                                    " has length " + std::to_string(lengths[first]) + " but " + names[i] +
                                    " has length " + std::to_string(lengths[i]));
    }
    return lengths[first];
}

/// Evaluates expressions in the number type T under one call's bindings.
template <class T, class... Bindings>
struct scalar_evaluator {
    std::tuple<const Bindings&...> m_bindings;

    template <class E>
    auto operator()(const E& e) const {
        if constexpr (is_symbol_v<E>) {
            const auto& value = find_binding<E>(m_bindings).m_value;
            if constexpr (E::is_vector) {
                using element_type = std::remove_cvref_t<decltype(*std::data(value))>;
                return vector_view<element_type>{std::data(value), std::size(value)};
            } else {
                static_assert(std::is_arithmetic_v<std::remove_cvref_t<decltype(value)>>,
                              "ctgrad::eval evaluates one example: bind each input to a number "
                              "(value_and_grad takes whole minibatches)");
                return static_cast<T>(value);
            }
        } else if constexpr (is_constant_v<E>) {
            return E::template as<T>();
        } else if constexpr (std::is_same_v<E, number>) {
            return static_cast<T>(e.m_value);
        } else {
            return std::apply([&](const auto&... children) { return apply_node(e, (*this)(children)...); },
                              e.m_children);
        }
    }

    template <class Tag, class... Children, class... Values>
    auto apply_node(const node<Tag, Children...>& n, const Values&... values) const {
        if constexpr (Tag::is_reduction) {
            const std::size_t length = common_length(n, n.m_children, values...);
            T total{0};
            for (std::size_t i = 0; i < length; ++i) total += Tag::apply(element<T>(values, i)...);
            return total;
        } else if constexpr (!(is_vector_value_v<Values> || ...)) {
            return Tag::apply(element<T>(values, 0)...);
        } else {
            const std::size_t length = common_length(n, n.m_children, values...);
            using result_type = decltype(Tag::apply(element<T>(values, 0)...));
            auto out = xt::xtensor<result_type, 1>::from_shape({length});
            for (std::size_t i = 0; i < length; ++i) out(i) = Tag::apply(element<T>(values, i)...);
            return out;
        }
    }
};

} // namespace detail

/// The value of e with its symbols bound as `symbol = value`. Scalars give a number (double,
/// or float when every bound number is float); vector expressions give xt::xtensor<T, 1>.
/// Bindings the expression does not use are allowed, so one call site can evaluate a loss
/// and all its partials. A missing binding is a compile error; vectors of different lengths
/// meeting in one operation throw ctgrad::invalid_argument naming both and their lengths.
template <expression E, symbol_binding... Bindings>
auto eval(const E& e, const Bindings&... bindings) {
    using T = detail::computation_t<Bindings...>;
    const detail::scalar_evaluator<T, Bindings...> evaluator{{bindings...}};
    auto result = evaluator(e);
    if constexpr (requires { result.m_data; }) {
        auto out = xt::xtensor<T, 1>::from_shape({result.m_size});
        for (std::size_t i = 0; i < result.m_size; ++i) out(i) = static_cast<T>(result.m_data[i]);
        return out;
    } else {
        return result;
    }
}

} // namespace ctgrad

#endif // CTGRAD_EVAL_SCALAR_EVAL_HPP
