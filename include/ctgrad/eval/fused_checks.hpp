// ctgrad/eval/fused_checks.hpp: what value_and_grad, value and predict check before they run:
// at compile time that every symbol is bound and both sides hold one number type (each misuse
// a message naming the call and the fix), at run time the lengths and the examples.
#ifndef CTGRAD_EVAL_FUSED_CHECKS_HPP
#define CTGRAD_EVAL_FUSED_CHECKS_HPP

#include "ctgrad/error.hpp"
#include "ctgrad/eval/fused_plan.hpp"

#include <cstddef>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

namespace ctgrad::detail {

/// The entry point a misuse message names.
enum class fused_call { value_and_grad, value, predict };

/// Instantiated only when the batch lacks an input of the expression; the input's name is
/// spelled in the template arguments, which both g++ and clang print legibly.
template <fused_call Call, char... Name>
struct input_missing_from_batch {
    static_assert(Call != fused_call::value_and_grad,
                  "ctgrad::value_and_grad: the loss reads an input that the batch does not hold: add it to make_batch "
                  "(its name is spelled in the template arguments of input_missing_from_batch)");
    static_assert(Call != fused_call::value,
                  "ctgrad::value: the loss reads an input that the batch does not hold: add it to make_batch "
                  "(its name is spelled in the template arguments of input_missing_from_batch)");
    static_assert(Call != fused_call::predict,
                  "ctgrad::predict: the model reads an input that the batch does not hold: add it to make_batch "
                  "(its name is spelled in the template arguments of input_missing_from_batch)");
};

/// Instantiated only when the store lacks a parameter of the expression.
template <fused_call Call, char... Name>
struct parameter_missing_from_store {
    static_assert(Call != fused_call::value_and_grad,
                  "ctgrad::value_and_grad: the loss has a parameter that the store does not hold: add it to "
                  "make_parameters (its name is spelled in the template arguments of parameter_missing_from_store)");
    static_assert(Call != fused_call::value,
                  "ctgrad::value: the loss has a parameter that the store does not hold: add it to "
                  "make_parameters (its name is spelled in the template arguments of parameter_missing_from_store)");
    static_assert(Call != fused_call::predict,
                  "ctgrad::predict: the model has a parameter that the store does not hold: add it to "
                  "make_parameters (its name is spelled in the template arguments of parameter_missing_from_store)");
};

template <fused_call Call, class T, class U>
constexpr void require_same_number_type() {
    static_assert(std::is_same_v<T, U> || Call != fused_call::value_and_grad,
                  "ctgrad::value_and_grad: the parameters and the batch hold different number types: make both float "
                  "or both double (make_parameters<T> and the data given to make_batch)");
    static_assert(std::is_same_v<T, U> || Call != fused_call::value,
                  "ctgrad::value: the parameters and the batch hold different number types: make both float "
                  "or both double (make_parameters<T> and the data given to make_batch)");
    static_assert(std::is_same_v<T, U> || Call != fused_call::predict,
                  "ctgrad::predict: the parameters and the batch hold different number types: make both float "
                  "or both double (make_parameters<T> and the data given to make_batch)");
}

template <fused_call Call, template <fused_call, char...> class Missing, class S, class... Symbols>
constexpr void require_listed(type_list<Symbols...>) {
    if constexpr (!list_contains_v<type_list<Symbols...>, S>) {
        [&]<std::size_t... I>(std::index_sequence<I...>) {
            [[maybe_unused]] Missing<Call, S::name.m_chars[I]...> error;
        }(std::make_index_sequence<S::name.view().size()>{});
    }
}

template <class E, class Params, class Batch>
inline constexpr bool is_bound_v =
    std::is_same_v<typename Params::value_type, typename Batch::value_type> &&
    []<class... Ps>(type_list<Ps...>) { return (list_contains_v<typename Params::symbols, Ps> && ...); }(params_of_t<E>{}) &&
    []<class... Is>(type_list<Is...>) { return (list_contains_v<typename Batch::symbols, Is> && ...); }(inputs_of_t<E>{});

/// Static checks shared by the entry points: every parameter of E is in the store, every
/// input in the batch, and both hold one number type. Each failure names the call, the symbol
/// and the fix; the entry points then stop (if constexpr on is_bound_v), so it is the only error.
template <fused_call Call, class E, class Params, class Batch>
constexpr void require_complete() {
    require_same_number_type<Call, typename Params::value_type, typename Batch::value_type>();
    for_each_type(params_of_t<E>{}, [](auto s, auto) {
        require_listed<Call, parameter_missing_from_store, typename decltype(s)::type>(typename Params::symbols{});
    });
    for_each_type(inputs_of_t<E>{}, [](auto s, auto) {
        require_listed<Call, input_missing_from_batch, typename decltype(s)::type>(typename Batch::symbols{});
    });
}

template <class Batch>
void require_examples(const Batch& batch, const char* call) {
    if (batch.examples() == 0) throw ctgrad::invalid_argument(std::string(call) + ": the batch has no examples");
}

// ---- lengths, checked once per call ----

template <class S, class Params, class Batch>
std::size_t vector_length(const Params& params, const Batch& batch) {
    if constexpr (S::is_param) return params[S{}].size();
    else return batch[S{}].m_features;
}

/// The common length of the vector symbols in Leaves (what an element-wise evaluation of
/// where() reads); throws std::invalid_argument naming two that differ. `where` is called
/// only to build that message: printing an expression costs more than a whole small batch.
template <class... Leaves, class Params, class Batch, class Where>
std::size_t common_vector_length(type_list<Leaves...>, const Params& params, const Batch& batch, Where&& where) {
    static_assert(sizeof...(Leaves) > 0);
    const std::size_t lengths[] = {vector_length<Leaves>(params, batch)...};
    const std::string_view names[] = {Leaves::name.view()...};
    for (std::size_t i = 1; i < sizeof...(Leaves); ++i)
        if (lengths[i] != lengths[0])
            throw ctgrad::invalid_argument("ctgrad: length mismatch in " + where() + ": " + std::string(names[0]) +
                                        " has length " + std::to_string(lengths[0]) + " but " + std::string(names[i]) +
                                        " has length " + std::to_string(lengths[i]));
    return lengths[0];
}

} // namespace ctgrad::detail

#endif // CTGRAD_EVAL_FUSED_CHECKS_HPP
