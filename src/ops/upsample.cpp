// upsample - resize every channel as torch.nn.functional.interpolate (nearest or bilinear).
#include "convpool/core/error.hpp"
#include "convpool/pipeline/op.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

namespace convpool::ops {
namespace {

constexpr int kMaxExtent = 1 << 16;

/// Where the output cells of one axis read: two input cells and their weights (nearest: the
/// first cell with weight 1).
struct AxisMap {
    std::vector<int> i0;
    std::vector<int> i1;
    std::vector<float> w0;
    std::vector<float> w1;
};

/// torch's area_pixel_compute_scale, in float as its CPU kernels for float tensors: with
/// align_corners (in - 1) / (out - 1); else 1 / scale_factor when one was given, in / out when
/// a size was (`factor` 0: none; a plain number, as GCC's -Wmaybe-uninitialized misreads a
/// std::optional<double> passed by value at -O2).
float axis_scale(int in, int out, bool align_corners, double factor) {
    if (align_corners) {
        return out > 1 ? static_cast<float>(in - 1) / static_cast<float>(out - 1) : 0.0F;
    }
    if (factor > 0.0) {
        return static_cast<float>(1.0 / factor);
    }
    return static_cast<float>(in) / static_cast<float>(out);
}

/// torch's legacy `nearest` (nearest_idx): floor(o * scale), kept inside the input, with the
/// exact shortcuts for equal and doubled sizes.
AxisMap nearest_map(int in, int out, double factor) {
    AxisMap m;
    const float scale = axis_scale(in, out, false, factor);
    for (int o = 0; o < out; ++o) {
        int src = 0;
        if (out == in) {
            src = o;
        } else if (out == 2 * in) {
            src = o / 2;
        } else {
            src = std::min(static_cast<int>(std::floor(static_cast<float>(o) * scale)), in - 1);
        }
        m.i0.push_back(src);
        m.i1.push_back(src);
        m.w0.push_back(1.0F);
        m.w1.push_back(0.0F);
    }
    return m;
}

/// torch's bilinear source index (area_pixel_compute_source_index, then guard_index_and_lambda).
AxisMap linear_map(int in, int out, bool align_corners, double factor) {
    AxisMap m;
    const float scale = axis_scale(in, out, align_corners, factor);
    for (int o = 0; o < out; ++o) {
        float real = 0.0F;
        if (align_corners) {
            real = scale * static_cast<float>(o);
        } else {
            real = std::max(scale * (static_cast<float>(o) + 0.5F) - 0.5F, 0.0F);
        }
        const int i0 = std::min(static_cast<int>(std::floor(real)), in - 1);
        const float l1 = std::clamp(real - static_cast<float>(i0), 0.0F, 1.0F);
        m.i0.push_back(i0);
        m.i1.push_back(i0 < in - 1 ? i0 + 1 : i0);
        m.w0.push_back(1.0F - l1);
        m.w1.push_back(l1);
    }
    return m;
}

class Upsample final : public Op {
public:
    explicit Upsample(const Params& params)
        : m_bilinear(params.text("mode") == "bilinear"),
          m_align_corners(params.flag("align-corners")) {
        const bool scaled = params.has("scale");
        const bool sized = params.has("size");
        if (scaled == sized) {
            throw UsageError("upsample: give scale=R (or RHxRW) or size=HxW, one of them");
        }
        if (m_align_corners && !m_bilinear) {
            throw UsageError("upsample: align-corners applies to mode=bilinear");
        }
        if (scaled) {
            m_factor = params.numbers("scale");
        } else {
            m_size = params.size("size");
        }
    }

    [[nodiscard]] Shape output_shape(const Shape& in) const override {
        if (m_size.has_value()) {
            return {in.channels, m_size->h, m_size->w};
        }
        // torch: floor(input size * scale_factor), in double.
        const double h = std::floor(static_cast<double>(in.height) * m_factor->h);
        const double w = std::floor(static_cast<double>(in.width) * m_factor->w);
        if (h < 1.0 || w < 1.0 || h > kMaxExtent || w > kMaxExtent) {
            throw ShapeError(fmt::format(
                "upsample: scale {}x{} makes the input {}x{} into {}x{} (each side must be 1 to "
                "{})",
                m_factor->h, m_factor->w, in.height, in.width, h, w, kMaxExtent));
        }
        return {in.channels, static_cast<int>(h), static_cast<int>(w)};
    }
    /// Nearest picks a cell, bilinear weighs two per axis by weights that sum to 1.
    [[nodiscard]] bool keeps_range() const override { return true; }

    [[nodiscard]] Tensor apply(const Tensor& in) const override {
        const Shape s = in.shape();
        const Shape os = output_shape(s);
        const double fh = m_factor ? m_factor->h : 0.0;  // 0: from the sizes
        const double fw = m_factor ? m_factor->w : 0.0;
        const AxisMap rows = m_bilinear ? linear_map(s.height, os.height, m_align_corners, fh)
                                        : nearest_map(s.height, os.height, fh);
        const AxisMap cols = m_bilinear ? linear_map(s.width, os.width, m_align_corners, fw)
                                        : nearest_map(s.width, os.width, fw);
        Tensor out(os, uninitialized);  // every value is written below
        for (int c = 0; c < s.channels; ++c) {
            const auto src = in.channel(c);
            const auto dst = out.channel(c);
            for (int y = 0; y < os.height; ++y) {
                const auto yi = static_cast<std::size_t>(y);
                const float* r0 = src.data() + static_cast<std::ptrdiff_t>(rows.i0[yi]) * s.width;
                const float* r1 = src.data() + static_cast<std::ptrdiff_t>(rows.i1[yi]) * s.width;
                float* d = dst.data() + static_cast<std::ptrdiff_t>(y) * os.width;
                for (int x = 0; x < os.width; ++x) {
                    const auto xi = static_cast<std::size_t>(x);
                    const int x0 = cols.i0[xi];
                    if (!m_bilinear) {
                        d[x] = r0[x0];
                        continue;
                    }
                    const int x1 = cols.i1[xi];
                    // torch's order: each row's pair weighted by columns, then the rows.
                    const float top = r0[x0] * cols.w0[xi] + r0[x1] * cols.w1[xi];
                    const float bottom = r1[x0] * cols.w0[xi] + r1[x1] * cols.w1[xi];
                    d[x] = top * rows.w0[yi] + bottom * rows.w1[yi];
                }
            }
        }
        return out;
    }

private:
    bool m_bilinear;
    bool m_align_corners;
    std::optional<Real2> m_factor;
    std::optional<Size2> m_size;
};

}  // namespace

const OpInfo& upsample_info() {
    static const OpInfo info{
        .name = "upsample",
        .summary =
            "resize every channel as torch.nn.functional.interpolate: nearest or "
            "bilinear, by a scale factor or to a size",
        .details =
            "scale=R is torch's scale_factor with recompute_scale_factor unset: the output is "
            "floor(input * R) and the source of output cell o is computed from 1/R; size=HxW "
            "computes it from the size ratio input/output instead. The two differ when the "
            "factor is not a whole number: a 5-cell axis with scale=1.5 gives 7 cells read at "
            "o/1.5, with size=7 at o*5/7. mode=nearest is torch's legacy 'nearest' (source "
            "floor(o * input/output)); bilinear without align-corners reads (o + 0.5) * "
            "input/output - 0.5 (at least 0), with it o * (input - 1)/(output - 1). No "
            "antialiasing.",
        .params = {{.name = "scale",
                    .type = ParamType::numbers,
                    .help = "scale factor, R or RHxRW (torch's scale_factor)",
                    .min = 0.001,
                    .max = 1024,
                    .aliases = {"scale-factor"}},
                   {.name = "size",
                    .type = ParamType::size,
                    .help = "output size, N or HxW",
                    .min = 1,
                    .max = kMaxExtent},
                   {.name = "mode",
                    .type = ParamType::choice,
                    .default_value = "nearest",
                    .help = "nearest (torch's legacy nearest) or bilinear",
                    .choices = {"nearest", "bilinear"}},
                   {.name = "align-corners",
                    .type = ParamType::flag,
                    .default_value = "false",
                    .help = "bilinear: corner cells of input and output line up (torch's "
                            "align_corners=True)"}},
        .make = &make_op<Upsample>,
        .example = "upsample:scale=2"};
    return info;
}

}  // namespace convpool::ops
