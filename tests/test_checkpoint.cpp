// Checkpoints (train/checkpoint.hpp, train/checkpoint_file.hpp, trainer::resume): a run stopped
// after an epoch, or within one, and resumed from its file ends bit for bit where the
// uninterrupted run ends (parameters, history, callbacks' state), for every optimizer with
// state, in double and float; a save replaces the file whole; and a missing, foreign,
// truncated, corrupted or mismatched file is a checkpoint_error that says which and changes
// nothing.
#define BOOST_TEST_MODULE ctgrad_checkpoint
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include <ctgrad/ctgrad.hpp>

#include <cstddef>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <vector>

using namespace ctgrad::literals;

namespace {

constexpr ctgrad::param_vec<"w"> w;
constexpr ctgrad::param<"b"> b;
constexpr ctgrad::input_vec<"x"> x;
constexpr ctgrad::input<"y"> y;

/// d2l 3.4's model with any optimizer.
template <class T, class Optimizer>
struct regression {
    using value_type = T;
    ctgrad::parameter_store<T, ctgrad::param_vec<"w">, ctgrad::param<"b">> params{xt::xtensor<T, 1>{T(0.3), T(-0.2)}, T(0)};
    Optimizer optimizer;

    auto& parameters() { return params; }
    const auto& parameters() const { return params; }
    auto loss() const { return ctgrad::square(ctgrad::dot(x, w) + b - y) / 2_c; }
    auto bind(const ctgrad::data::minibatch<T>& batch) const { return ctgrad::make_batch(x = batch.features, y = batch.targets); }
    Optimizer configure_optimizers() const { return optimizer; }
};

template <class T>
auto book_data(std::size_t batch_size = 32) {
    return ctgrad::data::synthetic_regression_data(std::vector<T>{T(2), T(-3.4)}, 4.2,
                                                   {.num_train = 200, .num_val = 100, .batch_size = batch_size, .seed = 5});
}

/// A path in the test's temporary directory, removed with its temporary twin at the end.
struct scratch_file {
    std::filesystem::path path;
    explicit scratch_file(const std::string& name) : path(std::filesystem::temp_directory_path() / ("ctgrad_test_" + name)) {
        remove();
    }
    ~scratch_file() { remove(); }
    void remove() const {
        std::filesystem::remove(path);
        std::filesystem::remove(std::filesystem::path(path.string() + ".tmp"));
    }
};

/// Stands for a crash: throws after batch `batch` of epoch `epoch` (both from 0).
struct crash_at {
    std::size_t epoch, batch;
    template <class M>
    void on_batch_end(const M&, const ctgrad::fit_state& s) const {
        if (s.epoch == epoch && s.batch == batch) throw std::runtime_error("crash");
    }
};

/// Saves the run after batch `batch` of epoch `epoch`.
struct save_at {
    std::size_t epoch, batch;
    std::filesystem::path path;
    template <class M>
    void on_batch_end(const M&, const ctgrad::fit_state& s) const {
        if (s.epoch == epoch && s.batch == batch) s.checkpoint.save(path);
    }
};

/// An optimizer with no serialize(archive): plain gradient descent by a fixed step.
struct fixed_step {
    void step(auto& params, const auto& grads) const { ctgrad::sgd(0.01).step(params, grads); }
};

template <class T>
void require_same_bits(const T& resumed, const T& uninterrupted, const char* what) {
    BOOST_TEST(std::memcmp(&resumed, &uninterrupted, sizeof(T)) == 0, what << ": " << resumed << " against " << uninterrupted);
}

template <class Model>
void require_same_run(const Model& resumed, const ctgrad::history& resumed_record, const Model& uninterrupted,
                      const ctgrad::history& uninterrupted_record) {
    for (std::size_t j = 0; j < 2; ++j) require_same_bits(resumed.params[w](j), uninterrupted.params[w](j), "w");
    require_same_bits(resumed.params[b], uninterrupted.params[b], "b");
    BOOST_TEST(resumed_record.train_loss == uninterrupted_record.train_loss);
    BOOST_TEST(resumed_record.val_loss == uninterrupted_record.val_loss);
    BOOST_TEST(resumed_record.epochs == uninterrupted_record.epochs);
}

/// Trains 6 epochs with the given schedule and store_best, uninterrupted; then again with a
/// checkpoint every 2 epochs and a crash in the fifth epoch, resumed by a fresh model, data and
/// callbacks from the file saved after the fourth.
template <class T, class Optimizer, class Schedule>
void require_bit_identical_resume(const Optimizer& optimizer, const Schedule& schedule, const char* name) {
    BOOST_TEST_CONTEXT(name << (std::is_same_v<T, float> ? " in float" : " in double")) {
        const ctgrad::trainer trainer({.max_epochs = 6});
        regression<T, Optimizer> uninterrupted{.optimizer = optimizer};
        auto data = book_data<T>();
        Schedule uninterrupted_schedule = schedule;
        ctgrad::store_best<decltype(uninterrupted.params)> best(uninterrupted);
        const auto record = trainer.fit(uninterrupted, data, uninterrupted_schedule, best);

        scratch_file file(std::string("resume_") + name);
        {
            regression<T, Optimizer> first{.optimizer = optimizer};
            auto first_data = book_data<T>();
            Schedule first_schedule = schedule;
            ctgrad::store_best<decltype(first.params)> first_best(first);
            BOOST_CHECK_THROW(trainer.fit(first, first_data, first_schedule, first_best, ctgrad::checkpoint(file.path, {.every_epochs = 2}),
                                          crash_at{4, 3}),
                              std::runtime_error);
        }
        regression<T, Optimizer> resumed{.optimizer = optimizer};
        auto resumed_data = book_data<T>();
        Schedule resumed_schedule = schedule;
        ctgrad::store_best<decltype(resumed.params)> resumed_best(resumed);
        const auto resumed_record = trainer.resume(file.path, resumed, resumed_data, resumed_schedule, resumed_best,
                                                   ctgrad::checkpoint(file.path, {.every_epochs = 2}));
        require_same_run(resumed, resumed_record, uninterrupted, record);
        BOOST_TEST(resumed_best.epoch() == best.epoch());
        require_same_bits(resumed_best.loss(), best.loss(), "store_best's loss");
        require_same_bits(resumed_best.parameters()[b], best.parameters()[b], "store_best's b");
    }
}

template <class T>
void require_every_optimizer_resumes(const char* type) {
    const std::string t = type;
    require_bit_identical_resume<T>(ctgrad::sgd({.lr = 0.03, .momentum = 0.9, .nesterov = true}), ctgrad::step_lr(2, 0.5),
                                    (t + "_sgd").c_str());
    require_bit_identical_resume<T>(ctgrad::adam({.lr = 0.05, .amsgrad = true}), ctgrad::exponential_lr(0.9), (t + "_adam").c_str());
    require_bit_identical_resume<T>(ctgrad::adamw({.lr = 0.05}), ctgrad::cosine_annealing_lr({.t_max = 6, .warmup_epochs = 2}),
                                    (t + "_adamw").c_str());
    require_bit_identical_resume<T>(ctgrad::rmsprop({.lr = 0.01, .momentum = 0.5, .centered = true}),
                                    ctgrad::reduce_lr_on_plateau({.factor = 0.5, .patience = 0, .threshold = 0.5}),
                                    (t + "_rmsprop").c_str());
    require_bit_identical_resume<T>(ctgrad::adagrad({.lr = 0.3, .lr_decay = 0.01}), ctgrad::early_stop_at_min_loss(10),
                                    (t + "_adagrad").c_str());
}

/// Saves a run of adam after 2 epochs and returns the file's bytes.
std::string saved_run(const std::filesystem::path& path) {
    regression<double, ctgrad::adam> model{.optimizer = ctgrad::adam({.lr = 0.05})};
    auto data = book_data<double>();
    ctgrad::trainer({.max_epochs = 2}).fit(model, data, ctgrad::checkpoint(path));
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_bytes(const std::filesystem::path& path, const std::string& bytes) {
    std::ofstream(path, std::ios::binary | std::ios::trunc).write(bytes.data(), std::streamsize(bytes.size()));
}

/// Runs `resume` and requires a checkpoint_error of `why` whose message contains `text`.
template <class F>
void require_checkpoint_error(F&& resume, ctgrad::checkpoint_error::reason why, const std::string& text) {
    try {
        resume();
        BOOST_ERROR("no checkpoint_error; expected one saying: " << text);
    } catch (const ctgrad::checkpoint_error& e) {
        BOOST_TEST_MESSAGE(e.what());
        BOOST_TEST((e.why() == why), e.what());
        BOOST_TEST(std::string(e.what()).find(text) != std::string::npos, e.what() << "\n  does not contain: " << text);
    }
}

} // namespace

BOOST_AUTO_TEST_CASE(a_run_resumed_after_a_crash_ends_bit_identical_in_double) { require_every_optimizer_resumes<double>("double"); }

BOOST_AUTO_TEST_CASE(a_run_resumed_after_a_crash_ends_bit_identical_in_float) { require_every_optimizer_resumes<float>("float"); }

BOOST_AUTO_TEST_CASE(a_run_saved_within_an_epoch_resumes_at_the_next_batch) {
    using model_type = regression<double, ctgrad::adam>;
    const ctgrad::trainer trainer({.max_epochs = 3});
    model_type uninterrupted{.optimizer = ctgrad::adam({.lr = 0.05})};
    auto data = book_data<double>(16);
    const auto record = trainer.fit(uninterrupted, data);

    // 13 batches per epoch: a save after batch 12 is before the epoch's validation.
    for (const std::size_t batch : {std::size_t(4), std::size_t(12)}) {
        scratch_file file("within_epoch");
        model_type first{.optimizer = ctgrad::adam({.lr = 0.05})};
        auto first_data = book_data<double>(16);
        BOOST_CHECK_THROW(trainer.fit(first, first_data, save_at{1, batch, file.path}, crash_at{2, 1}), std::runtime_error);
        model_type resumed{.optimizer = ctgrad::adam({.lr = 0.05})};
        auto resumed_data = book_data<double>(16);
        const auto resumed_record = trainer.resume(file.path, resumed, resumed_data);
        require_same_run(resumed, resumed_record, uninterrupted, record);
    }
}

BOOST_AUTO_TEST_CASE(the_checkpoint_callback_saves_every_n_epochs_and_after_the_last) {
    BOOST_CHECK_THROW(ctgrad::checkpoint("run.ckpt", {.every_epochs = 0}), ctgrad::invalid_argument);
    BOOST_CHECK_THROW(ctgrad::checkpoint(""), ctgrad::invalid_argument);
    scratch_file file("every_n");
    regression<double, ctgrad::sgd> model{.optimizer = ctgrad::sgd(0.03)};
    auto data = book_data<double>();
    const auto record = ctgrad::trainer({.max_epochs = 5}).fit(model, data, ctgrad::checkpoint(file.path, {.every_epochs = 2}));
    // The last save is epoch 5's: resuming it with the same max_epochs trains nothing more.
    regression<double, ctgrad::sgd> resumed{.optimizer = ctgrad::sgd(0.03)};
    auto resumed_data = book_data<double>();
    const auto resumed_record = ctgrad::trainer({.max_epochs = 5}).resume(file.path, resumed, resumed_data);
    require_same_run(resumed, resumed_record, model, record);
    // A resumed run can go on past the saved run's end.
    const auto longer = ctgrad::trainer({.max_epochs = 7}).resume(file.path, resumed, resumed_data);
    BOOST_TEST(longer.epochs == 7u);
    BOOST_TEST(longer.val_loss.back() < record.val_loss.back());
    // Nothing is left under the temporary name.
    BOOST_TEST(!std::filesystem::exists(file.path.string() + ".tmp"));
}

BOOST_AUTO_TEST_CASE(a_save_that_cannot_be_written_is_an_error_and_keeps_nothing_half_written) {
    const auto dir = std::filesystem::temp_directory_path() / "ctgrad_test_no_such_directory";
    std::filesystem::remove_all(dir);
    regression<double, ctgrad::sgd> model{.optimizer = ctgrad::sgd(0.03)};
    auto data = book_data<double>();
    require_checkpoint_error([&] { ctgrad::trainer({.max_epochs = 1}).fit(model, data, ctgrad::checkpoint(dir / "run.ckpt")); },
                             ctgrad::checkpoint_error::reason::io, "cannot create the file");
    BOOST_TEST(!std::filesystem::exists(dir));
}

BOOST_AUTO_TEST_CASE(an_optimizer_without_state_to_save_is_named) {
    scratch_file file("fixed_step");
    regression<double, fixed_step> model;
    auto data = book_data<double>();
    BOOST_CHECK_EXCEPTION(ctgrad::trainer({.max_epochs = 1}).fit(model, data, ctgrad::checkpoint(file.path)), ctgrad::invalid_argument,
                          [](const auto& e) {
                              return std::string(e.what()).find("this optimizer has no serialize(archive) member") != std::string::npos;
                          });
    BOOST_TEST(!std::filesystem::exists(file.path));
}

BOOST_AUTO_TEST_CASE(unreadable_files_are_typed_errors) {
    using reason = ctgrad::checkpoint_error::reason;
    scratch_file file("damaged");
    const std::string bytes = saved_run(file.path);
    BOOST_REQUIRE(bytes.size() > 100);
    auto resume = [&] {
        regression<double, ctgrad::adam> model{.optimizer = ctgrad::adam({.lr = 0.05})};
        auto data = book_data<double>();
        ctgrad::trainer({.max_epochs = 3}).resume(file.path, model, data);
    };
    scratch_file missing("missing");
    require_checkpoint_error(
        [&] {
            regression<double, ctgrad::adam> model{.optimizer = ctgrad::adam({.lr = 0.05})};
            auto data = book_data<double>();
            ctgrad::trainer({.max_epochs = 3}).resume(missing.path, model, data);
        },
        reason::io, "ctgrad::trainer::resume: " + missing.path.string() + ": cannot open the file");

    write_bytes(file.path, "x,y\n1,2\n");
    require_checkpoint_error(resume, reason::foreign, "not a ctgrad checkpoint");
    write_bytes(file.path, bytes.substr(0, 5));
    require_checkpoint_error(resume, reason::truncated, "truncated: 5 bytes, shorter than the 32-byte header");
    write_bytes(file.path, bytes.substr(0, bytes.size() - 10));
    require_checkpoint_error(resume, reason::truncated,
                             "truncated: " + std::to_string(bytes.size() - 42) + " of its " + std::to_string(bytes.size() - 32) + " bytes");
    std::string flipped = bytes;
    flipped[bytes.size() / 2] ^= 0x10;
    write_bytes(file.path, flipped);
    require_checkpoint_error(resume, reason::corrupted, "its contents do not match its checksum");
    std::string other_version = bytes;
    other_version[8] = 9;
    write_bytes(file.path, other_version);
    require_checkpoint_error(resume, reason::foreign, "checkpoint format version 9; this ctgrad reads version 1");
    write_bytes(file.path, bytes + "more");
    require_checkpoint_error(resume, reason::corrupted, "4 bytes after the end of the checkpoint");
    write_bytes(file.path, bytes);
    BOOST_CHECK_NO_THROW(resume());
}

/// A model like regression<double, adam> with another parameter list.
struct model_with_a_third_parameter {
    using value_type = double;
    static constexpr ctgrad::param<"c"> c{};
    ctgrad::parameter_store<double, ctgrad::param_vec<"w">, ctgrad::param<"b">, ctgrad::param<"c">> params{xt::xtensor<double, 1>{0, 0}, 0.0,
                                                                                                           0.0};
    auto& parameters() { return params; }
    const auto& parameters() const { return params; }
    auto loss() const { return ctgrad::square(ctgrad::dot(x, w) + b + c - y); }
    auto bind(const ctgrad::data::minibatch<double>& batch) const { return ctgrad::make_batch(x = batch.features, y = batch.targets); }
    ctgrad::adam configure_optimizers() const { return ctgrad::adam(); }
};

BOOST_AUTO_TEST_CASE(another_runs_checkpoint_is_a_typed_error_naming_the_difference) {
    using reason = ctgrad::checkpoint_error::reason;
    scratch_file file("mismatch");
    (void)saved_run(file.path); // adam, double, w of 2 and b, batches of 32 of 200 examples, no callbacks with state
    const ctgrad::trainer trainer({.max_epochs = 3});
    require_checkpoint_error(
        [&] {
            regression<float, ctgrad::adam> model;
            auto data = book_data<float>();
            trainer.resume(file.path, model, data);
        },
        reason::mismatched, "another run's checkpoint: the parameters' number type is \"double\" there but \"float\" here");
    require_checkpoint_error(
        [&] {
            model_with_a_third_parameter model;
            auto data = book_data<double>();
            trainer.resume(file.path, model, data);
        },
        reason::mismatched, "the number of parameters is 2 there but 3 here");
    require_checkpoint_error(
        [&] {
            regression<double, ctgrad::adam> model;
            model.params[w] = xt::xtensor<double, 1>{0, 0, 0};
            auto data = ctgrad::data::synthetic_regression_data({2, -3.4, 1}, 4.2, {.num_train = 200, .num_val = 100, .seed = 5});
            trainer.resume(file.path, model, data);
        },
        reason::mismatched, "the length of w is 2 there but 3 here");
    // The optimizer comes after the parameters in the file: the model keeps its own all the same.
    regression<double, ctgrad::sgd> with_sgd{.optimizer = ctgrad::sgd(0.03)};
    const auto before = with_sgd.params;
    require_checkpoint_error(
        [&] {
            auto data = book_data<double>();
            trainer.resume(file.path, with_sgd, data);
        },
        reason::mismatched, "the optimizer is \"ctgrad::adam\" there but \"ctgrad::sgd\" here");
    BOOST_TEST(with_sgd.params[w](0) == before[w](0));
    BOOST_TEST(with_sgd.params[w](1) == before[w](1));
    BOOST_TEST(with_sgd.params[b] == before[b]);
    require_checkpoint_error(
        [&] {
            regression<double, ctgrad::adam> model;
            auto data = book_data<double>(16);
            trainer.resume(file.path, model, data);
        },
        reason::mismatched, "a loader's batch size is 32 there but 16 here");
    require_checkpoint_error(
        [&] {
            regression<double, ctgrad::adam> model;
            auto data = book_data<double>();
            trainer.resume(file.path, model, data, ctgrad::reduce_lr_on_plateau());
        },
        reason::mismatched, "the number of callbacks with state is 0 there but 1 here");
}
