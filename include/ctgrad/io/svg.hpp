// ctgrad/io/svg.hpp: the text-level pieces of an SVG file: XML escaping, numbers that
// print the same bytes on every machine and in every locale, and an estimate of text
// width (the writer has no font metrics; layout only needs to keep labels apart).
#ifndef CTGRAD_IO_SVG_HPP
#define CTGRAD_IO_SVG_HPP

#include <algorithm>
#include <charconv>
#include <cstddef>
#include <string>
#include <string_view>

namespace ctgrad::svg {

/// `text` made safe for XML character data and attribute values: & < > " ' become
/// entities, and the control characters XML 1.0 forbids (all below U+0020 except tab,
/// LF and CR) become U+FFFD, so any label gives a well-formed file. UTF-8 passes through.
inline std::string escape(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (const char c : text) {
        switch (c) {
        case '&': out += "&amp;"; break;
        case '<': out += "&lt;"; break;
        case '>': out += "&gt;"; break;
        case '"': out += "&quot;"; break;
        case '\'': out += "&apos;"; break;
        case '\t':
        case '\n':
        case '\r': out += c; break;
        default:
            if (static_cast<unsigned char>(c) < 0x20) out += "\xEF\xBF\xBD";
            else out += c;
        }
    }
    return out;
}

/// `value` in fixed notation with at most `decimals` (0 to 17) digits after the point,
/// trailing zeros dropped and "-0" printed as "0". std::to_chars ignores the C locale
/// (printf does not), so the same input gives byte-identical files everywhere.
inline std::string number(double value, int decimals = 2) {
    char buffer[400]; // the fixed notation of the largest double has 309 digits
    const auto result = std::to_chars(buffer, buffer + sizeof buffer, value, std::chars_format::fixed,
                                      std::clamp(decimals, 0, 17));
    std::string out(buffer, result.ptr);
    if (out.find('.') != std::string::npos) {
        while (out.back() == '0') out.pop_back();
        if (out.back() == '.') out.pop_back();
    }
    if (out == "-0") out = "0";
    return out;
}

/// Estimated width in pixels of UTF-8 `text` at `font_size`: 0.62 em per character,
/// a little above the mean advance of DejaVu Sans (matplotlib's default font) in digits
/// and lower case, so estimates err wide and labels keep apart.
inline double text_width(std::string_view text, double font_size) {
    std::size_t characters = 0;
    for (const char c : text)
        if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++characters; // not a continuation byte
    return static_cast<double>(characters) * 0.62 * font_size;
}

} // namespace ctgrad::svg

#endif // CTGRAD_IO_SVG_HPP
