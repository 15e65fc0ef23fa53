// ctgrad/io/loss_plot.hpp: the book's figure from a training history: train_loss twice per
// epoch and val_loss once per epoch against epochs (d2l's ProgressBoard), as an SVG picture
// and as CSV with the same points.
#ifndef CTGRAD_IO_LOSS_PLOT_HPP
#define CTGRAD_IO_LOSS_PLOT_HPP

#include "ctgrad/io/plot.hpp"
#include "ctgrad/train/history.hpp"

#include <cstddef>
#include <string>
#include <vector>

namespace ctgrad {

/// The curves of the book's figure: "train_loss" (points per epoch as ProgressBoard's
/// plot_train_per_epoch) and "val_loss" (when there was validation).
inline std::vector<plot::series> loss_series(const history& h, std::size_t train_points_per_epoch = 2) {
    std::vector<plot::series> out;
    auto train = h.train_curve(train_points_per_epoch);
    out.push_back({"train_loss", std::move(train.x), std::move(train.y)});
    if (!h.val_loss.empty()) {
        auto val = h.val_curve();
        out.push_back({"val_loss", std::move(val.x), std::move(val.y)});
    }
    return out;
}

/// Writes the book's figure as an SVG file; throws std::runtime_error naming the path when
/// it cannot be written.
inline void write_loss_plot(const std::string& path, const history& h, const plot::figure& look = {}) {
    plot::write_svg(path, loss_series(h), look);
}

/// Writes the same points as CSV: "series,x,y".
inline void write_loss_csv(const std::string& path, const history& h) { plot::write_csv(path, loss_series(h)); }

} // namespace ctgrad

#endif // CTGRAD_IO_LOSS_PLOT_HPP
