// value_and_grad, value and predict with a batch that lacks an input of the expression must not
// compile, and each error must name the call, the input ("y") and the fix. The twin
// (CTGRAD_TWIN) adds y to the batch and compiles.
// expect: ctgrad::value_and_grad: the loss reads an input that the batch does not hold: add it to make_batch
// expect: ctgrad::value: the loss reads an input that the batch does not hold: add it to make_batch
// expect: ctgrad::predict: the model reads an input that the batch does not hold: add it to make_batch
// expect: input_missing_from_batch<ctgrad::detail::fused_call::value_and_grad, 'y'>
#include <ctgrad/ctgrad.hpp>

int main() {
    constexpr ctgrad::input_vec<"x"> x;
    constexpr ctgrad::input<"y"> y;
    constexpr ctgrad::param_vec<"w"> w;
    const xt::xtensor<double, 2> X{{1.0}};
    const auto params = ctgrad::make_parameters(w = xt::xtensor<double, 1>{1.0});
#ifdef CTGRAD_TWIN
    const xt::xtensor<double, 1> Y{2.0};
    const auto batch = ctgrad::make_batch(x = X, y = Y);
#else
    const auto batch = ctgrad::make_batch(x = X);
#endif
    const auto loss = ctgrad::square(ctgrad::dot(x, w) - y);
    const auto [value, grad] = ctgrad::value_and_grad(loss, params, batch);
    const auto predictions = ctgrad::predict(ctgrad::dot(x, w) * y, params, batch);
    return static_cast<int>(value + ctgrad::value(loss, params, batch) + grad[w](0) + predictions(0));
}
