// ctgrad/data/nist.hpp: a problem of NIST's StRD nonlinear regression suite read from its .dat
// file, and the log relative error NIST scores a fit by. Numbers are read with std::from_chars,
// so the locale never changes what a file means; errors are ctgrad::data_error.
#ifndef CTGRAD_DATA_NIST_HPP
#define CTGRAD_DATA_NIST_HPP

#include "ctgrad/data/table.hpp"
#include "ctgrad/error.hpp"

#include <xtensor/xtensor.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <istream>
#include <iterator>
#include <sstream>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

namespace ctgrad {

/// One NIST StRD nonlinear regression problem, as its file states it.
struct nist_problem {
    std::string name;                         ///< "Dataset Name" (Misra1a), else the file's stem
    std::string difficulty;                   ///< "Lower", "Average" or "Higher" (empty if not stated)
    std::vector<std::string> parameter_names; ///< b1, b2, ... in file order
    std::vector<double> start1;               ///< far from the solution
    std::vector<double> start2;               ///< nearer to it
    std::vector<double> certified_values;
    std::vector<double> certified_std_devs;
    double certified_rss = 0;                 ///< residual sum of squares
    double residual_std_dev = 0;
    std::size_t degrees_of_freedom = 0;
    xt::xtensor<double, 1> y;                 ///< the response as in the file (Nelson fits log y)
    xt::xtensor<double, 1> x;                 ///< the first predictor (x, or Nelson's x1)
    xt::xtensor<double, 2> predictors;        ///< every predictor, observations by columns (x is column 0)
    std::vector<std::string> predictor_names; ///< from the data's column header: x, or x1 and x2
    std::string model;                        ///< the model line(s) trimmed and joined by a space
};

/// Reads the .dat file at `path`. Throws ctgrad::data_error naming the file and line for a file
/// that is missing or malformed, or whose data do not match its header.
nist_problem read_nist(const std::string& path);

/// The same from a stream; `source` stands for the file name in messages and names the problem
/// if the text has no "Dataset Name" line.
nist_problem read_nist(std::istream& in, const std::string& source);

/// -log10(|estimate - certified| / |certified|) (the absolute error where certified is 0), held
/// to [0, 11]: 11 for an exact match, 0 for a non-finite estimate.
double log_relative_error(double estimate, double certified);

/// NIST's score of a fit: the smallest log_relative_error over the parameters. Throws
/// ctgrad::invalid_argument if the two differ in length or are empty.
double lre(const std::vector<double>& est, const std::vector<double>& cert);

namespace detail {

inline constexpr const char* nist_call = "ctgrad::read_nist";

inline std::string_view nist_trim(std::string_view s) noexcept {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
    return s;
}

// The whitespace separated words of a line, each with its column (from 1).
struct nist_word {
    std::string_view text;
    std::size_t column;
};

inline std::vector<nist_word> nist_words(std::string_view line) {
    std::vector<nist_word> out;
    std::size_t i = 0;
    while (i < line.size()) {
        while (i < line.size() && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r')) ++i;
        const std::size_t begin = i;
        while (i < line.size() && line[i] != ' ' && line[i] != '\t' && line[i] != '\r') ++i;
        if (i > begin) out.push_back({line.substr(begin, i - begin), begin + 1});
    }
    return out;
}

inline std::optional<double> nist_number(std::string_view s) {
    if (s.size() > 1 && s[0] == '+' && s[1] != '-' && s[1] != '+') s.remove_prefix(1); // from_chars takes no '+'
    double value = 0;
    const char* end = s.data() + s.size();
    const auto [ptr, ec] = std::from_chars(s.data(), end, value);
    if (s.empty() || ptr != end || ec != std::errc{} || !std::isfinite(value)) return std::nullopt;
    return value;
}

// The file's lines (numbered from 1) and the messages that name them.
class nist_text {
public:
    nist_text(std::istream& in, const std::string& source) : m_source(source) {
        std::string line;
        while (std::getline(in, line)) {
            if (!line.empty() && line.back() == '\r') line.pop_back();
            m_lines.push_back(line);
        }
        if (in.bad()) fail(0, 0, "could not be read to the end");
    }

    [[nodiscard]] std::size_t size() const noexcept { return m_lines.size(); }
    [[nodiscard]] std::string_view line(std::size_t number) const { return m_lines[number - 1]; }

    [[noreturn]] void fail(std::size_t line, std::size_t column, const std::string& problem) const {
        throw data_error(nist_call, m_source, line, column, problem);
    }

    // The first line (in [first, last]) that holds `label`, or 0.
    [[nodiscard]] std::size_t find(std::string_view label, std::size_t first, std::size_t last) const {
        last = std::min(last, size());
        for (std::size_t n = first; n <= last; ++n)
            if (line(n).find(label) != std::string_view::npos) return n;
        return 0;
    }

    // "Starting Values (lines 41 to 42)" in the header: the two line numbers.
    [[nodiscard]] std::pair<std::size_t, std::size_t> range(std::string_view label) const {
        std::size_t n = 0; // "Dataset Name" also holds "Data": the line must hold "(lines" too
        for (std::size_t k = 1; k <= std::min<std::size_t>(20, size()) && n == 0; ++k)
            if (line(k).find(label) != std::string_view::npos && line(k).find("(lines") != std::string_view::npos) n = k;
        const std::string expected = "a header line '" + std::string(label) + " (lines A to B)'";
        if (n == 0) fail(0, 0, "no " + expected + " in the first 20 lines; is this a NIST StRD .dat file?");
        const std::string_view text = line(n);
        const auto open = text.find("(lines", text.find(label));
        const auto to = text.find(" to ", open);
        const auto close = text.find(')', to);
        if (open == std::string_view::npos || to == std::string_view::npos || close == std::string_view::npos)
            fail(n, 0, "expected " + expected);
        const auto a = count(nist_trim(text.substr(open + 6, to - open - 6)));
        const auto b = count(nist_trim(text.substr(to + 4, close - to - 4)));
        if (!a || !b || *a == 0 || *b < *a) fail(n, 0, "expected " + expected + " with 1 <= A <= B");
        if (*b > size())
            fail(n, 0, "the " + std::string(label) + " run to line " + std::to_string(*b) + ", but the file ends at line " +
                           std::to_string(size()) + " (is it truncated?)");
        return {*a, *b};
    }

    // The number after `label:` on the line that holds it, searched in [first, last].
    [[nodiscard]] double value(std::string_view label, std::size_t first, std::size_t last) const {
        const std::size_t n = find(label, first, last);
        if (n == 0)
            fail(0, 0, "no '" + std::string(label) + ":' line among lines " + std::to_string(first) + " to " +
                           std::to_string(last));
        const std::string_view text = line(n);
        const auto colon = text.find(':', text.find(label));
        const auto words = nist_words(colon == std::string_view::npos ? std::string_view{} : text.substr(colon + 1));
        const auto v = words.size() == 1 ? nist_number(words[0].text) : std::nullopt;
        if (!v) fail(n, 0, "expected one number after '" + std::string(label) + ":'");
        return *v;
    }

    static std::optional<std::size_t> count(std::string_view s) {
        std::size_t v = 0;
        const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
        if (s.empty() || ptr != s.data() + s.size() || ec != std::errc{}) return std::nullopt;
        return v;
    }

private:
    std::string m_source;
    std::vector<std::string> m_lines;
};

inline std::string nist_shown(std::string_view s) { return data::detail::in_quotes(std::string(s)); }

} // namespace detail

inline nist_problem read_nist(std::istream& in, const std::string& source) {
    const detail::nist_text text(in, source);
    if (text.size() == 0) text.fail(0, 0, "the file is empty");
    nist_problem p;

    // The name: "Dataset Name:  Misra1a           (Misra1a.dat)".
    if (const std::size_t n = text.find("Dataset Name:", 1, 10); n > 0) {
        const std::string_view line = text.line(n);
        const auto words = detail::nist_words(line.substr(line.find(':') + 1));
        if (!words.empty()) p.name = std::string(words[0].text);
    }
    if (p.name.empty()) {
        const auto slash = source.find_last_of("/\\");
        const std::string file = slash == std::string::npos ? source : source.substr(slash + 1);
        p.name = file.substr(0, file.rfind(".dat"));
    }

    const auto [start_first, start_last] = text.range("Starting Values");
    const auto [cert_first, cert_last] = text.range("Certified Values");
    const auto [data_first, data_last] = text.range("Data");
    const std::size_t header_end = std::min({start_first, cert_first, data_first});

    if (const std::size_t n = text.find("Level of Difficulty", 1, header_end - 1); n > 0) {
        const auto words = detail::nist_words(text.line(n));
        if (!words.empty()) p.difficulty = std::string(words[0].text);
    }

    // The model: the lines after "N Parameters (...)" up to the next blank line.
    if (const std::size_t m = text.find("Model:", 1, header_end - 1); m > 0) {
        std::size_t n = text.find("Parameters", m, header_end - 1);
        n = n == 0 ? m + 1 : n + 1;
        while (n < header_end && detail::nist_trim(text.line(n)).empty()) ++n;
        for (; n < header_end && !detail::nist_trim(text.line(n)).empty(); ++n)
            p.model += (p.model.empty() ? "" : " ") + std::string(detail::nist_trim(text.line(n)));
    }
    if (p.model.empty()) text.fail(0, 0, "no model (a 'Model:' section with the model's equation) before line " +
                                             std::to_string(header_end));

    // Parameters: "  b1 =   500   250   2.3894212918E+02  2.7070075241E+00".
    for (std::size_t n = start_first; n <= start_last; ++n) {
        const auto words = detail::nist_words(text.line(n));
        if (words.size() != 6 || words[1].text != "=")
            text.fail(n, 0, "expected a parameter line 'name = start1 start2 certified_value certified_std_dev', found " +
                                detail::nist_shown(detail::nist_trim(text.line(n))));
        double numbers[4] = {};
        for (std::size_t k = 0; k < 4; ++k) {
            const auto v = detail::nist_number(words[k + 2].text);
            if (!v)
                text.fail(n, words[k + 2].column,
                          detail::nist_shown(words[k + 2].text) + " is not a finite number (parameter " +
                              std::string(words[0].text) + ")");
            numbers[k] = *v;
        }
        p.parameter_names.emplace_back(words[0].text);
        p.start1.push_back(numbers[0]);
        p.start2.push_back(numbers[1]);
        p.certified_values.push_back(numbers[2]);
        p.certified_std_devs.push_back(numbers[3]);
    }

    // The certified statistics follow the parameters within the certified range.
    p.certified_rss = text.value("Residual Sum of Squares", cert_first, cert_last);
    p.residual_std_dev = text.value("Residual Standard Deviation", cert_first, cert_last);
    const double dof = text.value("Degrees of Freedom", cert_first, cert_last);
    const double observations = text.value("Number of Observations", cert_first, cert_last);
    const std::size_t obs_line = text.find("Number of Observations", cert_first, cert_last);
    if (dof < 0 || dof != std::floor(dof))
        text.fail(text.find("Degrees of Freedom", cert_first, cert_last), 0, "the degrees of freedom must be a whole number");
    if (observations < 1 || observations != std::floor(observations))
        text.fail(obs_line, 0, "the number of observations must be a whole number of at least 1");
    p.degrees_of_freedom = static_cast<std::size_t>(dof);
    const std::size_t n_obs = static_cast<std::size_t>(observations);
    if (data_last - data_first + 1 != n_obs)
        text.fail(obs_line, 0, "'Number of Observations' says " + std::to_string(n_obs) + ", but the header's data lines " +
                                   std::to_string(data_first) + " to " + std::to_string(data_last) + " hold " +
                                   std::to_string(data_last - data_first + 1));

    // Columns: the header line before the data names them ("Data:   y    x1    x2").
    std::size_t columns = 0;
    if (data_first > 1) {
        const std::string_view head = text.line(data_first - 1);
        if (const auto at = head.find("Data:"); at != std::string_view::npos) {
            const auto words = detail::nist_words(head.substr(at + 5));
            for (std::size_t k = 1; k < words.size(); ++k) p.predictor_names.emplace_back(words[k].text);
            columns = words.size();
        }
    }
    if (columns == 0) {
        columns = detail::nist_words(text.line(data_first)).size();
        for (std::size_t k = 1; k < columns; ++k) p.predictor_names.push_back(columns == 2 ? "x" : "x" + std::to_string(k));
    }
    if (columns < 2)
        text.fail(data_first > 1 ? data_first - 1 : data_first, 0,
                  "expected the data's columns: a response y and at least one predictor");

    p.y = xt::xtensor<double, 1>::from_shape({n_obs});
    p.predictors = xt::xtensor<double, 2>::from_shape({n_obs, columns - 1});
    for (std::size_t i = 0; i < n_obs; ++i) {
        const std::size_t n = data_first + i;
        const auto words = detail::nist_words(text.line(n));
        if (words.size() != columns)
            text.fail(n, 0, "expected " + std::to_string(columns) + " numbers (y and " + std::to_string(columns - 1) +
                                " predictor" + (columns > 2 ? "s" : "") + "), found " + std::to_string(words.size()) +
                                " words");
        for (std::size_t k = 0; k < columns; ++k) {
            const auto v = detail::nist_number(words[k].text);
            if (!v) text.fail(n, words[k].column, detail::nist_shown(words[k].text) + " is not a finite number");
            if (k == 0) p.y(i) = *v;
            else p.predictors(i, k - 1) = *v;
        }
    }
    p.x = xt::xtensor<double, 1>::from_shape({n_obs});
    for (std::size_t i = 0; i < n_obs; ++i) p.x(i) = p.predictors(i, 0);

    // Text after the data means the header's ranges are wrong, so the data read may be too.
    for (std::size_t n = data_last + 1; n <= text.size(); ++n)
        if (!detail::nist_trim(text.line(n)).empty())
            text.fail(n, 0, "text after the data, which the header says end at line " + std::to_string(data_last));
    return p;
}

inline nist_problem read_nist(const std::string& path) {
    std::istringstream in(data::detail::read_whole_file(detail::nist_call, path));
    return read_nist(in, path);
}

inline double log_relative_error(double estimate, double certified) {
    constexpr double most = 11;
    if (!std::isfinite(estimate)) return 0;
    if (estimate == certified) return most;
    const double error = std::fabs(estimate - certified) / (certified == 0 ? 1.0 : std::fabs(certified));
    return std::clamp(-std::log10(error), 0.0, most);
}

inline double lre(const std::vector<double>& est, const std::vector<double>& cert) {
    if (est.size() != cert.size() || est.empty())
        throw invalid_argument("ctgrad::lre: est and cert must have the same, nonzero length (they have " +
                               std::to_string(est.size()) + " and " + std::to_string(cert.size()) + ")");
    double out = 11;
    for (std::size_t i = 0; i < est.size(); ++i) out = std::min(out, log_relative_error(est[i], cert[i]));
    return out;
}

} // namespace ctgrad

#endif // CTGRAD_DATA_NIST_HPP
