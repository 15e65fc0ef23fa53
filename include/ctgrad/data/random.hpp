// ctgrad/data/random.hpp: seeded random numbers that are the same on every platform.
// std::normal_distribution and std::shuffle are implementation-defined, so the same seed
// would give other data (and other trained parameters) under libc++ than under libstdc++;
// std::mt19937_64's output is fixed by the standard, and everything here is built on it.
#ifndef CTGRAD_DATA_RANDOM_HPP
#define CTGRAD_DATA_RANDOM_HPP

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <random>
#include <utility>

namespace ctgrad::data {

class random_engine {
public:
    explicit random_engine(std::uint64_t seed = 0) : m_bits(seed) {}

    /// Uniform in [0, 1), with 53 random bits.
    double uniform() { return static_cast<double>(m_bits() >> 11) * 0x1.0p-53; }

    /// Standard normal, by the Marsaglia polar method (two draws per accepted pair).
    double normal() {
        if (m_has_spare) {
            m_has_spare = false;
            return m_spare;
        }
        double u = 0, v = 0, s = 0;
        do {
            u = 2 * uniform() - 1;
            v = 2 * uniform() - 1;
            s = u * u + v * v;
        } while (s >= 1 || s == 0);
        const double scale = std::sqrt(-2 * std::log(s) / s);
        m_spare = v * scale;
        m_has_spare = true;
        return u * scale;
    }

    /// Normal with mean `mean` and standard deviation `sigma`.
    double normal(double mean, double sigma) { return mean + sigma * normal(); }

    /// Uniform over {0, ..., n - 1} without modulo bias (rejection of the short last range).
    std::uint64_t below(std::uint64_t n) {
        std::uint64_t r = m_bits();
        // Only a draw within n of the top can fall in the short last range, so the division
        // that finds its start is skipped almost always (shuffling spends its time in divisions).
        if (r > std::uint64_t(-1) - n) {
            const std::uint64_t limit = std::uint64_t(-1) - std::uint64_t(-1) % n;
            while (r >= limit) r = m_bits();
        }
        return r % n;
    }

    /// Fisher-Yates shuffle of [first, last).
    template <class RandomIt>
    void shuffle(RandomIt first, RandomIt last) {
        const auto n = static_cast<std::uint64_t>(last - first);
        for (std::uint64_t i = n; i > 1; --i) {
            using std::swap;
            swap(first[i - 1], first[below(i)]);
        }
    }

private:
    std::mt19937_64 m_bits;
    double m_spare = 0;
    bool m_has_spare = false;
};

} // namespace ctgrad::data

#endif // CTGRAD_DATA_RANDOM_HPP
