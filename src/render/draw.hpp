#pragma once
// What every stage picture, sheet and close-up is drawn with (private to render/): value ranges,
// colour maps, and pixels and text on a Picture.

#include "convpool/core/tensor.hpp"
#include "convpool/render/visualize.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <span>
#include <string>

namespace convpool::canvas {

using Rgb = std::array<std::uint8_t, 3>;
constexpr Rgb kNonFinite{255, 0, 255};

/// Widest a title may make a picture: a longer title (a 63x63 kernel written out is 51 KB of
/// stage text) is cut with "..." instead of widening the picture; the report has the full text.
constexpr int kMaxTitleWidth = 1024;

struct Range {
    float lo = 0.0F;
    float hi = 0.0F;
    bool any = false;
};

/// The finite [min, max] of `v`; 0..0 when no value is finite.
[[nodiscard]] Range finite_range(std::span<const float> v);
/// The finite [min, max] of `t`: o.known_range when the caller knows it, else read from `t`.
[[nodiscard]] Range own_range(const Tensor& t, const RenderOptions& o);
/// The range `rule` gives `v`; 0..0 when no value is finite.
[[nodiscard]] Range rule_range(std::span<const float> v, const RangeRule& rule);
[[nodiscard]] inline bool is_signed(const Range& r) { return r.lo < 0.0F && r.hi > 0.0F; }
/// The range a feature map is drawn over under `r`: symmetric about 0 for the diverging map.
[[nodiscard]] Range drawn_range(const Range& r, const RenderOptions& o);
/// The range feature maps of `t` are coloured over (stage and global scales).
[[nodiscard]] Range picture_range(const Tensor& t, const RenderOptions& o);
/// The range a natural picture of `t` is drawn over: its own finite range, or the one given.
[[nodiscard]] Range natural_range(const Tensor& t, const RenderOptions& o);
[[nodiscard]] bool is_natural(const Shape& s, PictureKind kind);
[[nodiscard]] inline bool is_natural(const Tensor& t, PictureKind kind) {
    return is_natural(t.shape(), kind);
}

/// `p1..p99` for percent 1.
[[nodiscard]] std::string rule_name(const RangeRule& rule);
/// A value as a legend writes it: 4 significant digits.
[[nodiscard]] std::string number(float v);
/// Percentile range `r` as drawn: `p1..p99: [0.01, 2.3]`, with `, symmetric +-2.3` when the
/// diverging map widens it to be symmetric about 0.
[[nodiscard]] std::string percentile_label(const Range& r, const RenderOptions& o);

/// 256-entry table of colour map `m`, taken from OpenCV's cv::applyColorMap.
[[nodiscard]] const std::array<Rgb, 256>& colormap_lut(ColorMap m);
/// 256-entry diverging table (blue - white - red, after ColorBrewer's RdBu), 128 = zero.
[[nodiscard]] const std::array<Rgb, 256>& diverging();
/// `t` in [0, 1] (clamped) as 0..255, rounded half away from zero as std::lround, without its
/// library call (this runs once a pixel): x - int(x) is exact for x in [0, 255]. NaN gives 0.
[[nodiscard]] inline std::uint8_t to_byte(double t) {
    const double x = std::clamp(t, 0.0, 1.0) * 255.0;
    if (!(x >= 0.0)) {
        return 0;
    }
    const auto whole = static_cast<int>(x);
    return static_cast<std::uint8_t>(whole + (x - static_cast<double>(whole) >= 0.5 ? 1 : 0));
}
/// to_byte((v - lo) / span) of each of `values` (to_byte(v) when lo = 0 and span = 1), into
/// every third byte of `out` (one channel of RGB pixels).
void to_bytes(std::span<const float> values, double lo, double span, std::uint8_t* out);
/// Colour of value `v` under range `r`.
[[nodiscard]] Rgb map_value(float v, const Range& r, const RenderOptions& o);
/// The colours of `values` under range `r` (map_value of each, with the choices made once),
/// into `out`: 3 bytes a value.
void map_values(std::span<const float> values, const Range& r, const RenderOptions& o,
                std::uint8_t* out);

/// A white w x h picture.
[[nodiscard]] Picture blank(int w, int h);
/// A white w x h picture encoded at `png_scale` (Picture::png_scale: its text kept apart).
[[nodiscard]] Picture blank(int w, int h, double png_scale);
inline void put(Picture& p, int x, int y, const Rgb& c) {
    const auto i = (static_cast<std::size_t>(y) * static_cast<std::size_t>(p.width) +
                    static_cast<std::size_t>(x)) *
                   3;
    p.rgb[i] = c[0];
    p.rgb[i + 1] = c[1];
    p.rgb[i + 2] = c[2];
}
/// Copies `src` into `dst` with its top left corner at (x0, y0), and its text (Picture::text):
/// kept apart when `dst` has a scale, else drawn.
void paste(Picture& dst, const Picture& src, int x0, int y0);
/// The pictures' text: DejaVu Sans at 14 px through render/figure.hpp's backend (cairo, or the
/// Hershey fallback). Its vertical metrics are fixed numbers (DejaVu Sans's ascent 0.928 em and
/// descent 0.236 em, rounded up), so that a layout needs no font and is the same with either
/// backend; widths are measured.
constexpr double kTextPx = 14.0;
constexpr int kAscent = 13;                    ///< baseline below the top of a line of text
constexpr int kDescent = 4;                    ///< bottom of the text below its baseline
constexpr int kLine = kAscent + kDescent + 2;  ///< one line of text, spacing included

/// `s` in the pictures' font, its baseline at `baseline`; kept in p.text when `p` has a scale
/// (drawn sharp when it is encoded).
void text(Picture& p, const std::string& s, int x, int baseline);
/// `s`'s width in the pictures' font, rounded up to whole pixels.
[[nodiscard]] int text_width(const std::string& s);
/// `s` cut to at most `width` pixels of text: the longest prefix that fits with "..." after it.
[[nodiscard]] std::string fit_text(const std::string& s, int width);
[[nodiscard]] Picture resize_nearest(const Picture& p, int w, int h);
/// `p` resampled to w x h: area averaging when shrinking, bilinear when enlarging.
[[nodiscard]] Picture resize_smooth(const Picture& p, int w, int h);

}  // namespace convpool::canvas
