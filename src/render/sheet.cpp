// The contact sheet of a run and the close-up of a pooling stage's windows.
#include "convpool/render/visualize.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "render/draw.hpp"
#include "render/sheet_plan.hpp"

namespace convpool {

using namespace canvas;  // render/'s drawing kit (draw.hpp)

Picture contact_sheet(const std::vector<SheetItem>& items, int display_height) {
    RenderOptions o;
    o.display_height = display_height;
    return contact_sheet(items, o);
}

namespace {

constexpr int kSpace = 10;      // between panels, and around the sheet
constexpr int kLabelPad = 6;    // under the last line of a label
constexpr int kMinColumn = 96;  // narrower panels get this much room for their labels
constexpr int kLabelLines = 2;  // the first label may wrap to this many lines

/// `s` broken into lines of at most `width` px of text, after a space, `,` or `|` where it can
/// (else anywhere), at most `lines` lines, the last cut with "..." when more is left.
std::vector<std::string> wrap_text(const std::string& s, int width, int lines) {
    std::vector<std::string> out;
    std::size_t start = 0;
    while (start < s.size() && static_cast<int>(out.size()) < lines) {
        if (static_cast<int>(out.size()) == lines - 1 || text_width(s.substr(start)) <= width) {
            out.push_back(fit_text(s.substr(start), width));
            break;
        }
        std::size_t end = start + 1;          // the longest prefix that fits
        std::size_t brk = std::string::npos;  // and the last break in it
        while (end < s.size() && text_width(s.substr(start, end + 1 - start)) <= width) {
            ++end;
            const char c = s[end - 1];
            if (c == ' ' || c == ',' || c == '|') {
                brk = end;
            }
        }
        const std::size_t cut = brk != std::string::npos && brk > start ? brk : end;
        std::string line = s.substr(start, cut - start);
        while (!line.empty() && line.back() == ' ') {
            line.pop_back();
        }
        out.push_back(line);
        start = cut;
        while (start < s.size() && s[start] == ' ') {
            ++start;
        }
    }
    return out;
}

/// A panel's text: the label wrapped, then the sublabel and the detail, each on one line.
std::vector<std::string> panel_lines(const SheetItem& item, int width) {
    std::vector<std::string> lines = wrap_text(item.label, width, kLabelLines);
    for (const auto* more : {&item.sublabel, &item.detail}) {
        if (!more->empty()) {
            lines.push_back(fit_text(*more, width));
        }
    }
    return lines;
}

/// Each panel's size on the sheet: at the display height, or with `true_scale` at the same
/// pixels per map cell, the tallest map at the display height; at most `max_w` wide.
std::vector<std::pair<int, int>> panel_sizes(const std::vector<SheetItem>& items, int display_h,
                                             bool true_scale, int max_w) {
    double tallest = 0.0;  // in map cells
    for (const auto& item : items) {
        tallest = std::max(tallest, item.body.height * item.cells_per_px);
    }
    std::vector<std::pair<int, int>> sizes;
    for (const auto& item : items) {
        const double aspect = static_cast<double>(item.body.width) / item.body.height;
        int h = display_h;
        if (true_scale && item.cells_per_px > 0.0 && tallest > 0.0) {
            h = std::max(1, static_cast<int>(std::lround(display_h * item.body.height *
                                                         item.cells_per_px / tallest)));
        }
        int w = std::max(1, static_cast<int>(std::lround(aspect * h)));
        if (w > max_w) {
            w = max_w;
            h = std::max(1, static_cast<int>(std::lround(max_w / aspect)));
        }
        sizes.emplace_back(w, h);
    }
    return sizes;
}

/// The sheet's width, and the widest a panel may be: the sheet is at most --picture-size wide
/// (or 16384 px with `full`), whatever the number of stages: a long strip wraps into rows. An
/// extreme aspect ratio (a 1x5000 map) would make its panel display_height * 5000 wide: each
/// panel is at most 4 display heights wide. And the whole sheet keeps to 64 MP whatever
/// --sheet-height (at 4096 px high, 15.6k px wide).
std::pair<int, int> sheet_bounds(std::size_t items, const RenderOptions& options, int row_h_max) {
    constexpr int kMaxSheetWidth = 16384;
    constexpr long long kMaxSheetPixels = 64LL << 20;
    const int display_height = options.display_height;
    const int sheet_w = std::min<int>(
        {kMaxSheetWidth, static_cast<int>(kMaxSheetPixels / row_h_max),
         options.picture_size > 0 ? std::max(options.picture_size, 2 * display_height + 3 * kSpace)
                                  : kMaxSheetWidth});
    const int count = std::max(1, static_cast<int>(items));
    const int max_rows = std::max(
        1, static_cast<int>(kMaxSheetPixels / (static_cast<long long>(row_h_max) * sheet_w)));
    // Panels narrow enough that every row fits the width and the rows fit the pixel budget.
    const int per_row_min = (count + max_rows - 1) / max_rows;
    const int max_w =
        std::max(16, std::min(4 * display_height, (sheet_w - kSpace) / per_row_min - kSpace));
    return {sheet_w, max_w};
}

/// Where each panel's column goes: as many as fit the width in a row, in stage order. Returns
/// the sheet's width.
int place_columns(std::vector<sheet::Panel>& panels, const std::vector<int>& column, int sheet_w,
                  int row_h) {
    int x = kSpace;
    int row = 0;
    int width = kSpace;
    for (std::size_t i = 0; i < panels.size(); ++i) {
        const int c = column[i];
        if (x > kSpace && x + c + kSpace > sheet_w) {
            x = kSpace;
            ++row;
        }
        panels[i].x = x;
        panels[i].row_top = row * row_h + kSpace;
        x += c + kSpace;
        width = std::max(width, x);
    }
    return width;
}

/// The words under a panel's bar: a discrete legend's label under each swatch when they all
/// fit, else the values (or first and last labels) at the ends, each cut to half the bar (left
/// out when not even "..." fits): they never run into each other.
void label_bar(sheet::Panel& p) {
    const ColourBar& bar = p.item->bar;
    const int n = static_cast<int>(bar.entries.size());
    for (int i = 0; i < n; ++i) {
        const std::string& label = bar.entries[static_cast<std::size_t>(i)].label;
        if (text_width(label) > p.w / n - 2) {
            p.ticks.clear();
            break;
        }
        p.ticks.emplace_back(p.x + (2 * i + 1) * p.w / (2 * n), label);
    }
    if (!p.ticks.empty()) {
        return;
    }
    const int half = std::max(1, p.w / 2 - 2);
    const auto cut = [half](const std::string& v) {
        std::string t = fit_text(v, half);
        return text_width(t) <= half ? t : std::string();
    };
    p.lo = cut(n > 0 ? bar.entries.front().label : bar.lo);
    p.hi = cut(n > 0 ? bar.entries.back().label : bar.hi);
}

}  // namespace

namespace sheet {

Plan plan(const std::vector<SheetItem>& items, const RenderOptions& options) {
    const int display_height = options.display_height;
    bool bars = false;
    bool details = false;
    for (const auto& item : items) {
        bars = bars || !item.bar.colours.empty();
        details = details || !item.detail.empty();
    }
    // Every row has room for a bar (when a panel has one) and for the longest label; a label
    // wraps or is cut to its panel's width, and never pushes panels apart. The bar is 4 px under
    // the picture, its numbers 1 px under the bar.
    const int bar_h = bars ? 4 + kSheetBar + 1 + kAscent + kDescent + 1 : 0;
    const int most_lines = kLabelLines + 1 + (details ? 1 : 0);
    const int row_h_max = kSpace + display_height + bar_h + most_lines * kLine + kLabelPad;
    const auto [sheet_w, max_w] = sheet_bounds(items.size(), options, row_h_max);
    const auto sizes = panel_sizes(items, display_height, options.sheet_true_scale, max_w);
    Plan out;
    std::vector<int> column;
    int line_count = 0;
    for (std::size_t i = 0; i < items.size(); ++i) {
        Panel p{.item = &items[i], .w = sizes[i].first, .h = sizes[i].second};
        column.push_back(std::min(std::max(p.w, kMinColumn), max_w));
        p.lines = panel_lines(items[i], column.back());
        line_count = std::max(line_count, static_cast<int>(p.lines.size()));
        out.panels.push_back(std::move(p));
    }
    const int row_h = kSpace + display_height + bar_h + line_count * kLine + kLabelPad;
    out.width = place_columns(out.panels, column, sheet_w, row_h);
    int rows = 1;
    for (Panel& p : out.panels) {
        rows = std::max(rows, p.row_top / row_h + 1);
        // True sizes stand on a common base line; equal heights fill the row.
        p.y = p.row_top + display_height - p.h;
        p.bar_y = p.row_top + display_height + 4;
        p.first_baseline = p.row_top + display_height + bar_h + 1 + kAscent;
        if (!p.item->bar.colours.empty()) {
            label_bar(p);
        }
    }
    out.height = rows * row_h;
    return out;
}

Picture bar_picture(const ColourBar& bar, int w) {
    Picture p = blank(w, kSheetBar);
    const auto& colours = bar.colours;
    if (!bar.entries.empty()) {  // equal swatches, 1 px of paper between them when they are wide
        const auto n = static_cast<long long>(colours.size());
        for (int i = 0; i < w; ++i) {
            const long long k = static_cast<long long>(i) * n / w;
            const bool gap =
                w / n >= 4 && i + 1 < w && (static_cast<long long>(i) + 1) * n / w != k;
            for (int j = 0; j < kSheetBar && !gap; ++j) {
                put(p, i, j, colours[static_cast<std::size_t>(k)]);
            }
        }
        return p;
    }
    for (int i = 0; i < w; ++i) {
        const auto k = static_cast<std::size_t>(
            w > 1 ? static_cast<long long>(i) * static_cast<long long>(colours.size() - 1) / (w - 1)
                  : 0);
        for (int j = 0; j < kSheetBar; ++j) {
            put(p, i, j, colours[k]);
        }
    }
    return p;
}

Picture panel_picture(const Panel& p, const RenderOptions& options) {
    const Picture& body = p.item->body;
    Picture out = options.smooth ? resize_smooth(body, p.w, p.h) : resize_nearest(body, p.w, p.h);
    // A body whose text is apart (its tile labels: RenderOptions::text_apart, --png-scale)
    // keeps it where the panel is at least the body's size; on a smaller panel it would be
    // shrunk below 14 px, so it is left out (the detail line names the channels).
    out.png_scale = options.png_scale;
    if (p.w >= body.width && p.h >= body.height) {
        for (const PlacedText& t : body.text) {
            text(out, t.s, t.x * p.w / body.width, t.baseline * p.h / body.height);
        }
    }
    return out;
}

}  // namespace sheet

Picture contact_sheet(const std::vector<SheetItem>& items, const RenderOptions& options) {
    const sheet::Plan plan = sheet::plan(items, options);
    Picture out = blank(plan.width, plan.height, options.png_scale);
    for (const sheet::Panel& p : plan.panels) {
        paste(out, sheet::panel_picture(p, options), p.x, p.y);
        if (!p.item->bar.colours.empty()) {
            paste(out, sheet::bar_picture(p.item->bar, p.w), p.x, p.bar_y);
            text(out, p.lo, p.x, p.bar_baseline());
            text(out, p.hi, p.x + p.w - text_width(p.hi), p.bar_baseline());
            for (const auto& [centre, label] : p.ticks) {
                text(out, label, centre - text_width(label) / 2, p.bar_baseline());
            }
        }
        int baseline = p.first_baseline;
        for (const auto& line : p.lines) {
            text(out, line, p.x, baseline);
            baseline += kLine;
        }
    }
    return out;
}

namespace {

/// The part of a map a pooling close-up shows: rows oy.., columns ox.., ch x cw cells, and the
/// first window starting inside it (ky, kx).
struct CloseUp {
    int oy = 0;
    int ox = 0;
    int ch = 1;
    int cw = 1;
    int ky = 0;
    int kx = 0;
};

CloseUp close_up(const Shape& s, const PoolGrid& grid, const Size2& stride) {
    constexpr int kWindows = 8;
    CloseUp c;
    c.ch = std::clamp((kWindows - 1) * stride.h + grid.kernel.h - grid.pad.h, 1, s.height);
    c.cw = std::clamp((kWindows - 1) * stride.w + grid.kernel.w - grid.pad.w, 1, s.width);
    // The close-up sits in the middle of the map, starting where a window starts if it can.
    const auto origin = [](int extent, int crop, int step, int pad) {
        const int centred = (extent - crop) / 2;
        return std::clamp((centred + pad) / step * step - pad, 0, extent - crop);
    };
    c.oy = origin(s.height, c.ch, stride.h, grid.pad.h);
    c.ox = origin(s.width, c.cw, stride.w, grid.pad.w);
    // First window starting inside the close-up, per axis.
    c.ky = (c.oy + grid.pad.h + stride.h - 1) / stride.h;
    c.kx = (c.ox + grid.pad.w + stride.w - 1) / stride.w;
    return c;
}

/// The first `channels` channels of `t` inside `c`.
Tensor crop_of(const Tensor& t, const CloseUp& c, int channels) {
    std::vector<float> values;
    values.reserve(static_cast<std::size_t>(channels) * static_cast<std::size_t>(c.ch) *
                   static_cast<std::size_t>(c.cw));
    for (int k = 0; k < channels; ++k) {
        for (int y = 0; y < c.ch; ++y) {
            for (int x = 0; x < c.cw; ++x) {
                values.push_back(t.at(k, c.oy + y, c.ox + x));
            }
        }
    }
    return {Shape{channels, c.ch, c.cw}, values};
}

/// Draws the window starts of `grid` over `body` (the close-up `c` enlarged f times), and two
/// neighbouring windows outlined when windows overlap or leave gaps.
void draw_windows(Picture& body, const PoolGrid& grid, const Size2& stride, const CloseUp& c,
                  int f) {
    // Fills the rectangle [x0, x1) x [y0, y1), clipped to the picture.
    const auto fill = [&body](int x0, int y0, int x1, int y1, const Rgb& colour) {
        for (int y = std::max(0, y0); y < std::min(body.height, y1); ++y) {
            for (int x = std::max(0, x0); x < std::min(body.width, x1); ++x) {
                put(body, x, y, colour);
            }
        }
    };
    const auto hline = [&fill](int y, int x0, int x1, const Rgb& col) {
        fill(x0, y, x1, y + 1, col);
    };
    const auto vline = [&fill](int x, int y0, int y1, const Rgb& col) {
        fill(x, y0, x + 1, y1, col);
    };
    constexpr Rgb kGrid{255, 255, 255};
    constexpr Rgb kGridShadow{0, 0, 0};
    // Window starts: a light line with a dark neighbour, visible on any colour.
    for (int k = 0;; ++k) {
        const int y = (k * stride.h - grid.pad.h - c.oy) * f;
        if (y >= body.height) {
            break;
        }
        hline(y, 0, body.width, kGrid);
        hline(y + 1, 0, body.width, kGridShadow);
    }
    for (int k = 0;; ++k) {
        const int x = (k * stride.w - grid.pad.w - c.ox) * f;
        if (x >= body.width) {
            break;
        }
        vline(x, 0, body.height, kGrid);
        vline(x + 1, 0, body.height, kGridShadow);
    }
    if (grid.kernel.h == stride.h && grid.kernel.w == stride.w) {
        return;
    }
    // Two neighbouring windows, outlined: their overlap or gap shows.
    const std::array<Rgb, 2> colours{{{255, 140, 0}, {0, 200, 255}}};
    for (int w = 0; w < 2; ++w) {
        const int y0 = (c.ky * stride.h - grid.pad.h - c.oy) * f;
        const int x0 =
            ((c.kx + w) * stride.w - grid.pad.w - c.ox) * f + w;  // 1 px apart: both visible
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

}  // namespace

Picture pool_grid_picture(const Tensor& t, PictureKind kind, const PoolGrid& grid,
                          const std::string& title, const RenderOptions& options) {
    const Shape& s = t.shape();
    const bool natural = is_natural(t, kind);
    const Size2 stride{std::max(1, grid.stride.h), std::max(1, grid.stride.w)};
    const CloseUp c = close_up(s, grid, stride);
    const Tensor crop = crop_of(t, c, natural ? s.channels : 1);
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
    draw_windows(body, grid, stride, c, std::max(1, body.width / c.cw));
    return titled_picture(
        body,
        fmt::format("{}  (rows {}-{}, cols {}-{}{})", title, c.oy, c.oy + c.ch - 1, c.ox,
                    c.ox + c.cw - 1, natural ? "" : " of c0"),
        crop, kind, o);
}

}  // namespace convpool
