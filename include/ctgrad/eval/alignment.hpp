// ctgrad/eval/alignment.hpp: where a batch's numbers start against the SIMD width. Both kernels
// align the loads of the input vector with the most features, which most loads read: the
// feature-major blocks by taking the first examples one at a time (eval/run_schedule.hpp), the
// rows by masking a long row's first lane group (eval/row_kernel.hpp).
#ifndef CTGRAD_EVAL_ALIGNMENT_HPP
#define CTGRAD_EVAL_ALIGNMENT_HPP

#include "ctgrad/detail/type_list.hpp"

#include <cstddef>
#include <cstdint>
#include <type_traits>

namespace ctgrad::detail {

/// How many numbers from data to the first address on a multiple of the SIMD width (V): 0 if
/// data is on one, or if it is not aligned even to one number. With AVX-512 every unaligned load
/// of a lane group spans two cache lines, and glibc's malloc puts large blocks 16 bytes past a line.
template <class V, class T>
std::size_t examples_before_aligned(const T* data) noexcept {
    const auto address = reinterpret_cast<std::uintptr_t>(data);
    if (address % sizeof(T) != 0) return 0;
    return (sizeof(V) - address % sizeof(V)) % sizeof(V) / sizeof(T);
}

/// The input bound in a batch with the most features: where its numbers start and how far apart
/// its rows are (features' rows feature-major, examples' rows example-major).
template <class T>
struct widest_input {
    const T* m_data = nullptr;
    std::size_t m_features = 0;
    std::size_t m_stride = 0;
};

template <class Inputs>
widest_input<typename Inputs::value_type> widest_input_of(const Inputs& in) {
    using symbols = typename std::remove_cvref_t<decltype(in.m_batch)>::symbols;
    widest_input<typename Inputs::value_type> widest;
    for_each_type(symbols{}, [&](auto symbol, auto) {
        const auto& view = in.m_batch[typename decltype(symbol)::type{}];
        if (view.m_features > widest.m_features) widest = {view.m_data, view.m_features, view.m_stride};
    });
    return widest;
}

} // namespace ctgrad::detail

#endif // CTGRAD_EVAL_ALIGNMENT_HPP
