// The concise API (d2l 3.5): nn::linear, the ready losses (their derivatives pinned and
// checked against finite differences), nn::make_model with a size taken from the data, and
// get_w_b().
#define BOOST_TEST_MODULE ctgrad_nn
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include <ctgrad/ctgrad.hpp>

#include <cmath>
#include <string>
#include <type_traits>
#include <vector>

using namespace ctgrad::literals;
namespace data = ctgrad::data;
namespace nn = ctgrad::nn;

namespace {

constexpr ctgrad::input_vec<"x"> x;
constexpr ctgrad::input<"y"> y;
constexpr ctgrad::param<"u"> u; // stands for a prediction
constexpr nn::linear net;

template <class A, class B>
constexpr bool same = std::is_same_v<std::remove_cvref_t<A>, std::remove_cvref_t<B>>;

// d2l 3.5's layer is d2l 3.4's model.
static_assert(same<decltype(net(x)), decltype(ctgrad::dot(x, ctgrad::param_vec<"w">{}) + ctgrad::param<"b">{})>);
// MSE has no 1/2: its derivative by the prediction is 2 (u - y).
static_assert(same<decltype(ctgrad::d(ctgrad::loss::mse(u, y), u)), decltype(2_c * (u - y))>);
static_assert(same<decltype(ctgrad::d(ctgrad::loss::l1(u, y), u)), decltype(ctgrad::sign(u - y))>);
// The logistic loss on a logit u: its derivative is sigmoid(u) - y, derived in a form with no
// overflow: (1 + sign(u)) / 2 - exp(-abs(u)) * sign(u) / (1 + exp(-abs(u))) - y.
static_assert(same<decltype(ctgrad::d(ctgrad::loss::logistic(u, y), u)),
                   decltype((1_c + ctgrad::sign(u)) / 2_c -
                            ctgrad::exp(-ctgrad::abs(u)) * ctgrad::sign(u) / (1_c + ctgrad::exp(-ctgrad::abs(u))) - y)>);

// The derivative by u of a loss at u, by central differences.
template <class Loss>
double numeric_derivative(const Loss& loss, double at, double target) {
    const double h = 1e-6;
    return (ctgrad::eval(loss, u = at + h, y = target) - ctgrad::eval(loss, u = at - h, y = target)) / (2 * h);
}

} // namespace

BOOST_AUTO_TEST_SUITE(losses)

BOOST_AUTO_TEST_CASE(values_match_pytorchs_definitions) {
    BOOST_TEST(ctgrad::eval(ctgrad::loss::mse(u, y), u = 3.0, y = 1.0) == 4.0);
    BOOST_TEST(ctgrad::eval(ctgrad::loss::l1(u, y), u = -3.0, y = 1.0) == 4.0);
    const auto huber = ctgrad::loss::huber(1.5)(u, y);
    BOOST_TEST(ctgrad::eval(huber, u = 2.0, y = 1.0) == 0.5);               // |r| = 1 <= 1.5: r^2 / 2
    BOOST_TEST(ctgrad::eval(huber, u = -3.0, y = 1.0) == 1.5 * (4 - 0.75)); // beyond: delta (|r| - delta / 2)
    const auto exact = ctgrad::loss::huber(2_c)(u, y);
    BOOST_TEST(ctgrad::to_string(exact) == "select(abs(u - y) <= 2, square(u - y) / 2, 2 * (abs(u - y) - 1))");
}

BOOST_AUTO_TEST_CASE(derivatives_match_finite_differences) {
    const auto huber = ctgrad::loss::huber(1.5)(u, y);
    const auto mse = ctgrad::loss::mse(u, y);
    const auto l1 = ctgrad::loss::l1(u, y);
    for (double at : {-4.0, -2.2, -0.3, 0.7, 1.9, 5.0}) {
        const double target = 0.4;
        BOOST_TEST(ctgrad::eval(ctgrad::d(huber, u), u = at, y = target) == numeric_derivative(huber, at, target),
                   boost::test_tools::tolerance(1e-6));
        BOOST_TEST(ctgrad::eval(ctgrad::d(mse, u), u = at, y = target) == numeric_derivative(mse, at, target),
                   boost::test_tools::tolerance(1e-6));
        BOOST_TEST(ctgrad::eval(ctgrad::d(l1, u), u = at, y = target) == numeric_derivative(l1, at, target),
                   boost::test_tools::tolerance(1e-6));
    }
}

BOOST_AUTO_TEST_CASE(the_logistic_loss_is_binary_cross_entropy_without_overflow) {
    const auto logistic = ctgrad::loss::logistic(u, y);
    BOOST_TEST(ctgrad::to_string(logistic) == "(u + abs(u)) / 2 + log(1 + exp(-abs(u))) - y * u");
    // Both sides are O(1) or tiny (log(1 + 1e-13)): compare absolutely, relative to 1 + |want|.
    const auto close = [](double got, double want) { return std::abs(got - want) <= 1e-12 * (1 + std::abs(want)); };
    for (double z : {-30.0, -4.0, -1.5, -0.25, 0.0, 0.3, 2.0, 7.5, 30.0})
        for (double target : {0.0, 1.0, 0.3}) {
            // log(1 + exp(z)) - y z = -(y log p + (1 - y) log(1 - p)), with no overflow for |z| <= 30.
            const double cross_entropy = std::log1p(std::exp(z)) - target * z;
            BOOST_TEST(close(ctgrad::eval(logistic, u = z, y = target), cross_entropy), "z " << z << ", y " << target);
            // sigmoid(z) - y, z = 0 included (where max(z, 0) would give 1 - y).
            const double p = z >= 0 ? 1 / (1 + std::exp(-z)) : std::exp(z) / (1 + std::exp(z));
            BOOST_TEST(close(ctgrad::eval(ctgrad::d(logistic, u), u = z, y = target), p - target),
                       "z " << z << ", y " << target);
            // The function is smooth at 0 (the kinks of abs cancel), so differences work there too.
            BOOST_TEST(std::abs(ctgrad::eval(ctgrad::d(logistic, u), u = z, y = target) -
                                numeric_derivative(logistic, z, target)) < 1e-6,
                       "z " << z << ", y " << target);
        }
    // Far out, where log(1 - sigmoid(z)) is log(0) and exp(z) overflows: finite and right.
    BOOST_TEST(ctgrad::eval(logistic, u = 800.0, y = 0.0) == 800.0);
    BOOST_TEST(ctgrad::eval(logistic, u = 800.0, y = 1.0) == 0.0);
    BOOST_TEST(ctgrad::eval(logistic, u = -800.0, y = 1.0) == 800.0);
    BOOST_TEST(ctgrad::eval(ctgrad::d(logistic, u), u = 800.0, y = 0.0) == 1.0);
    BOOST_TEST(ctgrad::eval(ctgrad::d(logistic, u), u = -800.0, y = 1.0) == -1.0);
    BOOST_TEST(ctgrad::eval(ctgrad::d(logistic, u), u = -800.0, y = 0.0) == 0.0);
}

BOOST_AUTO_TEST_CASE(the_logistic_loss_stays_finite_in_the_fused_kernel) {
    // Logits from -900 to 900 (exp(900) overflows) through the SIMD lanes and the scalar tail
    // (m = 37), in double and float: the mean loss and gradient are finite and equal the mean
    // of the scalar evaluator's values and of sigmoid(z) - y.
    constexpr nn::linear layer;
    const auto loss = ctgrad::loss::logistic(layer(x), y);
    const std::size_t m = 37;
    auto features = xt::xtensor<double, 2>::from_shape({1, m});
    auto targets = xt::xtensor<double, 1>::from_shape({m});
    for (std::size_t i = 0; i < m; ++i) {
        features(0, i) = -900.0 + 50.0 * double(i);
        targets(i) = i % 3 == 0 ? 1.0 : 0.0;
    }
    auto params = ctgrad::make_parameters(layer.weight = xt::xtensor<double, 1>{1.0}, layer.bias = 0.0);
    const auto batch = ctgrad::make_batch(x = features, y = targets);
    const auto [value, grad] = ctgrad::value_and_grad(loss, params, batch);
    double want = 0, want_b = 0, want_w = 0;
    for (std::size_t i = 0; i < m; ++i) {
        const double z = features(0, i);
        const xt::xtensor<double, 1> xi{z};
        want += ctgrad::eval(loss, x = xi, y = targets(i), layer.weight = xt::xtensor<double, 1>{1.0}, layer.bias = 0.0);
        const double p = z >= 0 ? 1 / (1 + std::exp(-z)) : std::exp(z) / (1 + std::exp(z));
        want_b += p - targets(i);
        want_w += (p - targets(i)) * z;
    }
    BOOST_TEST(std::isfinite(value));
    BOOST_TEST(value == want / double(m), boost::test_tools::tolerance(1e-12));
    BOOST_TEST(grad[layer.bias] == want_b / double(m), boost::test_tools::tolerance(1e-12));
    BOOST_TEST(grad[layer.weight](0) == want_w / double(m), boost::test_tools::tolerance(1e-12));

    const xt::xtensor<float, 2> features_f = xt::cast<float>(features);
    const xt::xtensor<float, 1> targets_f = xt::cast<float>(targets);
    auto params_f = ctgrad::make_parameters(layer.weight = xt::xtensor<float, 1>{1.0f}, layer.bias = 0.0f);
    const auto [value_f, grad_f] = ctgrad::value_and_grad(loss, params_f, ctgrad::make_batch(x = features_f, y = targets_f));
    BOOST_TEST(value_f == want / double(m), boost::test_tools::tolerance(1e-5));
    BOOST_TEST(grad_f[layer.bias] == want_b / double(m), boost::test_tools::tolerance(1e-5));
    BOOST_TEST(grad_f[layer.weight](0) == want_w / double(m), boost::test_tools::tolerance(1e-5));
}

BOOST_AUTO_TEST_CASE(huber_rejects_a_bad_delta) {
    BOOST_CHECK_THROW(ctgrad::loss::huber(0.0), ctgrad::invalid_argument);
    BOOST_CHECK_THROW(ctgrad::loss::huber(-1.0), ctgrad::invalid_argument);
    BOOST_CHECK_THROW(ctgrad::loss::huber(std::nan("")), ctgrad::invalid_argument);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(concise)

// MSE without the 1/2 doubles the gradient, so 3 epochs at lr 0.03 go further than 3.4's:
// measured over 100 seeds, max |Δw| 0.018 and max |Δb| 0.017.
BOOST_AUTO_TEST_CASE(the_concise_linear_regression_learns_the_books_parameters) {
    for (std::uint64_t seed = 0; seed < 20; ++seed) {
        auto d = data::synthetic_regression_data({2, -3.4}, 4.2, {.seed = seed});
        auto model = nn::linear_regression(0.03, {.seed = seed});
        static_assert(ctgrad::model<decltype(model)>);
        BOOST_TEST(model.parameters()[net.weight].size() == 0u); // sized by the first fit, as LazyLinear
        const auto h = ctgrad::trainer({.max_epochs = 3}).fit(model, d);
        const auto [w, b] = model.get_w_b();
        BOOST_TEST(w.size() == 2u);
        BOOST_TEST(std::abs(w(0) - 2) < 0.05, "seed " << seed);
        BOOST_TEST(std::abs(w(1) + 3.4) < 0.05, "seed " << seed);
        BOOST_TEST(std::abs(b - 4.2) < 0.05, "seed " << seed);
        BOOST_TEST(h.val_loss.back() < 1e-3);
    }
}

BOOST_AUTO_TEST_CASE(make_model_takes_any_forward_expression_and_loss) {
    // Huber's loss on the layer, with its own symbol names.
    constexpr nn::linear<"weights", "bias"> layer;
    auto model = nn::make_model(layer(x), ctgrad::loss::huber(1.0), y, {.lr = 0.1, .num_inputs = 2});
    BOOST_TEST(model.parameters()[layer.weight].size() == 2u); // sized at once when num_inputs is given
    BOOST_TEST(model.parameters()[layer.bias] == 0.0);
    auto d = data::synthetic_regression_data({2, -3.4}, 4.2, {.seed = 1});
    ctgrad::trainer({.max_epochs = 20}).fit(model, d);
    BOOST_TEST(std::abs(model.parameters()[layer.weight](0) - 2) < 0.01);
    BOOST_TEST(std::abs(model.parameters()[layer.bias] - 4.2) < 0.01);
}

BOOST_AUTO_TEST_CASE(a_scalar_input_model_trains_and_rejects_wide_data) {
    // Ohm's law: V = R I + V0.
    constexpr ctgrad::input<"I"> current;
    constexpr ctgrad::param<"R"> resistance;
    constexpr ctgrad::param<"V0"> offset;
    auto model = nn::make_model(resistance * current + offset, ctgrad::loss::mse, y, {.lr = 0.1});
    data::random_engine random(3);
    auto features = xt::xtensor<double, 2>::from_shape({1, 500});
    auto targets = xt::xtensor<double, 1>::from_shape({500});
    for (std::size_t i = 0; i < 500; ++i) {
        features(0, i) = random.uniform() * 2;
        targets(i) = 4.7 * features(0, i) + 0.1 + 0.01 * random.normal();
    }
    data::dataset<double> d(std::move(features), std::move(targets), {.num_train = 400, .batch_size = 20});
    model.parameters()[resistance] = 1.0; // a start set by the caller survives fit's sizing
    model.initialize_for(1);
    BOOST_TEST(model.parameters()[resistance] == 1.0);
    ctgrad::trainer({.max_epochs = 50}).fit(model, d);
    BOOST_TEST(std::abs(model.parameters()[resistance] - 4.7) < 0.01);
    auto wide = data::synthetic_regression_data({1.0, 2.0}, 0.0);
    BOOST_CHECK_EXCEPTION(ctgrad::trainer().fit(model, wide), ctgrad::invalid_argument, [](const auto& e) {
        return std::string(e.what()) == "ctgrad::nn::model: the input I is a scalar but the data has 2 features";
    });
}

BOOST_AUTO_TEST_CASE(vectors_the_caller_set_survive_the_first_fit) {
    auto model = nn::linear_regression(0.03);
    model.parameters()[net.weight] = xt::xtensor<double, 1>{2.0, -3.4};
    model.initialize_for(2);
    BOOST_TEST(model.parameters()[net.weight](1) == -3.4);
    auto wrong = nn::linear_regression(0.03);
    wrong.parameters()[net.weight] = xt::xtensor<double, 1>{1.0, 2.0, 3.0};
    BOOST_CHECK_EXCEPTION(wrong.initialize_for(2), ctgrad::invalid_argument, [](const auto& e) {
        return std::string(e.what()) == "ctgrad::nn::model: parameter w has length 3 but the data has 2 features";
    });
}

BOOST_AUTO_TEST_CASE(a_fitted_model_rejects_data_of_another_width) {
    auto model = nn::linear_regression(0.03);
    auto two = data::synthetic_regression_data({1.0, 2.0}, 0.0);
    auto three = data::synthetic_regression_data({1.0, 2.0, 3.0}, 0.0);
    ctgrad::trainer({.max_epochs = 1}).fit(model, two);
    BOOST_CHECK_EXCEPTION(ctgrad::trainer().fit(model, three), ctgrad::invalid_argument, [](const auto& e) {
        return std::string(e.what()) == "ctgrad::nn::model: the model has 2 inputs but the data has 3 features";
    });
    BOOST_CHECK_THROW(nn::linear_regression(-1.0), ctgrad::invalid_argument);
}

BOOST_AUTO_TEST_SUITE_END()
