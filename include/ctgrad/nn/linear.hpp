// ctgrad/nn/linear.hpp: a ready linear layer, d2l's nn.LazyLinear(1): net(x) is
// dot(x, weight) + bias, with symbols named by the template arguments.
#ifndef CTGRAD_NN_LINEAR_HPP
#define CTGRAD_NN_LINEAR_HPP

#include "ctgrad/core/operators.hpp"
#include "ctgrad/core/symbol.hpp"
#include "ctgrad/core/traits.hpp"

namespace ctgrad::nn {

template <fixed_string Weight = "w", fixed_string Bias = "b">
struct linear {
    static constexpr param_vec<Weight> weight{};
    static constexpr param<Bias> bias{};

    template <expression X>
    constexpr auto operator()(const X& x) const {
        static_assert(is_vector_v<X>, "ctgrad::nn::linear: the input must be a vector (an input_vec)");
        return dot(x, weight) + bias;
    }
};

} // namespace ctgrad::nn

#endif // CTGRAD_NN_LINEAR_HPP
