// ctgrad/eval/padded_feature_major.hpp: feature-major numbers whose rows are an odd number of
// cache lines apart, so that the rows of a block fall into different cache sets.
//
// A feature-major block reads a short run of every feature's row. When the rows are a multiple
// of 4 KiB apart (m a power of two), all those runs land in the same few sets of L1 and L2: the
// prefetched rows evict each other before they are read and the gradient's second walk goes back
// to memory (docs/performance.md, Padded feature-major rows). An odd number of lines between rows
// steps through every set before any repeats, whatever m is.
#ifndef CTGRAD_EVAL_PADDED_FEATURE_MAJOR_HPP
#define CTGRAD_EVAL_PADDED_FEATURE_MAJOR_HPP

#include "ctgrad/detail/aligned_allocator.hpp"
#include "ctgrad/eval/batch.hpp"

#include <xtensor/xadapt.hpp>
#include <xtensor/xtensor.hpp>
#include <xtensor/xview.hpp>

#include <algorithm>
#include <array>
#include <cstddef>
#include <type_traits>
#include <vector>

namespace ctgrad {

/// The distance, in numbers, between two features' rows of `examples` numbers of type T that
/// ctgrad lays out itself: at least `examples`, a whole number of cache lines, and an odd one.
template <class T>
constexpr std::size_t padded_stride(std::size_t examples) noexcept {
    constexpr std::size_t line = detail::line_alignment / sizeof(T);
    std::size_t lines = (examples + line - 1) / line;
    if (lines % 2 == 0) ++lines;
    return lines * line;
}

/// Feature-major numbers, d rows of m examples, each row starting on a cache line and the rows
/// padded_stride<T>(m) apart, so that a block's rows spread over the cache sets whatever m is:
/// make_batch(x = P) binds it in place, as it binds a (d, m) xt::xtensor.
template <class T>
class padded_feature_major {
    static_assert(std::is_same_v<T, float> || std::is_same_v<T, double>,
                  "ctgrad::padded_feature_major<T>: T is float or double");

public:
    using value_type = T;

    /// d rows of m zeros.
    padded_feature_major(std::size_t features, std::size_t examples)
        : m_features(features), m_examples(examples), m_stride(padded_stride<T>(examples)),
          m_numbers(features * m_stride, T(0)) {}

    /// A copy of features, shape (d, m): feature j of example i at (j, i).
    static padded_feature_major from_features(const xt::xtensor<T, 2>& features) {
        padded_feature_major out(features.shape(0), features.shape(1));
        for (std::size_t j = 0; j < out.m_features; ++j)
            std::copy(features.data() + j * out.m_examples, features.data() + (j + 1) * out.m_examples, out.row(j));
        return out;
    }

    /// A copy of rows, shape (m, d), one row per example (NumPy's and PyTorch's order), transposed.
    static padded_feature_major from_rows(const xt::xtensor<T, 2>& rows) {
        padded_feature_major out(rows.shape(1), rows.shape(0));
        // In blocks of examples, so that the rows written stay in the caches between examples.
        constexpr std::size_t block = 64;
        for (std::size_t i0 = 0; i0 < out.m_examples; i0 += block)
            for (std::size_t j = 0; j < out.m_features; ++j) {
                T* to = out.row(j);
                const std::size_t i1 = std::min(i0 + block, out.m_examples);
                for (std::size_t i = i0; i < i1; ++i) to[i] = rows(i, j);
            }
        return out;
    }

    [[nodiscard]] std::size_t features() const noexcept { return m_features; }
    [[nodiscard]] std::size_t examples() const noexcept { return m_examples; }
    /// Numbers from one feature's row to the next: padded_stride<T>(examples()).
    [[nodiscard]] std::size_t stride() const noexcept { return m_stride; }

    /// Feature j of example i.
    [[nodiscard]] T& operator()(std::size_t j, std::size_t i) noexcept { return m_numbers[j * m_stride + i]; }
    [[nodiscard]] const T& operator()(std::size_t j, std::size_t i) const noexcept { return m_numbers[j * m_stride + i]; }
    /// Feature j's row, examples() numbers.
    [[nodiscard]] T* row(std::size_t j) noexcept { return m_numbers.data() + j * m_stride; }
    [[nodiscard]] const T* row(std::size_t j) const noexcept { return m_numbers.data() + j * m_stride; }

    /// The numbers as make_batch reads them (valid as long as they live: a move keeps them).
    [[nodiscard]] feature_major_view<T> view() const noexcept {
        return {m_numbers.data(), m_features, m_examples, m_stride};
    }

    /// The numbers as a read-only (d, m) xtensor expression, feature j of example i at (j, i):
    /// a view in place, valid as long as they live; its strides()[0] is stride().
    [[nodiscard]] auto tensor() const {
        const std::array<std::size_t, 2> stored{m_features, m_stride};
        return xt::view(xt::adapt(m_numbers.data(), m_numbers.size(), xt::no_ownership(), stored), xt::all(),
                        xt::range(std::size_t{0}, m_examples));
    }

private:
    std::size_t m_features;
    std::size_t m_examples;
    std::size_t m_stride;
    std::vector<T, detail::aligned_allocator<T>> m_numbers;
};

} // namespace ctgrad

#endif // CTGRAD_EVAL_PADDED_FEATURE_MAJOR_HPP
