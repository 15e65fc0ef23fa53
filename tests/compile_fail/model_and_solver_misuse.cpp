// Misuses of the data, the ready models and the full-batch solvers must not compile, each with
// its own message; the twin (CTGRAD_TWIN) writes every call right and compiles.
// expect: ctgrad::data::dataset<T>: T is float or double
// expect: ctgrad::data::synthetic_regression_data: w holds float or double
// expect: ctgrad::data::synthetic_regression_shard: w holds float or double
// expect: ctgrad::nn::make_model: the forward expression must read exactly one input (the features)
// expect: ctgrad::nn::make_model: the target must be an input symbol
// expect: ctgrad::nn::model::get_w_b: the model must have exactly two parameters
// expect: ctgrad::nn::model::get_w_b: the model must have one vector and one scalar parameter
// expect: ctgrad::nn::linear: the input must be a vector (an input_vec)
// expect: ctgrad::newton: Newton's method here is for a few scalar parameters (param)
// expect: newton_takes_scalar_parameters_only<'w'>
// expect: ctgrad::newton::minimize(model, data): the model and the dataset must hold the same number type
// expect: ctgrad::newton::minimize: the parameters and the batch hold different number types
// expect: ctgrad::lbfgs::minimize: the parameters and the batch hold different number types
// expect: ctgrad::levenberg_marquardt::minimize: the parameters and the batch hold different number types
// expect: ctgrad::levenberg_marquardt::minimize: the residual must be one number per example
// expect: ctgrad::levenberg_marquardt::minimize: the residual contains none of the parameters in the store
#include <ctgrad/ctgrad.hpp>
#include <ctgrad/optim/lbfgs.hpp>
#include <ctgrad/optim/levenberg_marquardt.hpp>

#include <vector>

constexpr ctgrad::param<"a"> a;
constexpr ctgrad::param<"b"> b;
constexpr ctgrad::param_vec<"w"> w;
constexpr ctgrad::input<"t"> t;
constexpr ctgrad::input<"y"> y;
constexpr ctgrad::input_vec<"x"> x;

std::size_t dataset_of_integers() {
#ifdef CTGRAD_TWIN
    ctgrad::data::dataset<double> data(xt::xtensor<double, 2>{{1.0, 2.0}}, xt::xtensor<double, 1>{2.0, 4.0}, {.num_train = 2});
#else
    ctgrad::data::dataset<int> data(xt::xtensor<int, 2>{{1, 2}}, xt::xtensor<int, 1>{2, 4}, {.num_train = 2});
#endif
    return data.num_train();
}

std::size_t synthetic_integers() {
#ifdef CTGRAD_TWIN
    const std::vector<double> true_w{2.0, -3.4};
#else
    const std::vector<int> true_w{2, -3};
#endif
    return ctgrad::data::synthetic_regression_data(true_w, 4.2).num_train();
}

std::size_t synthetic_shard_of_integers() {
#ifdef CTGRAD_TWIN
    const std::vector<double> true_w{2.0, -3.4};
#else
    const std::vector<int> true_w{2, -3};
#endif
    return ctgrad::data::synthetic_regression_shard(true_w, 4.2, {0, 10}).num_train();
}

double model_of_two_inputs() {
#ifdef CTGRAD_TWIN
    auto model = ctgrad::nn::make_model(a * t, ctgrad::loss::mse, y);
#else
    auto model = ctgrad::nn::make_model(a * t + ctgrad::sum(x), ctgrad::loss::mse, y);
#endif
    return model.parameters()[a];
}

double model_with_a_parameter_as_target() {
#ifdef CTGRAD_TWIN
    auto model = ctgrad::nn::make_model(a * t, ctgrad::loss::mse, y);
#else
    auto model = ctgrad::nn::make_model(a * t, ctgrad::loss::mse, b);
#endif
    return model.parameters()[a];
}

double w_b_of_three_parameters() {
#ifdef CTGRAD_TWIN
    const auto model = ctgrad::nn::make_model(ctgrad::dot(x, w) + b, ctgrad::loss::mse, y);
#else
    const auto model = ctgrad::nn::make_model(ctgrad::dot(x, w) * a + b, ctgrad::loss::mse, y);
#endif
    return model.get_w_b().second;
}

double w_b_of_two_scalars() {
#ifdef CTGRAD_TWIN
    const auto model = ctgrad::nn::make_model(ctgrad::dot(x, w) + b, ctgrad::loss::mse, y);
#else
    const auto model = ctgrad::nn::make_model(a * t + b, ctgrad::loss::mse, y);
#endif
    return model.get_w_b().second;
}

double linear_of_a_scalar() {
    constexpr ctgrad::nn::linear layer;
#ifdef CTGRAD_TWIN
    const auto model = ctgrad::nn::make_model(layer(x), ctgrad::loss::mse, y);
#else
    const auto model = ctgrad::nn::make_model(layer(t), ctgrad::loss::mse, y);
#endif
    return model.parameters()[layer.bias];
}

std::size_t newton_of_a_vector() {
    const xt::xtensor<double, 1> T{1.0, 2.0}, Y{2.0, 4.0};
#ifdef CTGRAD_TWIN
    auto params = ctgrad::make_parameters(a = 1.0);
    return ctgrad::newton().minimize(ctgrad::square(a * t - y), params, ctgrad::make_batch(t = T, y = Y)).iterations;
#else
    const xt::xtensor<double, 2> X{{1.0, 2.0}};
    auto params = ctgrad::make_parameters(w = xt::xtensor<double, 1>{1.0});
    return ctgrad::newton().minimize(ctgrad::square(ctgrad::dot(x, w) - y), params, ctgrad::make_batch(x = X, y = Y)).iterations;
#endif
}

std::size_t newton_of_two_number_types() {
#ifdef CTGRAD_TWIN
    auto model = ctgrad::nn::make_model<double>(a * t, ctgrad::loss::mse, y);
#else
    auto model = ctgrad::nn::make_model<float>(a * t, ctgrad::loss::mse, y);
#endif
    ctgrad::data::dataset<double> data(xt::xtensor<double, 2>{{1.0, 2.0}}, xt::xtensor<double, 1>{2.0, 4.0}, {.num_train = 2});
    return ctgrad::newton().minimize(model, data).iterations;
}

std::size_t solvers_of_two_number_types() {
    const xt::xtensor<double, 1> T{1.0, 2.0}, Y{2.0, 4.0};
    const auto batch = ctgrad::make_batch(t = T, y = Y);
#ifdef CTGRAD_TWIN
    auto params = ctgrad::make_parameters<double>(a = 1.0);
#else
    auto params = ctgrad::make_parameters<float>(a = 1.0f);
#endif
    return ctgrad::newton().minimize(ctgrad::square(a * t - y), params, batch).iterations +
           ctgrad::lbfgs().minimize(ctgrad::square(a * t - y), params, batch).iterations +
           ctgrad::levenberg_marquardt().minimize(a * t - y, params, batch).iterations;
}

std::size_t least_squares_of_a_vector() {
    const xt::xtensor<double, 2> X{{1.0, 2.0}};
    const xt::xtensor<double, 1> Y{2.0, 4.0};
    auto params = ctgrad::make_parameters(w = xt::xtensor<double, 1>{1.0});
#ifdef CTGRAD_TWIN
    return ctgrad::levenberg_marquardt().minimize(ctgrad::dot(x, w) - y, params, ctgrad::make_batch(x = X, y = Y)).iterations;
#else
    return ctgrad::levenberg_marquardt().minimize(x * w, params, ctgrad::make_batch(x = X, y = Y)).iterations;
#endif
}

std::size_t least_squares_without_parameters() {
    const xt::xtensor<double, 1> T{1.0, 2.0}, Y{2.0, 4.0};
    auto params = ctgrad::make_parameters(a = 1.0);
#ifdef CTGRAD_TWIN
    return ctgrad::levenberg_marquardt().minimize(a * t - y, params, ctgrad::make_batch(t = T, y = Y)).iterations;
#else
    return ctgrad::levenberg_marquardt().minimize(t - y, params, ctgrad::make_batch(t = T, y = Y)).iterations;
#endif
}

int main() {
    return static_cast<int>(static_cast<double>(dataset_of_integers() + synthetic_integers()) + model_of_two_inputs() +
                            model_with_a_parameter_as_target() + w_b_of_three_parameters() + w_b_of_two_scalars() +
                            linear_of_a_scalar() +
                            static_cast<double>(newton_of_a_vector() + newton_of_two_number_types() + solvers_of_two_number_types() +
                                                least_squares_of_a_vector() + least_squares_without_parameters()));
}
