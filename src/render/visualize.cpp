// The picture of one stage: its maps coloured in a grid (or the image itself), titled, with a
// colour bar. The sheet and the pooling-window close-up are in sheet.cpp.
#include "convpool/render/visualize.hpp"

#include "convpool/core/parallel.hpp"
#include "convpool/io/png.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <functional>
#include <set>

#include "render/draw.hpp"
#include "render/picture_layout.hpp"
#include "render/picture_reduce.hpp"

namespace convpool {
namespace {

using namespace canvas;  // render/'s drawing kit (draw.hpp)
using detail::kGap;
using detail::Layout;
using detail::layout;
using detail::reduction_note;

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

/// The map cell picture cell `v` shows when `l` does not reduce: x on the picture is
/// (x * d) / f in the map.
int source_cell(const Layout& l, int v, int size) {
    return static_cast<int>(std::min<long long>(size - 1, static_cast<long long>(v) * l.d / l.f));
}

/// Row `y` of picture cells of map `plane` (shape `s`) drawn with `l`: a cell every d-th map
/// cell (enlarged f times), or when `l` reduces, each block's mean (`mean`) or largest magnitude.
void picture_row(std::span<const float> plane, const Shape& s, const Layout& l, int y, bool mean,
                 std::vector<double>& scratch, std::vector<float>& row) {
    if (detail::reduces(l)) {
        detail::reduce_row(plane, s.height, s.width, l.th, l.tw, y, mean, scratch, row);
        return;
    }
    const auto sy = static_cast<std::size_t>(source_cell(l, y, s.height));
    for (int x = 0; x < l.tw; ++x) {
        row[static_cast<std::size_t>(x)] =
            plane[sy * static_cast<std::size_t>(s.width) +
                  static_cast<std::size_t>(source_cell(l, x, s.width))];
    }
}

/// Calls body(begin, end) over ranges of the rows [0, l.th) of a picture of a map of shape `s`,
/// spread over the threads when the rows read enough values: each pixel is computed on its own,
/// so the picture is the same for every split.
void over_picture_rows(const Shape& s, const Layout& l, const std::function<void(int, int)>& body) {
    const std::size_t rows = static_cast<std::size_t>(std::max(l.th, 0));
    const std::size_t read_per_row = static_cast<std::size_t>(s.width) *
                                     std::max<std::size_t>(1, static_cast<std::size_t>(s.height) /
                                                                  std::max<std::size_t>(rows, 1)) *
                                     sizeof(float);
    parallel_for(rows, kMinBytesPerThread / read_per_row + 1, [&](std::size_t b, std::size_t e) {
        body(static_cast<int>(b), static_cast<int>(e));
    });
}

/// Fills `p` (l.tw x l.th) with the natural picture of `t`: each channel over [lo, lo + span],
/// every cell, enlarged or every d-th one, or block means when `l` reduces.
void draw_natural(Picture& p, const Tensor& t, const Layout& l, double lo, double span) {
    const Shape& s = t.shape();
    const bool unit = lo == 0.0 && span == 1.0;  // (v - 0) / 1 is v
    over_picture_rows(s, l, [&](int y_begin, int y_end) {
        std::vector<double> scratch;
        std::array<std::vector<float>, 3> rows;
        for (auto& r : rows) {
            r.resize(static_cast<std::size_t>(l.tw));
        }
        for (int y = y_begin; y < y_end; ++y) {
            for (int ch = 0; ch < s.channels && ch < 3; ++ch) {
                picture_row(t.channel(ch), s, l, y, true, scratch,
                            rows[static_cast<std::size_t>(ch)]);
            }
            std::uint8_t* out =
                p.rgb.data() + static_cast<std::size_t>(y) * static_cast<std::size_t>(p.width) * 3;
            for (std::size_t ch = 0; ch < 3; ++ch) {
                to_bytes(rows[s.channels == 3 ? ch : 0], unit ? 0.0 : lo, unit ? 1.0 : span,
                         out + ch);
            }
            for (int x = 0; x < l.tw; ++x) {
                bool finite = true;
                for (std::size_t ch = 0; ch < 3; ++ch) {
                    finite =
                        finite &&
                        std::isfinite(rows[s.channels == 3 ? ch : 0][static_cast<std::size_t>(x)]);
                }
                if (!finite) {
                    put(p, x, y, kNonFinite);
                }
            }
        }
    });
}

/// Sets the scale of a picture of `s` drawn with `l`, and its legend line (`mean`: blocks
/// averaged, else their largest magnitude).
void describe_scale(Picture& p, const Layout& l, const Shape& s, bool mean, int picture_size) {
    p.scale_h = static_cast<double>(l.th) / s.height;
    p.scale_w = static_cast<double>(l.tw) / s.width;
    p.reduced = detail::reduces(l);
    p.note = reduction_note(l, s, mean, picture_size);
}

/// The label of channel `c` over its tile: its name (`c0`, ... when it has none), then `range`
/// when given, cut with "..." to `width` pixels, or "" when not even one letter and the "..."
/// fit (the report has every name in full).
std::string tile_label(const RenderOptions& o, int c, const std::string& range, int width) {
    const auto k = static_cast<std::size_t>(c);
    std::string label = k < o.channel_names.size() ? o.channel_names[k] : fmt::format("c{}", c);
    if (!range.empty()) {
        label += " " + range;
    }
    if (text_width(label) <= width) {
        return label;
    }
    std::string cut = fit_text(label, width);
    return cut.size() > 3 && text_width(cut) <= width ? cut : std::string();
}

}  // namespace

Picture render_tensor(const Tensor& t, PictureKind kind) {
    return render_tensor(t, kind, RenderOptions{});
}

Picture render_tensor(const Tensor& t, PictureKind kind, const ValueRange& range) {
    RenderOptions o;
    o.scale = ColorScale::global;
    o.range = range;
    return render_tensor(t, kind, o);
}

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
        Picture p = blank(l.tw, l.th, options.png_scale);
        draw_natural(p, t, l, lo, span);
        describe_scale(p, l, s, natural, options.picture_size);
        return p;
    }
    const Range stage_range = picture_range(t, options);
    const bool per_channel = options.scale == ColorScale::channel;
    const int label_h = l.labels ? detail::kTileLabel : 0;
    const int cell_w = l.tw + (l.labels ? kGap : 0);
    const int cell_h = l.th + label_h + (l.labels ? kGap : 0);
    Picture p = blank(l.width, l.height, options.png_scale);
    p.text_apart = options.text_apart;
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
        over_picture_rows(s, l, [&](int y_begin, int y_end) {
            std::vector<double> scratch;
            std::vector<float> row(static_cast<std::size_t>(l.tw));
            for (int y = y_begin; y < y_end; ++y) {
                picture_row(plane, s, l, y, options.reduce_mean, scratch, row);
                map_values(row, r, options,
                           p.rgb.data() + (static_cast<std::size_t>(y0 + y) *
                                               static_cast<std::size_t>(p.width) +
                                           static_cast<std::size_t>(x0)) *
                                              3);
            }
        });
        if (l.labels) {
            text(p,
                 tile_label(options, c,
                            per_channel ? fmt::format("{}..{}", number(r.lo), number(r.hi)) : "",
                            cell_w - 2),
                 x0 + 1, y0 - kDescent);
        }
    }
    describe_scale(p, l, s, options.reduce_mean, options.picture_size);
    return p;
}

Picture titled_picture(const Picture& body, const std::string& title, const Tensor& t,
                       PictureKind kind) {
    return titled_picture(body, title, t, kind, RenderOptions{});
}

namespace {

constexpr int kMargin = 6;
constexpr int kTitle = kLine + kMargin;  // the title line, its baseline at 3 + kAscent
constexpr int kBar = 10;
constexpr int kBarText = kLine;  // a line of text under the bar
static_assert(detail::kTileLabel == kAscent + kDescent);

/// What a titled picture says about its colours: the range of its bar, and under a percentile
/// rule the line saying which range and how much of `t` fell outside it.
struct BarLegend {
    bool natural = false;
    bool per_channel = false;
    bool clipping = false;
    Range range;
    Clipped clipped;
    std::string clip_line;
};

BarLegend bar_legend(const Tensor& t, PictureKind kind, const RenderOptions& options) {
    BarLegend b;
    b.natural = is_natural(t, kind);
    b.per_channel = !b.natural && options.scale == ColorScale::channel;
    b.range = b.natural       ? natural_range(t, options)
              : b.per_channel ? own_range(t, options)
                              : picture_range(t, options);
    // Percentile ranges clip: a line under the bar says which range and how much fell outside.
    b.clipping = !b.natural && options.range_rule.percent > 0.0;
    if (!b.clipping) {
        return b;
    }
    if (b.per_channel) {
        for (int c = 0; c < t.shape().channels; ++c) {
            const Range channel = rule_range(t.channel(c), options.range_rule);
            count_clipped(t.channel(c), drawn_range(channel, options), b.clipped);
        }
    } else {
        count_clipped(t.data(), drawn_range(b.range, options), b.clipped);
    }
    const double share = b.clipped.finite > 0 ? 100.0 * static_cast<double>(b.clipped.outside) /
                                                    static_cast<double>(b.clipped.finite)
                                              : 0.0;
    const std::string which =
        b.per_channel ? fmt::format("each channel: its own {}", rule_name(options.range_rule))
                      : percentile_label(b.range, options);
    b.clip_line = fmt::format("{}; {:.3g}% of values clipped", which, share);
    return b;
}

/// The colour at `pos` in [0, 1] along the bar of `b`.
Rgb bar_colour(const BarLegend& b, const RenderOptions& options, double pos) {
    if (b.natural) {
        return {to_byte(pos), to_byte(pos), to_byte(pos)};
    }
    if (options.diverging && is_signed(b.range) && !b.per_channel) {
        return diverging()[to_byte(pos)];
    }
    return colormap_lut(options.colormap)[to_byte(pos)];
}

/// What the bar of `b` says at its ends, and whether a diverging bar has 0 in its middle.
struct BarEnds {
    std::string left;
    std::string right;
    bool zero = false;
};

BarEnds bar_ends(const BarLegend& b, const RenderOptions& options) {
    const Range& r = b.range;
    BarEnds e{number(r.lo), number(r.hi)};
    if (b.per_channel) {
        e.left = b.clipping ? fmt::format("each channel: its own p{:g}", options.range_rule.percent)
                            : "each channel: its own min";
        e.right = b.clipping ? fmt::format("p{:g} (see labels)", 100.0 - options.range_rule.percent)
                             : "max (see labels)";
    } else if (!b.natural && options.diverging && is_signed(r)) {
        const float m = std::max(-r.lo, r.hi);
        e = {number(-m), number(m), true};
    } else if (b.natural && r.lo >= 0.0F && r.hi <= 1.0F) {
        e = {"0", "1"};
    } else if (!b.natural && !(r.hi > r.lo) && b.clipped.outside == 0) {
        e = {fmt::format("constant {}", number(r.lo)), ""};
    }
    return e;
}

/// The colour bar of `b` at `bar_y` across `p`, with the values at its ends (and 0 in the middle
/// of a diverging bar).
void draw_bar(Picture& p, const BarLegend& b, const RenderOptions& options, int bar_y) {
    const int bar_w = p.width - 2 * kMargin;
    for (int x = 0; x < bar_w; ++x) {
        const double pos = bar_w > 1 ? static_cast<double>(x) / (bar_w - 1) : 0.0;
        const Rgb c = bar_colour(b, options, pos);
        for (int y = 0; y < kBar; ++y) {
            put(p, kMargin + x, bar_y + y, c);
        }
    }
    const BarEnds e = bar_ends(b, options);
    if (e.zero) {
        text(p, "0", (p.width - text_width("0")) / 2, bar_y + kBar + 1 + kAscent);
    }
    text(p, e.left, kMargin, bar_y + kBar + 1 + kAscent);
    text(p, e.right, p.width - kMargin - text_width(e.right), bar_y + kBar + 1 + kAscent);
}

constexpr int kSwatch = 12;    // a discrete legend's swatch, square
constexpr int kSwatchGap = 4;  // between a swatch and its label
constexpr int kEntryGap = 14;  // between one entry's label and the next swatch
constexpr Rgb kSwatchEdge{120, 120, 120};

/// Where each entry of a discrete legend goes in lines `width` px wide: (x, line), in order.
std::vector<std::pair<int, int>> legend_places(const std::vector<LegendEntry>& entries, int width) {
    std::vector<std::pair<int, int>> places;
    int x = 0;
    int line = 0;
    for (const LegendEntry& e : entries) {
        const int w = kSwatch + kSwatchGap + text_width(e.label);
        if (x > 0 && x + w > width) {
            x = 0;
            ++line;
        }
        places.emplace_back(x, line);
        x += w + kEntryGap;
    }
    return places;
}

/// The number of lines legend_places takes.
int legend_lines(const std::vector<LegendEntry>& entries, int width) {
    const auto places = legend_places(entries, width);
    return places.empty() ? 0 : places.back().second + 1;
}

/// The discrete legend of `entries` across `p` from `top`: a swatch (outlined, so a white one
/// shows) and a label per value, wrapped into lines.
void draw_legend(Picture& p, const std::vector<LegendEntry>& entries, int top) {
    const auto places = legend_places(entries, p.width - 2 * kMargin);
    for (std::size_t i = 0; i < entries.size(); ++i) {
        const int x = kMargin + places[i].first;
        const int baseline = top + places[i].second * kLine + kAscent;
        const int y0 = baseline + 1 - kSwatch;
        for (int y = 0; y < kSwatch; ++y) {
            for (int dx = 0; dx < kSwatch; ++dx) {
                const bool edge = y == 0 || dx == 0 || y == kSwatch - 1 || dx == kSwatch - 1;
                put(p, x + dx, y0 + y, edge ? kSwatchEdge : entries[i].colour);
            }
        }
        text(p, entries[i].label, x + kSwatch + kSwatchGap, baseline);
    }
}

/// An RGB image's colours are its own: its picture has no colour bar.
bool has_bar(const Tensor& t, const BarLegend& b) {
    return !(b.natural && t.shape().channels == 3);
}

}  // namespace

Picture titled_picture(const Picture& body, const std::string& title, const Tensor& t,
                       PictureKind kind, const RenderOptions& options) {
    const BarLegend b = bar_legend(t, kind, options);
    const bool bar = has_bar(t, b);
    const std::vector<LegendEntry> entries =
        bar ? discrete_legend(t, options) : std::vector<LegendEntry>{};
    const bool noted = !body.note.empty();
    const int width = std::max(
        {body.width + 2 * kMargin, 360, std::min(text_width(title) + 2 * kMargin, kMaxTitleWidth),
         b.clipping ? text_width(b.clip_line) + 2 * kMargin : 0,
         noted ? std::min(text_width(body.note) + 2 * kMargin, kMaxTitleWidth) : 0});
    // The colour bar and its numbers, or the discrete legend's lines.
    const int legend_h = !bar              ? 0
                         : entries.empty() ? kBar + kBarText
                                           : legend_lines(entries, width - 2 * kMargin) * kLine;
    const int height = kTitle + body.height + kMargin + legend_h + (b.clipping ? kBarText : 0) +
                       (noted ? kBarText : 0) + kMargin;
    Picture p = blank(width, height, options.png_scale);
    text(p, fit_text(title, width - 2 * kMargin), kMargin, 3 + kAscent);
    paste(p, body, (width - body.width) / 2, kTitle);
    const int bar_y = kTitle + body.height + kMargin;
    if (!entries.empty()) {
        draw_legend(p, entries, bar_y);
    } else if (bar) {
        draw_bar(p, b, options, bar_y);
    }
    // The baseline of the first line under the bar (or where the bar would be).
    const int below = bar_y + legend_h + (bar ? 1 : 0) + kAscent;
    if (b.clipping) {
        text(p, b.clip_line, kMargin, below);
    }
    if (noted) {
        text(p, fit_text(body.note, width - 2 * kMargin), kMargin,
             below + (b.clipping ? kBarText : 0));
    }
    return p;
}

ColourBar colour_bar(const Tensor& t, PictureKind kind, const RenderOptions& options) {
    const BarLegend b = bar_legend(t, kind, options);
    if (!has_bar(t, b)) {
        return {};
    }
    ColourBar out;
    out.entries = discrete_legend(t, options);
    if (!out.entries.empty()) {
        for (const LegendEntry& e : out.entries) {
            out.colours.push_back(e.colour);
        }
        return out;
    }
    constexpr int kSteps = 256;
    for (int i = 0; i < kSteps; ++i) {
        out.colours.push_back(bar_colour(b, options, static_cast<double>(i) / (kSteps - 1)));
    }
    BarEnds e = bar_ends(b, options);
    if (b.per_channel) {  // the sheet has no room for the long words: the labels say it
        e = {"per channel", ""};
    }
    out.lo = std::move(e.left);
    out.hi = std::move(e.right);
    return out;
}

std::vector<LegendEntry> discrete_legend(const Tensor& t, const RenderOptions& options) {
    if (!options.discrete || options.scale == ColorScale::channel ||
        options.range_rule.percent > 0.0) {
        return {};
    }
    constexpr float kLargest = 1e9F;  // whole values beyond this are no categories or counts
    std::set<long long> values;
    bool non_finite = false;
    for (const float v : t.data()) {
        if (!std::isfinite(v)) {
            non_finite = true;
            continue;
        }
        if (v != std::floor(v) || std::abs(v) > kLargest) {
            return {};
        }
        values.insert(static_cast<long long>(v));
        if (values.size() > static_cast<std::size_t>(kMaxLegendEntries)) {
            return {};
        }
    }
    const auto& labels = options.discrete->labels;
    const auto categories = static_cast<long long>(labels.size());
    if (!labels.empty()) {  // every category, held or not
        if (categories > kMaxLegendEntries ||
            (!values.empty() && (*values.begin() < 0 || *values.rbegin() >= categories))) {
            return {};
        }
        values.clear();
        for (long long v = 0; v < categories; ++v) {
            values.insert(v);
        }
    }
    const Range r = picture_range(t, options);
    std::vector<LegendEntry> out;
    out.reserve(values.size() + 1);
    for (const long long v : values) {
        out.push_back(
            {map_value(static_cast<float>(v), r, options),
             labels.empty() ? fmt::format("{}", v) : labels[static_cast<std::size_t>(v)]});
    }
    if (non_finite) {
        out.push_back({kNonFinite, "none"});
    }
    return out;
}

std::string range_label(const Tensor& t, PictureKind kind, const RenderOptions& options) {
    if (is_natural(t, kind)) {
        const Range r = own_range(t, options);
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

std::string encode_png(const Picture& p) {
    if (p.png_scale == 1.0 && p.text.empty()) {
        return encode_png_rgb(p.rgb, p.width, p.height);
    }
    const Picture big = scaled_picture(p);
    return encode_png_rgb(big.rgb, big.width, big.height);
}

}  // namespace convpool
