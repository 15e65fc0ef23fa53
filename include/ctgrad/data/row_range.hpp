// ctgrad/data/row_range.hpp: a contiguous range of a file's rows, and the share of one rank
// of many (data-parallel training: rank r of p reads only its rows of a file).
#ifndef CTGRAD_DATA_ROW_RANGE_HPP
#define CTGRAD_DATA_ROW_RANGE_HPP

#include "ctgrad/error.hpp"

#include <cstddef>
#include <string>

namespace ctgrad::data {

/// Rows [first, first + count) of a file, numbered from 0 as in the file.
struct row_range {
    std::size_t first = 0;
    std::size_t count = 0;

    friend bool operator==(const row_range&, const row_range&) = default;
};

/// The rows of rank `rank` of `ranks` when `count` rows are split into contiguous, balanced
/// shares in rank order: [count * rank / ranks, count * (rank + 1) / ranks). The shares cover
/// [0, count) exactly and their sizes differ by at most 1; with more ranks than rows some are
/// empty. Throws ctgrad::invalid_argument if ranks is 0 or rank >= ranks.
[[nodiscard]] inline row_range share_of(std::size_t count, std::size_t rank, std::size_t ranks) {
    if (ranks == 0) throw invalid_argument("ctgrad::data::share_of: ranks is 0; there must be at least one rank");
    if (rank >= ranks)
        throw invalid_argument("ctgrad::data::share_of: rank " + std::to_string(rank) + " is out of range: there are " +
                               std::to_string(ranks) + " ranks (0 to " + std::to_string(ranks - 1) + ")");
    // floor(count * r / ranks) without forming count * r, which overflows for a large count.
    const auto start = [&](std::size_t r) { return count / ranks * r + count % ranks * r / ranks; };
    return {start(rank), start(rank + 1) - start(rank)};
}

} // namespace ctgrad::data

#endif // CTGRAD_DATA_ROW_RANGE_HPP
