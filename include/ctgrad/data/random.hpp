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

namespace detail {

/// Uniform over {0, ..., n - 1} (0 < n <= 2^32) from the 32 random bits r, by Lemire's
/// multiply-shift: the high half of r * n. The (2^32 mod n) values of r whose low half is
/// smallest would favour some results, so they are redrawn (from redraw()); only a low half
/// below n can be one of them, so the division that finds them is almost never made.
template <class Redraw>
std::uint32_t multiply_shift_below(std::uint32_t r, std::uint64_t n, Redraw&& redraw) {
    std::uint64_t product = std::uint64_t{r} * n;
    if (static_cast<std::uint32_t>(product) < n) {
        const std::uint64_t biased = ((std::uint64_t{1} << 32) - n) % n;
        while (static_cast<std::uint32_t>(product) < biased) product = std::uint64_t{redraw()} * n;
    }
    return static_cast<std::uint32_t>(product >> 32);
}

} // namespace detail

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

    /// Fisher-Yates shuffle of [first, last). Below 2^32 elements, each 64-bit draw serves
    /// two swaps (its low and high halves), and a swap's index is the high half of a 32-bit
    /// product rather than a remainder: these halve its draws and take out its divisions, and
    /// the shuffle is a large part of a d2l fit's time (docs/performance.md, The d2l fit).
    template <class RandomIt>
    void shuffle(RandomIt first, RandomIt last) {
        using std::swap;
        auto n = static_cast<std::uint64_t>(last - first);
        for (; n > std::uint64_t{1} << 32; --n) swap(first[n - 1], first[below(n)]);
        for (; n > 2; n -= 2) {
            const std::uint64_t r = m_bits();
            swap(first[n - 1], first[draw_below(static_cast<std::uint32_t>(r), n)]);
            swap(first[n - 2], first[draw_below(static_cast<std::uint32_t>(r >> 32), n - 1)]);
        }
        if (n == 2) swap(first[1], first[below(2)]);
    }

    /// Saves or loads the engine's state (train/checkpoint_file.hpp).
    template <class Archive>
    void serialize(Archive& archive) {
        archive(m_bits);
        archive(m_spare);
        archive(m_has_spare);
    }

private:
    std::uint32_t draw_below(std::uint32_t r, std::uint64_t n) {
        return detail::multiply_shift_below(r, n, [this] { return static_cast<std::uint32_t>(m_bits()); });
    }

    std::mt19937_64 m_bits;
    double m_spare = 0;
    bool m_has_spare = false;
};

} // namespace ctgrad::data

#endif // CTGRAD_DATA_RANDOM_HPP
