// Training: sgd, clipping by global norm (against hand computations), the trainer on the
// book's workload (the accuracy table of docs/design.md, "The d2l reference" over 20 seeds), on a second model
// written by hand, divergence, determinism, the callbacks, and example-major data (the same
// parameters as feature-major).
#define BOOST_TEST_MODULE ctgrad_train
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include <ctgrad/ctgrad.hpp>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <sstream>
#include <string>
#include <vector>

using namespace ctgrad::literals;
namespace data = ctgrad::data;

namespace {

using scratch = ctgrad::linear_regression_scratch<double>;

struct fitted {
    double max_error = 0; // the largest |true - learnt| over w and b
    double val_loss = 0;
};

fitted fit_book(std::uint64_t seed, std::size_t epochs) {
    auto d = data::synthetic_regression_data({2, -3.4}, 4.2, {.seed = seed});
    scratch model(2, 0.03, {.seed = seed});
    const auto h = ctgrad::trainer({.max_epochs = epochs}).fit(model, d);
    const auto& p = model.parameters();
    fitted out;
    out.max_error = std::max({std::abs(p[scratch::w](0) - 2), std::abs(p[scratch::w](1) + 3.4), std::abs(p[scratch::b] - 4.2)});
    out.val_loss = h.val_loss.back();
    return out;
}

// A model written by hand (no library model class): y = a t + c t^2 + e for a scalar input t.
struct quadratic_model {
    using value_type = double;
    static constexpr ctgrad::input<"t"> t{};
    static constexpr ctgrad::input<"y"> y{};
    static constexpr ctgrad::param<"a"> a{};
    static constexpr ctgrad::param<"c"> c{};
    static constexpr ctgrad::param<"e"> e{};
    using parameters_type = ctgrad::parameter_store<double, ctgrad::param<"a">, ctgrad::param<"c">, ctgrad::param<"e">>;

    parameters_type m_parameters{0.0, 0.0, 0.0};

    static constexpr auto loss() { return ctgrad::square(a * t + c * ctgrad::square(t) + e - y); }
    auto bind(const data::minibatch<double>& batch) const { return ctgrad::make_batch(t = batch.features, y = batch.targets); }
    parameters_type& parameters() { return m_parameters; }
    ctgrad::sgd configure_optimizers() const { return ctgrad::sgd(0.05); }
};
static_assert(ctgrad::model<quadratic_model>);
static_assert(ctgrad::model<scratch>);
static_assert(!ctgrad::model<int>);

data::dataset<double> quadratic_data(std::size_t n, std::uint64_t seed) {
    data::random_engine random(seed);
    auto features = xt::xtensor<double, 2>::from_shape({1, n});
    auto targets = xt::xtensor<double, 1>::from_shape({n});
    for (std::size_t i = 0; i < n; ++i) {
        const double t = 2 * random.uniform() - 1;
        features(0, i) = t;
        targets(i) = 1.5 * t - 0.7 * t * t + 0.25 + 0.01 * random.normal();
    }
    return data::dataset<double>(std::move(features), std::move(targets), {.num_train = n * 4 / 5, .batch_size = 16, .seed = seed});
}

constexpr auto rows_layout = ctgrad::batch_layout::example_major;

// A model written by hand for example-major data only: d2l's linear regression.
struct rows_only_model {
    using value_type = double;
    scratch m_scratch{2, 0.03, {.seed = 4}};

    static constexpr auto loss() { return scratch::loss(); }
    auto bind(const data::minibatch<double, rows_layout>& batch) const {
        return ctgrad::make_batch(scratch::x = batch.features, scratch::y = batch.targets);
    }
    scratch::parameters_type& parameters() { return m_scratch.parameters(); }
    ctgrad::sgd configure_optimizers() const { return m_scratch.configure_optimizers(); }
};
static_assert(ctgrad::model<rows_only_model, rows_layout>);
static_assert(!ctgrad::model<rows_only_model>);
static_assert(ctgrad::model<scratch, rows_layout>);

// A callback that records what it hears.
struct recorder {
    std::vector<std::string> events;
    template <class M> void on_fit_begin(const M&, const ctgrad::fit_state&) { events.push_back("begin"); }
    template <class M> void on_batch_end(const M&, const ctgrad::fit_state& s) {
        if (s.batch == 0) events.push_back("batch " + std::to_string(s.epoch) + "." + std::to_string(s.batch));
    }
    template <class M> void on_epoch_end(const M&, const ctgrad::fit_state& s) { events.push_back("epoch " + std::to_string(s.epoch)); }
    template <class M> void on_fit_end(const M&, const ctgrad::fit_state&) { events.push_back("end"); }
};

} // namespace

BOOST_AUTO_TEST_SUITE(optimizers)

BOOST_AUTO_TEST_CASE(sgd_steps_against_the_gradient) {
    auto params = ctgrad::make_parameters(scratch::w = std::vector<double>{1.0, 2.0}, scratch::b = 0.5);
    auto grads = ctgrad::make_parameters(scratch::w = std::vector<double>{10.0, -20.0}, scratch::b = 4.0);
    ctgrad::sgd(0.1).step(params, grads);
    BOOST_TEST(params[scratch::w](0) == 1.0 - 0.1 * 10.0);
    BOOST_TEST(params[scratch::w](1) == 2.0 + 0.1 * 20.0);
    BOOST_TEST(params[scratch::b] == 0.5 - 0.1 * 4.0);
}

BOOST_AUTO_TEST_CASE(sgd_rejects_a_bad_learning_rate) {
    for (double lr : {0.0, -1.0, std::nan(""), HUGE_VAL}) BOOST_CHECK_THROW(ctgrad::sgd{lr}, ctgrad::invalid_argument);
}

BOOST_AUTO_TEST_CASE(clipping_by_global_norm_matches_a_hand_computation) {
    // |(3, 4, 12)| = 13: clipping to 6.5 halves every component.
    auto grads = ctgrad::make_parameters(scratch::w = std::vector<double>{3.0, 4.0}, scratch::b = 12.0);
    BOOST_TEST(ctgrad::global_norm(grads) == 13.0);
    BOOST_TEST(ctgrad::clip_by_global_norm(grads, 6.5) == 13.0);
    BOOST_TEST(grads[scratch::w](0) == 1.5);
    BOOST_TEST(grads[scratch::w](1) == 2.0);
    BOOST_TEST(grads[scratch::b] == 6.0);
    // Below the limit, or with 0 (off), nothing changes.
    BOOST_TEST(ctgrad::clip_by_global_norm(grads, 100.0) == 6.5);
    BOOST_TEST(ctgrad::clip_by_global_norm(grads, 0.0) == 6.5);
    BOOST_TEST(grads[scratch::b] == 6.0);
    // No overflow where squares would overflow.
    auto huge = ctgrad::make_parameters(scratch::w = std::vector<double>{3e200, 4e200}, scratch::b = 0.0);
    BOOST_TEST(ctgrad::global_norm(huge) == 5e200, boost::test_tools::tolerance(1e-15));
}

BOOST_AUTO_TEST_CASE(the_trainer_clips_before_the_step) {
    // One batch of one example: x = (1, 2), y = 0, w = 0, b = 1. The gradient of
    // square(r) / 2 is r * (x, 1) with r = 1: (1, 2, 1), norm sqrt(6). Clipped to 0.5 and
    // stepped with lr 1, every parameter moves by 0.5 / sqrt(6) times its component.
    auto d = data::dataset<double>(xt::xtensor<double, 2>{{1.0}, {2.0}}, xt::xtensor<double, 1>{0.0}, {.num_train = 1, .batch_size = 1});
    scratch model(2, 1.0, {.sigma = 0});
    model.parameters()[scratch::b] = 1.0;
    ctgrad::trainer({.max_epochs = 1, .gradient_clip_val = 0.5}).fit(model, d);
    const double scale = 0.5 / std::sqrt(6.0);
    BOOST_TEST(model.parameters()[scratch::w](0) == -1 * scale, boost::test_tools::tolerance(1e-14));
    BOOST_TEST(model.parameters()[scratch::w](1) == -2 * scale, boost::test_tools::tolerance(1e-14));
    BOOST_TEST(model.parameters()[scratch::b] == 1 - scale, boost::test_tools::tolerance(1e-14));
    BOOST_CHECK_THROW(ctgrad::trainer({.gradient_clip_val = -1}), ctgrad::invalid_argument);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(the_books_workload)

// docs/design.md, "The d2l reference", over 100 seeds: after 3 epochs max |Δw| 0.26, max |Δb| 0.29, val loss about
// 5e-2; after 5 epochs 0.047 / 0.044; after 10 epochs 0.001 / 0.0016, val loss <= 5.6e-5.
// The bounds asserted: < 0.35 and < 0.1 after 3 epochs, < 0.005 and < 1e-4 after 10.
// Measured here over the same 100 seeds: 0.263 / 0.277 / 0.086 (3 epochs), 0.048 / 0.046
// (5), 0.00095 / 0.00098 / 5.7e-5 (10).
BOOST_AUTO_TEST_CASE(three_epochs_over_100_seeds) {
    for (std::uint64_t seed = 0; seed < 100; ++seed) {
        const auto r = fit_book(seed, 3);
        BOOST_TEST(r.max_error < 0.35, "seed " << seed << ": max error " << r.max_error);
        BOOST_TEST(r.val_loss < 0.1, "seed " << seed << ": val loss " << r.val_loss);
    }
}

BOOST_AUTO_TEST_CASE(five_epochs_over_100_seeds) {
    for (std::uint64_t seed = 0; seed < 100; ++seed) {
        const auto r = fit_book(seed, 5);
        BOOST_TEST(r.max_error < 0.1, "seed " << seed << ": max error " << r.max_error);
    }
}

BOOST_AUTO_TEST_CASE(ten_epochs_over_100_seeds) {
    for (std::uint64_t seed = 0; seed < 100; ++seed) {
        const auto r = fit_book(seed, 10);
        BOOST_TEST(r.max_error < 0.005, "seed " << seed << ": max error " << r.max_error);
        BOOST_TEST(r.val_loss < 1e-4, "seed " << seed << ": val loss " << r.val_loss);
    }
}

BOOST_AUTO_TEST_CASE(the_same_seed_gives_bit_identical_parameters) {
    auto run = [] {
        auto d = data::synthetic_regression_data({2, -3.4}, 4.2, {.seed = 11});
        scratch model(2, 0.03, {.seed = 11});
        ctgrad::trainer({.max_epochs = 3}).fit(model, d);
        return model.parameters();
    };
    const auto a = run(), b = run();
    BOOST_TEST(std::memcmp(a[scratch::w].data(), b[scratch::w].data(), 2 * sizeof(double)) == 0);
    BOOST_TEST(std::memcmp(&a[scratch::b], &b[scratch::b], sizeof(double)) == 0);
}

BOOST_AUTO_TEST_CASE(the_history_holds_the_books_figure) {
    auto d = data::synthetic_regression_data({2, -3.4}, 4.2, {.seed = 2});
    scratch model(2, 0.03, {.seed = 2});
    const auto h = ctgrad::trainer({.max_epochs = 3}).fit(model, d);
    BOOST_TEST(h.epochs == 3u);
    BOOST_TEST(!h.stopped_early);
    BOOST_TEST(h.batches_per_epoch == 32u);
    BOOST_TEST(h.train_loss.size() == 96u);
    BOOST_TEST(h.val_loss.size() == 3u);
    // Two training points per epoch, each the mean of 16 batches at the mean of their x.
    const auto train = h.train_curve();
    BOOST_TEST(train.x.size() == 6u);
    BOOST_TEST(train.x[0] == 7.5 / 32, boost::test_tools::tolerance(1e-15));
    BOOST_TEST(train.x[5] == (80 + 95) / 2.0 / 32, boost::test_tools::tolerance(1e-15));
    double first16 = 0;
    for (int i = 0; i < 16; ++i) first16 += h.train_loss[i];
    BOOST_TEST(train.y[0] == first16 / 16, boost::test_tools::tolerance(1e-15));
    const auto val = h.val_curve();
    BOOST_TEST((val.x == std::vector<double>{1, 2, 3}));
    BOOST_TEST(val.y[2] == h.val_loss[2]);
    BOOST_TEST(val.y[2] < val.y[0]);
}

BOOST_AUTO_TEST_CASE(float_trains_too) {
    auto d = data::synthetic_regression_data(std::vector<float>{2.0f, -3.4f}, 4.2, {.seed = 3});
    ctgrad::linear_regression_scratch<float> model(2, 0.03, {.seed = 3});
    const auto h = ctgrad::trainer({.max_epochs = 10}).fit(model, d);
    BOOST_TEST(std::abs(model.parameters()[scratch::w](1) + 3.4f) < 0.005f);
    BOOST_TEST(h.val_loss.back() < 1e-4);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(generic_trainer)

BOOST_AUTO_TEST_CASE(a_hand_written_model_with_a_scalar_input_trains) {
    auto d = quadratic_data(2000, 7);
    quadratic_model model;
    const auto h = ctgrad::trainer({.max_epochs = 60}).fit(model, d);
    const auto& p = model.parameters();
    BOOST_TEST(std::abs(p[quadratic_model::a] - 1.5) < 0.01);
    BOOST_TEST(std::abs(p[quadratic_model::c] + 0.7) < 0.02);
    BOOST_TEST(std::abs(p[quadratic_model::e] - 0.25) < 0.01);
    BOOST_TEST(h.val_loss.back() < 2e-4); // the noise's variance is 1e-4
}

BOOST_AUTO_TEST_CASE(divergence_is_an_error_naming_epoch_and_batch_and_keeps_finite_parameters) {
    auto d = data::synthetic_regression_data({2, -3.4}, 4.2, {.seed = 1});
    scratch model(2, 3.0, {.seed = 1});
    try {
        ctgrad::trainer({.max_epochs = 10}).fit(model, d);
        BOOST_FAIL("lr = 3 did not diverge");
    } catch (const ctgrad::divergence_error& e) {
        BOOST_TEST(e.epoch() >= 1u);
        BOOST_TEST(e.batch() >= 1u);
        BOOST_TEST(e.batch() <= 32u);
        const std::string expected = "ctgrad::trainer: training diverged at epoch " + std::to_string(e.epoch()) + ", batch " +
                                     std::to_string(e.batch()) + ": ";
        BOOST_TEST(std::string(e.what()).rfind(expected, 0) == 0u, e.what());
        // The history up to the last completed step comes with the error.
        BOOST_TEST(e.partial().train_loss.size() == (e.epoch() - 1) * 32 + e.batch() - 1);
        BOOST_TEST(e.partial().batches_per_epoch == 32u);
    }
    BOOST_TEST(ctgrad::all_finite(model.parameters()));
}

BOOST_AUTO_TEST_CASE(with_the_factor_off_an_overflow_is_still_caught) {
    // In float, lr = 3 overflows within a few dozen steps.
    auto d = data::synthetic_regression_data(std::vector<float>{2.0f, -3.4f}, 4.2, {.seed = 1});
    ctgrad::linear_regression_scratch<float> model(2, 3.0, {.seed = 1});
    try {
        ctgrad::trainer({.max_epochs = 10, .divergence_factor = 0}).fit(model, d);
        BOOST_FAIL("lr = 3 did not overflow");
    } catch (const ctgrad::divergence_error& e) {
        const std::string what = e.what();
        BOOST_TEST((what.find("the training loss is +inf") != std::string::npos ||
                    what.find("the gradient is not finite") != std::string::npos ||
                    what.find("the step made a parameter non-finite") != std::string::npos),
                   what);
    }
    BOOST_TEST(ctgrad::all_finite(model.parameters()));
    BOOST_CHECK_THROW(ctgrad::trainer({.divergence_factor = -1}), ctgrad::invalid_argument);
}

BOOST_AUTO_TEST_CASE(parameters_of_another_length_than_the_features_are_a_typed_error) {
    auto d = data::synthetic_regression_data({2, -3.4, 1.0}, 4.2, {.seed = 1});
    scratch model(2, 0.03);
    BOOST_CHECK_EXCEPTION(ctgrad::trainer().fit(model, d), ctgrad::invalid_argument, [](const auto& e) {
        return std::string(e.what()) == "ctgrad: length mismatch in dot(x, w): x has length 3 but w has length 2";
    });
}

BOOST_AUTO_TEST_CASE(no_training_data_is_an_error) {
    auto d = data::dataset<double>(xt::xtensor<double, 2>{{1.0}}, xt::xtensor<double, 1>{0.0}, {.num_train = 0});
    scratch model(1, 0.1);
    BOOST_CHECK_THROW(ctgrad::trainer().fit(model, d), ctgrad::invalid_argument);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(callbacks)

BOOST_AUTO_TEST_CASE(callbacks_hear_every_stage_in_order) {
    auto d = data::synthetic_regression_data({2, -3.4}, 4.2, {.num_train = 64, .num_val = 10, .seed = 1});
    scratch model(2, 0.03);
    recorder r;
    ctgrad::trainer({.max_epochs = 2}).fit(model, d, r);
    BOOST_TEST((r.events == std::vector<std::string>{"begin", "batch 0.0", "epoch 0", "batch 1.0", "epoch 1", "end"}));
}

BOOST_AUTO_TEST_CASE(print_loss_prints_one_line_per_epoch) {
    auto d = data::synthetic_regression_data({2, -3.4}, 4.2, {.seed = 1});
    scratch model(2, 0.03);
    std::ostringstream out;
    const auto h = ctgrad::trainer({.max_epochs = 3}).fit(model, d, ctgrad::print_loss(out));
    std::istringstream lines(out.str());
    std::string line;
    int count = 0;
    while (std::getline(lines, line)) {
        ++count;
        BOOST_TEST(line.rfind("epoch " + std::to_string(count) + "/3: train loss ", 0) == 0u, line);
        BOOST_TEST(line.find(", val loss ") != std::string::npos);
    }
    BOOST_TEST(count == 3);
}

BOOST_AUTO_TEST_CASE(early_stop_at_min_loss_stops_once_the_loss_stalls) {
    // After about 10 epochs the validation loss sits at the noise floor and wanders.
    auto d = data::synthetic_regression_data({2, -3.4}, 4.2, {.seed = 4});
    scratch model(2, 0.03);
    ctgrad::early_stop_at_min_loss stop(3);
    const auto h = ctgrad::trainer({.max_epochs = 200}).fit(model, d, stop);
    BOOST_TEST(h.stopped_early);
    BOOST_TEST(h.epochs < 200u);
    BOOST_TEST(h.val_loss.size() == h.epochs);
    // The last 3 epochs did not beat the best before them, and the best is the minimum.
    const double best_before = *std::min_element(h.val_loss.begin(), h.val_loss.end() - 3);
    for (std::size_t e = h.epochs - 3; e < h.epochs; ++e) BOOST_TEST(h.val_loss[e] >= best_before);
    BOOST_TEST(stop.best_loss() == best_before);
}

BOOST_AUTO_TEST_CASE(store_best_keeps_the_parameters_of_the_best_epoch) {
    auto d = data::synthetic_regression_data({2, -3.4}, 4.2, {.seed = 5});
    scratch model(2, 0.03);
    ctgrad::store_best best(model);
    // Keep a copy of the parameters after every epoch, to compare.
    struct snapshots {
        std::vector<scratch::parameters_type> after;
        void on_epoch_end(const scratch& m, const ctgrad::fit_state&) { after.push_back(m.parameters()); }
    } snaps;
    const auto h = ctgrad::trainer({.max_epochs = 15}).fit(model, d, best, snaps);
    const auto at = std::min_element(h.val_loss.begin(), h.val_loss.end()) - h.val_loss.begin();
    BOOST_TEST(best.epoch() == std::size_t(at) + 1);
    BOOST_TEST(best.loss() == h.val_loss[at]);
    BOOST_TEST(best.parameters()[scratch::b] == snaps.after[at][scratch::b]);
    BOOST_TEST(best.parameters()[scratch::w](0) == snaps.after[at][scratch::w](0));
}

BOOST_AUTO_TEST_CASE(loss_log_writes_every_point_as_csv) {
    auto d = data::synthetic_regression_data({2, -3.4}, 4.2, {.seed = 6});
    scratch model(2, 0.03);
    std::ostringstream out;
    const auto h = ctgrad::trainer({.max_epochs = 2}).fit(model, d, ctgrad::loss_log(out));
    std::istringstream lines(out.str());
    std::string line;
    std::getline(lines, line);
    BOOST_TEST(line == "epoch,batch,x,train_loss,val_loss");
    std::vector<std::string> rows;
    while (std::getline(lines, line)) rows.push_back(line);
    BOOST_TEST(rows.size() == 2u * 32 + 2);
    BOOST_TEST(std::stod(rows[0].substr(rows[0].rfind(',', rows[0].size() - 2) + 1)) == h.train_loss[0]);
    BOOST_TEST(rows[32].rfind("1,,1,,", 0) == 0u);
    BOOST_TEST(std::stod(rows[32].substr(6)) == h.val_loss[0]);
}

BOOST_AUTO_TEST_CASE(progress_bar_draws_when_asked_and_erases_itself) {
    auto d = data::synthetic_regression_data({2, -3.4}, 4.2, {.seed = 7});
    scratch model(2, 0.03);
    std::ostringstream out;
    ctgrad::progress_bar bar(out, false, std::chrono::milliseconds(0));
    ctgrad::trainer({.max_epochs = 2}).fit(model, d, bar);
    BOOST_TEST(bar.draws() >= 1u);
    const std::string text = out.str();
    BOOST_TEST(text.find("epoch 1/2 [") != std::string::npos, text);
    BOOST_TEST(text.find(" ETA ") != std::string::npos);
    BOOST_TEST(text.substr(text.size() - 4) == "\r\x1b[K"); // nothing left on the line
    // Not a terminal (only_on_terminal defaults to true): silent.
    std::ostringstream quiet;
    ctgrad::progress_bar silent(quiet);
    ctgrad::trainer({.max_epochs = 1}).fit(model, d, silent);
    BOOST_TEST(quiet.str().empty());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(example_major_data)

BOOST_AUTO_TEST_CASE(the_books_model_learns_the_same_parameters_from_rows) {
    for (std::uint64_t seed = 0; seed < 10; ++seed) {
        auto columns = data::synthetic_regression_data({2, -3.4}, 4.2, {.seed = seed});
        auto rows = data::to_example_major(columns);
        scratch by_columns(2, 0.03, {.seed = seed}), by_rows(2, 0.03, {.seed = seed});
        const auto h_columns = ctgrad::trainer({.max_epochs = 10}).fit(by_columns, columns);
        const auto h_rows = ctgrad::trainer({.max_epochs = 10}).fit(by_rows, rows);
        const auto& p = by_rows.parameters();
        const auto& q = by_columns.parameters();
        BOOST_TEST(p[scratch::w](0) == q[scratch::w](0), boost::test_tools::tolerance(1e-12));
        BOOST_TEST(p[scratch::w](1) == q[scratch::w](1), boost::test_tools::tolerance(1e-12));
        BOOST_TEST(p[scratch::b] == q[scratch::b], boost::test_tools::tolerance(1e-12));
        BOOST_TEST(h_rows.val_loss.back() == h_columns.val_loss.back(), boost::test_tools::tolerance(1e-9));
        BOOST_TEST(h_rows.train_loss.size() == h_columns.train_loss.size());
        // The bounds of ten_epochs_over_100_seeds.
        const double max_error =
            std::max({std::abs(p[scratch::w](0) - 2), std::abs(p[scratch::w](1) + 3.4), std::abs(p[scratch::b] - 4.2)});
        BOOST_TEST(max_error < 0.005, "seed " << seed << ": max error " << max_error);
        BOOST_TEST(h_rows.val_loss.back() < 1e-4, "seed " << seed);
    }
}

BOOST_AUTO_TEST_CASE(library_and_hand_written_models_bind_rows) {
    auto columns = data::synthetic_regression_data({2, -3.4}, 4.2, {.seed = 4});
    auto rows = data::to_example_major(columns);
    // nn's concise model sizes its weight from the rows' features.
    auto concise_columns = ctgrad::nn::linear_regression(0.03, {.seed = 4});
    auto concise_rows = ctgrad::nn::linear_regression(0.03, {.seed = 4});
    ctgrad::trainer({.max_epochs = 5}).fit(concise_columns, columns);
    ctgrad::trainer({.max_epochs = 5}).fit(concise_rows, rows);
    const auto [w_rows, b_rows] = concise_rows.get_w_b();
    const auto [w_columns, b_columns] = concise_columns.get_w_b();
    BOOST_TEST_REQUIRE(w_rows.size() == 2u);
    BOOST_TEST(w_rows(1) == w_columns(1), boost::test_tools::tolerance(1e-12));
    BOOST_TEST(b_rows == b_columns, boost::test_tools::tolerance(1e-12));
    // A model that binds example-major batches only.
    rows_only_model hand_written;
    ctgrad::trainer({.max_epochs = 5}).fit(hand_written, rows);
    BOOST_TEST(std::abs(hand_written.parameters()[scratch::w](1) + 3.4) < 0.1);
}

BOOST_AUTO_TEST_CASE(a_scalar_input_reads_rows_of_one_feature) {
    // nn's model with a scalar input t: rows of one number each are t's column.
    constexpr ctgrad::input<"t"> t;
    constexpr ctgrad::param<"a"> a;
    constexpr ctgrad::param<"c"> c;
    constexpr ctgrad::param<"e"> e;
    auto columns = quadratic_data(400, 3);
    auto rows = data::to_example_major(columns);
    auto make = [&] { return ctgrad::nn::make_model(a * t + c * ctgrad::square(t) + e, ctgrad::loss::mse, ctgrad::input<"y">{}, {.lr = 0.1}); };
    auto by_columns = make(), by_rows = make();
    ctgrad::trainer({.max_epochs = 20}).fit(by_columns, columns);
    const auto h = ctgrad::trainer({.max_epochs = 20}).fit(by_rows, rows);
    BOOST_TEST(by_rows.parameters()[a] == by_columns.parameters()[a], boost::test_tools::tolerance(1e-12));
    BOOST_TEST(by_rows.parameters()[c] == by_columns.parameters()[c], boost::test_tools::tolerance(1e-12));
    BOOST_TEST(by_rows.parameters()[e] == by_columns.parameters()[e], boost::test_tools::tolerance(1e-12));
    BOOST_TEST(std::abs(by_rows.parameters()[a] - 1.5) < 0.1);
    BOOST_TEST(h.val_loss.back() < 0.01);
    // Rows of two features are not one scalar's column.
    auto two = data::to_example_major(data::synthetic_regression_data({1.0, 2.0}, 0.0, {.num_train = 8, .num_val = 0}));
    BOOST_CHECK_EXCEPTION((void)make().bind(two.train_batch()), ctgrad::invalid_argument, [](const auto& error) {
        return std::string(error.what()) == "ctgrad::nn::model::bind: the input t is a scalar but the data has 2 features";
    });
}

BOOST_AUTO_TEST_SUITE_END()
