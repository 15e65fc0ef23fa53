// examples/least_squares.hpp: the closed-form least-squares fit the exercise examples compare
// their trained models with. Not part of the library.
#ifndef CTGRAD_EXAMPLES_LEAST_SQUARES_HPP
#define CTGRAD_EXAMPLES_LEAST_SQUARES_HPP

#include <ctgrad/data/dataset.hpp>

#include <array>
#include <cmath>
#include <cstddef>
#include <utility>

namespace examples {

/// Least squares for two features and a bias over the first `rows` examples: [x, 1] theta = y
/// by the normal equations (3 x 3, Gauss-Jordan elimination with partial pivoting). Returns
/// w[0], w[1], b. Fine for the book's well-conditioned data; real_data.cpp uses QR instead.
inline std::array<double, 3> least_squares_2(const ctgrad::data::dataset<double>& data, std::size_t rows) {
    std::array<std::array<double, 4>, 3> a{}; // [X^T X | X^T y] with a column of ones for b
    for (std::size_t i = 0; i < rows; ++i) {
        const std::array<double, 3> row{data.features()(0, i), data.features()(1, i), 1.0};
        for (std::size_t r = 0; r < 3; ++r) {
            for (std::size_t c = 0; c < 3; ++c) a[r][c] += row[r] * row[c];
            a[r][3] += row[r] * data.targets()(i);
        }
    }
    for (std::size_t k = 0; k < 3; ++k) {
        std::size_t pivot = k;
        for (std::size_t r = k + 1; r < 3; ++r)
            if (std::abs(a[r][k]) > std::abs(a[pivot][k])) pivot = r;
        std::swap(a[k], a[pivot]);
        for (std::size_t r = 0; r < 3; ++r)
            if (r != k) {
                const double f = a[r][k] / a[k][k];
                for (std::size_t c = k; c < 4; ++c) a[r][c] -= f * a[k][c];
            }
    }
    return {a[0][3] / a[0][0], a[1][3] / a[1][1], a[2][3] / a[2][2]};
}

} // namespace examples

#endif // CTGRAD_EXAMPLES_LEAST_SQUARES_HPP
