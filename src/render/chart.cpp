// OpenCV edge file (as visualize.cpp): charts are drawn on a canvas of the figure backend
// (render/figure.hpp: lines, markers and text at the chart's scale, sharp at every --png-scale);
// imgproc only turns the y label upright.
#include "convpool/render/chart.hpp"

#include <fmt/format.h>
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <limits>
#include <numeric>
#include <string>
#include <tuple>

#include "render/draw.hpp"
#include "render/figure.hpp"

namespace convpool {
namespace {

/// Labels and ticks, and the title (render/figure.hpp's backend: DejaVu Sans or Hershey).
constexpr figure::Font kSmall{canvas::kTextPx, false};
constexpr figure::Font kTitle{16.0, true};
using figure::Rgb;
constexpr Rgb kInk{40, 40, 40};
constexpr Rgb kGrid{225, 225, 225};
constexpr Rgb kPaper{255, 255, 255};

/// Okabe and Ito's colour-blind-safe palette (RGB; its yellow, weak on white, left out, black
/// last): lines told apart with the common colour-vision deficiencies, unlike Tableau 10's
/// red and green.
constexpr std::array<std::array<int, 3>, 7> kPalette{{{0, 114, 178},
                                                      {230, 159, 0},
                                                      {0, 158, 115},
                                                      {213, 94, 0},
                                                      {204, 121, 167},
                                                      {86, 180, 233},
                                                      {0, 0, 0}}};

Rgb palette(int i) {
    const auto& c = kPalette[static_cast<std::size_t>(i) % kPalette.size()];
    return {static_cast<std::uint8_t>(c[0]), static_cast<std::uint8_t>(c[1]),
            static_cast<std::uint8_t>(c[2])};
}

int text_width(const std::string& s, const figure::Font& font) {
    return static_cast<int>(std::ceil(figure::backend().text_width(s, font)));
}

/// `s` with its baseline at (x, y) on `c`.
void put_text(figure::Canvas& c, const std::string& s, int x, int y,
              const figure::Font& font = kSmall) {
    c.text(x, y, s, font, kInk);
}

/// A 1 px line along the pixel row or column starting at (x0, y0) (through its middle, so that
/// it stays one pixel wide at scale 1).
void hairline(figure::Canvas& c, int x0, int y0, int x1, int y1, Rgb colour) {
    c.line(x0 + 0.5, y0 + 0.5, x1 + 0.5, y1 + 0.5, colour, 1.0);
}

std::string tick_text(double v, double step) {
    if (v == 0.0) {
        return "0";
    }
    // A zero or non-finite step (a flat axis) has no digits of its own: at most 6, as below. The
    // clamp comes before the conversion (log10(0) is -inf, which no int holds).
    const double digits =
        step > 0.0 && std::isfinite(step) ? std::ceil(-std::log10(step) - 1e-9) : 6.0;
    const int decimals = step >= 1.0 ? 0 : static_cast<int>(std::clamp(digits, 0.0, 6.0));
    return fmt::format("{:.{}f}", v, decimals);
}

/// A dashed or solid segment.
void segment(figure::Canvas& c, cv::Point a, cv::Point b, Rgb colour, bool dashed) {
    if (!dashed) {
        c.line(a.x, a.y, b.x, b.y, colour, 2.0);
        return;
    }
    const double len = std::hypot(b.x - a.x, b.y - a.y);
    constexpr double kDash = 7.0;
    for (int dash = 0; 2 * kDash * dash < len; ++dash) {
        const double t = 2 * kDash * dash;
        const double t1 = std::min(len, t + kDash);
        const auto at = [&](double s) {
            return cv::Point(static_cast<int>(std::lround(a.x + (b.x - a.x) * s / len)),
                             static_cast<int>(std::lround(a.y + (b.y - a.y) * s / len)));
        };
        const cv::Point p0 = at(t);
        const cv::Point p1 = at(t1);
        c.line(p0.x, p0.y, p1.x, p1.y, colour, 2.0);
    }
}

struct Extent {
    double lo = std::numeric_limits<double>::infinity();
    double hi = -std::numeric_limits<double>::infinity();
    void add(double v) {
        lo = std::min(lo, v);
        hi = std::max(hi, v);
    }
    [[nodiscard]] bool any() const { return lo <= hi; }
};

}  // namespace

std::vector<double> nice_ticks(double lo, double hi, int target) {
    if (!(hi > lo) || target < 1) {
        return {lo};
    }
    const double raw = (hi - lo) / target;
    const double mag = std::pow(10.0, std::floor(std::log10(raw)));
    double step = mag;
    for (const double f : {1.0, 2.0, 5.0, 10.0}) {
        step = f * mag;
        if (step >= raw) {
            break;
        }
    }
    std::vector<double> ticks;
    const double first = std::ceil(lo / step - 1e-9) * step;
    for (int i = 0; first + step * i <= hi + step * 1e-9; ++i) {
        const double v = first + step * i;
        ticks.push_back(std::abs(v) < step * 1e-9 ? 0.0 : v);
    }
    return ticks;
}

std::pair<double, double> single_value_axis(double v) {
    if (v > 0) {
        return {0.0, 2.0 * v};
    }
    if (v < 0) {
        return {2.0 * v, 0.0};
    }
    return {-0.5, 0.5};
}

namespace {

/// The chart's picture: the canvas's pixels, `width` x `height` px at `scale` pixels per px.
Picture chart_picture(figure::Canvas& c, int width, int height, double scale) {
    return {figure::scaled(width, scale), figure::scaled(height, scale), c.finish()};
}

/// The title, bold and centred; one too long for that in the labels' size, cut to the width.
void draw_title(figure::Canvas& c, int width, const std::string& title) {
    const int room = width - 8;
    if (text_width(title, kTitle) <= room) {
        put_text(c, title, (width - text_width(title, kTitle)) / 2, 22, kTitle);
        return;
    }
    put_text(c, canvas::fit_text(title, room), 4, 22, kSmall);
}

/// The y axis of a chart over `range`: its ticks, and how wide their labels are.
struct YAxis {
    Extent range;
    std::vector<double> ticks;
    double step = 1.0;
    int label_width = 0;

    explicit YAxis(const Extent& ys)
        : range(ys),
          ticks(nice_ticks(ys.lo, ys.hi, 6)),
          step(ticks.size() > 1 ? ticks[1] - ticks[0] : 1.0) {
        for (const double t : ticks) {
            label_width = std::max(label_width, text_width(tick_text(t, step), kSmall));
        }
    }

    /// The pixel row of `y` on a plot from `top` to `bottom`.
    [[nodiscard]] int row(double y, int top, int bottom) const {
        return static_cast<int>(
            std::lround(bottom - (y - range.lo) / (range.hi - range.lo) * (bottom - top)));
    }

    /// A grid line and a label left of `left` at every tick within the range.
    void draw(figure::Canvas& c, int left, int right, int top, int bottom) const {
        for (const double t : ticks) {
            if (t < range.lo - 1e-12 || t > range.hi + 1e-12) {
                continue;
            }
            const int y = row(t, top, bottom);
            hairline(c, left, y, right, y, kGrid);
            const std::string s = tick_text(t, step);
            put_text(c, s, left - 6 - text_width(s, kSmall), y + 5);
        }
    }
};

/// The x and y ranges of a line chart's finite points (with their spreads; y padded by 5 %
/// unless the chart fixes it), and the width of its widest legend label.
struct LineExtents {
    Extent xs;
    Extent ys;
    int legend_width = 0;
};

LineExtents line_extents(const LineChart& chart) {
    LineExtents e;
    for (const auto& s : chart.series) {
        for (std::size_t i = 0; i < s.x.size() && i < s.y.size(); ++i) {
            if (std::isfinite(s.x[i]) && std::isfinite(s.y[i])) {
                e.xs.add(s.x[i]);
                e.ys.add(s.y[i]);
                if (i < s.spread.size() && std::isfinite(s.spread[i])) {
                    e.ys.add(s.y[i] - s.spread[i]);
                    e.ys.add(s.y[i] + s.spread[i]);
                }
            }
        }
        e.legend_width = std::max(e.legend_width, text_width(s.label, kSmall));
    }
    const bool fixed_y = chart.y_lo < chart.y_hi;
    if (fixed_y) {
        e.ys.lo = chart.y_lo;
        e.ys.hi = chart.y_hi;
    }
    if (!e.xs.any()) {
        e.xs = {0.0, 1.0};
        e.ys = {0.0, 1.0};
    }
    if (!(e.xs.hi > e.xs.lo)) {
        std::tie(e.xs.lo, e.xs.hi) = single_value_axis(e.xs.lo);
    }
    if (!(e.ys.hi > e.ys.lo)) {
        const double pad = std::max(1e-6, std::abs(e.ys.lo) * 0.05);
        e.ys.lo -= pad;
        e.ys.hi += pad;
    } else if (!fixed_y) {
        const double pad = (e.ys.hi - e.ys.lo) * 0.05;
        e.ys.lo -= pad;
        e.ys.hi += pad;
    }
    return e;
}

/// The x ticks of a line chart: nice ones, or every integer when the x values are counts.
std::vector<double> line_x_ticks(const LineChart& chart, const Extent& xs) {
    auto ticks = nice_ticks(xs.lo, xs.hi, 8);
    if (chart.x_integer && ticks.size() > 1 && ticks[1] - ticks[0] < 1.0) {
        ticks.clear();
        const double first = std::ceil(xs.lo);
        for (int i = 0; first + i <= xs.hi; ++i) {
            ticks.push_back(first + i);
        }
    }
    return ticks;
}

/// `label` running upwards along the left edge of a chart `height` px high, centred on the plot
/// from `top` to `bottom`: written on a strip at the chart's scale, turned, drawn pixel for pixel.
void draw_vertical_label(figure::Canvas& c, const std::string& label, int top, int bottom,
                         int height, double scale) {
    const int tw = text_width(label, kSmall) + 4;
    const int th = canvas::kAscent + canvas::kDescent + 2;
    if (tw > height) {
        return;
    }
    const auto strip = figure::backend().raster(tw, th, scale, kPaper);
    put_text(*strip, label, 2, canvas::kAscent + 1);
    std::vector<std::uint8_t> pixels = strip->finish();
    const cv::Mat flat(figure::scaled(th, scale), figure::scaled(tw, scale), CV_8UC3,
                       pixels.data());
    cv::Mat rotated;
    cv::rotate(flat, rotated, cv::ROTATE_90_COUNTERCLOCKWISE);
    const int y0 = std::clamp((top + bottom - tw) / 2, 0, height - tw);
    c.image(rotated.data, rotated.cols, rotated.rows, 2, y0, th, tw);
}

/// The plot area of a chart in pixels, and the mapping of x values onto it.
struct PlotArea {
    int left = 0;
    int right = 0;
    int top = 0;
    int bottom = 0;
    Extent xs;
    [[nodiscard]] int column(double x) const {
        return static_cast<int>(std::lround(left + (x - xs.lo) / (xs.hi - xs.lo) * (right - left)));
    }
};

/// One series: its segments, points and spread whiskers on the plot. True when a point was
/// drawn.
bool draw_series(figure::Canvas& c, const ChartSeries& s, Rgb colour, const PlotArea& a,
                 const YAxis& y) {
    bool any_point = false;
    bool have_prev = false;
    cv::Point prev;
    const Extent& ys = y.range;
    const auto row = [&](double v) { return y.row(std::clamp(v, ys.lo, ys.hi), a.top, a.bottom); };
    for (std::size_t i = 0; i < s.x.size() && i < s.y.size(); ++i) {
        if (!std::isfinite(s.x[i]) || !std::isfinite(s.y[i])) {
            have_prev = false;
            continue;
        }
        const cv::Point pt(a.column(s.x[i]), row(s.y[i]));
        if (have_prev) {
            segment(c, prev, pt, colour, s.dashed);
        }
        c.circle(pt.x, pt.y, 1.5, colour, 3.0);  // a disc of radius 3
        if (i < s.spread.size() && std::isfinite(s.spread[i]) && s.spread[i] > 0) {
            const int y0 = row(s.y[i] - s.spread[i]);
            const int y1 = row(s.y[i] + s.spread[i]);
            hairline(c, pt.x, y0, pt.x, y1, colour);
            hairline(c, pt.x - 4, y0, pt.x + 4, y0, colour);
            hairline(c, pt.x - 4, y1, pt.x + 4, y1, colour);
        }
        prev = pt;
        have_prev = true;
        any_point = true;
    }
    return any_point;
}

}  // namespace

Picture render_line_chart(const LineChart& chart, int width, int height) {
    const auto canvas = figure::backend().raster(width, height, chart.png_scale, kPaper);
    figure::Canvas& m = *canvas;
    const LineExtents e = line_extents(chart);
    const YAxis y(e.ys);
    const auto xticks = line_x_ticks(chart, e.xs);
    const double xstep = xticks.size() > 1 ? xticks[1] - xticks[0] : 1.0;
    const PlotArea a{.left = 30 + y.label_width,
                     .right = width - std::max(120, e.legend_width + 44),
                     .top = 36,
                     .bottom = height - 46,
                     .xs = e.xs};
    draw_title(m, width, chart.title);
    y.draw(m, a.left, a.right, a.top, a.bottom);
    for (const double t : xticks) {
        if (t < e.xs.lo - 1e-12 || t > e.xs.hi + 1e-12) {
            continue;
        }
        const int x = a.column(t);
        hairline(m, x, a.top, x, a.bottom, kGrid);
        hairline(m, x, a.bottom, x, a.bottom + 4, kInk);
        const std::string s = tick_text(t, xstep);
        put_text(m, s, x - text_width(s, kSmall) / 2, a.bottom + 17);
    }
    m.stroke_rect(a.left + 0.5, a.top + 0.5, a.right - a.left, a.bottom - a.top, kInk, 1.0, false);
    put_text(m, chart.x_label, (a.left + a.right - text_width(chart.x_label, kSmall)) / 2,
             height - 10);
    draw_vertical_label(m, chart.y_label, a.top, a.bottom, height, chart.png_scale);
    bool any_point = false;
    for (std::size_t k = 0; k < chart.series.size(); ++k) {
        const auto& s = chart.series[k];
        const Rgb colour = palette(s.colour >= 0 ? s.colour : static_cast<int>(k));
        any_point = draw_series(m, s, colour, a, y) || any_point;
        const int ly = a.top + 10 + static_cast<int>(k) * canvas::kLine;
        segment(m, {a.right + 10, ly}, {a.right + 34, ly}, colour, s.dashed);
        put_text(m, s.label, a.right + 40, ly + 5);
    }
    if (!any_point) {
        put_text(m, "no finite values", a.left + 10, a.top + 20);
    }
    return chart_picture(m, width, height, chart.png_scale);
}

namespace {

/// The y range of a bar chart: every finite value, whisker and 0, padded by 5 %.
Extent bar_extent(const BarChart& chart) {
    Extent ys;
    ys.add(0.0);
    for (const auto& g : chart.groups) {
        for (const auto* list : {&g.values, &g.lo, &g.hi}) {
            for (const double v : *list) {
                if (std::isfinite(v)) {
                    ys.add(v);
                }
            }
        }
    }
    const double pad = ys.hi > ys.lo ? (ys.hi - ys.lo) * 0.05 : 1.0;
    ys.lo = ys.lo < 0.0 ? ys.lo - pad : ys.lo;
    ys.hi += pad;
    return ys;
}

}  // namespace

Picture render_bar_chart(const BarChart& chart, int width, int height) {
    const auto canvas = figure::backend().raster(width, height, chart.png_scale, kPaper);
    figure::Canvas& m = *canvas;
    const YAxis y(bar_extent(chart));
    const int left = 30 + y.label_width;
    const int right = width - 12;
    const int top = 52;  // the title, then the y label above the plot
    const int bottom = height - 40;
    const auto py = [&](double v) { return y.row(v, top, bottom); };
    draw_title(m, width, chart.title);
    y.draw(m, left, right, top, bottom);
    put_text(m, chart.y_label, 4, top - 8);
    // Slots: one per bar, one empty slot between groups.
    std::size_t slots = 0;
    for (const auto& g : chart.groups) {
        slots += g.values.size() + 1;
    }
    const double slot =
        static_cast<double>(right - left) / static_cast<double>(std::max<std::size_t>(slots, 1));
    double x = left + slot / 2;
    bool any_bar = false;
    for (std::size_t k = 0; k < chart.groups.size(); ++k) {
        const BarGroup& g = chart.groups[k];
        const Rgb colour = palette(static_cast<int>(k));
        const double first = x;
        for (std::size_t i = 0; i < g.values.size(); ++i, x += slot) {
            const int x0 = static_cast<int>(std::lround(x));
            const int x1 = static_cast<int>(std::lround(x + std::max(1.0, slot * 0.8)));
            if (std::isfinite(g.values[i])) {
                const int y0 = std::min(py(0.0), py(g.values[i]));
                const int y1 = std::max(py(0.0), py(g.values[i]));
                m.fill_rect(x0, y0, x1 - x0, y1 - y0 + 1, colour);
                any_bar = true;
            }
            if (i < g.lo.size() && i < g.hi.size() && std::isfinite(g.lo[i]) &&
                std::isfinite(g.hi[i])) {
                const int xc = (x0 + x1) / 2;
                hairline(m, xc, py(g.lo[i]), xc, py(g.hi[i]), kInk);
            }
        }
        // The label fits its group's slots: labels never run into each other.
        const std::string label =
            canvas::fit_text(g.label, static_cast<int>(std::floor(x - first + slot * 0.8)));
        const int label_x =
            static_cast<int>(std::lround((first + x) / 2)) - text_width(label, kSmall) / 2;
        put_text(m, label, std::max(left, label_x), bottom + 18);
        x += slot;
    }
    hairline(m, left, py(0.0), right, py(0.0), kInk);
    m.stroke_rect(left + 0.5, top + 0.5, right - left, bottom - top, kInk, 1.0, false);
    if (!any_bar) {
        put_text(m, "no finite values", left + 10, top + 20);
    }
    return chart_picture(m, width, height, chart.png_scale);
}

Picture render_vector_chart(const Tensor& t, const std::vector<std::string>& labels,
                            const std::vector<int>& cells, const std::string& title,
                            double png_scale, int height) {
    const Shape& s = t.shape();
    BarChart chart{
        .title = title,
        .y_label = s.channels == 1
                       ? std::string("value")
                       : fmt::format("mean of {} channels (whisker: min to max)", s.channels),
        .groups = {},
        .png_scale = png_scale};
    std::size_t x = 0;
    for (std::size_t part = 0; part < labels.size() && part < cells.size(); ++part) {
        BarGroup g{.label = labels[part]};
        for (int i = 0; i < cells[part] && x < static_cast<std::size_t>(s.width); ++i, ++x) {
            double sum = 0.0;
            double lo = std::numeric_limits<double>::infinity();
            double hi = -lo;
            for (int c = 0; c < s.channels; ++c) {
                const auto v = static_cast<double>(t.channel(c)[x]);
                sum += v;
                lo = std::min(lo, v);
                hi = std::max(hi, v);
            }
            g.values.push_back(sum / s.channels);
            if (s.channels > 1) {
                g.lo.push_back(lo);
                g.hi.push_back(hi);
            }
        }
        chart.groups.push_back(std::move(g));
    }
    const int h = height > 0 ? height : 360;
    return render_bar_chart(chart, 2 * h, h);
}

Picture render_class_chart(const Tensor& t, const std::vector<std::string>& names,
                           const std::string& title, int top, double png_scale, int height) {
    const auto values = t.data();
    std::vector<std::size_t> order(values.size());
    std::iota(order.begin(), order.end(), std::size_t{0});
    const auto rank = [&values](std::size_t a, std::size_t b) {
        const float va = values[a];
        const float vb = values[b];
        if (std::isnan(vb)) {
            return !std::isnan(va);
        }
        return va > vb;
    };
    const std::size_t shown = std::min(order.size(), static_cast<std::size_t>(std::max(1, top)));
    std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(shown),
                      order.end(), rank);
    BarChart chart{.title = title,
                   .y_label = fmt::format("the {} largest of {} values", shown, values.size()),
                   .groups = {},
                   .png_scale = png_scale};
    for (std::size_t i = 0; i < shown; ++i) {
        const std::size_t c = order[i];
        chart.groups.push_back({.label = c < names.size() ? names[c] : std::to_string(c),
                                .values = {static_cast<double>(values[c])}});
    }
    const int h = height > 0 ? height : 400;
    return render_bar_chart(chart, h * 12 / 5, h);
}

}  // namespace convpool
