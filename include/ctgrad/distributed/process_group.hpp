// ctgrad/distributed/process_group.hpp: the processes that share one computation, as the
// trainer and the full-batch solvers see them. Each process computes the sums of its share of
// the examples; the group adds them up in rank order, so every process gets the same bits.
// ctgrad/distributed/mpi.hpp has the MPI group; this header needs no MPI.
#ifndef CTGRAD_DISTRIBUTED_PROCESS_GROUP_HPP
#define CTGRAD_DISTRIBUTED_PROCESS_GROUP_HPP

#include <algorithm>
#include <concepts>
#include <cstddef>
#include <type_traits>

namespace ctgrad {

/// ranks() processes, this one rank() (from 0); rank 0 is the one that prints and saves.
/// - sum(values, count): every rank's values added element by element in rank order (rank 0's
///   plus rank 1's plus ...), written back on every rank: the same bits everywhere, and the
///   same bits on a rerun with as many ranks;
/// - all_gather(mine, count, all): all[r * count + k] is rank r's mine[k], on every rank;
/// - broadcast(values, count): rank 0's values, written on every rank.
/// Every rank must make the same calls in the same order, as with any collective.
template <class G>
concept process_group = requires(const G& g, double* values, const double* mine, std::size_t count) {
    { g.rank() } -> std::convertible_to<std::size_t>;
    { g.ranks() } -> std::convertible_to<std::size_t>;
    g.sum(values, count);
    g.all_gather(mine, count, values);
    g.broadcast(values, count);
};

/// The group of one process: nothing to combine. What trainer::fit and the solvers use when no
/// group is given.
struct single_process {
    [[nodiscard]] static constexpr std::size_t rank() noexcept { return 0; }
    [[nodiscard]] static constexpr std::size_t ranks() noexcept { return 1; }
    static constexpr void sum(double*, std::size_t) noexcept {}
    static void all_gather(const double* mine, std::size_t count, double* all) noexcept { std::copy_n(mine, count, all); }
    static constexpr void broadcast(double*, std::size_t) noexcept {}
};

/// Whether G is the group of one process by its type (so the single-process path compiles as before).
template <class G>
inline constexpr bool is_single_process_v = std::is_same_v<G, single_process>;

} // namespace ctgrad

#endif // CTGRAD_DISTRIBUTED_PROCESS_GROUP_HPP
