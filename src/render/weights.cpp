// OpenCV edge file (as visualize.cpp): kernels are drawn with imgproc, text through the figure
// backend (render/figure.hpp).
#include "convpool/render/weights.hpp"

#include <fmt/format.h>
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <span>
#include <string>

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

/// Diverging colour of v in [-m, m] (m > 0), as RGB.
cv::Vec3b diverging_rgb(double v, double m) {
    const auto c = diverging_color(m > 0 ? (v / m + 1.0) / 2.0 : 0.5);
    return {c[0], c[1], c[2]};
}

std::uint8_t byte_of(double t) {
    return static_cast<std::uint8_t>(std::lround(std::clamp(t, 0.0, 1.0) * 255.0));
}

/// `s` with its baseline at (x, y) on `m`, an RGB picture.
void put_text(cv::Mat& m, const std::string& s, int x, int y, const figure::Font& font = kSmall) {
    figure::backend().draw_text(m.data, m.cols, m.rows, x, y, s, font, {40, 40, 40});
}

int text_width(const std::string& s, const figure::Font& font = kSmall) {
    return static_cast<int>(std::ceil(figure::backend().text_width(s, font)));
}

/// Fills the f x f block of kernel cell (y, x) at the tile's origin.
void block(cv::Mat& m, int x0, int y0, int f, const cv::Vec3b& c) {
    cv::rectangle(m, cv::Rect(x0, y0, f, f), cv::Scalar(c[0], c[1], c[2]), cv::FILLED);
}

/// One kernel in the diverging map over [-m, m], each cell an f x f block from `origin`.
void draw_signed(cv::Mat& p, const Matrix& k, double m, cv::Point origin, int f) {
    std::size_t at = 0;
    for (int y = 0; y < k.rows; ++y) {
        for (int x = 0; x < k.cols; ++x) {
            block(p, origin.x + x * f, origin.y + y * f, f,
                  diverging_rgb(static_cast<double>(k.values[at++]), m));
        }
    }
}

/// Three kernels of one size as R, G, B over their own min..max, as draw_signed draws.
void draw_rgb(cv::Mat& p, std::span<const Matrix> rgb, cv::Point origin, int f) {
    auto lo = static_cast<double>(rgb[0].values.front());
    double hi = lo;
    for (const auto& k : rgb) {
        for (const float v : k.values) {
            lo = std::min(lo, static_cast<double>(v));
            hi = std::max(hi, static_cast<double>(v));
        }
    }
    std::size_t at = 0;
    for (int y = 0; y < rgb[0].rows; ++y) {
        for (int x = 0; x < rgb[0].cols; ++x) {
            cv::Vec3b c;
            for (int ch = 0; ch < 3; ++ch) {
                const auto v = static_cast<double>(rgb[static_cast<std::size_t>(ch)].values[at]);
                c[ch] = byte_of(hi > lo ? (v - lo) / (hi - lo) : 0.5);
            }
            ++at;
            block(p, origin.x + x * f, origin.y + y * f, f, c);
        }
    }
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

Picture weights_picture(const KernelGrid& grid, const std::string& title) {
    const bool rgb = grid.inputs == 3;
    const int outputs = static_cast<int>(grid.names.size());
    int kh = 1;
    int kw = 1;
    double m = 0.0;
    for (const auto& k : grid.kernels) {
        kh = std::max(kh, k.rows);
        kw = std::max(kw, k.cols);
        for (const float v : k.values) {
            m = std::max(m, std::fabs(static_cast<double>(v)));
        }
    }
    const int f = std::clamp((kMinTile + std::max(kh, kw) - 1) / std::max(kh, kw), 1, 16);
    // Tiles: one per output (RGB or single input), square grid; or a row per output.
    const int per_output = rgb ? 1 : grid.inputs;
    const int shown_outputs = std::min(outputs, per_output > 1 ? kMaxTiles : kMaxTiles * kMaxTiles);
    const int shown_inputs = std::min(per_output, kMaxTiles);
    const int tiles = shown_outputs * shown_inputs;
    const int cols = per_output > 1
                         ? shown_inputs
                         : static_cast<int>(std::ceil(std::sqrt(static_cast<double>(tiles))));
    const int rows = (tiles + cols - 1) / cols;
    const int cell_w = kw * f + kGapPx;
    const int cell_h = kh * f + kGapPx + kLabel;
    const bool legend = !default_names(grid.names);
    const int legend_lines = legend ? std::min(outputs, kLegendCap) : 0;
    const int more_line = legend && outputs > legend_lines ? kLine : 0;
    // A stage's text can be kilobytes long (a kernel written out): the report has it whole.
    constexpr std::size_t kMaxTitle = 140;
    const std::string cut =
        title.size() > kMaxTitle ? title.substr(0, kMaxTitle - 3) + "..." : title;
    const std::string full_title =
        shown_outputs < outputs || shown_inputs < per_output
            ? fmt::format("{}  ({} of {} outputs, {} of {} inputs shown)", cut, shown_outputs,
                          outputs, shown_inputs, per_output)
            : cut;
    int width = std::max(
        {2 * kMargin + cols * cell_w, 360, text_width(full_title, kTitleScale) + 2 * kMargin});
    for (int i = 0; i < legend_lines; ++i) {
        width = std::max(
            width, std::min(1024, text_width(fmt::format("{}  {}", i,
                                                         grid.names[static_cast<std::size_t>(i)])) +
                                      2 * kMargin));
    }
    const int bar_h = rgb ? kLine : 10 + kLine + 4;
    const int height =
        kTitle + rows * cell_h + kMargin + bar_h + (legend_lines * kLine) + more_line + kMargin;
    cv::Mat p(height, width, CV_8UC3, cv::Scalar(255, 255, 255));
    put_text(p, full_title, kMargin, 18, kTitleScale);
    for (int t = 0; t < tiles; ++t) {
        const int o = per_output > 1 ? t / shown_inputs : t;
        const int in = per_output > 1 ? t % shown_inputs : 0;
        const int x0 = kMargin + (t % cols) * cell_w;
        const int y0 = kTitle + (t / cols) * cell_h;
        if (per_output == 1 || in == 0) {
            put_text(p, std::to_string(o), x0, y0 + kLabel - 2);
        }
        const auto first = static_cast<std::size_t>(o) * static_cast<std::size_t>(grid.inputs) +
                           static_cast<std::size_t>(rgb ? 0 : in);
        const Matrix& k = grid.kernels[first];
        // A smaller kernel is centred in its cell.
        const cv::Point origin{x0 + (kw - k.cols) / 2 * f, y0 + kLabel + (kh - k.rows) / 2 * f};
        if (rgb) {
            draw_rgb(p, {&grid.kernels[first], 3}, origin, f);
        } else {
            draw_signed(p, k, m, origin, f);
        }
    }
    int y = kTitle + rows * cell_h + kMargin;
    if (rgb) {
        put_text(p,
                 "R, G, B: the kernels of input channels 0, 1, 2, each tile over its own "
                 "min..max",
                 kMargin, y + canvas::kAscent + 1);
    } else {
        const int bar_w = width - 2 * kMargin;
        for (int x = 0; x < bar_w; ++x) {
            const double pos = bar_w > 1 ? static_cast<double>(x) / (bar_w - 1) : 0.0;
            const auto c = diverging_color(pos);
            cv::line(p, {kMargin + x, y}, {kMargin + x, y + 9}, cv::Scalar(c[0], c[1], c[2]));
        }
        const std::string lo = fmt::format("{:.4g}", -m);
        const std::string hi = fmt::format("{:.4g}", m);
        const int baseline = y + 10 + 1 + canvas::kAscent;
        put_text(p, lo, kMargin, baseline);
        put_text(p, "0", (width - text_width("0")) / 2, baseline);
        put_text(p, hi, width - kMargin - text_width(hi), baseline);
    }
    y += bar_h;
    const int number_w = text_width(std::to_string(std::max(legend_lines - 1, 0)));
    for (int i = 0; i < legend_lines; ++i) {
        const std::string n = std::to_string(i);
        put_text(p, n, kMargin + number_w - text_width(n), y + canvas::kAscent + 1 + i * kLine);
        put_text(p, grid.names[static_cast<std::size_t>(i)], kMargin + number_w + 8,
                 y + canvas::kAscent + 1 + i * kLine);
    }
    if (outputs > legend_lines && legend) {
        put_text(
            p, fmt::format("... and {} more (the report lists every name)", outputs - legend_lines),
            kMargin, y + canvas::kAscent + 1 + legend_lines * kLine);
    }
    Picture out{width, height, {}};
    out.rgb.assign(p.data, p.data + static_cast<std::ptrdiff_t>(p.total() * 3));
    return out;
}

}  // namespace convpool
