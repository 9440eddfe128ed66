#include "ops/common/pooling.hpp"

#include "convpool/core/error.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>

#include "ops/common/window_specs.hpp"

namespace convpool::ops {

std::string call_formula(std::string_view name, std::span<const float> values, float result) {
    return fmt::format("{}({}) = {}", name, fmt::join(values, ", "), result);
}

std::string mean_formula(std::span<const float> values, int zeros, int divisor, float result) {
    std::string terms = fmt::format("{}", fmt::join(values, " + "));
    for (int i = 0; i < zeros; ++i) {
        terms += terms.empty() ? "0" : " + 0";
    }
    return fmt::format("({}) / {} = {}", terms, divisor, result);
}

WindowPlans sliding_windows(const Shape& in, const Window& win) {
    return {sliding_plan(in.height, win.rows), sliding_plan(in.width, win.cols), win};
}

AxisPlan sliding_plan(int in, const Axis& axis) {
    AxisPlan plan;
    plan.step = axis.dilation;
    const int out = output_extent(in, axis);
    plan.taps.reserve(static_cast<std::size_t>(std::max(out, 0)));
    for (int o = 0; o < out; ++o) {
        const int start = o * axis.stride - axis.pad_begin;
        AxisTaps t;
        t.count = 0;
        t.counted = 0;
        for (int k = 0; k < axis.kernel; ++k) {
            const int pos = start + k * axis.dilation;
            if (pos < in + axis.pad_end) {
                ++t.counted;  // PyTorch counts padding but not the ceil-mode overhang
            }
            if (pos >= 0 && pos < in) {
                if (t.count == 0) {
                    t.first = pos;
                }
                ++t.count;
            }
        }
        plan.taps.push_back(t);
    }
    return plan;
}

AxisPlan adaptive_plan(int in, int out) {
    AxisPlan plan;
    plan.step = 1;
    plan.taps.reserve(static_cast<std::size_t>(out));
    for (int i = 0; i < out; ++i) {
        const long long begin = static_cast<long long>(i) * in / out;
        const long long end = (static_cast<long long>(i + 1) * in + out - 1) / out;
        const int count = static_cast<int>(end - begin);
        plan.taps.push_back({static_cast<int>(begin), count, count});
    }
    return plan;
}

std::vector<ParamSpec> pool_param_specs() {
    return {
        {.name = "k",
         .type = ParamType::size,
         .default_value = "2",
         .help = "kernel size, N or HxW",
         .min = 1,
         .max = 4096,
         .aliases = {"kernel", "kernel-size"}},
        {.name = "s",
         .type = ParamType::size,
         .help = "stride, N or HxW (default: the kernel)",
         .min = 1,
         .max = 4096,
         .aliases = {"stride"},
         .default_from = "k"},
        {.name = "pad",
         .type = ParamType::pad,
         .default_value = "0",
         .help = "zero padding on each side, N or HxW, or [top left bottom right] (ONNX's "
                 "pads); at most half the kernel (more under --semantics onnx); or same "
                 "(same-upper: TensorFlow's rule, the extra cell at the bottom/right), "
                 "same-lower (the extra cell at the top/left) or valid",
         .min = 0,
         .max = 2048,
         .aliases = {"padding"}},
        dilation_spec(4096),
        {.name = "ceil",
         .type = ParamType::flag,
         .default_value = "false",
         .help = "ceil mode: keep a partial last window, unless it would start in the padding",
         .aliases = {"ceil-mode"}},
    };
}

ParamSpec count_pad_spec() {
    return {.name = "count-pad",
            .type = ParamType::flag,
            .default_value = "true",
            .help =
                "divide by the window size including zero padding (PyTorch's "
                "count_include_pad); the ceil-mode overhang is never counted",
            .aliases = {"count-include-pad"}};
}

std::vector<ParamSpec> gem_param_specs() {
    return {{.name = "p",
             .type = ParamType::number,
             .default_value = "3",
             .help = "the exponent: 1 is the mean of max(x, eps), large p nears the max",
             .min = 0.01,
             .max = 100,
             .aliases = {"norm"}},
            {.name = "eps",
             .type = ParamType::number,
             .default_value = "1e-6",
             .help = "values below eps count as eps (x.clamp(min=eps)), so x^p is defined",
             .min = 0,
             .max = 1e6}};
}

PoolGeometry::PoolGeometry(const Params& params)
    : m_op(params.op()),
      m_kernel(params.size("k")),
      m_stride(params.size("s")),
      m_pad(params.pad("pad")),
      m_dilation(params.size("dilation")),
      m_ceil(params.flag("ceil")) {
    if (m_pad.mode != Pad::Mode::cells || params.spec("pad").wide_pad) {
        return;
    }
    const Size2 most{std::max(m_pad.cells.h, m_pad.after().h),
                     std::max(m_pad.cells.w, m_pad.after().w)};
    if (most.h > m_kernel.h / 2 || most.w > m_kernel.w / 2) {
        throw UsageError(fmt::format(
            "{}: pad {} is more than half the kernel {}x{} (at most {}x{}; --semantics onnx "
            "allows more)",
            m_op,
            m_pad.asymmetric ? format_value(m_pad)
                             : fmt::format("{}x{}", m_pad.cells.h, m_pad.cells.w),
            m_kernel.h, m_kernel.w, m_kernel.h / 2, m_kernel.w / 2));
    }
}

Window PoolGeometry::window(int h, int w) const {
    Window win;
    win.rows = {m_kernel.h, m_stride.h, 0, 0, m_dilation.h, m_ceil};
    win.cols = {m_kernel.w, m_stride.w, 0, 0, m_dilation.w, m_ceil};
    return padded_window(win, m_pad, h, w);
}

Shape PoolGeometry::output_shape(const Shape& in) const {
    const Window win = window(in.height, in.width);
    const int oh = output_extent(in.height, win.rows);
    const int ow = output_extent(in.width, win.cols);
    if (oh <= 0 || ow <= 0) {
        throw ShapeError(fmt::format(
            "{}: kernel {}x{} (dilation {}x{}) does not fit the padded input {}x{} (pad {}x{})",
            m_op, m_kernel.h, m_kernel.w, m_dilation.h, m_dilation.w,
            in.height + win.rows.pad_begin + win.rows.pad_end,
            in.width + win.cols.pad_begin + win.cols.pad_end, win.rows.pad_begin,
            win.cols.pad_begin));
    }
    return {in.channels, oh, ow};
}

std::vector<std::string> PoolGeometry::notes(const Shape& in) const {
    std::vector<std::string> notes;
    const Window win = window(in.height, in.width);
    if (m_pad.mode == Pad::Mode::same) {
        // The resolved padding, so that the report shows what SAME meant for this input.
        notes.push_back(fmt::format("pad=same: rows {}+{}, columns {}+{} (TensorFlow's rule)",
                                    win.rows.pad_begin, win.rows.pad_end, win.cols.pad_begin,
                                    win.cols.pad_end));
    } else if (m_pad.mode == Pad::Mode::same_lower) {
        notes.push_back(fmt::format(
            "pad=same-lower: rows {}+{}, columns {}+{} (ONNX's SAME_LOWER: the extra cell first)",
            win.rows.pad_begin, win.rows.pad_end, win.cols.pad_begin, win.cols.pad_end));
    }
    const auto describe = [&notes](const char* what, int in_extent, const Axis& axis) {
        const AxisCoverage cov = axis_coverage(in_extent, axis);
        if (cov.out <= 0) {
            return;
        }
        if (cov.ceil_added) {
            notes.push_back(fmt::format("ceil mode kept a partial last window along {}", what));
        }
        if (cov.ceil_dropped) {
            notes.push_back(fmt::format(
                "ceil rule dropped a last window along {} that would start in the padding", what));
        }
        if (cov.uncovered_end > 0) {
            notes.push_back(
                fmt::format("last {} input {} not read by any window", cov.uncovered_end, what));
        }
    };
    describe("rows", in.height, win.rows);
    describe("columns", in.width, win.cols);
    return notes;
}

}  // namespace convpool::ops

namespace convpool::ops {

ParamSpec adaptive_out_spec() {
    return {.name = "out",
            .type = ParamType::size,
            .default_value = "1",
            .help = "output size, N or HxW; windows [floor(i*in/out), ceil((i+1)*in/out))",
            .min = 1,
            .max = 1 << 20,
            .aliases = {"size", "output"}};
}

}  // namespace convpool::ops
