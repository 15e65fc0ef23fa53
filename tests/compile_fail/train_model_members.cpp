// trainer::fit with a model that lacks members of the model concept must not compile, and the
// error must name each missing member and what it should return. The twin (CTGRAD_TWIN)
// completes each model and compiles.
// expect: ctgrad::trainer: the model has no value_type: declare `using value_type = double;` (or float)
// expect: ctgrad::trainer: the model has no parameters() returning its parameter_store by reference
// expect: ctgrad::trainer: the model has no const loss() returning its per-example loss expression
// expect: ctgrad::trainer: the model has no bind(const data::minibatch<value_type>&)
// expect: ctgrad::trainer: the model has no configure_optimizers()
// expect: ctgrad::trainer: the model's parameters() hold another number type than its value_type
// expect: ctgrad::trainer: the model's configure_optimizers() returns something that is not an optimizer
#include <ctgrad/ctgrad.hpp>

namespace symbols {
constexpr ctgrad::input_vec<"x"> x;
constexpr ctgrad::input<"y"> y;
constexpr ctgrad::param_vec<"w"> w;
} // namespace symbols

using store = ctgrad::parameter_store<double, ctgrad::param_vec<"w">>;

// Missing bind() and configure_optimizers().
struct without_data_or_optimizer {
    using value_type = double;
    store m_parameters = ctgrad::make_parameters(symbols::w = xt::xtensor<double, 1>{0.0});
    static constexpr auto loss() { return ctgrad::square(ctgrad::dot(symbols::x, symbols::w) - symbols::y); }
    store& parameters() { return m_parameters; }
#ifdef CTGRAD_TWIN
    auto bind(const ctgrad::data::minibatch<double>& batch) const {
        return ctgrad::make_batch(symbols::x = batch.features, symbols::y = batch.targets);
    }
    ctgrad::sgd configure_optimizers() const { return ctgrad::sgd(0.1); }
#endif
};

// Missing value_type, parameters() and loss().
struct without_type_parameters_or_loss {
#ifdef CTGRAD_TWIN
    using value_type = double;
    store m_parameters = ctgrad::make_parameters(symbols::w = xt::xtensor<double, 1>{0.0});
    store& parameters() { return m_parameters; }
    static constexpr auto loss() { return ctgrad::square(ctgrad::dot(symbols::x, symbols::w) - symbols::y); }
#endif
    auto bind(const ctgrad::data::minibatch<double>& batch) const {
        return ctgrad::make_batch(symbols::x = batch.features, symbols::y = batch.targets);
    }
    ctgrad::sgd configure_optimizers() const { return ctgrad::sgd(0.1); }
};

// A float value_type over double parameters, and an "optimizer" without step().
struct with_wrong_types {
#ifdef CTGRAD_TWIN
    using value_type = double;
    ctgrad::sgd configure_optimizers() const { return ctgrad::sgd(0.1); }
#else
    using value_type = float;
    double configure_optimizers() const { return 0.1; }
#endif
    store m_parameters = ctgrad::make_parameters(symbols::w = xt::xtensor<double, 1>{0.0});
    static constexpr auto loss() { return ctgrad::square(ctgrad::dot(symbols::x, symbols::w) - symbols::y); }
    store& parameters() { return m_parameters; }
    auto bind(const ctgrad::data::minibatch<value_type>& batch) const {
        return ctgrad::make_batch(symbols::x = batch.features, symbols::y = batch.targets);
    }
};

template <class Model, class T = double>
std::size_t train() {
    Model model;
    ctgrad::data::dataset<T> data(xt::xtensor<T, 2>{{1.0, 2.0}}, xt::xtensor<T, 1>{2.0, 4.0}, {.num_train = 2});
    const ctgrad::trainer trainer({.max_epochs = 1});
    return trainer.fit(model, data).train_loss.size();
}

int main() {
    return static_cast<int>(train<without_data_or_optimizer>() + train<without_type_parameters_or_loss>() +
                            train<with_wrong_types>());
}
