// ctgrad/core/symbol.hpp: the four kinds of symbol, and the bindings `symbol = value`
// that eval() reads.
#ifndef CTGRAD_CORE_SYMBOL_HPP
#define CTGRAD_CORE_SYMBOL_HPP

#include "ctgrad/core/fixed_string.hpp"

#include <iterator>
#include <type_traits>

namespace ctgrad {

enum class symbol_kind {
    param,     ///< learnable scalar
    param_vec, ///< learnable vector, length set at run time
    input,     ///< per-example scalar
    input_vec, ///< per-example vector
};

/// A value that a vector symbol can be bound to: contiguous storage of numbers with a size,
/// such as xt::xtensor<T, 1>, std::vector<T> or std::array<T, N>.
template <class R>
concept contiguous_values = requires(const R& r) {
    { std::data(r) };
    { std::size(r) };
} && std::is_arithmetic_v<std::remove_cvref_t<decltype(*std::data(std::declval<const R&>()))>>;

/// What `s = value` makes: the value a symbol S takes in one eval() call. Vectors are held
/// by reference (the binding lives only as long as the call), scalars by value.
template <class S, class V>
struct binding {
    using symbol_type = S;
    V m_value;
};

/// A symbol: an empty literal type whose identity is its name and kind.
template <fixed_string Name, symbol_kind Kind>
struct symbol {
    static constexpr auto name = Name;
    static constexpr symbol_kind kind = Kind;
    static constexpr bool is_vector = Kind == symbol_kind::param_vec || Kind == symbol_kind::input_vec;
    static constexpr bool is_param = Kind == symbol_kind::param || Kind == symbol_kind::param_vec;

    /// `s = value` binds the symbol for eval() or a batch, in the style of Boost.Parameter.
    /// It does not assign: symbols have no state. A parameter binds to a number (param) or to
    /// contiguous numbers (param_vec); an input may also bind to a whole minibatch: a column of
    /// numbers (input) or a feature-major block (input_vec: a view, or a container with a
    /// view() such as padded_feature_major).
    template <class V>
    constexpr auto operator=(const V& value) const {
        if constexpr (Kind == symbol_kind::param) {
            static_assert(std::is_arithmetic_v<V>, "ctgrad: a param binds to a number");
            return binding<symbol, V>{value};
        } else if constexpr (Kind == symbol_kind::input && std::is_arithmetic_v<V>) {
            return binding<symbol, V>{value};
        } else if constexpr (!is_param && (requires { value.m_features; } || requires { value.view(); })) {
            return binding<symbol, const V&>{value};
        } else {
            static_assert(contiguous_values<V>,
                          "ctgrad: a param_vec binds to contiguous numbers, e.g. xt::xtensor<double, 1> or "
                          "std::vector<double>; an input to a number or a column of numbers; an input_vec to "
                          "contiguous numbers or a feature-major block");
            return binding<symbol, const V&>{value};
        }
    }
};

template <fixed_string Name> using param = symbol<Name, symbol_kind::param>;
template <fixed_string Name> using param_vec = symbol<Name, symbol_kind::param_vec>;
template <fixed_string Name> using input = symbol<Name, symbol_kind::input>;
template <fixed_string Name> using input_vec = symbol<Name, symbol_kind::input_vec>;

template <class T> inline constexpr bool is_symbol_v = false;
template <fixed_string Name, symbol_kind Kind> inline constexpr bool is_symbol_v<symbol<Name, Kind>> = true;

/// A param, param_vec, input or input_vec.
template <class T>
concept symbolic = is_symbol_v<std::remove_cvref_t<T>>;

} // namespace ctgrad

#endif // CTGRAD_CORE_SYMBOL_HPP
