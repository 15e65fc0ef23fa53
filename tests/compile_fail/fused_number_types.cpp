// value_and_grad with a float parameter store and a double batch must not compile, and the
// error must name the call and the fix. The twin (CTGRAD_TWIN) makes the store double.
// expect: ctgrad::value_and_grad: the parameters and the batch hold different number types
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
    const auto [value, grad] = ctgrad::value_and_grad(ctgrad::square(ctgrad::dot(x, w)), params, ctgrad::make_batch(x = X));
    return static_cast<int>(value + grad[w](0));
}
