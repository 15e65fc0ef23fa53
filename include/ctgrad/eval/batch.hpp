// ctgrad/eval/batch.hpp: a minibatch as the fused kernel reads it. Each input is a view:
// an `input` is a column of m numbers; an `input_vec` of d features is a feature-major
// d x m block, one contiguous row per feature, so SIMD lanes run over examples.
#ifndef CTGRAD_EVAL_BATCH_HPP
#define CTGRAD_EVAL_BATCH_HPP

#include "ctgrad/error.hpp"
#include "ctgrad/eval/bindings.hpp"
#include "ctgrad/detail/type_list.hpp"

#include <xtensor/xtensor.hpp>

#include <cstddef>
#include <stdexcept>
#include <string>
#include <string_view>
#include <tuple>

namespace ctgrad {

/// Feature-major numbers: feature j of example i is at m_data[j * m_stride + i]. A plain
/// column (an `input`) has one feature.
template <class T>
struct feature_major_view {
    const T* m_data = nullptr;
    std::size_t m_features = 0;
    std::size_t m_examples = 0;
    std::size_t m_stride = 0; ///< distance between two features' rows, >= m_examples
};

namespace detail {

template <class T>
feature_major_view<T> as_feature_major(const feature_major_view<T>& view) { return view; }
template <class T>
feature_major_view<T> as_feature_major(const xt::xtensor<T, 2>& block) {
    return {block.data(), block.shape(0), block.shape(1), block.shape(1)};
}
template <class T>
feature_major_view<T> as_feature_major(const xt::xtensor<T, 1>& column) {
    return {column.data(), 1, column.size(), column.size()};
}
template <class T, class Allocator>
feature_major_view<T> as_feature_major(const std::vector<T, Allocator>& column) {
    return {column.data(), 1, column.size(), column.size()};
}

template <class V>
using feature_major_number_t = std::remove_cvref_t<decltype(*as_feature_major(std::declval<const V&>()).m_data)>;

/// Whether make_batch can view V in place (as_feature_major has an overload for it).
template <class V>
concept batch_data = requires(const V& v) { as_feature_major(v); };


} // namespace detail

/// The inputs of one minibatch of m examples, viewed in place (the batch does not own them).
template <class T, class... Symbols>
class batch_view {
    template <class S> using view_of = feature_major_view<T>;

public:
    using value_type = T;
    using symbols = detail::type_list<Symbols...>;

    template <class S>
    static constexpr bool contains = detail::list_contains_v<symbols, S>;

    explicit batch_view(view_of<Symbols>... views) : m_views{views...} {
        // Names are string_views: a training loop builds a batch per step, and the checks
        // must not allocate unless they fail.
        const feature_major_view<T> all[] = {views...};
        constexpr std::string_view names[] = {Symbols::name.view()...};
        constexpr bool vector[] = {Symbols::is_vector...};
        auto fail = [&](std::size_t i, const std::string& what) {
            throw ctgrad::invalid_argument("ctgrad::make_batch: input " + std::string(names[i]) + what);
        };
        m_examples = all[0].m_examples;
        for (std::size_t i = 0; i < sizeof...(Symbols); ++i) {
            if (all[i].m_examples != m_examples)
                fail(0, " has " + std::to_string(m_examples) + " examples but input " + std::string(names[i]) + " has " +
                            std::to_string(all[i].m_examples));
            if (!vector[i] && all[i].m_features != 1)
                fail(i, " is a scalar per example but is bound to " + std::to_string(all[i].m_features) + " features");
            if (all[i].m_stride < all[i].m_examples || (all[i].m_data == nullptr && all[i].m_examples != 0))
                fail(i, " is not a valid feature-major view");
        }
    }

    [[nodiscard]] std::size_t examples() const noexcept { return m_examples; }

    template <class S> requires contains<S>
    const feature_major_view<T>& operator[](S) const noexcept {
        return std::get<detail::list_index_v<symbols, S>>(m_views);
    }

private:
    std::tuple<view_of<Symbols>...> m_views;
    std::size_t m_examples = 0;
};

/// A minibatch binding each input: make_batch(x = X, y = Y) with X an xt::xtensor<T, 2> of
/// shape (d, m) (feature-major) or a feature_major_view<T>, and Y an xt::xtensor<T, 1> or a
/// std::vector<T> (any allocator) of m.
/// Throws std::invalid_argument when the inputs disagree on m.
template <symbol_binding... Bindings>
auto make_batch(const Bindings&... bindings) {
    static_assert(sizeof...(Bindings) > 0, "ctgrad::make_batch needs at least one input");
    static_assert(((!Bindings::symbol_type::is_param) && ...),
                  "ctgrad::make_batch binds inputs (input, input_vec); parameters live in a parameter_store");
    constexpr bool viewable = (detail::batch_data<std::remove_cvref_t<decltype(bindings.m_value)>> && ...);
    static_assert(viewable, "ctgrad::make_batch: an input is bound to data it cannot view in place: bind an "
                            "xt::xtensor<T, 2> of shape (features, examples) or a feature_major_view<T>, and a scalar "
                            "input also an xt::xtensor<T, 1> or a std::vector<T>");
    if constexpr (viewable) {
        using T = detail::feature_major_number_t<std::remove_cvref_t<decltype(std::get<0>(std::tie(bindings...)).m_value)>>;
        static_assert((std::is_same_v<detail::feature_major_number_t<std::remove_cvref_t<decltype(bindings.m_value)>>, T> && ...),
                      "ctgrad::make_batch: every input must hold the same number type");
        return batch_view<T, typename Bindings::symbol_type...>{detail::as_feature_major(bindings.m_value)...};
    } else {
        return 0; // never used: the static_assert above has failed
    }
}

} // namespace ctgrad

#endif // CTGRAD_EVAL_BATCH_HPP
