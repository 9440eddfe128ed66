// Naive reference implementations (test-only). See reference.hpp for the definitions.
#include "reference/reference.hpp"

#include <cmath>
#include <cstddef>
#include <limits>
#include <stdexcept>

namespace ref {
namespace {

std::size_t index_of(const Image& img, int c, int y, int x) {
    if (c < 0 || c >= img.channels || y < 0 || y >= img.height || x < 0 || x >= img.width) {
        throw std::out_of_range("ref::Image index out of range");
    }
    return (static_cast<std::size_t>(c) * static_cast<std::size_t>(img.height) +
            static_cast<std::size_t>(y)) *
               static_cast<std::size_t>(img.width) +
           static_cast<std::size_t>(x);
}

float nan_value() { return std::numeric_limits<float>::quiet_NaN(); }

/// True when the tap at input coordinate `pos` of an axis of `n` cells is a real input cell.
bool inside(int pos, int n) { return pos >= 0 && pos < n; }

/// Largest (or smallest, with `largest` false) of `values`; NaN when any value is NaN;
/// -inf (+inf) for no values.
float extreme(const std::vector<float>& values, bool largest) {
    float best =
        largest ? -std::numeric_limits<float>::infinity() : std::numeric_limits<float>::infinity();
    for (const float v : values) {
        if (std::isnan(v)) {
            return nan_value();
        }
        if (largest ? v > best : v < best) {
            best = v;
        }
    }
    return best;
}

float lp_norm(const std::vector<float>& values, double p) {
    if (std::isinf(p)) {
        double best = 0.0;
        for (const float v : values) {
            const double a = std::fabs(static_cast<double>(v));
            if (std::isnan(a)) {
                return nan_value();
            }
            if (a > best) {
                best = a;
            }
        }
        return static_cast<float>(best);
    }
    double sum = 0.0;
    for (const float v : values) {
        sum += std::pow(std::fabs(static_cast<double>(v)), p);
    }
    return static_cast<float>(std::pow(sum, 1.0 / p));
}

/// Number of output positions of a window of `k` taps `d` apart, moved by `s`, over `n` cells
/// padded with `begin` and `end` cells, floor rule: every position whose last tap is inside
/// input + padding.
int floor_positions(int n, int k, int s, int d, int begin, int end) {
    int count = 0;
    for (int o = 0;; ++o) {
        const int last_tap = o * s - begin + (k - 1) * d;
        if (last_tap > n - 1 + end) {
            break;
        }
        ++count;
    }
    return count;
}

}  // namespace

Image::Image(int c, int h, int w, float fill)
    : channels(c),
      height(h),
      width(w),
      values(
          static_cast<std::size_t>(c) * static_cast<std::size_t>(h) * static_cast<std::size_t>(w),
          fill) {}

float Image::at(int c, int y, int x) const { return values[index_of(*this, c, y, x)]; }

float& Image::at(int c, int y, int x) { return values[index_of(*this, c, y, x)]; }

std::vector<int> window_starts(int n, const SlidingAxis& axis) {
    std::vector<int> starts;
    const int last_padded_cell = n - 1 + axis.pad_end;
    for (int o = 0;; ++o) {
        const int start = o * axis.stride - axis.pad_begin;
        const int last_tap = start + (axis.kernel - 1) * axis.dilation;
        bool keep = false;
        if (!axis.ceil) {
            keep = last_tap <= last_padded_cell;
        } else {
            // The window one position earlier, possibly a virtual one at o = -1.
            const int previous_last_tap = last_tap - axis.stride;
            const bool end_not_yet_covered = previous_last_tap < last_padded_cell;
            const bool starts_before_end_padding = start <= n - 1;
            keep = end_not_yet_covered && starts_before_end_padding;
        }
        if (!keep) {
            break;  // both conditions only get harder to meet as o grows
        }
        starts.push_back(start);
    }
    return starts;
}

int pool_output_height(int h, const PoolSpec& spec) {
    return static_cast<int>(window_starts(h, spec.rows).size());
}

int pool_output_width(int w, const PoolSpec& spec) {
    return static_cast<int>(window_starts(w, spec.cols).size());
}

Image reduce_windows(const Image& in, const SlidingAxis& rows, const SlidingAxis& cols,
                     const WindowReducer& reduce) {
    const std::vector<int> row_starts = window_starts(in.height, rows);
    const std::vector<int> col_starts = window_starts(in.width, cols);
    if (row_starts.empty() || col_starts.empty()) {
        throw std::invalid_argument("ref::reduce_windows: the window does not fit");
    }
    Image out(in.channels, static_cast<int>(row_starts.size()),
              static_cast<int>(col_starts.size()));
    for (int c = 0; c < in.channels; ++c) {
        for (int oy = 0; oy < out.height; ++oy) {
            for (int ox = 0; ox < out.width; ++ox) {
                // Real taps in row-major order; padded taps are counted per axis.
                std::vector<float> taps;
                int counted_rows = 0;
                int counted_cols = 0;
                for (int ty = 0; ty < rows.kernel; ++ty) {
                    const int y = row_starts[static_cast<std::size_t>(oy)] + ty * rows.dilation;
                    if (y < in.height + rows.pad_end) {
                        ++counted_rows;
                    }
                }
                for (int tx = 0; tx < cols.kernel; ++tx) {
                    const int x = col_starts[static_cast<std::size_t>(ox)] + tx * cols.dilation;
                    if (x < in.width + cols.pad_end) {
                        ++counted_cols;
                    }
                }
                for (int ty = 0; ty < rows.kernel; ++ty) {
                    for (int tx = 0; tx < cols.kernel; ++tx) {
                        const int y = row_starts[static_cast<std::size_t>(oy)] + ty * rows.dilation;
                        const int x = col_starts[static_cast<std::size_t>(ox)] + tx * cols.dilation;
                        if (inside(y, in.height) && inside(x, in.width)) {
                            taps.push_back(in.at(c, y, x));
                        }
                    }
                }
                out.at(c, oy, ox) = reduce(taps, counted_rows * counted_cols);
            }
        }
    }
    return out;
}

Image pool(const Image& in, const PoolSpec& spec) {
    // avg as ATen's cpu_avg_pool: a float accumulator (opmath_type<float>) from 0, the real cells
    // in row-major order, a float division, added to the output's 0.
    return reduce_windows(in, spec.rows, spec.cols,
                          [&spec](const std::vector<float>& taps, int counted) {
                              switch (spec.mode) {
                                  case PoolMode::max:
                                      return extreme(taps, true);
                                  case PoolMode::min:
                                      return extreme(taps, false);
                                  case PoolMode::avg: {
                                      float sum = 0.0F;
                                      for (const float v : taps) {
                                          sum += v;
                                      }
                                      int divide_by = static_cast<int>(taps.size());
                                      if (spec.divisor > 0) {
                                          divide_by = spec.divisor;
                                      } else if (spec.count_pad) {
                                          divide_by = counted;
                                      }
                                      return 0.0F + sum / static_cast<float>(divide_by);
                                  }
                                  case PoolMode::lp:
                                      return lp_norm(taps, spec.norm);
                              }
                              return 0.0F;
                          });
}

Image adaptive_pool(const Image& in, int out_h, int out_w, AdaptiveMode mode) {
    // Cell x overlaps [i*n/m, (i+1)*n/m) with positive length iff x < (i+1)*n/m and
    // x + 1 > i*n/m, i.e. x*m < (i+1)*n and (x+1)*m > i*n (integers only).
    const auto covers = [](int i, int m, int n, int x) {
        const long long ll_i = i;
        const long long ll_m = m;
        const long long ll_n = n;
        const long long ll_x = x;
        return ll_x * ll_m < (ll_i + 1) * ll_n && (ll_x + 1) * ll_m > ll_i * ll_n;
    };
    Image out(in.channels, out_h, out_w);
    for (int c = 0; c < in.channels; ++c) {
        for (int oy = 0; oy < out_h; ++oy) {
            for (int ox = 0; ox < out_w; ++ox) {
                std::vector<float> cells;
                for (int y = 0; y < in.height; ++y) {
                    for (int x = 0; x < in.width; ++x) {
                        if (covers(oy, out_h, in.height, y) && covers(ox, out_w, in.width, x)) {
                            cells.push_back(in.at(c, y, x));
                        }
                    }
                }
                if (mode == AdaptiveMode::max) {
                    out.at(c, oy, ox) = extreme(cells, true);
                } else {
                    double sum = 0.0;
                    for (const float v : cells) {
                        sum += static_cast<double>(v);
                    }
                    out.at(c, oy, ox) = static_cast<float>(sum / static_cast<double>(cells.size()));
                }
            }
        }
    }
    return out;
}

int border_source(int i, int n, Border border) {
    if (inside(i, n)) {
        return i;
    }
    switch (border) {
        case Border::zero:
            return -1;
        case Border::replicate:
            return i < 0 ? 0 : n - 1;
        case Border::wrap:
            while (i < 0) {
                i += n;
            }
            while (i >= n) {
                i -= n;
            }
            return i;
        case Border::reflect:
            // Mirror about the outer edge of the end cell: -1 -> 0, n -> n-1. Repeat until
            // inside (paddings wider than the input bounce back and forth).
            while (!inside(i, n)) {
                i = i < 0 ? -1 - i : 2 * n - 1 - i;
            }
            return i;
        case Border::reflect101:
            // Mirror about the centre of the end cell: -1 -> 1, n -> n-2.
            if (n == 1) {
                return 0;
            }
            while (!inside(i, n)) {
                i = i < 0 ? -i : 2 * n - 2 - i;
            }
            return i;
    }
    return -1;
}

PadPair same_pad(int n, int k, int stride, int dilation) {
    int out = n / stride;
    if (out * stride < n) {
        ++out;  // ceil(n / stride)
    }
    const int span = dilation * (k - 1) + 1;
    int total = (out - 1) * stride + span - n;
    if (total < 0) {
        total = 0;
    }
    return {total / 2, total - total / 2};
}

namespace {
PadPair conv_pad_rows(int h, const ConvSpec& spec) {
    switch (spec.pad.kind) {
        case ConvPad::Kind::same:
            return same_pad(h, spec.kernel_rows, spec.stride_rows, spec.dilation_rows);
        case ConvPad::Kind::valid:
            return {0, 0};
        case ConvPad::Kind::cells:
            break;
    }
    return {spec.pad.rows, spec.pad.rows};
}

PadPair conv_pad_cols(int w, const ConvSpec& spec) {
    switch (spec.pad.kind) {
        case ConvPad::Kind::same:
            return same_pad(w, spec.kernel_cols, spec.stride_cols, spec.dilation_cols);
        case ConvPad::Kind::valid:
            return {0, 0};
        case ConvPad::Kind::cells:
            break;
    }
    return {spec.pad.cols, spec.pad.cols};
}
}  // namespace

int conv_output_height(int h, const ConvSpec& spec) {
    const PadPair p = conv_pad_rows(h, spec);
    return floor_positions(h, spec.kernel_rows, spec.stride_rows, spec.dilation_rows, p.begin,
                           p.end);
}

int conv_output_width(int w, const ConvSpec& spec) {
    const PadPair p = conv_pad_cols(w, spec);
    return floor_positions(w, spec.kernel_cols, spec.stride_cols, spec.dilation_cols, p.begin,
                           p.end);
}

Image conv(const Image& in, const ConvSpec& spec) {
    const int out_h = conv_output_height(in.height, spec);
    const int out_w = conv_output_width(in.width, spec);
    if (out_h < 1 || out_w < 1) {
        throw std::invalid_argument("ref::conv: the kernel does not fit");
    }
    if (spec.kernel.size() !=
        static_cast<std::size_t>(spec.kernel_rows) * static_cast<std::size_t>(spec.kernel_cols)) {
        throw std::invalid_argument("ref::conv: kernel size mismatch");
    }
    const int top = conv_pad_rows(in.height, spec).begin;
    const int left = conv_pad_cols(in.width, spec).begin;
    Image out(in.channels, out_h, out_w);
    for (int c = 0; c < in.channels; ++c) {
        for (int oy = 0; oy < out_h; ++oy) {
            for (int ox = 0; ox < out_w; ++ox) {
                double sum = 0.0;
                for (int ky = 0; ky < spec.kernel_rows; ++ky) {
                    for (int kx = 0; kx < spec.kernel_cols; ++kx) {
                        const int y = oy * spec.stride_rows - top + ky * spec.dilation_rows;
                        const int x = ox * spec.stride_cols - left + kx * spec.dilation_cols;
                        const int sy = border_source(y, in.height, spec.border);
                        const int sx = border_source(x, in.width, spec.border);
                        const double value =
                            (sy < 0 || sx < 0) ? 0.0 : static_cast<double>(in.at(c, sy, sx));
                        const auto weight = static_cast<double>(
                            spec.kernel[static_cast<std::size_t>(ky) *
                                            static_cast<std::size_t>(spec.kernel_cols) +
                                        static_cast<std::size_t>(kx)]);
                        sum += weight * value;
                    }
                }
                out.at(c, oy, ox) = static_cast<float>(spec.scale * sum + spec.bias);
            }
        }
    }
    return out;
}

}  // namespace ref
