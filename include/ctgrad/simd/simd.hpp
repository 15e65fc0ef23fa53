// ctgrad/simd/simd.hpp: the only header that includes xsimd. It applies an op to a lane type
// V that is either a plain T (the scalar tail) or an xsimd::batch<T> of the build's
// architecture, so the fused kernel is written once.
#ifndef CTGRAD_SIMD_SIMD_HPP
#define CTGRAD_SIMD_SIMD_HPP

#include "ctgrad/config.hpp"
#include "ctgrad/core/op_tags.hpp"

// g++ 12 warns inside its own avx512fintrin.h when AVX-512 is enabled (GCC bug 105593):
// a false positive in the compiler's header, silenced for that header only.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <xsimd/xsimd.hpp>
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

#include <array>
#include <cstddef>
#include <type_traits>

namespace ctgrad::simd {

/// The widest batch of T the build targets (SSE2 without -march, AVX-512 with -march=native here).
template <class T>
using batch = xsimd::batch<T>;

template <class V> inline constexpr bool is_batch_v = false;
template <class T, class A> inline constexpr bool is_batch_v<xsimd::batch<T, A>> = true;

/// Lanes of a lane type: batch::size for a batch, 1 for a plain number.
template <class V>
inline constexpr std::size_t lanes_v = [] {
    if constexpr (is_batch_v<V>) return V::size;
    else return std::size_t{1};
}();

template <class V> struct scalar_of { using type = V; };
template <class T, class A> struct scalar_of<xsimd::batch<T, A>> { using type = T; };
template <class V> using scalar_of_t = typename scalar_of<V>::type;

template <class V>
V load(const scalar_of_t<V>* p) {
    if constexpr (is_batch_v<V>) return V::load_unaligned(p);
    else return *p;
}

/// A hint to bring the line holding p into the caches; never faults, never changes a result.
/// On x86 an asm statement rather than __builtin_prefetch: g++ 12 deems a function whose only
/// effect is the builtin free of side effects and deletes calls to it that were not inlined
/// early (seen: every prefetch of the fused kernel's 4-group blocks vanished).
inline void prefetch(const void* p) noexcept {
#if (defined(__GNUC__) || defined(__clang__)) && defined(__x86_64__)
    asm volatile("prefetcht0 %0" : : "m"(*static_cast<const char*>(p)));
#elif defined(__GNUC__) || defined(__clang__)
    __builtin_prefetch(p, 0, 3);
#else
    (void)p;
#endif
}

/// prefetch, into L2 only: for lines needed after those being read now, which L1 cannot hold too.
inline void prefetch_to_l2(const void* p) noexcept {
#if (defined(__GNUC__) || defined(__clang__)) && defined(__x86_64__)
    asm volatile("prefetcht1 %0" : : "m"(*static_cast<const char*>(p)));
#elif defined(__GNUC__) || defined(__clang__)
    __builtin_prefetch(p, 0, 2);
#else
    (void)p;
#endif
}

#if defined(__AVX512F__)
namespace avx512 {

// xsimd 8.1's haddp for 16 floats on AVX-512 returns rows 2-5 and 10-13 out of order, so
// this arch has its own: log2(N) rounds, each folding pairs of registers with two-source
// permutes. After round s register i holds rows i * 2^s ... (i + 1) * 2^s - 1, each as
// N / 2^s partial sums; G is the number of partials per row going into a round.
template <class I, std::size_t N, std::size_t G, bool High>
inline constexpr auto fold_index = [] {
    std::array<I, N> index{};
    for (std::size_t e = 0; e < N; ++e) {
        const std::size_t half = e % (N / 2);
        index[e] = static_cast<I>(half / (G / 2) * G + (High ? G / 2 : 0) + half % (G / 2) + (e >= N / 2 ? N : 0));
    }
    return index;
}();

template <std::size_t G>
CTGRAD_ALWAYS_INLINE inline __m512d fold(__m512d a, __m512d b) noexcept {
    const __m512i low = _mm512_loadu_si512(fold_index<long long, 8, G, false>.data());
    const __m512i high = _mm512_loadu_si512(fold_index<long long, 8, G, true>.data());
    return _mm512_add_pd(_mm512_permutex2var_pd(a, low, b), _mm512_permutex2var_pd(a, high, b));
}

template <std::size_t G>
CTGRAD_ALWAYS_INLINE inline __m512 fold(__m512 a, __m512 b) noexcept {
    const __m512i low = _mm512_loadu_si512(fold_index<int, 16, G, false>.data());
    const __m512i high = _mm512_loadu_si512(fold_index<int, 16, G, true>.data());
    return _mm512_add_ps(_mm512_permutex2var_ps(a, low, b), _mm512_permutex2var_ps(a, high, b));
}

template <std::size_t G, class R>
CTGRAD_ALWAYS_INLINE inline R fold_rows(R* v) noexcept {
    if constexpr (G == 1) {
        return v[0];
    } else {
        for (std::size_t i = 0; i < G / 2; ++i) v[i] = fold<G>(v[2 * i], v[2 * i + 1]);
        return fold_rows<G / 2>(v);
    }
}

} // namespace avx512
#endif

/// Element i of the result is the sum of the lanes of rows[i] (rows holds lanes_v<V> batches):
/// one transposing reduction instead of a horizontal sum per row.
template <class V>
CTGRAD_ALWAYS_INLINE inline V sum_rows(const V* rows) {
    if constexpr (!is_batch_v<V>) {
        return rows[0];
    }
#if defined(__AVX512F__)
    else if constexpr (sizeof(V) == 64) {
        typename V::register_type v[V::size];
        for (std::size_t i = 0; i < V::size; ++i) v[i] = rows[i];
        return V(avx512::fold_rows<V::size>(v));
    }
#endif
    else {
        return xsimd::haddp(rows);
    }
}

template <class V>
V broadcast(scalar_of_t<V> value) {
    return V(value);
}

/// The sum of a lane type's lanes.
template <class V>
scalar_of_t<V> sum_lanes(const V& v) {
    if constexpr (is_batch_v<V>) return xsimd::hadd(v);
    else return v;
}

/// Named in the compiler's message when an op's tag has no lanes() (see core/op_tags.hpp).
template <class Tag>
struct op_without_simd_form {
    static_assert(!std::is_same_v<Tag, Tag>, "ctgrad: this op's tag (named in op_without_simd_form<...> above) has no "
                                             "lanes(), its form on SIMD batches: add one beside its apply()");
};

/// op applied lane by lane: the tag's apply() on plain numbers (so the scalar tail computes
/// exactly what the reference evaluator does), its lanes() on batches.
template <class Tag, class... V>
auto apply(const V&... v) {
    if constexpr (!(is_batch_v<V> || ...)) {
        return Tag::apply(v...);
    } else if constexpr (requires { Tag::lanes(v...); }) {
        return Tag::lanes(v...);
    } else {
        (void)op_without_simd_form<Tag>{};
        return (v, ...);
    }
}

} // namespace ctgrad::simd

#endif // CTGRAD_SIMD_SIMD_HPP
