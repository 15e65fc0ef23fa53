// ctgrad/detail/aligned_allocator.hpp: an allocator whose blocks start on a cache line.
//
// The fused kernel loads a lane group of examples from each feature's row; when a row does not
// start on a multiple of the SIMD width, an AVX-512 load spans two cache lines, and glibc's malloc
// aligns to 16 bytes only, which slows the kernel most where its data is in the caches
// (docs/performance.md, Why the kernel's constants). Buffers ctgrad fills itself therefore
// start on a line.
// (xsimd has such an allocator, but only simd/ includes xsimd, and the data headers need none of it.)
#ifndef CTGRAD_DETAIL_ALIGNED_ALLOCATOR_HPP
#define CTGRAD_DETAIL_ALIGNED_ALLOCATOR_HPP

#include <cstddef>
#include <new>

namespace ctgrad::detail {

/// Bytes of a cache line, the alignment of the buffers ctgrad allocates for the kernel.
inline constexpr std::size_t line_alignment = 64;

template <class T, std::size_t Alignment = line_alignment>
struct aligned_allocator {
    using value_type = T;
    template <class U>
    struct rebind {
        using other = aligned_allocator<U, Alignment>;
    };

    aligned_allocator() noexcept = default;
    template <class U>
    aligned_allocator(const aligned_allocator<U, Alignment>&) noexcept {}

    [[nodiscard]] T* allocate(std::size_t count) {
        return static_cast<T*>(::operator new(count * sizeof(T), std::align_val_t{Alignment}));
    }
    void deallocate(T* p, std::size_t) noexcept { ::operator delete(p, std::align_val_t{Alignment}); }

    template <class U>
    bool operator==(const aligned_allocator<U, Alignment>&) const noexcept {
        return true;
    }
};

} // namespace ctgrad::detail

#endif // CTGRAD_DETAIL_ALIGNED_ALLOCATOR_HPP
