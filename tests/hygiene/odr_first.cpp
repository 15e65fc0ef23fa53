// Two translation units that include ctgrad and use the same templates must link into one
// program: a function defined in a header without `inline` would be defined twice.
#include <ctgrad/ctgrad.hpp>

double fit_in_first_unit() {
    auto data = ctgrad::data::synthetic_regression_data({2, -3.4}, 4.2, {.seed = 1});
    ctgrad::linear_regression_scratch model(2, 0.03);
    return ctgrad::trainer({.max_epochs = 3}).fit(model, data).val_loss.back();
}
