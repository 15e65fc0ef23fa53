// ctgrad/optim/streaming_qr.hpp: the triangular factor R of a tall matrix [J | r] whose rows
// arrive a block at a time, by Householder reflections (a row at a time, by Givens rotations).
// Least squares solved from R keeps the condition number of J, where the normal equations JᵀJ
// would square it; and only R, of (n + 1)² numbers, is kept, never J.
#ifndef CTGRAD_OPTIM_STREAMING_QR_HPP
#define CTGRAD_OPTIM_STREAMING_QR_HPP

#include "ctgrad/optim/parameter_columns.hpp"
#include "ctgrad/simd/simd.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <span>
#include <type_traits>

namespace ctgrad::detail {

/// √(a² + b²): std::hypot's care against overflow costs more than the rest of a rotation, so it
/// is kept for entries whose squares would leave double's range.
inline double rotation_norm(double a, double b) noexcept {
    const double big = std::max(std::abs(a), std::abs(b));
    if (big > 1e150 || big < 1e-150) return std::hypot(a, b);
    return std::sqrt(a * a + b * b);
}

/// Rotates `row` (`columns` entries, overwritten) into the upper-triangular rows of `tri`
/// (`rows` x `columns`, row-major), from row `from` on, one Givens rotation per entry of `row`
/// still to be zeroed. A size is a std::size_t, or a std::integral_constant for loops of fixed length.
template <class Rows, class Columns>
void rotate_into(double* tri, Rows rows, Columns columns, double* row, std::size_t from) noexcept {
    for (std::size_t k = from; k < rows; ++k) {
        const double b = row[k];
        if (b == 0) continue;
        double* const upper = tri + k * columns;
        const double a = upper[k];
        const double h = rotation_norm(a, b);
        const double inverse = 1 / h; // one division, not two: they were most of a rotation's time
        const double c = a * inverse, s = b * inverse;
        upper[k] = h;
        for (std::size_t j = k + 1; j < columns; ++j) {
            const double kept = upper[j];
            upper[j] = c * kept + s * row[j];
            row[j] = c * row[j] - s * kept;
        }
    }
}

/// Σᵢ a_i b_i over `count` entries, in SIMD lanes.
inline double dot(const double* a, const double* b, std::size_t count) noexcept {
    using V = simd::batch<double>;
    constexpr std::size_t lanes = simd::lanes_v<V>;
    V even(0.0), odd(0.0);
    std::size_t i = 0;
    for (; i + 2 * lanes <= count; i += 2 * lanes) {
        even = xsimd::fma(V::load_unaligned(a + i), V::load_unaligned(b + i), even);
        odd = xsimd::fma(V::load_unaligned(a + i + lanes), V::load_unaligned(b + i + lanes), odd);
    }
    if (i + lanes <= count) {
        even = xsimd::fma(V::load_unaligned(a + i), V::load_unaligned(b + i), even);
        i += lanes;
    }
    double s = simd::sum_lanes(even + odd);
    for (; i < count; ++i) s += a[i] * b[i];
    return s;
}

/// y -= c x over `count` entries.
inline void subtract_scaled(double* y, double c, const double* x, std::size_t count) noexcept {
    using V = simd::batch<double>;
    constexpr std::size_t lanes = simd::lanes_v<V>;
    const V scale(c);
    std::size_t i = 0;
    for (; i + lanes <= count; i += lanes) xsimd::fnma(scale, V::load_unaligned(x + i), V::load_unaligned(y + i)).store_unaligned(y + i);
    for (; i < count; ++i) y[i] -= c * x[i];
}

/// The reflection I - τ u uᵀ, u = (1, v / v₀), that maps (α, v) with |v|² = σ > 0 to
/// (|(α, v)|, 0), with v₀ free of cancellation when α > 0 (Golub and Van Loan, Algorithm 5.1.1).
/// `ok` is false when σ or α² + σ leaves the range where the squares hold: rotate instead.
struct reflection {
    double norm = 0, tau = 0, inverse_v0 = 0;
    bool ok = false;
};

inline reflection reflect(double alpha, double sigma) noexcept {
    const double sum = alpha * alpha + sigma;
    if (!(sigma >= 1e-280 && sum <= 1e280)) return {};
    const double norm = std::sqrt(sum);
    const double v0 = alpha <= 0 ? alpha - norm : -sigma / (alpha + norm);
    return {norm, 2 * v0 * v0 / (sigma + v0 * v0), 1 / v0, true};
}

/// R of [J | r] for N parameters (N may be dynamic_columns: the count is then given at run
/// time): rows of N Jacobian entries and a residual.
template <std::size_t N>
class streaming_qr {
public:
    static constexpr bool fixed = N != dynamic_columns;

    streaming_qr() requires fixed = default;
    explicit streaming_qr(std::size_t parameters)
        : m_parameters(parameters), m_r(storage::make((parameters + 1) * (parameters + 1))) {}

    /// J's column count, a std::integral_constant when fixed.
    [[nodiscard]] auto parameters() const noexcept {
        if constexpr (fixed) return std::integral_constant<std::size_t, N>{};
        else return m_parameters;
    }
    /// J's columns and r.
    [[nodiscard]] auto columns() const noexcept {
        if constexpr (fixed) return std::integral_constant<std::size_t, N + 1>{};
        else return m_parameters + 1;
    }

    void clear() noexcept { std::fill(m_r.begin(), m_r.end(), 0.0); }

    /// Rotates one row (J_i, r_i) into R.
    void add_row(std::span<const double> row) {
        auto copy = row_storage::make(columns());
        std::copy(row.begin(), row.end(), copy.begin());
        rotate_into(m_r.data(), columns(), columns(), copy.data(), 0);
    }

    /// Adds `count` rows given by columns: column[j][i] is entry j of row i (J's N columns, then
    /// r). One Householder reflection per column zeroes it below R's diagonal, in SIMD over the
    /// rows: about 2 count N² flops and N + 1 square roots, where a rotation per entry costs
    /// count N² / 2 square roots and divisions. Overwrites the columns.
    void add_rows(std::span<double* const> column, std::size_t count) {
        const auto n = columns();
        for (std::size_t k = 0; k < n; ++k) {
            double* const v = column[k];
            const double sigma = dot(v, v, count);
            if (sigma == 0 && std::none_of(v, v + count, [](double e) { return e != 0; })) continue;
            const reflection h = reflect(at(k, k), sigma);
            if (!h.ok) {
                // Squares out of double's range: rotations, which guard against it, from here on.
                auto row = row_storage::make(n);
                for (std::size_t i = 0; i < count; ++i) {
                    std::fill(row.begin(), row.end(), 0.0);
                    for (std::size_t j = k; j < n; ++j) row[j] = column[j][i];
                    rotate_into(m_r.data(), n, n, row.data(), k);
                }
                return;
            }
            at(k, k) = h.norm;
            for (std::size_t j = k + 1; j < n; ++j) {
                const double w = h.tau * (at(k, j) + dot(v, column[j], count) * h.inverse_v0);
                at(k, j) -= w;
                subtract_scaled(column[j], w * h.inverse_v0, v, count);
            }
        }
    }

    /// Adds the rows of another factor of as many columns: R of [R; other's R].
    void merge(const streaming_qr& other) {
        const auto n = columns();
        auto row = row_storage::make(n);
        for (std::size_t i = 0; i < n; ++i) {
            std::copy_n(other.m_r.data() + i * n, std::size_t(n), row.begin());
            rotate_into(m_r.data(), n, n, row.data(), i);
        }
    }

    /// R's entries, row by row (columns() x columns(), zero below the diagonal): what a process
    /// sends to another, which merges them.
    [[nodiscard]] std::span<double> entries() noexcept { return {m_r.data(), m_r.size()}; }
    [[nodiscard]] std::span<const double> entries() const noexcept { return {m_r.data(), m_r.size()}; }

    /// R's entry (i, j), j >= i: the leading N x N block is J's triangular factor, the last
    /// column holds z = Qᵀr, and R(N, N)² is what no step can remove from |r|².
    [[nodiscard]] double operator()(std::size_t i, std::size_t j) const noexcept { return m_r[i * columns() + j]; }

    /// The Euclidean norm of J's column j (R's column j: rotations keep column norms).
    [[nodiscard]] double column_norm(std::size_t j) const noexcept {
        double s = 0;
        for (std::size_t i = 0; i <= j; ++i) s += (*this)(i, j) * (*this)(i, j);
        return std::sqrt(s);
    }

    /// (Jᵀr)_j = Σᵢ R(i, j) z_i: Qᵀ keeps inner products.
    [[nodiscard]] double gradient(std::size_t j) const noexcept {
        double g = 0;
        for (std::size_t i = 0; i <= j; ++i) g += (*this)(i, j) * (*this)(i, parameters());
        return g;
    }

    /// max_j |J_jᵀr| / (|J_j| |r|): how far r is from orthogonal to every column of J.
    [[nodiscard]] double largest_cosine(double residual_norm) const noexcept {
        double out = 0;
        for (std::size_t j = 0; j < parameters(); ++j) out = std::max(out, std::abs(gradient(j)) / (column_norm(j) * residual_norm));
        return out;
    }

private:
    using storage = column_numbers<N, (N + 1) * (N + 1)>;
    using row_storage = column_numbers<N, N + 1>;

    double& at(std::size_t i, std::size_t j) noexcept { return m_r[i * columns() + j]; }

    std::size_t m_parameters = fixed ? N : 0;
    typename storage::type m_r{};
};

/// The step δ minimising |J δ + r|² + λ |D δ|², from R (streaming_qr) alone: [R_J | z] (J's
/// factor and Qᵀr) stacked on the damping rows (√λ D_j e_j | 0) is reduced to triangular form
/// (Moré's damped least squares, without JᵀJ).
template <std::size_t N>
struct damped_step {
    typename column_numbers<N>::type step{};
    double predicted_reduction = 0; ///< ½|r|² - ½|J δ + r|², the model's promise
};

namespace damped {

/// N rows of N + 1 entries, row-major.
template <std::size_t N>
using rows = column_numbers<N, N * (N + 1)>;

/// Reduces the stack by rotating each damping row into `top`: guarded against overflow by
/// rotation_norm, at N (N + 1) / 2 dependent square roots.
template <class Rows, class Size>
void by_rotations(Rows& top, Rows damping, Size n) {
    const auto columns = n + std::integral_constant<std::size_t, 1>{};
    for (std::size_t j = 0; j < n; ++j) rotate_into(top.data(), n, columns, damping.data() + j * columns, j);
}

/// Reduces the stack by one Householder reflection per column, N square roots; false, with
/// nothing changed, when a column's sum of squares leaves double's range.
template <class Rows, class Size>
bool by_reflections(Rows& top, Rows damping, Size n) {
    const auto columns = n + std::integral_constant<std::size_t, 1>{};
    const Rows kept = top;
    auto below = [&](std::size_t row, std::size_t column) -> double& { return damping[row * columns + column]; };
    for (std::size_t k = 0; k < n; ++k) {
        // Column k below the diagonal: damping rows 0..k (row k's own entry and the fill-in of
        // the reflections before it); the rows of R below k are 0 there.
        double sigma = 0;
        for (std::size_t j = 0; j <= k; ++j) sigma += below(j, k) * below(j, k);
        if (sigma == 0) continue;
        double* const upper = top.data() + k * columns;
        const reflection h = reflect(upper[k], sigma);
        if (!h.ok) {
            top = kept;
            return false;
        }
        upper[k] = h.norm;
        for (std::size_t c = k + 1; c < columns; ++c) {
            double w = 0;
            for (std::size_t j = 0; j <= k; ++j) w += below(j, k) * below(j, c);
            w = h.tau * (upper[c] + w * h.inverse_v0);
            upper[c] -= w;
            for (std::size_t j = 0; j <= k; ++j) below(j, c) -= w * h.inverse_v0 * below(j, k);
        }
    }
    return true;
}

} // namespace damped

template <std::size_t N>
damped_step<N> solve_damped(const streaming_qr<N>& qr, const typename column_numbers<N>::type& scale, double lambda) {
    const auto n = qr.parameters();
    const auto columns = qr.columns();
    using rows = damped::rows<N>;
    auto top = rows::make(n * columns), damping = rows::make(n * columns);
    for (std::size_t i = 0; i < n; ++i)
        for (std::size_t j = i; j < columns; ++j) top[i * columns + j] = qr(i, j);
    const double root = std::sqrt(lambda);
    for (std::size_t j = 0; j < n; ++j) damping[j * columns + j] = root * scale[j];
    if (!damped::by_reflections(top, damping, n)) damped::by_rotations(top, damping, n);
    damped_step<N> out{column_numbers<N>::make(n)};
    for (std::size_t k = n; k-- > 0;) {
        const double* const row = top.data() + k * columns;
        double v = -row[n];
        for (std::size_t j = k + 1; j < n; ++j) v -= row[j] * out.step[j];
        out.step[k] = row[k] != 0 ? v / row[k] : 0.0;
    }
    // |J δ + r|² = |R δ + z|² + R(N, N)², so the promise is ½|z|² - ½|R δ + z|².
    double before = 0, after = 0;
    for (std::size_t i = 0; i < n; ++i) {
        double v = qr(i, n);
        before += v * v;
        for (std::size_t j = i; j < n; ++j) v += qr(i, j) * out.step[j];
        after += v * v;
    }
    out.predicted_reduction = (before - after) / 2;
    return out;
}

/// (JᵀJ)⁻¹ = R⁻¹ R⁻ᵀ from J's factor; false when a diagonal entry of R is not above
/// `tiny` times its column's norm (a parameter J does not determine), naming it in `failed`.
template <std::size_t N>
bool inverse_normal_matrix(const streaming_qr<N>& qr, double tiny, typename column_matrix<N>::type& out, std::size_t& failed) {
    const auto n = qr.parameters();
    for (std::size_t j = 0; j < n; ++j) {
        if (!(std::abs(qr(j, j)) > tiny * qr.column_norm(j))) {
            failed = j;
            return false;
        }
    }
    auto inv = column_matrix<N>::make(n); // R⁻¹, upper triangular
    for (std::size_t j = 0; j < n; ++j) {
        inv[j][j] = 1 / qr(j, j);
        for (std::size_t i = j; i-- > 0;) {
            double v = 0;
            for (std::size_t k = i + 1; k <= j; ++k) v += qr(i, k) * inv[k][j];
            inv[i][j] = -v / qr(i, i);
        }
    }
    for (std::size_t i = 0; i < n; ++i)
        for (std::size_t j = 0; j < n; ++j) {
            double v = 0;
            for (std::size_t k = std::max(i, j); k < n; ++k) v += inv[i][k] * inv[j][k];
            out[i][j] = v;
        }
    return true;
}

} // namespace ctgrad::detail

#endif // CTGRAD_OPTIM_STREAMING_QR_HPP
