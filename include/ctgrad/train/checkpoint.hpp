// ctgrad/train/checkpoint.hpp: the checkpoint callback, which saves a run every N epochs so
// that trainer::resume can finish it after a crash or a stop.
#ifndef CTGRAD_TRAIN_CHECKPOINT_HPP
#define CTGRAD_TRAIN_CHECKPOINT_HPP

#include "ctgrad/error.hpp"
#include "ctgrad/train/trainer.hpp"

#include <cstddef>
#include <filesystem>
#include <string>
#include <utility>

namespace ctgrad {

struct checkpoint_options {
    std::size_t every_epochs = 1; ///< save after every this many epochs, and after the last
};

/// Saves the run to `path` after every `every_epochs` epochs and after the last one (each save
/// replaces the file whole: it is written under `path`.tmp and renamed). Resume with
/// trainer::resume(path, model, data, callbacks...).
class checkpoint {
public:
    /// Throws ctgrad::invalid_argument for an empty path or every_epochs 0.
    explicit checkpoint(std::filesystem::path path, const checkpoint_options& options = {})
        : m_path(std::move(path)), m_every(options.every_epochs) {
        if (m_path.empty()) throw invalid_argument("ctgrad::checkpoint: the path is empty");
        if (m_every == 0) throw invalid_argument("ctgrad::checkpoint: every_epochs must be >= 1, not 0");
    }

    template <class M>
    void on_epoch_end(const M&, const fit_state& s) const {
        const std::size_t done = s.epoch + 1;
        if (done % m_every == 0 || done == s.max_epochs) s.checkpoint.save(m_path, "ctgrad::checkpoint");
    }

    [[nodiscard]] const std::filesystem::path& path() const noexcept { return m_path; }

private:
    std::filesystem::path m_path;
    std::size_t m_every;
};

} // namespace ctgrad

#endif // CTGRAD_TRAIN_CHECKPOINT_HPP
