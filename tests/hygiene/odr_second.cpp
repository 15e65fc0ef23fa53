// The second unit of the ODR test: the same instantiations as odr_first.cpp, and main.
#include <ctgrad/ctgrad.hpp>

#include <cstdio>

double fit_in_first_unit();

int main() {
    auto data = ctgrad::data::synthetic_regression_data({2, -3.4}, 4.2, {.seed = 1});
    ctgrad::linear_regression_scratch model(2, 0.03);
    const double second = ctgrad::trainer({.max_epochs = 3}).fit(model, data).val_loss.back();
    const double first = fit_in_first_unit();
    std::printf("validation loss: %.17g (first unit), %.17g (second unit)\n", first, second);
    return first == second ? 0 : 1;
}
