// ctgrad/data/synthetic.hpp: d2l's SyntheticRegressionData. X ~ N(0, 1) of shape
// (n, len(w)), y = X w + b + noise * N(0, 1), n = num_train + num_val; the first num_train
// examples train, the rest validate.
#ifndef CTGRAD_DATA_SYNTHETIC_HPP
#define CTGRAD_DATA_SYNTHETIC_HPP

#include "ctgrad/core/symbol.hpp"
#include "ctgrad/data/dataset.hpp"
#include "ctgrad/data/random.hpp"
#include "ctgrad/error.hpp"

#include <xtensor/xtensor.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <iterator>
#include <string>
#include <type_traits>
#include <vector>

namespace ctgrad::data {

/// The book's defaults; the book sets no seed, ctgrad takes one.
struct synthetic_options {
    double noise = 0.01;
    std::size_t num_train = 1000;
    std::size_t num_val = 1000;
    std::size_t batch_size = 32;
    std::uint64_t seed = 0;
};

/// A dataset drawn around true parameters, which it remembers (true_w(), true_b()).
template <class T>
class regression_data : public dataset<T> {
public:
    regression_data(dataset<T> data, xt::xtensor<T, 1> w, T b)
        : dataset<T>(std::move(data)), m_w(std::move(w)), m_b(b) {}

    [[nodiscard]] const xt::xtensor<T, 1>& true_w() const noexcept { return m_w; }
    [[nodiscard]] T true_b() const noexcept { return m_b; }

private:
    xt::xtensor<T, 1> m_w;
    T m_b;
};

/// synthetic_regression_data(std::vector{2.0, -3.4}, 4.2, {.seed = 7}). The number type is
/// w's (float or double). Examples are drawn one after another, each its features then, after
/// all of X, the noise, as the book draws them; the same seed gives the same data everywhere.
template <contiguous_values W>
auto synthetic_regression_data(const W& w, double b, const synthetic_options& options = {}) {
    using T = std::remove_cvref_t<decltype(*std::data(w))>;
    static_assert(std::is_same_v<T, float> || std::is_same_v<T, double>,
                  "ctgrad::data::synthetic_regression_data: w holds float or double");
    const std::string where = "ctgrad::data::synthetic_regression_data: ";
    const std::size_t d = std::size(w);
    const std::size_t n = options.num_train + options.num_val;
    if (d == 0) throw invalid_argument(where + "w is empty");
    if (!(options.noise >= 0) || !std::isfinite(options.noise))
        throw invalid_argument(where + "noise must be finite and >= 0, not " + std::to_string(options.noise));
    if (!std::isfinite(b)) throw invalid_argument(where + "b is not finite");
    if (options.batch_size == 0) throw invalid_argument(where + "batch_size must be at least 1");
    if (n == 0) throw invalid_argument(where + "num_train + num_val is 0: there is nothing to draw");

    auto true_w = xt::xtensor<T, 1>::from_shape({d});
    std::copy(std::data(w), std::data(w) + d, true_w.begin());
    for (std::size_t j = 0; j < d; ++j)
        if (!std::isfinite(true_w(j))) throw invalid_argument(where + "w[" + std::to_string(j) + "] is not finite");

    random_engine random(options.seed);
    auto features = xt::xtensor<T, 2>::from_shape({d, n});
    for (std::size_t i = 0; i < n; ++i)
        for (std::size_t j = 0; j < d; ++j) features(j, i) = static_cast<T>(random.normal());
    auto targets = xt::xtensor<T, 1>::from_shape({n});
    for (std::size_t i = 0; i < n; ++i) {
        double y = b;
        for (std::size_t j = 0; j < d; ++j) y += double(features(j, i)) * double(true_w(j));
        targets(i) = static_cast<T>(y + options.noise * random.normal());
    }
    dataset<T> data(std::move(features), std::move(targets), {options.num_train, options.batch_size, options.seed});
    return regression_data<T>(std::move(data), std::move(true_w), static_cast<T>(b));
}

/// The same with w written in place: synthetic_regression_data({2, -3.4}, 4.2) (double).
inline auto synthetic_regression_data(std::initializer_list<double> w, double b, const synthetic_options& options = {}) {
    return synthetic_regression_data(std::vector<double>(w), b, options);
}

} // namespace ctgrad::data

#endif // CTGRAD_DATA_SYNTHETIC_HPP
