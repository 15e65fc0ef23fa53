// dot(u, v) of two scalars must not compile, and must point to u * v.
// expect: ctgrad::dot(u, v) requires two vector expressions
// expect: for scalars use u * v
#include <ctgrad/ctgrad.hpp>

int main() {
    constexpr ctgrad::param<"a"> a;
    constexpr ctgrad::input<"y"> y;
    [[maybe_unused]] constexpr auto e = ctgrad::dot(a, y);
}
