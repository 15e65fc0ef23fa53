// ctgrad/data/csv.hpp: a dataset from a CSV file (or from text in memory). Numbers are read
// with std::from_chars, so the locale never changes what a file means; the table and its
// errors are in table.hpp.
#ifndef CTGRAD_DATA_CSV_HPP
#define CTGRAD_DATA_CSV_HPP

#include "ctgrad/data/table.hpp"
#include "ctgrad/error.hpp"

#include <xtensor/xtensor.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>


namespace ctgrad::data {

/// How a CSV file is laid out.
struct csv_format {
    bool header = true;   ///< the first row names the columns
    char delimiter = ','; ///< any character but a quote, CR or LF (';' and '\t' are common)
};

/// csv_dataset's options: table_options and the layout. The split follows the file's order:
/// the first num_train data rows train, the rest validate (shuffle the file for a random split).
struct csv_options {
    column target = column::last();         ///< by header name or by index from 0; default the last
    bool header = true;                     ///< the first row names the columns ("column 0", ... without)
    char delimiter = ',';                   ///< see csv_format
    std::optional<std::size_t> num_train{}; ///< unset: every row trains, none validates
    std::size_t batch_size = 32;
    std::uint64_t seed = 0;                 ///< seeds the training loader's shuffles
    bool standardize = false;               ///< features to mean 0 and standard deviation 1 (tabular_dataset)
};

/// Parses CSV text: RFC 4180 quoting ("a ""b""", fields may hold the delimiter and newlines),
/// LF or CRLF line ends, a last line with or without one, a UTF-8 byte order mark, spaces
/// and tabs around a cell. Lines with no character at all are skipped. Every data cell must
/// be a finite number that fits in T (a leading '+' is allowed). `source` names the text in
/// messages (the file name). Throws ctgrad::data_error, naming the line and column.
template <data_value T = double>
table<T> parse_csv(std::string_view text, const csv_format& format = {}, const std::string& source = "<string>");

/// Reads the CSV file at `path` into a dataset. Throws ctgrad::data_error for a file that is
/// missing, empty or malformed (naming file, line and column) and ctgrad::invalid_argument
/// for an option that does not fit it (naming the option and the file).
template <data_value T = double>
tabular_dataset<T> csv_dataset(const std::string& path, const csv_options& options = {});

/// The same from text in memory; `source` stands for the file name in messages.
template <data_value T = double>
tabular_dataset<T> csv_dataset_from_string(std::string_view text, const csv_options& options = {},
                                           const std::string& source = "<string>");

namespace detail {

inline constexpr const char* csv_call = "ctgrad::data::csv_dataset";

inline bool csv_blank(char c, char delimiter) noexcept { return (c == ' ' || c == '\t') && c != delimiter; }

// One cell of a record: its text (between the quotes for a quoted cell, where "" still
// stands for one quote) and where its first character is.
struct csv_cell {
    std::string_view text;
    bool escaped = false; // quoted, with "" inside
    std::size_t line = 0;
    std::size_t column = 0;

    [[nodiscard]] std::string value() const {
        std::string out(text);
        if (escaped) {
            std::size_t w = 0;
            for (std::size_t r = 0; r < out.size(); ++r, ++w) {
                out[w] = out[r];
                if (out[r] == '"') ++r; // the second quote of a pair
            }
            out.resize(w);
        }
        return out;
    }
};

// Walks the text record by record, keeping the line and column of every cell.
class csv_reader {
public:
    csv_reader(std::string_view text, char delimiter, const std::string& source)
        : m_text(text), m_delimiter(delimiter), m_source(source) {
        if (m_text.substr(0, 3) == "\xEF\xBB\xBF") m_pos = m_line_start = 3; // UTF-8 byte order mark
    }

    // The next record's cells; false at the end of the text. Empty lines are skipped.
    bool next(std::vector<csv_cell>& cells, std::size_t& line) {
        while (m_pos < m_text.size() && (m_text[m_pos] == '\n' || m_text.substr(m_pos, 2) == "\r\n"))
            new_line(m_text[m_pos] == '\n' ? m_pos + 1 : m_pos + 2);
        if (m_pos >= m_text.size()) return false;
        cells.clear();
        line = m_line;
        for (;;) {
            cells.push_back(cell());
            if (m_pos < m_text.size() && m_text[m_pos] == m_delimiter) {
                ++m_pos;
                continue;
            }
            if (m_pos < m_text.size()) new_line(m_pos + (m_text[m_pos] == '\n' ? 1 : 2)); // cell() stops only at LF or CRLF
            return true;
        }
    }

    [[noreturn]] void fail(std::size_t line, std::size_t column, const std::string& problem) const {
        throw data_error(csv_call, m_source, line, column, problem);
    }

private:
    void new_line(std::size_t at) {
        m_pos = m_line_start = at;
        ++m_line;
    }
    std::size_t column_at(std::size_t pos) const { return pos - m_line_start + 1; }
    static std::string shown(char c) {
        const auto byte = static_cast<unsigned char>(c);
        if (byte >= 0x20 && byte < 0x7f) return "'" + std::string(1, c) + "'";
        const char hex[] = "0123456789abcdef";
        return std::string("byte 0x") + hex[byte >> 4] + hex[byte & 15];
    }
    bool at_record_end() const {
        return m_pos >= m_text.size() || m_text[m_pos] == m_delimiter || m_text[m_pos] == '\n' ||
               m_text.substr(m_pos, 2) == "\r\n";
    }

    csv_cell cell() {
        while (m_pos < m_text.size() && csv_blank(m_text[m_pos], m_delimiter)) ++m_pos;
        csv_cell out{{}, false, m_line, column_at(m_pos)};
        if (m_pos < m_text.size() && m_text[m_pos] == '"') {
            const std::size_t begin = ++m_pos;
            for (;;) {
                if (m_pos >= m_text.size()) fail(out.line, out.column, "a quoted cell is not closed (a \" is missing)");
                const char c = m_text[m_pos];
                if (c == '"' && m_pos + 1 < m_text.size() && m_text[m_pos + 1] == '"') {
                    out.escaped = true;
                    m_pos += 2;
                } else if (c == '"') {
                    break;
                } else if (c == '\n') {
                    new_line(m_pos + 1);
                } else {
                    ++m_pos;
                }
            }
            out.text = m_text.substr(begin, m_pos - begin);
            ++m_pos; // the closing quote
            while (m_pos < m_text.size() && csv_blank(m_text[m_pos], m_delimiter)) ++m_pos;
            if (!at_record_end())
                fail(m_line, column_at(m_pos),
                     "unexpected " + shown(m_text[m_pos]) + " after a quoted cell (expected the delimiter or the line end)");
            return out;
        }
        const std::size_t begin = m_pos;
        while (!at_record_end()) ++m_pos;
        std::size_t end = m_pos;
        while (end > begin && csv_blank(m_text[end - 1], m_delimiter)) --end;
        out.text = m_text.substr(begin, end - begin);
        return out;
    }

    std::string_view m_text;
    char m_delimiter;
    const std::string& m_source;
    std::size_t m_pos = 0;
    std::size_t m_line = 1;
    std::size_t m_line_start = 0;
};

// from_chars reports both overflow and underflow as out of range; a number too small for
// double or float is not an error (it rounds to 0 or a subnormal), one too large is.
template <class T>
std::optional<T> csv_number(std::string_view s, bool& out_of_range) {
    out_of_range = false;
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1); // inside quotes
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    if (s.size() > 1 && s[0] == '+' && s[1] != '-' && s[1] != '+') s.remove_prefix(1);
    T value{};
    const char* end = s.data() + s.size();
    auto [ptr, ec] = std::from_chars(s.data(), end, value);
    if (ptr != end || ec == std::errc::invalid_argument || s.empty()) return std::nullopt;
    if (ec == std::errc::result_out_of_range) {
        long double wide = 0;
        const auto wide_result = std::from_chars(s.data(), end, wide);
        if (wide_result.ec != std::errc{} || !(wide < 1 && wide > -1)) {
            out_of_range = true;
            return std::nullopt;
        }
        value = static_cast<T>(wide);
    }
    return value;
}

} // namespace detail

template <data_value T>
table<T> parse_csv(std::string_view text, const csv_format& format, const std::string& source) {
    if (format.delimiter == '"' || format.delimiter == '\n' || format.delimiter == '\r')
        throw invalid_argument(std::string(detail::csv_call) + ": " + source +
                               ": delimiter must not be a quote, CR or LF");
    detail::csv_reader reader(text, format.delimiter, source);
    table<T> out;
    out.source = source;
    std::vector<detail::csv_cell> cells;
    std::size_t line = 0;
    bool has_header = false;
    while (reader.next(cells, line)) {
        if (out.names.empty()) {
            if (format.header) {
                has_header = true;
                for (const auto& cell : cells) out.names.push_back(cell.value());
                continue;
            }
            for (std::size_t j = 0; j < cells.size(); ++j) out.names.push_back("column " + std::to_string(j));
        }
        if (cells.size() != out.names.size())
            reader.fail(line, 0, "expected " + std::to_string(out.names.size()) + " cells (as " +
                                     (has_header ? "in the header" : "in the first row") + "), found " +
                                     std::to_string(cells.size()));
        for (std::size_t j = 0; j < cells.size(); ++j) {
            const auto& cell = cells[j];
            bool out_of_range = false;
            const auto value = cell.escaped ? std::nullopt : detail::csv_number<T>(cell.text, out_of_range);
            const auto where = [&] { return "column " + detail::in_quotes(out.names[j]) + ": " + detail::in_quotes(cell.value(), '"'); };
            if (!value)
                reader.fail(cell.line, cell.column,
                            where() +
                                (out_of_range ? std::string(" is out of range for ") + (sizeof(T) == 4 ? "float" : "double")
                                              : " is not a number"));
            if (!std::isfinite(*value))
                reader.fail(cell.line, cell.column, where() + " is not finite");
            out.values.push_back(*value);
        }
        out.lines.push_back(line);
        ++out.rows;
    }
    if (out.names.empty()) throw data_error(detail::csv_call, source, 0, 0, "the file is empty");
    if (out.lines.empty()) throw data_error(detail::csv_call, source, 0, 0, "the file has a header but no data rows");
    return out;
}

template <data_value T>
tabular_dataset<T> csv_dataset_from_string(std::string_view text, const csv_options& options, const std::string& source) {
    const table_options common{options.target, options.num_train, options.batch_size, options.seed, options.standardize};
    detail::check_table_options(detail::csv_call, source, common);
    return detail::make_tabular(detail::csv_call, parse_csv<T>(text, {options.header, options.delimiter}, source), common);
}

template <data_value T>
tabular_dataset<T> csv_dataset(const std::string& path, const csv_options& options) {
    const table_options common{options.target, options.num_train, options.batch_size, options.seed, options.standardize};
    detail::check_table_options(detail::csv_call, path, common);
    return csv_dataset_from_string<T>(detail::read_whole_file(detail::csv_call, path), options, path);
}

} // namespace ctgrad::data

#endif // CTGRAD_DATA_CSV_HPP
