// ctgrad/data/table.hpp: the table every data file becomes (one row per example, one column
// the target, the others the features, optionally standardised) and the dataset made from it,
// shared by the CSV and .npy readers. Every problem is a typed exception that says where it is
// (ctgrad::data_error: file, line, column) or which argument is wrong (ctgrad::invalid_argument).
#ifndef CTGRAD_DATA_TABLE_HPP
#define CTGRAD_DATA_TABLE_HPP

#include "ctgrad/data/dataset.hpp"
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

/// The number types a dataset holds.
template <class T>
concept data_value = std::same_as<T, float> || std::same_as<T, double>;

/// The target column: a header name (`"employed"`), an index from 0 (`0`), or column::last().
class column {
public:
    column(const char* name) : m_name(name ? name : ""), m_kind(kind::name) {}
    column(std::string name) : m_name(std::move(name)), m_kind(kind::name) {}
    template <std::integral I>
        requires(!std::same_as<I, bool>)
    column(I index) : m_index(static_cast<std::size_t>(index)), m_kind(kind::index) {
        if constexpr (std::is_signed_v<I>)
            if (index < 0)
                throw invalid_argument("ctgrad::data::column: a column index counts from 0, so it cannot be " +
                                       std::to_string(index));
    }
    [[nodiscard]] static column last() { return column(); }

    [[nodiscard]] bool is_last() const noexcept { return m_kind == kind::last; }
    [[nodiscard]] bool by_name() const noexcept { return m_kind == kind::name; }
    [[nodiscard]] const std::string& name() const noexcept { return m_name; }
    [[nodiscard]] std::size_t index() const noexcept { return m_index; }

private:
    enum class kind { last, name, index };
    column() = default;
    std::string m_name;
    std::size_t m_index = 0;
    kind m_kind = kind::last;
};

/// A parsed data file: column names and the numbers, row-major (row i, column j at
/// values[i * columns() + j]). lines[i] is the file line of row i (CSV; empty for .npy).
template <data_value T>
struct table {
    std::string source;
    std::vector<std::string> names;
    std::vector<T> values;
    std::vector<std::size_t> lines;
    std::size_t rows = 0;

    [[nodiscard]] std::size_t columns() const noexcept { return names.size(); }
};

/// What every file-backed dataset takes (csv_options adds the CSV layout).
struct table_options {
    column target = column::last();         ///< by name or by index from 0; default the last
    std::optional<std::size_t> num_train{}; ///< the first num_train rows train, the rest validate; unset: all train
    std::size_t batch_size = 32;
    std::uint64_t seed = 0;                 ///< seeds the training loader's shuffles
    bool standardize = false;               ///< features to mean 0 and standard deviation 1
};

/// A dataset that remembers its columns. With standardize, feature j is stored as
/// (x - feature_means()[j]) / feature_scales()[j]: the mean and the (population) standard
/// deviation of the training rows (all rows when none train), so validation rows see the same
/// transformation and do not leak into it. A column constant on the training rows is only
/// centred (scale 1). Without standardize the means are 0 and the scales 1. The target is never
/// changed. Map weights learnt on the stored features back with to_original_units.
template <data_value T>
class tabular_dataset : public dataset<T> {
public:
    tabular_dataset(dataset<T>&& data, std::vector<std::string> feature_names, std::string target_name,
                    xt::xtensor<double, 1> means, xt::xtensor<double, 1> scales, bool standardized)
        : dataset<T>(std::move(data)), m_feature_names(std::move(feature_names)), m_target_name(std::move(target_name)),
          m_means(std::move(means)), m_scales(std::move(scales)), m_standardized(standardized) {}

    [[nodiscard]] const std::vector<std::string>& feature_names() const noexcept { return m_feature_names; }
    [[nodiscard]] const std::string& target_name() const noexcept { return m_target_name; }
    [[nodiscard]] bool standardized() const noexcept { return m_standardized; }
    [[nodiscard]] const xt::xtensor<double, 1>& feature_means() const noexcept { return m_means; }
    [[nodiscard]] const xt::xtensor<double, 1>& feature_scales() const noexcept { return m_scales; }

    /// Weights learnt on the stored features, in the file's units: w_j / s_j and
    /// b - sum_j w_j m_j / s_j. Throws ctgrad::invalid_argument if w's length is not num_features().
    [[nodiscard]] std::pair<xt::xtensor<double, 1>, double> to_original_units(const xt::xtensor<T, 1>& w, double b) const {
        if (w.size() != this->num_features())
            throw invalid_argument("ctgrad::data::tabular_dataset::to_original_units: w has length " + std::to_string(w.size()) +
                                   " but the data has " + std::to_string(this->num_features()) + " features");
        auto out = xt::xtensor<double, 1>::from_shape({w.size()});
        for (std::size_t j = 0; j < w.size(); ++j) {
            out(j) = double(w(j)) / m_scales(j);
            b -= out(j) * m_means(j);
        }
        return {std::move(out), b};
    }

private:
    std::vector<std::string> m_feature_names;
    std::string m_target_name;
    xt::xtensor<double, 1> m_means;
    xt::xtensor<double, 1> m_scales;
    bool m_standardized;
};

namespace detail {

inline std::string where(const char* call, const std::string& source) { return std::string(call) + ": " + source + ": "; }

// A name or a cell in a message: quoted, and cut short (a message is not the place for a whole line).
inline std::string in_quotes(const std::string& s, char quote = '\'') {
    constexpr std::size_t longest = 40;
    return quote + (s.size() > longest ? s.substr(0, longest) + "..." : s) + quote;
}

inline void check_table_options(const char* call, const std::string& source, const table_options& options) {
    if (options.batch_size == 0) throw invalid_argument(where(call, source) + "batch_size must be at least 1");
}

inline std::size_t resolve_target(const char* call, const std::string& source, const std::vector<std::string>& names,
                                  const column& target) {
    if (target.is_last()) return names.size() - 1;
    if (!target.by_name()) {
        if (target.index() >= names.size())
            throw invalid_argument(where(call, source) + "target column " + std::to_string(target.index()) +
                                   " is out of range: the file has " + std::to_string(names.size()) + " columns (0 to " +
                                   std::to_string(names.size() - 1) + ")");
        return target.index();
    }
    std::vector<std::size_t> found;
    for (std::size_t j = 0; j < names.size(); ++j)
        if (names[j] == target.name()) found.push_back(j);
    if (found.size() == 1) return found[0];
    if (found.size() > 1)
        throw invalid_argument(where(call, source) + "target column " + in_quotes(target.name()) + " names " +
                               std::to_string(found.size()) + " columns (" + std::to_string(found[0]) + " and " +
                               std::to_string(found[1]) + "); give its index instead");
    constexpr std::size_t listed = 20;
    std::string list;
    for (std::size_t j = 0; j < std::min(names.size(), listed); ++j) list += (j ? ", " : "") + in_quotes(names[j]);
    if (names.size() > listed) list += " and " + std::to_string(names.size() - listed) + " more";
    throw invalid_argument(where(call, source) + "target column " + in_quotes(target.name()) + " is not in the file; its columns are " + list);
}

// Feature-major features from a row-major table, optionally standardised.
template <data_value T>
tabular_dataset<T> make_tabular(const char* call, table<T>&& t, const table_options& options) {
    check_table_options(call, t.source, options);
    const std::size_t cols = t.columns(), n = t.rows;
    if (n == 0) throw data_error(call, t.source, 0, 0, "the file has no data rows");
    if (cols < 2)
        throw data_error(call, t.source, 0, 0,
                         "the file has " + std::to_string(cols) + (cols == 1 ? " column" : " columns") +
                             ", but a dataset needs at least one feature column and the target");
    const std::size_t target = resolve_target(call, t.source, t.names, options.target);
    const std::size_t num_train = options.num_train.value_or(n);
    if (num_train > n)
        throw invalid_argument(where(call, t.source) + "num_train is " + std::to_string(num_train) +
                               " but the file has only " + std::to_string(n) + " data rows");
    const std::size_t fit_rows = num_train > 0 ? num_train : n;

    auto features = xt::xtensor<T, 2>::from_shape({cols - 1, n});
    auto targets = xt::xtensor<T, 1>::from_shape({n});
    auto means = xt::xtensor<double, 1>::from_shape({cols - 1});
    auto scales = xt::xtensor<double, 1>::from_shape({cols - 1});
    std::vector<std::string> feature_names;
    for (std::size_t i = 0; i < n; ++i) targets(i) = t.values[i * cols + target];
    for (std::size_t c = 0, j = 0; c < cols; ++c) {
        if (c == target) continue;
        feature_names.push_back(t.names[c]);
        const auto x = [&](std::size_t i) { return double(t.values[i * cols + c]); };
        means(j) = 0;
        scales(j) = 1;
        double top = 0, lo = x(0), hi = x(0);
        for (std::size_t i = 0; i < fit_rows; ++i)
            top = std::max(top, std::abs(x(i))), lo = std::min(lo, x(i)), hi = std::max(hi, x(i));
        // The statistics of x / 2^e, |x / 2^e| < 1: exact scaling, no overflow. A spread whose
        // standard deviation is below the smallest double (2^-1074; found by fuzz_csv: the values
        // 4.9e-324 and 0) has no representable scale: such a column is treated as constant.
        int e = 0;
        const auto u = [&](std::size_t i) { return std::ldexp(x(i), -e); };
        double mean = 0, sd = 0;
        if (options.standardize && lo != hi) {
            (void)std::frexp(top, &e);
            for (std::size_t i = 0; i < fit_rows; ++i) mean += u(i);
            mean /= double(fit_rows);
            double var = 0;
            for (std::size_t i = 0; i < fit_rows; ++i) var += (u(i) - mean) * (u(i) - mean);
            sd = std::sqrt(var / double(fit_rows));
        }
        if (const double scale = std::ldexp(sd, e); scale > 0) {
            means(j) = std::ldexp(mean, e);
            scales(j) = scale;
            for (std::size_t i = 0; i < n; ++i) features(j, i) = static_cast<T>((u(i) - mean) / sd);
        } else {
            if (options.standardize) means(j) = lo; // constant: centred, scale 1
            for (std::size_t i = 0; i < n; ++i) features(j, i) = static_cast<T>(x(i) - means(j));
        }
        for (std::size_t i = 0; i < n; ++i) // a validation row far outside the training rows' range
            if (!std::isfinite(features(j, i)))
                throw invalid_argument(where(call, t.source) + "standardize: column " + in_quotes(t.names[c]) + " on " +
                                       (t.lines.empty() ? "row " + std::to_string(i) : "line " + std::to_string(t.lines[i])) +
                                       ": the standardised value overflows " +
                                       (sizeof(T) == 4 ? "float" : "double"));
        ++j;
    }
    dataset<T> data(std::move(features), std::move(targets), {num_train, options.batch_size, options.seed});
    return {std::move(data), std::move(feature_names), t.names[target], std::move(means), std::move(scales), options.standardize};
}

/// The file at `path`, open for reading in binary; a data_error naming `call` when it is
/// missing (with the working directory of a relative path), a directory, or unreadable.
inline std::ifstream open_for_reading(const char* call, const std::string& path) {
    namespace fs = std::filesystem;
    std::error_code ec;
    const fs::path p(path);
    const auto status = fs::status(p, ec);
    if (!fs::exists(status)) {
        std::string hint;
        if (p.is_relative())
            if (const auto cwd = fs::current_path(ec); !ec) hint = " (relative to the working directory " + cwd.string() + ")";
        throw data_error(call, path, 0, 0, "no such file" + hint);
    }
    if (fs::is_directory(status)) throw data_error(call, path, 0, 0, "is a directory, not a file");
    std::ifstream in(p, std::ios::binary);
    if (!in) throw data_error(call, path, 0, 0, "cannot be opened for reading");
    return in;
}

inline std::string read_whole_file(const char* call, const std::string& path) {
    std::ifstream in = open_for_reading(call, path);
    std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    if (in.bad()) throw data_error(call, path, 0, 0, "could not be read to the end");
    return text;
}

} // namespace detail

} // namespace ctgrad::data

#endif // CTGRAD_DATA_TABLE_HPP
