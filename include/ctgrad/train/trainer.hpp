// ctgrad/train/trainer.hpp: d2l's Trainer. Per training batch: the fused loss and gradient,
// a divergence check, clipping by global norm when asked, the optimizer step; after each
// epoch the validation loss; callbacks hear about all of it. A run can be saved to a
// checkpoint between steps and resumed from it.
#ifndef CTGRAD_TRAIN_TRAINER_HPP
#define CTGRAD_TRAIN_TRAINER_HPP

#include "ctgrad/distributed/group_sums.hpp"
#include "ctgrad/distributed/process_group.hpp"
#include "ctgrad/error.hpp"
#include "ctgrad/eval/fused.hpp"
#include "ctgrad/optim/clip.hpp"
#include "ctgrad/train/checkpoint_file.hpp"
#include "ctgrad/train/history.hpp"
#include "ctgrad/train/model.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstddef>
#include <filesystem>
#include <limits>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace ctgrad {

/// The optimizer's learning rate as callbacks see it, for schedules: empty when the optimizer
/// has no lr() and set_lr() (newton, a user's own).
class learning_rate_control {
public:
    learning_rate_control() = default;
    template <class O>
    explicit learning_rate_control(O& opt)
        : m_optimizer(&opt), m_get([](const void* o) { return static_cast<const O*>(o)->lr(); }),
          m_set([](void* o, double lr) { static_cast<O*>(o)->set_lr(lr); }) {}

    [[nodiscard]] explicit operator bool() const noexcept { return m_optimizer != nullptr; }
    /// The lr of the next step; throws ctgrad::invalid_argument, naming `who`, when empty.
    [[nodiscard]] double get(const char* who = "ctgrad::learning_rate_control") const {
        require(who);
        return m_get(m_optimizer);
    }
    /// Sets the lr of the steps from now on (the optimizer checks it).
    void set(double lr, const char* who = "ctgrad::learning_rate_control") const {
        require(who);
        m_set(m_optimizer, lr);
    }

private:
    void require(const char* who) const {
        if (!m_optimizer)
            throw invalid_argument(std::string(who) + ": the model's optimizer has no lr() and set_lr(); "
                                                      "a learning-rate schedule needs one (sgd, adam, adamw, rmsprop, adagrad)");
    }

    void* m_optimizer = nullptr;
    double (*m_get)(const void*) = nullptr;
    void (*m_set)(void*, double) = nullptr;
};

/// Callbacks' way to save the run (fit_state::checkpoint): the trainer writes the file once the
/// hook that asked has run in every callback, so the file holds all of their state. Empty
/// outside trainer::fit.
class checkpoint_request {
public:
    checkpoint_request() = default;
    explicit checkpoint_request(std::vector<std::filesystem::path>& pending) : m_pending(&pending) {}

    [[nodiscard]] explicit operator bool() const noexcept { return m_pending != nullptr; }
    /// Saves the run to `path` after the current hook (see trainer::resume). Throws
    /// ctgrad::invalid_argument, naming `who`, outside a fit.
    void save(std::filesystem::path path, const char* who = "ctgrad::checkpoint_request") const {
        if (!m_pending) throw invalid_argument(std::string(who) + ": there is no run to save outside trainer::fit");
        m_pending->push_back(std::move(path));
    }

private:
    std::vector<std::filesystem::path>* m_pending = nullptr;
};

/// Where training is, as callbacks see it. Epochs and batches count from 0 here; printed
/// messages count from 1.
struct fit_state {
    std::size_t epoch = 0;
    std::size_t max_epochs = 0;
    std::size_t batch = 0;             ///< within the epoch
    std::size_t batches_per_epoch = 0;
    double loss = std::numeric_limits<double>::quiet_NaN();     ///< the last training batch's loss
    double val_loss = std::numeric_limits<double>::quiet_NaN(); ///< the last validation loss
    const history* record = nullptr;   ///< everything so far
    learning_rate_control learning_rate{}; ///< the optimizer's lr, for schedules
    checkpoint_request checkpoint{};       ///< saves the run (the checkpoint callback uses it)
    /// Whether this process prints and saves: always in one process; rank 0 of a process group
    /// (every rank runs the callbacks, with the same numbers, so they decide alike).
    bool is_root = true;
};

/// A callback implements any of these (each optional), taking the model and the state:
///   on_fit_begin, on_batch_end, on_epoch_end (returning bool: true stops training), on_fit_end;
/// and serialize(archive), when it has state a resumed run needs (see trainer::resume).
namespace detail {
template <class C, class M>
void fit_begin(C& c, const M& m, const fit_state& s) {
    if constexpr (requires { c.on_fit_begin(m, s); }) c.on_fit_begin(m, s);
}
template <class C, class M>
void batch_end(C& c, const M& m, const fit_state& s) {
    if constexpr (requires { c.on_batch_end(m, s); }) c.on_batch_end(m, s);
}
template <class C, class M>
bool epoch_end(C& c, const M& m, const fit_state& s) {
    if constexpr (requires { { c.on_epoch_end(m, s) } -> std::convertible_to<bool>; }) return c.on_epoch_end(m, s);
    else if constexpr (requires { c.on_epoch_end(m, s); }) c.on_epoch_end(m, s);
    return false;
}
template <class C, class M>
void fit_end(C& c, const M& m, const fit_state& s) {
    if constexpr (requires { c.on_fit_end(m, s); }) c.on_fit_end(m, s);
}

/// Named in the compiler's message when a callback has no hook the trainer knows.
template <class C>
struct not_a_callback {
    static_assert(!std::is_same_v<C, C>, "ctgrad::trainer: a callback with none of the hooks on_fit_begin, on_batch_end, "
                                         "on_epoch_end, on_fit_end (each taking the model and a const fit_state&) "
                                         "would never be called: check their names and parameters");
};
} // namespace detail

/// A callback of model type M: at least one of the hooks, callable with (const M&, const fit_state&).
template <class C, class M>
concept callback = requires(C& c, const M& m, const fit_state& s) { c.on_fit_begin(m, s); } ||
                   requires(C& c, const M& m, const fit_state& s) { c.on_batch_end(m, s); } ||
                   requires(C& c, const M& m, const fit_state& s) { c.on_epoch_end(m, s); } ||
                   requires(C& c, const M& m, const fit_state& s) { c.on_fit_end(m, s); };

namespace detail {
template <class C, class M>
constexpr void require_callback() {
    if constexpr (!callback<C, M>) {
        [[maybe_unused]] not_a_callback<C> error;
    }
}

template <class T, class... P>
void copy_values(const parameter_store<T, P...>& from, parameter_store<T, P...>& to) {
    (
        [&] {
            if constexpr (P::is_vector) std::copy(from[P{}].begin(), from[P{}].end(), to[P{}].begin());
            else to[P{}] = from[P{}];
        }(),
        ...);
}

inline std::string format_number(double value) {
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%.3g", value);
    return buffer;
}

inline std::string describe(double value) { return std::isnan(value) ? "NaN" : (value > 0 ? "+inf" : "-inf"); }
} // namespace detail

struct trainer_options {
    std::size_t max_epochs = 3;
    double gradient_clip_val = 0;  ///< > 0: clip the gradient's global L2 norm to this
    /// A training loss above this many times the first batch's loss counts as divergence
    /// (0: only a non-finite loss does). In double, a run that diverges takes hundreds of
    /// steps to overflow and prints huge numbers meanwhile; this names the batch where it went.
    double divergence_factor = 1e8;
};

class trainer {
public:
    /// Throws ctgrad::invalid_argument for a negative or non-finite gradient_clip_val.
    explicit trainer(const trainer_options& options = {}) : m_options(options) {
        if (!(options.gradient_clip_val >= 0) || !std::isfinite(options.gradient_clip_val))
            throw invalid_argument("ctgrad::trainer: gradient_clip_val must be finite and >= 0, not " +
                                   std::to_string(options.gradient_clip_val));
        if (!(options.divergence_factor >= 0))
            throw invalid_argument("ctgrad::trainer: divergence_factor must be >= 0 (0 turns it off), not " +
                                   std::to_string(options.divergence_factor));
    }

    [[nodiscard]] const trainer_options& options() const noexcept { return m_options; }

    /// Trains `m` on `data` for max_epochs (or until a callback stops it) and returns the
    /// history. A non-finite loss, gradient or parameter throws ctgrad::divergence_error; the
    /// model then holds the parameters of the last finite step. With example-major data
    /// (dataset<T, batch_layout::example_major>) the model binds example-major minibatches.
    template <class M, data_module D, class... Callbacks>
    history fit(M& m, D& data, Callbacks&&... callbacks) const {
        return run(single_process{}, m, data, nullptr, callbacks...);
    }

    /// The same, data-parallel over the processes of `group` (ctgrad/distributed/mpi.hpp), each
    /// running this call with the same model, data and callbacks: a loader with take_share
    /// (minibatch_loader) hands each rank its share of every batch; one without it is taken as
    /// the rank's own part of each batch. Every batch's loss and gradient are the ranks' sums
    /// added in rank order, so every rank takes the same steps and ends with the same bits, equal
    /// to the single process's run to rounding. Parameters start from rank 0's; callbacks run on
    /// every rank and see fit_state::is_root, true on rank 0 alone (the library's print, draw and
    /// save only there); checkpoints are written by rank 0. Throws ctgrad::invalid_argument, on
    /// every rank, when the ranks' loaders differ in their number of batches.
    template <process_group G, class M, data_module D, class... Callbacks>
    history fit(const G& group, M& m, D& data, Callbacks&&... callbacks) const {
        return run(group, m, data, nullptr, callbacks...);
    }

    /// Continues the run saved at `path` (by the checkpoint callback, or fit_state::checkpoint)
    /// up to max_epochs, with the same kind of model, data and callbacks: the parameters, the
    /// optimizer's state and lr, the position (epoch and batch), the loaders' order and random
    /// state, the history so far and the state of every callback with serialize(archive) are
    /// the saved run's, so the result is bit for bit the one the run would have reached
    /// uninterrupted. Callbacks' on_fit_begin runs first, then the checkpoint is loaded.
    /// Throws checkpoint_error when the file cannot be read, is not a checkpoint, is truncated or
    /// corrupted, or holds another run (other parameters, shapes, number type, optimizer, data or
    /// callbacks); the error says which, and the model and callbacks are left as they were.
    template <class M, data_module D, class... Callbacks>
    history resume(const std::filesystem::path& path, M& m, D& data, Callbacks&&... callbacks) const {
        return run(single_process{}, m, data, &path, callbacks...);
    }

    /// resume over a process group: every rank reads the file (rank 0 wrote it), with any
    /// number of ranks.
    template <process_group G, class M, data_module D, class... Callbacks>
    history resume(const G& group, const std::filesystem::path& path, M& m, D& data, Callbacks&&... callbacks) const {
        return run(group, m, data, &path, callbacks...);
    }

private:
    /// The next step of a run: batch `batch` of epoch `epoch` (batch == batches per epoch: the
    /// epoch's validation and end), and the first batch's loss for the divergence check.
    struct run_position {
        std::size_t epoch = 0;
        std::size_t batch = 0;
        double reference_loss = 0;
    };

    /// Saves or loads everything a resumed run needs, in one order for both.
    template <class Archive, class Params, class Optimizer, class Train, class Val, class... Callbacks>
    static void serialize_run(Archive& archive, Params& params, Optimizer& opt, Train& train, Val& val, history& record,
                              run_position& at, Callbacks&... callbacks) {
        constexpr const char* who = "ctgrad::trainer";
        if constexpr (!requires { opt.serialize(archive); })
            throw invalid_argument(std::string(who) + ": a checkpoint needs the optimizer's state, and this optimizer has no "
                                                      "serialize(archive) member (sgd, adam, adamw, rmsprop and adagrad have)");
        else if constexpr (!requires { train.serialize(archive); } || !requires { val.serialize(archive); })
            throw invalid_argument(std::string(who) + ": a checkpoint needs the loaders' order and random state, and a loader "
                                                      "here has no serialize(archive) member (minibatch_loader has)");
        else {
            detail::serialize_parameters(archive, params);
            opt.serialize(archive);
            train.serialize(archive);
            val.serialize(archive);
            archive(record.train_loss);
            archive(record.val_loss);
            archive(record.epochs);
            archive(record.stopped_early);
            archive(at.epoch);
            archive(at.batch);
            archive(at.reference_loss);
            archive.check("the number of callbacks with state",
                          (std::size_t{0} + ... + std::size_t{requires { callbacks.serialize(archive); }}));
            (
                [&] {
                    if constexpr (requires { callbacks.serialize(archive); }) callbacks.serialize(archive);
                }(),
                ...);
        }
    }

    template <class G, class M, class D, class... Callbacks>
    history run(const G& group, M& m, D& data, const std::filesystem::path* resume_from, Callbacks&... callbacks) const {
        constexpr batch_layout layout = detail::data_layout_v<D>;
        detail::require_model<M, layout>();
        (detail::require_callback<std::remove_cvref_t<Callbacks>, M>(), ...);
        if constexpr (model<M, layout>) return run_checked(group, m, data, resume_from, callbacks...);
        else return {};
    }

    /// Gives each of the group's ranks its share of every batch of `l`, when `l` can take one.
    template <class G, class L>
    static void share_batches(const G& group, L& l) {
        if constexpr (requires { l.take_share(group.rank(), group.ranks()); }) l.take_share(group.rank(), group.ranks());
    }

    /// Throws, on every rank alike, when the ranks' loaders differ in their number of batches
    /// (the ranks would wait for each other's sums for ever).
    template <class G, class Train, class Val>
    static void require_same_batch_counts(const G& group, const Train& train, const Val& val) {
        if constexpr (!is_single_process_v<G>) {
            const double mine[2] = {double(train.size()), double(val.size())};
            std::vector<double> all(2 * group.ranks());
            group.all_gather(mine, 2, all.data());
            for (std::size_t r = 0; r < group.ranks(); ++r)
                if (all[2 * r] != all[0] || all[2 * r + 1] != all[1])
                    throw invalid_argument("ctgrad::trainer::fit: rank " + std::to_string(r) + " has " +
                                           std::to_string(std::size_t(all[2 * r])) + " training and " +
                                           std::to_string(std::size_t(all[2 * r + 1])) + " validation batches, rank 0 " +
                                           std::to_string(std::size_t(all[0])) + " and " + std::to_string(std::size_t(all[1])) +
                                           ": every rank needs as many (give each rank's loader the same batch count)");
        }
    }

    template <class G, class M, class D, class... Callbacks>
    history run_checked(const G& group, M& m, D& data, const std::filesystem::path* resume_from, Callbacks&... callbacks) const {
        auto& train = data.train_dataloader();
        auto& val = data.val_dataloader();
        share_batches(group, train);
        share_batches(group, val);
        require_same_batch_counts(group, train, val);
        if (train.size() == 0) throw invalid_argument("ctgrad::trainer::fit: the training data has no examples");
        if constexpr (requires { m.initialize_for(train.num_features()); }) m.initialize_for(train.num_features());

        auto& params = m.parameters();
        std::vector<double> sums; // a process group's buffer
        detail::broadcast_parameters(group, params, sums);
        auto grads = params.zeros_like();
        auto last_finite = params;
        auto opt = m.configure_optimizers();
        const auto loss = m.loss();

        history record;
        record.batches_per_epoch = train.size();
        record.train_loss.reserve(m_options.max_epochs * train.size());
        record.val_loss.reserve(m_options.max_epochs);
        run_position at;
        std::vector<std::filesystem::path> pending;
        fit_state state{0, m_options.max_epochs, 0, train.size()};
        state.record = &record;
        state.checkpoint = checkpoint_request(pending);
        state.is_root = group.rank() == 0;
        if constexpr (requires { opt.set_lr(opt.lr()); }) state.learning_rate = learning_rate_control(opt);
        (detail::fit_begin(callbacks, std::as_const(m), state), ...);
        if (resume_from) {
            detail::checkpoint_reader reader(*resume_from, "ctgrad::trainer::resume");
            serialize_run(reader, params, opt, train, val, record, at, callbacks...); // checks, changes nothing
            reader.load();
            serialize_run(reader, params, opt, train, val, record, at, callbacks...);
            reader.finish();
            state.val_loss = record.val_loss.empty() ? state.val_loss : record.val_loss.back();
            state.loss = record.train_loss.empty() ? state.loss : record.train_loss.back();
        }
        // Saves asked for during a hook, written once every callback has run it (by rank 0 alone).
        auto save_pending = [&] {
            if (group.rank() == 0)
                for (const auto& path : pending) {
                    detail::checkpoint_writer writer;
                    serialize_run(writer, params, opt, train, val, record, at, callbacks...);
                    writer.commit(path, "ctgrad::trainer (saving a checkpoint)");
                }
            pending.clear();
        };
        save_pending();

        for (std::size_t epoch = at.epoch; epoch < m_options.max_epochs; ++epoch) {
            state.epoch = epoch;
            // The error carries the history so far: a diverged run's curves can still be drawn.
            auto diverged = [&](std::size_t batch, const std::string& what) {
                return divergence_error(epoch + 1, batch, what, std::move(record));
            };
            // A run resumed within an epoch goes on with that epoch's order.
            const std::size_t first_batch = epoch == at.epoch ? at.batch : 0;
            if (first_batch == 0) train.start_epoch();
            for (std::size_t i = first_batch; i < train.size(); ++i) {
                state.batch = i;
                const auto batch = train.batch(i);
                const double batch_loss = detail::group_value_and_grad(
                    group, loss, params, batch.size(), [&] { return m.bind(batch); }, grads, sums);
                if (!std::isfinite(batch_loss))
                    throw diverged(i + 1, "the training loss is " + detail::describe(batch_loss));
                if (at.reference_loss == 0) at.reference_loss = batch_loss;
                if (m_options.divergence_factor > 0 && batch_loss > m_options.divergence_factor * at.reference_loss)
                    throw diverged(i + 1, "the training loss " + detail::format_number(batch_loss) + " is more than " +
                                              detail::format_number(m_options.divergence_factor) + " times the first batch's " +
                                              detail::format_number(at.reference_loss) + " (trainer_options::divergence_factor)");
                if (!all_finite(grads)) throw diverged(i + 1, "the gradient is not finite");
                if (m_options.gradient_clip_val > 0) clip_by_global_norm(grads, m_options.gradient_clip_val);
                detail::copy_values(params, last_finite);
                opt.step(params, grads);
                if (!all_finite(params)) {
                    detail::copy_values(last_finite, params);
                    throw diverged(i + 1, "the step made a parameter non-finite");
                }
                record.train_loss.push_back(batch_loss);
                state.loss = batch_loss;
                at.epoch = epoch;
                at.batch = i + 1;
                (detail::batch_end(callbacks, std::as_const(m), state), ...);
                save_pending();
            }
            if (val.size() > 0) {
                state.val_loss = validation_loss(group, m, loss, val, sums);
                if (!std::isfinite(state.val_loss))
                    throw diverged(train.size(), "the validation loss is " + detail::describe(state.val_loss));
                record.val_loss.push_back(state.val_loss);
            }
            record.epochs = epoch + 1;
            bool stop = false;
            ((stop = detail::epoch_end(callbacks, std::as_const(m), state) || stop), ...);
            if (stop) record.stopped_early = epoch + 1 < m_options.max_epochs;
            at.epoch = epoch + 1;
            at.batch = 0;
            save_pending();
            if (stop) break;
        }
        (detail::fit_end(callbacks, std::as_const(m), state), ...);
        save_pending();
        return record;
    }

    // The book's validation loss: the mean of the batches' mean losses. A group adds up each
    // batch's count and loss sum over its ranks, all batches in one call.
    template <class G, class M, class Loss, class L>
    static double validation_loss(const G& group, M& m, const Loss& loss, L& val, std::vector<double>& sums) {
        val.start_epoch();
        double sum = 0;
        if constexpr (is_single_process_v<G>) {
            for (std::size_t i = 0; i < val.size(); ++i) sum += value(loss, m.parameters(), m.bind(val.batch(i)));
        } else {
            sums.assign(2 * val.size(), 0.0);
            for (std::size_t i = 0; i < val.size(); ++i) {
                const auto batch = val.batch(i);
                if (batch.size() == 0) continue;
                sums[2 * i] = double(batch.size());
                sums[2 * i + 1] = double(batch.size()) * double(value(loss, m.parameters(), m.bind(batch)));
            }
            group.sum(sums.data(), sums.size());
            for (std::size_t i = 0; i < val.size(); ++i) sum += sums[2 * i + 1] / sums[2 * i];
        }
        return sum / double(val.size());
    }

    trainer_options m_options;
};

} // namespace ctgrad

#endif // CTGRAD_TRAIN_TRAINER_HPP
