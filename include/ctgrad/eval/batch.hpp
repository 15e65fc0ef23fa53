// ctgrad/eval/batch.hpp: a minibatch as the fused kernel reads it. Each input is a view: an
// `input` is a column of m numbers; an `input_vec` of d features is either a feature-major
// d x m block, one contiguous row per feature (SIMD lanes run over examples), or example-major
// m x d rows, one contiguous row per example (SIMD lanes run over features; NumPy's C order).
// The layout is part of the batch's type, so each kernel is compiled only for the data it reads
// (docs/evaluation.md, Example-major rows).
#ifndef CTGRAD_EVAL_BATCH_HPP
#define CTGRAD_EVAL_BATCH_HPP

#include "ctgrad/error.hpp"
#include "ctgrad/eval/bindings.hpp"
#include "ctgrad/detail/type_list.hpp"

#include <xtensor/xtensor.hpp>

#include <concepts>
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

/// Example-major numbers: feature j of example i is at m_data[i * m_stride + j].
template <class T>
struct example_major_view {
    const T* m_data = nullptr;
    std::size_t m_features = 0;
    std::size_t m_examples = 0;
    std::size_t m_stride = 0; ///< distance between two examples' rows, >= m_features
};

/// Views an xt::xtensor<T, 2> of shape (examples, features), row-major, in place.
template <class T>
example_major_view<T> example_major(const xt::xtensor<T, 2>& rows) {
    return {rows.data(), rows.shape(1), rows.shape(0), rows.shape(1)};
}

/// How a batch's input vectors lie in memory.
enum class batch_layout : unsigned char { feature_major, example_major };

namespace detail {

template <class T>
feature_major_view<T> as_view(const feature_major_view<T>& view) { return view; }
template <class T>
example_major_view<T> as_view(const example_major_view<T>& view) { return view; }
template <class T>
feature_major_view<T> as_view(const xt::xtensor<T, 2>& block) {
    return {block.data(), block.shape(0), block.shape(1), block.shape(1)};
}
template <class T>
feature_major_view<T> as_view(const xt::xtensor<T, 1>& column) {
    return {column.data(), 1, column.size(), column.size()};
}
template <class T, class Allocator>
feature_major_view<T> as_view(const std::vector<T, Allocator>& column) {
    return {column.data(), 1, column.size(), column.size()};
}

/// A container that offers a feature-major view of itself (padded_feature_major).
template <class C>
    requires requires(const C& c) {
        { c.view() } -> std::same_as<feature_major_view<typename C::value_type>>;
    }
feature_major_view<typename C::value_type> as_view(const C& numbers) {
    return numbers.view();
}

template <class V>
using view_number_t = std::remove_cvref_t<decltype(*as_view(std::declval<const V&>()).m_data)>;

/// Whether make_batch can view V in place (as_view has an overload for it).
template <class V>
concept batch_data = requires(const V& v) { as_view(v); };

template <class V> inline constexpr bool is_example_major_v = false;
template <class T> inline constexpr bool is_example_major_v<example_major_view<T>> = true;

/// The view of an input in a batch of layout L: example-major rows for an input vector of an
/// example-major batch, otherwise feature-major (a scalar input is always a plain column).
template <class T, batch_layout L, class S>
using input_view_t = std::conditional_t<L == batch_layout::example_major && S::is_vector, example_major_view<T>,
                                        feature_major_view<T>>;


} // namespace detail

/// The inputs of one minibatch of m examples, viewed in place (the batch does not own them).
template <class T, batch_layout Layout, class... Symbols>
class batch_view {
    template <class S> using view_of = detail::input_view_t<T, Layout, S>;

public:
    using value_type = T;
    using symbols = detail::type_list<Symbols...>;
    static constexpr batch_layout layout = Layout;

    template <class S>
    static constexpr bool contains = detail::list_contains_v<symbols, S>;

    explicit batch_view(view_of<Symbols>... views) : m_views{views...} {
        // Names are string_views: a training loop builds a batch per step, and the checks
        // must not allocate unless they fail.
        const example_major_view<T> all[] = {example_major_view<T>{views.m_data, views.m_features, views.m_examples,
                                                                    views.m_stride}...};
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
            const bool rows = Layout == batch_layout::example_major && vector[i];
            if (all[i].m_stride < (rows ? all[i].m_features : all[i].m_examples) ||
                (all[i].m_data == nullptr && all[i].m_examples != 0))
                fail(i, rows ? " is not a valid example-major view" : " is not a valid feature-major view");
        }
    }

    [[nodiscard]] std::size_t examples() const noexcept { return m_examples; }

    template <class S> requires contains<S>
    const view_of<S>& operator[](S) const noexcept {
        return std::get<detail::list_index_v<symbols, S>>(m_views);
    }

private:
    std::tuple<view_of<Symbols>...> m_views;
    std::size_t m_examples = 0;
};

/// A minibatch binding each input: make_batch(x = X, y = Y) with X an xt::xtensor<T, 2> of
/// shape (d, m) (feature-major), a padded_feature_major<T>, a feature_major_view<T>, or
/// example-major rows (example_major(Xrows) of an (m, d) xtensor, or an
/// example_major_view<T>), and Y an xt::xtensor<T, 1> or a std::vector<T> (any allocator) of m.
/// Every input vector of one batch has the same layout.
/// Throws std::invalid_argument when the inputs disagree on m.
template <symbol_binding... Bindings>
auto make_batch(const Bindings&... bindings) {
    static_assert(sizeof...(Bindings) > 0, "ctgrad::make_batch needs at least one input");
    static_assert(((!Bindings::symbol_type::is_param) && ...),
                  "ctgrad::make_batch binds inputs (input, input_vec); parameters live in a parameter_store");
    constexpr bool viewable = (detail::batch_data<std::remove_cvref_t<decltype(bindings.m_value)>> && ...);
    static_assert(viewable, "ctgrad::make_batch: an input is bound to data it cannot view in place: bind an "
                            "xt::xtensor<T, 2> of shape (features, examples), a padded_feature_major<T>, a "
                            "feature_major_view<T> or example_major(X) of an (examples, features) one, and a scalar "
                            "input also an xt::xtensor<T, 1> or a std::vector<T>");
    if constexpr (viewable) {
        using T = detail::view_number_t<std::remove_cvref_t<decltype(std::get<0>(std::tie(bindings...)).m_value)>>;
        static_assert((std::is_same_v<detail::view_number_t<std::remove_cvref_t<decltype(bindings.m_value)>>, T> && ...),
                      "ctgrad::make_batch: every input must hold the same number type");
        constexpr bool rows = (detail::is_example_major_v<std::remove_cvref_t<decltype(bindings.m_value)>> || ...);
        static_assert(((!Bindings::symbol_type::is_vector ||
                        detail::is_example_major_v<std::remove_cvref_t<decltype(bindings.m_value)>> == rows) && ...),
                      "ctgrad::make_batch: the input vectors of one batch must share a layout: bind all of them "
                      "example-major (example_major(X)) or all feature-major");
        static_assert(((Bindings::symbol_type::is_vector ||
                        !detail::is_example_major_v<std::remove_cvref_t<decltype(bindings.m_value)>>) && ...),
                      "ctgrad::make_batch: a scalar input (input) is a column of numbers: bind an xt::xtensor<T, 1>, "
                      "a std::vector<T> or a feature_major_view<T>, not example-major rows");
        constexpr batch_layout layout = rows ? batch_layout::example_major : batch_layout::feature_major;
        return batch_view<T, layout, typename Bindings::symbol_type...>{detail::as_view(bindings.m_value)...};
    } else {
        return 0; // never used: the static_assert above has failed
    }
}

} // namespace ctgrad

#endif // CTGRAD_EVAL_BATCH_HPP
