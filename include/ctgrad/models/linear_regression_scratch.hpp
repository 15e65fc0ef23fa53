// ctgrad/models/linear_regression_scratch.hpp: d2l's LinearRegressionScratch, written with
// the expression DSL. The gradient the trainer uses is derived from loss() at compile time.
#ifndef CTGRAD_MODELS_LINEAR_REGRESSION_SCRATCH_HPP
#define CTGRAD_MODELS_LINEAR_REGRESSION_SCRATCH_HPP

#include "ctgrad/core/constant.hpp"
#include "ctgrad/core/operators.hpp"
#include "ctgrad/core/symbol.hpp"
#include "ctgrad/data/loader.hpp"
#include "ctgrad/data/random.hpp"
#include "ctgrad/error.hpp"
#include "ctgrad/eval/batch.hpp"
#include "ctgrad/eval/parameter_store.hpp"
#include "ctgrad/optim/sgd.hpp"

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>

namespace ctgrad {

struct scratch_options {
    double sigma = 0.01;    ///< w ~ N(0, sigma); b = 0
    std::uint64_t seed = 0; ///< seeds w's draw
};

/// y_hat = dot(x, w) + b; per-example loss square(y_hat - y) / 2; trained by sgd(lr).
template <class T = double>
class linear_regression_scratch {
public:
    using value_type = T;

    static constexpr input_vec<"x"> x{}; ///< one example's features
    static constexpr input<"y"> y{};     ///< its target
    static constexpr param_vec<"w"> w{}; ///< weights
    static constexpr param<"b"> b{};     ///< bias

    using parameters_type = parameter_store<T, param_vec<"w">, param<"b">>;

    /// Throws ctgrad::invalid_argument for num_inputs 0, lr not > 0 or a negative sigma.
    linear_regression_scratch(std::size_t num_inputs, double lr, const scratch_options& options = {})
        : m_lr(sgd(lr).lr()) {
        if (num_inputs == 0) throw invalid_argument("ctgrad::linear_regression_scratch: num_inputs must be at least 1");
        if (!(options.sigma >= 0) || !std::isfinite(options.sigma))
            throw invalid_argument("ctgrad::linear_regression_scratch: sigma must be finite and >= 0, not " +
                                   std::to_string(options.sigma));
        data::random_engine random(options.seed);
        auto weights = xt::xtensor<T, 1>::from_shape({num_inputs});
        for (auto& v : weights) v = static_cast<T>(random.normal(0.0, options.sigma));
        m_parameters = parameters_type(std::move(weights), T(0));
    }

    /// The model: d2l's forward.
    static constexpr auto forward() { return dot(x, w) + b; }
    /// The per-example loss: d2l's loss (the trainer averages it over each batch).
    static constexpr auto loss() { return square(forward() - y) / c<2>; }

    /// x and y bound to a minibatch of either layout.
    template <batch_layout L>
    [[nodiscard]] auto bind(const data::minibatch<T, L>& batch) const { return make_batch(x = batch.features, y = batch.targets); }

    [[nodiscard]] parameters_type& parameters() noexcept { return m_parameters; }
    [[nodiscard]] const parameters_type& parameters() const noexcept { return m_parameters; }

    [[nodiscard]] sgd configure_optimizers() const { return sgd(m_lr); }

private:
    double m_lr;
    parameters_type m_parameters;
};

} // namespace ctgrad

#endif // CTGRAD_MODELS_LINEAR_REGRESSION_SCRATCH_HPP
