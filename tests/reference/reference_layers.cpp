// Naive network layers (see reference_layers.hpp): one output value at a time, summed in double.
#include "reference/reference_layers.hpp"

#include <cmath>
#include <cstddef>

namespace ref {
namespace {

/// torch's output extent: floor((n + 2 pad - dilation (k - 1) - 1) / stride) + 1.
int extent(int n, const SlidingAxis& a) {
    return (n + a.pad_begin + a.pad_end - a.dilation * (a.kernel - 1) - 1) / a.stride + 1;
}

/// One axis of interpolate: the two source cells and the weight of the second.
struct Source {
    int lo = 0;
    int hi = 0;
    double frac = 0.0;
};

Source source(int o, int in, int out, double factor, bool bilinear, bool align_corners) {
    // torch computes the scale and the source coordinate in float for float tensors.
    float scale = 0.0F;
    if (bilinear && align_corners) {
        scale = out > 1 ? static_cast<float>(in - 1) / static_cast<float>(out - 1) : 0.0F;
    } else if (factor > 0.0) {
        scale = static_cast<float>(1.0 / factor);
    } else {
        scale = static_cast<float>(in) / static_cast<float>(out);
    }
    if (!bilinear) {
        int src = o;
        if (out == 2 * in) {
            src = o / 2;
        } else if (out != in) {
            src = static_cast<int>(std::floor(static_cast<float>(o) * scale));
            src = src > in - 1 ? in - 1 : src;
        }
        return {src, src, 0.0};
    }
    float real = align_corners ? scale * static_cast<float>(o)
                               : scale * (static_cast<float>(o) + 0.5F) - 0.5F;
    real = real < 0.0F ? 0.0F : real;
    int lo = static_cast<int>(std::floor(real));
    lo = lo > in - 1 ? in - 1 : lo;
    double frac = static_cast<double>(real) - lo;
    frac = frac < 0.0 ? 0.0 : (frac > 1.0 ? 1.0 : frac);
    return {lo, lo + 1 < in ? lo + 1 : lo, frac};
}

}  // namespace

Image interpolate(const Image& in, int out_h, int out_w, double factor_h, double factor_w,
                  bool bilinear, bool align_corners) {
    Image out(in.channels, out_h, out_w);
    for (int c = 0; c < in.channels; ++c) {
        for (int y = 0; y < out_h; ++y) {
            const Source sy = source(y, in.height, out_h, factor_h, bilinear, align_corners);
            for (int x = 0; x < out_w; ++x) {
                const Source sx = source(x, in.width, out_w, factor_w, bilinear, align_corners);
                const double top = static_cast<double>(in.at(c, sy.lo, sx.lo)) * (1.0 - sx.frac) +
                                   static_cast<double>(in.at(c, sy.lo, sx.hi)) * sx.frac;
                const double bottom =
                    static_cast<double>(in.at(c, sy.hi, sx.lo)) * (1.0 - sx.frac) +
                    static_cast<double>(in.at(c, sy.hi, sx.hi)) * sx.frac;
                out.at(c, y, x) = static_cast<float>(top * (1.0 - sy.frac) + bottom * sy.frac);
            }
        }
    }
    return out;
}

Image conv_layer(const Image& in, const ConvLayer& layer) {
    const int oh = extent(in.height, layer.rows);
    const int ow = extent(in.width, layer.cols);
    Image out(layer.out_channels, oh, ow);
    const int per_group = layer.out_channels / layer.groups;
    for (int o = 0; o < layer.out_channels; ++o) {
        const int first = (o / per_group) * layer.in_per_group;
        for (int y = 0; y < oh; ++y) {
            for (int x = 0; x < ow; ++x) {
                auto sum = static_cast<double>(layer.bias[static_cast<std::size_t>(o)]);
                for (int c = 0; c < layer.in_per_group; ++c) {
                    for (int ky = 0; ky < layer.kh; ++ky) {
                        const int iy = border_source(
                            y * layer.rows.stride + ky * layer.rows.dilation - layer.rows.pad_begin,
                            in.height, layer.border);
                        for (int kx = 0; kx < layer.kw; ++kx) {
                            const int ix =
                                border_source(x * layer.cols.stride + kx * layer.cols.dilation -
                                                  layer.cols.pad_begin,
                                              in.width, layer.border);
                            if (iy < 0 || ix < 0) {
                                continue;
                            }
                            const int w =
                                ((o * layer.in_per_group + c) * layer.kh + ky) * layer.kw + kx;
                            sum += static_cast<double>(layer.weights[static_cast<std::size_t>(w)]) *
                                   static_cast<double>(in.at(first + c, iy, ix));
                        }
                    }
                }
                out.at(o, y, x) = static_cast<float>(sum);
            }
        }
    }
    return out;
}

Image batch_norm(const Image& in, const std::vector<double>& mean, const std::vector<double>& var,
                 const std::vector<double>& weight, const std::vector<double>& bias, double eps) {
    Image out(in.channels, in.height, in.width);
    for (int c = 0; c < in.channels; ++c) {
        const auto i = static_cast<std::size_t>(c);
        for (int y = 0; y < in.height; ++y) {
            for (int x = 0; x < in.width; ++x) {
                const double v = (static_cast<double>(in.at(c, y, x)) - mean[i]) /
                                     std::sqrt(var[i] + eps) * weight[i] +
                                 bias[i];
                out.at(c, y, x) = static_cast<float>(v);
            }
        }
    }
    return out;
}

}  // namespace ref
