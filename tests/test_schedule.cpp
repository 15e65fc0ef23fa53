// The fused kernel's block schedule as data (eval/schedule.hpp): which stages plan_schedule
// returns for each kind of batch, how the tuning moves the decisions, and the cache model it
// decides collisions with. Shapes are written by hand (AVX-512 lanes, double), so these
// checks do not depend on the build's SIMD width, and they plan with the default tuning, so
// neither on this machine's caches; test_fused_packing checks that real calls run the
// schedules asserted here, and the law tests that every stage computes the same sums.
#define BOOST_TEST_MODULE ctgrad_schedule
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include <ctgrad/eval/padded_feature_major.hpp>
#include <ctgrad/eval/schedule.hpp>

#include <bit>
#include <numeric>
#include <span>
#include <string>
#include <vector>

using ctgrad::kernel_tuning;
using ctgrad::detail::batch_shape;
using ctgrad::detail::block_kind;
using ctgrad::detail::block_stage;
using ctgrad::detail::input_rows;
using ctgrad::detail::kernel_schedule;
using ctgrad::detail::plan_schedule;

namespace {

constexpr std::size_t lanes = 8; // doubles in an AVX-512 lane group
constexpr std::size_t MiB = std::size_t(1) << 20;
/// The defaults: a 1 MiB, 16-way L2 of 64-byte lines and a 48 KiB L1, whatever this machine's.
const kernel_tuning defaults{};

/// One feature-major input of d features over m examples, rows `stride` numbers apart,
/// read again by the gradient unless said otherwise.
struct one_input {
    std::size_t d, m, stride;
    bool read_again = true;
    std::size_t begin = 0, end = 0, to_align = 0;
    input_rows rows{};

    kernel_schedule plan(const kernel_tuning& tuning = defaults) {
        rows = {stride * sizeof(double), d, read_again};
        const batch_shape shape{lanes, sizeof(double), begin, end == 0 ? m : end, m, to_align, std::span(&rows, 1)};
        return plan_schedule(shape, tuning);
    }
};

std::vector<block_kind> kinds(const kernel_schedule& schedule) {
    std::vector<block_kind> out;
    for (const block_stage& stage : schedule) out.push_back(stage.kind);
    return out;
}

using K = block_kind;
using kind_list = std::vector<block_kind>;

} // namespace

BOOST_AUTO_TEST_CASE(a_d2l_minibatch_runs_narrow_blocks_then_the_lane_groups_then_the_tail) {
    const kernel_schedule s = one_input{2, 32, 32}.plan();
    BOOST_TEST((kinds(s) == kind_list{K::narrow, K::lane_group, K::single}));
    for (const block_stage& stage : s) BOOST_TEST(stage.until == 32u);
    BOOST_TEST(to_string(s) == "narrow, lane_group, single");
}

BOOST_AUTO_TEST_CASE(a_small_batch_is_planned_without_its_rows_and_walked_without_the_switch) {
    // schedule_of and run_schedule take this shortcut; it must be the schedule plan_schedule
    // returns, and only then.
    using ctgrad::detail::is_small_batch;
    using ctgrad::detail::small_batch_schedule;
    const kernel_tuning& tuning = defaults;
    const std::size_t few = tuning.prefetch_min_features - 1, many_examples = tuning.align_min_examples;
    BOOST_TEST(is_small_batch(few, many_examples - 1));
    BOOST_TEST(!is_small_batch(few + 1, many_examples - 1));
    BOOST_TEST(!is_small_batch(few, many_examples));
    const kernel_schedule small = one_input{few, 1000, 1000, true, 8, 1000}.plan();
    BOOST_TEST((small == small_batch_schedule(8, 1000)));
    BOOST_TEST(small.only_narrow_blocks());
    BOOST_TEST(small.begin_example() == 8u);
    const one_input unaligned_large{few, many_examples, many_examples, true, 0, 0, 3};
    const one_input colliding_rows{64, 1000, 4096};
    BOOST_TEST(!one_input(unaligned_large).plan().only_narrow_blocks());
    BOOST_TEST(!one_input(colliding_rows).plan().only_narrow_blocks());
}

BOOST_AUTO_TEST_CASE(a_large_batch_takes_the_examples_before_its_first_aligned_lane_group_one_at_a_time) {
    const std::size_t m = defaults.align_min_examples;
    one_input large{2, m, m};
    large.to_align = 3;
    const kernel_schedule s = large.plan();
    BOOST_TEST((s[0] == block_stage{K::single, 3}));
    BOOST_TEST(to_string(s) == "single until 3, narrow, lane_group, single");
    // Already aligned: no prefix.
    large.to_align = 0;
    BOOST_TEST((kinds(large.plan()) == kind_list{K::narrow, K::lane_group, K::single}));
    // A chunk that does not start the batch starts aligned (chunks.hpp): no prefix either.
    large.to_align = 3;
    large.begin = m / 2;
    BOOST_TEST((kinds(large.plan()) == kind_list{K::narrow, K::lane_group, K::single}));
    // A smaller batch does not earn the prefix back.
    one_input smaller{2, m - 1, m - 1};
    smaller.to_align = 3;
    BOOST_TEST((kinds(smaller.plan()) == kind_list{K::narrow, K::lane_group, K::single}));
}

BOOST_AUTO_TEST_CASE(few_features_never_prefetch_or_copy_however_large_or_colliding) {
    const std::size_t d = defaults.prefetch_min_features - 1;
    BOOST_TEST((kinds(one_input{d, 10'000'000, 10'000'000}.plan()) == kind_list{K::narrow, K::lane_group, K::single}));
    BOOST_TEST((kinds(one_input{d, 256, 8192}.plan()) == kind_list{K::narrow, K::lane_group, K::single}));
}

BOOST_AUTO_TEST_CASE(rows_that_collide_are_copied_when_read_again_and_prefetched_when_not) {
    // 64 KiB apart: every row of a block in the same sets of the cache model.
    one_input colliding{9, 256, 8192};
    BOOST_TEST((kinds(colliding.plan()) == kind_list{K::narrow_packed, K::lane_group, K::single}));
    colliding.read_again = false;
    BOOST_TEST((kinds(colliding.plan()) == kind_list{K::narrow_prefetching, K::lane_group, K::single}));
    // The same rows a little more than a line further apart spread over the sets: no copy.
    BOOST_TEST((kinds(one_input{9, 256, 8192 + 8}.plan()) == kind_list{K::narrow, K::lane_group, K::single}));
}

BOOST_AUTO_TEST_CASE(batches_from_memory_prefetch_in_wide_blocks_when_a_block_and_the_next_fit_l2) {
    // The full batch of the PyTorch comparison: 10^6 examples of 128 doubles, 1 GB.
    const kernel_schedule s = one_input{128, 1'000'000, 1'000'000}.plan();
    BOOST_TEST((kinds(s) == kind_list{K::wide_prefetching, K::narrow_prefetching, K::lane_group, K::single}));
    BOOST_TEST(to_string(s) == "wide_prefetching into L2, narrow_prefetching, lane_group, single");
    // Rows that collide are not copied when the blocks prefetch.
    BOOST_TEST((kinds(one_input{128, 262144, 262144}.plan()) ==
                kind_list{K::wide_prefetching, K::narrow_prefetching, K::lane_group, K::single}));
    // Two wide blocks of 1024 doubles a row are 1 MiB, the L2 of the default tuning; 1025 are not.
    const std::size_t m = 100'000;
    BOOST_TEST((one_input{1024, m, m}.plan().has(K::wide_prefetching)));
    BOOST_TEST(!(one_input{1025, m, m}.plan().has(K::wide_prefetching)));
    kernel_tuning larger_l2;
    larger_l2.l2_bytes = 2 * MiB;
    BOOST_TEST((one_input{2048, m, m}.plan(larger_l2).has(K::wide_prefetching)));
    // Too few examples for wide blocks to be more than a remainder.
    const std::size_t few = defaults.wide_prefetching_min_blocks * kernel_tuning::wide_groups * lanes;
    one_input short_range{128, 1'000'000, 1'000'000};
    short_range.begin = 1000;
    short_range.end = 1000 + few - 1;
    BOOST_TEST((kinds(short_range.plan()) == kind_list{K::narrow_prefetching, K::lane_group, K::single}));
    short_range.end = 1000 + few;
    BOOST_TEST(short_range.plan().has(K::wide_prefetching));
    // Fewer features than wide_min_features: narrow blocks that prefetch.
    const std::size_t narrow_d = defaults.wide_min_features - 1;
    BOOST_TEST((kinds(one_input{narrow_d, 1'000'000, 1'000'000}.plan()) ==
                kind_list{K::narrow_prefetching, K::lane_group, K::single}));
}

BOOST_AUTO_TEST_CASE(blocks_whose_rows_and_the_next_block_s_exceed_twice_l1_prefetch_into_l2) {
    const std::size_t m = 10'000'000;
    // 16 doubles: a 4-group block and the one ahead read 8 KiB, far within the default 48 KiB L1.
    const kernel_schedule few = one_input{16, m, m}.plan();
    BOOST_TEST_REQUIRE((few[0].kind == K::narrow_prefetching));
    BOOST_TEST(!few[0].prefetch_into_l2);
    BOOST_TEST(to_string(few) == "narrow_prefetching, lane_group, single");
    // 1024 doubles: 1 MiB for two wide blocks, 512 KiB for two narrow ones.
    const kernel_schedule many = one_input{1024, m / 8, m / 8}.plan();
    BOOST_TEST_REQUIRE((kinds(many) == kind_list{K::wide_prefetching, K::narrow_prefetching, K::lane_group, K::single}));
    BOOST_TEST(many[0].prefetch_into_l2);
    BOOST_TEST(many[1].prefetch_into_l2);
    BOOST_TEST(!many[2].prefetch_into_l2);
    BOOST_TEST(to_string(many) == "wide_prefetching into L2, narrow_prefetching into L2, lane_group, single");
    // The bound is twice l1_bytes, 96 KiB: two wide blocks of 96 doubles reach it, of 97 pass it;
    // two narrow blocks pass it from 193 doubles.
    const kernel_schedule at_bound = one_input{96, m, m}.plan();
    BOOST_TEST_REQUIRE((kinds(at_bound) == kind_list{K::wide_prefetching, K::narrow_prefetching, K::lane_group, K::single}));
    BOOST_TEST(!at_bound[0].prefetch_into_l2);
    BOOST_TEST(!at_bound[1].prefetch_into_l2);
    const kernel_schedule past_bound = one_input{97, m, m}.plan();
    BOOST_TEST(past_bound[0].prefetch_into_l2);
    BOOST_TEST(!past_bound[1].prefetch_into_l2);
    BOOST_TEST((!one_input{192, m, m}.plan()[1].prefetch_into_l2));
    BOOST_TEST((one_input{193, m, m}.plan()[1].prefetch_into_l2));
    // A larger L1 keeps them in it.
    kernel_tuning larger_l1;
    larger_l1.l1_bytes = 128 << 10;
    BOOST_TEST((!one_input{97, m, m}.plan(larger_l1)[0].prefetch_into_l2));
    // The rows of every input the reductions read count: two inputs of 100 doubles take 100 KiB
    // in two narrow blocks, one alone 50 KiB.
    const input_rows two[] = {{m * sizeof(double), 100, true}, {m * sizeof(double), 100, true}};
    const kernel_schedule both = plan_schedule({lanes, sizeof(double), 0, m, m, 0, std::span(two)}, defaults);
    BOOST_TEST_REQUIRE((kinds(both) == kind_list{K::wide_prefetching, K::narrow_prefetching, K::lane_group, K::single}));
    BOOST_TEST(both[1].prefetch_into_l2);
    BOOST_TEST((!one_input{100, m, m}.plan()[1].prefetch_into_l2));
    // Stages that do not prefetch never say so.
    const std::size_t from_l3 = 4 * MiB / (40 * sizeof(double)) + 3;
    for (const block_stage& stage : one_input{40, from_l3, from_l3}.plan()) BOOST_TEST(!stage.prefetch_into_l2);
}

BOOST_AUTO_TEST_CASE(batches_from_l3_run_wide_blocks_that_do_not_prefetch) {
    const kernel_tuning& tuning = defaults;
    // 40 features of doubles: 4 MiB is past the 2 MiB bound and within the 16 MiB of prefetching.
    const std::size_t m = 4 * MiB / (40 * sizeof(double)) + 3; // not a power of two: no collision
    BOOST_TEST((kinds(one_input{40, m, m}.plan()) == kind_list{K::wide, K::narrow, K::lane_group, K::single}));
    // Below the bound: narrow blocks only.
    const std::size_t small = tuning.wide_cached_min_bytes / (40 * sizeof(double)) - 1;
    BOOST_TEST((kinds(one_input{40, small, small}.plan()) == kind_list{K::narrow, K::lane_group, K::single}));
    // Lowering the bound moves the decision.
    kernel_tuning lower = tuning;
    lower.wide_cached_min_bytes = MiB;
    BOOST_TEST((kinds(one_input{40, small, small}.plan(lower)) == kind_list{K::wide, K::narrow, K::lane_group, K::single}));
}

BOOST_AUTO_TEST_CASE(the_prefetch_bound_is_a_tuning_parameter) {
    const std::size_t m = 4 * MiB / (40 * sizeof(double)) + 3;
    kernel_tuning eager;
    eager.prefetch_min_bytes = MiB;
    BOOST_TEST((kinds(one_input{40, m, m}.plan(eager)) ==
                kind_list{K::wide_prefetching, K::narrow_prefetching, K::lane_group, K::single}));
}

BOOST_AUTO_TEST_CASE(the_cache_geometry_decides_what_collides) {
    // 64 KiB apart is 1024 lines: one set of 1024, but two of 2048 (a 2 MiB, 16-way L2).
    kernel_tuning two_mib_l2;
    two_mib_l2.cache_sets = 2048;
    two_mib_l2.l2_bytes = 2 * MiB;
    BOOST_TEST((one_input{9, 256, 8192}.plan().has(K::narrow_packed)));
    BOOST_TEST(!(one_input{9, 256, 8192}.plan(two_mib_l2).has(K::narrow_packed)));
    BOOST_TEST((one_input{9, 256, 16384}.plan(two_mib_l2).has(K::narrow_packed)));
}

BOOST_AUTO_TEST_CASE(the_strides_of_the_kernel_tests_collide_and_those_of_the_laws_do_not) {
    // On this machine's caches, as the kernel runs: test_fused_packing's stride (one span of the
    // cache's sets) puts every row in one set, the laws' (m <= 300) spread them.
    using ctgrad::detail::lines_per_set;
    const kernel_tuning& machine = ctgrad::detail::tuning_in_use;
    const std::size_t ways = machine.cache_ways_per_block;
    BOOST_TEST(lines_per_set(machine.cache_sets * machine.cache_line_bytes, 9, 256, machine) > ways);
    BOOST_TEST(lines_per_set(300 * 8, 70, 256, machine) <= ways);
    // With the defaults: m = 10^6 doubles at d = 128 (the full batch compared with PyTorch)
    // spreads over the sets; m = 2^18 (the benchmark's full batch) puts every row in one.
    BOOST_TEST(lines_per_set(8'000'000, 128, 256, defaults) <= defaults.cache_ways_per_block);
    BOOST_TEST(lines_per_set(std::size_t(8) << 18, 128, 256, defaults) == 128u);
}

BOOST_AUTO_TEST_CASE(padded_rows_spread_over_the_sets_where_powers_of_two_collide) {
    // padded_feature_major's stride for the benchmark's full batches (256 MiB of X): the rows of a
    // narrow block take at most their share of a set, on the default cache and this machine's.
    using ctgrad::detail::lines_per_set;
    for (const kernel_tuning& tuning : {defaults, ctgrad::detail::tuning_in_use})
        for (std::size_t d : {16u, 128u, 1024u}) {
            const std::size_t m = (std::size_t(256) << 20) / (d * sizeof(double));
            BOOST_TEST(lines_per_set(m * sizeof(double), d, 256, tuning) > tuning.cache_ways_per_block, "d=" << d);
            BOOST_TEST(lines_per_set(ctgrad::padded_stride<double>(m) * sizeof(double), d, 256, tuning) <=
                           tuning.cache_ways_per_block,
                       "d=" << d);
        }
}

BOOST_AUTO_TEST_CASE(the_machine_s_l2_is_read_from_the_system_where_it_tells) {
    const kernel_tuning machine = kernel_tuning::for_this_machine();
#if defined(_SC_LEVEL2_CACHE_SIZE)
    const long size = sysconf(_SC_LEVEL2_CACHE_SIZE), ways = sysconf(_SC_LEVEL2_CACHE_ASSOC),
               line = sysconf(_SC_LEVEL2_CACHE_LINESIZE);
    if (size > 0 && ways > 0 && line > 0) {
        BOOST_TEST(machine.l2_bytes == std::size_t(size));
        BOOST_TEST(machine.cache_line_bytes == std::size_t(line));
        BOOST_TEST(machine.cache_sets * std::size_t(ways * line) <= std::size_t(size));
        BOOST_TEST(machine.cache_sets * std::size_t(ways * line) * 2 > std::size_t(size));
        BOOST_TEST(machine.cache_ways_per_block == std::size_t(ways) / 2);
    }
#endif
    BOOST_TEST(std::has_single_bit(machine.cache_sets));
#if defined(_SC_LEVEL1_DCACHE_SIZE)
    if (const long l1 = sysconf(_SC_LEVEL1_DCACHE_SIZE); l1 > 0) BOOST_TEST(machine.l1_bytes == std::size_t(l1));
#endif
    // Every threshold is the default's.
    BOOST_TEST(machine.align_min_examples == defaults.align_min_examples);
    BOOST_TEST(machine.prefetch_min_bytes == defaults.prefetch_min_bytes);
    BOOST_TEST(machine.chunk_bytes == defaults.chunk_bytes);
    BOOST_TEST(machine.chunk_long_wide_blocks == defaults.chunk_long_wide_blocks);
    BOOST_TEST(machine.chunk_min_count == defaults.chunk_min_count);
    BOOST_TEST_MESSAGE("L2: " << machine.l2_bytes << " bytes, " << machine.cache_sets << " sets of "
                              << machine.cache_line_bytes << "-byte lines");
}

BOOST_AUTO_TEST_CASE(the_cache_model_counts_lines_as_its_definition_does) {
    // lines_per_set computes with shifts; here its definition, with gcd and divisions.
    for (const std::size_t sets : {std::size_t(1024), std::size_t(2048)}) {
        kernel_tuning tuning;
        tuning.cache_sets = sets;
        const auto by_definition = [&](std::size_t stride_bytes, std::size_t rows, std::size_t block_bytes) {
            const std::size_t line = tuning.cache_line_bytes;
            const std::size_t g = std::gcd(stride_bytes / line % sets, sets);
            const std::size_t starts = sets / g;
            const std::size_t block_lines = (block_bytes + line - 1) / line;
            return (rows + starts - 1) / starts * ((block_lines + g - 1) / g);
        };
        std::size_t differing = 0;
        for (std::size_t stride = 0; stride <= (std::size_t(1) << 18) + 64; stride += 8)
            for (std::size_t rows : {1, 3, 9, 128, 1000})
                for (std::size_t block_bytes : {64, 100, 256, 512, 4096})
                    differing += ctgrad::detail::lines_per_set(stride, rows, block_bytes, tuning) !=
                                 by_definition(stride, rows, block_bytes);
        BOOST_TEST(differing == 0u, sets << " sets");
    }
}
