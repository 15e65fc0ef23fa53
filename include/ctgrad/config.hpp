// ctgrad/config.hpp: version and the few switches the library has.
#ifndef CTGRAD_CONFIG_HPP
#define CTGRAD_CONFIG_HPP

#define CTGRAD_VERSION_MAJOR 0
#define CTGRAD_VERSION_MINOR 1
#define CTGRAD_VERSION_PATCH 0

// The fused kernel keeps a block's values in registers only if everything that touches them
// is inlined into one loop; g++ would rather call the larger pieces (the transposing
// reduction, the gradient walk), which puts the block in memory and spills around each call.
// And the block loop itself is never inlined into its caller (fused_kernel.hpp, for_each_block).
// The schedule is inlined into each pass, where the default tuning's numbers are constants.
#if defined(__GNUC__) || defined(__clang__)
#define CTGRAD_ALWAYS_INLINE [[gnu::always_inline]]
#define CTGRAD_NEVER_INLINE [[gnu::noinline]]
#else
#define CTGRAD_ALWAYS_INLINE
#define CTGRAD_NEVER_INLINE
#endif

#endif // CTGRAD_CONFIG_HPP
