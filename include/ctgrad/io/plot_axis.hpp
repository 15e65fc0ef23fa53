// ctgrad/io/plot_axis.hpp: one axis of a chart: the data interval it shows, where that
// lands in pixels, and "nice" ticks (1, 2, 5 × 10^k, or powers of ten on a log axis).
#ifndef CTGRAD_IO_PLOT_AXIS_HPP
#define CTGRAD_IO_PLOT_AXIS_HPP

#include "ctgrad/error.hpp"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstddef>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace ctgrad::plot {

/// A labelled tick. When superscript is not empty the label reads label with
/// superscript raised after it: "10" and "-3" for 10^-3, "2.5×10" and "5" for 2.5×10^5.
struct tick {
    double value = 0;
    std::string label;
    std::string superscript;

    /// The label on one line, the superscript after a caret: "2.5×10^5".
    std::string text() const { return superscript.empty() ? label : label + '^' + superscript; }
};

namespace detail {

/// n × 10^e as the double nearest the decimal (a division for e < 0, so 3 × 10^-1 is
/// exactly the literal 0.3, where 3 * 0.1 is not).
inline double scaled(long long n, int e) {
    const auto v = static_cast<double>(n);
    if (e >= 0) return v * std::pow(10.0, e);
    return e >= -308 ? v / std::pow(10.0, -e) : v * std::pow(10.0, e); // 10^309 overflows
}

/// n × 10^e in fixed notation with `decimals` (≥ -e) digits after the point, built from
/// the digits of n, so a label never shows binary rounding (0.30000000000000004).
inline std::string fixed_text(long long n, int e, int decimals) {
    std::string digits = std::to_string(n < 0 ? -n : n);
    digits.append(static_cast<std::size_t>(std::max(e + decimals, 0)), '0');
    const auto width = static_cast<std::size_t>(decimals) + 1;
    if (digits.size() < width) digits.insert(0, width - digits.size(), '0');
    if (decimals > 0) digits.insert(digits.size() - static_cast<std::size_t>(decimals), 1, '.');
    return n < 0 ? '-' + digits : digits;
}

/// The tick at n × 10^e labelled m×10^p. On a linear axis (`shortest` false) m keeps every
/// digit of n, down to the step's place, so neighbours read alike (1.0×10^6, 1.2×10^6);
/// a log axis's 1, 2, 5 ticks read 10^p, 2×10^p, 5×10^p.
inline tick scientific_tick(long long n, int e, bool shortest) {
    if (n == 0) return {0.0, "0", ""};
    const double value = scaled(n, e);
    std::string digits = std::to_string(n < 0 ? -n : n);
    while (shortest && digits.size() > 1 && digits.back() == '0') {
        digits.pop_back();
        ++e;
    }
    const int power = e + static_cast<int>(digits.size()) - 1;
    std::string mantissa = digits.substr(0, 1);
    if (digits.size() > 1) mantissa += '.' + digits.substr(1);
    std::string label = n < 0 ? "-" : "";
    if (!shortest || mantissa != "1") label += mantissa + "\xC3\x97"; // U+00D7 multiplication sign
    return {value, label + "10", std::to_string(power)};
}

/// The tick m × 10^k of a log axis, in fixed notation for everyday magnitudes.
inline tick log_tick(long long m, int k) {
    const double value = scaled(m, k);
    if (value >= 1e-3 && value < 1e5) return {value, fixed_text(m, k, std::max(0, -k)), ""};
    return scientific_tick(m, k, true);
}

} // namespace detail

/// Ticks for a linear axis showing [lo, hi]: the multiples of the smallest step
/// s = 1, 2 or 5 × 10^k that lie in [lo, hi] and number at most max_count (taken as 2 when
/// smaller). So ticks are one step apart, none fits below the first or above the last,
/// and with max_count ≥ 5 there are at least two. Labels share the step's decimals
/// ("0.0", "0.5", "1.0"), or read a×10^b (1.0×10^6, 1.2×10^6) when the largest tick is
/// ≥ 1e5 or < 1e-3.
/// Throws std::invalid_argument unless lo < hi, both finite.
inline std::vector<tick> linear_ticks(double lo, double hi, int max_count) {
    if (!(std::isfinite(lo) && std::isfinite(hi) && lo < hi))
        throw ctgrad::invalid_argument("ctgrad::plot::linear_ticks: needs finite lo < hi");
    max_count = std::max(max_count, 2);
    const double raw = (hi / 2 - lo / 2) / max_count * 2; // halves: hi - lo can overflow
    int e = raw > 0 ? static_cast<int>(std::floor(std::log10(raw))) : -323;
    for (;; ++e) {
        for (const long long m : {1, 2, 5}) {
            const double step = static_cast<double>(m) * std::pow(10.0, e);
            if (!std::isfinite(step)) // its only multiple among the doubles is 0
                return lo <= 0 && hi >= 0 ? std::vector<tick>{{0.0, "0", ""}} : std::vector<tick>{};
            // The tolerance keeps a tick that rounding in lo / step would drop at an end.
            const double k0 = std::ceil(lo / step - 1e-9), k1 = std::floor(hi / step + 1e-9);
            if (k1 - k0 + 1 > max_count) continue;
            const double largest = std::max(std::abs(k0), std::abs(k1)) * step;
            const bool scientific = largest >= 1e5 || largest < 1e-3;
            std::vector<tick> ticks;
            for (long long k = std::llround(k0); k <= std::llround(k1); ++k) {
                const long long n = k * m;
                ticks.push_back(scientific ? detail::scientific_tick(n, e, false)
                                           : tick{detail::scaled(n, e), detail::fixed_text(n, e, std::max(0, -e)), ""});
            }
            return ticks;
        }
    }
}

/// Ticks for a log axis showing [lo, hi], 0 < lo < hi: the powers of ten inside, labelled
/// 10^k, every 1, 2, 5, 10, 20... decades so there are at most max_count. Where fewer than
/// two powers fall inside: 1, 2 and 5 × 10^k; where those are not 2 to max_count either:
/// linear_ticks. Throws std::invalid_argument unless 0 < lo < hi, hi finite.
inline std::vector<tick> log_ticks(double lo, double hi, int max_count) {
    if (!(lo > 0 && std::isfinite(hi) && lo < hi))
        throw ctgrad::invalid_argument("ctgrad::plot::log_ticks: needs finite 0 < lo < hi");
    max_count = std::max(max_count, 2);
    const double a = std::log10(lo), b = std::log10(hi);
    const double p0 = std::ceil(a - 1e-9), p1 = std::floor(b + 1e-9);
    std::vector<tick> ticks;
    if (p1 - p0 >= 1) {
        for (long long s = 1;; s *= 10)
            for (const long long decades : {s, 2 * s, 5 * s}) {
                const auto d = static_cast<double>(decades);
                const double j0 = std::ceil(p0 / d), j1 = std::floor(p1 / d);
                if (j1 - j0 + 1 > max_count) continue;
                for (auto j = std::llround(j0); j <= std::llround(j1); ++j) {
                    const auto k = static_cast<int>(j * decades);
                    ticks.push_back({detail::scaled(1, k), "10", std::to_string(k)});
                }
                return ticks;
            }
    }
    for (auto k = static_cast<int>(std::floor(a)); k <= static_cast<int>(std::ceil(b)); ++k)
        for (const long long m : {1, 2, 5}) {
            const double value = detail::scaled(m, k);
            if (value >= lo * (1 - 1e-12) && value <= hi * (1 + 1e-12)) ticks.push_back(detail::log_tick(m, k));
        }
    if (ticks.size() >= 2 && ticks.size() <= static_cast<std::size_t>(max_count)) return ticks;
    ticks = linear_ticks(lo, hi, max_count);
    // A tick at 0 (or a hair below lo) has no place on a log axis.
    std::erase_if(ticks, [](const tick& t) { return !(t.value > 0); });
    return ticks;
}

/// The unlabelled ticks of a log axis: 2..9 × 10^k inside [lo, hi], for spans of at most
/// eight decades (beyond that they would merge into a grey band).
inline std::vector<double> log_minor_ticks(double lo, double hi) {
    std::vector<double> minor;
    if (!(lo > 0 && lo < hi && std::isfinite(hi))) return minor;
    const double a = std::log10(lo), b = std::log10(hi);
    if (b - a > 8) return minor;
    for (auto k = static_cast<int>(std::floor(a)); k <= static_cast<int>(std::ceil(b)); ++k)
        for (long long m = 2; m <= 9; ++m) {
            const double value = detail::scaled(m, k);
            if (value >= lo && value <= hi) minor.push_back(value);
        }
    return minor;
}

/// The interval an axis shows for drawable data spanning [lo, hi]: 5% of the span added
/// on each side (of log10 of it on a log axis), as matplotlib does, so no point sits on
/// the frame. Zero span: ±10% of the value (±1 for 0), or a decade each way on a log
/// axis. No data (lo > hi): [0, 1], or [1, 10] on a log axis. Ends are clamped to the
/// finite doubles.
inline std::pair<double, double> padded_range(double lo, double hi, bool log) {
    if (lo > hi) return log ? std::pair{1.0, 10.0} : std::pair{0.0, 1.0};
    if (log) {
        double a = std::log10(lo), b = std::log10(hi);
        const double pad = a == b ? 1.0 : (b - a) / 20;
        a -= pad;
        b += pad;
        return {std::max(std::pow(10.0, a), DBL_TRUE_MIN), std::min(std::pow(10.0, b), DBL_MAX)};
    }
    const double pad = lo == hi ? (lo == 0 ? 1.0 : std::abs(lo) / 10) : (hi / 2 - lo / 2) / 10;
    return {std::max(lo - pad, -DBL_MAX), std::min(hi + pad, DBL_MAX)};
}

/// One axis: the data interval [lo, hi] drawn from pixel px_lo to pixel px_hi
/// (a y axis has px_lo > px_hi, pixels growing downwards), and its ticks.
struct axis {
    double lo = 0, hi = 1; ///< on a log axis 0 < lo
    double px_lo = 0, px_hi = 1;
    bool log = false;
    std::vector<tick> ticks;
    std::vector<double> minor; ///< unlabelled ticks (log axes only)

    /// Pixel position of v: linear in v, or in log10(v) on a log axis. Finite for any v in
    /// the range of the finite doubles (positive ones on a log axis).
    double to_pixel(double v) const {
        const double t = log ? (std::log10(v) - std::log10(lo)) / (std::log10(hi) - std::log10(lo))
                               : (v / 2 - lo / 2) / (hi / 2 - lo / 2); // halves: no overflow
        return px_lo + t * (px_hi - px_lo);
    }
};

} // namespace ctgrad::plot

#endif // CTGRAD_IO_PLOT_AXIS_HPP
