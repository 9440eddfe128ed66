// OpenCV edge file (as visualize.cpp): lines are drawn with imgproc, text through the figure
// backend (render/figure.hpp).
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
const cv::Scalar kInk(40, 40, 40);
const cv::Scalar kGrid(225, 225, 225);

/// Tableau 10 (RGB; the picture is RGB, so Scalars are written R, G, B).
constexpr std::array<std::array<int, 3>, 10> kPalette{{{31, 119, 180},
                                                       {255, 127, 14},
                                                       {44, 160, 44},
                                                       {214, 39, 40},
                                                       {148, 103, 189},
                                                       {140, 86, 75},
                                                       {227, 119, 194},
                                                       {127, 127, 127},
                                                       {188, 189, 34},
                                                       {23, 190, 207}}};

cv::Scalar palette(int i) {
    const auto& c = kPalette[static_cast<std::size_t>(i) % kPalette.size()];
    return {static_cast<double>(c[0]), static_cast<double>(c[1]), static_cast<double>(c[2])};
}

int text_width(const std::string& s, const figure::Font& font) {
    return static_cast<int>(std::ceil(figure::backend().text_width(s, font)));
}

/// `s` with its baseline at (x, y) on `m`, an RGB picture.
void put_text(cv::Mat& m, const std::string& s, int x, int y, const figure::Font& font = kSmall) {
    figure::backend().draw_text(m.data, m.cols, m.rows, x, y, s, font, {40, 40, 40});
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
void segment(cv::Mat& m, cv::Point a, cv::Point b, const cv::Scalar& colour, bool dashed) {
    if (!dashed) {
        cv::line(m, a, b, colour, 2, cv::LINE_AA);
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
        cv::line(m, at(t), at(t1), colour, 2, cv::LINE_AA);
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

/// A white RGB picture of `width` x `height`.
Picture blank_picture(int width, int height) {
    return {width, height,
            std::vector<std::uint8_t>(
                static_cast<std::size_t>(width) * static_cast<std::size_t>(height) * 3, 255)};
}

void draw_title(cv::Mat& m, const std::string& title) {
    put_text(m, title, std::max(4, (m.cols - text_width(title, kTitle)) / 2), 22, kTitle);
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
    void draw(cv::Mat& m, int left, int right, int top, int bottom) const {
        for (const double t : ticks) {
            if (t < range.lo - 1e-12 || t > range.hi + 1e-12) {
                continue;
            }
            const int y = row(t, top, bottom);
            cv::line(m, {left, y}, {right, y}, kGrid, 1);
            const std::string s = tick_text(t, step);
            put_text(m, s, left - 6 - text_width(s, kSmall), y + 5);
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

/// `label` running upwards along the left edge, centred on the plot from `top` to `bottom`.
void draw_vertical_label(cv::Mat& m, const std::string& label, int top, int bottom) {
    const int tw = text_width(label, kSmall) + 4;
    cv::Mat strip(canvas::kAscent + canvas::kDescent + 2, tw, CV_8UC3, cv::Scalar(255, 255, 255));
    put_text(strip, label, 2, canvas::kAscent + 1);
    cv::Mat rotated;
    cv::rotate(strip, rotated, cv::ROTATE_90_COUNTERCLOCKWISE);
    const int y0 = std::clamp((top + bottom - rotated.rows) / 2, 0, m.rows - rotated.rows);
    if (rotated.rows <= m.rows) {
        rotated.copyTo(m(cv::Rect(2, y0, rotated.cols, rotated.rows)));
    }
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
bool draw_series(cv::Mat& m, const ChartSeries& s, const cv::Scalar& colour, const PlotArea& a,
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
            segment(m, prev, pt, colour, s.dashed);
        }
        cv::circle(m, pt, 3, colour, cv::FILLED, cv::LINE_AA);
        if (i < s.spread.size() && std::isfinite(s.spread[i]) && s.spread[i] > 0) {
            const int y0 = row(s.y[i] - s.spread[i]);
            const int y1 = row(s.y[i] + s.spread[i]);
            cv::line(m, {pt.x, y0}, {pt.x, y1}, colour, 1, cv::LINE_AA);
            cv::line(m, {pt.x - 4, y0}, {pt.x + 4, y0}, colour, 1, cv::LINE_AA);
            cv::line(m, {pt.x - 4, y1}, {pt.x + 4, y1}, colour, 1, cv::LINE_AA);
        }
        prev = pt;
        have_prev = true;
        any_point = true;
    }
    return any_point;
}

}  // namespace

Picture render_line_chart(const LineChart& chart, int width, int height) {
    Picture p = blank_picture(width, height);
    cv::Mat m(height, width, CV_8UC3, p.rgb.data());
    const LineExtents e = line_extents(chart);
    const YAxis y(e.ys);
    const auto xticks = line_x_ticks(chart, e.xs);
    const double xstep = xticks.size() > 1 ? xticks[1] - xticks[0] : 1.0;
    const PlotArea a{.left = 30 + y.label_width,
                     .right = width - std::max(120, e.legend_width + 44),
                     .top = 36,
                     .bottom = height - 46,
                     .xs = e.xs};
    draw_title(m, chart.title);
    y.draw(m, a.left, a.right, a.top, a.bottom);
    for (const double t : xticks) {
        if (t < e.xs.lo - 1e-12 || t > e.xs.hi + 1e-12) {
            continue;
        }
        const int x = a.column(t);
        cv::line(m, {x, a.top}, {x, a.bottom}, kGrid, 1);
        cv::line(m, {x, a.bottom}, {x, a.bottom + 4}, kInk, 1);
        const std::string s = tick_text(t, xstep);
        put_text(m, s, x - text_width(s, kSmall) / 2, a.bottom + 17);
    }
    cv::rectangle(m, {a.left, a.top}, {a.right, a.bottom}, kInk, 1);
    put_text(m, chart.x_label, (a.left + a.right - text_width(chart.x_label, kSmall)) / 2,
             height - 10);
    draw_vertical_label(m, chart.y_label, a.top, a.bottom);
    bool any_point = false;
    for (std::size_t k = 0; k < chart.series.size(); ++k) {
        const auto& s = chart.series[k];
        const cv::Scalar colour = palette(s.colour >= 0 ? s.colour : static_cast<int>(k));
        any_point = draw_series(m, s, colour, a, y) || any_point;
        const int ly = a.top + 10 + static_cast<int>(k) * canvas::kLine;
        segment(m, {a.right + 10, ly}, {a.right + 34, ly}, colour, s.dashed);
        put_text(m, s.label, a.right + 40, ly + 5);
    }
    if (!any_point) {
        put_text(m, "no finite values", a.left + 10, a.top + 20);
    }
    return p;
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
    Picture p = blank_picture(width, height);
    cv::Mat m(height, width, CV_8UC3, p.rgb.data());
    const YAxis y(bar_extent(chart));
    const int left = 30 + y.label_width;
    const int right = width - 12;
    const int top = 52;  // the title, then the y label above the plot
    const int bottom = height - 40;
    const auto py = [&](double v) { return y.row(v, top, bottom); };
    draw_title(m, chart.title);
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
        const cv::Scalar colour = palette(static_cast<int>(k));
        const double first = x;
        for (std::size_t i = 0; i < g.values.size(); ++i, x += slot) {
            const int x0 = static_cast<int>(std::lround(x));
            const int x1 = static_cast<int>(std::lround(x + std::max(1.0, slot * 0.8)));
            if (std::isfinite(g.values[i])) {
                cv::rectangle(m, cv::Point(x0, py(0.0)), cv::Point(x1 - 1, py(g.values[i])), colour,
                              cv::FILLED);
                any_bar = true;
            }
            if (i < g.lo.size() && i < g.hi.size() && std::isfinite(g.lo[i]) &&
                std::isfinite(g.hi[i])) {
                const int xc = (x0 + x1) / 2;
                cv::line(m, {xc, py(g.lo[i])}, {xc, py(g.hi[i])}, kInk, 1, cv::LINE_AA);
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
    cv::line(m, {left, py(0.0)}, {right, py(0.0)}, kInk, 1);
    cv::rectangle(m, {left, top}, {right, bottom}, kInk, 1);
    if (!any_bar) {
        put_text(m, "no finite values", left + 10, top + 20);
    }
    return p;
}

Picture render_vector_chart(const Tensor& t, const std::vector<std::string>& labels,
                            const std::vector<int>& cells, const std::string& title) {
    const Shape& s = t.shape();
    BarChart chart{
        .title = title,
        .y_label = s.channels == 1
                       ? std::string("value")
                       : fmt::format("mean of {} channels (whisker: min to max)", s.channels),
        .groups = {}};
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
    return render_bar_chart(chart);
}

Picture render_class_chart(const Tensor& t, const std::vector<std::string>& names,
                           const std::string& title, int top) {
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
                   .groups = {}};
    for (std::size_t i = 0; i < shown; ++i) {
        const std::size_t c = order[i];
        chart.groups.push_back({.label = c < names.size() ? names[c] : std::to_string(c),
                                .values = {static_cast<double>(values[c])}});
    }
    return render_bar_chart(chart, 960, 400);
}

}  // namespace convpool
