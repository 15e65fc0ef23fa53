// bench/hand_simd_pass.hpp: the d2l loss, and optionally its gradient, as an expert writes
// them by hand with xsimd over the feature-major layout, in the shape of ctgrad's kernel for
// large batches: lanes run over examples, blocks of hand_simd_groups lane groups, each block
// computes r = x.w + b - y feature by feature (asking for the next block's rows first where
// ctgrad does: block_walk.hpp), then adds r * x into one lane
// group of sums per feature, last feature first; the lanes are summed once per call. It is
// the baseline that tells whether a gap between ctgrad's value+grad and value on large
// batches is ctgrad's or the algorithm's on this machine (bench_fused's hand_simd_* rows).
#ifndef CTGRAD_BENCH_HAND_SIMD_PASS_HPP
#define CTGRAD_BENCH_HAND_SIMD_PASS_HPP

#include "block_walk.hpp"

#include <ctgrad/simd/simd.hpp>

#include <array>
#include <cstddef>
#include <type_traits>
#include <vector>

namespace bench {

/// Lane groups per block: ctgrad's wide blocks (eight lines of each row per block).
inline constexpr std::size_t hand_simd_groups = 8;

/// Room the pass keeps between calls: one lane group of sums per feature.
template <class T>
using hand_simd_sums = std::vector<ctgrad::simd::batch<T>, xsimd::aligned_allocator<ctgrad::simd::batch<T>>>;

/// The mean squared loss / 2 over the m examples of X (d x m, feature-major) and Y, and with
/// Gradient its mean gradient by w (into gw[0, d)) and by b (into gb).
template <bool Gradient, class T>
T hand_simd_pass(const T* X, const T* Y, const T* wv, T bv, std::size_t d, std::size_t m,
                 std::type_identity_t<T>* gw, T& gb, hand_simd_sums<T>& sums) {
    using V = ctgrad::simd::batch<T>;
    constexpr std::size_t L = V::size;
    constexpr std::size_t K = hand_simd_groups;
    constexpr std::size_t step = K * L;
    if constexpr (Gradient) sums.assign(d, V(T(0)));
    V loss(T(0)), sum_r(T(0));

    // One block of G lane groups at example i0, asking for the rows at example ahead if Prefetch.
    auto block = [&]<std::size_t G, bool Prefetch>(std::size_t i0, std::size_t ahead, std::bool_constant<Prefetch>) {
        std::array<V, G> r;
        r.fill(V(bv));
        for (std::size_t j = 0; j < d; ++j) {
            const T* row = X + j * m;
            if constexpr (Prefetch)
                for (std::size_t k = 0; k < G; ++k) ctgrad::simd::prefetch(row + ahead + k * L);
            const V wj(wv[j]);
            for (std::size_t k = 0; k < G; ++k) r[k] = xsimd::fma(V::load_unaligned(row + i0 + k * L), wj, r[k]);
        }
        for (std::size_t k = 0; k < G; ++k) {
            r[k] -= V::load_unaligned(Y + i0 + k * L);
            loss = xsimd::fma(r[k], r[k], loss);
            sum_r += r[k];
        }
        if constexpr (Gradient)
            for (std::size_t j = d; j-- > 0;) {
                const T* row = X + j * m + i0;
                V g = r[0] * V::load_unaligned(row);
                for (std::size_t k = 1; k < G; ++k) g = xsimd::fma(r[k], V::load_unaligned(row + k * L), g);
                sums[j] += g;
            }
    };

    std::size_t i0 = walk_blocks<T, step>(d, m, 0, [&](std::size_t at, std::size_t ahead, auto prefetch) {
        block.template operator()<K>(at, ahead, prefetch);
    });
    for (; i0 + L <= m; i0 += L) block.template operator()<1>(i0, 0, std::false_type{});

    T total = xsimd::hadd(loss), total_r = xsimd::hadd(sum_r);
    if constexpr (Gradient)
        for (std::size_t j = 0; j < d; ++j) gw[j] = xsimd::hadd(sums[j]);
    for (; i0 < m; ++i0) { // the examples left over, one at a time
        T r = bv - Y[i0];
        for (std::size_t j = 0; j < d; ++j) r += X[j * m + i0] * wv[j];
        total += r * r;
        total_r += r;
        if constexpr (Gradient)
            for (std::size_t j = 0; j < d; ++j) gw[j] += r * X[j * m + i0];
    }
    const T scale = T(1) / T(m);
    if constexpr (Gradient) {
        for (std::size_t j = 0; j < d; ++j) gw[j] *= scale;
        gb = total_r * scale;
    }
    return total * scale / T(2);
}

} // namespace bench

#endif // CTGRAD_BENCH_HAND_SIMD_PASS_HPP
