// ctgrad/train/callbacks.hpp: optional observers of fit(), named after ensmallen's callbacks:
// print_loss, progress_bar, early_stop_at_min_loss, store_best, loss_log. Pass any of them
// (by reference to read them afterwards) as fit's trailing arguments.
#ifndef CTGRAD_TRAIN_CALLBACKS_HPP
#define CTGRAD_TRAIN_CALLBACKS_HPP

#include "ctgrad/error.hpp"
#include "ctgrad/train/model.hpp"
#include "ctgrad/train/trainer.hpp"

#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <limits>
#include <memory>
#include <ostream>
#include <stdexcept>
#include <string>

#if __has_include(<unistd.h>)
#include <unistd.h>
#define CTGRAD_HAS_ISATTY 1
#endif

namespace ctgrad {

namespace detail {
inline std::string format_loss(double v) {
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%.6g", v);
    return buffer;
}

/// The loss an epoch is judged by: validation when there is some, else the mean training loss.
inline double monitored_loss(const fit_state& s) {
    return s.record && !s.record->val_loss.empty() ? s.val_loss : s.record->epoch_train_loss(s.epoch);
}
} // namespace detail

/// One line per epoch: "epoch 1/3: train loss 0.0312, val loss 5.1e-05".
class print_loss {
public:
    explicit print_loss(std::ostream& out = std::cout) : m_out(&out) {}

    template <class M>
    void on_epoch_end(const M&, const fit_state& s) const {
        if (!s.is_root) return;
        *m_out << "epoch " << s.epoch + 1 << '/' << s.max_epochs << ": train loss "
               << detail::format_loss(s.record->epoch_train_loss(s.epoch));
        if (!s.record->val_loss.empty()) *m_out << ", val loss " << detail::format_loss(s.val_loss);
        *m_out << '\n';
    }

private:
    std::ostream* m_out;
};

/// "epoch 2/3 [==========>         ] 17/32 loss 0.0123 ETA 0.4 s", redrawn in place on
/// stderr at most every 0.1 s, and only when stderr is a terminal (unless told otherwise),
/// so logs and pipes stay clean. It appears once training has run for `delay` (a fit that
/// ends sooner shows nothing), and erases itself at the end of each epoch, before the
/// epoch's callbacks print.
class progress_bar {
public:
    using clock = std::chrono::steady_clock;

    explicit progress_bar(std::ostream& out = std::cerr, bool only_on_terminal = true,
                          clock::duration delay = std::chrono::milliseconds(500), std::size_t width = 30)
        : m_out(&out), m_width(width < 1 ? 1 : width), m_delay(delay),
          m_enabled(!only_on_terminal || stderr_is_terminal(out)) {}

    template <class M>
    void on_fit_begin(const M&, const fit_state&) {
        m_start = clock::now();
        m_last_draw = m_start - redraw_every;
    }
    template <class M>
    void on_batch_end(const M&, const fit_state& s) {
        if (!m_enabled || !s.is_root) return;
        if (s.batch + 1 == s.batches_per_epoch) return erase();
        const auto now = clock::now();
        if (now - m_start < m_delay || now - m_last_draw < redraw_every) return;
        draw(s, now);
    }
    template <class M>
    void on_fit_end(const M&, const fit_state&) {
        erase();
    }

    /// How many times the bar was drawn (for tests).
    [[nodiscard]] std::size_t draws() const noexcept { return m_draws; }

private:
    static constexpr auto redraw_every = std::chrono::milliseconds(100);

    static bool stderr_is_terminal([[maybe_unused]] const std::ostream& out) {
#ifdef CTGRAD_HAS_ISATTY
        return &out == &std::cerr && ::isatty(STDERR_FILENO) == 1;
#else
        return false;
#endif
    }

    void erase() {
        if (m_shown) *m_out << "\r\x1b[K" << std::flush;
        m_shown = false;
    }

    void draw(const fit_state& s, clock::time_point now) {
        m_last_draw = now;
        const double done = double(s.epoch * s.batches_per_epoch + s.batch + 1);
        const double total = double(s.max_epochs * s.batches_per_epoch);
        const double in_epoch = double(s.batch + 1) / double(s.batches_per_epoch);
        const auto filled = static_cast<std::size_t>(in_epoch * double(m_width));
        std::string bar(m_width, ' ');
        for (std::size_t i = 0; i < filled && i < m_width; ++i) bar[i] = '=';
        if (filled < m_width) bar[filled] = '>';
        const double elapsed = std::chrono::duration<double>(now - m_start).count();
        const double eta = elapsed * (total - done) / done;
        char tail[96];
        std::snprintf(tail, sizeof tail, "] %zu/%zu loss %s ETA %.1f s", s.batch + 1, s.batches_per_epoch,
                      detail::format_loss(s.loss).c_str(), eta);
        *m_out << "\repoch " << s.epoch + 1 << '/' << s.max_epochs << " [" << bar << tail << "\x1b[K" << std::flush;
        m_shown = true;
        ++m_draws;
    }

    std::ostream* m_out;
    std::size_t m_width;
    clock::duration m_delay;
    bool m_enabled;
    bool m_shown = false;
    std::size_t m_draws = 0;
    clock::time_point m_start{};
    clock::time_point m_last_draw{};
};

/// Stops when the monitored loss (validation, else the epoch's mean training loss) has not
/// improved for `patience` epochs in a row (ensmallen's EarlyStopAtMinLoss).
class early_stop_at_min_loss {
public:
    explicit early_stop_at_min_loss(std::size_t patience = 10) : m_patience(patience) {}

    template <class M>
    bool on_epoch_end(const M&, const fit_state& s) {
        const double current = detail::monitored_loss(s);
        if (current < m_best) {
            m_best = current;
            m_epochs_without_improvement = 0;
            return false;
        }
        return ++m_epochs_without_improvement >= m_patience;
    }

    [[nodiscard]] double best_loss() const noexcept { return m_best; }

    /// Saves or loads the best loss and the count since (train/checkpoint.hpp).
    template <class Archive>
    void serialize(Archive& archive) {
        archive.check("a callback", std::string("ctgrad::early_stop_at_min_loss"));
        archive(m_best);
        archive(m_epochs_without_improvement);
    }

private:
    std::size_t m_patience;
    double m_best = std::numeric_limits<double>::infinity();
    std::size_t m_epochs_without_improvement = 0;
};

/// Keeps a copy of the parameters of the epoch with the lowest monitored loss
/// (ensmallen's StoreBestCoordinates): store_best best(model); fit(model, data, best);
template <class Params>
class store_best {
public:
    store_best() = default;
    template <model M>
    explicit store_best(const M&) {}

    template <class M>
    void on_epoch_end(const M& m, const fit_state& s) {
        const double current = detail::monitored_loss(s);
        if (current < m_loss) {
            m_loss = current;
            m_epoch = s.epoch + 1;
            // The model is not const (fit trains it); callbacks see it const so they only read.
            m_parameters = const_cast<M&>(m).parameters();
        }
    }

    [[nodiscard]] const Params& parameters() const noexcept { return m_parameters; }
    [[nodiscard]] double loss() const noexcept { return m_loss; }
    [[nodiscard]] std::size_t epoch() const noexcept { return m_epoch; } ///< counted from 1; 0 before any

    /// Saves or loads the best loss, its epoch and parameters (train/checkpoint.hpp).
    template <class Archive>
    void serialize(Archive& archive) {
        archive.check("a callback", std::string("ctgrad::store_best"));
        archive(m_loss);
        archive(m_epoch);
        detail::serialize_parameters(archive, m_parameters, true);
    }

private:
    Params m_parameters{};
    double m_loss = std::numeric_limits<double>::infinity();
    std::size_t m_epoch = 0;
};

template <model M>
store_best(const M&) -> store_best<parameters_t<M>>;

/// Writes every loss as it comes, as CSV: "epoch,batch,x,train_loss,val_loss", one row per
/// training batch (val_loss empty) and one per validation (batch and train_loss empty);
/// x is in epochs, as in the book's figure. Flushed after every epoch.
class loss_log {
public:
    explicit loss_log(std::ostream& out) : m_out(&out) {}
    explicit loss_log(const std::string& path) : m_file(std::make_unique<std::ofstream>(path)), m_out(m_file.get()) {
        if (!*m_file) throw std::runtime_error("ctgrad::loss_log: cannot write " + path + ": " + std::strerror(errno));
    }

    template <class M>
    void on_fit_begin(const M&, const fit_state& s) const {
        if (s.is_root) *m_out << "epoch,batch,x,train_loss,val_loss\n";
    }
    template <class M>
    void on_batch_end(const M&, const fit_state& s) const {
        if (!s.is_root) return;
        const double x = double(s.epoch) + double(s.batch) / double(s.batches_per_epoch);
        *m_out << s.epoch + 1 << ',' << s.batch + 1 << ',' << number(x) << ',' << number(s.loss) << ",\n";
    }
    template <class M>
    void on_epoch_end(const M&, const fit_state& s) const {
        if (!s.is_root) return;
        if (!s.record->val_loss.empty()) *m_out << s.epoch + 1 << ",," << s.epoch + 1 << ",," << number(s.val_loss) << '\n';
        m_out->flush();
    }

private:
    static std::string number(double v) {
        char buffer[32];
        std::snprintf(buffer, sizeof buffer, "%.17g", v);
        return buffer;
    }

    std::unique_ptr<std::ofstream> m_file;
    std::ostream* m_out;
};

} // namespace ctgrad

#endif // CTGRAD_TRAIN_CALLBACKS_HPP
