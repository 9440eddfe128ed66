#pragma once
/// \file reference_layers.hpp
/// Naive references for network layers (a convolution layer as torch.nn.Conv2d, batch norm),
/// test-only and sharing no code with convpool: written from torch's definitions, summed in double.

#include <vector>

#include "reference/reference.hpp"

namespace ref {

/// A convolution layer: weights (out_channels, in_per_group, kh, kw) in C order, one bias per
/// output channel, and the window geometry (explicit padding, cells from `border`).
struct ConvLayer {
    int out_channels = 1;
    int in_per_group = 1;
    int kh = 1;
    int kw = 1;
    int groups = 1;
    std::vector<float> weights;
    std::vector<float> bias;  ///< out_channels values
    SlidingAxis rows;         ///< kernel, stride, pad_begin = pad_end, dilation (no ceil)
    SlidingAxis cols;
    Border border = Border::zero;
};

/// out[o][y][x] = bias[o] + sum over the in_per_group channels c of o's group g = o /
/// (out_channels / groups) and every tap (ky, kx) of w[o][c][ky][kx] * in[g * in_per_group + c]
/// at (y * stride + ky * dilation - pad, x * ...), a cell outside the input taken by `border`.
/// Preconditions: in.channels == groups * in_per_group, both output extents >= 1.
[[nodiscard]] Image conv_layer(const Image& in, const ConvLayer& layer);

/// Batch norm in evaluation mode: (x - mean[c]) / sqrt(var[c] + eps) * weight[c] + bias[c], each
/// list holding one value per channel.
[[nodiscard]] Image batch_norm(const Image& in, const std::vector<double>& mean,
                               const std::vector<double>& var, const std::vector<double>& weight,
                               const std::vector<double>& bias, double eps);

/// torch.nn.functional.interpolate of every channel to out_h x out_w. `factor_h`/`factor_w` > 0
/// are scale factors given by the caller (source cells from 1/factor), 0 means a size was given
/// (source cells from in/out). nearest: torch's legacy nearest, floor(o * scale) in float;
/// bilinear: (o + 0.5) * scale - 0.5 clamped at 0, or o * (in - 1)/(out - 1) with align_corners.
[[nodiscard]] Image interpolate(const Image& in, int out_h, int out_w, double factor_h,
                                double factor_w, bool bilinear, bool align_corners);

}  // namespace ref
