// The contact sheet of a run and the close-up of a pooling stage's windows.
#include "convpool/render/visualize.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <utility>

#include "render/draw.hpp"

namespace convpool {

using namespace canvas;  // render/'s drawing kit (draw.hpp)

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
