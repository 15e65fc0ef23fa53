// levenberg_marquardt's model overload with a float model and a double dataset must not
// compile, and the error must say that the two must hold one number type.
// expect: ctgrad::levenberg_marquardt::minimize(model, data): the model and the dataset must hold the same number type
#include <ctgrad/ctgrad.hpp>
#include <ctgrad/optim/levenberg_marquardt.hpp>

int main() {
    constexpr ctgrad::input<"x"> x;
    constexpr ctgrad::input<"y"> y;
    constexpr ctgrad::param<"a"> a;
    auto model = ctgrad::nn::make_model<float>(a * x, ctgrad::loss::mse, y);
    ctgrad::data::dataset<double> data(xt::xtensor<double, 2>{{1.0, 2.0}}, xt::xtensor<double, 1>{2.0, 4.0}, {.num_train = 2});
    return static_cast<int>(ctgrad::levenberg_marquardt().minimize(model, data).iterations);
}
