// trainer::fit with a model that lacks members of the model concept must not compile, and the
// error must name each missing member and what it should return. The twin (CTGRAD_TWIN)
// gives the model bind() and configure_optimizers() and compiles.
// expect: ctgrad::trainer: the model has no bind(const data::minibatch<value_type>&)
// expect: ctgrad::trainer: the model has no configure_optimizers()
#include <ctgrad/ctgrad.hpp>

struct line_model {
    using value_type = double;
    static constexpr ctgrad::input_vec<"x"> x{};
    static constexpr ctgrad::input<"y"> y{};
    static constexpr ctgrad::param_vec<"w"> w{};
    using parameters_type = ctgrad::parameter_store<double, ctgrad::param_vec<"w">>;

    parameters_type m_parameters = ctgrad::make_parameters(w = xt::xtensor<double, 1>{0.0});

    static constexpr auto loss() { return ctgrad::square(ctgrad::dot(x, w) - y); }
    parameters_type& parameters() { return m_parameters; }
#ifdef CTGRAD_TWIN
    auto bind(const ctgrad::data::minibatch<double>& batch) const { return ctgrad::make_batch(x = batch.features, y = batch.targets); }
    ctgrad::sgd configure_optimizers() const { return ctgrad::sgd(0.1); }
#endif
};

int main() {
    line_model model;
    ctgrad::data::dataset<double> data(xt::xtensor<double, 2>{{1.0, 2.0}}, xt::xtensor<double, 1>{2.0, 4.0}, {.num_train = 2});
    const ctgrad::trainer trainer({.max_epochs = 1});
    return static_cast<int>(trainer.fit(model, data).train_loss.size());
}
