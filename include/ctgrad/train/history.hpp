// ctgrad/train/history.hpp: what fit() returns: every batch's training loss, every epoch's
// validation loss, and the points of the book's figure computed from them.
#ifndef CTGRAD_TRAIN_HISTORY_HPP
#define CTGRAD_TRAIN_HISTORY_HPP

#include <cstddef>
#include <vector>

namespace ctgrad {

/// Points of one curve.
struct curve {
    std::vector<double> x;
    std::vector<double> y;
};

struct history {
    std::vector<double> train_loss; ///< every training batch's mean loss, before its step
    std::vector<double> val_loss;   ///< every epoch's validation loss (the mean of its batches' means)
    std::size_t batches_per_epoch = 0;
    std::size_t epochs = 0;         ///< epochs completed
    bool stopped_early = false;     ///< a callback ended training before max_epochs

    /// The mean training loss of epoch e (counted from 0).
    [[nodiscard]] double epoch_train_loss(std::size_t e) const {
        const std::size_t first = e * batches_per_epoch;
        std::size_t end = first + batches_per_epoch;
        if (end > train_loss.size()) end = train_loss.size();
        double sum = 0;
        for (std::size_t i = first; i < end; ++i) sum += train_loss[i];
        return end > first ? sum / double(end - first) : 0.0;
    }

    /// The training curve as d2l's ProgressBoard draws it: batches taken in groups of
    /// batches_per_epoch / per_epoch (whole), each group one point at the mean of its
    /// x = batch index / batches_per_epoch and the mean of its losses; a last incomplete
    /// group is not drawn.
    [[nodiscard]] curve train_curve(std::size_t per_epoch = 2) const {
        curve out;
        if (batches_per_epoch == 0 || per_epoch == 0) return out;
        std::size_t every = batches_per_epoch / per_epoch;
        if (every == 0) every = 1;
        for (std::size_t start = 0; start + every <= train_loss.size(); start += every) {
            double x = 0, y = 0;
            for (std::size_t i = start; i < start + every; ++i) {
                x += double(i) / double(batches_per_epoch);
                y += train_loss[i];
            }
            out.x.push_back(x / double(every));
            out.y.push_back(y / double(every));
        }
        return out;
    }

    /// The validation curve: one point per epoch, at x = epoch + 1.
    [[nodiscard]] curve val_curve() const {
        curve out;
        for (std::size_t e = 0; e < val_loss.size(); ++e) {
            out.x.push_back(double(e + 1));
            out.y.push_back(val_loss[e]);
        }
        return out;
    }
};

} // namespace ctgrad

#endif // CTGRAD_TRAIN_HISTORY_HPP
