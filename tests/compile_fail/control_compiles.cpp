// The positive control for the compile-fail tests: the same calls, written correctly, compile.
// If this fails, the compile-fail tests above would pass for the wrong reason.
#include <ctgrad/ctgrad.hpp>
#include <ctgrad/optim/levenberg_marquardt.hpp>

#include <vector>

int main() {
    constexpr ctgrad::param<"a"> a;
    constexpr ctgrad::param<"bee"> bee;
    constexpr ctgrad::input_vec<"x"> x;
    constexpr ctgrad::param_vec<"w"> w;
    [[maybe_unused]] constexpr auto derivative = ctgrad::d(a * bee, a);
    [[maybe_unused]] constexpr auto e = ctgrad::dot(x, w);
    const std::vector<double> xs{1, 2};
    // least_squares_model_*: a model with residual() and a dataset of its number type.
    constexpr ctgrad::input<"t"> t;
    constexpr ctgrad::input<"y"> y;
    auto line = ctgrad::nn::make_model(a * t, ctgrad::loss::mse, y);
    ctgrad::data::dataset<double> data(xt::xtensor<double, 2>{{1.0, 2.0}}, xt::xtensor<double, 1>{2.0, 4.0}, {.num_train = 2});
    (void)ctgrad::levenberg_marquardt().minimize(line, data);
    return static_cast<int>(ctgrad::eval(a * bee, a = 1.0, bee = 0.0) + ctgrad::eval(e, x = xs, w = xs)) == 5 ? 0 : 1;
}
