// eval without a binding for a symbol the expression contains must not compile, and the
// error must name the symbol ("bee", spelled as characters).
// expect: ctgrad::eval: the expression contains a symbol with no binding
// expect: no_binding_for_symbol<'b', 'e', 'e'>
#include <ctgrad/ctgrad.hpp>

int main() {
    constexpr ctgrad::param<"a"> a;
    constexpr ctgrad::param<"bee"> bee;
    return static_cast<int>(ctgrad::eval(a * bee, a = 1.0));
}
