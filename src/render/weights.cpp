// Drawn on a canvas of the figure backend (render/figure.hpp): each kernel an image of sharp
// blocks, text and the colour bar at the picture's scale (`--png-scale`).
#include "convpool/render/weights.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "render/draw.hpp"
#include "render/figure.hpp"

namespace convpool {
namespace {

/// Labels and the title (render/figure.hpp's backend: DejaVu Sans or Hershey).
constexpr figure::Font kSmall{canvas::kTextPx, false};
constexpr figure::Font kTitleScale{16.0, true};
constexpr int kGapPx = 2;             // between tiles
constexpr int kMargin = 8;            // around the grid
constexpr int kLabel = 14;            // a tile's number above it (digits: no descent)
constexpr int kTitle = 24;            // the title line
constexpr int kLine = canvas::kLine;  // a legend line
constexpr int kMinTile = 48;          // a kernel's longer side is magnified to at least this
constexpr int kMaxTiles = 64;         // per row and per column
constexpr int kLegendCap = 64;        // names listed under the grid

using figure::Rgb;
constexpr Rgb kInk{40, 40, 40};

/// Diverging colour of v in [-m, m] (m > 0), as RGB.
Rgb diverging_rgb(double v, double m) { return diverging_color(m > 0 ? (v / m + 1.0) / 2.0 : 0.5); }

std::uint8_t byte_of(double t) {
    return static_cast<std::uint8_t>(std::lround(std::clamp(t, 0.0, 1.0) * 255.0));
}

/// `s` with its baseline at (x, y) on `c`.
void put_text(figure::Canvas& c, const std::string& s, int x, int y,
              const figure::Font& font = kSmall) {
    c.text(x, y, s, font, kInk);
}

int text_width(const std::string& s, const figure::Font& font = kSmall) {
    return static_cast<int>(std::ceil(figure::backend().text_width(s, font)));
}

/// A tile's top-left corner, in px.
struct Origin {
    int x = 0;
    int y = 0;
};

/// A kernel's cells (rows x cols RGB, row-major) drawn from `origin`, each an f x f block.
void draw_cells(figure::Canvas& c, const std::vector<std::uint8_t>& rgb, int rows, int cols,
                Origin origin, int f) {
    c.image(rgb.data(), cols, rows, origin.x, origin.y, cols * f, rows * f);
}

/// One kernel in the diverging map over [-m, m], each cell an f x f block from `origin`.
void draw_signed(figure::Canvas& c, const Matrix& k, double m, Origin origin, int f) {
    std::vector<std::uint8_t> rgb;
    rgb.reserve(k.values.size() * 3);
    for (const float v : k.values) {
        const Rgb colour = diverging_rgb(static_cast<double>(v), m);
        rgb.insert(rgb.end(), colour.begin(), colour.end());
    }
    draw_cells(c, rgb, k.rows, k.cols, origin, f);
}

/// Three kernels of one size as R, G, B over their own min..max, as draw_signed draws.
void draw_rgb(figure::Canvas& c, std::span<const Matrix> rgb, Origin origin, int f) {
    auto lo = static_cast<double>(rgb[0].values.front());
    double hi = lo;
    for (const auto& k : rgb) {
        for (const float v : k.values) {
            lo = std::min(lo, static_cast<double>(v));
            hi = std::max(hi, static_cast<double>(v));
        }
    }
    std::vector<std::uint8_t> pixels;
    pixels.reserve(rgb[0].values.size() * 3);
    for (std::size_t at = 0; at < rgb[0].values.size(); ++at) {
        for (std::size_t ch = 0; ch < 3; ++ch) {
            const auto v = static_cast<double>(rgb[ch].values[at]);
            pixels.push_back(byte_of(hi > lo ? (v - lo) / (hi - lo) : 0.5));
        }
    }
    draw_cells(c, pixels, rgb[0].rows, rgb[0].cols, origin, f);
}

bool default_names(const std::vector<std::string>& names) {
    for (std::size_t i = 0; i < names.size(); ++i) {
        if (names[i] != fmt::format("c{}", i)) {
            return false;
        }
    }
    return true;
}

}  // namespace

namespace {

/// Where everything of a weights picture goes: the tile size and grid, the title, the legend.
struct WeightsLayout {
    bool rgb = false;
    int outputs = 0;
    int kh = 1;
    int kw = 1;
    double m = 0.0;  ///< the largest |weight|: the colour scale is -m..m
    int f = 1;       ///< pixels per weight
    int per_output = 1;
    int shown_outputs = 0;
    int shown_inputs = 0;
    int tiles = 0;
    int cols = 1;
    int rows = 0;
    int cell_w = 0;
    int cell_h = 0;
    bool legend = false;
    int legend_lines = 0;
    int more_line = 0;
    std::string title;
    int width = 0;
    int height = 0;
    int bar_h = 0;
};

/// The largest kernel size and |weight| of `grid` into `l`.
void kernel_extents(const KernelGrid& grid, WeightsLayout& l) {
    for (const auto& k : grid.kernels) {
        l.kh = std::max(l.kh, k.rows);
        l.kw = std::max(l.kw, k.cols);
        for (const float v : k.values) {
            l.m = std::max(l.m, std::fabs(static_cast<double>(v)));
        }
    }
}

WeightsLayout weights_layout(const KernelGrid& grid, const std::string& title) {
    WeightsLayout l;
    l.rgb = grid.inputs == 3;
    l.outputs = static_cast<int>(grid.names.size());
    kernel_extents(grid, l);
    l.f = std::clamp((kMinTile + std::max(l.kh, l.kw) - 1) / std::max(l.kh, l.kw), 1, 16);
    // Tiles: one per output (RGB or single input), square grid; or a row per output.
    l.per_output = l.rgb ? 1 : grid.inputs;
    l.shown_outputs = std::min(l.outputs, l.per_output > 1 ? kMaxTiles : kMaxTiles * kMaxTiles);
    l.shown_inputs = std::min(l.per_output, kMaxTiles);
    l.tiles = l.shown_outputs * l.shown_inputs;
    l.cols = l.per_output > 1
                 ? l.shown_inputs
                 : static_cast<int>(std::ceil(std::sqrt(static_cast<double>(l.tiles))));
    l.rows = (l.tiles + l.cols - 1) / l.cols;
    l.cell_w = l.kw * l.f + kGapPx;
    l.cell_h = l.kh * l.f + kGapPx + kLabel;
    l.legend = !default_names(grid.names);
    l.legend_lines = l.legend ? std::min(l.outputs, kLegendCap) : 0;
    l.more_line = l.legend && l.outputs > l.legend_lines ? kLine : 0;
    // A stage's text can be kilobytes long (a kernel written out): the report has it whole.
    constexpr std::size_t kMaxTitle = 140;
    const std::string cut =
        title.size() > kMaxTitle ? title.substr(0, kMaxTitle - 3) + "..." : title;
    l.title = l.shown_outputs < l.outputs || l.shown_inputs < l.per_output
                  ? fmt::format("{}  ({} of {} outputs, {} of {} inputs shown)", cut,
                                l.shown_outputs, l.outputs, l.shown_inputs, l.per_output)
                  : cut;
    l.width = std::max(
        {2 * kMargin + l.cols * l.cell_w, 360, text_width(l.title, kTitleScale) + 2 * kMargin});
    for (int i = 0; i < l.legend_lines; ++i) {
        l.width = std::max(
            l.width, std::min(1024, text_width(fmt::format(
                                        "{}  {}", i, grid.names[static_cast<std::size_t>(i)])) +
                                        2 * kMargin));
    }
    l.bar_h = l.rgb ? kLine : 10 + kLine + 4;
    l.height = kTitle + l.rows * l.cell_h + kMargin + l.bar_h + (l.legend_lines * kLine) +
               l.more_line + kMargin;
    return l;
}

/// Every kernel's tile, numbered by its output.
void draw_tiles(figure::Canvas& p, const KernelGrid& grid, const WeightsLayout& l) {
    for (int t = 0; t < l.tiles; ++t) {
        const int o = l.per_output > 1 ? t / l.shown_inputs : t;
        const int in = l.per_output > 1 ? t % l.shown_inputs : 0;
        const int x0 = kMargin + (t % l.cols) * l.cell_w;
        const int y0 = kTitle + (t / l.cols) * l.cell_h;
        if (l.per_output == 1 || in == 0) {
            put_text(p, std::to_string(o), x0, y0 + kLabel - 2);
        }
        const auto first = static_cast<std::size_t>(o) * static_cast<std::size_t>(grid.inputs) +
                           static_cast<std::size_t>(l.rgb ? 0 : in);
        const Matrix& k = grid.kernels[first];
        // A smaller kernel is centred in its cell.
        const Origin origin{x0 + (l.kw - k.cols) / 2 * l.f,
                            y0 + kLabel + (l.kh - k.rows) / 2 * l.f};
        if (l.rgb) {
            draw_rgb(p, {&grid.kernels[first], 3}, origin, l.f);
        } else {
            draw_signed(p, k, l.m, origin, l.f);
        }
    }
}

/// The colour bar -m..m at `y` (for RGB kernels, a line saying how they are drawn).
void draw_scale(figure::Canvas& p, const WeightsLayout& l, int y) {
    if (l.rgb) {
        put_text(p,
                 "R, G, B: the kernels of input channels 0, 1, 2, each tile over its own "
                 "min..max",
                 kMargin, y + canvas::kAscent + 1);
        return;
    }
    const int bar_w = l.width - 2 * kMargin;
    std::vector<std::uint8_t> bar;
    bar.reserve(static_cast<std::size_t>(bar_w) * 3);
    for (int x = 0; x < bar_w; ++x) {
        const auto c = diverging_color(bar_w > 1 ? static_cast<double>(x) / (bar_w - 1) : 0.0);
        bar.insert(bar.end(), c.begin(), c.end());
    }
    p.image(bar.data(), bar_w, 1, kMargin, y, bar_w, 10);
    const std::string lo = fmt::format("{:.4g}", -l.m);
    const std::string hi = fmt::format("{:.4g}", l.m);
    const int baseline = y + 10 + 1 + canvas::kAscent;
    put_text(p, lo, kMargin, baseline);
    put_text(p, "0", (l.width - text_width("0")) / 2, baseline);
    put_text(p, hi, l.width - kMargin - text_width(hi), baseline);
}

/// The outputs' names at `y`, numbered as the tiles, and how many more there are.
void draw_legend(figure::Canvas& p, const KernelGrid& grid, const WeightsLayout& l, int y) {
    const int number_w = text_width(std::to_string(std::max(l.legend_lines - 1, 0)));
    for (int i = 0; i < l.legend_lines; ++i) {
        const std::string n = std::to_string(i);
        put_text(p, n, kMargin + number_w - text_width(n), y + canvas::kAscent + 1 + i * kLine);
        put_text(p, grid.names[static_cast<std::size_t>(i)], kMargin + number_w + 8,
                 y + canvas::kAscent + 1 + i * kLine);
    }
    if (l.outputs > l.legend_lines && l.legend) {
        put_text(p,
                 fmt::format("... and {} more (the report lists every name)",
                             l.outputs - l.legend_lines),
                 kMargin, y + canvas::kAscent + 1 + l.legend_lines * kLine);
    }
}

}  // namespace

Picture weights_picture(const KernelGrid& grid, const std::string& title, double png_scale) {
    const WeightsLayout l = weights_layout(grid, title);
    const auto canvas = figure::backend().raster(l.width, l.height, png_scale, {255, 255, 255});
    figure::Canvas& p = *canvas;
    put_text(p, l.title, kMargin, 18, kTitleScale);
    draw_tiles(p, grid, l);
    const int y = kTitle + l.rows * l.cell_h + kMargin;
    draw_scale(p, l, y);
    draw_legend(p, grid, l, y + l.bar_h);
    return {figure::scaled(l.width, png_scale), figure::scaled(l.height, png_scale), p.finish()};
}

}  // namespace convpool
