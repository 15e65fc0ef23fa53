// levenberg_marquardt's model overload on a model with no residual() must not compile, and the
// error must name the call and what the model needs.
// expect: ctgrad::levenberg_marquardt::minimize(model, data): the model needs residual()
#include <ctgrad/ctgrad.hpp>
#include <ctgrad/optim/levenberg_marquardt.hpp>

// A model written by hand: the trainer's members, but no residual().
struct line_model {
    using value_type = double;
    static constexpr ctgrad::input<"x"> x{};
    static constexpr ctgrad::input<"y"> y{};
    static constexpr ctgrad::param<"a"> a{};
    using parameters_type = ctgrad::parameter_store<double, ctgrad::param<"a">>;

    parameters_type m_parameters{1.0};

    static constexpr auto loss() { return ctgrad::square(a * x - y); }
    auto bind(const ctgrad::data::minibatch<double>& batch) const { return ctgrad::make_batch(x = batch.features, y = batch.targets); }
    parameters_type& parameters() { return m_parameters; }
    ctgrad::sgd configure_optimizers() const { return ctgrad::sgd(0.1); }
};

int main() {
    line_model model;
    ctgrad::data::dataset<double> data(xt::xtensor<double, 2>{{1.0, 2.0}}, xt::xtensor<double, 1>{2.0, 4.0}, {.num_train = 2});
    return static_cast<int>(ctgrad::levenberg_marquardt().minimize(model, data).iterations);
}
