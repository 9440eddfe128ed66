#include "ops/common/convolution.hpp"

#include "convpool/core/error.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <iterator>

#include "ops/common/filters.hpp"
#include "ops/common/window_specs.hpp"

namespace convpool::ops {

Border parse_border(const std::string& name) {
    if (name == "zero") {
        return Border::zero;
    }
    if (name == "reflect") {
        return Border::reflect;
    }
    if (name == "replicate") {
        return Border::replicate;
    }
    if (name == "wrap") {
        return Border::wrap;
    }
    return Border::reflect101;
}

int border_index(int i, int n, Border border) {
    if (i >= 0 && i < n) {
        return i;
    }
    switch (border) {
        case Border::zero:
            return -1;
        case Border::replicate:
            return std::clamp(i, 0, n - 1);
        case Border::wrap:
            return ((i % n) + n) % n;
        case Border::reflect: {  // fedcba|abcdef|fedcba
            const int period = 2 * n;
            const int m = ((i % period) + period) % period;
            return m < n ? m : period - 1 - m;
        }
        case Border::reflect101: {  // fedcb|abcdef|edcba
            if (n == 1) {
                return 0;
            }
            const int period = 2 * n - 2;
            const int m = ((i % period) + period) % period;
            return m < n ? m : period - m;
        }
    }
    return -1;
}

std::vector<int> border_map(int n, const Axis& axis, Border border) {
    std::vector<int> map(static_cast<std::size_t>(n + axis.pad_begin + axis.pad_end));
    for (std::size_t i = 0; i < map.size(); ++i) {
        map[i] = border_index(static_cast<int>(i) - axis.pad_begin, n, border);
    }
    return map;
}

namespace {

/// The parameters of the named filters (the kernel's own shape).
std::vector<ParamSpec> filter_param_specs() {
    return {
        {.name = "k",
         .type = ParamType::size,
         .help = "kernel size of box, dog, gabor, gaussian, identity and log, N or HxW",
         .min = 1,
         .max = 63,
         .aliases = {"size", "kernel-size"}},
        {.name = "sigma",
         .type = ParamType::number,
         .help = "standard deviation of gaussian, log and gabor (default: gaussian from k, as "
                 "OpenCV; log 1; gabor 2)",
         .min = 0.01,
         .max = 100},
        {.name = "theta",
         .type = ParamType::number,
         .help = "gabor: orientation in degrees (default 0: stripes across x)",
         .min = -360,
         .max = 360},
        {.name = "lambda",
         .type = ParamType::number,
         .help = "gabor: wavelength of the cosine in cells (default 4)",
         .min = 0.1,
         .max = 1000},
        {.name = "gamma",
         .type = ParamType::number,
         .help = "gabor: spatial aspect ratio (default 0.5)",
         .min = 0.01,
         .max = 100},
        {.name = "psi",
         .type = ParamType::number,
         .help = "gabor: phase offset in degrees (default 0; 90: odd, an edge detector)",
         .min = -360,
         .max = 360},
        {.name = "sigma1",
         .type = ParamType::number,
         .help = "dog: standard deviation of the positive Gaussian (default 1)",
         .min = 0.01,
         .max = 100},
        {.name = "sigma2",
         .type = ParamType::number,
         .help = "dog: standard deviation of the negative Gaussian (default 1.6; size "
                 "2*ceil(3*sigma2)+1)",
         .min = 0.01,
         .max = 100},
    };
}

/// Where the kernel is applied (stride, padding, dilation, border) and what is done to its sums.
std::vector<ParamSpec> placement_param_specs() {
    return {
        {.name = "stride",
         .type = ParamType::size,
         .default_value = "1",
         .help = "step between output positions, N or HxW",
         .min = 1,
         .max = 4096,
         .aliases = {"s"}},
        {.name = "pad",
         .type = ParamType::pad,
         .default_value = "same",
         .help = "padding: N or HxW cells each side, [top left bottom right] (ONNX's pads), "
                 "same or same-upper (output = ceil(input/stride), the odd cell at the "
                 "bottom/right), same-lower (at the top/left) or valid (none)",
         .min = 0,
         .max = 4096,
         .aliases = {"padding"}},
        dilation_spec(1024),
        {.name = "border",
         .type = ParamType::choice,
         .default_value = "reflect101",
         .help = "values of padding cells: zero (as CNN layers), reflect (abc|cba), reflect101 "
                 "(abc|ba, OpenCV's default and PyTorch's 'reflect'), replicate, wrap",
         .choices = {"zero", "reflect", "reflect101", "replicate", "wrap"}},
        {.name = "scale",
         .type = ParamType::number,
         .default_value = "1",
         .help = "multiplies every output",
         .min = -1e6,
         .max = 1e6},
        {.name = "bias",
         .type = ParamType::number,
         .default_value = "0",
         .help = "added to every output after scaling",
         .min = -1e6,
         .max = 1e6},
    };
}

}  // namespace

std::vector<ParamSpec> conv_param_specs() {
    std::vector<ParamSpec> specs = filter_param_specs();
    std::vector<ParamSpec> placement = placement_param_specs();
    specs.insert(specs.end(), std::make_move_iterator(placement.begin()),
                 std::make_move_iterator(placement.end()));
    return specs;
}

std::string given_filter_param(const Params& params) {
    for (const auto& name : kernel_param_names()) {
        if (params.given(name)) {
            return name;
        }
    }
    return {};
}

Matrix filter_kernel(const Params& params, const std::string& filter, bool strict) {
    FilterArgs args;
    const auto takes = kernel_params(filter);
    for (const auto& name : kernel_param_names()) {
        const bool applies = std::find(takes.begin(), takes.end(), name) != takes.end();
        if (strict && params.given(name) && !applies) {
            throw UsageError(name == "k"
                                 ? fmt::format("{}: filter '{}' has a fixed size; k applies to {}",
                                               params.op(), filter, kernels_taking("k"))
                                 : fmt::format("{}: {} applies to {}, not '{}'", params.op(), name,
                                               kernels_taking(name), filter));
        }
        if (applies && params.has(name)) {
            args.set(name, name == "k" ? 0.0 : params.number(name),
                     name == "k" ? params.size(name) : Size2{});
        }
    }
    return named_kernel(filter, args);
}

ConvSettings::ConvSettings(const Params& params)
    : m_op(params.op()),
      m_stride(params.size("stride")),
      m_pad(params.pad("pad")),
      m_dilation(params.size("dilation")),
      m_border(parse_border(params.text("border"))),
      m_scale(static_cast<float>(params.number("scale"))),
      // conv:weights takes one bias per output channel and adds it itself.
      m_bias(static_cast<float>(params.per_channel("bias").values.front())) {}

Window ConvSettings::window(int h, int w, int kernel_h, int kernel_w) const {
    Window win;
    win.rows = {kernel_h, m_stride.h, 0, 0, m_dilation.h, false};
    win.cols = {kernel_w, m_stride.w, 0, 0, m_dilation.w, false};
    return padded_window(win, m_pad, h, w);
}

Correlation ConvSettings::correlation(int h, int w, const Matrix& kernel) const {
    const Window win = window(h, w, kernel.rows, kernel.cols);
    return {.window = win,
            .kernel = kernel,
            .scale = m_scale,
            .bias = m_bias,
            .rows = border_map(h, win.rows, m_border),
            .cols = border_map(w, win.cols, m_border)};
}

Size2 ConvSettings::output_size(int h, int w, int kernel_h, int kernel_w) const {
    const Window win = window(h, w, kernel_h, kernel_w);
    const int oh = output_extent(h, win.rows);
    const int ow = output_extent(w, win.cols);
    if (oh <= 0 || ow <= 0) {
        throw ShapeError(fmt::format(
            "{}: kernel {}x{} (dilation {}x{}) does not fit the padded input {}x{} (pad {}x{})",
            m_op, kernel_h, kernel_w, m_dilation.h, m_dilation.w,
            h + win.rows.pad_begin + win.rows.pad_end, w + win.cols.pad_begin + win.cols.pad_end,
            win.rows.pad_begin, win.cols.pad_begin));
    }
    return {oh, ow};
}

void ConvSettings::correlate(std::span<const float> plane, int h, int w, const Matrix& kernel,
                             std::span<float> out, const Activation& activation) const {
    const Window win = window(h, w, kernel.rows, kernel.cols);
    const Size2 o = output_size(h, w, kernel.rows, kernel.cols);
    const auto row_src = border_map(h, win.rows, m_border);
    const auto col_src = border_map(w, win.cols, m_border);
    fast_correlate({plane, w, row_src, col_src}, kernel, win, o, m_scale, m_bias, out, activation);
}

void ConvSettings::correlate_plain(std::span<const float> plane, int h, int w, const Matrix& kernel,
                                   std::span<float> out) const {
    const Window win = window(h, w, kernel.rows, kernel.cols);
    const Size2 o = output_size(h, w, kernel.rows, kernel.cols);
    // Materialise the padded plane once; the loop below then needs no bounds checks.
    const int ph = h + win.rows.pad_begin + win.rows.pad_end;
    const int pw = w + win.cols.pad_begin + win.cols.pad_end;
    const auto col_src = border_map(w, win.cols, m_border);
    std::vector<float> padded(static_cast<std::size_t>(ph) * static_cast<std::size_t>(pw), 0.0F);
    for (int y = 0; y < ph; ++y) {
        const int sy = border_index(y - win.rows.pad_begin, h, m_border);
        if (sy < 0) {
            continue;
        }
        const float* src = plane.data() + static_cast<std::ptrdiff_t>(sy) * w;
        float* dst = padded.data() + static_cast<std::ptrdiff_t>(y) * pw;
        for (int x = 0; x < pw; ++x) {
            const int sx = col_src[static_cast<std::size_t>(x)];
            dst[x] = sx < 0 ? 0.0F : src[sx];
        }
    }
    std::fill(out.begin(), out.end(), 0.0F);
    for (int oy = 0; oy < o.h; ++oy) {
        float* dst = out.data() + static_cast<std::ptrdiff_t>(oy) * o.w;
        for (int ky = 0; ky < kernel.rows; ++ky) {
            const int py = oy * win.rows.stride + ky * win.rows.dilation;
            const float* src = padded.data() + static_cast<std::ptrdiff_t>(py) * pw;
            for (int kx = 0; kx < kernel.cols; ++kx) {
                const float wgt = kernel.values[static_cast<std::size_t>(ky) *
                                                    static_cast<std::size_t>(kernel.cols) +
                                                static_cast<std::size_t>(kx)];
                const float* s = src + static_cast<std::ptrdiff_t>(kx) * win.cols.dilation;
                const int step = win.cols.stride;
                for (int ox = 0; ox < o.w; ++ox) {
                    dst[ox] += wgt * s[static_cast<std::ptrdiff_t>(ox) * step];
                }
            }
        }
        for (int ox = 0; ox < o.w; ++ox) {
            dst[ox] = dst[ox] * m_scale + m_bias;
        }
    }
}

}  // namespace convpool::ops
