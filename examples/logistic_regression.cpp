// Logistic regression with the same pieces as d2l 3.4/3.5: synthetic two-class data, the ready
// linear layer giving a logit z = dot(x, w) + b, the ready logistic loss (binary cross-entropy
// on the logit, loss::logistic, written so that exp cannot overflow), the same trainer, and
// y_hat = sigmoid(z) as the predicted probability of class 1.
//
// The data: y ~ Bernoulli(1/2); x ~ N(mu_y, I) in 2-D with mu_0 = (-1, -1), mu_1 = (2, 2).
// For two Gaussians with a shared covariance the log-odds are exactly linear,
// log p(1|x) / p(0|x) = (mu_1 - mu_0) . x - (|mu_1|^2 - |mu_0|^2) / 2 = 3 x_0 + 3 x_1 - 3, so
// logistic regression is the right model and w = (3, 3), b = -3 are its true parameters.
// The best possible accuracy is Phi(|mu_1 - mu_0| / 2) = Phi(2.12) = 98.3%. Accuracy is
// measured on the validation split with predict (sigmoid(z) > 1/2), as is the accuracy of
// the true parameters on the same examples. The loss is flat where most examples are already
// classified well (its curvature is sigmoid(z) (1 - sigmoid(z)) times that of the squared
// loss), so a large lr (1) and 50 epochs are needed to come near (3, 3, -3); the accuracy is
// above 97% after a few epochs already.
//
//   logistic_regression [--epochs N] [--lr X] [--seed N]
#include "flags.hpp"

#include <ctgrad/ctgrad.hpp>

#include <cmath>
#include <cstdio>
#include <exception>
#include <iostream>
#include <vector>

int main(int argc, char** argv) {
    std::uint64_t epochs = 50, seed = 0;
    double lr = 1;
    examples::flags("logistic_regression")
        .count("epochs", epochs, 1, 1'000'000, "passes over the training data")
        .positive("lr", lr, "learning rate of minibatch SGD")
        .count("seed", seed, 0, UINT64_MAX, "seeds the data and the shuffles")
        .parse(argc, argv);

    constexpr ctgrad::input_vec<"x"> x;
    constexpr ctgrad::input<"y"> y;
    constexpr ctgrad::nn::linear net;
    const std::size_t num_train = 1000, num_val = 1000, n = num_train + num_val;
    const double mu[2][2] = {{-1, -1}, {2, 2}};
    const double true_w[2] = {3, 3}, true_b = -3;

    try {
        ctgrad::data::random_engine random(seed);
        auto features = xt::xtensor<double, 2>::from_shape({2, n});
        auto labels = xt::xtensor<double, 1>::from_shape({n});
        for (std::size_t i = 0; i < n; ++i) {
            const int label = random.uniform() < 0.5 ? 1 : 0;
            labels(i) = label;
            for (std::size_t j = 0; j < 2; ++j) features(j, i) = random.normal(mu[label][j], 1.0);
        }
        ctgrad::data::dataset<double> data(std::move(features), std::move(labels),
                                           {.num_train = num_train, .batch_size = 32, .seed = seed});

        auto model = ctgrad::nn::make_model(net(x), ctgrad::loss::logistic, y, {.lr = lr, .seed = seed});
        std::cout << "logit:           z = " << model.forward() << '\n'
                  << "probability:     y_hat = " << ctgrad::sigmoid(model.forward()) << '\n'
                  << "loss:            " << model.loss() << '\n'
                  << "d loss / d b:    " << ctgrad::d(model.loss(), net.bias) << "   (= sigmoid(z) - y)\n\n";

        const auto history = ctgrad::trainer({.max_epochs = epochs}).fit(model, data);
        const auto [w, b] = model.get_w_b();
        std::printf("trained %zu epochs at lr %g: w = [%.3f, %.3f], b = %.3f, val loss %.4f\n", static_cast<std::size_t>(epochs),
                    lr, w(0), w(1), b, history.val_loss.back());
        std::printf("true log-odds:   w = [%.3f, %.3f], b = %.3f\n", true_w[0], true_w[1], true_b);

        // Accuracy on the validation split (examples num_train..n - 1, which its loader hands out
        // in order): y_hat = sigmoid(z) for every example, by the fused kernel.
        std::vector<double> p;
        const auto probability = ctgrad::sigmoid(model.forward());
        for (const auto batch : data.val_dataloader()) {
            const xt::xtensor<double, 1> batch_p = ctgrad::predict(probability, model.parameters(), model.bind(batch));
            p.insert(p.end(), batch_p.begin(), batch_p.end());
        }
        std::size_t correct = 0, bayes_correct = 0;
        const std::size_t total = p.size();
        for (std::size_t k = 0; k < total; ++k) {
            const std::size_t i = num_train + k;
            const bool label = data.targets()(i) > 0.5;
            const double true_z = true_w[0] * data.features()(0, i) + true_w[1] * data.features()(1, i) + true_b;
            correct += (p[k] > 0.5) == label ? 1u : 0u;
            bayes_correct += (true_z > 0) == label ? 1u : 0u;
        }
        std::printf("\nvalidation accuracy (%zu examples): %.1f%%\n", total, 100.0 * double(correct) / double(total));
        std::printf("accuracy of the true log-odds on them: %.1f%% (best possible on average: 98.3%%)\n",
                    100.0 * double(bayes_correct) / double(total));
    } catch (const std::exception& e) {
        std::cerr << "logistic_regression: " << e.what() << '\n';
        return 1;
    }
}
