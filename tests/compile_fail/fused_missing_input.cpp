// value_and_grad with a batch that lacks an input of the loss must not compile, and the
// error must name the input ("y").
// expect: ctgrad::eval: the expression contains a symbol with no binding
// expect: no_binding_for_symbol<'y'>
#include <ctgrad/ctgrad.hpp>

int main() {
    constexpr ctgrad::input_vec<"x"> x;
    constexpr ctgrad::input<"y"> y;
    constexpr ctgrad::param_vec<"w"> w;
    const xt::xtensor<double, 2> X{{1.0}};
    const auto params = ctgrad::make_parameters(w = xt::xtensor<double, 1>{1.0});
    return static_cast<int>(ctgrad::value(ctgrad::square(ctgrad::dot(x, w) - y), params, ctgrad::make_batch(x = X)));
}
