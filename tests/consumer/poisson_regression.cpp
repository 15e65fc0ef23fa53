// A program a ctgrad user writes in their own project: its OWN model, Poisson regression
// (counts y ~ Poisson(exp(dot(x, w) + b))), trained with ctgrad's trainer. Built by the
// consumer tests through a Meson subproject, pkg-config + make, and CMake's find_package.
// Exit status 0 when the learnt parameters are within 0.05 of the true ones.
#include <ctgrad/ctgrad.hpp>
#ifdef CTGRAD_CONSUMER_MPI
#include <ctgrad/distributed/mpi.hpp>
#endif

#include <cmath>
#include <cstdio>
#include <random>

namespace {

// The model, as the user writes it: the negative log-likelihood of a count y under the rate
// exp(z), without the constant log(y!), is exp(z) - y z.
struct poisson_regression {
    using value_type = double;
    static constexpr ctgrad::input_vec<"features"> x{};
    static constexpr ctgrad::input<"count"> y{};
    static constexpr ctgrad::param_vec<"weights"> w{};
    static constexpr ctgrad::param<"bias"> b{};
    using parameters_type = ctgrad::parameter_store<double, ctgrad::param_vec<"weights">, ctgrad::param<"bias">>;

    parameters_type m_parameters{xt::xtensor<double, 1>{0.0, 0.0, 0.0}, 0.0};

    static constexpr auto log_rate() { return ctgrad::dot(x, w) + b; }
    static constexpr auto loss() { return ctgrad::exp(log_rate()) - y * log_rate(); }
    auto bind(const ctgrad::data::minibatch<double>& batch) const {
        return ctgrad::make_batch(x = batch.features, y = batch.targets);
    }
    parameters_type& parameters() { return m_parameters; }
    ctgrad::sgd configure_optimizers() const { return ctgrad::sgd(0.02); }
};
static_assert(ctgrad::model<poisson_regression>);

} // namespace

namespace {

template <class Group>
int fit_and_check(const Group& group) {
    const double true_w[] = {0.5, -0.3, 0.2}, true_b = 1.0;
    const std::size_t n = 20000;
    std::mt19937_64 bits(7);
    std::normal_distribution<double> normal(0.0, 0.5);
    auto features = xt::xtensor<double, 2>::from_shape({3, n});
    auto counts = xt::xtensor<double, 1>::from_shape({n});
    for (std::size_t i = 0; i < n; ++i) {
        double z = true_b;
        for (std::size_t j = 0; j < 3; ++j) z += true_w[j] * (features(j, i) = normal(bits));
        counts(i) = double(std::poisson_distribution<int>(std::exp(z))(bits));
    }
    ctgrad::data::dataset<double> data(std::move(features), std::move(counts), {.num_train = 16000, .batch_size = 256, .seed = 1});

    poisson_regression model;
    const auto history = ctgrad::trainer({.max_epochs = 20}).fit(group, model, data);
    std::printf("d loss / d weights = %s\n", ctgrad::to_string(ctgrad::d(poisson_regression::loss(), poisson_regression::w)).c_str());

    const auto& p = model.parameters();
    double worst = std::abs(p[poisson_regression::b] - true_b);
    for (std::size_t j = 0; j < 3; ++j) worst = std::max(worst, std::abs(p[poisson_regression::w](j) - true_w[j]));
    std::printf("weights = [%.3f, %.3f, %.3f], bias = %.3f, val loss %.4f, largest error %.3f\n", p[poisson_regression::w](0),
                p[poisson_regression::w](1), p[poisson_regression::w](2), p[poisson_regression::b], history.val_loss.back(), worst);
    return worst < 0.05 ? 0 : 1;
}

} // namespace

// Built with CTGRAD_CONSUMER_MPI against ctgrad's MPI component, the same fit over MPI.
int main(int argc, char** argv) {
#ifdef CTGRAD_CONSUMER_MPI
    return ctgrad::mpi::run(argc, argv, [](const ctgrad::mpi::communicator& world) { return fit_and_check(world); });
#else
    (void)argc;
    (void)argv;
    return fit_and_check(ctgrad::single_process{});
#endif
}
