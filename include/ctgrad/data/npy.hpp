// ctgrad/data/npy.hpp: a dataset from a NumPy .npy file: a 2-D array (rows, columns) of
// little-endian float64 or float32 in C order, format version 1, 2 or 3, one row per example
// and one column the target (np.save(path, np.column_stack([X, y])) writes one). Anything
// else is a ctgrad::data_error that names the file and says what it holds instead.
#ifndef CTGRAD_DATA_NPY_HPP
#define CTGRAD_DATA_NPY_HPP

#include "ctgrad/data/table.hpp"
#include "ctgrad/error.hpp"

#include <bit>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

namespace ctgrad::data {

/// npy_dataset's options. A .npy file has no header row: its columns are named "column 0",
/// "column 1", ..., so a target is given by index (or as "column 3").
using npy_options = table_options;

/// Reads .npy bytes into a table. `source` names them in messages. Throws ctgrad::data_error.
template <data_value T = double>
table<T> parse_npy(std::string_view bytes, const std::string& source = "<bytes>");

/// Reads the .npy file at `path` into a dataset. Throws ctgrad::data_error for a file that is
/// missing, not a .npy file, of another dtype, order or shape, truncated, or holding a NaN or
/// an infinity, and ctgrad::invalid_argument for an option that does not fit it.
template <data_value T = double>
tabular_dataset<T> npy_dataset(const std::string& path, const npy_options& options = {});

/// The same from bytes in memory; `source` stands for the file name in messages.
template <data_value T = double>
tabular_dataset<T> npy_dataset_from_bytes(std::string_view bytes, const npy_options& options = {},
                                          const std::string& source = "<bytes>");

namespace detail {

inline constexpr const char* npy_call = "ctgrad::data::npy_dataset";

struct npy_header {
    std::string descr;
    bool fortran_order = false;
    std::vector<std::uint64_t> shape;
    bool has_descr = false, has_order = false, has_shape = false;
};

// The header is a Python dict literal, e.g. {'descr': '<f8', 'fortran_order': False, 'shape': (16, 7), }.
class npy_header_parser {
public:
    npy_header_parser(std::string_view text, std::size_t offset, const std::string& source)
        : m_text(text), m_offset(offset), m_source(source) {}

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
        throw data_error(npy_call, m_source, 0, 0,
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

inline std::string npy_shape(const std::vector<std::uint64_t>& shape) {
    std::string out = "(";
    for (std::size_t k = 0; k < shape.size(); ++k) out += (k ? ", " : "") + std::to_string(shape[k]);
    return out + (shape.size() == 1 ? ",)" : ")");
}

} // namespace detail

template <data_value T>
table<T> parse_npy(std::string_view bytes, const std::string& source) {
    const auto fail = [&](const std::string& problem) { return data_error(detail::npy_call, source, 0, 0, problem); };
    if (bytes.substr(0, 6) != "\x93NUMPY") throw fail("is not a .npy file (it does not start with \\x93NUMPY)");
    if (bytes.size() < 10) throw fail("is truncated: it ends inside the .npy preamble");
    const unsigned major = static_cast<unsigned char>(bytes[6]), minor = static_cast<unsigned char>(bytes[7]);
    if (major < 1 || major > 3)
        throw fail("has .npy format version " + std::to_string(major) + "." + std::to_string(minor) +
                   "; ctgrad reads versions 1, 2 and 3");
    const std::size_t length_size = major == 1 ? 2 : 4;
    if (bytes.size() < 8 + length_size) throw fail("is truncated: it ends inside the .npy preamble");
    const std::uint64_t header_length = detail::npy_little_endian(bytes, 8, length_size);
    const std::size_t header_start = 8 + length_size;
    if (header_length > bytes.size() - header_start)
        throw fail("is truncated: its header is " + std::to_string(header_length) + " bytes long but only " +
                   std::to_string(bytes.size() - header_start) + " follow the preamble");
    const std::size_t data_start = header_start + std::size_t(header_length);
    const auto header = detail::npy_header_parser(bytes.substr(header_start, std::size_t(header_length)), header_start, source).parse();

    const bool f8 = header.descr == "<f8", f4 = header.descr == "<f4";
    if (!f8 && !f4)
        throw fail("holds dtype '" + header.descr + "'" + (header.descr.starts_with('>') ? " (big-endian)" : "") +
                   "; ctgrad reads '<f8' (float64) and '<f4' (float32)");
    if (header.fortran_order)
        throw fail("is in Fortran order; save a C-order array (np.ascontiguousarray) instead");
    if (header.shape.size() != 2)
        throw fail("has shape " + detail::npy_shape(header.shape) + "; a dataset needs a 2-D array (rows, columns)");
    const std::uint64_t rows = header.shape[0], cols = header.shape[1], item = f8 ? 8 : 4;
    if (rows == 0) throw fail("has shape " + detail::npy_shape(header.shape) + ": no rows");
    const std::uint64_t available = bytes.size() - data_start;
    if (cols > available / item / rows) // the data must be there before anything is allocated for it
        throw fail("is truncated: shape " + detail::npy_shape(header.shape) + " of " + (f8 ? "float64" : "float32") +
                   " needs " + (cols > std::numeric_limits<std::uint64_t>::max() / item / rows ? std::string("more")
                                                                                                : std::to_string(rows * cols * item)) +
                   " bytes of data but " + std::to_string(available) + " follow the header");
    if (available != rows * cols * item)
        throw fail("has " + std::to_string(available - rows * cols * item) + " bytes after the data of shape " +
                   detail::npy_shape(header.shape));

    table<T> out;
    out.source = source;
    out.rows = std::size_t(rows);
    for (std::uint64_t j = 0; j < cols; ++j) out.names.push_back("column " + std::to_string(j));
    out.values.resize(std::size_t(rows * cols));
    for (std::size_t k = 0; k < out.values.size(); ++k) {
        const std::uint64_t raw = detail::npy_little_endian(bytes, data_start + k * item, item);
        const double value = f8 ? std::bit_cast<double>(raw) : double(std::bit_cast<float>(std::uint32_t(raw)));
        const auto element = [&] { return "element [" + std::to_string(k / cols) + ", " + std::to_string(k % cols) + "]"; };
        if (std::isnan(value)) throw fail(element() + " is NaN");
        if (std::isinf(value)) throw fail(element() + " is infinite");
        if (std::abs(value) > double(std::numeric_limits<T>::max()))
            throw fail(element() + " = " + detail::npy_number(value) + " is out of range for float");
        out.values[k] = static_cast<T>(value);
    }
    return out;
}

template <data_value T>
tabular_dataset<T> npy_dataset_from_bytes(std::string_view bytes, const npy_options& options, const std::string& source) {
    detail::check_table_options(detail::npy_call, source, options);
    return detail::make_tabular(detail::npy_call, parse_npy<T>(bytes, source), options);
}

template <data_value T>
tabular_dataset<T> npy_dataset(const std::string& path, const npy_options& options) {
    detail::check_table_options(detail::npy_call, path, options);
    return npy_dataset_from_bytes<T>(detail::read_whole_file(detail::npy_call, path), options, path);
}

} // namespace ctgrad::data

#endif // CTGRAD_DATA_NPY_HPP
