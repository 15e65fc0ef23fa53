// value_and_grad, value and predict with a float parameter store and a double batch must not
// compile, and each error must name the call and the fix. The twin (CTGRAD_TWIN) makes the
// store double.
// expect: ctgrad::value_and_grad: the parameters and the batch hold different number types
// expect: ctgrad::value: the parameters and the batch hold different number types
// expect: ctgrad::predict: the parameters and the batch hold different number types
// expect: make both float or both double
#include <ctgrad/ctgrad.hpp>

int main() {
    constexpr ctgrad::input_vec<"x"> x;
    constexpr ctgrad::param_vec<"w"> w;
    const xt::xtensor<double, 2> X{{1.0}};
#ifdef CTGRAD_TWIN
    const auto params = ctgrad::make_parameters<double>(w = xt::xtensor<double, 1>{1.0});
#else
    const auto params = ctgrad::make_parameters<float>(w = xt::xtensor<float, 1>{1.0f});
#endif
    const auto batch = ctgrad::make_batch(x = X);
    const auto [value, grad] = ctgrad::value_and_grad(ctgrad::square(ctgrad::dot(x, w)), params, batch);
    const double loss = ctgrad::value(ctgrad::square(ctgrad::dot(x, w)), params, batch);
    return static_cast<int>(value + grad[w](0) + loss + ctgrad::predict(ctgrad::dot(x, w), params, batch)(0));
}
