// The optimizers on d2l 3.4's task and on an ill-conditioned one.
//
// 1. The book's data and model (3 epochs, batch size 32) with each optimizer at the lr its
//    users start from: every one reaches the true parameters to the book's accuracy.
// 2. The same data with the second feature shrunk 20-fold and the same true weights: the loss's
//    curvature is then 400 times smaller along w[1] than along w[0] and b.
//    Plain SGD's lr is capped by the steep directions, so it crawls along the flat one; momentum
//    goes about 1 / (1 - 0.9) = 10 times as far per step; Adam, RMSprop and Adagrad divide each
//    component's step by its own gradient scale, which undoes the shrinking. The picture shows the
//    training loss of every step. Full-batch L-BFGS, which models the curvature, needs a handful
//    of iterations.
// 3. Exercise 6 of 3.4 (learning rates) again with Adam: its step is about lr per component
//    whatever the gradient, so lr = 3 does not blow up as SGD's does; it wanders at the scale of lr.
//
//   optimizers [--seed N] [--plot FILE.svg]
#include "flags.hpp"

#include <ctgrad/ctgrad.hpp>
#include <ctgrad/optim/lbfgs.hpp>

#include <cmath>
#include <cstdio>
#include <exception>
#include <iostream>
#include <string>
#include <utility>
#include <vector>

using namespace ctgrad::literals;

namespace {

constexpr ctgrad::param_vec<"w"> w;
constexpr ctgrad::param<"b"> b;
constexpr ctgrad::input_vec<"x"> x;
constexpr ctgrad::input<"y"> y;

/// d2l 3.4's model (squared loss with the ½, w and b from 0) with the optimizer it is given.
template <class Optimizer>
struct linear_model {
    using value_type = double;
    ctgrad::parameter_store<double, ctgrad::param_vec<"w">, ctgrad::param<"b">> params{xt::xtensor<double, 1>{0.0, 0.0}, 0.0};
    Optimizer optimizer;

    auto& parameters() { return params; }
    const auto& parameters() const { return params; }
    auto loss() const { return ctgrad::square(ctgrad::dot(x, w) + b - y) / 2_c; }
    auto bind(const ctgrad::data::minibatch<double>& batch) const { return ctgrad::make_batch(x = batch.features, y = batch.targets); }
    Optimizer configure_optimizers() const { return optimizer; }
};

struct run {
    std::string name;
    ctgrad::history history;
    std::string outcome; // the errors, or where it diverged
    double worst_error = 0;
};

/// Trains a fresh model with `optimizer` and reports its errors against the true (w, b).
template <class Optimizer, class Data>
run train(const std::string& name, const Optimizer& optimizer, Data& data, const std::vector<double>& true_w, double true_b,
          std::size_t epochs) {
    linear_model<Optimizer> model{.optimizer = optimizer};
    run out{name, {}, {}, 0};
    try {
        out.history = ctgrad::trainer({.max_epochs = epochs}).fit(model, data);
    } catch (const ctgrad::divergence_error& e) {
        out.history = e.partial();
        out.outcome = "diverged at epoch " + std::to_string(e.epoch()) + ", batch " + std::to_string(e.batch());
        return out;
    }
    const double errors[3] = {model.params[w](0) - true_w[0], model.params[w](1) - true_w[1], model.params[b] - true_b};
    char text[96];
    std::snprintf(text, sizeof text, "[%.4f, %.4f, %.4f]", errors[0], errors[1], errors[2]);
    out.outcome = text;
    for (const double e : errors) out.worst_error = std::max(out.worst_error, std::abs(e));
    return out;
}

/// Every optimizer, each at a common starting lr, on `data`.
template <class Data>
std::vector<run> train_each(Data& data, const std::vector<double>& true_w, double true_b, std::size_t epochs) {
    return {
        train("sgd lr 0.03", ctgrad::sgd(0.03), data, true_w, true_b, epochs),
        train("sgd lr 0.03 (momentum 0.9)", ctgrad::sgd({.lr = 0.03, .momentum = 0.9}), data, true_w, true_b, epochs),
        train("adam lr 0.1", ctgrad::adam({.lr = 0.1}), data, true_w, true_b, epochs),
        train("adamw lr 0.1", ctgrad::adamw({.lr = 0.1}), data, true_w, true_b, epochs),
        train("rmsprop lr 0.1", ctgrad::rmsprop({.lr = 0.1}), data, true_w, true_b, epochs),
        train("adagrad lr 1", ctgrad::adagrad({.lr = 1}), data, true_w, true_b, epochs),
    };
}

/// "LABEL: [e1, e2, ...]", the worst |error| of each run, for a reader and for the example's test.
std::string worst_errors(const std::string& label, const std::vector<double>& errors) {
    std::string line = label + ": [";
    char number[32];
    for (std::size_t i = 0; i < errors.size(); ++i) {
        std::snprintf(number, sizeof number, "%s%.4f", i > 0 ? ", " : "", errors[i]);
        line += number;
    }
    return line + "]";
}

void print_runs(const std::vector<run>& runs) {
    for (const auto& r : runs) {
        const double val = r.history.val_loss.empty() ? NAN : r.history.val_loss.back();
        std::printf("  %-27s val loss %-10.3g errors %s\n", (r.name + ":").c_str(), val, r.outcome.c_str());
    }
}

} // namespace

int main(int argc, char** argv) {
    std::uint64_t seed = 0;
    std::string plot_path = "optimizers.svg";
    examples::flags("optimizers")
        .count("seed", seed, 0, UINT64_MAX, "seeds the data and the shuffles")
        .path("plot", plot_path, "the SVG picture of the ill-conditioned problem's loss curves")
        .parse(argc, argv);

    try {
        const std::vector<double> true_w{2, -3.4};
        const double true_b = 4.2;
        auto book = ctgrad::data::synthetic_regression_data(true_w, true_b, {.seed = seed});
        std::printf("1. d2l 3.4's data and model, 3 epochs, batch size 32; errors (w[0], w[1], b) = fitted - true\n");
        const auto book_runs = train_each(book, true_w, true_b, 3);
        print_runs(book_runs);

        // The second feature shrunk, with the same weight: the book's noise, other targets.
        constexpr double shrink = 20;
        xt::xtensor<double, 2> features = book.features(); // a copy to change
        xt::xtensor<double, 1> targets = book.targets();
        for (std::size_t i = 0; i < features.shape(1); ++i) {
            features(1, i) /= shrink;
            targets(i) += true_w[1] * (features(1, i) - shrink * features(1, i));
        }
        ctgrad::data::dataset<double> skewed(std::move(features), std::move(targets), {.num_train = 1000, .batch_size = 32, .seed = seed});
        std::printf("\n2. the same with x[1] divided by %g and w as before: the loss is 400 times flatter along w[1]; 10 epochs\n",
                    shrink);
        const auto runs = train_each(skewed, true_w, true_b, 10);
        print_runs(runs);

        auto lbfgs_params = ctgrad::make_parameters(w = std::vector<double>{0.0, 0.0}, b = 0.0);
        const auto train_batch = ctgrad::make_batch(x = skewed.train_batch().features, y = skewed.train_batch().targets);
        const auto full = ctgrad::lbfgs({.max_iter = 100, .line_search = ctgrad::lbfgs_line_search::strong_wolfe})
                              .minimize(ctgrad::square(ctgrad::dot(x, w) + b - y) / 2_c,
                                        lbfgs_params, train_batch);
        const double lbfgs_errors[3] = {lbfgs_params[w](0) - true_w[0], lbfgs_params[w](1) - true_w[1], lbfgs_params[b] - true_b};
        std::printf("  %-27s train loss %.3g after %zu iterations (%zu fused passes), errors [%.4f, %.4f, %.4f]\n",
                    "lbfgs, full batch:", full.loss, full.iterations, full.evaluations, lbfgs_errors[0], lbfgs_errors[1],
                    lbfgs_errors[2]);
        double lbfgs_worst = 0;
        for (const double e : lbfgs_errors) lbfgs_worst = std::max(lbfgs_worst, std::abs(e));

        std::vector<ctgrad::plot::series> curves;
        for (const auto& r : runs) {
            ctgrad::plot::series s{r.name, {}, {}};
            for (std::size_t i = 0; i < r.history.train_loss.size(); ++i) {
                s.x.push_back(double(i + 1));
                s.y.push_back(r.history.train_loss[i]);
            }
            curves.push_back(std::move(s));
        }
        ctgrad::plot::write_svg(plot_path, curves,
                                {.title = "an ill-conditioned fit (x[1] shrunk 20-fold) with each optimizer", .x_label = "step",
                                 .y_label = "training batch loss (log scale)", .log_y = true});

        std::printf("\n3. exercise 6 of 3.4 with adam instead of sgd, 10 epochs (sgd: lr 3 diverges, lr 0.003 is still far)\n");
        std::vector<double> adam_worst;
        for (const double lr : {0.003, 0.03, 0.3, 3.0}) {
            char name[32];
            std::snprintf(name, sizeof name, "adam lr %g", lr);
            const run r = train(name, ctgrad::adam({.lr = lr}), book, true_w, true_b, 10);
            print_runs({r});
            adam_worst.push_back(r.worst_error);
        }

        std::printf("\nthe largest |error| of each run:\n");
        std::vector<double> book_worst;
        for (const auto& r : book_runs) book_worst.push_back(r.worst_error);
        std::printf("%s\n", worst_errors("1. d2l 3.4 (sgd, momentum, adam, adamw, rmsprop, adagrad)", book_worst).c_str());
        std::printf("%s\n", worst_errors("2. ill-conditioned (sgd, momentum)", {runs[0].worst_error, runs[1].worst_error}).c_str());
        std::printf("%s\n", worst_errors("2. ill-conditioned (adam, rmsprop, adagrad, lbfgs)",
                                          {runs[2].worst_error, runs[4].worst_error, runs[5].worst_error, lbfgs_worst})
                                 .c_str());
        std::printf("%s\n", worst_errors("3. adam at lr 0.003", {adam_worst[0]}).c_str());
        std::printf("%s\n", worst_errors("3. adam at lr 0.03, 0.3, 3", {adam_worst[1], adam_worst[2], adam_worst[3]}).c_str());
        std::cout << "\nwrote " << plot_path << '\n';
    } catch (const std::exception& e) {
        std::cerr << "optimizers: " << e.what() << '\n';
        return 1;
    }
}
