// ctgrad/io/plot.hpp: loss curves as an SVG picture (what d2l's ProgressBoard draws:
// train_loss and val_loss over epochs, with a legend) and as a long-format CSV log for
// other tools. Standard library only.
#ifndef CTGRAD_IO_PLOT_HPP
#define CTGRAD_IO_PLOT_HPP

#include "ctgrad/error.hpp"
#include "ctgrad/io/plot_axis.hpp"
#include "ctgrad/io/svg.hpp"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdio>
#include <stdexcept>
#include <string>
#include <system_error>
#include <tuple>
#include <utility>
#include <vector>

namespace ctgrad::plot {

/// One labelled curve: the points (x[i], y[i]), joined in this order.
struct series {
    std::string label;
    std::vector<double> x, y;
};

/// How a chart looks. Sizes in pixels; at least 240 × 160.
struct figure {
    std::string title;
    std::string x_label = "epoch";
    std::string y_label = "loss";
    bool log_x = false;
    bool log_y = false;
    int width = 640;
    int height = 400;
};

/// A rectangle in pixels (y grows downwards).
struct box {
    double x = 0, y = 0, width = 0, height = 0;
};

/// Where to_svg puts things; public so that callers and tests can map data to pixels.
struct layout {
    box frame;  ///< the plot area; x and y map onto its edges
    axis x, y;
    box legend; ///< zero size when no series has a label
};

namespace detail {

inline constexpr double tick_font = 11, label_font = 12, title_font = 14;
inline constexpr double legend_row = 17, legend_pad = 7, legend_swatch = 24, legend_inset = 8;

// d2l's ProgressBoard cycles matplotlib's C0..C3 colours and the line styles - -- -. :
// (dashes scaled to the 1.5 px line width, as matplotlib scales them).
inline constexpr const char* palette[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                                          "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};
inline constexpr const char* dashes[] = {"", "5.5 2.4", "9.6 2.4 1.5 2.4", "1.5 2.5"};

using point = std::pair<double, double>;

inline void check_lengths(const std::vector<series>& all, const char* who) {
    for (const series& s : all)
        if (s.x.size() != s.y.size())
            throw ctgrad::invalid_argument(std::string(who) + ": series \"" + s.label + "\" has " +
                                        std::to_string(s.x.size()) + " x values but " +
                                        std::to_string(s.y.size()) + " y values");
}

// NaN and ±Inf have no place on any axis, and values ≤ 0 none on a log axis.
inline bool drawable(double v, bool log) { return std::isfinite(v) && (!log || v > 0); }

/// The drawable points of s in pixels, split into runs where a point is skipped, so a
/// NaN leaves a gap in the line (as in matplotlib) rather than a bridge over it.
inline std::vector<std::vector<point>> pixel_runs(const series& s, const layout& l) {
    std::vector<std::vector<point>> runs(1);
    for (std::size_t i = 0; i < s.x.size(); ++i) {
        if (drawable(s.x[i], l.x.log) && drawable(s.y[i], l.y.log))
            runs.back().emplace_back(l.x.to_pixel(s.x[i]), l.y.to_pixel(s.y[i]));
        else if (!runs.back().empty())
            runs.emplace_back();
    }
    if (runs.back().empty()) runs.pop_back();
    return runs;
}

inline double label_width(const tick& t) {
    return svg::text_width(t.label, tick_font) + svg::text_width(t.superscript, tick_font * 0.75);
}

/// The most ticks, up to max_count, whose labels keep at least a few pixels apart
/// along the axis (widths across, the font height up).
inline std::vector<tick> fitting_ticks(const axis& a, int max_count, bool across) {
    for (;; --max_count) {
        auto ticks = a.log ? log_ticks(a.lo, a.hi, max_count) : linear_ticks(a.lo, a.hi, max_count);
        bool fits = true;
        for (std::size_t i = 1; i < ticks.size(); ++i) {
            const double gap = std::abs(a.to_pixel(ticks[i].value) - a.to_pixel(ticks[i - 1].value));
            const double need = across ? (label_width(ticks[i]) + label_width(ticks[i - 1])) / 2 + 12 : tick_font + 6;
            fits = fits && gap >= need;
        }
        if (fits || max_count <= 3) return ticks;
    }
}

/// Whether the segment p-q meets box b (Liang-Barsky clipping).
inline bool meets(const box& b, point p, point q) {
    const double dx = q.first - p.first, dy = q.second - p.second;
    const double along[4] = {-dx, dx, -dy, dy};
    const double room[4] = {p.first - b.x, b.x + b.width - p.first, p.second - b.y,
                            b.y + b.height - p.second};
    double t0 = 0, t1 = 1;
    for (int i = 0; i < 4; ++i) {
        if (along[i] == 0) {
            if (room[i] < 0) return false;
        } else if (along[i] < 0) t0 = std::max(t0, room[i] / along[i]);
        else t1 = std::min(t1, room[i] / along[i]);
    }
    return t0 <= t1;
}

/// The legend box in the corner it hides the fewest curve segments in; ties go to
/// top right (where d2l's legend sits), then top left, bottom left, bottom right.
inline box place_legend(const std::vector<series>& all, const layout& l) {
    double widest = 0;
    std::size_t rows = 0;
    for (const series& s : all)
        if (!s.label.empty()) {
            widest = std::max(widest, svg::text_width(s.label, tick_font));
            ++rows;
        }
    if (rows == 0) return {};
    const double w = 2 * legend_pad + legend_swatch + 8 + widest;
    const double h = 2 * legend_pad + static_cast<double>(rows) * legend_row - (legend_row - tick_font);
    const box& f = l.frame;
    // A legend wider than the frame starts at its left and overflows on the right.
    const double left = f.x + legend_inset, right = std::max(left, f.x + f.width - legend_inset - w);
    const double top = f.y + legend_inset, bottom = f.y + f.height - legend_inset - h;
    const box corners[] = {{right, top, w, h}, {left, top, w, h}, {left, bottom, w, h}, {right, bottom, w, h}};
    box best = corners[0];
    std::size_t fewest = static_cast<std::size_t>(-1);
    for (const box& c : corners) {
        std::size_t hidden = 0;
        for (const series& s : all)
            for (const auto& run : pixel_runs(s, l))
                for (std::size_t i = 0; i < run.size(); ++i)
                    hidden += meets(c, run[i], run[i + 1 < run.size() ? i + 1 : i]) ? 1u : 0u;
        if (hidden < fewest) {
            fewest = hidden;
            best = c;
        }
    }
    return best;
}

// A tick label as SVG text: the superscript raised, and minus signs as U+2212 (a hyphen
// is shorter and sits lower, which reads badly next to digits).
inline std::string tick_text(const tick& t) {
    const auto typeset = [](const std::string& text) {
        std::string out;
        for (const char c : svg::escape(text)) out += c == '-' ? std::string("\xE2\x88\x92") : std::string(1, c);
        return out;
    };
    std::string out = typeset(t.label);
    if (!t.superscript.empty())
        out += "<tspan dy=\"-4\" font-size=\"" + svg::number(tick_font * 0.75) + "\">" + typeset(t.superscript) +
               "</tspan>";
    return out;
}

inline void write_file(const std::string& path, const std::string& text, const char* who) {
    const auto fail = [&](int error) {
        throw std::runtime_error(std::string(who) + ": cannot write \"" + path +
                                 "\": " + std::generic_category().message(error));
    };
    std::FILE* file = std::fopen(path.c_str(), "wb");
    if (file == nullptr) fail(errno);
    if (std::fwrite(text.data(), 1, text.size(), file) != text.size()) {
        const int error = errno;
        std::fclose(file);
        fail(error);
    }
    if (std::fclose(file) != 0) fail(errno); // a full disk may only show here
}

} // namespace detail

/// The frame, axes (ranges, ticks, pixel mapping) and legend box to_svg draws for `all`.
/// Ranges come from the drawable points: finite x and y, positive on a log axis (see
/// padded_range). Throws std::invalid_argument when a series has unequal x and y lengths
/// (naming its label) or the figure is smaller than 240 × 160.
inline layout make_layout(const std::vector<series>& all, const figure& fig = {}) {
    detail::check_lengths(all, "ctgrad::plot::make_layout");
    if (fig.width < 240 || fig.height < 160)
        throw ctgrad::invalid_argument("ctgrad::plot::make_layout: the figure must be at least 240 x 160 pixels");
    double x_lo = HUGE_VAL, x_hi = -HUGE_VAL, y_lo = HUGE_VAL, y_hi = -HUGE_VAL;
    for (const series& s : all)
        for (std::size_t i = 0; i < s.x.size(); ++i)
            if (detail::drawable(s.x[i], fig.log_x) && detail::drawable(s.y[i], fig.log_y)) {
                x_lo = std::min(x_lo, s.x[i]);
                x_hi = std::max(x_hi, s.x[i]);
                y_lo = std::min(y_lo, s.y[i]);
                y_hi = std::max(y_hi, s.y[i]);
            }
    layout l;
    l.x.log = fig.log_x;
    l.y.log = fig.log_y;
    std::tie(l.x.lo, l.x.hi) = padded_range(x_lo, x_hi, fig.log_x);
    std::tie(l.y.lo, l.y.hi) = padded_range(y_lo, y_hi, fig.log_y);

    const double width = fig.width, height = fig.height;
    // Whole pixels plus a half: a 1 px frame line then covers one pixel row, not two grey ones.
    const double top = (fig.title.empty() ? 12 : 34) + 0.5;
    const double bottom = height - (fig.x_label.empty() ? 26 : 44) + 0.5;
    l.y.px_lo = bottom;
    l.y.px_hi = top;
    l.y.ticks = detail::fitting_ticks(l.y, std::max(3, static_cast<int>((bottom - top) / 36)), false);
    double widest = 0;
    for (const tick& t : l.y.ticks) widest = std::max(widest, detail::label_width(t));
    const double left = std::floor(8 + (fig.y_label.empty() ? 0 : detail::label_font + 8) + widest + 8) + 0.5;
    double right = width - 20 + 0.5;
    for (int pass = 0;; ++pass) { // the last x label, centred on its tick, must fit the canvas
        l.x.px_lo = left;
        l.x.px_hi = right;
        l.x.ticks = detail::fitting_ticks(l.x, std::max(3, static_cast<int>((right - left) / 60)), true);
        const double room = l.x.ticks.empty()
                                ? right
                                : std::floor(width - 4 - detail::label_width(l.x.ticks.back()) / 2) + 0.5;
        if (room >= right || pass == 3) break;
        right = room;
    }
    if (fig.log_x) l.x.minor = log_minor_ticks(l.x.lo, l.x.hi);
    if (fig.log_y) l.y.minor = log_minor_ticks(l.y.lo, l.y.hi);
    l.frame = {left, top, right - left, bottom - top};
    l.legend = detail::place_legend(all, l);
    return l;
}

/// The chart of `all` as an SVG document: frame, 1-2-5 (or power-of-ten) ticks with grid
/// lines, axis labels, the title when not empty, one <path> per series with at least one
/// drawable point (nothing else is drawn with <path> or <polyline>), and a legend with
/// every series whose label is not empty, in order. Series i gets palette colour i and
/// line style i (solid, dashed, dash-dot, dotted). Skipped points (NaN, ±Inf, ≤ 0 on a log
/// axis) break the line; a point with no drawable neighbour gets a dot, as a line through
/// one point would be invisible. A series with no drawable point keeps its legend entry,
/// which shows that it exists but has no data yet. Coordinates have two decimals, so the
/// same input gives the same bytes. Throws as make_layout does.
inline std::string to_svg(const std::vector<series>& all, const figure& fig = {}) {
    using svg::number;
    const layout l = make_layout(all, fig);
    const box& f = l.frame;
    const double right = f.x + f.width, bottom = f.y + f.height;
    const std::string w = std::to_string(fig.width), h = std::to_string(fig.height);
    std::string o = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + w +
                    "\" height=\"" + h + "\" viewBox=\"0 0 " + w + ' ' + h +
                    "\" font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\" font-size=\"" +
                    number(detail::tick_font) + "\">\n";
    if (!fig.title.empty()) o += "<title>" + svg::escape(fig.title) + "</title>\n";
    o += "<rect width=\"" + w + "\" height=\"" + h + "\" fill=\"#ffffff\"/>\n";
    const auto line = [&](double x1, double y1, double x2, double y2) {
        o += "<line x1=\"" + number(x1) + "\" y1=\"" + number(y1) + "\" x2=\"" + number(x2) + "\" y2=\"" + number(y2) +
             "\"/>\n";
    };

    o += "<g class=\"grid\" stroke=\"#e6e6e6\" stroke-width=\"1\">\n";
    for (const tick& t : l.x.ticks) line(l.x.to_pixel(t.value), f.y, l.x.to_pixel(t.value), bottom);
    for (const tick& t : l.y.ticks) line(f.x, l.y.to_pixel(t.value), right, l.y.to_pixel(t.value));
    o += "</g>\n<g class=\"curves\" fill=\"none\" stroke-width=\"1.5\" stroke-linejoin=\"round\">\n";
    for (std::size_t i = 0; i < all.size(); ++i) {
        const auto runs = detail::pixel_runs(all[i], l);
        if (runs.empty()) continue;
        const std::string colour = detail::palette[i % std::size(detail::palette)];
        const std::string dash = detail::dashes[i % std::size(detail::dashes)];
        std::string d;
        for (const auto& run : runs)
            for (std::size_t j = 0; j < run.size(); ++j)
                d += (d.empty() ? "" : " ") + std::string(j == 0 ? "M" : "L") + number(run[j].first) + ' ' +
                     number(run[j].second);
        o += "<path class=\"curve\" stroke=\"" + colour + '"' + (dash.empty() ? "" : " stroke-dasharray=\"" + dash + '"') +
             " d=\"" + d + "\"/>\n";
        for (const auto& run : runs)
            if (run.size() == 1)
                o += "<circle class=\"marker\" cx=\"" + number(run[0].first) + "\" cy=\"" + number(run[0].second) +
                     "\" r=\"2.5\" fill=\"" + colour + "\"/>\n";
    }

    o += "</g>\n<g class=\"axes\" fill=\"none\" stroke=\"#333333\" stroke-width=\"1\">\n<rect x=\"" + number(f.x) +
         "\" y=\"" + number(f.y) + "\" width=\"" + number(f.width) + "\" height=\"" + number(f.height) + "\"/>\n";
    for (const tick& t : l.x.ticks) line(l.x.to_pixel(t.value), bottom, l.x.to_pixel(t.value), bottom + 5);
    for (const double v : l.x.minor) line(l.x.to_pixel(v), bottom, l.x.to_pixel(v), bottom + 3);
    for (const tick& t : l.y.ticks) line(f.x - 5, l.y.to_pixel(t.value), f.x, l.y.to_pixel(t.value));
    for (const double v : l.y.minor) line(f.x - 3, l.y.to_pixel(v), f.x, l.y.to_pixel(v));
    o += "</g>\n<g class=\"tick-labels\" fill=\"#333333\">\n";
    for (const tick& t : l.x.ticks)
        o += "<text x=\"" + number(l.x.to_pixel(t.value)) + "\" y=\"" + number(bottom + 19) +
             "\" text-anchor=\"middle\">" + detail::tick_text(t) + "</text>\n";
    for (const tick& t : l.y.ticks)
        o += "<text x=\"" + number(f.x - 8) + "\" y=\"" + number(l.y.to_pixel(t.value) + 4) +
             "\" text-anchor=\"end\">" + detail::tick_text(t) + "</text>\n";
    o += "</g>\n";

    const std::string mid_x = number(f.x + f.width / 2), mid_y = number(f.y + f.height / 2);
    const std::string label_font = "\" font-size=\"" + number(detail::label_font) + "\" fill=\"#222222\">";
    if (!fig.x_label.empty())
        o += "<text class=\"x-label\" x=\"" + mid_x + "\" y=\"" + number(fig.height - 10.0) +
             "\" text-anchor=\"middle" + label_font + svg::escape(fig.x_label) + "</text>\n";
    if (!fig.y_label.empty())
        o += "<text class=\"y-label\" transform=\"translate(18 " + mid_y + ") rotate(-90)\" text-anchor=\"middle" +
             label_font + svg::escape(fig.y_label) + "</text>\n";
    if (!fig.title.empty())
        o += "<text class=\"title\" x=\"" + mid_x + "\" y=\"23\" text-anchor=\"middle\" font-size=\"" +
             number(detail::title_font) + "\" fill=\"#222222\">" + svg::escape(fig.title) + "</text>\n";

    const box& g = l.legend;
    if (g.width > 0) {
        o += "<g class=\"legend\">\n<rect x=\"" + number(g.x) + "\" y=\"" + number(g.y) + "\" width=\"" +
             number(g.width) + "\" height=\"" + number(g.height) +
             "\" rx=\"2\" fill=\"#ffffff\" fill-opacity=\"0.85\" stroke=\"#cccccc\"/>\n";
        double y = g.y + detail::legend_pad + detail::tick_font / 2;
        for (std::size_t i = 0; i < all.size(); ++i) {
            if (all[i].label.empty()) continue;
            const std::string dash = detail::dashes[i % std::size(detail::dashes)];
            const double x = g.x + detail::legend_pad;
            o += "<line x1=\"" + number(x) + "\" y1=\"" + number(y) + "\" x2=\"" + number(x + detail::legend_swatch) +
                 "\" y2=\"" + number(y) + "\" stroke=\"" + detail::palette[i % std::size(detail::palette)] +
                 "\" stroke-width=\"1.5\"" + (dash.empty() ? "" : " stroke-dasharray=\"" + dash + '"') + "/>\n";
            o += "<text x=\"" + number(x + detail::legend_swatch + 8) + "\" y=\"" + number(y + 4) +
                 "\" fill=\"#222222\">" + svg::escape(all[i].label) + "</text>\n";
            y += detail::legend_row;
        }
        o += "</g>\n";
    }
    return o + "</svg>\n";
}

/// Writes to_svg(all, fig) to `path`. Throws std::runtime_error naming the path and the
/// system's reason when the file cannot be written, and as make_layout does (before
/// touching the file).
inline void write_svg(const std::string& path, const std::vector<series>& all, const figure& fig = {}) {
    detail::write_file(path, to_svg(all, fig), "ctgrad::plot::write_svg");
}

/// `all` as CSV in long format: the header "series,x,y", then one row per point, series
/// by series, every point (NaN and ±Inf too, as nan, inf, -inf), with numbers in the
/// shortest form that reads back to the same double (std::to_chars), locale independent.
/// A label holding a comma, quote, CR or LF is quoted, its quotes doubled (RFC 4180);
/// lines end in LF. Throws std::invalid_argument for unequal x and y lengths.
inline std::string to_csv(const std::vector<series>& all) {
    detail::check_lengths(all, "ctgrad::plot::to_csv");
    const auto append_number = [](std::string& out, double v) {
        char buffer[32];
        out.append(buffer, std::to_chars(buffer, buffer + sizeof buffer, v).ptr);
    };
    std::string out = "series,x,y\n";
    for (const series& s : all) {
        std::string label = s.label;
        if (label.find_first_of(",\"\r\n") != std::string::npos) {
            label.clear();
            for (const char c : s.label) label += c == '"' ? std::string("\"\"") : std::string(1, c);
            label = '"' + label + '"';
        }
        for (std::size_t i = 0; i < s.x.size(); ++i) {
            out += label + ',';
            append_number(out, s.x[i]);
            out += ',';
            append_number(out, s.y[i]);
            out += '\n';
        }
    }
    return out;
}

/// Writes to_csv(all) to `path`; throws as write_svg does.
inline void write_csv(const std::string& path, const std::vector<series>& all) {
    detail::write_file(path, to_csv(all), "ctgrad::plot::write_csv");
}

} // namespace ctgrad::plot

#endif // CTGRAD_IO_PLOT_HPP
