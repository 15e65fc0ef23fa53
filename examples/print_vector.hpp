// examples/print_vector.hpp: "[0.0012, -0.0034]", the examples' way to print a parameter
// error. Not part of the library.
#ifndef CTGRAD_EXAMPLES_PRINT_VECTOR_HPP
#define CTGRAD_EXAMPLES_PRINT_VECTOR_HPP

#include <xtensor/xtensor.hpp>

#include <cstddef>
#include <cstdio>
#include <string>

namespace examples {

inline std::string format(const xt::xtensor<double, 1>& v) {
    std::string out = "[";
    for (std::size_t i = 0; i < v.size(); ++i) {
        char buffer[32];
        std::snprintf(buffer, sizeof buffer, "%s%.4f", i ? ", " : "", v(i));
        out += buffer;
    }
    return out + "]";
}

} // namespace examples

#endif // CTGRAD_EXAMPLES_PRINT_VECTOR_HPP
