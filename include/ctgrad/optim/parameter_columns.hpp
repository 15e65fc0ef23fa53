// ctgrad/optim/parameter_columns.hpp: a parameter store seen as the columns of a Jacobian, for
// the solvers that work on J: a scalar parameter is one column, each component of a param_vec
// one more, in the store's order. How many there are is known at compile time when every
// parameter is a scalar (fixed-size arrays, no allocation per step) and at run time otherwise.
#ifndef CTGRAD_OPTIM_PARAMETER_COLUMNS_HPP
#define CTGRAD_OPTIM_PARAMETER_COLUMNS_HPP

#include "ctgrad/eval/parameter_store.hpp"

#include <array>
#include <cstddef>
#include <cstdio>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

namespace ctgrad::detail {

/// A column count known only at run time: a store holding a param_vec.
inline constexpr std::size_t dynamic_columns = std::dynamic_extent;

/// The number of J's columns for the parameters P..., or dynamic_columns.
template <class... P>
inline constexpr std::size_t columns_of_v = (P::is_vector || ...) ? dynamic_columns : sizeof...(P);

/// Count doubles: a std::array when Count is a compile-time number, else a std::vector.
template <std::size_t Count>
struct numbers_of {
    using type = std::array<double, Count>;
    static type make(std::size_t) { return {}; }
};
template <>
struct numbers_of<dynamic_columns> {
    using type = std::vector<double>;
    static type make(std::size_t count) { return type(count); }
};

/// Count doubles for a solver of N columns (N may be dynamic_columns; Count is then ignored).
template <std::size_t N, std::size_t Count = N>
using column_numbers = numbers_of<N == dynamic_columns ? dynamic_columns : Count>;

/// An N x N matrix of doubles, indexed m[i][j].
template <std::size_t N>
struct column_matrix {
    using type = std::array<std::array<double, N>, N>;
    static type make(std::size_t) { return {}; }
};
template <>
struct column_matrix<dynamic_columns> {
    using type = std::vector<std::vector<double>>;
    static type make(std::size_t n) { return type(n, std::vector<double>(n)); }
};

/// The number of columns of the store's parameters: 1 per scalar, the length of each vector.
template <class T, class... P>
std::size_t column_count(const parameter_store<T, P...>& params) {
    std::size_t n = 0;
    params.for_each([&](auto, const auto& value) {
        if constexpr (std::is_arithmetic_v<std::remove_cvref_t<decltype(value)>>) ++n;
        else n += value.size();
    });
    return n;
}

/// f(column, value&) for every parameter component, in column order.
template <class Store, class F>
void for_each_column(Store& params, F&& f) {
    std::size_t column = 0;
    params.for_each([&](auto, auto& value) {
        if constexpr (std::is_arithmetic_v<std::remove_cvref_t<decltype(value)>>) f(column++, value);
        else
            for (auto& component : value) f(column++, component);
    });
}

inline std::string parameter_number(double v) {
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%.6g", v);
    return buffer;
}

/// The name of column j: "b1" for a scalar, "w[3]" for a component of a vector.
template <class T, class... P>
std::string column_name(const parameter_store<T, P...>& params, std::size_t j) {
    std::string out;
    std::size_t first = 0;
    params.for_each([&](auto symbol, const auto& value) {
        const std::string name(decltype(symbol)::name.view());
        if constexpr (std::is_arithmetic_v<std::remove_cvref_t<decltype(value)>>) {
            if (j == first) out = name;
            ++first;
        } else {
            if (j >= first && j < first + value.size()) out = name + "[" + std::to_string(j - first) + "]";
            first += value.size();
        }
    });
    return out;
}

/// "b1 = 1, w = [0.5, 2, -1]" for error messages; a vector longer than 4 shows its first 3
/// components and its length.
template <class T, class... P>
std::string describe_parameters(const parameter_store<T, P...>& params) {
    std::string out;
    params.for_each([&](auto symbol, const auto& value) {
        out += (out.empty() ? "" : ", ") + std::string(decltype(symbol)::name.view()) + " = ";
        if constexpr (std::is_arithmetic_v<std::remove_cvref_t<decltype(value)>>) {
            out += parameter_number(double(value));
        } else {
            constexpr std::size_t shown = 3;
            const std::size_t count = value.size() > shown + 1 ? shown : value.size();
            out += "[";
            for (std::size_t i = 0; i < count; ++i) out += (i ? ", " : "") + parameter_number(double(value(i)));
            if (count < value.size()) out += ", ... " + std::to_string(value.size()) + " values";
            out += "]";
        }
    });
    return out;
}

} // namespace ctgrad::detail

#endif // CTGRAD_OPTIM_PARAMETER_COLUMNS_HPP
