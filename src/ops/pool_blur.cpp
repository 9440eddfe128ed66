// pool:blur - BlurPool: a binomial low-pass, then subsampling (antialiased-cnns).
#include "convpool/core/error.hpp"

#include <fmt/format.h>

#include <cstddef>

#include "ops/common/blur.hpp"
#include "ops/fast/blur.hpp"

namespace convpool::ops {

std::vector<ParamSpec> blur_param_specs() {
    return {
        {.name = "s",
         .type = ParamType::size,
         .default_value = "2",
         .help = "stride of the subsampling, N or HxW",
         .min = 1,
         .max = 4096,
         .aliases = {"stride"}},
        {.name = "filter",
         .type = ParamType::integer,
         .default_value = "4",
         .help = "taps of the binomial filter per axis: 1 (plain subsampling), 2 [1 1], 3 [1 2 "
                 "1], 4 [1 3 3 1], ... 7",
         .min = 1,
         .max = 7,
         .aliases = {"filt-size", "filter-size"}},
        {.name = "border",
         .type = ParamType::choice,
         .default_value = "reflect101",
         .help = "values of the padding cells: reflect101 (abc|ba, torch's ReflectionPad2d and "
                 "antialiased-cnns' default 'reflect'), replicate, zero",
         .choices = {"reflect101", "replicate", "zero"}},
    };
}

std::vector<double> binomial_taps(int filter) {
    std::vector<double> taps{1.0};
    for (int n = 1; n < filter; ++n) {
        std::vector<double> next(taps.size() + 1, 0.0);
        for (std::size_t i = 0; i < taps.size(); ++i) {
            next[i] += taps[i];
            next[i + 1] += taps[i];
        }
        taps = std::move(next);
    }
    double sum = 0.0;
    for (const double t : taps) {
        sum += t;
    }
    for (double& t : taps) {
        t /= sum;  // a power of two: exact
    }
    return taps;
}

BlurPool::BlurPool(const Params& params)
    : m_op(params.op()),
      m_stride(params.size("s")),
      m_filter(params.integer("filter")),
      m_border(parse_border(params.text("border"))),
      m_taps(binomial_taps(m_filter)) {}

Window BlurPool::window() const {
    const int before = (m_filter - 1) / 2;
    const int after = m_filter / 2;  // ceil((filter - 1) / 2)
    Window win;
    win.rows = {m_filter, m_stride.h, before, after, 1, false};
    win.cols = {m_filter, m_stride.w, before, after, 1, false};
    return win;
}

Shape BlurPool::output_shape(const Shape& in) const {
    const Window win = window();
    if (m_border == Border::reflect101) {
        const auto check = [this](const char* what, int extent, const Axis& axis) {
            if (axis.pad_end >= extent) {
                throw ShapeError(fmt::format(
                    "{}: filter {} pads {} by {}+{} cells; border=reflect101 (torch's "
                    "ReflectionPad2d) needs more than {} {} and the blur's input has {}; use "
                    "border=replicate or zero, or a smaller filter",
                    m_op, m_filter, what, axis.pad_begin, axis.pad_end, axis.pad_end, what,
                    extent));
            }
        };
        check("rows", in.height, win.rows);
        check("columns", in.width, win.cols);
    }
    return {in.channels, output_extent(in.height, win.rows), output_extent(in.width, win.cols)};
}

BlurLayout BlurPool::layout(const Shape& in) const {
    const Window win = window();
    return {output_shape(in), m_stride, std::vector<float>(m_taps.begin(), m_taps.end()),
            border_map(in.height, win.rows, m_border), border_map(in.width, win.cols, m_border)};
}

Tensor BlurPool::apply(const Tensor& in) const { return fast_blur(in, layout(in.shape())); }

Tensor BlurPool::apply_separable(const Tensor& in) const {
    const Shape& s = in.shape();
    const BlurLayout src = layout(s);
    const Shape& out_shape = src.out;
    const std::vector<int>& row_source = src.rows;
    const std::vector<int>& col_source = src.cols;
    const std::vector<float>& weights = src.taps;
    const auto taps = static_cast<std::size_t>(m_filter);
    const auto out_w = static_cast<std::size_t>(out_shape.width);
    // rows[y * out_w + ox]: input row y filtered along the columns at output column ox.
    std::vector<float> rows(static_cast<std::size_t>(s.height) * out_w);
    Tensor out(out_shape);
    for (int c = 0; c < s.channels; ++c) {
        const float* plane = in.channel(c).data();
        for (std::size_t y = 0; y < static_cast<std::size_t>(s.height); ++y) {
            const float* row = plane + y * static_cast<std::size_t>(s.width);
            for (std::size_t ox = 0; ox < out_w; ++ox) {
                const std::size_t x0 = ox * static_cast<std::size_t>(m_stride.w);
                float acc = 0.0F;
                for (std::size_t tx = 0; tx < taps; ++tx) {
                    const int x = col_source[x0 + tx];
                    if (x >= 0) {
                        acc += weights[tx] * row[x];
                    }
                }
                rows[y * out_w + ox] = acc;
            }
        }
        float* dst = out.channel(c).data();
        for (std::size_t oy = 0; oy < static_cast<std::size_t>(out_shape.height); ++oy) {
            const std::size_t y0 = oy * static_cast<std::size_t>(m_stride.h);
            for (std::size_t ox = 0; ox < out_w; ++ox) {
                float acc = 0.0F;
                for (std::size_t ty = 0; ty < taps; ++ty) {
                    const int y = row_source[y0 + ty];
                    if (y >= 0) {
                        acc += weights[ty] * rows[static_cast<std::size_t>(y) * out_w + ox];
                    }
                }
                *dst++ = acc;
            }
        }
    }
    return out;
}

Tensor BlurPool::apply_plain(const Tensor& in) const {
    const Shape& s = in.shape();
    const BlurLayout src = layout(s);
    const Shape& out_shape = src.out;
    const std::vector<int>& row_source = src.rows;
    const std::vector<int>& col_source = src.cols;
    const auto taps = static_cast<std::size_t>(m_filter);
    Tensor out(out_shape);
    for (int c = 0; c < s.channels; ++c) {
        const float* plane = in.channel(c).data();
        float* dst = out.channel(c).data();
        for (int oy = 0; oy < out_shape.height; ++oy) {
            const auto y0 = static_cast<std::size_t>(oy) * static_cast<std::size_t>(m_stride.h);
            for (int ox = 0; ox < out_shape.width; ++ox) {
                const auto x0 = static_cast<std::size_t>(ox) * static_cast<std::size_t>(m_stride.w);
                double acc = 0.0;
                for (std::size_t ty = 0; ty < taps; ++ty) {
                    const int y = row_source[y0 + ty];
                    if (y < 0) {
                        continue;  // a zero cell
                    }
                    const float* row = plane + static_cast<std::ptrdiff_t>(y) * s.width;
                    for (std::size_t tx = 0; tx < taps; ++tx) {
                        const int x = col_source[x0 + tx];
                        if (x >= 0) {
                            acc += m_taps[ty] * m_taps[tx] * static_cast<double>(row[x]);
                        }
                    }
                }
                *dst++ = static_cast<float>(acc);
            }
        }
    }
    return out;
}

namespace {
std::unique_ptr<Op> make(const Params& params) { return std::make_unique<BlurPool>(params); }
}  // namespace

const OpInfo& pool_blur_info() {
    static const OpInfo info{
        .name = "pool:blur",
        .summary = "BlurPool: binomial low-pass, then subsampling (anti-aliased downsampling)",
        .details =
            "Zhang, ICML 2019, as antialiased-cnns' BlurPool(channels, pad_type='reflect', "
            "filt_size, stride): the taps are a binomial row normalised to sum 1, applied "
            "depthwise as outer(a, a) over the input padded by (filter-1)//2 cells before "
            "and filter//2 after on each axis, then every s-th position is kept (output "
            "ceil(in/s)). filter=1 is plain subsampling. With border=reflect101 (the "
            "reference's ReflectionPad2d) an axis shorter than or equal to its padding is "
            "refused, as torch refuses it.",
        .params = blur_param_specs(),
        .make = &make,
        .mode = {.form = ModeForm::stride}};
    return info;
}

}  // namespace convpool::ops
