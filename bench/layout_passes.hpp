// bench/layout_passes.hpp: the d2l loss, and optionally its gradient, written by hand with
// xsimd over two layouts of X that a core reads as one stream, beside hand_simd_pass.hpp's
// feature-major one (d read streams per block):
//   tiled          lane groups of examples, each tile the d features of `lanes` examples
//                  (x[(i / L) * L * d + j * L + i % L]): SIMD over examples as in ctgrad's kernel
//   example-major  rows of d features (x[i * d + j], NumPy's and PyTorch's C order): SIMD over
//                  features, each row's dot product and gradient term computed where it is read
// bench_layouts times them against the read probe to choose the layout of issue 25.
#ifndef CTGRAD_BENCH_LAYOUT_PASSES_HPP
#define CTGRAD_BENCH_LAYOUT_PASSES_HPP

#include <ctgrad/simd/simd.hpp>

#include <array>
#include <cstddef>
#include <vector>

namespace bench {

template <class T>
using lane_vector = std::vector<ctgrad::simd::batch<T>, xsimd::aligned_allocator<ctgrad::simd::batch<T>>>;

/// What a pass returns: the mean loss, and with the gradient its mean by w (gw) and by b.
template <class T>
struct pass_result {
    T loss = 0;
    T gb = 0;
};

/// The d2l pass over tiled X (m a multiple of the SIMD width). Tiles go in pairs so that
/// each lane group of gradient sums is loaded and stored once per two tiles; the dot products
/// keep four chains of FMAs so that a tile is not bound by their latency.
template <bool Gradient, class T>
pass_result<T> tiled_pass(const T* X, const T* Y, const T* w, T b, std::size_t d, std::size_t m, T* gw,
                          lane_vector<T>& sums) {
    using V = ctgrad::simd::batch<T>;
    constexpr std::size_t L = V::size;
    if constexpr (Gradient) sums.assign(d, V(T(0)));
    V loss(T(0)), sum_r(T(0));
    auto dot = [&](const T* tile) {
        V a0(b), a1(T(0)), a2(T(0)), a3(T(0));
        std::size_t j = 0;
        for (; j + 4 <= d; j += 4) {
            a0 = xsimd::fma(V::load_aligned(tile + j * L), V(w[j]), a0);
            a1 = xsimd::fma(V::load_aligned(tile + (j + 1) * L), V(w[j + 1]), a1);
            a2 = xsimd::fma(V::load_aligned(tile + (j + 2) * L), V(w[j + 2]), a2);
            a3 = xsimd::fma(V::load_aligned(tile + (j + 3) * L), V(w[j + 3]), a3);
        }
        for (; j < d; ++j) a0 = xsimd::fma(V::load_aligned(tile + j * L), V(w[j]), a0);
        return (a0 + a1) + (a2 + a3);
    };
    const std::size_t tiles = m / L;
    std::size_t t = 0;
    for (; t + 2 <= tiles; t += 2) {
        const T* t0 = X + t * L * d;
        const T* t1 = t0 + L * d;
        const V r0 = dot(t0) - V::load_aligned(Y + t * L);
        const V r1 = dot(t1) - V::load_aligned(Y + (t + 1) * L);
        loss = xsimd::fma(r0, r0, xsimd::fma(r1, r1, loss));
        sum_r += r0 + r1;
        if constexpr (Gradient)
            for (std::size_t j = 0; j < d; ++j)
                sums[j] = xsimd::fma(r0, V::load_aligned(t0 + j * L), xsimd::fma(r1, V::load_aligned(t1 + j * L), sums[j]));
    }
    for (; t < tiles; ++t) {
        const T* t0 = X + t * L * d;
        const V r0 = dot(t0) - V::load_aligned(Y + t * L);
        loss = xsimd::fma(r0, r0, loss);
        sum_r += r0;
        if constexpr (Gradient)
            for (std::size_t j = 0; j < d; ++j) sums[j] = xsimd::fma(r0, V::load_aligned(t0 + j * L), sums[j]);
    }
    const T scale = T(1) / T(m);
    if constexpr (Gradient)
        for (std::size_t j = 0; j < d; ++j) gw[j] = xsimd::hadd(sums[j]) * scale;
    return {xsimd::hadd(loss) * scale / T(2), xsimd::hadd(sum_r) * scale};
}

/// The d2l pass over example-major X (d a multiple of the SIMD width, m of it too). A lane
/// group of examples at a time: each row's dot product as lane-wise sums, the group's sums
/// reduced together (one transposition, not a horizontal sum per row); then the gradient adds
/// r_i x_i into gw, two rows at a time, the rows read again from L1.
template <bool Gradient, class T>
pass_result<T> rows_pass(const T* X, const T* Y, const T* w, T b, std::size_t d, std::size_t m, T* gw) {
    using V = ctgrad::simd::batch<T>;
    constexpr std::size_t L = V::size;
    if constexpr (Gradient)
        for (std::size_t j = 0; j < d; ++j) gw[j] = 0;
    V loss(T(0)), sum_r(T(0));
    for (std::size_t i0 = 0; i0 + L <= m; i0 += L) {
        std::array<V, L> dots;
        for (std::size_t e = 0; e < L; ++e) {
            const T* row = X + (i0 + e) * d;
            V a0(T(0)), a1(T(0));
            std::size_t j = 0;
            for (; j + 2 * L <= d; j += 2 * L) {
                a0 = xsimd::fma(V::load_aligned(row + j), V::load_aligned(w + j), a0);
                a1 = xsimd::fma(V::load_aligned(row + j + L), V::load_aligned(w + j + L), a1);
            }
            if (j < d) a0 = xsimd::fma(V::load_aligned(row + j), V::load_aligned(w + j), a0);
            dots[e] = a0 + a1;
        }
        const V r = ctgrad::simd::sum_rows(dots.data()) + V(b) - V::load_aligned(Y + i0);
        loss = xsimd::fma(r, r, loss);
        sum_r += r;
        if constexpr (Gradient) {
            alignas(sizeof(V)) std::array<T, L> rs;
            r.store_aligned(rs.data());
            for (std::size_t e = 0; e < L; e += 2) {
                const T* x0 = X + (i0 + e) * d;
                const T* x1 = x0 + d;
                const V r0(rs[e]), r1(rs[e + 1]);
                for (std::size_t j = 0; j < d; j += L)
                    xsimd::fma(r0, V::load_aligned(x0 + j), xsimd::fma(r1, V::load_aligned(x1 + j), V::load_aligned(gw + j)))
                        .store_aligned(gw + j);
            }
        }
    }
    const T scale = T(1) / T(m);
    if constexpr (Gradient)
        for (std::size_t j = 0; j < d; ++j) gw[j] *= scale;
    return {xsimd::hadd(loss) * scale / T(2), xsimd::hadd(sum_r) * scale};
}

} // namespace bench

#endif // CTGRAD_BENCH_LAYOUT_PASSES_HPP
