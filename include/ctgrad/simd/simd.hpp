// ctgrad/simd/simd.hpp: the only header that includes xsimd. It gives every op tag a
// function over a lane type V that is either a plain T (the scalar tail) or an
// xsimd::batch<T> of the build's architecture, so the fused kernel is written once.
#ifndef CTGRAD_SIMD_SIMD_HPP
#define CTGRAD_SIMD_SIMD_HPP

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

/// cond ? a : b lane by lane; cond is bool for a number, batch_bool for a batch.
template <class C, class V>
V select(const C& condition, const V& a, const V& b) {
    if constexpr (is_batch_v<V>) return xsimd::select(condition, a, b);
    else return condition ? a : b;
}

/// op applied lane by lane. A plain number uses the tag's own scalar function, so the
/// scalar tail computes exactly what the reference evaluator does; a batch uses xsimd's.
template <class Tag, class... V>
auto apply(const V&... v) {
    if constexpr (!(is_batch_v<V> || ...)) return Tag::apply(v...);
    else if constexpr (std::is_same_v<Tag, exp_tag>) return xsimd::exp(v...);
    else if constexpr (std::is_same_v<Tag, log_tag>) return xsimd::log(v...);
    else if constexpr (std::is_same_v<Tag, sqrt_tag>) return xsimd::sqrt(v...);
    else if constexpr (std::is_same_v<Tag, abs_tag>) return xsimd::abs(v...);
    else if constexpr (std::is_same_v<Tag, sin_tag>) return xsimd::sin(v...);
    else if constexpr (std::is_same_v<Tag, cos_tag>) return xsimd::cos(v...);
    else if constexpr (std::is_same_v<Tag, tanh_tag>) return xsimd::tanh(v...);
    else if constexpr (std::is_same_v<Tag, min_tag>) return xsimd::min(v...);
    else if constexpr (std::is_same_v<Tag, max_tag>) return xsimd::max(v...);
    else if constexpr (std::is_same_v<Tag, select_tag>) return select(v...);
    else if constexpr (std::is_same_v<Tag, sign_tag>) {
        // xsimd::sign may give +-1 at 0; the derivative of abs needs 0 there, as in sign_tag.
        const auto& x = (v, ...);
        using B = std::remove_cvref_t<decltype(x)>;
        return xsimd::select(x > B(0), B(1), B(0)) - xsimd::select(x < B(0), B(1), B(0));
    } else if constexpr (std::is_same_v<Tag, sigmoid_tag>) {
        // exp(-x) overflows to inf for very negative x, and 1 / inf is the right 0.
        const auto& x = (v, ...);
        using B = std::remove_cvref_t<decltype(x)>;
        return B(1) / (B(1) + xsimd::exp(-x));
    } else {
        // + - * / unary -, square, pow<N>, comparisons, and the per-element terms of dot,
        // sum and size are written with operators only: the tag's function serves batches.
        return Tag::apply(v...);
    }
}

} // namespace ctgrad::simd

#endif // CTGRAD_SIMD_SIMD_HPP
