// d2l 3.5, "Concise Implementation of Linear Regression", with ctgrad: a ready linear layer
// (nn::linear, sized from the data at the first fit as LazyLinear is), the ready MSE loss, the
// library's SGD and trainer, and get_w_b().
//
//   linear_regression_concise [--epochs N] [--lr X] [--seed N] [--plot FILE.svg]
#include "flags.hpp"

#include <ctgrad/ctgrad.hpp>
#include <ctgrad/io/loss_plot.hpp>

#include <cstdio>
#include <exception>
#include <iostream>
#include <string>

int main(int argc, char** argv) {
    std::uint64_t epochs = 3, seed = 0;
    double lr = 0.03;
    std::string plot_path;
    examples::flags("linear_regression_concise")
        .count("epochs", epochs, 0, 1'000'000, "passes over the training data")
        .positive("lr", lr, "learning rate of minibatch SGD")
        .count("seed", seed, 0, UINT64_MAX, "seeds the data, the initial w and the shuffles")
        .path("plot", plot_path, "write the loss curves as an SVG picture")
        .parse(argc, argv);

    try {
        // model = LinearRegression(lr=0.03): net = nn.LazyLinear(1), loss = nn.MSELoss()
        auto model = ctgrad::nn::linear_regression(lr, {.seed = seed});
        std::cout << "model: y_hat = " << model.forward() << "\nloss:  " << model.loss() << "\n\n";
        // data = d2l.SyntheticRegressionData(w=torch.tensor([2, -3.4]), b=4.2)
        auto data = ctgrad::data::synthetic_regression_data({2, -3.4}, 4.2, {.seed = seed});
        // trainer = d2l.Trainer(max_epochs=3); trainer.fit(model, data)
        const auto history = ctgrad::trainer({.max_epochs = epochs}).fit(model, data, ctgrad::progress_bar{}, ctgrad::print_loss{});

        // w, b = model.get_w_b()
        const auto [w, b] = model.get_w_b();
        std::printf("error in estimating w: [%.4f, %.4f]\n", data.true_w()(0) - w(0), data.true_w()(1) - w(1));
        std::printf("error in estimating b: [%.4f]\n", data.true_b() - b);
        if (!plot_path.empty()) {
            ctgrad::write_loss_plot(plot_path, history);
            std::cout << "wrote " << plot_path << '\n';
        }
    } catch (const std::exception& e) {
        std::cerr << "linear_regression_concise: " << e.what() << '\n';
        return 1;
    }
}
