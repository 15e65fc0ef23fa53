// ctgrad/distributed/mpi.hpp: data-parallel training and least squares over MPI. An MPI
// communicator as a ctgrad::process_group (sums in rank order, so every rank gets the same
// bits), and mpi::run, which starts MPI, runs the program's body, and ends the whole job
// with a message naming the rank when the body throws on any rank. Not included by
// ctgrad.hpp: only code that includes this header needs MPI (Meson's ctgrad_mpi_dep).
#ifndef CTGRAD_DISTRIBUTED_MPI_HPP
#define CTGRAD_DISTRIBUTED_MPI_HPP

#ifndef OMPI_SKIP_MPICXX
#define OMPI_SKIP_MPICXX 1 // Open MPI's deprecated C++ bindings: ctgrad uses the C API
#endif
#include <mpi.h>

#include "ctgrad/data/row_range.hpp"
#include "ctgrad/distributed/process_group.hpp"
#include "ctgrad/error.hpp"
#include "ctgrad/eval/parallel.hpp"

#if __has_include(<sched.h>)
#include <sched.h>
#if defined(CPU_COUNT)
#define CTGRAD_HAS_SCHED_AFFINITY 1
#endif
#endif

#include <algorithm>
#include <climits>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <utility>
#include <vector>

namespace ctgrad::mpi {

/// Thrown when an MPI call returns an error (with MPI's default handler it aborts instead).
class mpi_error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

namespace detail {

inline void check(int code, const char* call) {
    if (code == MPI_SUCCESS) return;
    char text[MPI_MAX_ERROR_STRING];
    int length = 0;
    MPI_Error_string(code, text, &length);
    throw mpi_error(std::string("ctgrad::mpi: ") + call + " failed: " + std::string(text, std::size_t(length)));
}

inline int to_count(std::size_t count, const char* call) {
    if (count > std::size_t(INT_MAX))
        throw invalid_argument(std::string(call) + ": " + std::to_string(count) +
                               " numbers in one call are more than MPI's int counts hold; combine fewer at once");
    return static_cast<int>(count);
}

} // namespace detail

/// An MPI communicator (MPI_COMM_WORLD unless given) as a ctgrad::process_group, for
/// trainer::fit(group, ...), newton and levenberg_marquardt's minimize(group, ...). MPI must be
/// running (mpi::run starts it).
class communicator {
public:
    explicit communicator(MPI_Comm comm = MPI_COMM_WORLD) : m_comm(comm) {
        int rank = 0, ranks = 0;
        detail::check(MPI_Comm_rank(comm, &rank), "MPI_Comm_rank");
        detail::check(MPI_Comm_size(comm, &ranks), "MPI_Comm_size");
        m_rank = std::size_t(rank);
        m_ranks = std::size_t(ranks);
    }

    [[nodiscard]] std::size_t rank() const noexcept { return m_rank; }
    [[nodiscard]] std::size_t ranks() const noexcept { return m_ranks; }
    [[nodiscard]] MPI_Comm native() const noexcept { return m_comm; }

    /// Every rank's `values` added element by element in rank order, on every rank. Up to
    /// gather_whole_limit numbers are gathered whole and added up by each rank (one collective,
    /// (p - 1) n numbers received); more are reduced in pieces, each rank adding up one piece in
    /// rank order, then gathered (two collectives, about 2n numbers received whatever the
    /// number of ranks). Either way the result is the same bits.
    void sum(double* values, std::size_t count) const {
        if (m_ranks == 1 || count == 0) return;
        if (count <= gather_whole_limit) sum_gathered(values, count);
        else sum_in_pieces(values, count);
    }

    /// all[r * count + k] is rank r's mine[k], on every rank.
    void all_gather(const double* mine, std::size_t count, double* all) const {
        const int n = detail::to_count(count, "ctgrad::mpi::communicator::all_gather");
        detail::check(MPI_Allgather(mine, n, MPI_DOUBLE, all, n, MPI_DOUBLE, m_comm), "MPI_Allgather");
    }

    /// Rank 0's values on every rank.
    void broadcast(double* values, std::size_t count) const {
        const int n = detail::to_count(count, "ctgrad::mpi::communicator::broadcast");
        detail::check(MPI_Bcast(values, n, MPI_DOUBLE, 0, m_comm), "MPI_Bcast");
    }

    /// Waits until every rank has called it.
    void barrier() const { detail::check(MPI_Barrier(m_comm), "MPI_Barrier"); }

    /// The numbers up to which sum gathers every rank's vector whole (8192, 64 KiB): about where
    /// the (p - 2) n extra numbers each rank then receives cost more than the pieces' extra
    /// (p - 1) latencies, n = latency x bandwidth / 32 bytes, 7000 to 9000 on the networks of
    /// docs/distributed.md's scaling model.
    static constexpr std::size_t gather_whole_limit = 8192;

private:
    void sum_gathered(double* values, std::size_t count) const {
        m_buffer.resize(count * m_ranks);
        all_gather(values, count, m_buffer.data());
        std::copy_n(m_buffer.data(), count, values);
        for (std::size_t r = 1; r < m_ranks; ++r) {
            const double* from = m_buffer.data() + r * count;
            for (std::size_t k = 0; k < count; ++k) values[k] += from[k];
        }
    }

    // Piece q (data::share_of(count, q, ranks)) of every rank's vector goes to rank q, which adds
    // them up in rank order; then every rank gathers the summed pieces.
    void sum_in_pieces(double* values, std::size_t count) const {
        constexpr const char* call = "ctgrad::mpi::communicator::sum";
        (void)detail::to_count(count, call);
        const data::row_range mine = data::share_of(count, m_rank, m_ranks);
        std::vector<int> send_counts(m_ranks), send_offsets(m_ranks), receive_counts(m_ranks), receive_offsets(m_ranks);
        for (std::size_t q = 0; q < m_ranks; ++q) {
            const data::row_range piece = data::share_of(count, q, m_ranks);
            send_counts[q] = int(piece.count);
            send_offsets[q] = int(piece.first);
            receive_counts[q] = int(mine.count);
            receive_offsets[q] = int(q * mine.count);
        }
        m_buffer.resize(mine.count * m_ranks);
        detail::check(MPI_Alltoallv(values, send_counts.data(), send_offsets.data(), MPI_DOUBLE, m_buffer.data(),
                                    receive_counts.data(), receive_offsets.data(), MPI_DOUBLE, m_comm),
                      "MPI_Alltoallv");
        double* const summed = values + mine.first;
        std::copy_n(m_buffer.data(), mine.count, summed);
        for (std::size_t r = 1; r < m_ranks; ++r) {
            const double* from = m_buffer.data() + r * mine.count;
            for (std::size_t k = 0; k < mine.count; ++k) summed[k] += from[k];
        }
        detail::check(MPI_Allgatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, values, send_counts.data(), send_offsets.data(),
                                     MPI_DOUBLE, m_comm),
                      "MPI_Allgatherv");
    }

    MPI_Comm m_comm;
    std::size_t m_rank = 0;
    std::size_t m_ranks = 1;
    mutable std::vector<double> m_buffer;
};

/// The ranks of `world` that share this rank's node (and its memory bandwidth and cores).
inline std::size_t ranks_on_this_node(const communicator& world) {
    MPI_Comm node;
    detail::check(MPI_Comm_split_type(world.native(), MPI_COMM_TYPE_SHARED, int(world.rank()), MPI_INFO_NULL, &node),
                  "MPI_Comm_split_type");
    int size = 1;
    MPI_Comm_size(node, &size);
    MPI_Comm_free(&node);
    return std::size_t(size);
}

/// The cores this process may run on (its CPU affinity: mpirun binds each rank to one core by
/// default when it starts two ranks or fewer), or max_threads() where the system does not say.
inline std::size_t cores_of_this_process() {
#if defined(CTGRAD_HAS_SCHED_AFFINITY)
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0) return std::size_t(CPU_COUNT(&set));
#endif
    return max_threads();
}

/// Starts MPI, runs body(communicator of MPI_COMM_WORLD) and returns its exit status after
/// MPI_Finalize. When the body throws on any rank, that rank prints
///   "<program>: rank R of N failed: <what>; ending the job"
/// to stderr and calls MPI_Abort, which ends every rank (mpirun then exits non-zero) rather
/// than leaving the others waiting for its sums for ever. Unless CTGRAD_THREADS is set, each
/// rank's kernel runs on its share of the node's cores (max_threads() / ranks on the node), and
/// on no more threads than the cores it is bound to.
template <class Body>
int run(int& argc, char**& argv, Body&& body) {
    int provided = 0;
    // The kernel's pool threads never call MPI: the calling thread alone does.
    detail::check(MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided), "MPI_Init_thread");
    const communicator world;
    const char* program = argc > 0 ? argv[0] : "ctgrad::mpi::run";
    const auto fail = [&](const std::string& what) {
        std::fprintf(stderr, "%s: rank %zu of %zu failed: %s; ending the job\n", program, world.rank(), world.ranks(),
                     what.c_str());
        std::fflush(stderr);
        MPI_Abort(MPI_COMM_WORLD, 1);
        std::abort(); // MPI_Abort does not return
    };
    int status = 0;
    try {
        if (!std::getenv("CTGRAD_THREADS"))
            set_max_threads(std::clamp<std::size_t>(max_threads() / ranks_on_this_node(world), 1, cores_of_this_process()));
        status = body(world);
    } catch (const std::exception& e) {
        fail(e.what());
    } catch (...) {
        fail("an exception that is not a std::exception");
    }
    MPI_Finalize();
    return status;
}

} // namespace ctgrad::mpi

#endif // CTGRAD_DISTRIBUTED_MPI_HPP
