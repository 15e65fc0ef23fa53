// bench/splitmix.hpp: the benches' synthetic numbers.
#ifndef CTGRAD_BENCH_SPLITMIX_HPP
#define CTGRAD_BENCH_SPLITMIX_HPP

#include <cstdint>

namespace bench {

/// splitmix64: reproducible numbers in [-1, 1) (Eigen::Random's range), fast enough to fill
/// 256 MiB in well under a second where normal variates would take seconds.
struct splitmix {
    std::uint64_t s;
    double next() {
        std::uint64_t z = (s += 0x9e3779b97f4a7c15ULL);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        z ^= z >> 31;
        return double(z >> 11) * 0x1.0p-52 - 1.0;
    }
};

} // namespace bench

#endif // CTGRAD_BENCH_SPLITMIX_HPP
