// The picture and log writers: ticks, the data-to-pixel mapping, the SVG they draw
// (escaping, skipped points, legend), the CSV log, and their errors.
#define BOOST_TEST_MODULE ctgrad_plot
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include <ctgrad/io/plot.hpp>

#include <cerrno>
#include <cfloat>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <limits>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace plot = ctgrad::plot;

namespace {

const double not_a_number = std::numeric_limits<double>::quiet_NaN();
const double inf = std::numeric_limits<double>::infinity();

std::vector<double> values_of(const std::vector<plot::tick>& ticks) {
    std::vector<double> out;
    for (const auto& t : ticks) out.push_back(t.value);
    return out;
}

std::vector<std::string> texts_of(const std::vector<plot::tick>& ticks) {
    std::vector<std::string> out;
    for (const auto& t : ticks) out.push_back(t.text());
    return out;
}

// The value of attribute `name` in every element that starts with `open` (e.g. "<path").
std::vector<std::string> attributes(const std::string& svg, std::string_view open, std::string_view name) {
    std::vector<std::string> out;
    const std::string key = " " + std::string(name) + "=\"";
    for (auto at = svg.find(open); at != std::string::npos; at = svg.find(open, at + 1)) {
        const auto end = svg.find('>', at);
        const auto start = svg.find(key, at);
        if (start == std::string::npos || start > end) continue;
        const auto value = start + key.size();
        out.push_back(svg.substr(value, svg.find('"', value) - value));
    }
    return out;
}

std::size_t count(const std::string& text, std::string_view what) {
    std::size_t n = 0;
    for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
    return n;
}

// A path's d as runs of (x, y): each "M" starts a run.
std::vector<std::vector<std::pair<double, double>>> runs_of(const std::string& d) {
    std::vector<std::vector<std::pair<double, double>>> runs;
    std::istringstream in(d);
    std::string x, y;
    while (in >> x >> y) {
        if (x[0] == 'M') runs.emplace_back();
        runs.back().emplace_back(std::stod(x.substr(1)), std::stod(y));
    }
    return runs;
}

// The RFC 4180 fields of each row of `csv`.
std::vector<std::vector<std::string>> parse_csv(const std::string& csv) {
    std::vector<std::vector<std::string>> rows(1, std::vector<std::string>(1));
    bool quoted = false;
    for (std::size_t i = 0; i < csv.size(); ++i) {
        const char c = csv[i];
        if (quoted) {
            if (c != '"') rows.back().back() += c;
            else if (i + 1 < csv.size() && csv[i + 1] == '"') rows.back().back() += csv[++i];
            else quoted = false;
        } else if (c == '"') quoted = true;
        else if (c == ',') rows.back().emplace_back();
        else if (c == '\n') rows.emplace_back(1);
        else rows.back().back() += c;
    }
    if (rows.back() == std::vector<std::string>(1)) rows.pop_back(); // after the last LF
    return rows;
}

double parse_double(const std::string& text) {
    double value = 0;
    const auto result = std::from_chars(text.data(), text.data() + text.size(), value);
    BOOST_REQUIRE(result.ec == std::errc{});
    BOOST_REQUIRE(result.ptr == text.data() + text.size());
    return value;
}

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

// The number of multiples of `step` in [lo, hi], with the library's tolerance.
double multiples_in(double lo, double hi, double step) {
    return std::floor(hi / step + 1e-9) - std::ceil(lo / step - 1e-9) + 1;
}

} // namespace

BOOST_AUTO_TEST_CASE(linear_ticks_are_the_fewest_1_2_5_steps_that_cover_the_range) {
    const std::pair<double, double> ranges[] = {{0, 1},          {-0.37, 2.9},        {0.0012, 0.0047}, {1e6, 3.7e6},
                                                {-5e-7, 5e-7},   {99.5, 100.5},       {-1234.5, -17.25}, {0.2, 3.1},
                                                {1e-300, 1e-299}, {-DBL_MAX, DBL_MAX}, {-0.05, 3.05}};
    for (const auto& [lo, hi] : ranges)
        for (int max_count = 2; max_count <= 12; ++max_count) {
            BOOST_TEST_CONTEXT("range [" << lo << ", " << hi << "], max_count " << max_count) {
                const auto ticks = plot::linear_ticks(lo, hi, max_count);
                BOOST_REQUIRE(!ticks.empty());
                BOOST_TEST(ticks.size() <= static_cast<std::size_t>(max_count));
                if (max_count >= 5) BOOST_TEST(ticks.size() >= 2u);
                if (ticks.size() < 2) continue;
                const double step = ticks[1].value - ticks[0].value;
                // 1, 2 or 5 times a power of ten
                const double mantissa = step / std::pow(10.0, std::floor(std::log10(step)));
                BOOST_TEST((std::abs(mantissa - 1) < 1e-6 || std::abs(mantissa - 2) < 1e-6 ||
                            std::abs(mantissa - 5) < 1e-6 || std::abs(mantissa - 10) < 1e-6));
                for (std::size_t i = 0; i < ticks.size(); ++i) {
                    const double v = ticks[i].value;
                    BOOST_TEST(std::abs(v / step - std::round(v / step)) < 1e-6); // a multiple of the step
                    if (i > 0) BOOST_TEST(std::abs((v - ticks[i - 1].value) / step - 1) < 1e-6);
                    BOOST_TEST(v >= lo - 1e-6 * step);
                    BOOST_TEST(v <= hi + 1e-6 * step);
                }
                // Covering: no further multiple fits below the first or above the last.
                BOOST_TEST(ticks.front().value - step < lo);
                BOOST_TEST(ticks.back().value + step > hi);
                // Fewest: the next smaller 1-2-5 step would give more than max_count.
                const double smaller = std::abs(mantissa - 1) < 1e-6 || std::abs(mantissa - 10) < 1e-6 ? step / 2
                                       : std::abs(mantissa - 2) < 1e-6                                  ? step / 2
                                                                                                        : step * 0.4;
                if (std::isfinite(multiples_in(lo, hi, smaller)))
                    BOOST_TEST(multiples_in(lo, hi, smaller) > max_count);
            }
        }
}

BOOST_AUTO_TEST_CASE(linear_tick_values_are_exact_decimals_with_uniform_labels) {
    auto ticks = plot::linear_ticks(-0.37, 2.9, 8);
    BOOST_TEST(values_of(ticks) == (std::vector<double>{0, 0.5, 1, 1.5, 2, 2.5}), boost::test_tools::per_element());
    BOOST_TEST(texts_of(ticks) == (std::vector<std::string>{"0.0", "0.5", "1.0", "1.5", "2.0", "2.5"}),
               boost::test_tools::per_element());

    ticks = plot::linear_ticks(0, 1, 11); // step 0.1: 0.3 is the literal, not 3 * 0.1
    BOOST_REQUIRE(ticks.size() == 11u);
    BOOST_TEST(ticks[3].value == 0.3);
    BOOST_TEST(ticks[7].value == 0.7);
    BOOST_TEST(ticks[3].text() == "0.3");

    ticks = plot::linear_ticks(-3, -1, 5);
    BOOST_TEST(texts_of(ticks) == (std::vector<std::string>{"-3.0", "-2.5", "-2.0", "-1.5", "-1.0"}),
               boost::test_tools::per_element());

    ticks = plot::linear_ticks(-120, 1e6, 6); // large: a×10^b, every digit down to the step's place
    BOOST_TEST(texts_of(ticks) == (std::vector<std::string>{"0", "2×10^5", "4×10^5", "6×10^5", "8×10^5", "1.0×10^6"}),
               boost::test_tools::per_element());
    BOOST_TEST(ticks[5].label == "1.0×10");
    BOOST_TEST(ticks[5].superscript == "6");

    ticks = plot::linear_ticks(1e-5, 3e-5, 5); // small
    BOOST_TEST(values_of(ticks) == (std::vector<double>{1e-5, 1.5e-5, 2e-5, 2.5e-5, 3e-5}), boost::test_tools::per_element());
    BOOST_TEST(texts_of(ticks) ==
                   (std::vector<std::string>{"1.0×10^-5", "1.5×10^-5", "2.0×10^-5", "2.5×10^-5", "3.0×10^-5"}),
               boost::test_tools::per_element());

    BOOST_CHECK_THROW(plot::linear_ticks(1, 1, 5), std::invalid_argument);
    BOOST_CHECK_THROW(plot::linear_ticks(2, 1, 5), std::invalid_argument);
    BOOST_CHECK_THROW(plot::linear_ticks(0, inf, 5), std::invalid_argument);
    BOOST_CHECK_THROW(plot::linear_ticks(not_a_number, 1, 5), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(log_ticks_are_powers_of_ten) {
    auto ticks = plot::log_ticks(0.8e-5, 12, 10);
    BOOST_TEST(values_of(ticks) == (std::vector<double>{1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1, 10}),
               boost::test_tools::per_element());
    BOOST_TEST(texts_of(ticks) ==
                   (std::vector<std::string>{"10^-5", "10^-4", "10^-3", "10^-2", "10^-1", "10^0", "10^1"}),
               boost::test_tools::per_element());

    // Sixteen decades in at most 8 ticks: every second power.
    ticks = plot::log_ticks(1e-12, 1e3, 8);
    BOOST_TEST(texts_of(ticks) == (std::vector<std::string>{"10^-12", "10^-10", "10^-8", "10^-6", "10^-4", "10^-2",
                                                            "10^0", "10^2"}),
               boost::test_tools::per_element());

    // Fewer than two powers inside: 1, 2, 5 × 10^k.
    ticks = plot::log_ticks(0.3, 4, 6);
    BOOST_TEST(values_of(ticks) == (std::vector<double>{0.5, 1, 2}), boost::test_tools::per_element());
    BOOST_TEST(texts_of(ticks) == (std::vector<std::string>{"0.5", "1", "2"}), boost::test_tools::per_element());
    ticks = plot::log_ticks(0.9e-7, 3e-7, 6);
    BOOST_TEST(texts_of(ticks) == (std::vector<std::string>{"10^-7", "2×10^-7"}), boost::test_tools::per_element());

    // Fewer than two of those: linear ticks, still positive.
    ticks = plot::log_ticks(2, 4.5, 6);
    BOOST_TEST(values_of(ticks) == (std::vector<double>{2, 2.5, 3, 3.5, 4, 4.5}), boost::test_tools::per_element());
    ticks = plot::log_ticks(1e-20, 0.9, 3); // a linear step of 0.5 would put a tick at 0
    for (const auto& t : ticks) BOOST_TEST(t.value > 0);

    BOOST_TEST(plot::log_minor_ticks(1, 100) ==
                   (std::vector<double>{2, 3, 4, 5, 6, 7, 8, 9, 20, 30, 40, 50, 60, 70, 80, 90}),
               boost::test_tools::per_element());
    BOOST_TEST(plot::log_minor_ticks(1e-12, 1e3).empty()); // too many decades to show

    BOOST_CHECK_THROW(plot::log_ticks(0, 10, 5), std::invalid_argument);
    BOOST_CHECK_THROW(plot::log_ticks(-1, 10, 5), std::invalid_argument);
    BOOST_CHECK_THROW(plot::log_ticks(10, 10, 5), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(ranges_get_a_margin_and_degenerate_data_a_sensible_range) {
    using range = std::pair<double, double>;
    BOOST_TEST((plot::padded_range(0, 10, false) == range{-0.5, 10.5}));
    BOOST_TEST((plot::padded_range(3, 3, false) == range{2.7, 3.3}));
    BOOST_TEST((plot::padded_range(0, 0, false) == range{-1, 1}));
    BOOST_TEST((plot::padded_range(inf, -inf, false) == range{0, 1})); // no data
    BOOST_TEST((plot::padded_range(inf, -inf, true) == range{1, 10}));
    const auto [lo, hi] = plot::padded_range(1, 100, true); // 5% of two decades each side
    BOOST_TEST(std::log10(lo) == -0.1, boost::test_tools::tolerance(1e-12));
    BOOST_TEST(std::log10(hi) == 2.1, boost::test_tools::tolerance(1e-12));
    const auto [one_lo, one_hi] = plot::padded_range(5, 5, true);
    BOOST_TEST(one_lo == 0.5, boost::test_tools::tolerance(1e-12));
    BOOST_TEST(one_hi == 50, boost::test_tools::tolerance(1e-12));
    BOOST_TEST((plot::padded_range(-DBL_MAX, DBL_MAX, false) == range{-DBL_MAX, DBL_MAX}));
}

BOOST_AUTO_TEST_CASE(a_known_point_lands_at_the_expected_pixel) {
    const std::vector<plot::series> s{{"line", {0, 10}, {0, 100}}};
    const plot::layout l = plot::make_layout(s);
    const plot::box& f = l.frame;
    // Data [0, 10] x [0, 100] shows as [-0.5, 10.5] x [-5, 105] on the frame's edges.
    BOOST_TEST(l.x.lo == -0.5);
    BOOST_TEST(l.x.hi == 10.5);
    BOOST_TEST(l.y.lo == -5);
    BOOST_TEST(l.y.hi == 105);
    BOOST_TEST(l.x.to_pixel(-0.5) == f.x);
    BOOST_TEST(l.x.to_pixel(10.5) == f.x + f.width);
    BOOST_TEST(l.y.to_pixel(-5) == f.y + f.height); // y grows downwards
    BOOST_TEST(l.y.to_pixel(105) == f.y);
    const double x0 = f.x + f.width * 0.5 / 11, y0 = f.y + f.height - f.height * 5 / 110;
    const double x1 = f.x + f.width * 10.5 / 11, y1 = f.y + f.height - f.height * 105 / 110;
    BOOST_TEST(l.x.to_pixel(0) == x0, boost::test_tools::tolerance(1e-12));
    BOOST_TEST(l.y.to_pixel(0) == y0, boost::test_tools::tolerance(1e-12));
    // The frame sits inside the canvas, and the curve in the SVG has exactly these coordinates.
    BOOST_TEST(f.x > 0);
    BOOST_TEST(f.y > 0);
    BOOST_TEST(f.x + f.width < 640);
    BOOST_TEST(f.y + f.height < 400);
    const auto d = attributes(plot::to_svg(s), "<path", "d");
    BOOST_REQUIRE(d.size() == 1u);
    BOOST_TEST(d[0] == "M" + ctgrad::svg::number(x0) + ' ' + ctgrad::svg::number(y0) + " L" + ctgrad::svg::number(x1) +
                           ' ' + ctgrad::svg::number(y1));

    // On log axes a decade is a fixed distance: the middle decade of [1, 100] is mid-frame.
    plot::figure fig;
    fig.log_x = fig.log_y = true;
    const plot::layout g = plot::make_layout({{"log", {1, 100}, {1e-3, 10}}}, fig);
    BOOST_TEST(g.x.to_pixel(10) == g.frame.x + g.frame.width / 2, boost::test_tools::tolerance(1e-12));
    BOOST_TEST(g.y.to_pixel(0.1) == g.frame.y + g.frame.height / 2, boost::test_tools::tolerance(1e-12));
    BOOST_TEST(g.x.to_pixel(1) - g.frame.x == g.frame.width * 0.1 / 2.2, boost::test_tools::tolerance(1e-9));
}

BOOST_AUTO_TEST_CASE(numbers_and_labels_are_escaped_and_printed_deterministically) {
    BOOST_TEST(ctgrad::svg::escape("a<b & \"c\" 'd' >") == "a&lt;b &amp; &quot;c&quot; &apos;d&apos; &gt;");
    BOOST_TEST(ctgrad::svg::escape(std::string("bell\x07tab\t")) == "bell\xEF\xBF\xBDtab\t");
    BOOST_TEST(ctgrad::svg::escape("μ ü") == "μ ü");
    BOOST_TEST(ctgrad::svg::number(3.14159) == "3.14");
    BOOST_TEST(ctgrad::svg::number(2.0) == "2");
    BOOST_TEST(ctgrad::svg::number(2.5) == "2.5");
    BOOST_TEST(ctgrad::svg::number(-0.001) == "0");
    BOOST_TEST(ctgrad::svg::number(-1.999) == "-2");
    BOOST_TEST(ctgrad::svg::number(1e20) == "100000000000000000000");

    plot::figure fig;
    fig.title = "<b>fit</b> & \"more\"";
    fig.x_label = "x's";
    fig.y_label = "a&b";
    const std::string svg = plot::to_svg({{"train <loss> & 'val'", {0, 1}, {1, 0}}}, fig);
    BOOST_TEST(svg.find("&lt;b&gt;fit&lt;/b&gt; &amp; &quot;more&quot;") != std::string::npos);
    BOOST_TEST(svg.find("train &lt;loss&gt; &amp; &apos;val&apos;") != std::string::npos);
    BOOST_TEST(svg.find("x&apos;s") != std::string::npos);
    BOOST_TEST(svg.find("a&amp;b") != std::string::npos);
    BOOST_TEST(svg.find("<b>") == std::string::npos);
    BOOST_TEST(svg.find("<loss>") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(bad_input_and_unwritable_files_throw_with_names) {
    const std::vector<plot::series> bad{{"train_loss", {0, 1}, {1, 2}}, {"val_loss", {1, 2, 3}, {1, 2}}};
    const auto names_val_loss = [](const std::invalid_argument& e) {
        return std::string(e.what()).find("\"val_loss\" has 3 x values but 2 y values") != std::string::npos;
    };
    BOOST_CHECK_EXCEPTION(plot::to_svg(bad), std::invalid_argument, names_val_loss);
    BOOST_CHECK_EXCEPTION(plot::to_csv(bad), std::invalid_argument, names_val_loss);
    BOOST_CHECK_EXCEPTION(plot::make_layout(bad), std::invalid_argument, names_val_loss);
    BOOST_CHECK_EXCEPTION(plot::write_svg("test_plot_never.svg", bad), std::invalid_argument, names_val_loss);
    BOOST_TEST(!std::ifstream("test_plot_never.svg").good()); // thrown before the file is opened

    plot::figure tiny;
    tiny.width = 100;
    BOOST_CHECK_THROW(plot::to_svg({}, tiny), std::invalid_argument);

    const std::string path = "no_such_directory_for_test_plot/loss.svg";
    const auto names_path_and_reason = [&](const std::runtime_error& e) {
        const std::string what = e.what();
        return what.find(path) != std::string::npos && what.find(std::strerror(ENOENT)) != std::string::npos;
    };
    const std::vector<plot::series> good{{"train_loss", {0, 1}, {1, 2}}};
    BOOST_CHECK_EXCEPTION(plot::write_svg(path, good), std::runtime_error, names_path_and_reason);
    BOOST_CHECK_EXCEPTION(plot::write_csv(path, good), std::runtime_error, names_path_and_reason);
}

BOOST_AUTO_TEST_CASE(degenerate_series_draw_a_valid_chart) {
    // No series: a valid empty chart with no curve and no legend.
    std::string svg = plot::to_svg({});
    BOOST_TEST(svg.find("<svg") != std::string::npos);
    BOOST_TEST(svg.ends_with("</svg>\n"));
    BOOST_TEST(count(svg, "<path") == 0u);
    BOOST_TEST(count(svg, "class=\"legend\"") == 0u);

    // A series without points keeps its legend entry but draws nothing; a single point
    // is a one-point path plus a dot; constant data gets a ±10% range.
    const std::vector<plot::series> odd{{"empty", {}, {}}, {"single", {2}, {3}}, {"const", {0, 1, 2, 3}, {3, 3, 3, 3}}};
    svg = plot::to_svg(odd);
    const auto d = attributes(svg, "<path", "d");
    BOOST_REQUIRE(d.size() == 2u);
    BOOST_TEST(runs_of(d[0]).size() == 1u);
    BOOST_TEST(runs_of(d[0])[0].size() == 1u);
    BOOST_TEST(count(svg, "<circle") == 1u);
    BOOST_TEST(runs_of(d[1])[0].size() == 4u);
    BOOST_TEST(count(svg, ">empty</text>") == 1u);
    const plot::layout l = plot::make_layout(odd);
    BOOST_TEST(l.y.lo == 2.7, boost::test_tools::tolerance(1e-12));
    BOOST_TEST(l.y.hi == 3.3, boost::test_tools::tolerance(1e-12));

    // NaN and ±Inf are skipped and break the line; so are values ≤ 0 on a log axis.
    const std::vector<plot::series> gaps{{"gaps", {0, 1, 2, 3, 4, 5, 6, 7}, {1, 2, not_a_number, 4, 5, inf, 7, 0}}};
    auto runs = runs_of(attributes(plot::to_svg(gaps), "<path", "d").at(0));
    BOOST_TEST(runs.size() == 3u);
    BOOST_TEST(runs[0].size() == 2u);
    BOOST_TEST(runs[1].size() == 2u);
    BOOST_TEST(runs[2].size() == 2u);
    plot::figure log_y;
    log_y.log_y = true;
    runs = runs_of(attributes(plot::to_svg(gaps, log_y), "<path", "d").at(0));
    BOOST_TEST(runs.size() == 3u);
    BOOST_TEST(runs[2].size() == 1u); // (7, 0) has no place on a log axis
    BOOST_TEST(plot::make_layout(gaps, log_y).x.hi < 7); // nor in its range
    BOOST_TEST(count(plot::to_svg({{"none drawable", {0, 1}, {-1, 0}}}, log_y), "<path") == 0u);

    // The largest doubles map inside the canvas; nothing prints as nan or inf.
    svg = plot::to_svg({{"huge", {-DBL_MAX, DBL_MAX}, {DBL_MAX, -DBL_MAX}}, {"", {0, 0}, {1, -1}}});
    BOOST_TEST(svg.find("nan") == std::string::npos);
    BOOST_TEST(svg.find("inf") == std::string::npos);
    for (const auto& path : attributes(svg, "<path", "d"))
        for (const auto& run : runs_of(path))
            for (const auto& [x, y] : run) {
                BOOST_TEST((x > 0 && x < 640));
                BOOST_TEST((y > 0 && y < 400));
            }
    BOOST_TEST(count(svg, ">huge</text>") == 1u);
}

BOOST_AUTO_TEST_CASE(the_legend_avoids_the_curves) {
    // d2l's loss curves fall from the top left: the legend goes top right, as in the book.
    const plot::layout falling = plot::make_layout({{"train_loss", {0, 1, 2, 3}, {9, 2, 0.5, 0.1}}});
    const plot::box& f = falling.frame;
    BOOST_TEST(falling.legend.x + falling.legend.width == f.x + f.width - 8);
    BOOST_TEST(falling.legend.y == f.y + 8);
    // A rising curve passes through the top right: top left is free.
    const plot::layout rising = plot::make_layout({{"accuracy", {0, 1, 2, 3}, {0.1, 0.5, 2, 9}}});
    BOOST_TEST(rising.legend.x == rising.frame.x + 8);
    BOOST_TEST(rising.legend.y == rising.frame.y + 8);
    // Unlabelled series have no entry; with none labelled there is no legend.
    BOOST_TEST(plot::make_layout({{"", {0, 1}, {0, 1}}}).legend.width == 0);
    const std::string svg = plot::to_svg({{"a", {0, 1}, {0, 1}}, {"", {0, 1}, {1, 0}}, {"c", {}, {}}});
    const auto legend = svg.substr(svg.find("<g class=\"legend\">"));
    BOOST_TEST(count(legend, "<text") == 2u);
    BOOST_TEST(count(legend, "<line") == 2u);
    BOOST_TEST(legend.find(">a</text>") < legend.find(">c</text>"));
    BOOST_TEST(legend.find(">c</text>") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(tick_labels_do_not_collide) {
    const std::vector<std::vector<double>> xs{{0, 3}, {0.234, 2.734}, {10, 10000}, {1e6, 2.5e6}, {-1e-6, 3e-6}, {0, 1e5}};
    for (const auto& x : xs)
        for (const bool log : {false, true})
            for (const int width : {240, 320, 480, 640, 1000}) {
                if (log && x[0] <= 0) continue;
                plot::figure fig;
                fig.width = width;
                fig.log_x = fig.log_y = log;
                const plot::layout l = plot::make_layout({{"s", x, {x[1], x[0]}}}, fig);
                BOOST_TEST_CONTEXT("x " << x[0] << ".." << x[1] << " log " << log << " width " << width) {
                    BOOST_TEST(l.x.px_lo == l.frame.x); // the axes span the frame
                    BOOST_TEST(l.x.px_hi == l.frame.x + l.frame.width);
                    BOOST_TEST(l.y.px_lo == l.frame.y + l.frame.height);
                    BOOST_TEST(l.y.px_hi == l.frame.y);
                    BOOST_TEST(l.x.ticks.size() >= 2u);
                    BOOST_TEST(l.y.ticks.size() >= 2u);
                    for (std::size_t i = 1; i < l.x.ticks.size(); ++i) {
                        const auto& a = l.x.ticks[i - 1];
                        const auto& b = l.x.ticks[i];
                        const double room = l.x.to_pixel(b.value) - l.x.to_pixel(a.value);
                        const double need = (ctgrad::svg::text_width(a.text(), 11) + ctgrad::svg::text_width(b.text(), 11)) / 2;
                        BOOST_TEST(room > need);
                    }
                    const auto& last = l.x.ticks.back();
                    BOOST_TEST(l.x.to_pixel(last.value) + ctgrad::svg::text_width(last.text(), 11) / 2 < width);
                    for (std::size_t i = 1; i < l.y.ticks.size(); ++i)
                        BOOST_TEST(l.y.to_pixel(l.y.ticks[i - 1].value) - l.y.to_pixel(l.y.ticks[i].value) > 14);
                }
            }
}

BOOST_AUTO_TEST_CASE(csv_is_long_format_and_reads_back_exactly) {
    const std::vector<plot::series> all{
        {"train_loss", {0.234375, 1.0 / 3, -0.0, 1e-310}, {DBL_MAX, 0.1, not_a_number, -inf}},
        {"val, loss", {1, 2}, {5e-324, inf}},
        {"say \"hi\"\nthere", {3}, {-2.5}},
        {"no points", {}, {}},
    };
    const std::string csv = plot::to_csv(all);
    BOOST_TEST(csv.starts_with("series,x,y\ntrain_loss,0.234375,1.7976931348623157e+308\n"));
    BOOST_TEST(csv.find("\n\"val, loss\",1,5e-324\n") != std::string::npos);
    BOOST_TEST(csv.find("\n\"say \"\"hi\"\"\nthere\",3,-2.5\n") != std::string::npos);

    const auto rows = parse_csv(csv);
    BOOST_REQUIRE(rows.size() == 1u + 4 + 2 + 1);
    BOOST_TEST(rows[0] == (std::vector<std::string>{"series", "x", "y"}), boost::test_tools::per_element());
    std::size_t row = 1;
    for (const auto& s : all)
        for (std::size_t i = 0; i < s.x.size(); ++i, ++row) {
            BOOST_REQUIRE(rows[row].size() == 3u);
            BOOST_TEST(rows[row][0] == s.label);
            for (const auto& [text, value] : {std::pair{rows[row][1], s.x[i]}, std::pair{rows[row][2], s.y[i]}}) {
                const double back = parse_double(text);
                if (std::isnan(value)) BOOST_TEST(std::isnan(back));
                else BOOST_TEST(std::memcmp(&back, &value, sizeof value) == 0, text << " reads back as " << back);
            }
        }

    plot::write_csv("test_plot_log.csv", all);
    BOOST_TEST(read_file("test_plot_log.csv") == csv);
    std::remove("test_plot_log.csv");
}

BOOST_AUTO_TEST_CASE(the_same_input_gives_the_same_bytes) {
    std::vector<plot::series> all{{"train_loss", {}, {}}, {"val_loss", {}, {}}};
    for (int i = 0; i < 200; ++i) {
        all[0].x.push_back(i / 64.0);
        all[0].y.push_back(std::exp(-i / 30.0) + 1e-4 * std::sin(i));
        if (i % 64 == 63) {
            all[1].x.push_back((i + 1) / 64.0);
            all[1].y.push_back(std::exp(-i / 30.0));
        }
    }
    plot::figure fig;
    fig.title = "linear regression";
    fig.log_y = true;
    const std::string first = plot::to_svg(all, fig);
    const auto copy = all;
    BOOST_TEST(plot::to_svg(copy, fig) == first);
    plot::write_svg("test_plot_loss.svg", all, fig);
    BOOST_TEST(read_file("test_plot_loss.svg") == first);
    std::remove("test_plot_loss.svg");
    // Coordinates carry at most two decimals.
    for (const auto& d : attributes(first, "<path", "d"))
        for (const auto& run : runs_of(d))
            for (const auto& [x, y] : run) {
                BOOST_TEST(std::abs(x * 100 - std::round(x * 100)) < 1e-6);
                BOOST_TEST(std::abs(y * 100 - std::round(y * 100)) < 1e-6);
            }
}
