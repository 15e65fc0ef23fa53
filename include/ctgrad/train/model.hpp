// ctgrad/train/model.hpp: what the trainer needs of a model and of a dataset.
#ifndef CTGRAD_TRAIN_MODEL_HPP
#define CTGRAD_TRAIN_MODEL_HPP

#include "ctgrad/core/traits.hpp"
#include "ctgrad/data/loader.hpp"
#include "ctgrad/eval/parameter_store.hpp"
#include "ctgrad/optim/sgd.hpp"

#include <cstddef>
#include <type_traits>
#include <utility>

namespace ctgrad {

template <class S> inline constexpr bool is_parameter_store_v = false;
template <class T, class... P> inline constexpr bool is_parameter_store_v<parameter_store<T, P...>> = true;

/// A model's parameter store type.
template <class M>
using parameters_t = std::remove_cvref_t<decltype(std::declval<M&>().parameters())>;

// The members a model needs, one concept each, so that require_model can name what is missing.
namespace detail {
template <class M> concept has_value_type = requires { typename M::value_type; };
template <class M> concept has_parameters = requires(M& m) { m.parameters(); } && is_parameter_store_v<parameters_t<M>>;
template <class M> concept has_loss = requires(const M& cm) { { cm.loss() } -> expression; };
template <class M, batch_layout L = batch_layout::feature_major>
concept has_bind = has_value_type<M> && requires(const M& cm, const data::minibatch<typename M::value_type, L>& batch) {
    cm.bind(batch);
};
template <class M> concept has_optimizer = requires(M& m) { m.configure_optimizers(); };
template <class M>
concept same_number_type = std::is_same_v<typename parameters_t<M>::value_type, typename M::value_type>;
template <class M>
concept optimizer_for_parameters = requires(M& m) { { m.configure_optimizers() } -> optimizer<parameters_t<M>>; };
} // namespace detail

/// A trainable model (d2l's Module):
/// - value_type: float or double;
/// - parameters(): its parameter_store, by reference (the trainer updates it in place);
/// - loss(): the per-example loss expression (the trainer takes its mean over a batch);
/// - bind(batch): the loss's inputs bound to a data::minibatch, e.g.
///   `return make_batch(x = batch.features, y = batch.targets);`
/// - configure_optimizers(): an optimizer for its parameters, e.g. sgd(lr).
/// Optionally initialize_for(num_features), called by fit before training, for layers whose
/// size comes from the data (d2l's LazyLinear).
/// model<M, batch_layout::example_major> asks for bind of an example-major minibatch instead.
template <class M, batch_layout L = batch_layout::feature_major>
concept model = detail::has_value_type<M> && detail::has_parameters<M> && detail::same_number_type<M> &&
                detail::has_loss<M> && detail::has_bind<M, L> && detail::optimizer_for_parameters<M>;

namespace detail {
/// What `model` asks of M, one static_assert per member, so that the error names what is missing.
template <class M, batch_layout L = batch_layout::feature_major>
constexpr void require_model() {
    static_assert(has_value_type<M>, "ctgrad::trainer: the model has no value_type: declare `using value_type = double;` (or float)");
    static_assert(has_parameters<M>,
                  "ctgrad::trainer: the model has no parameters() returning its parameter_store by reference");
    static_assert(has_loss<M>, "ctgrad::trainer: the model has no const loss() returning its per-example loss expression");
    if constexpr (L == batch_layout::feature_major)
        static_assert(has_bind<M, L>, "ctgrad::trainer: the model has no bind(const data::minibatch<value_type>&) const "
                                      "returning make_batch(...) of its loss's inputs");
    else
        static_assert(has_bind<M, L>, "ctgrad::trainer: the model has no bind(const data::minibatch<value_type, "
                                      "batch_layout::example_major>&) const returning make_batch(...) of its loss's "
                                      "inputs, and the data is example-major");
    static_assert(has_optimizer<M>, "ctgrad::trainer: the model has no configure_optimizers() returning an optimizer for "
                                    "its parameters, e.g. ctgrad::sgd(0.03)");
    if constexpr (has_value_type<M> && has_parameters<M>) {
        static_assert(same_number_type<M>,
                      "ctgrad::trainer: the model's parameters() hold another number type than its value_type");
        if constexpr (has_optimizer<M>)
            static_assert(optimizer_for_parameters<M>,
                          "ctgrad::trainer: the model's configure_optimizers() returns something that is not an "
                          "optimizer (with step(params, grads)) for its parameters");
    }
}
} // namespace detail

/// A minibatch loader: a pass has size() batches, batch(i) gives one of them.
template <class L>
concept loader = requires(L& l, std::size_t i) {
    { l.size() } -> std::convertible_to<std::size_t>;
    { l.num_features() } -> std::convertible_to<std::size_t>;
    l.start_epoch();
    l.batch(i);
};

/// d2l's DataModule: a training loader and a validation loader (possibly empty).
template <class D>
concept data_module = requires(D& d) {
    { d.train_dataloader() } -> loader;
    { d.val_dataloader() } -> loader;
};

namespace detail {
template <class B> inline constexpr batch_layout layout_of_batch_v = batch_layout::feature_major;
template <class T, batch_layout L> inline constexpr batch_layout layout_of_batch_v<data::minibatch<T, L>> = L;

/// The layout of the batches D's training loader hands out: a data::minibatch's own, else
/// feature-major (a loader of another batch type is checked against the model's bind as before).
template <data_module D>
inline constexpr batch_layout data_layout_v =
    layout_of_batch_v<std::remove_cvref_t<decltype(std::declval<D&>().train_dataloader().batch(std::size_t{0}))>>;
} // namespace detail

} // namespace ctgrad

#endif // CTGRAD_TRAIN_MODEL_HPP
