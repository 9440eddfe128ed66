#pragma once
// Cross-correlation machinery shared by `conv` and `bank`: border modes, padding, and the
// plain correlation loop.

#include "convpool/core/geometry.hpp"
#include "convpool/core/params.hpp"
#include "convpool/core/tensor.hpp"
#include "convpool/pipeline/activation.hpp"
#include "convpool/pipeline/op.hpp"

#include <span>
#include <string>
#include <vector>

namespace convpool::ops {

/// Where the padded plane's cells come from: padded row y is input row rows[y] and padded
/// column x is input column cols[x], or a zero cell when either is -1.
struct PaddedPlane {
    std::span<const float> plane;  ///< the input, h x w
    int width = 0;                 ///< w
    std::span<const int> rows;     ///< one entry per padded row
    std::span<const int> cols;     ///< one entry per padded column
};

/// The fast path of ConvSettings::correlate (ops/fast/conv.cpp). Correlates `src` with `kernel`
/// over the windows of `win` (any stride and dilation; no ceil mode) into `out` (out_size values,
/// row major), out = activate(activation, scale * sum + bias): the activation is applied to each
/// value before it is stored (3x3 bands: in the vector registers; other kernels: to each row buffer
/// before its store).
void fast_correlate(const PaddedPlane& src, const Matrix& kernel, const Window& win, Size2 out_size,
                    float scale, float bias, std::span<float> out, const Activation& activation);

/// How cells outside the input are filled.
enum class Border { zero, reflect, reflect101, replicate, wrap };

/// The Border a `border=` value names (a value the parameter's choices allow).
[[nodiscard]] Border parse_border(const std::string& name);

/// Input index that padded coordinate `i` reads along an axis of n cells, or -1 for a zero cell.
[[nodiscard]] int border_index(int i, int n, Border border);

/// Input index of every padded cell along an axis of n cells (-1 for a zero cell).
[[nodiscard]] std::vector<int> border_map(int n, const Axis& axis, Border border);

/// Parameters shared by conv and bank: k, sigma, stride, pad, dilation, border, scale, bias.
[[nodiscard]] std::vector<ParamSpec> conv_param_specs();

/// Geometry and arithmetic of one correlation, from validated parameters.
class ConvSettings {
public:
    explicit ConvSettings(const Params& params);
    /// The window of `kernel` over an input of h x w (resolves same/valid padding).
    [[nodiscard]] Window window(int h, int w, int kernel_h, int kernel_w) const;
    /// What a correlation with `kernel` over h x w reads and weighs (Op::correlation).
    [[nodiscard]] Correlation correlation(int h, int w, const Matrix& kernel) const;
    /// Output height and width for a kernel over h x w; throws ShapeError when it does not fit.
    [[nodiscard]] Size2 output_size(int h, int w, int kernel_h, int kernel_w) const;
    /// Correlates one plane (h x w) with `kernel`; writes output_size() values to `out`, each
    /// with `activation` applied. Runs the fast path (ops/fast/conv.hpp), which gives
    /// correlate_plain's values.
    void correlate(std::span<const float> plane, int h, int w, const Matrix& kernel,
                   std::span<float> out, const Activation& activation = {}) const;
    /// The plain loop: the padded plane materialised, then every tap of every output. The fast
    /// path is tested against it.
    void correlate_plain(std::span<const float> plane, int h, int w, const Matrix& kernel,
                         std::span<float> out) const;

private:
    std::string m_op;
    Size2 m_stride;
    Pad m_pad;
    Size2 m_dilation;
    Border m_border = Border::reflect101;
    float m_scale = 1.0F;
    float m_bias = 0.0F;
};

/// The first named-filter parameter (k, sigma, theta, ...) given in `params`, or "" when none
/// is.
[[nodiscard]] std::string given_filter_param(const Params& params);

/// The kernel named by `filter` with the k and sigma parameters applied. With `strict`, k or
/// sigma given for a filter that does not take them is a UsageError; otherwise it is ignored.
[[nodiscard]] Matrix filter_kernel(const Params& params, const std::string& filter, bool strict);

}  // namespace convpool::ops
