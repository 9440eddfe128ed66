#include "convpool/render/zoom.hpp"

#include "convpool/core/error.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <optional>
#include <system_error>

#include "render/picture_layout.hpp"

namespace convpool {
namespace {

/// What one stage does to one axis: the windows it declares, or nothing (scaled with the map).
struct AxisMap {
    int in = 1;
    int out = 1;
    const AxisPlan* taps = nullptr;  ///< pools (Op::windows)
    const Axis* window = nullptr;    ///< convolutions (Op::correlation)

    /// Twice the centre of the input cells output cell `o` reads (unset: it reads none).
    [[nodiscard]] std::optional<long long> centre2(int o) const {
        if (taps != nullptr) {
            const AxisTaps& t = taps->taps[static_cast<std::size_t>(o)];
            if (t.count == 0) {
                return std::nullopt;
            }
            return 2LL * t.first + static_cast<long long>(t.count - 1) * taps->step;
        }
        if (window != nullptr) {
            return 2LL * (static_cast<long long>(o) * window->stride - window->pad_begin) +
                   static_cast<long long>(window->dilation) * (window->kernel - 1);
        }
        return std::nullopt;
    }

    /// The output cells of input cells [a, b).
    [[nodiscard]] std::pair<int, int> forward(int a, int b) const {
        int lo = out;
        int hi = 0;
        if (taps != nullptr || window != nullptr) {
            for (int o = 0; o < out; ++o) {
                const auto c = centre2(o);
                if (c && *c >= 2LL * a && *c < 2LL * b) {
                    lo = std::min(lo, o);
                    hi = std::max(hi, o + 1);
                }
            }
        } else {
            lo = static_cast<int>(static_cast<long long>(a) * out / in);
            hi = static_cast<int>((static_cast<long long>(b) * out + in - 1) / in);
        }
        lo = std::clamp(lo, 0, out);
        hi = std::clamp(hi, 0, out);
        return hi > lo ? std::pair{lo, hi} : std::pair{0, out};  // nothing: the whole axis
    }

    /// The input position output position `p` is centred on.
    [[nodiscard]] double back(double p) const {
        const int o = std::clamp(static_cast<int>(std::lround(p)), 0, out - 1);
        const auto c = centre2(o);
        const double v = c ? static_cast<double>(*c) / 2.0 : (p + 0.5) * in / out - 0.5;
        return std::clamp(v, 0.0, static_cast<double>(in - 1));
    }
};

/// The declarations of one stage on input `in` with output `out`, kept alive for its AxisMaps.
struct StageMap {
    std::optional<WindowPlans> plans;
    std::optional<Correlation> corr;
    AxisMap rows;
    AxisMap cols;

    StageMap(const Stage& stage, const Shape& in, const Shape& out)
        : plans(stage.op->windows(in)), corr(plans ? std::nullopt : stage.op->correlation(in)) {
        rows = {in.height, out.height, nullptr, nullptr};
        cols = {in.width, out.width, nullptr, nullptr};
        if (plans && plans->rows.taps.size() == static_cast<std::size_t>(out.height) &&
            plans->cols.taps.size() == static_cast<std::size_t>(out.width)) {
            rows.taps = &plans->rows;
            cols.taps = &plans->cols;
        } else if (corr) {
            rows.window = &corr->window.rows;
            cols.window = &corr->window.cols;
        }
    }
};

[[noreturn]] void throw_bad_zoom(std::string_view text) {
    throw UsageError(
        fmt::format("--zoom: expected Y,X,HxW (first row, first column, height x width in input "
                    "cells, e.g. 100,200,256x256), got '{}'",
                    text));
}

/// One whole number of `--zoom` (`whole`, for the message), at least 0.
int parse_int(std::string_view s, std::string_view whole) {
    int v = 0;
    const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (s.empty() || ec != std::errc() || ptr != s.data() + s.size() || v < 0) {
        throw_bad_zoom(whole);
    }
    return v;
}

}  // namespace

CellRegion parse_zoom(std::string_view text) {
    const auto c1 = text.find(',');
    const auto c2 = c1 == std::string_view::npos ? c1 : text.find(',', c1 + 1);
    const auto x = c2 == std::string_view::npos ? c2 : text.find('x', c2 + 1);
    if (x == std::string_view::npos) {
        throw_bad_zoom(text);
    }
    const CellRegion r{
        parse_int(text.substr(0, c1), text), parse_int(text.substr(c1 + 1, c2 - c1 - 1), text),
        parse_int(text.substr(c2 + 1, x - c2 - 1), text), parse_int(text.substr(x + 1), text)};
    if (r.h < 1 || r.w < 1) {
        throw UsageError(
            fmt::format("--zoom: the region must be at least 1x1 cells, got '{}'", text));
    }
    return r;
}

std::vector<CellRegion> zoom_regions(const Pipeline& pipeline, const std::vector<Shape>& shapes,
                                     const CellRegion& input) {
    std::vector<CellRegion> regions{input};
    const auto& stages = pipeline.stages();
    for (std::size_t k = 0; k < stages.size() && k + 1 < shapes.size(); ++k) {
        const StageMap m(stages[k], shapes[k], shapes[k + 1]);
        const CellRegion& r = regions.back();
        const auto [y0, y1] = m.rows.forward(r.y, r.y + r.h);
        const auto [x0, x1] = m.cols.forward(r.x, r.x + r.w);
        regions.push_back({y0, x0, y1 - y0, x1 - x0});
    }
    return regions;
}

CellRegion zoom_focus(const Pipeline& pipeline, const std::vector<Shape>& shapes,
                      const Tensor& final_values) {
    const Shape& s = final_values.shape();
    const auto v = final_values.data();
    std::size_t best = 0;
    float best_mag = -1.0F;
    for (std::size_t i = 0; i < v.size(); ++i) {
        const float m = std::fabs(v[i]);
        if (std::isfinite(m) && m > best_mag) {
            best_mag = m;
            best = i;
        }
    }
    const auto plane = static_cast<std::size_t>(s.height) * static_cast<std::size_t>(s.width);
    const std::size_t row = best % plane / static_cast<std::size_t>(s.width);
    const std::size_t col = best % plane % static_cast<std::size_t>(s.width);
    auto py = static_cast<double>(row);
    auto px = static_cast<double>(col);
    const auto& stages = pipeline.stages();
    for (std::size_t k = std::min(stages.size(), shapes.size() - 1); k-- > 0;) {
        const StageMap m(stages[k], shapes[k], shapes[k + 1]);
        py = m.rows.back(py);
        px = m.cols.back(px);
    }
    const Shape& in = shapes.front();
    const int h = std::min(kZoomCells, in.height);
    const int w = std::min(kZoomCells, in.width);
    return {std::clamp(static_cast<int>(std::lround(py)) - h / 2, 0, in.height - h),
            std::clamp(static_cast<int>(std::lround(px)) - w / 2, 0, in.width - w), h, w};
}

std::vector<CellRegion> plan_zooms(const Pipeline& pipeline, const std::vector<Shape>& shapes,
                                   const Tensor& input, const RenderOptions& render,
                                   const std::optional<CellRegion>& given) {
    bool reduced = false;
    for (std::size_t k = 0; k < shapes.size(); ++k) {
        reduced = reduced ||
                  picture_reduces(
                      shapes[k], k == 0 ? PictureKind::natural : PictureKind::feature_maps, render);
    }
    if (!reduced) {
        return {};
    }
    const Shape& in = shapes.front();
    CellRegion region;
    if (given) {
        region = *given;
        if (region.y >= in.height || region.x >= in.width) {
            throw InputError(fmt::format("--zoom {},{},{}x{} starts outside the {}x{} input",
                                         region.y, region.x, region.h, region.w, in.height,
                                         in.width));
        }
        region.h = std::min(region.h, in.height - region.y);
        region.w = std::min(region.w, in.width - region.x);
    } else {
        // The input is only read: no copy of it (a 48 MP RGB photo is 576 MB of floats).
        const Tensor final_values = pipeline.run_final(input, true);
        region = zoom_focus(pipeline, shapes, final_values);
    }
    return zoom_regions(pipeline, shapes, region);
}

Picture zoom_picture(const Tensor& t, PictureKind kind, const CellRegion& r,
                     const std::string& title, const RenderOptions& options) {
    const Shape& s = t.shape();
    // Only the channels the picture shows are copied (a 6000-channel stage shows 4096 or fewer).
    const bool natural = kind == PictureKind::natural && (s.channels == 1 || s.channels == 3);
    const int channels =
        detail::layout(Shape{s.channels, r.h, r.w}, natural, options.columns).shown;
    std::vector<float> values;
    values.reserve(static_cast<std::size_t>(channels) * static_cast<std::size_t>(r.h) *
                   static_cast<std::size_t>(r.w));
    for (int c = 0; c < (natural ? s.channels : channels); ++c) {
        const auto plane = t.channel(c);
        for (int y = r.y; y < r.y + r.h; ++y) {
            const auto row =
                plane.subspan(static_cast<std::size_t>(y) * static_cast<std::size_t>(s.width) +
                                  static_cast<std::size_t>(r.x),
                              static_cast<std::size_t>(r.w));
            values.insert(values.end(), row.begin(), row.end());
        }
    }
    const Tensor crop(Shape{natural ? s.channels : channels, r.h, r.w}, values);
    // The colours of the whole stage's picture, not of the region alone.
    RenderOptions o = options;
    o.picture_size = 0;
    if (natural) {
        if (const auto image =
                options.known_range ? options.known_range : finite_value_range(t.data());
            image) {
            o.image_range = *image;
        }
    } else if (options.scale == ColorScale::channel) {
        o.channel_ranges.clear();
        o.channel_ranges.reserve(static_cast<std::size_t>(crop.shape().channels));
        for (int c = 0; c < crop.shape().channels; ++c) {
            const auto range = value_range(t.channel(c), options.range_rule);
            o.channel_ranges.push_back(range ? *range : ValueRange{0.0F, 0.0F});
        }
    } else if (!(options.scale == ColorScale::global && options.range)) {
        // The stage's range: from its statistics when they know it.
        const auto range = options.known_range && options.range_rule.percent == 0.0
                               ? options.known_range
                               : value_range(t.data(), options.range_rule);
        o.scale = ColorScale::global;
        o.range = range ? *range : ValueRange{0.0F, 0.0F};
    }
    o.known_range.reset();  // the stage's, not the crop's
    const Picture body = render_tensor(crop, kind, o);
    return titled_picture(body,
                          fmt::format("zoom, full resolution: rows {}-{}, cols {}-{} of {}", r.y,
                                      r.y + r.h - 1, r.x, r.x + r.w - 1, title),
                          crop, kind, o);
}

}  // namespace convpool
