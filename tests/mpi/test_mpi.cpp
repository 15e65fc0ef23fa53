// Data-parallel training and least squares over MPI (docs/distributed.md). Run by meson test
// under `mpirun -n 1`, 2, 3 and 4: every rank runs every case, computes the distributed result
// and the single process's own, and checks that all ranks hold the same bits, that a rerun gives
// them again, and that they equal the single process's to 1e-12.
#define BOOST_TEST_MODULE ctgrad_mpi
#define BOOST_TEST_NO_MAIN
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include <ctgrad/ctgrad.hpp>
#include <ctgrad/data/nist.hpp>
#include <ctgrad/data/npy.hpp>
#include <ctgrad/distributed/mpi.hpp>
#include <ctgrad/optim/levenberg_marquardt.hpp>

#include <bit>
#include <filesystem>
#include <fstream>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

namespace {

const ctgrad::mpi::communicator& world() {
    static const ctgrad::mpi::communicator w;
    return w;
}

/// Whether every rank holds the same bits in `values`.
bool same_on_every_rank(const std::vector<double>& values) {
    const auto& group = world();
    std::vector<double> all(values.size() * group.ranks());
    group.all_gather(values.data(), values.size(), all.data());
    for (std::size_t r = 0; r < group.ranks(); ++r)
        for (std::size_t k = 0; k < values.size(); ++k)
            if (std::bit_cast<std::uint64_t>(all[r * values.size() + k]) != std::bit_cast<std::uint64_t>(values[k])) return false;
    return true;
}

bool close(double a, double b, double tolerance) { return std::abs(a - b) <= tolerance * std::max(std::abs(a), std::abs(b)); }

template <class Store>
std::vector<double> numbers_of(const Store& store) {
    std::vector<double> out(ctgrad::detail::column_count(store));
    ctgrad::detail::put_scaled(store, 1.0, out.data());
    return out;
}

/// Rank r's k-th number: magnitudes far apart, so the order of the additions shows in the bits.
double number(std::size_t r, std::size_t k) { return std::ldexp(1.0 + 0.1 * double(k % 7), int((r * 13 + k) % 40) - 20) * (k % 3 ? 1 : -1); }

void check_sum(std::size_t count) {
    const auto& group = world();
    std::vector<double> values(count), expected(count);
    for (std::size_t k = 0; k < count; ++k) {
        values[k] = number(group.rank(), k);
        expected[k] = number(0, k);
        for (std::size_t r = 1; r < group.ranks(); ++r) expected[k] += number(r, k);
    }
    group.sum(values.data(), count);
    std::size_t wrong = 0;
    for (std::size_t k = 0; k < count; ++k) wrong += std::bit_cast<std::uint64_t>(values[k]) != std::bit_cast<std::uint64_t>(expected[k]);
    BOOST_TEST(wrong == 0u, count << " numbers: " << wrong << " differ from the sum in rank order");
}

} // namespace

BOOST_AUTO_TEST_CASE(sum_adds_in_rank_order_both_when_gathered_and_in_pieces) {
    check_sum(1);
    check_sum(3);
    check_sum(1000);
    check_sum(ctgrad::mpi::communicator::gather_whole_limit + 7); // in pieces from 2 ranks on
    check_sum(100'003);
}

BOOST_AUTO_TEST_CASE(all_gather_and_broadcast) {
    const auto& group = world();
    const double mine[2] = {double(group.rank()), -double(group.rank())};
    std::vector<double> all(2 * group.ranks());
    group.all_gather(mine, 2, all.data());
    for (std::size_t r = 0; r < group.ranks(); ++r) {
        BOOST_TEST(all[2 * r] == double(r));
        BOOST_TEST(all[2 * r + 1] == -double(r));
    }
    double value = 7.0 + double(group.rank());
    group.broadcast(&value, 1);
    BOOST_TEST(value == 7.0);
}

namespace {

struct d2l_run {
    std::vector<double> parameters;
    ctgrad::history record;
};

/// d2l 3.4 with the book's defaults (or another batch size), on the whole world or alone.
template <class Group>
d2l_run train_d2l(const Group& group, std::size_t batch_size, std::size_t epochs) {
    auto data = ctgrad::data::synthetic_regression_data(std::vector{2.0, -3.4}, 4.2, {.batch_size = batch_size, .seed = 5});
    ctgrad::linear_regression_scratch<double> model(2, 0.03, {.seed = 5});
    const ctgrad::trainer trainer({.max_epochs = epochs});
    d2l_run out;
    out.record = trainer.fit(group, model, data, ctgrad::early_stop_at_min_loss{});
    out.parameters = numbers_of(model.parameters());
    return out;
}

void check_d2l(std::size_t batch_size, std::size_t epochs) {
    const d2l_run spread = train_d2l(world(), batch_size, epochs);
    const d2l_run again = train_d2l(world(), batch_size, epochs);
    const d2l_run alone = train_d2l(ctgrad::single_process{}, batch_size, epochs);
    BOOST_TEST(same_on_every_rank(spread.parameters));
    BOOST_TEST(same_on_every_rank(spread.record.train_loss));
    BOOST_TEST(same_on_every_rank(spread.record.val_loss));
    for (std::size_t k = 0; k < spread.parameters.size(); ++k) {
        BOOST_TEST(std::bit_cast<std::uint64_t>(spread.parameters[k]) == std::bit_cast<std::uint64_t>(again.parameters[k]));
        BOOST_TEST(close(spread.parameters[k], alone.parameters[k], 1e-12), spread.parameters[k] << " against " << alone.parameters[k]);
    }
    BOOST_REQUIRE(spread.record.train_loss.size() == alone.record.train_loss.size());
    for (std::size_t i = 0; i < alone.record.train_loss.size(); ++i)
        BOOST_TEST(close(spread.record.train_loss[i], alone.record.train_loss[i], 1e-12), "batch " << i);
    BOOST_REQUIRE(spread.record.val_loss.size() == alone.record.val_loss.size());
    for (std::size_t i = 0; i < alone.record.val_loss.size(); ++i)
        BOOST_TEST(close(spread.record.val_loss[i], alone.record.val_loss[i], 1e-12), "epoch " << i);
}

} // namespace

BOOST_AUTO_TEST_CASE(d2l_training_is_the_single_process_run_on_every_rank) {
    check_d2l(32, 3);
}

BOOST_AUTO_TEST_CASE(batches_smaller_than_the_ranks_leave_some_ranks_without_examples) {
    check_d2l(3, 1); // 4 ranks: one of them holds none of each batch
}

BOOST_AUTO_TEST_CASE(parameters_start_from_rank_0s) {
    auto data = ctgrad::data::synthetic_regression_data(std::vector{2.0, -3.4}, 4.2, {.seed = 1});
    auto same_data = ctgrad::data::synthetic_regression_data(std::vector{2.0, -3.4}, 4.2, {.seed = 1});
    // Each rank draws other initial weights; the run must still be rank 0's.
    ctgrad::linear_regression_scratch<double> model(2, 0.03, {.seed = 100 + world().rank()});
    ctgrad::linear_regression_scratch<double> alone(2, 0.03, {.seed = 100});
    const ctgrad::trainer trainer({.max_epochs = 1});
    (void)trainer.fit(world(), model, data);
    (void)trainer.fit(alone, same_data);
    const auto spread = numbers_of(model.parameters()), single = numbers_of(alone.parameters());
    BOOST_TEST(same_on_every_rank(spread));
    for (std::size_t k = 0; k < spread.size(); ++k) BOOST_TEST(close(spread[k], single[k], 1e-12));
}

namespace {

const ctgrad::nist_problem& nist(const std::string& name) {
    static std::vector<ctgrad::nist_problem> read;
    for (const auto& p : read)
        if (p.name == name) return p;
    const char* dir = std::getenv("CTGRAD_NIST_DIR");
    read.push_back(ctgrad::read_nist(std::string(dir ? dir : "data/nist") + "/" + name + ".dat"));
    return read.back();
}

/// This rank's share of a problem's observations.
xt::xtensor<double, 1> share(const xt::xtensor<double, 1>& all) {
    const auto part = ctgrad::data::share_of(all.size(), world().rank(), world().ranks());
    xt::xtensor<double, 1> out = xt::xtensor<double, 1>::from_shape({part.count});
    for (std::size_t i = 0; i < part.count; ++i) out(i) = all(part.first + i);
    return out;
}

constexpr ctgrad::input<"x"> x;
constexpr ctgrad::input<"y"> y;
constexpr ctgrad::param<"b1"> b1;
constexpr ctgrad::param<"b2"> b2;

} // namespace

BOOST_AUTO_TEST_CASE(levenberg_marquardt_merges_the_ranks_factors) {
    using namespace ctgrad::literals;
    const auto& misra = nist("Misra1a");
    const auto residual = b1 * (1_c - ctgrad::exp(-(b2 * x))) - y;
    const auto xs = share(misra.x), ys = share(misra.y);
    auto params = ctgrad::make_parameters(b1 = misra.start1[0], b2 = misra.start1[1]);
    auto again = params, alone = params;
    const auto spread = ctgrad::levenberg_marquardt().minimize(world(), residual, params, ctgrad::make_batch(x = xs, y = ys));
    (void)ctgrad::levenberg_marquardt().minimize(world(), residual, again, ctgrad::make_batch(x = xs, y = ys));
    const auto single = ctgrad::levenberg_marquardt().minimize(residual, alone, ctgrad::make_batch(x = misra.x, y = misra.y));
    const auto p = numbers_of(params), q = numbers_of(again), s = numbers_of(alone);
    BOOST_TEST(same_on_every_rank(p));
    BOOST_TEST(same_on_every_rank(std::vector{spread.cost, spread.standard_errors[0], spread.standard_errors[1]}));
    BOOST_TEST(spread.converged(), ctgrad::to_string(spread.termination));
    BOOST_TEST(spread.examples == misra.x.size());
    for (std::size_t k = 0; k < p.size(); ++k) {
        BOOST_TEST(std::bit_cast<std::uint64_t>(p[k]) == std::bit_cast<std::uint64_t>(q[k]));
        BOOST_TEST(close(p[k], s[k], 1e-12), p[k] << " against " << s[k]);
        BOOST_TEST(ctgrad::log_relative_error(p[k], misra.certified_values[k]) > 9.5);
    }
    BOOST_TEST(close(spread.cost, single.cost, 1e-12));
    BOOST_TEST(close(spread.standard_errors[0], single.standard_errors[0], 1e-10));
}

BOOST_AUTO_TEST_CASE(newton_sums_the_ranks_hessians) {
    using namespace ctgrad::literals;
    // A straight line through Misra1a's points: the least-squares line in one Newton step.
    const auto& misra = nist("Misra1a");
    const auto loss = ctgrad::square(b1 + b2 * x - y) / 2_c;
    const auto xs = share(misra.x), ys = share(misra.y);
    auto params = ctgrad::make_parameters(b1 = 0.0, b2 = 0.0);
    auto alone = params;
    const auto spread = ctgrad::newton().minimize(world(), loss, params, ctgrad::make_batch(x = xs, y = ys));
    const auto single = ctgrad::newton().minimize(loss, alone, ctgrad::make_batch(x = misra.x, y = misra.y));
    const auto p = numbers_of(params), s = numbers_of(alone);
    BOOST_TEST(same_on_every_rank(p));
    BOOST_TEST(spread.converged);
    BOOST_TEST(spread.iterations == single.iterations);
    for (std::size_t k = 0; k < p.size(); ++k) BOOST_TEST(close(p[k], s[k], 1e-12), p[k] << " against " << s[k]);
}

BOOST_AUTO_TEST_CASE(synthetic_shards_drawn_alone_are_the_whole_set) {
    // 10001 examples: shares start within blocks of 4096 for 2 to 4 ranks.
    const ctgrad::data::synthetic_options options{.num_train = 9000, .num_val = 1001, .seed = 3};
    const auto share = ctgrad::data::share_of(10001, world().rank(), world().ranks());
    const auto mine = ctgrad::data::synthetic_regression_shard(std::vector{1.5, -2.0, 0.5}, 0.25, share, options);
    const auto whole = ctgrad::data::synthetic_regression_shard(std::vector{1.5, -2.0, 0.5}, 0.25, {0, 10001}, options);
    BOOST_TEST(mine.is_shard());
    BOOST_TEST(mine.num_train() == std::min<std::size_t>(9000, share.first + share.count) - std::min<std::size_t>(9000, share.first));
    std::size_t differ = 0;
    for (std::size_t i = 0; i < share.count; ++i) {
        differ += mine.targets()(i) != whole.targets()(share.first + i);
        for (std::size_t j = 0; j < 3; ++j) differ += mine.features()(j, i) != whole.features()(j, share.first + i);
    }
    BOOST_TEST(differ == 0u);
    BOOST_CHECK_THROW(ctgrad::data::synthetic_regression_shard(std::vector{1.0}, 0.0, {10000, 2}, options), ctgrad::invalid_argument);
}

BOOST_AUTO_TEST_CASE(least_squares_over_shards_is_the_whole_sets) {
    // Each rank draws only its rows; Levenberg-Marquardt on the linear model over the shards
    // (a model and a shard dataset) against the single process on the whole set.
    const ctgrad::data::synthetic_options options{.num_train = 20000, .num_val = 0, .seed = 9};
    const std::vector w{2.0, -3.4, 0.7};
    auto mine = ctgrad::data::synthetic_regression_shard(w, 4.2, ctgrad::data::share_of(20000, world().rank(), world().ranks()), options);
    auto whole = ctgrad::data::synthetic_regression_shard(w, 4.2, {0, 20000}, options);
    auto spread_model = ctgrad::nn::linear_regression(0.1), alone_model = ctgrad::nn::linear_regression(0.1);
    const auto spread = ctgrad::levenberg_marquardt().minimize(world(), spread_model, mine);
    const auto single = ctgrad::levenberg_marquardt().minimize(alone_model, whole);
    const auto p = numbers_of(spread_model.parameters()), s = numbers_of(alone_model.parameters());
    BOOST_TEST(same_on_every_rank(p));
    BOOST_TEST(spread.examples == 20000u);
    for (std::size_t k = 0; k < p.size(); ++k) BOOST_TEST(close(p[k], s[k], 1e-12), p[k] << " against " << s[k]);
    BOOST_TEST(close(spread.cost, single.cost, 1e-12));
}

namespace {

/// A C-order float64 .npy file of `rows`, written by rank 0 and seen by every rank.
std::string write_npy(const xt::xtensor<double, 2>& rows, const std::string& name) {
    const std::string path = "ctgrad_test_mpi_" + name + ".npy";
    if (world().rank() == 0) {
        std::string header = "{'descr': '<f8', 'fortran_order': False, 'shape': (" + std::to_string(rows.shape(0)) + ", " +
                             std::to_string(rows.shape(1)) + "), }";
        header += std::string(63 - (10 + header.size()) % 64, ' ') + '\n';
        std::ofstream out(path, std::ios::binary);
        out << "\x93NUMPY" << char(1) << char(0) << char(header.size() % 256) << char(header.size() / 256) << header;
        out.write(reinterpret_cast<const char*>(rows.data()), std::streamsize(rows.size() * sizeof(double)));
    }
    world().barrier();
    return path;
}

} // namespace

BOOST_AUTO_TEST_CASE(training_over_npy_shards_keeps_their_batches_whole) {
    // 480 rows per rank, 12 batches of 40 each.
    const std::size_t per_rank = 480, n = per_rank * world().ranks();
    const auto set = ctgrad::data::synthetic_regression_shard(std::vector{2.0, -3.4}, 4.2, {0, n}, {.num_train = n, .num_val = 0, .seed = 2});
    auto rows = xt::xtensor<double, 2>::from_shape({n, 3});
    for (std::size_t i = 0; i < n; ++i) {
        rows(i, 0) = set.features()(0, i);
        rows(i, 1) = set.features()(1, i);
        rows(i, 2) = set.targets()(i);
    }
    const std::string path = write_npy(rows, "shards");
    auto mine = ctgrad::data::npy_dataset(path, {.batch_size = 40, .rows = ctgrad::data::share_of(n, world().rank(), world().ranks())});
    BOOST_TEST(mine.is_shard());
    ctgrad::linear_regression_scratch<double> model(2, 0.1, {.seed = world().rank()});
    const auto record = ctgrad::trainer({.max_epochs = 10}).fit(world(), model, mine);
    BOOST_TEST(record.batches_per_epoch == per_rank / 40); // the shard's batches, not a share of them
    const auto p = numbers_of(model.parameters());
    BOOST_TEST(same_on_every_rank(p));
    BOOST_TEST(std::abs(p[0] - 2.0) < 0.01);
    BOOST_TEST(std::abs(p[1] + 3.4) < 0.01);
    BOOST_TEST(std::abs(p[2] - 4.2) < 0.01);
    world().barrier();
    if (world().rank() == 0) std::filesystem::remove(path);
}

BOOST_AUTO_TEST_CASE(shards_of_other_batch_counts_are_an_error_on_every_rank) {
    if (world().ranks() == 1) return;
    // Rank 0 holds one example more: with batch size 1 it has one batch more.
    const std::size_t count = 10 + (world().rank() == 0 ? 1 : 0);
    auto mine = ctgrad::data::synthetic_regression_shard(std::vector{1.0}, 0.0, {0, count}, {.num_train = count, .num_val = 0, .batch_size = 1});
    ctgrad::linear_regression_scratch<double> model(1, 0.03);
    try {
        (void)ctgrad::trainer({.max_epochs = 1}).fit(world(), model, mine);
        BOOST_ERROR("no error");
    } catch (const ctgrad::invalid_argument& e) {
        BOOST_TEST(std::string(e.what()).find("rank 1 has 10 training and 0 validation batches, rank 0 11 and 0") != std::string::npos, e.what());
    }
}

int main(int argc, char** argv) {
    return ctgrad::mpi::run(argc, argv, [&](const ctgrad::mpi::communicator&) {
        return boost::unit_test::unit_test_main([] { return true; }, argc, argv);
    });
}
