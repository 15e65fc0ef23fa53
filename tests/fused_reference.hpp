// Shared by the tests of the fused kernel on large batches (test_fused_packing, test_parallel):
// the symbols of the d2l loss with a second input vector, random data, and the loop a user
// writes for the d2l loss, in double, to compare with.
#ifndef CTGRAD_TESTS_FUSED_REFERENCE_HPP
#define CTGRAD_TESTS_FUSED_REFERENCE_HPP

#include <boost/test/unit_test.hpp>

#include <ctgrad/ctgrad.hpp>

#include <cmath>
#include <random>
#include <string>
#include <type_traits>
#include <vector>

namespace fused_test {

constexpr ctgrad::input_vec<"x"> x;
constexpr ctgrad::input_vec<"z"> z;
constexpr ctgrad::input<"y"> y;
constexpr ctgrad::param_vec<"w"> w;
constexpr ctgrad::param_vec<"v"> v;
constexpr ctgrad::param<"b"> b;

template <class T>
std::vector<T> random_vector(std::size_t n, double scale, std::mt19937_64& rng) {
    std::normal_distribution<double> normal(0.0, scale);
    std::vector<T> out(n);
    for (auto& e : out) e = static_cast<T>(normal(rng));
    return out;
}

template <class T, class Store>
void require_identical(const Store& a, const Store& b, T value_a, T value_b, const std::string& where) {
    BOOST_TEST(value_a == value_b, where << ": loss " << value_a << " vs " << value_b);
    a.for_each([&](auto symbol, const auto& ga) {
        const auto& gb = b[symbol];
        const std::string name(decltype(symbol)::name.view());
        if constexpr (std::is_arithmetic_v<std::remove_cvref_t<decltype(ga)>>) {
            BOOST_TEST(ga == gb, where << ": d/d" << name << " " << ga << " vs " << gb);
        } else {
            BOOST_REQUIRE_EQUAL(ga.size(), gb.size());
            for (std::size_t j = 0; j < ga.size(); ++j)
                BOOST_TEST(ga(j) == gb(j), where << ": d/d" << name << "[" << j << "] " << ga(j) << " vs " << gb(j));
        }
    });
}

/// The d2l loss, its gradient and predictions over feature-major X (d x m), summed in double
/// as a user's loop would, and the sum of |residual| that scales the tolerances.
struct d2l_reference {
    double loss = 0, gb = 0, scale = 0;
    std::vector<double> gw, predictions;
};

template <class T, class Params>
d2l_reference reference_d2l(const T* X, const std::vector<T>& Y, const Params& params, std::size_t d, std::size_t m) {
    d2l_reference ref;
    ref.gw.assign(d, 0.0);
    ref.predictions.resize(m);
    for (std::size_t i = 0; i < m; ++i) {
        double r = double(params[b]);
        for (std::size_t j = 0; j < d; ++j) r += double(X[j * m + i]) * double(params[w](j));
        ref.predictions[i] = r;
        r -= double(Y[i]);
        ref.loss += r * r / 2;
        ref.gb += r;
        ref.scale += std::abs(r);
        for (std::size_t j = 0; j < d; ++j) ref.gw[j] += r * double(X[j * m + i]);
    }
    return ref;
}

/// The laws' tolerance, relative to the mean magnitude of the summed terms.
template <class T>
constexpr double laws_tolerance = std::is_same_v<T, float> ? 1e-5 : 1e-12;

/// The mean loss (value_and_grad's or value's) against the reference within the laws' tolerance.
template <class T>
void require_loss_near_reference(const d2l_reference& ref, std::size_t m, T loss_value, const std::string& where) {
    const double n = double(m);
    BOOST_TEST(std::abs(double(loss_value) - ref.loss / n) <= laws_tolerance<T> * ref.loss / n,
               where << ": loss " << loss_value << " vs " << ref.loss / n);
}

/// Every prediction against the reference's, within tolerance relative to 1 + |prediction|.
template <class Predictions>
void require_predictions_near_reference(const d2l_reference& ref, const Predictions& predicted, double tolerance,
                                        const std::string& where) {
    BOOST_REQUIRE_EQUAL(predicted.size(), ref.predictions.size());
    std::size_t wrong = 0;
    for (std::size_t i = 0; i < ref.predictions.size(); ++i)
        wrong += !(std::abs(double(predicted(i)) - ref.predictions[i]) <= tolerance * (1 + std::abs(ref.predictions[i])));
    BOOST_TEST(wrong == 0u, where << ": " << wrong << " predictions differ");
}

/// The mean loss and gradient against the reference within the laws' tolerance.
template <class T, class Store>
void require_near_reference(const d2l_reference& ref, std::size_t m, T loss_value, const Store& grads, const std::string& where) {
    const double tol = laws_tolerance<T>;
    const double n = double(m);
    require_loss_near_reference(ref, m, loss_value, where);
    BOOST_TEST(std::abs(double(grads[b]) - ref.gb / n) <= tol * ref.scale / n, where << ": d/db");
    for (std::size_t j = 0; j < ref.gw.size(); ++j)
        BOOST_TEST(std::abs(double(grads[w](j)) - ref.gw[j] / n) <= tol * 4 * ref.scale / n, where << ": d/dw[" << j << "]");
}

} // namespace fused_test

#endif // CTGRAD_TESTS_FUSED_REFERENCE_HPP
