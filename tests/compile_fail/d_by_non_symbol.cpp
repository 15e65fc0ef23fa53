// d(e, s) by something that is not a symbol must not compile, and must say why.
// expect: ctgrad::d(e, s) requires s to be a symbol (param, param_vec, input, input_vec)
#include <ctgrad/ctgrad.hpp>

using namespace ctgrad::literals;

int main() {
    constexpr ctgrad::param<"a"> a;
    constexpr ctgrad::param<"b"> b;
    [[maybe_unused]] constexpr auto derivative = ctgrad::d(a * b, a + b);
}
