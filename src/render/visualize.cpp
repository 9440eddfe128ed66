#include "convpool/render/visualize.hpp"

#include "convpool/core/error.hpp"
#include "convpool/io/png.hpp"
#include "convpool/report/report.hpp"

#include <fmt/format.h>
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <optional>
#include <string_view>
#include <system_error>

#include "render/picture_layout.hpp"
#include "render/picture_reduce.hpp"

namespace convpool {
namespace {

using detail::kGap;
using detail::Layout;
using detail::layout;
using detail::reduction_note;

using Rgb = std::array<std::uint8_t, 3>;
constexpr Rgb kBackground{255, 255, 255};
constexpr Rgb kNonFinite{255, 0, 255};
const cv::Scalar kText(40, 40, 40);
constexpr int kFont = cv::FONT_HERSHEY_SIMPLEX;
constexpr double kFontScale = 0.4;

struct Range {
    float lo = 0.0F;
    float hi = 0.0F;
    bool any = false;
};

/// The finite [min, max] of `v`; 0..0 when no value is finite.
Range finite_range(std::span<const float> v) {
    const auto r = finite_value_range(v);
    return r ? Range{r->lo, r->hi, true} : Range{};
}

/// The range `rule` gives `v`; 0..0 when no value is finite.
Range rule_range(std::span<const float> v, const RangeRule& rule) {
    const auto r = value_range(v, rule);
    return r ? Range{r->lo, r->hi, true} : Range{};
}

bool is_signed(const Range& r) { return r.lo < 0.0F && r.hi > 0.0F; }

/// The range a feature map is drawn over under `r`: symmetric about 0 for the diverging map.
Range drawn_range(const Range& r, const RenderOptions& o) {
    if (o.diverging && is_signed(r)) {
        const float m = std::max(-r.lo, r.hi);
        return {-m, m, r.any};
    }
    return r;
}

/// How many finite values of `v` lie outside `r` (drawn in an end colour), and how many are finite.
struct Clipped {
    std::size_t outside = 0;
    std::size_t finite = 0;
};

void count_clipped(std::span<const float> v, const Range& r, Clipped& c) {
    for (const float x : v) {
        if (std::isfinite(x)) {
            ++c.finite;
            c.outside += x < r.lo || x > r.hi ? 1U : 0U;
        }
    }
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

std::uint8_t to_byte(double t) {
    return static_cast<std::uint8_t>(std::lround(std::clamp(t, 0.0, 1.0) * 255.0));
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

Picture blank(int w, int h) {
    Picture p{w, h, {}};
    p.rgb.resize(static_cast<std::size_t>(w) * static_cast<std::size_t>(h) * 3);
    for (std::size_t i = 0; i < p.rgb.size(); i += 3) {
        p.rgb[i] = kBackground[0];
        p.rgb[i + 1] = kBackground[1];
        p.rgb[i + 2] = kBackground[2];
    }
    return p;
}

void put(Picture& p, int x, int y, const Rgb& c) {
    const auto i = (static_cast<std::size_t>(y) * static_cast<std::size_t>(p.width) +
                    static_cast<std::size_t>(x)) *
                   3;
    p.rgb[i] = c[0];
    p.rgb[i + 1] = c[1];
    p.rgb[i + 2] = c[2];
}

void paste(Picture& dst, const Picture& src, int x0, int y0) {
    for (int y = 0; y < src.height; ++y) {
        const auto s = static_cast<std::size_t>(y) * static_cast<std::size_t>(src.width) * 3;
        const auto d = (static_cast<std::size_t>(y0 + y) * static_cast<std::size_t>(dst.width) +
                        static_cast<std::size_t>(x0)) *
                       3;
        std::copy_n(src.rgb.begin() + static_cast<std::ptrdiff_t>(s),
                    static_cast<std::size_t>(src.width) * 3,
                    dst.rgb.begin() + static_cast<std::ptrdiff_t>(d));
    }
}

void text(Picture& p, const std::string& s, int x, int baseline) {
    cv::Mat m(p.height, p.width, CV_8UC3, p.rgb.data());
    cv::putText(m, s, {x, baseline}, kFont, kFontScale, kText, 1, cv::LINE_AA);
}

int text_width(const std::string& s) {
    int base = 0;
    return cv::getTextSize(s, kFont, kFontScale, 1, &base).width;
}

/// Widest a title may make a picture: a longer title (a 63x63 kernel written out is 51 KB of
/// stage text) is cut with "..." instead of widening the picture; the report has the full text.
constexpr int kMaxTitleWidth = 1024;

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
    return rule_range(t.data(), o.range_rule);
}

/// The range a natural picture of `t` is drawn over: its own finite range, or the one given.
Range natural_range(const Tensor& t, const RenderOptions& o) {
    return o.image_range ? Range{o.image_range->lo, o.image_range->hi, true}
                         : finite_range(t.data());
}

bool is_natural(const Shape& s, PictureKind kind) {
    return kind == PictureKind::natural && (s.channels == 1 || s.channels == 3);
}

bool is_natural(const Tensor& t, PictureKind kind) { return is_natural(t.shape(), kind); }

}  // namespace

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

Picture render_tensor(const Tensor& t, PictureKind kind) {
    return render_tensor(t, kind, RenderOptions{});
}

Picture render_tensor(const Tensor& t, PictureKind kind, const ValueRange& range) {
    RenderOptions o;
    o.scale = ColorScale::global;
    o.range = range;
    return render_tensor(t, kind, o);
}

namespace {

/// The map cell picture cell `v` shows when `l` does not reduce: x on the picture is
/// (x * d) / f in the map.
int source_cell(const Layout& l, int v, int size) {
    return static_cast<int>(std::min<long long>(size - 1, static_cast<long long>(v) * l.d / l.f));
}

/// Fills `p` (l.tw x l.th) with the natural picture of `t`: each channel over [lo, lo + span],
/// every cell, enlarged or every d-th one, or block means when `l` reduces.
void draw_natural(Picture& p, const Tensor& t, const Layout& l, double lo, double span) {
    const Shape& s = t.shape();
    const bool reduce = detail::reduces(l);
    std::vector<double> scratch;
    std::array<std::vector<float>, 3> rows;
    for (auto& r : rows) {
        r.resize(static_cast<std::size_t>(l.tw));
    }
    for (int y = 0; y < l.th; ++y) {
        for (int ch = 0; ch < s.channels && ch < 3; ++ch) {
            auto& row = rows[static_cast<std::size_t>(ch)];
            if (reduce) {
                detail::reduce_row(t.channel(ch), s.height, s.width, l.th, l.tw, y, true, scratch,
                                   row);
            } else {
                const auto plane = t.channel(ch);
                const auto sy = static_cast<std::size_t>(source_cell(l, y, s.height));
                for (int x = 0; x < l.tw; ++x) {
                    row[static_cast<std::size_t>(x)] =
                        plane[sy * static_cast<std::size_t>(s.width) +
                              static_cast<std::size_t>(source_cell(l, x, s.width))];
                }
            }
        }
        for (int x = 0; x < l.tw; ++x) {
            Rgb c{};
            bool finite = true;
            for (std::size_t ch = 0; ch < 3; ++ch) {
                const float v = rows[s.channels == 3 ? ch : 0][static_cast<std::size_t>(x)];
                finite = finite && std::isfinite(v);
                c[ch] = to_byte((static_cast<double>(v) - lo) / span);
            }
            put(p, x, y, finite ? c : kNonFinite);
        }
    }
}

/// Sets the scale of a picture of `s` drawn with `l`, and its legend line (`mean`: blocks
/// averaged, else their largest magnitude).
void describe_scale(Picture& p, const Layout& l, const Shape& s, bool mean, int picture_size) {
    p.scale_h = static_cast<double>(l.th) / s.height;
    p.scale_w = static_cast<double>(l.tw) / s.width;
    p.reduced = detail::reduces(l);
    p.note = reduction_note(l, s, mean, picture_size);
}

}  // namespace

bool picture_reduces(const Shape& s, PictureKind kind, const RenderOptions& options) {
    return detail::reduces(layout(s, is_natural(s, kind), options.columns, options.picture_size));
}

Picture render_tensor(const Tensor& t, PictureKind kind, const RenderOptions& options) {
    const Shape& s = t.shape();
    const bool natural = is_natural(t, kind);
    const Layout l = layout(s, natural, options.columns, options.picture_size);
    if (natural) {
        const Range r = natural_range(t, options);
        const bool unit = r.lo >= 0.0F && r.hi <= 1.0F;
        const double lo = unit ? 0.0 : static_cast<double>(r.lo);
        const double span =
            unit ? 1.0 : std::max(1e-30, static_cast<double>(r.hi) - static_cast<double>(r.lo));
        Picture p = blank(l.tw, l.th);
        draw_natural(p, t, l, lo, span);
        describe_scale(p, l, s, natural, options.picture_size);
        return p;
    }
    const Range stage_range = picture_range(t, options);
    const bool per_channel = options.scale == ColorScale::channel;
    const int label_h = l.labels ? 14 : 0;
    const int cell_w = l.tw + (l.labels ? kGap : 0);
    const int cell_h = l.th + label_h + (l.labels ? kGap : 0);
    Picture p = blank(l.width, l.height);
    std::vector<double> scratch;
    std::vector<float> row(static_cast<std::size_t>(l.tw));
    for (int c = 0; c < l.shown; ++c) {
        const int x0 = (c % l.cols) * cell_w;
        const int y0 = (c / l.cols) * cell_h + label_h;
        const auto plane = t.channel(c);
        const auto k = static_cast<std::size_t>(c);
        const Range r =
            !per_channel ? stage_range
            : k < options.channel_ranges.size()
                ? Range{options.channel_ranges[k].lo, options.channel_ranges[k].hi, true}
                : rule_range(plane, options.range_rule);
        for (int y = 0; y < l.th; ++y) {
            if (detail::reduces(l)) {
                detail::reduce_row(plane, s.height, s.width, l.th, l.tw, y, options.reduce_mean,
                                   scratch, row);
            } else {
                const auto sy = static_cast<std::size_t>(source_cell(l, y, s.height));
                for (int x = 0; x < l.tw; ++x) {
                    row[static_cast<std::size_t>(x)] =
                        plane[sy * static_cast<std::size_t>(s.width) +
                              static_cast<std::size_t>(source_cell(l, x, s.width))];
                }
            }
            for (int x = 0; x < l.tw; ++x) {
                put(p, x0 + x, y0 + y, map_value(row[static_cast<std::size_t>(x)], r, options));
            }
        }
        if (l.labels) {
            text(p,
                 per_channel ? fmt::format("c{} {}..{}", c, number(r.lo), number(r.hi))
                             : fmt::format("c{}", c),
                 x0 + 1, y0 - 3);
        }
    }
    describe_scale(p, l, s, options.reduce_mean, options.picture_size);
    return p;
}

Picture titled_picture(const Picture& body, const std::string& title, const Tensor& t,
                       PictureKind kind) {
    return titled_picture(body, title, t, kind, RenderOptions{});
}

Picture titled_picture(const Picture& body, const std::string& title, const Tensor& t,
                       PictureKind kind, const RenderOptions& options) {
    constexpr int kTitle = 22;
    constexpr int kBar = 10;
    constexpr int kBarText = 16;
    constexpr int kMargin = 6;
    const bool natural = is_natural(t, kind);
    const bool per_channel = !natural && options.scale == ColorScale::channel;
    const Range r = natural       ? natural_range(t, options)
                    : per_channel ? finite_range(t.data())
                                  : picture_range(t, options);
    // Percentile ranges clip: a line under the bar says which range and how much fell outside.
    const bool clipping = !natural && options.range_rule.percent > 0.0;
    Clipped clipped;
    std::string clip_line;
    if (clipping) {
        if (per_channel) {
            for (int c = 0; c < t.shape().channels; ++c) {
                const Range channel = rule_range(t.channel(c), options.range_rule);
                count_clipped(t.channel(c), drawn_range(channel, options), clipped);
            }
        } else {
            count_clipped(t.data(), drawn_range(r, options), clipped);
        }
        const double share = clipped.finite > 0 ? 100.0 * static_cast<double>(clipped.outside) /
                                                      static_cast<double>(clipped.finite)
                                                : 0.0;
        const std::string which =
            per_channel ? fmt::format("each channel: its own {}", rule_name(options.range_rule))
                        : percentile_label(r, options);
        clip_line = fmt::format("{}; {:.3g}% of values clipped", which, share);
    }
    const bool noted = !body.note.empty();
    const int width = std::max(
        {body.width + 2 * kMargin, 360, std::min(text_width(title) + 2 * kMargin, kMaxTitleWidth),
         clipping ? text_width(clip_line) + 2 * kMargin : 0,
         noted ? std::min(text_width(body.note) + 2 * kMargin, kMaxTitleWidth) : 0});
    const int height = kTitle + body.height + kMargin + kBar + kBarText +
                       (clipping ? kBarText : 0) + (noted ? kBarText : 0) + kMargin;
    Picture p = blank(width, height);
    text(p, fit_text(title, width - 2 * kMargin), kMargin, 15);
    paste(p, body, (width - body.width) / 2, kTitle);
    const int bar_y = kTitle + body.height + kMargin;
    const int bar_w = width - 2 * kMargin;
    for (int x = 0; x < bar_w; ++x) {
        const double pos = bar_w > 1 ? static_cast<double>(x) / (bar_w - 1) : 0.0;
        Rgb c{};
        if (natural) {
            c = {to_byte(pos), to_byte(pos), to_byte(pos)};
        } else if (options.diverging && is_signed(r) && !per_channel) {
            c = diverging()[to_byte(pos)];
        } else {
            c = colormap_lut(options.colormap)[to_byte(pos)];
        }
        for (int y = 0; y < kBar; ++y) {
            put(p, kMargin + x, bar_y + y, c);
        }
    }
    std::string left = number(r.lo);
    std::string right = number(r.hi);
    if (per_channel) {
        left = clipping ? fmt::format("each channel: its own p{:g}", options.range_rule.percent)
                        : "each channel: its own min";
        right = clipping ? fmt::format("p{:g} (see labels)", 100.0 - options.range_rule.percent)
                         : "max (see labels)";
    } else if (!natural && options.diverging && is_signed(r)) {
        const float m = std::max(-r.lo, r.hi);
        left = number(-m);
        right = number(m);
        text(p, "0", width / 2 - 3, bar_y + kBar + 12);
    } else if (natural && r.lo >= 0.0F && r.hi <= 1.0F) {
        left = "0";
        right = "1";
    } else if (!natural && !(r.hi > r.lo) && clipped.outside == 0) {
        left = fmt::format("constant {}", number(r.lo));
        right.clear();
    }
    text(p, left, kMargin, bar_y + kBar + 12);
    text(p, right, width - kMargin - text_width(right), bar_y + kBar + 12);
    if (clipping) {
        text(p, clip_line, kMargin, bar_y + kBar + 12 + kBarText);
    }
    if (noted) {
        text(p, fit_text(body.note, width - 2 * kMargin), kMargin,
             bar_y + kBar + 12 + kBarText * (clipping ? 2 : 1));
    }
    return p;
}

Picture contact_sheet(const std::vector<SheetItem>& items, int display_height) {
    RenderOptions o;
    o.display_height = display_height;
    return contact_sheet(items, o);
}

Picture contact_sheet(const std::vector<SheetItem>& items, const RenderOptions& options) {
    const int display_height = options.display_height;
    constexpr int kLabel = 36;
    constexpr int kSpace = 10;
    constexpr int kMaxSheetWidth = 16384;
    constexpr long long kMaxSheetPixels = 64LL << 20;
    constexpr int kMaxLabelWidth = 300;  // a longer label is cut, never pushes panels apart
    const int row_h = kSpace + display_height + kLabel;
    // The sheet is at most --picture-size wide (or 16384 px with `full`), whatever the number of
    // stages: a long strip wraps into rows. An extreme aspect ratio (a 1x5000 map) would make its
    // panel display_height * 5000 wide: each panel is at most 4 display heights wide. And the
    // whole sheet keeps to 64 MP whatever --sheet-height (at 4096 px high, 15.6k px wide).
    const int sheet_w = std::min<int>(
        {kMaxSheetWidth, static_cast<int>(kMaxSheetPixels / row_h),
         options.picture_size > 0 ? std::max(options.picture_size, 2 * display_height + 3 * kSpace)
                                  : kMaxSheetWidth});
    const int count = std::max(1, static_cast<int>(items.size()));
    const int max_rows =
        std::max(1, static_cast<int>(kMaxSheetPixels / (static_cast<long long>(row_h) * sheet_w)));
    // Panels narrow enough that every row fits the width and the rows fit the pixel budget.
    const int per_row_min = (count + max_rows - 1) / max_rows;
    const int max_w =
        std::max(16, std::min(4 * display_height, (sheet_w - kSpace) / per_row_min - kSpace));
    std::vector<Picture> scaled;
    std::vector<int> column;
    for (const auto& item : items) {
        const double aspect = static_cast<double>(item.body.width) / item.body.height;
        int w = std::max(1, static_cast<int>(std::lround(aspect * display_height)));
        int h = display_height;
        if (w > max_w) {
            w = max_w;
            h = std::max(1, static_cast<int>(std::lround(max_w / aspect)));
        }
        scaled.push_back(options.smooth ? resize_smooth(item.body, w, h)
                                        : resize_nearest(item.body, w, h));
        const int label =
            std::min(kMaxLabelWidth, std::max(text_width(item.label), text_width(item.sublabel)));
        column.push_back(std::min(std::max(w, label), max_w));
    }
    // Rows: as many panels as fit the width, in stage order.
    std::vector<std::pair<int, int>> place;  // x and row of each panel
    int x = kSpace;
    int row = 0;
    int width = kSpace;
    for (const int c : column) {
        if (x > kSpace && x + c + kSpace > sheet_w) {
            x = kSpace;
            ++row;
        }
        place.emplace_back(x, row);
        x += c + kSpace;
        width = std::max(width, x);
    }
    Picture sheet = blank(width, (row + 1) * row_h);
    for (std::size_t i = 0; i < items.size(); ++i) {
        const auto [px, r] = place[i];
        const int y = r * row_h + kSpace;
        paste(sheet, scaled[i], px, y + (display_height - scaled[i].height) / 2);
        text(sheet, fit_text(items[i].label, column[i]), px, y + display_height + 15);
        text(sheet, fit_text(items[i].sublabel, column[i]), px, y + display_height + 30);
    }
    return sheet;
}

std::string range_label(const Tensor& t, PictureKind kind, const RenderOptions& options) {
    if (is_natural(t, kind)) {
        const Range r = finite_range(t.data());
        return r.lo >= 0.0F && r.hi <= 1.0F ? "0..1"
                                            : fmt::format("{}..{}", number(r.lo), number(r.hi));
    }
    const bool clipping = options.range_rule.percent > 0.0;
    if (options.scale == ColorScale::channel) {
        return clipping ? fmt::format("per channel, {} clipped", rule_name(options.range_rule))
                        : "per channel";
    }
    const Range r = picture_range(t, options);
    const std::string global =
        options.scale == ColorScale::global && options.range ? " (global)" : "";
    if (clipping) {
        return fmt::format("{}, clipped{}", percentile_label(r, options), global);
    }
    if (options.diverging && is_signed(r)) {
        const float m = std::max(-r.lo, r.hi);
        return fmt::format("{}..{}", number(-m), number(m));
    }
    return fmt::format("{}..{}{}", number(r.lo), number(r.hi), global);
}

Picture pool_grid_picture(const Tensor& t, PictureKind kind, const PoolGrid& grid,
                          const std::string& title, const RenderOptions& options) {
    constexpr int kWindows = 8;
    const Shape& s = t.shape();
    const bool natural = is_natural(t, kind);
    const Size2 stride{std::max(1, grid.stride.h), std::max(1, grid.stride.w)};
    const int ch = std::clamp((kWindows - 1) * stride.h + grid.kernel.h - grid.pad.h, 1, s.height);
    const int cw = std::clamp((kWindows - 1) * stride.w + grid.kernel.w - grid.pad.w, 1, s.width);
    // The close-up sits in the middle of the map, starting where a window starts if it can.
    const auto origin = [](int extent, int crop, int step, int pad) {
        const int centred = (extent - crop) / 2;
        return std::clamp((centred + pad) / step * step - pad, 0, extent - crop);
    };
    const int oy = origin(s.height, ch, stride.h, grid.pad.h);
    const int ox = origin(s.width, cw, stride.w, grid.pad.w);
    // First window starting inside the close-up, per axis.
    const int ky = (oy + grid.pad.h + stride.h - 1) / stride.h;
    const int kx = (ox + grid.pad.w + stride.w - 1) / stride.w;
    const int channels = natural ? s.channels : 1;
    std::vector<float> values;
    values.reserve(static_cast<std::size_t>(channels) * static_cast<std::size_t>(ch) *
                   static_cast<std::size_t>(cw));
    for (int c = 0; c < channels; ++c) {
        for (int y = 0; y < ch; ++y) {
            for (int x = 0; x < cw; ++x) {
                values.push_back(t.at(c, oy + y, ox + x));
            }
        }
    }
    const Tensor crop(Shape{channels, ch, cw}, values);
    RenderOptions o = options;
    if (!natural) {
        // The colours of the stage picture, not of the corner alone.
        const Range r = options.scale == ColorScale::channel
                            ? rule_range(t.channel(0), options.range_rule)
                            : picture_range(t, options);
        o.scale = ColorScale::global;
        o.range = ValueRange{r.lo, r.hi};
    }
    Picture body = render_tensor(crop, kind, o);
    const int f = std::max(1, body.width / cw);
    // Fills the rectangle [x0, x1) x [y0, y1), clipped to the picture.
    const auto fill = [&body](int x0, int y0, int x1, int y1, const Rgb& c) {
        for (int y = std::max(0, y0); y < std::min(body.height, y1); ++y) {
            for (int x = std::max(0, x0); x < std::min(body.width, x1); ++x) {
                put(body, x, y, c);
            }
        }
    };
    const auto hline = [&fill](int y, int x0, int x1, const Rgb& c) { fill(x0, y, x1, y + 1, c); };
    const auto vline = [&fill](int x, int y0, int y1, const Rgb& c) { fill(x, y0, x + 1, y1, c); };
    constexpr Rgb kGrid{255, 255, 255};
    constexpr Rgb kGridShadow{0, 0, 0};
    // Window starts: a light line with a dark neighbour, visible on any colour.
    for (int k = 0;; ++k) {
        const int y = (k * stride.h - grid.pad.h - oy) * f;
        if (y >= body.height) {
            break;
        }
        hline(y, 0, body.width, kGrid);
        hline(y + 1, 0, body.width, kGridShadow);
    }
    for (int k = 0;; ++k) {
        const int x = (k * stride.w - grid.pad.w - ox) * f;
        if (x >= body.width) {
            break;
        }
        vline(x, 0, body.height, kGrid);
        vline(x + 1, 0, body.height, kGridShadow);
    }
    if (grid.kernel.h != stride.h || grid.kernel.w != stride.w) {
        // Two neighbouring windows, outlined: their overlap or gap shows.
        const std::array<Rgb, 2> colours{{{255, 140, 0}, {0, 200, 255}}};
        for (int w = 0; w < 2; ++w) {
            const int y0 = (ky * stride.h - grid.pad.h - oy) * f;
            const int x0 =
                ((kx + w) * stride.w - grid.pad.w - ox) * f + w;  // 1 px apart: both visible
            const int y1 = y0 + grid.kernel.h * f - 1;
            const int x1 = x0 + grid.kernel.w * f - 1;
            for (int d = 0; d < 2; ++d) {
                hline(y0 + d + w, x0, x1 + 1, colours[static_cast<std::size_t>(w)]);
                hline(y1 - d, x0, x1 + 1, colours[static_cast<std::size_t>(w)]);
                vline(x0 + d, y0, y1 + 1, colours[static_cast<std::size_t>(w)]);
                vline(x1 - d, y0, y1 + 1, colours[static_cast<std::size_t>(w)]);
            }
        }
    }
    return titled_picture(body,
                          fmt::format("{}  (rows {}-{}, cols {}-{}{})", title, oy, oy + ch - 1, ox,
                                      ox + cw - 1, natural ? "" : " of c0"),
                          crop, kind, o);
}

std::array<std::uint8_t, 3> colormap_color(ColorMap m, double t) {
    return colormap_lut(m)[to_byte(t)];
}

std::array<std::uint8_t, 3> diverging_color(double t) { return diverging()[to_byte(t)]; }

std::string encode_png(const Picture& p) { return encode_png8(p.rgb, p.width, p.height, 3); }

}  // namespace convpool
