// ctgrad/data/npy.hpp: a dataset from a NumPy .npy file: a 2-D array (rows, columns) of
// little-endian float64 or float32 in C order, format version 1, 2 or 3, one row per example
// and one column the target (np.save(path, np.column_stack([X, y])) writes one). Anything
// else is a ctgrad::data_error that names the file and says what it holds instead. A file is
// read at offsets: its header, then only the rows asked for (options.rows), so a rank of a
// data-parallel run holds its share of a file larger than one machine's memory.
#ifndef CTGRAD_DATA_NPY_HPP
#define CTGRAD_DATA_NPY_HPP

#include "ctgrad/data/row_range.hpp"
#include "ctgrad/data/table.hpp"
#include "ctgrad/error.hpp"

#include <algorithm>
#include <bit>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace ctgrad::data {

/// npy_dataset's options: table_options and the rows to read. A .npy file has no header row:
/// its columns are named "column 0", "column 1", ..., so a target is given by index (or as
/// "column 3"). With rows, the dataset holds those rows only: num_train counts from rows.first,
/// and standardize uses the statistics of the range's training rows.
struct npy_options {
    column target = column::last();         ///< by index from 0 (or "column 3"); default the last
    std::optional<std::size_t> num_train{}; ///< the first num_train rows read train, the rest validate; unset: all train
    std::size_t batch_size = 32;
    std::uint64_t seed = 0;                 ///< seeds the training loader's shuffles
    bool standardize = false;               ///< features to mean 0 and standard deviation 1
    std::optional<row_range> rows{};        ///< only these rows, e.g. share_of(rows, rank, ranks); unset: every row
};

/// The shape of a .npy file's array.
struct npy_shape {
    std::size_t rows = 0;
    std::size_t columns = 0;
};

/// Reads .npy bytes (all rows, or `rows` only) into a table. `source` names them in messages.
/// Throws ctgrad::data_error, and ctgrad::invalid_argument for rows outside the array.
template <data_value T = double>
table<T> parse_npy(std::string_view bytes, const std::string& source = "<bytes>", const std::optional<row_range>& rows = {});

/// Reads the .npy file at `path` into a dataset: its header, then only the rows of
/// options.rows (every row when unset), so the memory used is that of those rows. Throws
/// ctgrad::data_error for a file that is missing, not a .npy file, of another dtype, order or
/// shape, truncated, or holding a NaN or an infinity in the rows read, and
/// ctgrad::invalid_argument for an option that does not fit it (rows past its end, or none).
template <data_value T = double>
tabular_dataset<T> npy_dataset(const std::string& path, const npy_options& options = {});

/// The shape of the array of the .npy file at `path`, from its header alone (the size of the
/// file is checked against it), so that a rank can compute its share before reading:
/// share_of(npy_shape_of(path).rows, rank, ranks). Throws ctgrad::data_error as npy_dataset.
[[nodiscard]] inline npy_shape npy_shape_of(const std::string& path);

/// The same from bytes in memory; `source` stands for the file name in messages.
template <data_value T = double>
tabular_dataset<T> npy_dataset_from_bytes(std::string_view bytes, const npy_options& options = {},
                                          const std::string& source = "<bytes>");

namespace detail {

inline constexpr const char* npy_call = "ctgrad::data::npy_dataset";
inline constexpr const char* npy_shape_call = "ctgrad::data::npy_shape_of";

struct npy_header {
    std::string descr;
    bool fortran_order = false;
    std::vector<std::uint64_t> shape;
    bool has_descr = false, has_order = false, has_shape = false;
};

// The header is a Python dict literal, e.g. {'descr': '<f8', 'fortran_order': False, 'shape': (16, 7), }.
class npy_header_parser {
public:
    npy_header_parser(const char* call, std::string_view text, std::size_t offset, const std::string& source)
        : m_call(call), m_text(text), m_offset(offset), m_source(source) {}

    npy_header parse() {
        npy_header out;
        expect('{');
        while (!eat('}')) {
            const std::string key = string_literal();
            expect(':');
            if (key == "descr") {
                skip_spaces();
                if (peek() != '\'' && peek() != '"') fail("'descr' is not a plain dtype string (a structured array?)");
                out.descr = string_literal();
                out.has_descr = true;
            } else if (key == "fortran_order") {
                out.fortran_order = boolean();
                out.has_order = true;
            } else if (key == "shape") {
                out.shape = tuple();
                out.has_shape = true;
            } else {
                fail("has an unknown key '" + key + "'");
            }
            if (!eat(',')) {
                expect('}');
                break;
            }
        }
        const std::pair<bool, const char*> required[] = {
            {out.has_descr, "descr"}, {out.has_order, "fortran_order"}, {out.has_shape, "shape"}};
        for (const auto& [seen, key] : required)
            if (!seen) fail("has no '" + std::string(key) + "'");
        return out;
    }

private:
    [[noreturn]] void fail(const std::string& problem) const {
        throw data_error(m_call, m_source, 0, 0,
                         "the header (at byte " + std::to_string(m_offset + m_pos) + ") " + problem);
    }
    char peek() const { return m_pos < m_text.size() ? m_text[m_pos] : '\0'; }
    void skip_spaces() {
        while (m_pos < m_text.size() && (m_text[m_pos] == ' ' || m_text[m_pos] == '\n' || m_text[m_pos] == '\t')) ++m_pos;
    }
    bool eat(char c) {
        skip_spaces();
        if (peek() != c) return false;
        ++m_pos;
        return true;
    }
    void expect(char c) {
        if (!eat(c)) fail("is malformed: expected '" + std::string(1, c) + "'");
    }
    std::string string_literal() {
        skip_spaces();
        const char quote = peek();
        if (quote != '\'' && quote != '"') fail("is malformed: expected a quoted string");
        const std::size_t begin = ++m_pos;
        while (m_pos < m_text.size() && m_text[m_pos] != quote) ++m_pos;
        if (m_pos >= m_text.size()) fail("is malformed: a string is not closed");
        return std::string(m_text.substr(begin, m_pos++ - begin));
    }
    bool boolean() {
        skip_spaces();
        const std::pair<std::string_view, bool> words[] = {{"True", true}, {"False", false}};
        for (const auto& [word, value] : words)
            if (m_text.substr(m_pos, word.size()) == word) {
                m_pos += word.size();
                return value;
            }
        fail("is malformed: 'fortran_order' is not True or False");
    }
    std::vector<std::uint64_t> tuple() {
        std::vector<std::uint64_t> out;
        expect('(');
        while (!eat(')')) {
            skip_spaces();
            std::uint64_t value = 0;
            const char* begin = m_text.data() + m_pos;
            const auto [ptr, ec] = std::from_chars(begin, m_text.data() + m_text.size(), value);
            if (ec != std::errc{} || ptr == begin) fail("is malformed: 'shape' holds something other than whole numbers");
            m_pos += std::size_t(ptr - begin);
            if (peek() == 'L') ++m_pos; // Python 2's long
            out.push_back(value);
            if (!eat(',')) {
                expect(')');
                break;
            }
        }
        return out;
    }

    const char* m_call;
    std::string_view m_text;
    std::size_t m_offset;
    const std::string& m_source;
    std::size_t m_pos = 0;
};

inline std::uint64_t npy_little_endian(std::string_view bytes, std::size_t at, std::size_t size) {
    std::uint64_t value = 0;
    for (std::size_t k = 0; k < size; ++k) value |= std::uint64_t(static_cast<unsigned char>(bytes[at + k])) << (8 * k);
    return value;
}

inline std::string npy_number(double value) {
    char buffer[32];
    const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
    return std::string(buffer, result.ptr);
}

inline std::string npy_shape_text(const std::vector<std::uint64_t>& shape) {
    std::string out = "(";
    for (std::size_t k = 0; k < shape.size(); ++k) out += (k ? ", " : "") + std::to_string(shape[k]);
    return out + (shape.size() == 1 ? ",)" : ")");
}

// .npy bytes in memory.
class npy_memory {
public:
    explicit npy_memory(std::string_view bytes) : m_bytes(bytes) {}
    [[nodiscard]] std::uint64_t size() const noexcept { return m_bytes.size(); }
    std::string_view read(std::uint64_t at, std::size_t n) const { return m_bytes.substr(std::size_t(at), n); }

private:
    std::string_view m_bytes;
};

// A .npy file read at offsets: only the bytes asked for are ever in memory. What read returns
// lives until the next read.
class npy_file {
public:
    npy_file(const char* call, const std::string& path)
        : m_call(call), m_path(path), m_in(open_for_reading(call, path)) {
        std::error_code ec;
        m_size = std::filesystem::file_size(path, ec);
        if (ec) throw data_error(call, path, 0, 0, "its size cannot be read (" + ec.message() + ")");
    }
    [[nodiscard]] std::uint64_t size() const noexcept { return m_size; }
    std::string_view read(std::uint64_t at, std::size_t n) {
        m_buffer.resize(n);
        m_in.seekg(std::streamoff(at));
        m_in.read(m_buffer.data(), std::streamsize(n));
        if (!m_in)
            throw data_error(m_call, m_path, 0, 0,
                             "could not be read at byte " + std::to_string(at) + " (did it change while it was read?)");
        return m_buffer;
    }

private:
    const char* m_call;
    std::string m_path;
    std::ifstream m_in;
    std::uint64_t m_size = 0;
    std::string m_buffer;
};

// Where a .npy array's data is, and what it holds.
struct npy_layout {
    std::vector<std::uint64_t> shape; // (rows, columns)
    bool f8 = true;                   // '<f8', else '<f4'
    std::uint64_t item = 8;           // bytes per element
    std::uint64_t data_start = 0;     // the byte where element [0, 0] starts
};

// Reads and checks the preamble and the header, and that the size of the data is the shape's.
template <class Bytes>
npy_layout npy_read_layout(const char* call, Bytes& in, const std::string& source) {
    const auto fail = [&](const std::string& problem) { return data_error(call, source, 0, 0, problem); };
    const std::uint64_t size = in.size();
    const std::string_view preamble = in.read(0, std::size_t(std::min<std::uint64_t>(size, 12)));
    if (preamble.substr(0, 6) != "\x93NUMPY") throw fail("is not a .npy file (it does not start with \\x93NUMPY)");
    if (size < 10) throw fail("is truncated: it ends inside the .npy preamble");
    const unsigned major = static_cast<unsigned char>(preamble[6]), minor = static_cast<unsigned char>(preamble[7]);
    if (major < 1 || major > 3)
        throw fail("has .npy format version " + std::to_string(major) + "." + std::to_string(minor) +
                   "; ctgrad reads versions 1, 2 and 3");
    const std::size_t length_size = major == 1 ? 2 : 4;
    if (size < 8 + length_size) throw fail("is truncated: it ends inside the .npy preamble");
    const std::uint64_t header_length = npy_little_endian(preamble, 8, length_size);
    const std::size_t header_start = 8 + length_size;
    if (header_length > size - header_start)
        throw fail("is truncated: its header is " + std::to_string(header_length) + " bytes long but only " +
                   std::to_string(size - header_start) + " follow the preamble");
    npy_layout out;
    out.data_start = header_start + header_length;
    const auto header = npy_header_parser(call, in.read(header_start, std::size_t(header_length)), header_start, source).parse();

    out.f8 = header.descr == "<f8";
    if (!out.f8 && header.descr != "<f4")
        throw fail("holds dtype '" + header.descr + "'" + (header.descr.starts_with('>') ? " (big-endian)" : "") +
                   "; ctgrad reads '<f8' (float64) and '<f4' (float32)");
    if (header.fortran_order)
        throw fail("is in Fortran order; save a C-order array (np.ascontiguousarray) instead");
    if (header.shape.size() != 2)
        throw fail("has shape " + npy_shape_text(header.shape) + "; a dataset needs a 2-D array (rows, columns)");
    out.shape = header.shape;
    out.item = out.f8 ? 8 : 4;
    const std::uint64_t rows = out.shape[0], cols = out.shape[1], item = out.item;
    const std::uint64_t available = size - out.data_start;
    if (rows > 0 && cols > available / item / rows) // the data must be there before anything is allocated for it
        throw fail("is truncated: shape " + npy_shape_text(out.shape) + " of " + (out.f8 ? "float64" : "float32") +
                   " needs " + (cols > std::numeric_limits<std::uint64_t>::max() / item / rows ? std::string("more")
                                                                                                : std::to_string(rows * cols * item)) +
                   " bytes of data but " + std::to_string(available) + " follow the header");
    if (available != rows * cols * item)
        throw fail("has " + std::to_string(available - rows * cols * item) + " bytes after the data of shape " +
                   npy_shape_text(out.shape));
    return out;
}

inline std::string npy_range_text(const row_range& range) {
    return "rows {first " + std::to_string(range.first) + ", count " + std::to_string(range.count) + "}";
}

// The rows asked for (every row when unset) of the array `in` holds, read a chunk at a time:
// the memory used is that of the rows, not of the file.
template <data_value T, class Bytes>
table<T> npy_read_rows(Bytes& in, const std::string& source, const std::optional<row_range>& rows) {
    const auto fail = [&](const std::string& problem) { return data_error(npy_call, source, 0, 0, problem); };
    const npy_layout layout = npy_read_layout(npy_call, in, source);
    const std::uint64_t file_rows = layout.shape[0], cols = layout.shape[1], item = layout.item;
    if (!rows && file_rows == 0) throw fail("has shape " + npy_shape_text(layout.shape) + ": no rows");
    const row_range range = rows.value_or(row_range{0, std::size_t(file_rows)});
    if (range.first > file_rows || range.count > file_rows - range.first)
        throw invalid_argument(where(npy_call, source) + npy_range_text(range) + " run past the end: the file has " +
                               std::to_string(file_rows) + " rows; ask for first + count <= " + std::to_string(file_rows) +
                               " (share_of(" + std::to_string(file_rows) + ", rank, ranks) splits them)");
    if (range.count == 0)
        throw invalid_argument(where(npy_call, source) + npy_range_text(range) +
                               " hold no row; a dataset needs at least one (a rank with an empty share_of has nothing to read)");

    table<T> out;
    out.source = source;
    out.rows = range.count;
    for (std::uint64_t j = 0; j < cols; ++j) out.names.push_back("column " + std::to_string(j));
    out.values.resize(std::size_t(range.count * cols));
    constexpr std::uint64_t chunk_bytes = 1 << 20;
    const std::uint64_t row_bytes = cols * item; // 0 for (n, 0): one empty chunk, however large n is
    const std::uint64_t chunk_rows = row_bytes == 0 ? range.count : std::max<std::uint64_t>(1, chunk_bytes / row_bytes);
    for (std::uint64_t done = 0; done < range.count; done += chunk_rows) {
        const std::uint64_t n = std::min<std::uint64_t>(chunk_rows, range.count - done);
        const std::string_view chunk = in.read(layout.data_start + (range.first + done) * row_bytes, std::size_t(n * row_bytes));
        for (std::size_t k = 0; k < n * cols; ++k) {
            const std::uint64_t raw = npy_little_endian(chunk, k * item, item);
            const double value = layout.f8 ? std::bit_cast<double>(raw) : double(std::bit_cast<float>(std::uint32_t(raw)));
            const auto element = [&] { // the file's row, not the range's
                return "element [" + std::to_string(range.first + done + k / cols) + ", " + std::to_string(k % cols) + "]";
            };
            if (std::isnan(value)) throw fail(element() + " is NaN");
            if (std::isinf(value)) throw fail(element() + " is infinite");
            if (std::abs(value) > double(std::numeric_limits<T>::max()))
                throw fail(element() + " = " + npy_number(value) + " is out of range for float");
            out.values[std::size_t(done * cols + k)] = static_cast<T>(value);
        }
    }
    return out;
}

template <data_value T>
tabular_dataset<T> npy_make_dataset(table<T>&& t, const npy_options& options) {
    const table_options common{options.target, options.num_train, options.batch_size, options.seed, options.standardize};
    if (options.rows && options.num_train && *options.num_train > t.rows) // make_tabular would say "the file"
        throw invalid_argument(where(npy_call, t.source) + "num_train is " + std::to_string(*options.num_train) + " but " +
                               npy_range_text(*options.rows) + " hold only " + std::to_string(t.rows));
    auto data = make_tabular(npy_call, std::move(t), common);
    if (options.rows) data.mark_as_shard(); // a rank's rows: its batches are its part already
    return data;
}

inline void npy_check_options(const std::string& source, const npy_options& options) {
    check_table_options(npy_call, source, {options.target, options.num_train, options.batch_size, options.seed, options.standardize});
}

} // namespace detail

template <data_value T>
table<T> parse_npy(std::string_view bytes, const std::string& source, const std::optional<row_range>& rows) {
    detail::npy_memory in(bytes);
    return detail::npy_read_rows<T>(in, source, rows);
}

template <data_value T>
tabular_dataset<T> npy_dataset_from_bytes(std::string_view bytes, const npy_options& options, const std::string& source) {
    detail::npy_check_options(source, options);
    return detail::npy_make_dataset(parse_npy<T>(bytes, source, options.rows), options);
}

template <data_value T>
tabular_dataset<T> npy_dataset(const std::string& path, const npy_options& options) {
    detail::npy_check_options(path, options);
    detail::npy_file in(detail::npy_call, path);
    return detail::npy_make_dataset(detail::npy_read_rows<T>(in, path, options.rows), options);
}

inline npy_shape npy_shape_of(const std::string& path) {
    detail::npy_file in(detail::npy_shape_call, path);
    const auto layout = detail::npy_read_layout(detail::npy_shape_call, in, path);
    return {std::size_t(layout.shape[0]), std::size_t(layout.shape[1])};
}

} // namespace ctgrad::data

#endif // CTGRAD_DATA_NPY_HPP
