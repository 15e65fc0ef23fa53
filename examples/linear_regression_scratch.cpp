// d2l 3.4, "Linear Regression Implementation from Scratch", with ctgrad: the book's data,
// model, squared loss, minibatch SGD and training loop, with the book's defaults. The model
// and its loss are expressions; the gradient the trainer runs on is derived from them at
// compile time, and printed here before training.
//
//   linear_regression_scratch [--epochs N] [--lr X] [--batch-size N] [--seed N]
//                             [--plot FILE.svg] [--csv FILE]
#include "flags.hpp"
#include "print_vector.hpp"

#include <ctgrad/ctgrad.hpp>
#include <ctgrad/io/loss_plot.hpp>

#include <cstdio>
#include <exception>
#include <iostream>
#include <string>

int main(int argc, char** argv) {
    std::uint64_t epochs = 3, batch_size = 32, seed = 0;
    double lr = 0.03;
    std::string plot_path, csv_path;
    examples::flags("linear_regression_scratch")
        .count("epochs", epochs, 0, 1'000'000, "passes over the training data")
        .positive("lr", lr, "learning rate of minibatch SGD")
        .count("batch-size", batch_size, 1, 1'000'000, "examples per minibatch")
        .count("seed", seed, 0, UINT64_MAX, "seeds the data, the initial w and the shuffles")
        .path("plot", plot_path, "write the loss curves as an SVG picture")
        .path("csv", csv_path, "write the same points as CSV")
        .parse(argc, argv);

    using model_type = ctgrad::linear_regression_scratch<double>;
    constexpr auto loss = model_type::loss();
    std::cout << "model:        y_hat = " << model_type::forward() << '\n'
              << "loss:         " << loss << '\n'
              << "d loss / d w: " << ctgrad::d(loss, model_type::w) << '\n'
              << "d loss / d b: " << ctgrad::d(loss, model_type::b) << "\n\n";

    try {
        // data = d2l.SyntheticRegressionData(w=torch.tensor([2, -3.4]), b=4.2)
        auto data = ctgrad::data::synthetic_regression_data({2, -3.4}, 4.2, {.batch_size = batch_size, .seed = seed});
        // model = LinearRegressionScratch(2, lr=0.03)
        model_type model(2, lr, {.seed = seed});
        // trainer = d2l.Trainer(max_epochs=3); trainer.fit(model, data)
        const ctgrad::trainer trainer({.max_epochs = epochs});
        const ctgrad::history history = trainer.fit(model, data, ctgrad::progress_bar{}, ctgrad::print_loss{});

        const auto& params = model.parameters();
        const xt::xtensor<double, 1> w_error = data.true_w() - params[model.w];
        const xt::xtensor<double, 1> b_error{data.true_b() - params[model.b]};
        std::cout << "error in estimating w: " << examples::format(w_error) << '\n'
                  << "error in estimating b: " << examples::format(b_error) << '\n';

        if (!plot_path.empty()) {
            ctgrad::write_loss_plot(plot_path, history);
            std::cout << "wrote " << plot_path << '\n';
        }
        if (!csv_path.empty()) {
            ctgrad::write_loss_csv(csv_path, history);
            std::cout << "wrote " << csv_path << '\n';
        }
    } catch (const std::exception& e) {
        std::cerr << "linear_regression_scratch: " << e.what() << '\n';
        return 1;
    }
}
