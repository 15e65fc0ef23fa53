// ctgrad/distributed/group_sums.hpp: a parameter store's numbers in and out of the flat
// buffer of doubles a process group adds up, and the mean loss and gradient of a batch whose
// examples are shared among the group's ranks.
#ifndef CTGRAD_DISTRIBUTED_GROUP_SUMS_HPP
#define CTGRAD_DISTRIBUTED_GROUP_SUMS_HPP

#include "ctgrad/distributed/process_group.hpp"
#include "ctgrad/eval/fused.hpp"
#include "ctgrad/eval/parameter_store.hpp"
#include "ctgrad/optim/parameter_columns.hpp"

#include <cstddef>
#include <vector>

namespace ctgrad::detail {

/// Writes factor * every number of `store`, in column order (for_each_column), from `out`.
template <class T, class... P>
void put_scaled(const parameter_store<T, P...>& store, double factor, double* out) {
    for_each_column(store, [&](std::size_t j, const T& v) { out[j] = factor * double(v); });
}

/// Reads every number of `store` from `in` (put_scaled's order), divided by `divisor`.
template <class T, class... P>
void take_divided(parameter_store<T, P...>& store, double divisor, const double* in) {
    for_each_column(store, [&](std::size_t j, T& v) { v = static_cast<T>(in[j] / divisor); });
}

/// The mean over the group's examples of a per-example value whose mean over this rank's
/// `examples` (possibly none) local_mean() gives.
template <process_group G, class LocalMean>
double group_mean(const G& group, std::size_t examples, LocalMean&& local_mean) {
    if constexpr (is_single_process_v<G>) {
        return double(local_mean());
    } else {
        double sums[2] = {0, 0};
        if (examples > 0) {
            sums[0] = double(examples);
            sums[1] = sums[0] * double(local_mean());
        }
        group.sum(sums, 2);
        return sums[1] / sums[0];
    }
}

/// Σ of `mine` over the group's ranks, in rank order.
template <process_group G>
double group_total(const G& group, double mine) {
    group.sum(&mine, 1);
    return mine;
}

/// Rank 0's parameters on every rank.
template <process_group G, class T, class... P>
void broadcast_parameters(const G& group, parameter_store<T, P...>& params, std::vector<double>& buffer) {
    if constexpr (!is_single_process_v<G>) {
        buffer.resize(column_count(params));
        put_scaled(params, 1.0, buffer.data());
        group.broadcast(buffer.data(), buffer.size());
        take_divided(params, 1.0, buffer.data());
    }
}

/// The mean loss and mean gradient of a batch whose examples the group's ranks share, this
/// rank holding `examples` of them (possibly none) and bind() binding them: each rank's sums,
/// added in rank order, over the batch's size. A single process runs value_and_grad alone.
template <process_group G, class Loss, class T, class... P, class Bind>
double group_value_and_grad(const G& group, const Loss& loss, const parameter_store<T, P...>& params, std::size_t examples,
                            Bind&& bind, parameter_store<T, P...>& grads, std::vector<double>& sums) {
    if constexpr (is_single_process_v<G>) {
        return double(value_and_grad(loss, params, bind(), grads));
    } else {
        sums.assign(2 + column_count(grads), 0.0); // a rank with no examples adds zeros
        if (examples > 0) {
            const double n = double(examples);
            sums[0] = n;
            sums[1] = n * double(value_and_grad(loss, params, bind(), grads));
            put_scaled(grads, n, sums.data() + 2);
        }
        group.sum(sums.data(), sums.size());
        take_divided(grads, sums[0], sums.data() + 2);
        return sums[1] / sums[0];
    }
}

} // namespace ctgrad::detail

#endif // CTGRAD_DISTRIBUTED_GROUP_SUMS_HPP
