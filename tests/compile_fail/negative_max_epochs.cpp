// A negative epoch count cannot reach the trainer: max_epochs is a std::size_t, and a negative
// value in the designated initializer is a narrowing conversion, which the compiler rejects
// (g++: "narrowing conversion of '-1'", clang: "evaluates to -1 which cannot be narrowed").
// expect: narrow
// expect: -1
#include <ctgrad/train/trainer.hpp>

int main() {
    const ctgrad::trainer trainer({.max_epochs = -1});
    return static_cast<int>(trainer.options().max_epochs);
}
