// value_and_grad, value and predict with a parameter store that lacks a parameter of the
// expression must not compile, and each error must name the call, the parameter ("b") and the
// fix. The twin (CTGRAD_TWIN) adds b to the store and compiles.
// expect: ctgrad::value_and_grad: the loss has a parameter that the store does not hold: add it to make_parameters
// expect: ctgrad::value: the loss has a parameter that the store does not hold: add it to make_parameters
// expect: ctgrad::predict: the model has a parameter that the store does not hold: add it to make_parameters
// expect: parameter_missing_from_store<ctgrad::detail::fused_call::value_and_grad, 'b'>
#include <ctgrad/ctgrad.hpp>

int main() {
    constexpr ctgrad::input_vec<"x"> x;
    constexpr ctgrad::param_vec<"w"> w;
    constexpr ctgrad::param<"b"> b;
    const xt::xtensor<double, 2> X{{1.0}};
#ifdef CTGRAD_TWIN
    const auto params = ctgrad::make_parameters(w = xt::xtensor<double, 1>{1.0}, b = 0.0);
#else
    const auto params = ctgrad::make_parameters(w = xt::xtensor<double, 1>{1.0});
#endif
    const auto batch = ctgrad::make_batch(x = X);
    const auto [value, grad] = ctgrad::value_and_grad(ctgrad::square(ctgrad::dot(x, w) + b), params, batch);
    const double loss = ctgrad::value(ctgrad::square(ctgrad::dot(x, w) + b), params, batch);
    return static_cast<int>(value + grad[w](0) + loss + ctgrad::predict(ctgrad::dot(x, w) + b, params, batch)(0));
}
