#pragma once
/// \file chart.hpp
/// Line charts (metric against shift, against noise level) and bar charts as pictures. Like
/// visualize.cpp, chart.cpp is an OpenCV edge file: it draws lines and text with OpenCV's imgproc;
/// nothing else about OpenCV leaves it.

#include "convpool/render/visualize.hpp"

#include <string>
#include <utility>
#include <vector>

namespace convpool {

/// One line of a chart. Points with a non-finite x or y are left out (the line breaks there).
struct ChartSeries {
    std::string label;  ///< legend text
    std::vector<double> x;
    std::vector<double> y;
    bool dashed = false;  ///< e.g. the pre-pool reference next to a pool's solid line
    int colour = -1;      ///< palette index; -1 = the series' position
    /// Error bars: when not empty, point i gets a bar from y - spread[i] to y + spread[i]
    /// (e.g. one standard deviation over a batch of images); non-finite spreads get none.
    std::vector<double> spread = {};
};

/// A line chart: title, axis labels, one line per series, a legend.
struct LineChart {
    std::string title;
    std::string x_label;
    std::string y_label;
    std::vector<ChartSeries> series;
    /// Fixed y range when lo < hi (e.g. 0..1 for fractions); otherwise fitted to the data.
    double y_lo = 0.0;
    double y_hi = 0.0;
    bool x_integer = false;  ///< x ticks only at whole numbers (e.g. shifts in pixels)
    /// Pixels per px of the picture (`--png-scale`): everything drawn again at that scale.
    double png_scale = 1.0;
};

/// The chart drawn on a white `width` x `height` px picture (times its png_scale in pixels): axes
/// with ticks at round numbers (1, 2 or 5 times a power of ten), grid lines, markers at every point
/// and the legend on the right. A chart with no finite point shows its axes and "no finite values".
[[nodiscard]] Picture render_line_chart(const LineChart& chart, int width = 720, int height = 420);

/// One group of bars: a label under it and one bar per value; `lo`/`hi`, when not empty, give
/// each bar a whisker (e.g. the smallest and largest over channels).
struct BarGroup {
    std::string label;
    std::vector<double> values;
    std::vector<double> lo = {};
    std::vector<double> hi = {};
};

/// A bar chart: groups side by side, each its own colour, bars from 0.
struct BarChart {
    std::string title;
    std::string y_label;
    std::vector<BarGroup> groups;
    /// Pixels per px of the picture (`--png-scale`): everything drawn again at that scale.
    double png_scale = 1.0;
};

/// The chart drawn on a white `width` x `height` picture: y axis with round ticks and grid
/// lines, every group's bars (non-finite values get none) and its label below.
[[nodiscard]] Picture render_bar_chart(const BarChart& chart, int width = 720, int height = 360);

/// The picture of a vector output (Cx1xN, e.g. pool:spp): one bar group per part, `cells[i]`
/// consecutive values labelled `labels[i]`; with one channel its values, with several the mean
/// over channels with a whisker from the smallest to the largest.
/// `height` px high (0: 360), as wide as 2 heights; `png_scale` pixels per px.
[[nodiscard]] Picture render_vector_chart(const Tensor& t, const std::vector<std::string>& labels,
                                          const std::vector<int>& cells, const std::string& title,
                                          double png_scale = 1.0, int height = 0);

/// The picture of a vector of scores (Cx1x1, e.g. a classifier's output): a bar chart of the
/// `top` largest values, largest first, each labelled with its channel's name (`c17`, or `17`
/// without names); NaN ranks below every value. `height` px high (0: 400), 2.4 heights wide.
[[nodiscard]] Picture render_class_chart(const Tensor& t, const std::vector<std::string>& names,
                                         const std::string& title, int top = 16,
                                         double png_scale = 1.0, int height = 0);

/// The x axis of a chart whose points all sit at one x = v: from 0 to 2v (or 2v to 0), so the
/// points stand in the middle and a non-negative quantity (one noise level) gets no negative
/// axis; [-0.5, 0.5] for v = 0.
[[nodiscard]] std::pair<double, double> single_value_axis(double v);

/// Round tick positions covering [lo, hi], about `target` of them (for the axes; exposed for
/// tests).
[[nodiscard]] std::vector<double> nice_ticks(double lo, double hi, int target);

}  // namespace convpool
