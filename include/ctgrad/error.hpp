// ctgrad/error.hpp: the exceptions ctgrad throws. Each derives from the standard exception a
// caller would catch anyway, so `catch (const std::invalid_argument&)` keeps working, and
// adds what a program needs to react (which argument, which epoch and batch).
#ifndef CTGRAD_ERROR_HPP
#define CTGRAD_ERROR_HPP

#include "ctgrad/train/history.hpp"

#include <cstddef>
#include <memory>
#include <stdexcept>
#include <string>

namespace ctgrad {

/// A bad argument: the message names the call and the argument.
class invalid_argument : public std::invalid_argument {
public:
    using std::invalid_argument::invalid_argument;
};

/// Training diverged: a non-finite loss, gradient or parameter, or a loss far above the
/// first batch's. The model keeps the parameters of the last finite step; epoch() and
/// batch() say where (both counted from 1, as printed); partial() is the history up to the
/// last completed step, so the curves of a diverged run can still be drawn.
class divergence_error : public std::runtime_error {
public:
    divergence_error(std::size_t epoch, std::size_t batch, const std::string& what, history partial = {})
        : std::runtime_error("ctgrad::trainer: training diverged at epoch " + std::to_string(epoch) + ", batch " +
                             std::to_string(batch) + ": " + what +
                             "; the model keeps the parameters of the last finite step (try a smaller lr, or "
                             "gradient_clip_val)"),
          m_epoch(epoch), m_batch(batch), m_partial(std::make_shared<const history>(std::move(partial))) {}

    [[nodiscard]] std::size_t epoch() const noexcept { return m_epoch; }
    [[nodiscard]] std::size_t batch() const noexcept { return m_batch; }
    [[nodiscard]] const history& partial() const noexcept { return *m_partial; }

private:
    std::size_t m_epoch;
    std::size_t m_batch;
    std::shared_ptr<const history> m_partial; // shared: copying an exception must not throw
};

} // namespace ctgrad

#endif // CTGRAD_ERROR_HPP
