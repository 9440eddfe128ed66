// Value ranges, colour maps, and pixels and text on a Picture: what every picture is drawn with.
#include "render/draw.hpp"

#include "convpool/core/error.hpp"
#include "convpool/report/report.hpp"

#include <fmt/format.h>
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <optional>
#include <string_view>
#include <system_error>
#include <utility>

#include "render/figure.hpp"

namespace convpool {
namespace {

using canvas::Rgb;
constexpr Rgb kBackground{255, 255, 255};
constexpr Rgb kText{40, 40, 40};

/// Command-line name and OpenCV code of every ColorMap, in enum order; -1: a gray ramp.
struct ColorMapEntry {
    const char* name;
    int code;
};
constexpr std::array<ColorMapEntry, 12> kColorMaps{{{"viridis", cv::COLORMAP_VIRIDIS},
                                                    {"inferno", cv::COLORMAP_INFERNO},
                                                    {"magma", cv::COLORMAP_MAGMA},
                                                    {"plasma", cv::COLORMAP_PLASMA},
                                                    {"cividis", cv::COLORMAP_CIVIDIS},
                                                    {"turbo", cv::COLORMAP_TURBO},
                                                    {"jet", cv::COLORMAP_JET},
                                                    {"hot", cv::COLORMAP_HOT},
                                                    {"bone", cv::COLORMAP_BONE},
                                                    {"parula", cv::COLORMAP_PARULA},
                                                    {"twilight", cv::COLORMAP_TWILIGHT},
                                                    {"gray", -1}}};

}  // namespace

namespace canvas {

/// The finite [min, max] of `v`; 0..0 when no value is finite.
Range finite_range(std::span<const float> v) {
    const auto r = finite_value_range(v);
    return r ? Range{r->lo, r->hi, true} : Range{};
}

Range own_range(const Tensor& t, const RenderOptions& o) {
    return o.known_range ? Range{o.known_range->lo, o.known_range->hi, true}
                         : finite_range(t.data());
}

/// The range `rule` gives `v`; 0..0 when no value is finite.
Range rule_range(std::span<const float> v, const RangeRule& rule) {
    const auto r = value_range(v, rule);
    return r ? Range{r->lo, r->hi, true} : Range{};
}

/// The range a feature map is drawn over under `r`: symmetric about 0 for the diverging map.
Range drawn_range(const Range& r, const RenderOptions& o) {
    if (o.diverging && is_signed(r)) {
        const float m = std::max(-r.lo, r.hi);
        return {-m, m, r.any};
    }
    return r;
}

/// `p1..p99` for percent 1.
std::string rule_name(const RangeRule& rule) {
    return fmt::format("p{:g}..p{:g}", rule.percent, 100.0 - rule.percent);
}

std::string number(float v) { return fmt::format("{:.4g}", v); }

/// Percentile range `r` as drawn: `p1..p99: [0.01, 2.3]`, with `, symmetric +-2.3` when the
/// diverging map widens it to be symmetric about 0.
std::string percentile_label(const Range& r, const RenderOptions& o) {
    const Range shown = drawn_range(r, o);
    const bool widened = shown.lo != r.lo || shown.hi != r.hi;
    return fmt::format("{}: [{}, {}]{}", rule_name(o.range_rule), number(r.lo), number(r.hi),
                       widened ? fmt::format(", symmetric +-{}", number(shown.hi)) : "");
}

/// 256-entry table of colour map `m`, taken from OpenCV's cv::applyColorMap.
const std::array<Rgb, 256>& colormap_lut(ColorMap m) {
    using Lut = std::array<Rgb, 256>;
    static const std::array<Lut, kColorMaps.size()> luts = [] {
        std::array<Lut, kColorMaps.size()> all{};
        cv::Mat ramp(1, 256, CV_8UC1);
        for (int i = 0; i < 256; ++i) {
            ramp.at<std::uint8_t>(0, i) = static_cast<std::uint8_t>(i);
        }
        for (std::size_t k = 0; k < kColorMaps.size(); ++k) {
            cv::Mat colored;
            if (kColorMaps[k].code < 0) {
                cv::cvtColor(ramp, colored, cv::COLOR_GRAY2BGR);
            } else {
                cv::applyColorMap(ramp, colored, kColorMaps[k].code);
            }
            for (int i = 0; i < 256; ++i) {
                const auto bgr = colored.at<cv::Vec3b>(0, i);
                all[k][static_cast<std::size_t>(i)] = {bgr[2], bgr[1], bgr[0]};
            }
        }
        return all;
    }();
    return luts[static_cast<std::size_t>(m)];
}

/// 256-entry diverging table (blue - white - red, after ColorBrewer's RdBu), 128 = zero.
const std::array<Rgb, 256>& diverging() {
    static const std::array<Rgb, 256> lut = [] {
        constexpr std::array<std::array<double, 3>, 5> kAnchors{
            {{33, 102, 172}, {103, 169, 207}, {247, 247, 247}, {239, 138, 98}, {178, 24, 43}}};
        std::array<Rgb, 256> t{};
        for (int i = 0; i < 256; ++i) {
            const double pos = i / 255.0 * 4.0;
            const auto k = static_cast<std::size_t>(std::min(3.0, std::floor(pos)));
            const double f = pos - static_cast<double>(k);
            Rgb c{};
            for (std::size_t j = 0; j < 3; ++j) {
                c[j] = static_cast<std::uint8_t>(
                    std::lround(kAnchors[k][j] + (kAnchors[k + 1][j] - kAnchors[k][j]) * f));
            }
            t[static_cast<std::size_t>(i)] = c;
        }
        return t;
    }();
    return lut;
}

/// Colour of value `v` under range `r`.
Rgb map_value(float v, const Range& r, const RenderOptions& o) {
    if (!std::isfinite(v)) {
        return kNonFinite;
    }
    if (o.diverging && is_signed(r)) {
        const double m = std::max(-static_cast<double>(r.lo), static_cast<double>(r.hi));
        return diverging()[to_byte((static_cast<double>(v) / m + 1.0) / 2.0)];
    }
    const double span = static_cast<double>(r.hi) - static_cast<double>(r.lo);
    // A range of one value (a constant map, or percentiles that coincide): that value in the
    // middle of the colour map, values below or above it at the ends.
    double t = 0.5;
    if (span > 0) {
        t = (static_cast<double>(v) - static_cast<double>(r.lo)) / span;
    } else if (v != r.lo) {
        t = v < r.lo ? 0.0 : 1.0;
    }
    return colormap_lut(o.colormap)[to_byte(t)];
}

void to_bytes(std::span<const float> values, double lo, double span, std::uint8_t* out) {
    if (lo == 0.0 && span == 1.0) {  // (v - 0) / 1 is v
        for (std::size_t i = 0; i < values.size(); ++i) {
            out[3 * i] = to_byte(static_cast<double>(values[i]));
        }
        return;
    }
    for (std::size_t i = 0; i < values.size(); ++i) {
        out[3 * i] = to_byte((static_cast<double>(values[i]) - lo) / span);
    }
}

void map_values(std::span<const float> values, const Range& r, const RenderOptions& o,
                std::uint8_t* out) {
    const auto put_colour = [&out](std::size_t i, const Rgb& c) {
        out[3 * i] = c[0];
        out[3 * i + 1] = c[1];
        out[3 * i + 2] = c[2];
    };
    const double span = static_cast<double>(r.hi) - static_cast<double>(r.lo);
    if ((o.diverging && is_signed(r)) || !(span > 0)) {
        for (std::size_t i = 0; i < values.size(); ++i) {
            put_colour(i, map_value(values[i], r, o));
        }
        return;
    }
    // The common case, as map_value computes it: (v - lo) / span through the colour map.
    const auto& lut = colormap_lut(o.colormap);
    const auto lo = static_cast<double>(r.lo);
    for (std::size_t i = 0; i < values.size(); ++i) {
        const float v = values[i];
        put_colour(
            i, std::isfinite(v) ? lut[to_byte((static_cast<double>(v) - lo) / span)] : kNonFinite);
    }
}

Picture blank(int w, int h) {
    static_assert(kBackground[0] == kBackground[1] && kBackground[1] == kBackground[2],
                  "a gray background: one byte fills it");
    Picture p{w, h, {}};
    p.rgb.assign(static_cast<std::size_t>(w) * static_cast<std::size_t>(h) * 3, kBackground[0]);
    return p;
}

void paste(Picture& dst, const Picture& src, int x0, int y0) {
    for (const PlacedText& t : src.text) {
        dst.text.push_back({t.x + x0, t.baseline + y0, t.s});
    }
    for (int y = 0; y < src.height; ++y) {
        const auto s = static_cast<std::size_t>(y) * static_cast<std::size_t>(src.width) * 3;
        const auto d = (static_cast<std::size_t>(y0 + y) * static_cast<std::size_t>(dst.width) +
                        static_cast<std::size_t>(x0)) *
                       3;
        std::copy_n(src.rgb.begin() + static_cast<std::ptrdiff_t>(s),
                    static_cast<std::size_t>(src.width) * 3,
                    dst.rgb.begin() + static_cast<std::ptrdiff_t>(d));
    }
    // A picture at scale 1 has its text in its pixels, drawn over the pasted ones.
    if (!dst.keeps_text_apart()) {
        for (const PlacedText& t : std::exchange(dst.text, {})) {
            text(dst, t.s, t.x, t.baseline);
        }
    }
}

void text(Picture& p, const std::string& s, int x, int baseline) {
    if (s.empty()) {
        return;
    }
    if (p.keeps_text_apart()) {  // drawn sharp at its scale when the picture is encoded
        p.text.push_back({x, baseline, s});
        return;
    }
    figure::backend().draw_text(p.rgb.data(), p.width, p.height, x, baseline, s,
                                figure::Font{kTextPx}, kText);
}

int text_width(const std::string& s) {
    if (s.empty()) {
        return 0;
    }
    return static_cast<int>(std::ceil(figure::backend().text_width(s, figure::Font{kTextPx})));
}

/// `s` cut to at most `width` pixels of text: the longest prefix that fits with "..." after it.
std::string fit_text(const std::string& s, int width) {
    if (text_width(s) <= width) {
        return s;
    }
    std::size_t lo = 0;
    std::size_t hi = s.size();
    while (lo < hi) {  // the longest prefix that fits
        const std::size_t mid = (lo + hi + 1) / 2;
        if (text_width(s.substr(0, mid) + "...") <= width) {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    return s.substr(0, lo) + "...";
}

Picture blank(int w, int h, double png_scale) {
    Picture p = blank(w, h);
    p.png_scale = png_scale;
    return p;
}

Picture resize_nearest(const Picture& p, int w, int h) {
    Picture out{
        w, h,
        std::vector<std::uint8_t>(static_cast<std::size_t>(w) * static_cast<std::size_t>(h) * 3)};
    for (int y = 0; y < h; ++y) {
        const int sy =
            std::min(p.height - 1, static_cast<int>(static_cast<long long>(y) * p.height / h));
        for (int x = 0; x < w; ++x) {
            const int sx =
                std::min(p.width - 1, static_cast<int>(static_cast<long long>(x) * p.width / w));
            const auto s = (static_cast<std::size_t>(sy) * static_cast<std::size_t>(p.width) +
                            static_cast<std::size_t>(sx)) *
                           3;
            put(out, x, y, {p.rgb[s], p.rgb[s + 1], p.rgb[s + 2]});
        }
    }
    return out;
}

/// `p` resampled to w x h: area averaging when shrinking, bilinear when enlarging.
Picture resize_smooth(const Picture& p, int w, int h) {
    Picture out{
        w, h,
        std::vector<std::uint8_t>(static_cast<std::size_t>(w) * static_cast<std::size_t>(h) * 3)};
    const cv::Mat src(p.height, p.width, CV_8UC3,
                      // NOLINTNEXTLINE(cppcoreguidelines-pro-type-const-cast): read only
                      const_cast<std::uint8_t*>(p.rgb.data()));
    cv::Mat dst(h, w, CV_8UC3, out.rgb.data());
    cv::resize(src, dst, dst.size(), 0, 0, w < p.width ? cv::INTER_AREA : cv::INTER_LINEAR);
    return out;
}

/// The range feature maps of `t` are coloured over (stage and global scales).
Range picture_range(const Tensor& t, const RenderOptions& o) {
    if (o.scale == ColorScale::global && o.range) {
        return {o.range->lo, o.range->hi, true};
    }
    if (o.known_range && o.range_rule.percent == 0.0) {
        return {o.known_range->lo, o.known_range->hi, true};
    }
    return rule_range(t.data(), o.range_rule);
}

/// The range a natural picture of `t` is drawn over: its own finite range, or the one given.
Range natural_range(const Tensor& t, const RenderOptions& o) {
    if (o.image_range) {
        return {o.image_range->lo, o.image_range->hi, true};
    }
    return own_range(t, o);
}

bool is_natural(const Shape& s, PictureKind kind) {
    return kind == PictureKind::natural && (s.channels == 1 || s.channels == 3);
}

}  // namespace canvas

Picture scaled_picture(const Picture& p) {
    if (p.png_scale == 1.0 && p.text.empty()) {
        return p;
    }
    const auto c = figure::backend().raster(p.width, p.height, p.png_scale, kBackground);
    c->image(p.rgb.data(), p.width, p.height, 0, 0, p.width, p.height);
    for (const PlacedText& t : p.text) {
        c->text(t.x, t.baseline, t.s, figure::Font{canvas::kTextPx}, kText);
    }
    return {figure::scaled(p.width, p.png_scale), figure::scaled(p.height, p.png_scale),
            c->finish()};
}

using canvas::colormap_lut;
using canvas::to_byte;

const std::vector<std::string>& colormap_names() {
    static const std::vector<std::string> names = [] {
        std::vector<std::string> v;
        v.reserve(kColorMaps.size());
        for (const auto& m : kColorMaps) {
            v.emplace_back(m.name);
        }
        return v;
    }();
    return names;
}

ColorMap parse_colormap(std::string_view name) {
    const auto& names = colormap_names();
    for (std::size_t i = 0; i < names.size(); ++i) {
        if (names[i] == name) {
            return static_cast<ColorMap>(i);
        }
    }
    std::string valid;
    for (const auto& n : names) {
        valid += (valid.empty() ? "" : ", ") + n;
    }
    throw UsageError(fmt::format("unknown colour map '{}' (valid: {})", name, valid));
}

RangeRule parse_range_rule(std::string_view text) {
    if (text == "minmax") {
        return {};
    }
    double percent = 0.0;
    if (text.size() > 1 && text.front() == 'p') {
        const char* const end = text.data() + text.size();
        const auto [ptr, ec] = std::from_chars(text.data() + 1, end, percent);
        if (ec == std::errc() && ptr == end && percent > 0.0 && percent < 50.0) {
            return RangeRule{percent};
        }
    }
    throw UsageError(
        fmt::format("--range: expected minmax or pP with 0 < P < 50 (p1: the 1st to "
                    "99th percentile, values outside clipped), got '{}'",
                    text));
}

std::optional<ValueRange> value_range(std::span<const float> values, const RangeRule& rule) {
    return rule.percent > 0.0 ? percentile_range(values, rule.percent) : finite_value_range(values);
}

std::array<std::uint8_t, 3> colormap_color(ColorMap m, double t) {
    return colormap_lut(m)[to_byte(t)];
}

std::array<std::uint8_t, 3> diverging_color(double t) {
    return canvas::diverging()[canvas::to_byte(t)];
}

}  // namespace convpool
