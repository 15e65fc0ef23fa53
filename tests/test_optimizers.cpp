// The optimizers (optim/sgd.hpp, adam.hpp, rmsprop.hpp, adagrad.hpp) against torch.optim: from
// one start, under one sequence of gradients, every step's parameters in double and in float
// equal PyTorch's to rounding (tests/optimizer_reference.hpp, written by PyTorch itself through
// tests/optimizer_reference.py); the lr read and set between steps; the state's size checked, and
// no allocation in a step after the first (a counting operator new);
// a typed error naming each bad option; the learning-rate schedules against
// torch.optim.lr_scheduler's lr of every epoch, alone and through the trainer; and L-BFGS against
// torch.optim.LBFGS's iterates, evaluations and results, with and without its line search.
#define BOOST_TEST_MODULE ctgrad_optimizers
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include "optimizer_reference.hpp"

#include <ctgrad/ctgrad.hpp>
#include <ctgrad/optim/lbfgs.hpp>

#include <atomic>
#include <cmath>
#include <cstddef>
#include <cstdlib>
#include <new>
#include <functional>
#include <limits>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace {
std::atomic<std::size_t> allocations{0};
} // namespace

// Every allocation of the test program is counted, so a test can tell that a step made none.
// Not inlined: g++ would otherwise see free() take what a new-expression made, and warn.
[[gnu::noinline]] void* operator new(std::size_t size) {
    ++allocations;
    if (void* p = std::malloc(size > 0 ? size : 1)) return p;
    throw std::bad_alloc();
}
[[gnu::noinline]] void* operator new[](std::size_t size) { return operator new(size); }
[[gnu::noinline]] void operator delete(void* p) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete(void* p, std::size_t) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete[](void* p) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete[](void* p, std::size_t) noexcept { std::free(p); }

namespace {

constexpr ctgrad::param_vec<"w"> w;
constexpr ctgrad::param<"b"> b;

/// The reference's gradient of component j at step t (1-based), as tests/optimizer_reference.py.
double reference_gradient(int t, int j) {
    if (t == 3 && j == 1) return 0.0;
    if (j < 3) return std::sin(0.7 * t + j) * (1 + 0.1 * j);
    return std::cos(0.3 * t);
}

const optimizer_reference::lr_schedule& reference_schedule(std::string_view name) {
    for (const auto& s : optimizer_reference::schedules)
        if (s.name == name) return s;
    throw std::runtime_error("no reference schedule " + std::string(name));
}

const optimizer_reference::trajectory& reference(std::string_view name) {
    for (const auto& t : optimizer_reference::trajectories)
        if (t.name == name) return t;
    throw std::runtime_error("no reference trajectory " + std::string(name));
}

/// Runs the optimizer over the reference's steps in T and checks every step's parameters
/// against PyTorch's: within `tolerance` relative to the parameter's size (at least 1).
template <class T, class Optimizer>
void require_reference_trajectory(Optimizer opt, std::string_view name, double tolerance) {
    const auto& expected = reference(name);
    auto params = ctgrad::make_parameters<T>(w = std::vector<double>{optimizer_reference::start[0], optimizer_reference::start[1],
                                                                     optimizer_reference::start[2]},
                                             b = optimizer_reference::start[3]);
    auto grads = params.zeros_like();
    for (int t = 1; t <= optimizer_reference::steps; ++t) {
        for (int j = 0; j < 3; ++j) grads[w](j) = static_cast<T>(reference_gradient(t, j));
        grads[b] = static_cast<T>(reference_gradient(t, 3));
        opt.step(params, grads);
        const T got[4] = {params[w](0), params[w](1), params[w](2), params[b]};
        for (int j = 0; j < 4; ++j) {
            const double want = std::is_same_v<T, float> ? double(expected.in_float[t - 1][j]) : expected.in_double[t - 1][j];
            BOOST_TEST(std::abs(double(got[j]) - want) <= tolerance * std::max(1.0, std::abs(want)),
                       name << (std::is_same_v<T, float> ? " float" : " double") << ", step " << t << ", component " << j << ": "
                            << double(got[j]) << " against PyTorch's " << want);
        }
    }
}

/// The same optimizer in double (to 1e-14) and in float (to the roundings of 100 steps: ctgrad
/// and torch round some products and sums differently, and float's differences add up).
template <class Optimizer>
void require_reference(const Optimizer& opt, std::string_view name) {
    require_reference_trajectory<double>(opt, name, 1e-14);
    require_reference_trajectory<float>(opt, name, 4e-6);
}

bool message_is(const std::exception& e, const std::string& text) {
    BOOST_TEST_MESSAGE(e.what());
    return e.what() == text;
}

} // namespace

BOOST_AUTO_TEST_CASE(every_reference_trajectory_is_checked) {
    // Each of the reference's option sets has a test below; a new one without a test fails here.
    BOOST_TEST(std::size(optimizer_reference::trajectories) == 14u);
    BOOST_TEST(std::size(optimizer_reference::schedules) == 5u);
    BOOST_TEST(std::size(optimizer_reference::lbfgs_runs) == 4u);
}

BOOST_AUTO_TEST_CASE(sgd_follows_torch_optim_sgd) {
    require_reference(ctgrad::sgd(0.1), "sgd_plain");
    require_reference(ctgrad::sgd({.lr = 0.1, .momentum = 0.9}), "sgd_momentum");
    require_reference(ctgrad::sgd({.lr = 0.1, .momentum = 0.9, .dampening = 0.1, .weight_decay = 0.01}), "sgd_dampening_decay");
    require_reference(ctgrad::sgd({.lr = 0.1, .momentum = 0.9, .nesterov = true, .weight_decay = 0.01}), "sgd_nesterov");
}

BOOST_AUTO_TEST_CASE(adam_and_adamw_follow_torch_optim) {
    require_reference(ctgrad::adam(), "adam_default");
    require_reference(ctgrad::adam({.lr = 0.01, .beta1 = 0.8, .beta2 = 0.99, .eps = 1e-6, .weight_decay = 0.1}), "adam_options");
    require_reference(ctgrad::adam({.lr = 0.01, .amsgrad = true}), "adam_amsgrad");
    require_reference(ctgrad::adamw({.lr = 0.01}), "adamw_default");
    require_reference(ctgrad::adamw({.lr = 0.01, .weight_decay = 0.1, .amsgrad = true}), "adamw_amsgrad");
    BOOST_TEST(ctgrad::adamw().options().weight_decay == 0.01); // torch.optim.AdamW's default
    BOOST_TEST(ctgrad::adam().options().weight_decay == 0.0);
}

BOOST_AUTO_TEST_CASE(rmsprop_follows_torch_optim_rmsprop) {
    require_reference(ctgrad::rmsprop(), "rmsprop_default");
    require_reference(ctgrad::rmsprop({.centered = true}), "rmsprop_centered");
    require_reference(ctgrad::rmsprop({.lr = 0.01, .alpha = 0.9, .eps = 1e-6, .weight_decay = 0.1, .momentum = 0.5, .centered = true}),
                      "rmsprop_options");
}

BOOST_AUTO_TEST_CASE(adagrad_follows_torch_optim_adagrad) {
    require_reference(ctgrad::adagrad(), "adagrad_default");
    require_reference(ctgrad::adagrad({.lr = 0.1, .lr_decay = 0.05, .weight_decay = 0.1, .initial_accumulator_value = 0.5, .eps = 1e-8}),
                      "adagrad_options");
}

BOOST_AUTO_TEST_CASE(every_optimizer_satisfies_the_concept_and_trains_a_model) {
    using store = ctgrad::parameter_store<double, ctgrad::param_vec<"w">, ctgrad::param<"b">>;
    static_assert(ctgrad::optimizer<ctgrad::sgd, store> && ctgrad::optimizer<ctgrad::adam, store> &&
                  ctgrad::optimizer<ctgrad::adamw, store> && ctgrad::optimizer<ctgrad::rmsprop, store> &&
                  ctgrad::optimizer<ctgrad::adagrad, store>);
    // The mean of square(w·x + b − y) over a fixed batch, by each optimizer for 300 full-batch steps:
    // each ends near the least-squares parameters (w = [2, −3.4], b = 4.2; the data are exact).
    constexpr ctgrad::input_vec<"x"> x;
    constexpr ctgrad::input<"y"> y;
    auto d = ctgrad::data::synthetic_regression_data({2, -3.4}, 4.2, {.noise = 0, .num_train = 200, .num_val = 0});
    const auto batch = ctgrad::make_batch(x = d.train_batch().features, y = d.train_batch().targets);
    const auto loss = ctgrad::square(ctgrad::dot(w, x) + b - y);
    auto fit = [&](auto opt) {
        auto params = ctgrad::make_parameters(w = std::vector<double>{0.0, 0.0}, b = 0.0);
        auto grads = params.zeros_like();
        for (int i = 0; i < 300; ++i) {
            ctgrad::value_and_grad(loss, params, batch, grads);
            opt.step(params, grads);
        }
        return std::abs(params[w](0) - 2) + std::abs(params[w](1) + 3.4) + std::abs(params[b] - 4.2);
    };
    BOOST_TEST(fit(ctgrad::sgd({.lr = 0.05, .momentum = 0.9, .nesterov = true})) < 1e-6);
    BOOST_TEST(fit(ctgrad::adam({.lr = 0.1})) < 1e-3);
    BOOST_TEST(fit(ctgrad::adamw({.lr = 0.1, .weight_decay = 0})) < 1e-3);
    BOOST_TEST(fit(ctgrad::rmsprop({.lr = 0.03, .centered = true})) < 0.1); // at a constant lr it hovers within ~lr
    BOOST_TEST(fit(ctgrad::adagrad({.lr = 1.0})) < 1e-3);
}

BOOST_AUTO_TEST_CASE(the_lr_is_read_and_set_between_steps) {
    // Halving lr halves plain SGD's next step; adam's set_lr changes only the steps after it.
    ctgrad::sgd opt(0.2);
    auto params = ctgrad::make_parameters(w = std::vector<double>{1.0}, b = 1.0);
    auto grads = params.zeros_like();
    grads[w](0) = 1.0;
    grads[b] = -2.0;
    opt.step(params, grads);
    BOOST_TEST(params[b] == 1.4);
    opt.set_lr(0.1);
    BOOST_TEST(opt.lr() == 0.1);
    opt.step(params, grads);
    BOOST_TEST(params[b] == 1.6, boost::test_tools::tolerance(1e-15));

    ctgrad::adam a({.lr = 0.01});
    a.set_lr(1e-4);
    BOOST_TEST(a.lr() == 1e-4);
    BOOST_TEST(a.options().lr == 1e-4);
    BOOST_CHECK_THROW(a.set_lr(0), ctgrad::invalid_argument);
    BOOST_CHECK_THROW(ctgrad::rmsprop().set_lr(-1), ctgrad::invalid_argument);
    BOOST_CHECK_THROW(ctgrad::adagrad().set_lr(std::numeric_limits<double>::infinity()), ctgrad::invalid_argument);
}

BOOST_AUTO_TEST_CASE(the_state_belongs_to_the_parameters_of_the_first_step) {
    ctgrad::adam opt;
    auto two = ctgrad::make_parameters(w = std::vector<double>{1.0, 2.0}, b = 0.0);
    auto grads = two.zeros_like();
    opt.step(two, grads);
    BOOST_TEST(opt.steps() == 1u);
    auto three = ctgrad::make_parameters(w = std::vector<double>{1.0, 2.0, 3.0}, b = 0.0);
    auto more = three.zeros_like();
    BOOST_CHECK_EXCEPTION(opt.step(three, more), ctgrad::invalid_argument, [](const auto& e) {
        return message_is(e, "ctgrad::adam: the parameters have 4 components, but the optimizer's state was made for 3 "
                             "(and its number type); make one optimizer per model");
    });
    auto short_grads = two.zeros_like();
    short_grads[w] = xt::xtensor<double, 1>{1.0};
    BOOST_CHECK_EXCEPTION(ctgrad::sgd(0.1).step(two, short_grads), ctgrad::invalid_argument,
                          [](const auto& e) { return message_is(e, "ctgrad::sgd: the gradient of w has 1 entries but the parameter has 2"); });
}

/// The allocations of 100 steps of `opt` after its first, on a vector and a scalar parameter.
template <class T, class Optimizer>
std::size_t allocations_after_the_first_step(Optimizer opt) {
    auto params = ctgrad::make_parameters<T>(w = std::vector<T>{T(1), T(2), T(3)}, b = T(0));
    auto grads = params.zeros_like();
    for (std::size_t j = 0; j < 3; ++j) grads[w](j) = T(0.1) * T(j + 1);
    grads[b] = T(-0.2);
    opt.step(params, grads); // makes the state
    const std::size_t before = allocations.load();
    for (int t = 0; t < 100; ++t) opt.step(params, grads);
    return allocations.load() - before;
}

BOOST_AUTO_TEST_CASE(a_step_after_the_first_allocates_nothing) {
    {
        // The counter sees allocations: a control (kept in a static, so none can be elided).
        static std::vector<std::unique_ptr<double[]>> kept;
        kept.reserve(1);
        const std::size_t before = allocations.load();
        kept.push_back(std::make_unique<double[]>(1000));
        BOOST_TEST(allocations.load() - before == 1u);
    }
    BOOST_TEST(allocations_after_the_first_step<double>(ctgrad::sgd({.lr = 0.1, .momentum = 0.9, .nesterov = true})) == 0u);
    BOOST_TEST(allocations_after_the_first_step<double>(ctgrad::adam({.amsgrad = true})) == 0u);
    BOOST_TEST(allocations_after_the_first_step<double>(ctgrad::adamw()) == 0u);
    BOOST_TEST(allocations_after_the_first_step<double>(ctgrad::rmsprop({.momentum = 0.5, .centered = true})) == 0u);
    BOOST_TEST(allocations_after_the_first_step<double>(ctgrad::adagrad()) == 0u);
    BOOST_TEST(allocations_after_the_first_step<float>(ctgrad::adam()) == 0u);
    BOOST_TEST(allocations_after_the_first_step<float>(ctgrad::sgd({.lr = 0.1, .momentum = 0.9})) == 0u);
}

BOOST_AUTO_TEST_CASE(bad_options_are_typed_errors_naming_the_option) {
    auto throws = [](const std::function<void()>& make, const std::string& text) {
        BOOST_CHECK_EXCEPTION(make(), ctgrad::invalid_argument, [&](const auto& e) { return message_is(e, text); });
    };
    throws([] { ctgrad::sgd(0.0); }, "ctgrad::sgd: lr must be finite and > 0, not 0");
    throws([] { ctgrad::sgd({.lr = 0.1, .momentum = -0.5}); }, "ctgrad::sgd: momentum must be finite and >= 0, not -0.5");
    throws([] { ctgrad::sgd({.lr = 0.1, .nesterov = true}); },
           "ctgrad::sgd: nesterov needs momentum > 0 and dampening 0, not momentum 0 and dampening 0");
    throws([] { ctgrad::sgd({.lr = 0.1, .momentum = 0.9, .dampening = 0.1, .nesterov = true}); },
           "ctgrad::sgd: nesterov needs momentum > 0 and dampening 0, not momentum 0.9 and dampening 0.1");
    throws([] { ctgrad::adam({.beta1 = 1.0}); }, "ctgrad::adam: beta1 must be finite and in [0, 1), not 1");
    throws([] { ctgrad::adam({.beta2 = -0.1}); }, "ctgrad::adam: beta2 must be finite and in [0, 1), not -0.1");
    throws([] { ctgrad::adam({.eps = -1e-8}); }, "ctgrad::adam: eps must be finite and >= 0, not -1e-08");
    throws([] { ctgrad::adamw({.weight_decay = -0.01}); }, "ctgrad::adamw: weight_decay must be finite and >= 0, not -0.01");
    throws([] { ctgrad::adamw({.lr = std::nan("")}); }, "ctgrad::adamw: lr must be finite and > 0, not nan");
    throws([] { ctgrad::rmsprop({.alpha = 1.5}); }, "ctgrad::rmsprop: alpha must be finite and in [0, 1], not 1.5");
    throws([] { ctgrad::rmsprop({.momentum = -1}); }, "ctgrad::rmsprop: momentum must be finite and >= 0, not -1");
    throws([] { ctgrad::adagrad({.lr_decay = -1}); }, "ctgrad::adagrad: lr_decay must be finite and >= 0, not -1");
    throws([] { ctgrad::adagrad({.initial_accumulator_value = -1}); },
           "ctgrad::adagrad: initial_accumulator_value must be finite and >= 0, not -1");
}

BOOST_AUTO_TEST_SUITE(schedules)

template <class Schedule>
void require_reference_schedule(const Schedule& schedule, std::string_view name) {
    const auto& expected = reference_schedule(name);
    for (int e = 0; e < optimizer_reference::epochs; ++e)
        BOOST_TEST(schedule.lr_at(e, optimizer_reference::base_lr) == expected.lr[e], boost::test_tools::tolerance(1e-14) << name << ", epoch " << e);
}

BOOST_AUTO_TEST_CASE(epoch_schedules_follow_torch_optim_lr_scheduler) {
    require_reference_schedule(ctgrad::step_lr(3, 0.5), "step_lr");
    require_reference_schedule(ctgrad::exponential_lr(0.8), "exponential_lr");
    require_reference_schedule(ctgrad::cosine_annealing_lr({.t_max = 8, .eta_min = 0.001}), "cosine_annealing_lr");
    require_reference_schedule(ctgrad::cosine_annealing_lr({.t_max = 9, .eta_min = 0.001, .warmup_epochs = 3, .warmup_start_factor = 0.25}),
                               "cosine_with_warmup");
}

BOOST_AUTO_TEST_CASE(reduce_on_plateau_follows_torch_optim_lr_scheduler) {
    ctgrad::sgd opt(optimizer_reference::base_lr);
    const ctgrad::learning_rate_control lr(opt);
    ctgrad::reduce_lr_on_plateau plateau({.factor = 0.5, .patience = 2, .threshold = 0.01, .cooldown = 1, .min_lr = 0.01});
    const auto& expected = reference_schedule("reduce_lr_on_plateau");
    for (int e = 0; e + 1 < optimizer_reference::epochs; ++e) {
        BOOST_TEST(opt.lr() == expected.lr[e], "epoch " << e);
        plateau.observe(optimizer_reference::plateau_losses[e], lr);
    }
    BOOST_TEST(opt.lr() == expected.lr[optimizer_reference::epochs - 1]);
    BOOST_TEST(plateau.reductions() == 3u);
}

/// Records the lr each epoch ran with (put it before the schedule: callbacks run in order).
struct lr_recorder {
    std::vector<double> lrs;
    template <class M>
    void on_epoch_end(const M&, const ctgrad::fit_state& s) {
        lrs.push_back(s.learning_rate.get());
    }
};

BOOST_AUTO_TEST_CASE(a_schedule_sets_the_lr_of_every_epoch_of_a_fit) {
    auto d = ctgrad::data::synthetic_regression_data({2, -3.4}, 4.2, {.num_train = 64, .num_val = 64, .batch_size = 16});
    auto model = ctgrad::nn::linear_regression(optimizer_reference::base_lr);
    lr_recorder seen;
    ctgrad::step_lr schedule(3, 0.5);
    ctgrad::trainer({.max_epochs = 7}).fit(model, d, seen, schedule);
    const auto& expected = reference_schedule("step_lr");
    BOOST_REQUIRE(seen.lrs.size() == 7u);
    for (std::size_t e = 0; e < 7; ++e) BOOST_TEST(seen.lrs[e] == expected.lr[e], boost::test_tools::tolerance(1e-14) << "epoch " << e);
    BOOST_TEST(schedule.base_lr() == optimizer_reference::base_lr);
}

/// An optimizer with no lr: plain gradient descent by a fixed step.
struct fixed_step {
    template <class Store>
    void step(Store& params, const Store& grads) const {
        ctgrad::sgd(0.01).step(params, grads);
    }
};

struct model_with_fixed_step {
    using value_type = double;
    static constexpr ctgrad::input_vec<"x"> x{};
    static constexpr ctgrad::input<"y"> y{};
    ctgrad::parameter_store<double, ctgrad::param_vec<"w">, ctgrad::param<"b">> params{xt::xtensor<double, 1>{0.0, 0.0}, 0.0};
    auto& parameters() { return params; }
    const auto& parameters() const { return params; }
    auto loss() const { return ctgrad::square(ctgrad::dot(x, w) + b - y); }
    auto bind(const ctgrad::data::minibatch<double>& batch) const { return ctgrad::make_batch(x = batch.features, y = batch.targets); }
    fixed_step configure_optimizers() const { return {}; }
};

BOOST_AUTO_TEST_CASE(a_schedule_for_an_optimizer_without_lr_is_an_error_before_training) {
    static_assert(ctgrad::model<model_with_fixed_step>);
    auto d = ctgrad::data::synthetic_regression_data({2, -3.4}, 4.2, {.num_train = 32, .num_val = 0});
    model_with_fixed_step model;
    BOOST_CHECK_EXCEPTION(ctgrad::trainer({.max_epochs = 2}).fit(model, d, ctgrad::exponential_lr(0.9)), ctgrad::invalid_argument,
                          [](const auto& e) {
                              return message_is(e, "ctgrad::exponential_lr: the model's optimizer has no lr() and set_lr(); a learning-rate "
                                                   "schedule needs one (sgd, adam, adamw, rmsprop, adagrad)");
                          });
    BOOST_TEST(model.params[b] == 0.0); // nothing trained
}

BOOST_AUTO_TEST_CASE(bad_schedule_options_are_typed_errors) {
    BOOST_CHECK_THROW(ctgrad::step_lr(0), ctgrad::invalid_argument);
    BOOST_CHECK_THROW(ctgrad::exponential_lr(0), ctgrad::invalid_argument);
    BOOST_CHECK_THROW(ctgrad::cosine_annealing_lr({}), ctgrad::invalid_argument);
    BOOST_CHECK_EXCEPTION(ctgrad::reduce_lr_on_plateau({.factor = 1.0}), ctgrad::invalid_argument, [](const auto& e) {
        return message_is(e, "ctgrad::reduce_lr_on_plateau: factor must be finite and in (0, 1), not 1");
    });
    BOOST_CHECK_EXCEPTION(ctgrad::cosine_annealing_lr({.t_max = 5, .warmup_start_factor = 0}), ctgrad::invalid_argument, [](const auto& e) {
        return message_is(e, "ctgrad::cosine_annealing_lr: warmup_start_factor must be finite and in (0, 1], not 0");
    });
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(lbfgs)

const optimizer_reference::lbfgs_run& reference_run(std::string_view name) {
    for (const auto& r : optimizer_reference::lbfgs_runs)
        if (r.name == name) return r;
    throw std::runtime_error("no reference L-BFGS run " + std::string(name));
}

/// L-BFGS on the mean logistic loss of dot(w, x) + b, from 0, over the reference's data; each
/// minimize call's parameters, loss and cumulative counts against torch.optim.LBFGS's.
void require_logistic_run(const ctgrad::lbfgs_options& options, std::string_view name) {
    constexpr ctgrad::input_vec<"x"> x;
    constexpr ctgrad::input<"y"> y;
    constexpr int m = optimizer_reference::logistic_examples;
    auto xs = xt::xtensor<double, 2>::from_shape({2, m});
    auto ys = xt::xtensor<double, 1>::from_shape({m});
    for (int i = 0; i < m; ++i) {
        for (int j = 0; j < 2; ++j) xs(j, i) = std::sin(1.3 * i + 0.7 * j + 0.1);
        ys(i) = std::sin(2.3 * i) > 0.2 * xs(0, i) ? 1.0 : 0.0;
    }
    const auto loss = ctgrad::loss::logistic(ctgrad::dot(w, x) + b, y);
    auto params = ctgrad::make_parameters(w = std::vector<double>{0.0, 0.0}, b = 0.0);
    const auto batch = ctgrad::make_batch(x = xs, y = ys);
    ctgrad::lbfgs opt(options);
    const auto& expected = reference_run(name);
    std::size_t iterations = 0, evaluations = 0;
    for (int call = 0; call < expected.calls; ++call) {
        const auto result = opt.minimize(loss, params, batch);
        iterations += result.iterations;
        evaluations += result.evaluations;
        const double* want = expected.after[call];
        BOOST_TEST(params[w](0) == want[0], boost::test_tools::tolerance(1e-9) << name << ", call " << call);
        BOOST_TEST(params[w](1) == want[1], boost::test_tools::tolerance(1e-9));
        BOOST_TEST(params[b] == want[2], boost::test_tools::tolerance(1e-9));
        BOOST_TEST(ctgrad::value(loss, params, batch) == want[3], boost::test_tools::tolerance(1e-12));
        BOOST_TEST(iterations == std::size_t(want[4]), name << ", call " << call << ": " << ctgrad::to_string(result.termination));
        BOOST_TEST(evaluations == std::size_t(want[5]));
    }
}

BOOST_AUTO_TEST_CASE(follows_torch_optim_lbfgs_on_a_logistic_regression) {
    require_logistic_run({}, "lbfgs_logistic_default");
    require_logistic_run({.max_iter = 100, .line_search = ctgrad::lbfgs_line_search::strong_wolfe}, "lbfgs_logistic_wolfe");
    require_logistic_run({.lr = 0.5, .max_iter = 30, .history_size = 3}, "lbfgs_logistic_history");
}

BOOST_AUTO_TEST_CASE(follows_torch_optim_lbfgs_with_strong_wolfe_steps_on_rosenbrock) {
    // (1 − a)² + 100 (b − a²)², a per-example loss over one example of the input one = 1.
    constexpr ctgrad::input<"one"> one;
    constexpr ctgrad::param<"a"> a;
    constexpr ctgrad::param<"c"> c;
    using namespace ctgrad::literals;
    const auto loss = ctgrad::square(one - a) + 100_c * ctgrad::square(c - ctgrad::square(a));
    const xt::xtensor<double, 1> ones = {1.0};
    auto params = ctgrad::make_parameters(a = -1.2, c = 1.0);
    const auto result = ctgrad::lbfgs({.max_iter = 200, .tolerance_grad = 1e-12, .tolerance_change = 1e-14,
                                       .line_search = ctgrad::lbfgs_line_search::strong_wolfe})
                            .minimize(loss, params, ctgrad::make_batch(one = ones));
    const auto& expected = reference_run("lbfgs_rosenbrock_wolfe").after[0];
    BOOST_TEST(params[a] == expected[0], boost::test_tools::tolerance(1e-12));
    BOOST_TEST(params[c] == expected[1], boost::test_tools::tolerance(1e-12));
    BOOST_TEST(result.iterations == std::size_t(expected[4]), ctgrad::to_string(result.termination));
    BOOST_TEST(result.evaluations == std::size_t(expected[5]));
    BOOST_TEST(result.loss < 1e-15);
}

BOOST_AUTO_TEST_CASE(rejects_bad_options) {
    BOOST_CHECK_EXCEPTION(ctgrad::lbfgs({.lr = 0}), ctgrad::invalid_argument,
                          [](const auto& e) { return message_is(e, "ctgrad::lbfgs: lr must be finite and > 0, not 0"); });
    BOOST_CHECK_EXCEPTION(ctgrad::lbfgs({.max_iter = 0}), ctgrad::invalid_argument,
                          [](const auto& e) { return message_is(e, "ctgrad::lbfgs: max_iter must be at least 1"); });
    BOOST_CHECK_THROW(ctgrad::lbfgs({.history_size = 0}), ctgrad::invalid_argument);
    BOOST_CHECK_THROW(ctgrad::lbfgs({.tolerance_change = -1}), ctgrad::invalid_argument);
    BOOST_TEST(ctgrad::lbfgs({.max_iter = 8}).options().max_eval == 10u); // torch: max_iter * 5 / 4
}

BOOST_AUTO_TEST_SUITE_END()
