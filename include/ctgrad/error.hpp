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

/// A data file that cannot be read or parsed. what() reads "call: file:line:column: problem"
/// (line and column count from 1, and are left out, and 0 here, where they do not apply:
/// a missing file, a bad .npy header).
class data_error : public std::runtime_error {
public:
    data_error(const std::string& call, const std::string& file, std::size_t line, std::size_t column,
               const std::string& problem)
        : std::runtime_error(call + ": " + file + (line > 0 ? ":" + std::to_string(line) : std::string()) +
                             (line > 0 && column > 0 ? ":" + std::to_string(column) : std::string()) + ": " + problem),
          m_file(std::make_shared<const std::string>(file)), m_line(line), m_column(column) {}

    [[nodiscard]] const std::string& file() const noexcept { return *m_file; }
    [[nodiscard]] std::size_t line() const noexcept { return m_line; }
    [[nodiscard]] std::size_t column() const noexcept { return m_column; }

private:
    std::shared_ptr<const std::string> m_file; // shared: copying an exception must not throw
    std::size_t m_line;
    std::size_t m_column;
};

/// A checkpoint that cannot be written or loaded. why() says how: the file cannot be read or
/// written (io), is not a ctgrad checkpoint (foreign), ends early (truncated), does not match
/// its checksum (corrupted), or holds another run (mismatched: other parameters, shapes, number
/// type, optimizer, data or callbacks). what() reads "call: file: problem".
class checkpoint_error : public std::runtime_error {
public:
    enum class reason { io, foreign, truncated, corrupted, mismatched };

    checkpoint_error(reason why, const std::string& call, const std::string& file, const std::string& problem)
        : std::runtime_error(call + ": " + file + ": " + problem), m_why(why),
          m_file(std::make_shared<const std::string>(file)) {}

    [[nodiscard]] reason why() const noexcept { return m_why; }
    [[nodiscard]] const std::string& file() const noexcept { return *m_file; }

private:
    reason m_why;
    std::shared_ptr<const std::string> m_file; // shared: copying an exception must not throw
};

} // namespace ctgrad

#endif // CTGRAD_ERROR_HPP
