// ctgrad/train/checkpoint_file.hpp: the checkpoint file. A 32-byte header (magic, format
// version, byte-order mark, payload length, FNV-1a checksum of the payload) and the payload: the
// run's fields in the order its parts' serialize(archive) members visit them. The same member
// saves (checkpoint_writer) and loads (checkpoint_reader), so the two cannot disagree.
#ifndef CTGRAD_TRAIN_CHECKPOINT_FILE_HPP
#define CTGRAD_TRAIN_CHECKPOINT_FILE_HPP

#include "ctgrad/error.hpp"
#include "ctgrad/eval/parameter_store.hpp"

#include <array>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <sstream>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <utility>
#include <vector>

namespace ctgrad::detail {

inline constexpr std::string_view checkpoint_magic = "ctgradck";
inline constexpr std::uint32_t checkpoint_version = 1;
inline constexpr std::uint32_t checkpoint_byte_order = 0x01020304;
inline constexpr std::size_t checkpoint_header_bytes = 32;

inline std::uint64_t fnv1a(std::string_view bytes) noexcept {
    std::uint64_t hash = 0xcbf29ce484222325ULL;
    for (const char c : bytes) hash = (hash ^ static_cast<unsigned char>(c)) * 0x100000001b3ULL;
    return hash;
}

template <class T>
std::string describe_field(const T& value) {
    if constexpr (std::is_same_v<T, bool>) return value ? "true" : "false";
    else if constexpr (std::is_arithmetic_v<T>) return std::to_string(value);
    else return "\"" + std::string(value) + "\"";
}

/// Integers are stored as 64 bits, so a file does not depend on the width of size_t.
template <class T>
using stored_t = std::conditional_t<std::is_integral_v<T> && !std::is_same_v<T, bool>,
                                    std::conditional_t<std::is_signed_v<T>, std::int64_t, std::uint64_t>, T>;

/// Saves a run's fields in memory; commit() writes them to a file.
class checkpoint_writer {
public:
    template <class T>
        requires std::is_arithmetic_v<T>
    void operator()(const T& value) {
        const stored_t<T> stored = static_cast<stored_t<T>>(value);
        m_payload.append(reinterpret_cast<const char*>(&stored), sizeof stored);
    }
    void operator()(const std::string& text) {
        (*this)(text.size());
        m_payload.append(text);
    }
    template <class T>
        requires std::is_arithmetic_v<T>
    void operator()(const std::vector<T>& values) {
        (*this)(values.size());
        numbers(values.data(), values.size());
    }
    template <class T, std::size_t N>
    void operator()(const std::array<T, N>& items) {
        for (const auto& item : items) (*this)(item);
    }
    /// The engine's state as the standard's text form, which every library reads back.
    void operator()(const std::mt19937_64& engine) {
        std::ostringstream text;
        text << engine;
        (*this)(text.str());
    }
    /// n numbers whose count the reader already knows.
    template <class T>
    void numbers(const T* data, std::size_t n) {
        m_payload.append(reinterpret_cast<const char*>(data), n * sizeof(T));
    }
    /// A vector whose length the loading run takes from the file.
    template <class Vector>
    void resizable(const Vector& values) {
        (*this)(values.size());
        numbers(values.data(), values.size());
    }
    /// A field the loading run must have equal (a name, a shape); `what` names it in the error.
    template <class T>
    void check(std::string_view /*what*/, const T& value) {
        (*this)(value);
    }

    /// Writes the checkpoint to `path` through a temporary file in the same directory, renamed
    /// over `path` once complete, so a crash leaves the previous checkpoint or the new one.
    /// Throws checkpoint_error (io), naming `call`.
    void commit(const std::filesystem::path& path, const std::string& call) const {
        std::filesystem::path temporary = path;
        temporary += ".tmp";
        std::string header(checkpoint_magic);
        const std::uint32_t version = checkpoint_version, order = checkpoint_byte_order;
        const std::uint64_t length = m_payload.size(), checksum = fnv1a(m_payload);
        header.append(reinterpret_cast<const char*>(&version), sizeof version);
        header.append(reinterpret_cast<const char*>(&order), sizeof order);
        header.append(reinterpret_cast<const char*>(&length), sizeof length);
        header.append(reinterpret_cast<const char*>(&checksum), sizeof checksum);
        {
            std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
            if (!out) fail(call, temporary, "cannot create the file: " + std::string(std::strerror(errno)));
            out.write(header.data(), std::streamsize(header.size()));
            out.write(m_payload.data(), std::streamsize(m_payload.size()));
            out.flush();
            if (!out) {
                std::error_code ignored;
                std::filesystem::remove(temporary, ignored);
                fail(call, temporary, "cannot write the file (is the disk full?)");
            }
        }
        std::error_code error;
        std::filesystem::rename(temporary, path, error);
        if (error) fail(call, path, "cannot rename " + temporary.string() + " to it: " + error.message());
    }

private:
    [[noreturn]] static void fail(const std::string& call, const std::filesystem::path& file, const std::string& problem) {
        throw checkpoint_error(checkpoint_error::reason::io, call, file.string(), problem);
    }

    std::string m_payload;
};

/// Loads a run's fields from a checkpoint file, checked as a whole when opened.
class checkpoint_reader {
public:
    /// Reads `path`; throws checkpoint_error, naming `call`: io when it cannot be read, foreign
    /// when it is not a checkpoint (or one of another format version or byte order), truncated
    /// when it is shorter than its header says, corrupted when its checksum does not match.
    checkpoint_reader(const std::filesystem::path& path, std::string call) : m_call(std::move(call)), m_file(path.string()) {
        std::ifstream in(path, std::ios::binary);
        if (!in) fail(checkpoint_error::reason::io, "cannot open the file: " + std::string(std::strerror(errno)));
        m_bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
        const std::string_view all(m_bytes);
        const std::string_view start = all.substr(0, checkpoint_magic.size());
        if (start != checkpoint_magic.substr(0, start.size()))
            fail(checkpoint_error::reason::foreign, "not a ctgrad checkpoint (its first bytes are not \"ctgradck\")");
        if (all.size() < checkpoint_header_bytes)
            fail(checkpoint_error::reason::truncated, "truncated: " + std::to_string(all.size()) + " bytes, shorter than the " +
                                                          std::to_string(checkpoint_header_bytes) + "-byte header");
        const auto header = [&](std::size_t at, auto value) {
            std::memcpy(&value, m_bytes.data() + at, sizeof value);
            return value;
        };
        const std::uint32_t version = header(8, std::uint32_t{}), order = header(12, std::uint32_t{});
        const std::uint64_t length = header(16, std::uint64_t{}), checksum = header(24, std::uint64_t{});
        if (order != checkpoint_byte_order)
            fail(checkpoint_error::reason::foreign, "written on a machine of another byte order");
        if (version != checkpoint_version)
            fail(checkpoint_error::reason::foreign, "checkpoint format version " + std::to_string(version) +
                                                        "; this ctgrad reads version " + std::to_string(checkpoint_version));
        const std::size_t have = all.size() - checkpoint_header_bytes;
        if (have < length)
            fail(checkpoint_error::reason::truncated, "truncated: " + std::to_string(have) + " of its " + std::to_string(length) +
                                                          " bytes after the header");
        if (have > length)
            fail(checkpoint_error::reason::corrupted, std::to_string(have - length) + " bytes after the end of the checkpoint");
        m_payload = all.substr(checkpoint_header_bytes);
        if (fnv1a(m_payload) != checksum)
            fail(checkpoint_error::reason::corrupted, "corrupted: its contents do not match its checksum");
    }

    // A reader starts by checking: it reads every field and compares what check() is given,
    // but changes nothing, so a file that turns out to be another run's leaves the run as it
    // was. load() then goes back to the first field for the pass that assigns.

    /// Ends the checking pass (see finish()): the next pass assigns the fields.
    void load() {
        finish();
        m_at = 0;
        m_checking = false;
    }

    template <class T>
        requires std::is_arithmetic_v<T>
    void operator()(T& value) {
        const T stored = read<T>();
        if (!m_checking) value = stored;
    }
    void operator()(std::string& text) {
        const std::size_t n = count(1);
        const char* at = take(n);
        if (!m_checking) text.assign(at, n);
    }
    template <class T>
        requires std::is_arithmetic_v<T>
    void operator()(std::vector<T>& values) {
        const std::size_t n = count(sizeof(T));
        if (m_checking) {
            take(n * sizeof(T));
            return;
        }
        values.resize(n);
        numbers(values.data(), n);
    }
    template <class T, std::size_t N>
    void operator()(std::array<T, N>& items) {
        for (auto& item : items) (*this)(item);
    }
    void operator()(std::mt19937_64& engine) {
        std::string state;
        const std::size_t n = count(1);
        state.assign(take(n), n);
        std::istringstream text(state);
        std::mt19937_64 read_engine;
        text >> read_engine;
        if (!text) fail(checkpoint_error::reason::corrupted, "a random engine's state cannot be read");
        if (!m_checking) engine = read_engine;
    }
    template <class T>
    void numbers(T* data, std::size_t n) {
        const char* at = take(n * sizeof(T));
        if (!m_checking && n > 0) std::memcpy(data, at, n * sizeof(T));
    }
    /// A vector whose length is the file's (resized when loading).
    template <class Vector>
    void resizable(Vector& values) {
        using T = typename Vector::value_type;
        const std::size_t n = count(sizeof(T));
        if (m_checking) {
            take(n * sizeof(T));
            return;
        }
        if (n != values.size()) values.resize({n});
        numbers(values.data(), n);
    }
    /// Throws checkpoint_error (mismatched) unless the checkpoint's field equals `expected`.
    template <class T>
    void check(std::string_view what, const T& expected) {
        T found{};
        if constexpr (std::is_arithmetic_v<T>) {
            found = read<T>();
        } else {
            const std::size_t n = count(1);
            found.assign(take(n), n);
        }
        if (!(found == expected))
            fail(checkpoint_error::reason::mismatched, "another run's checkpoint: " + std::string(what) + " is " +
                                                           describe_field(found) + " there but " + describe_field(expected) + " here");
    }
    /// Throws checkpoint_error (mismatched) when fields are left: the saving run had more parts.
    void finish() const {
        if (m_at != m_payload.size())
            fail(checkpoint_error::reason::mismatched,
                 "another run's checkpoint: it holds more than this run loads (other callbacks with state?)");
    }

private:
    [[noreturn]] void fail(checkpoint_error::reason why, const std::string& problem) const {
        throw checkpoint_error(why, m_call, m_file, problem);
    }
    [[noreturn]] void ends_early() const {
        fail(checkpoint_error::reason::mismatched,
             "another run's checkpoint: it ends before this run's fields do (other callbacks with state?)");
    }
    template <class T>
    T read() {
        stored_t<T> stored{};
        std::memcpy(&stored, take(sizeof stored), sizeof stored);
        return static_cast<T>(stored);
    }
    const char* take(std::size_t n) {
        if (n > m_payload.size() - m_at) ends_early();
        const char* at = m_payload.data() + m_at;
        m_at += n;
        return at;
    }
    /// A stored count of items of `size` bytes, checked against what is left.
    std::size_t count(std::size_t size) {
        const std::uint64_t n = read<std::uint64_t>();
        if (n > (m_payload.size() - m_at) / size) ends_early();
        return static_cast<std::size_t>(n);
    }

    std::string m_call;
    std::string m_file;
    std::string m_bytes;
    std::string_view m_payload;
    std::size_t m_at = 0;
    bool m_checking = true;
};

template <class T>
inline constexpr std::string_view number_type_name = std::is_same_v<T, float> ? "float" : "double";

/// A parameter store's number type, names, shapes and values. The loading store's vectors keep
/// their lengths, which must be the file's, or take the file's with `lengths_from_file`.
template <class Archive, class T, class... P>
void serialize_parameters(Archive& archive, parameter_store<T, P...>& params, bool lengths_from_file = false) {
    archive.check("the parameters' number type", std::string(number_type_name<T>));
    archive.check("the number of parameters", sizeof...(P));
    params.for_each([&](auto symbol, auto& value) {
        const std::string name(decltype(symbol)::name.view());
        archive.check("a parameter's name", name);
        if constexpr (std::is_arithmetic_v<std::remove_cvref_t<decltype(value)>>) {
            archive.check("whether " + name + " is a vector", false);
            archive(value);
        } else {
            archive.check("whether " + name + " is a vector", true);
            if (lengths_from_file) {
                archive.resizable(value);
            } else {
                archive.check("the length of " + name, value.size());
                archive.numbers(value.data(), value.size());
            }
        }
    });
}

} // namespace ctgrad::detail

#endif // CTGRAD_TRAIN_CHECKPOINT_FILE_HPP
