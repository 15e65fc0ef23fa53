// ctgrad/error.hpp: the exceptions ctgrad throws. Each derives from the standard exception a
// caller would catch anyway, so `catch (const std::invalid_argument&)` keeps working, and
// adds what a program needs to react (which argument, which epoch and batch).
#ifndef CTGRAD_ERROR_HPP
#define CTGRAD_ERROR_HPP

#include <cstddef>
#include <stdexcept>
#include <string>

namespace ctgrad {

/// A bad argument: the message names the call and the argument.
class invalid_argument : public std::invalid_argument {
public:
    using std::invalid_argument::invalid_argument;
};

/// Training produced a non-finite loss or gradient. The model keeps the parameters of the
/// last finite step; epoch() and batch() say where (both counted from 1, as printed).
class divergence_error : public std::runtime_error {
public:
    divergence_error(std::size_t epoch, std::size_t batch, const std::string& what)
        : std::runtime_error("ctgrad::trainer: training diverged at epoch " + std::to_string(epoch) + ", batch " +
                             std::to_string(batch) + ": " + what +
                             "; the model keeps the parameters of the last finite step (try a smaller lr, or "
                             "gradient_clip_val)"),
          m_epoch(epoch), m_batch(batch) {}

    [[nodiscard]] std::size_t epoch() const noexcept { return m_epoch; }
    [[nodiscard]] std::size_t batch() const noexcept { return m_batch; }

private:
    std::size_t m_epoch;
    std::size_t m_batch;
};

} // namespace ctgrad

#endif // CTGRAD_ERROR_HPP
