// ctgrad/optim/streaming_qr.hpp: the triangular factor R of a tall matrix [J | r] whose rows
// arrive a block at a time, by Householder reflections (a row at a time, by Givens rotations).
// Least squares solved from R keeps the condition number of J, where the normal equations JᵀJ
// would square it; and only R, of (n + 1)² numbers, is kept, never J.
#ifndef CTGRAD_OPTIM_STREAMING_QR_HPP
#define CTGRAD_OPTIM_STREAMING_QR_HPP

#include "ctgrad/simd/simd.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>

namespace ctgrad::detail {

/// √(a² + b²): std::hypot's care against overflow costs more than the rest of a rotation, so it
/// is kept for entries whose squares would leave double's range.
inline double rotation_norm(double a, double b) noexcept {
    const double big = std::max(std::abs(a), std::abs(b));
    if (big > 1e150 || big < 1e-150) return std::hypot(a, b);
    return std::sqrt(a * a + b * b);
}

/// Rotates `row` into the upper-triangular rows of `tri`, from row `from` on, one Givens
/// rotation per entry of `row` still to be zeroed.
template <std::size_t Rows, std::size_t Columns>
void rotate_into(std::array<std::array<double, Columns>, Rows>& tri, std::array<double, Columns> row, std::size_t from) noexcept {
    for (std::size_t k = from; k < Rows; ++k) {
        const double b = row[k];
        if (b == 0) continue;
        const double a = tri[k][k];
        const double h = rotation_norm(a, b);
        const double inverse = 1 / h; // one division, not two: they were most of a rotation's time
        const double c = a * inverse, s = b * inverse;
        tri[k][k] = h;
        for (std::size_t j = k + 1; j < Columns; ++j) {
            const double upper = tri[k][j];
            tri[k][j] = c * upper + s * row[j];
            row[j] = c * row[j] - s * upper;
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

/// R of [J | r] for N parameters: rows of N Jacobian entries and a residual.
template <std::size_t N>
class streaming_qr {
public:
    static constexpr std::size_t columns = N + 1;
    using row_type = std::array<double, columns>;

    void clear() noexcept { m_r = {}; }

    /// Rotates one row (J_i, r_i) into R.
    void add_row(const row_type& row) noexcept { rotate_into(m_r, row, 0); }

    /// Adds `count` rows given by columns: column[j][i] is entry j of row i (J's N columns, then
    /// r). One Householder reflection per column zeroes it below R's diagonal, in SIMD over the
    /// rows: about 2 count N² flops and N + 1 square roots, where a rotation per entry costs
    /// count N² / 2 square roots and divisions. Overwrites the columns.
    void add_rows(const std::array<double*, columns>& column, std::size_t count) noexcept {
        for (std::size_t k = 0; k < columns; ++k) {
            double* const v = column[k];
            const double sigma = dot(v, v, count);
            if (sigma == 0 && std::none_of(v, v + count, [](double e) { return e != 0; })) continue;
            const reflection h = reflect(m_r[k][k], sigma);
            if (!h.ok) {
                // Squares out of double's range: rotations, which guard against it, from here on.
                for (std::size_t i = 0; i < count; ++i) {
                    row_type row{};
                    for (std::size_t j = k; j < columns; ++j) row[j] = column[j][i];
                    rotate_into(m_r, row, k);
                }
                return;
            }
            m_r[k][k] = h.norm;
            for (std::size_t j = k + 1; j < columns; ++j) {
                const double w = h.tau * (m_r[k][j] + dot(v, column[j], count) * h.inverse_v0);
                m_r[k][j] -= w;
                subtract_scaled(column[j], w * h.inverse_v0, v, count);
            }
        }
    }

    /// Adds the rows of another factor: R of [R; other's R].
    void merge(const streaming_qr& other) noexcept {
        for (std::size_t i = 0; i < columns; ++i) rotate_into(m_r, other.m_r[i], i);
    }

    /// R's entry (i, j), j >= i: the leading N x N block is J's triangular factor, the last
    /// column holds z = Qᵀr, and R(N, N)² is what no step can remove from |r|².
    [[nodiscard]] double operator()(std::size_t i, std::size_t j) const noexcept { return m_r[i][j]; }

    /// The Euclidean norm of J's column j (R's column j: rotations keep column norms).
    [[nodiscard]] double column_norm(std::size_t j) const noexcept {
        double s = 0;
        for (std::size_t i = 0; i <= j; ++i) s += m_r[i][j] * m_r[i][j];
        return std::sqrt(s);
    }

    /// (Jᵀr)_j = Σᵢ R(i, j) z_i: Qᵀ keeps inner products.
    [[nodiscard]] double gradient(std::size_t j) const noexcept {
        double g = 0;
        for (std::size_t i = 0; i <= j; ++i) g += m_r[i][j] * m_r[i][N];
        return g;
    }

    /// max_j |J_jᵀr| / (|J_j| |r|): how far r is from orthogonal to every column of J.
    [[nodiscard]] double largest_cosine(double residual_norm) const noexcept {
        double out = 0;
        for (std::size_t j = 0; j < N; ++j) out = std::max(out, std::abs(gradient(j)) / (column_norm(j) * residual_norm));
        return out;
    }

private:
    std::array<row_type, columns> m_r{};
};

/// The step δ minimising |J δ + r|² + λ |D δ|², from R (streaming_qr) alone: [R_J | z] (J's
/// factor and Qᵀr) stacked on the damping rows (√λ D_j e_j | 0) is reduced to triangular form
/// (Moré's damped least squares, without JᵀJ).
template <std::size_t N>
struct damped_step {
    std::array<double, N> step{};
    double predicted_reduction = 0; ///< ½|r|² - ½|J δ + r|², the model's promise
};

namespace damped {

template <std::size_t N>
using rows = std::array<std::array<double, N + 1>, N>;

/// Reduces the stack by rotating each damping row into `top`: guarded against overflow by
/// rotation_norm, at N (N + 1) / 2 dependent square roots.
template <std::size_t N>
void by_rotations(rows<N>& top, const rows<N>& damping) {
    for (std::size_t j = 0; j < N; ++j) rotate_into(top, damping[j], j);
}

/// Reduces the stack by one Householder reflection per column, N square roots; false, with
/// nothing changed, when a column's sum of squares leaves double's range.
template <std::size_t N>
bool by_reflections(rows<N>& top, rows<N> damping) {
    const rows<N> kept = top;
    for (std::size_t k = 0; k < N; ++k) {
        // Column k below the diagonal: damping rows 0..k (row k's own entry and the fill-in of
        // the reflections before it); the rows of R below k are 0 there.
        double sigma = 0;
        for (std::size_t j = 0; j <= k; ++j) sigma += damping[j][k] * damping[j][k];
        if (sigma == 0) continue;
        const reflection h = reflect(top[k][k], sigma);
        if (!h.ok) {
            top = kept;
            return false;
        }
        top[k][k] = h.norm;
        for (std::size_t c = k + 1; c <= N; ++c) {
            double w = 0;
            for (std::size_t j = 0; j <= k; ++j) w += damping[j][k] * damping[j][c];
            w = h.tau * (top[k][c] + w * h.inverse_v0);
            top[k][c] -= w;
            for (std::size_t j = 0; j <= k; ++j) damping[j][c] -= w * h.inverse_v0 * damping[j][k];
        }
    }
    return true;
}

} // namespace damped

template <std::size_t N>
damped_step<N> solve_damped(const streaming_qr<N>& qr, const std::array<double, N>& scale, double lambda) {
    damped::rows<N> top{}, damping{};
    for (std::size_t i = 0; i < N; ++i)
        for (std::size_t j = i; j <= N; ++j) top[i][j] = qr(i, j);
    const double root = std::sqrt(lambda);
    for (std::size_t j = 0; j < N; ++j) damping[j][j] = root * scale[j];
    if (!damped::by_reflections(top, damping)) damped::by_rotations(top, damping);
    damped_step<N> out;
    for (std::size_t k = N; k-- > 0;) {
        double v = -top[k][N];
        for (std::size_t j = k + 1; j < N; ++j) v -= top[k][j] * out.step[j];
        out.step[k] = top[k][k] != 0 ? v / top[k][k] : 0.0;
    }
    // |J δ + r|² = |R δ + z|² + R(N, N)², so the promise is ½|z|² - ½|R δ + z|².
    double before = 0, after = 0;
    for (std::size_t i = 0; i < N; ++i) {
        double v = qr(i, N);
        before += v * v;
        for (std::size_t j = i; j < N; ++j) v += qr(i, j) * out.step[j];
        after += v * v;
    }
    out.predicted_reduction = (before - after) / 2;
    return out;
}

/// (JᵀJ)⁻¹ = R⁻¹ R⁻ᵀ from J's factor; false when a diagonal entry of R is not above
/// `tiny` times its column's norm (a parameter J does not determine), naming it in `failed`.
template <std::size_t N>
bool inverse_normal_matrix(const streaming_qr<N>& qr, double tiny, std::array<std::array<double, N>, N>& out,
                           std::size_t& failed) {
    std::array<std::array<double, N>, N> inv{}; // R⁻¹, upper triangular
    for (std::size_t j = 0; j < N; ++j) {
        if (!(std::abs(qr(j, j)) > tiny * qr.column_norm(j))) {
            failed = j;
            return false;
        }
    }
    for (std::size_t j = 0; j < N; ++j) {
        inv[j][j] = 1 / qr(j, j);
        for (std::size_t i = j; i-- > 0;) {
            double v = 0;
            for (std::size_t k = i + 1; k <= j; ++k) v += qr(i, k) * inv[k][j];
            inv[i][j] = -v / qr(i, i);
        }
    }
    for (std::size_t i = 0; i < N; ++i)
        for (std::size_t j = 0; j < N; ++j) {
            double v = 0;
            for (std::size_t k = std::max(i, j); k < N; ++k) v += inv[i][k] * inv[j][k];
            out[i][j] = v;
        }
    return true;
}

} // namespace ctgrad::detail

#endif // CTGRAD_OPTIM_STREAMING_QR_HPP
