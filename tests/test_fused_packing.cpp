// The fused kernel's stages (eval/schedule.hpp) on real calls, each asserted to run the stages
// it is about and compared with a reference. Packed: when the rows of a block collide in the
// caches (a feature-major stride that is a multiple of the span of the L2's sets, as with m a
// power of two; the kernel's tuning reads this machine's L2), the
// first reduction that reads an input vector copies the block's rows, and the gradient reads
// the copy. The copy changes no arithmetic, so the packed results must equal, bit for bit,
// those of the same data laid out contiguously, which the law tests compare with the scalar
// evaluator (the laws' strides, m <= 300, never collide). Covered: one block, two blocks,
// blocks plus lane groups plus the scalar tail, an input read by several reductions, two packed
// inputs of different lengths. Large batches (over prefetch_min_bytes) of wide_min_features or
// more features run wide prefetching blocks then narrow ones, at a stride whose rows collide
// and at one whose rows do not (blocks that prefetch copy nothing); batches between
// wide_cached_min_bytes and prefetch_min_bytes run wide blocks that do not prefetch; large
// batches whose data do not start on a lane group take the examples before the first aligned
// one one at a time. Blocks that prefetch sum their vector partials lane by lane in a
// per-thread buffer: checked with wide blocks, and with narrow blocks for two vector parameters
// whose lengths are not multiples of the SIMD width. A padded_feature_major copy of colliding data
// runs unpacked blocks with the same bits.
#define BOOST_TEST_MODULE ctgrad_fused_packing
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include <ctgrad/ctgrad.hpp>
#include <ctgrad/eval/fused.hpp>

#include "fused_reference.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numeric>
#include <random>
#include <string>
#include <utility>
#include <vector>

using namespace ctgrad::literals;

namespace {

using namespace fused_test;

/// One span of the L2's sets (64 KiB for 1 MiB and 16 ways) in numbers of T: every row of a
/// block starts in the same cache sets.
template <class T>
std::size_t colliding_stride() {
    return ctgrad::detail::tuning_in_use.cache_sets * ctgrad::detail::tuning_in_use.cache_line_bytes / sizeof(T);
}

/// Feature-major data twice: contiguous (stride m) and a colliding stride apart.
template <class T>
struct layouts {
    std::size_t d, m;
    std::vector<T> contiguous, strided;

    layouts(std::size_t features, std::size_t examples, std::mt19937_64& rng)
        : d(features), m(examples), contiguous(features * examples), strided(features * colliding_stride<T>()) {
        std::normal_distribution<double> normal(0.0, 1.0);
        for (std::size_t j = 0; j < d; ++j)
            for (std::size_t i = 0; i < m; ++i) {
                const T value = static_cast<T>(normal(rng));
                contiguous[j * m + i] = value;
                strided[j * colliding_stride<T>() + i] = value;
            }
    }
    [[nodiscard]] ctgrad::feature_major_view<T> dense() const { return {contiguous.data(), d, m, m}; }
    [[nodiscard]] ctgrad::feature_major_view<T> spread() const { return {strided.data(), d, m, colliding_stride<T>()}; }
};

using ctgrad::detail::block_kind;

/// The schedule of each chunk of value_and_grad(loss, params, batch).
template <class Loss, class Params, class Batch>
std::vector<ctgrad::detail::kernel_schedule> schedules_of(const Loss& loss, const Params& params, const Batch& batch) {
    const ctgrad::detail::gradient_pass<Loss, Params, Batch> pass(loss, params, batch);
    std::vector<ctgrad::detail::kernel_schedule> out;
    for (std::size_t c = 0; c < pass.chunks().m_count; ++c) out.push_back(pass.schedule(c));
    return out;
}

/// The kinds of a schedule's middle stages (those between the aligning prefix and the
/// lane groups), in order.
inline std::vector<block_kind> middle_kinds(const ctgrad::detail::kernel_schedule& schedule) {
    std::vector<block_kind> out;
    for (const auto& stage : schedule)
        if (stage.kind != block_kind::single && stage.kind != block_kind::lane_group) out.push_back(stage.kind);
    return out;
}

/// Whether every chunk of value_and_grad(loss, params, batch) runs these middle stages.
template <class Loss, class Params, class Batch>
bool every_chunk_runs(const Loss& loss, const Params& params, const Batch& batch, const std::vector<block_kind>& middle) {
    for (const auto& schedule : schedules_of(loss, params, batch))
        if (middle_kinds(schedule) != middle) {
            BOOST_TEST_MESSAGE("schedule: " << to_string(schedule));
            return false;
        }
    return true;
}

/// p moved up to the next 64-byte boundary (the widest SIMD width).
template <class T>
T* aligned_up(T* p) {
    return reinterpret_cast<T*>((reinterpret_cast<std::uintptr_t>(p) + 63) / 64 * 64);
}

/// Batch sizes that cover one block, two blocks, and blocks followed by single lane groups
/// and the scalar tail, for the widest SIMD type of the build.
template <class T>
std::vector<std::size_t> batch_sizes() {
    const std::size_t block = ctgrad::kernel_tuning::narrow_groups * ctgrad::simd::batch<T>::size;
    const std::size_t lanes = ctgrad::simd::batch<T>::size;
    return {block, 2 * block, 3 * block + lanes + 1, 5 * block + 3 * lanes + lanes - 1};
}

template <class T, class Loss>
void check_one_input(const std::string& name, const Loss& loss) {
    std::mt19937_64 rng(std::hash<std::string>{}(name));
    for (std::size_t d : {9, 16, 33, 70}) {
        for (std::size_t m : batch_sizes<T>()) {
            const layouts<T> X(d, m, rng);
            std::vector<T> Y = random_vector<T>(m, 1.0, rng);
            for (auto& e : Y) e = std::abs(e) + T(0.5); // positive, for losses that divide by y
            const auto params = ctgrad::make_parameters<T>(w = random_vector<T>(d, 0.5 / std::sqrt(double(d)), rng), b = T(0.25));
            auto dense_grads = params.zeros_like();
            auto spread_grads = params.zeros_like();
            const auto dense_batch = ctgrad::make_batch(x = X.dense(), y = Y);
            const auto spread_batch = ctgrad::make_batch(x = X.spread(), y = Y);
            const std::string where =
                name + (std::is_same_v<T, float> ? " <float>" : " <double>") + " d=" + std::to_string(d) + " m=" + std::to_string(m);
            // Otherwise the comparison below would compare the unpacked path with itself.
            BOOST_TEST_REQUIRE(every_chunk_runs(loss, params, spread_batch, {block_kind::narrow_packed}), where);
            BOOST_TEST_REQUIRE(every_chunk_runs(loss, params, dense_batch, {block_kind::narrow}), where);
            const T dense = ctgrad::value_and_grad(loss, params, dense_batch, dense_grads);
            const T spread = ctgrad::value_and_grad(loss, params, spread_batch, spread_grads);
            require_identical<T>(dense_grads, spread_grads, dense, spread, where);
        }
    }
}

} // namespace

BOOST_AUTO_TEST_CASE(d2l_squared_loss) {
    const auto loss = ctgrad::square(ctgrad::dot(x, w) + b - y) / 2_c;
    check_one_input<double>("d2l", loss);
    check_one_input<float>("d2l", loss);
}

BOOST_AUTO_TEST_CASE(an_input_read_by_several_reductions_and_inside_element_wise_bodies) {
    // x is packed by dot(x, w), the first reduction that reads it; sum(square(x)) and
    // sum(x + b) then read the copy, as do the partials.
    const auto loss = ctgrad::dot(x, w) / (1_c + ctgrad::sum(ctgrad::square(x))) - y / b +
                      ctgrad::sign(ctgrad::dot(x, w)) * ctgrad::sum(x + b) +
                      ctgrad::dot(ctgrad::select(x > 0_c, x, 0_c), ctgrad::exp(-ctgrad::abs(w)));
    check_one_input<double>("several_reductions", loss);
    check_one_input<float>("several_reductions", loss);
}

BOOST_AUTO_TEST_CASE(huber_loss) {
    const auto r = ctgrad::dot(x, w) + b - y;
    const auto loss = ctgrad::select(ctgrad::abs(r) <= 1_c, ctgrad::square(r) / 2_c, ctgrad::abs(r) - ctgrad::c<1, 2>);
    check_one_input<double>("huber", loss);
    check_one_input<float>("huber", loss);
}

BOOST_AUTO_TEST_CASE(two_packed_inputs_of_different_lengths) {
    using T = double;
    const auto loss = ctgrad::square(ctgrad::dot(x, w) + ctgrad::dot(z, v) + b - y) / 2_c;
    std::mt19937_64 rng(7);
    for (std::size_t m : batch_sizes<T>()) {
        const layouts<T> X(33, m, rng);
        const layouts<T> Z(12, m, rng);
        const std::vector<T> Y = random_vector<T>(m, 1.0, rng);
        const auto params = ctgrad::make_parameters<T>(w = random_vector<T>(33, 0.2, rng), v = random_vector<T>(12, 0.2, rng),
                                                       b = T(-0.5));
        auto dense_grads = params.zeros_like();
        auto spread_grads = params.zeros_like();
        const T dense = ctgrad::value_and_grad(loss, params, ctgrad::make_batch(x = X.dense(), z = Z.dense(), y = Y), dense_grads);
        const T spread =
            ctgrad::value_and_grad(loss, params, ctgrad::make_batch(x = X.spread(), z = Z.spread(), y = Y), spread_grads);
        require_identical<T>(dense_grads, spread_grads, dense, spread, "two inputs m=" + std::to_string(m));

        // And against the loop a user would write, so that both paths are checked.
        double total = 0, gb = 0;
        std::vector<double> gw(33, 0.0), gv(12, 0.0);
        for (std::size_t i = 0; i < m; ++i) {
            double r = params[b] - Y[i];
            for (std::size_t j = 0; j < 33; ++j) r += X.contiguous[j * m + i] * params[w](j);
            for (std::size_t j = 0; j < 12; ++j) r += Z.contiguous[j * m + i] * params[v](j);
            total += r * r / 2;
            gb += r;
            for (std::size_t j = 0; j < 33; ++j) gw[j] += r * X.contiguous[j * m + i];
            for (std::size_t j = 0; j < 12; ++j) gv[j] += r * Z.contiguous[j * m + i];
        }
        BOOST_TEST(spread == total / double(m), boost::test_tools::tolerance(1e-12));
        BOOST_TEST(spread_grads[b] == gb / double(m), boost::test_tools::tolerance(1e-12));
        for (std::size_t j = 0; j < 33; ++j) BOOST_TEST(spread_grads[w](j) == gw[j] / double(m), boost::test_tools::tolerance(1e-12));
        for (std::size_t j = 0; j < 12; ++j) BOOST_TEST(spread_grads[v](j) == gv[j] / double(m), boost::test_tools::tolerance(1e-12));
    }
}

/// Examples for a batch of d features of T that reads more than `bytes`: whole wide blocks,
/// then a 4-group block, a lone lane group and a tail of 3.
template <class T>
std::size_t wide_then_narrow_examples(std::size_t bytes, std::size_t d) {
    const std::size_t lanes = ctgrad::simd::batch<T>::size;
    const std::size_t wide = ctgrad::kernel_tuning::wide_groups * lanes;
    return (bytes / (d * sizeof(T)) / wide + 1) * wide + ctgrad::kernel_tuning::narrow_groups * lanes + lanes + 3;
}

/// The targets and parameters of the d2l loss for m examples of d features, drawn after X.
template <class T>
auto d2l_targets_and_parameters(std::size_t d, std::size_t m, std::mt19937_64& rng) {
    std::vector<T> Y = random_vector<T>(m, 1.0, rng);
    auto params = ctgrad::make_parameters<T>(w = random_vector<T>(d, 0.5 / std::sqrt(double(d)), rng), b = T(0.25));
    return std::pair{std::move(Y), std::move(params)};
}

template <class T>
void check_wide_blocks() {
    const auto loss = ctgrad::square(ctgrad::dot(x, w) + b - y) / 2_c;
    std::mt19937_64 rng(13);
    const ctgrad::kernel_tuning& tuning = ctgrad::detail::tuning_in_use;
    for (std::size_t d : {tuning.wide_min_features, std::size_t(40), std::size_t(100)}) {
        // Wide blocks that prefetch: more than prefetch_min_bytes of X.
        const std::size_t m = wide_then_narrow_examples<T>(tuning.prefetch_min_bytes, d);
        // Dense (stride m), and a stride of a multiple of the sets' span, where the rows collide (and
        // blocks that prefetch do not copy them). Both start on a 64-byte boundary, so that the
        // kernel takes the same examples one at a time before its blocks (none) and the two
        // results must agree bit for bit.
        const std::size_t colliding = (m + colliding_stride<T>() - 1) / colliding_stride<T>() * colliding_stride<T>();
        std::vector<T> dense_room(d * m + 64), spread_room(d * colliding + 64);
        T* const dense = aligned_up(dense_room.data());
        T* const spread = aligned_up(spread_room.data());
        std::normal_distribution<double> normal(0.0, 1.0);
        for (std::size_t j = 0; j < d; ++j)
            for (std::size_t i = 0; i < m; ++i) dense[j * m + i] = spread[j * colliding + i] = static_cast<T>(normal(rng));
        const auto [Y, params] = d2l_targets_and_parameters<T>(d, m, rng);
        auto dense_grads = params.zeros_like();
        auto spread_grads = params.zeros_like();
        const auto dense_batch = ctgrad::make_batch(x = ctgrad::feature_major_view<T>{dense, d, m, m}, y = Y);
        const auto spread_batch = ctgrad::make_batch(x = ctgrad::feature_major_view<T>{spread, d, m, colliding}, y = Y);
        const std::string where = std::string("wide blocks") + (std::is_same_v<T, float> ? " <float>" : " <double>") +
                                  " d=" + std::to_string(d) + " m=" + std::to_string(m);
        for (const auto* batch : {&dense_batch, &spread_batch})
            BOOST_TEST_REQUIRE(
                every_chunk_runs(loss, params, *batch, {block_kind::wide_prefetching, block_kind::narrow_prefetching}), where);
        const T dense_loss = ctgrad::value_and_grad(loss, params, dense_batch, dense_grads);
        const T spread_loss = ctgrad::value_and_grad(loss, params, spread_batch, spread_grads);
        require_identical<T>(dense_grads, spread_grads, dense_loss, spread_loss, where);
        require_near_reference(reference_d2l(dense, Y, params, d, m), m, dense_loss, dense_grads, where);
    }
}

BOOST_AUTO_TEST_CASE(wide_blocks_then_narrow_ones_then_the_tail) {
    check_wide_blocks<double>();
    check_wide_blocks<float>();
}

/// Batches from wide_cached_min_bytes up to prefetch_min_bytes whose rows do not collide run in
/// wide blocks that do not prefetch (their rows come from L3), then 4-group blocks, a lone lane
/// group and the tail.
template <class T>
void check_wide_blocks_without_prefetch() {
    const auto loss = ctgrad::square(ctgrad::dot(x, w) + b - y) / 2_c;
    const ctgrad::kernel_tuning& tuning = ctgrad::detail::tuning_in_use;
    std::mt19937_64 rng(17);
    for (std::size_t d : {tuning.wide_min_features, std::size_t(40)}) {
        const std::size_t m = wide_then_narrow_examples<T>(tuning.wide_cached_min_bytes, d);
        std::vector<T> room(d * m + 64);
        T* const X = aligned_up(room.data());
        std::normal_distribution<double> normal(0.0, 1.0);
        for (std::size_t i = 0; i < d * m; ++i) X[i] = static_cast<T>(normal(rng));
        const auto [Y, params] = d2l_targets_and_parameters<T>(d, m, rng);
        auto grads = params.zeros_like();
        const auto batch = ctgrad::make_batch(x = ctgrad::feature_major_view<T>{X, d, m, m}, y = Y);
        const std::string where = std::string("wide blocks without prefetch") +
                                  (std::is_same_v<T, float> ? " <float>" : " <double>") + " d=" + std::to_string(d) +
                                  " m=" + std::to_string(m);
        BOOST_TEST_REQUIRE(every_chunk_runs(loss, params, batch, {block_kind::wide, block_kind::narrow}), where);
        const T loss_value = ctgrad::value_and_grad(loss, params, batch, grads);
        const auto reference = reference_d2l(X, Y, params, d, m);
        require_near_reference(reference, m, loss_value, grads, where);
        // value() takes the same blocks (its loss checked; the gradient is value_and_grad's again).
        require_near_reference(reference, m, ctgrad::value(loss, params, batch), grads, where + " (value)");
    }
}

BOOST_AUTO_TEST_CASE(wide_blocks_without_prefetch_where_the_rows_come_from_l3) {
    check_wide_blocks_without_prefetch<double>();
    check_wide_blocks_without_prefetch<float>();
}

template <class T>
void check_lane_wise_gradient_sums() {
    const auto loss = ctgrad::square(ctgrad::dot(x, w) + ctgrad::dot(z, v) + b - y) / 2_c;
    const std::size_t dx = 12, dz = 9, lanes = ctgrad::simd::batch<T>::size;
    // Over prefetch_min_bytes of x and z together, then 4-group blocks, a lone lane group and 3.
    const std::size_t m = ctgrad::detail::tuning_in_use.prefetch_min_bytes / ((dx + dz) * sizeof(T)) +
                          ctgrad::kernel_tuning::narrow_groups * lanes + lanes + 3;
    std::mt19937_64 rng(19);
    const std::vector<T> X = random_vector<T>(dx * m, 1.0, rng), Z = random_vector<T>(dz * m, 1.0, rng);
    const std::vector<T> Y = random_vector<T>(m, 1.0, rng);
    const auto params = ctgrad::make_parameters<T>(w = random_vector<T>(dx, 0.3, rng), v = random_vector<T>(dz, 0.3, rng), b = T(0.25));
    const auto batch = ctgrad::make_batch(x = ctgrad::feature_major_view<T>{X.data(), dx, m, m},
                                          z = ctgrad::feature_major_view<T>{Z.data(), dz, m, m}, y = Y);
    BOOST_TEST_REQUIRE(every_chunk_runs(loss, params, batch, {block_kind::narrow_prefetching}));
    auto grads = params.zeros_like();
    auto again = params.zeros_like();
    const T loss_value = ctgrad::value_and_grad(loss, params, batch, grads);
    // A second call reuses the per-thread buffer of lane-wise sums: it must start from zero.
    const T loss_again = ctgrad::value_and_grad(loss, params, batch, again);
    const std::string where = std::string("lane-wise sums") + (std::is_same_v<T, float> ? " <float>" : " <double>");
    require_identical<T>(grads, again, loss_value, loss_again, where + ", called twice");

    // x . w + z . v is the d2l loss over the features of x then z: z's rows follow x's in one
    // feature-major block, and the gradient by w then v is the gradient by their concatenation.
    std::vector<T> XZ(X);
    XZ.insert(XZ.end(), Z.begin(), Z.end());
    std::vector<T> wv(params[w].begin(), params[w].end()), gwv(grads[w].begin(), grads[w].end());
    wv.insert(wv.end(), params[v].begin(), params[v].end());
    gwv.insert(gwv.end(), grads[v].begin(), grads[v].end());
    const auto joined = ctgrad::make_parameters<T>(w = wv, b = params[b]);
    const auto joined_grads = ctgrad::make_parameters<T>(w = gwv, b = grads[b]);
    require_near_reference(reference_d2l(XZ.data(), Y, joined, dx + dz, m), m, loss_value, joined_grads,
                           where + " (dw[j] for j >= " + std::to_string(dx) + " is dv[j - " + std::to_string(dx) + "])");
}

BOOST_AUTO_TEST_CASE(large_batches_of_few_features_sum_their_gradients_lane_by_lane) {
    check_lane_wise_gradient_sums<double>();
    check_lane_wise_gradient_sums<float>();
}

BOOST_AUTO_TEST_CASE(value_alone_is_unchanged_by_the_stride) {
    // value() packs nothing (no partial reads x again); its result must not depend on the stride.
    const auto loss = ctgrad::square(ctgrad::dot(x, w) + b - y) / 2_c;
    std::mt19937_64 rng(11);
    const layouts<double> X(40, 200, rng);
    const std::vector<double> Y = random_vector<double>(200, 1.0, rng);
    const auto params = ctgrad::make_parameters<double>(w = random_vector<double>(40, 0.2, rng), b = 0.0);
    BOOST_TEST(ctgrad::value(loss, params, ctgrad::make_batch(x = X.dense(), y = Y)) ==
               ctgrad::value(loss, params, ctgrad::make_batch(x = X.spread(), y = Y)));
}

template <class T>
void check_padded_copy_needs_no_packing() {
    // The same numbers at a colliding stride (packed) and in a padded_feature_major copy, whose
    // rows are an odd number of lines apart (not packed): the copy changes no arithmetic.
    const auto loss = ctgrad::square(ctgrad::dot(x, w) + b - y) / 2_c;
    std::mt19937_64 rng(23);
    const layouts<T> X(40, 200, rng);
    auto dense = xt::xtensor<T, 2>::from_shape({X.d, X.m});
    std::copy(X.contiguous.begin(), X.contiguous.end(), dense.begin());
    const auto padded = ctgrad::padded_feature_major<T>::from_features(dense);
    const std::vector<T> Y = random_vector<T>(X.m, 1.0, rng);
    const auto params = ctgrad::make_parameters<T>(w = random_vector<T>(X.d, 0.2, rng), b = T(0.25));
    const auto spread_batch = ctgrad::make_batch(x = X.spread(), y = Y);
    const auto padded_batch = ctgrad::make_batch(x = padded, y = Y);
    BOOST_TEST_REQUIRE(every_chunk_runs(loss, params, spread_batch, {block_kind::narrow_packed}));
    BOOST_TEST_REQUIRE(every_chunk_runs(loss, params, padded_batch, {block_kind::narrow}));
    auto spread_grads = params.zeros_like();
    auto padded_grads = params.zeros_like();
    const T spread = ctgrad::value_and_grad(loss, params, spread_batch, spread_grads);
    const T padded_loss = ctgrad::value_and_grad(loss, params, padded_batch, padded_grads);
    require_identical<T>(spread_grads, padded_grads, spread, padded_loss,
                         std::string("padded copy") + (std::is_same_v<T, float> ? " <float>" : " <double>"));
    require_near_reference(reference_d2l(X.contiguous.data(), Y, params, X.d, X.m), X.m, padded_loss, padded_grads,
                           "padded copy against the reference loop");
}

BOOST_AUTO_TEST_CASE(a_padded_copy_runs_unpacked_blocks_with_the_same_bits) {
    check_padded_copy_needs_no_packing<double>();
    check_padded_copy_needs_no_packing<float>();
}

BOOST_AUTO_TEST_CASE(the_examples_before_an_aligned_lane_group_are_counted) {
    using V = ctgrad::simd::batch<double>;
    const std::size_t lanes = V::size;
    alignas(64) static double numbers[64] = {};
    for (std::size_t offset = 0; offset < lanes; ++offset)
        BOOST_TEST(ctgrad::detail::examples_before_aligned<V>(numbers + offset) == (lanes - offset) % lanes);
    // Not aligned to a double: no count makes the loads aligned.
    const auto* odd = reinterpret_cast<const double*>(reinterpret_cast<const char*>(numbers) + 4);
    BOOST_TEST(ctgrad::detail::examples_before_aligned<V>(odd) == 0u);
}

template <class T>
void check_misaligned_large_batch() {
    const auto loss = ctgrad::square(ctgrad::dot(x, w) + b - y) / 2_c;
    const std::size_t lanes = ctgrad::simd::batch<T>::size;
    // Large enough to align (then blocks, lane groups and a tail), for every start in a lane group.
    const std::size_t m = ctgrad::detail::tuning_in_use.align_min_examples + 3 * lanes + 5;
    std::mt19937_64 rng(17);
    for (std::size_t d : {2, 20}) {
        const std::vector<T> X = random_vector<T>(d * m, 1.0, rng), Y = random_vector<T>(m, 1.0, rng);
        const auto params = ctgrad::make_parameters<T>(w = random_vector<T>(d, 0.5, rng), b = T(0.25));
        const d2l_reference ref = reference_d2l(X.data(), Y, params, d, m);
        // Room for the data at every offset from a 64-byte boundary.
        std::vector<T> x_room(d * m + 128), y_room(m + 128);
        for (std::size_t offset = 0; offset < lanes; ++offset) {
            T* xs = aligned_up(x_room.data()) + offset;
            T* ys = aligned_up(y_room.data()) + (offset + 1) % lanes; // y misaligned differently
            std::copy(X.begin(), X.end(), xs);
            std::copy(Y.begin(), Y.end(), ys);
            const auto batch = ctgrad::make_batch(x = ctgrad::feature_major_view<T>{xs, d, m, m},
                                                  y = ctgrad::feature_major_view<T>{ys, 1, m, m});
            auto grads = params.zeros_like();
            const std::string where = std::string(std::is_same_v<T, float> ? "<float>" : "<double>") +
                                      " d=" + std::to_string(d) + " offset=" + std::to_string(offset);
            // The examples before x's first aligned lane group (y's alignment does not count) one
            // at a time, then the blocks.
            const auto schedule = schedules_of(loss, params, batch).front();
            if (offset == 0) BOOST_TEST((schedule[0].kind != block_kind::single), where);
            else BOOST_TEST((schedule[0] == ctgrad::detail::block_stage{block_kind::single, lanes - offset}), where);
            const T loss_value = ctgrad::value_and_grad(loss, params, batch, grads);
            require_near_reference(ref, m, loss_value, grads, where);
            require_loss_near_reference(ref, m, ctgrad::value(loss, params, batch), where + " (value)");
            require_predictions_near_reference(ref, ctgrad::predict(ctgrad::dot(x, w) + b, params, batch), 10 * laws_tolerance<T>, where);
        }
    }
}

BOOST_AUTO_TEST_CASE(large_batches_not_aligned_to_the_simd_width) {
    check_misaligned_large_batch<double>();
    check_misaligned_large_batch<float>();
}
