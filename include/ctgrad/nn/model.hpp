// ctgrad/nn/model.hpp: a trainable model made of a forward expression, a loss function and
// a target symbol (d2l 3.5's concise LinearRegression, and any model of the same shape:
// Ohm's law, Planck's law, logistic regression). Its parameters are the parameter symbols
// of the loss; vectors are sized from the data at the first fit, as d2l's LazyLinear is.
#ifndef CTGRAD_NN_MODEL_HPP
#define CTGRAD_NN_MODEL_HPP

#include "ctgrad/core/symbol.hpp"
#include "ctgrad/core/traits.hpp"
#include "ctgrad/data/loader.hpp"
#include "ctgrad/data/random.hpp"
#include "ctgrad/error.hpp"
#include "ctgrad/eval/batch.hpp"
#include "ctgrad/eval/fused_plan.hpp"
#include "ctgrad/eval/parameter_store.hpp"
#include "ctgrad/nn/linear.hpp"
#include "ctgrad/nn/losses.hpp"
#include "ctgrad/optim/sgd.hpp"

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>

namespace ctgrad::nn {

struct model_options {
    double lr = 0.03;             ///< sgd's learning rate
    double sigma = 0.01;          ///< vector parameters start ~ N(0, sigma); scalars at 0
    std::uint64_t seed = 0;       ///< seeds that draw
    std::size_t num_inputs = 0;   ///< vector parameters' length; 0 takes it from the data at fit
};

namespace detail {
template <class T, class List> struct store_of;
template <class T, class... P> struct store_of<T, ctgrad::detail::type_list<P...>> {
    using type = parameter_store<T, P...>;
};

template <class List> struct only_symbol;
template <class S> struct only_symbol<ctgrad::detail::type_list<S>> { using type = S; };
} // namespace detail

template <class T, class Forward, class LossFn, class Target>
class supervised_model {
public:
    using value_type = T;
    using loss_type = decltype(std::declval<const LossFn&>()(std::declval<const Forward&>(), Target{}));
    using parameters_type = typename detail::store_of<T, ctgrad::detail::params_of_t<loss_type>>::type;

    static_assert(ctgrad::detail::inputs_of_t<Forward>::size == 1,
                  "ctgrad::nn::make_model: the forward expression must read exactly one input (the features)");
    /// The input the features bind to (an input_vec, or an input for one feature).
    using feature_symbol = typename detail::only_symbol<ctgrad::detail::inputs_of_t<Forward>>::type;

    supervised_model(Forward forward, LossFn loss_fn, const model_options& options)
        : m_forward(std::move(forward)), m_loss_fn(std::move(loss_fn)), m_options(options) {
        (void)sgd(options.lr); // checks lr
        if (!(options.sigma >= 0) || !std::isfinite(options.sigma))
            throw invalid_argument("ctgrad::nn::make_model: sigma must be finite and >= 0, not " + std::to_string(options.sigma));
        m_parameters.for_each([](auto symbol, auto& value) {
            if constexpr (!decltype(symbol)::is_vector) value = T(0);
        });
        if (options.num_inputs > 0) draw_vectors(options.num_inputs);
    }

    /// Called by fit: sizes and draws the vector parameters the first time (scalars, and
    /// vectors the caller has set to the data's length, are left alone); later checks that
    /// the data still has as many features.
    void initialize_for(std::size_t num_features) {
        if constexpr (!feature_symbol::is_vector) {
            if (num_features != 1)
                throw invalid_argument("ctgrad::nn::model: the input " + std::string(feature_symbol::name.view()) +
                                       " is a scalar but the data has " + std::to_string(num_features) + " features");
        }
        if (m_num_inputs == 0) draw_vectors(num_features);
        else if (num_features != m_num_inputs)
            throw invalid_argument("ctgrad::nn::model: the model has " + std::to_string(m_num_inputs) +
                                   " inputs but the data has " + std::to_string(num_features) + " features");
    }

    [[nodiscard]] const Forward& forward() const noexcept { return m_forward; }
    [[nodiscard]] loss_type loss() const { return m_loss_fn(m_forward, Target{}); }
    /// The per-example residual, prediction minus target (levenberg_marquardt's).
    [[nodiscard]] auto residual() const { return m_forward - Target{}; }

    /// The loss's inputs bound to a minibatch of either layout.
    template <batch_layout L>
    [[nodiscard]] auto bind(const data::minibatch<T, L>& batch) const {
        if constexpr (L == batch_layout::example_major && !feature_symbol::is_vector)
            return make_batch(feature_symbol{} = column_of(batch.features), Target{} = batch.targets);
        else
            return make_batch(feature_symbol{} = batch.features, Target{} = batch.targets);
    }

    [[nodiscard]] parameters_type& parameters() noexcept { return m_parameters; }
    [[nodiscard]] const parameters_type& parameters() const noexcept { return m_parameters; }

    [[nodiscard]] sgd configure_optimizers() const { return sgd(m_options.lr); }

    /// d2l's get_w_b(), for a model with one vector and one scalar parameter (a linear layer).
    [[nodiscard]] auto get_w_b() const {
        using symbols = typename parameters_type::symbols;
        static_assert(symbols::size == 2, "ctgrad::nn::model::get_w_b: the model must have exactly two parameters");
        using first = ctgrad::detail::list_at_t<symbols, 0>;
        using second = ctgrad::detail::list_at_t<symbols, 1>;
        static_assert(first::is_vector != second::is_vector,
                      "ctgrad::nn::model::get_w_b: the model must have one vector and one scalar parameter");
        using w_symbol = std::conditional_t<first::is_vector, first, second>;
        using b_symbol = std::conditional_t<first::is_vector, second, first>;
        return std::pair{m_parameters[w_symbol{}], m_parameters[b_symbol{}]};
    }

private:
    /// Example-major rows of one number each, back to back, are that feature's column, which is
    /// what a scalar input reads. Throws ctgrad::invalid_argument for rows of more features.
    static feature_major_view<T> column_of(const example_major_view<T>& rows) {
        auto fail = [](const std::string& why) {
            throw invalid_argument("ctgrad::nn::model::bind: the input " + std::string(feature_symbol::name.view()) +
                                   " is a scalar but " + why);
        };
        if (rows.m_features != 1) fail("the data has " + std::to_string(rows.m_features) + " features");
        if (rows.m_stride != 1 && rows.m_examples > 1)
            fail("the data's rows are " + std::to_string(rows.m_stride) + " numbers apart: they are not one column");
        return {rows.m_data, 1, rows.m_examples, rows.m_examples};
    }

    void draw_vectors(std::size_t num_inputs) {
        m_num_inputs = num_inputs;
        data::random_engine random(m_options.seed);
        m_parameters.for_each([&](auto symbol, auto& value) {
            if constexpr (decltype(symbol)::is_vector) {
                // A vector the caller has already set (of the right length) is kept.
                if (value.size() == num_inputs) return;
                if (value.size() != 0)
                    throw invalid_argument("ctgrad::nn::model: parameter " + std::string(decltype(symbol)::name.view()) +
                                           " has length " + std::to_string(value.size()) + " but the data has " +
                                           std::to_string(num_inputs) + " features");
                value = xt::xtensor<T, 1>::from_shape({num_inputs});
                for (auto& v : value) v = static_cast<T>(random.normal(0.0, m_options.sigma));
            }
        });
    }

    Forward m_forward;
    LossFn m_loss_fn;
    model_options m_options;
    std::size_t m_num_inputs = 0;
    parameters_type m_parameters;
};

/// make_model<T>(net(x), loss::mse, y, {.lr = 0.03}): trains the loss loss_fn(forward, y).
template <class T = double, expression Forward, class LossFn, class Target>
auto make_model(const Forward& forward, const LossFn& loss_fn, Target, const model_options& options = {}) {
    static_assert(is_symbol_v<Target> && !Target::is_param && !Target::is_vector,
                  "ctgrad::nn::make_model: the target must be an input symbol (ctgrad::input<\"y\">)");
    return supervised_model<T, Forward, LossFn, Target>(forward, loss_fn, options);
}

/// d2l 3.5's LinearRegression(lr): nn::linear on input_vec<"x">, MSE loss on input<"y">.
template <class T = double>
auto linear_regression(double lr, model_options options = {}) {
    options.lr = lr;
    return make_model<T>(linear<>{}(input_vec<"x">{}), loss::mse, input<"y">{}, options);
}

} // namespace ctgrad::nn

#endif // CTGRAD_NN_MODEL_HPP
