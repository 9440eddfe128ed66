#pragma once
/// \file reference.hpp
/// Naive reference implementations of pooling and convolution, for tests only. Written straight
/// from the definitions (PyTorch / OpenCV semantics) and sharing no code with convpool: plain
/// std::vector<float>, ints and small structs of its own. Slow on purpose: every output cell
/// visits every tap of its window and asks whether the tap is inside the input.

#include <functional>
#include <vector>

namespace ref {

/// A C x H x W image of floats, channels one after another, rows one after another.
struct Image {
    int channels = 0;
    int height = 0;
    int width = 0;
    std::vector<float> values;

    Image() = default;
    /// An image of the given extent filled with `fill`.
    Image(int c, int h, int w, float fill = 0.0F);

    [[nodiscard]] float at(int c, int y, int x) const;
    [[nodiscard]] float& at(int c, int y, int x);
};

/// One axis of a sliding window: `kernel` taps `dilation` apart, moved by `stride`, over an
/// input with `pad_begin` cells before it and `pad_end` cells after it.
struct SlidingAxis {
    int kernel = 1;
    int stride = 1;
    int pad_begin = 0;
    int pad_end = 0;
    int dilation = 1;
    bool ceil = false;
};

/// Start (input coordinate of tap 0, possibly negative) of every window position along an axis
/// of `n` input cells, enumerated one position at a time:
///   - floor mode: a position is kept while its last tap lies inside input + padding;
///   - ceil mode (PyTorch): a position is kept while the windows before it have not yet reached
///     the last padded cell (the position before the first is taken at o = -1), and only when it
///     starts inside the input or the begin padding.
/// The number of starts is the output extent; an empty result means the window does not fit.
[[nodiscard]] std::vector<int> window_starts(int n, const SlidingAxis& axis);

/// What a sliding-window pool computes over each window.
enum class PoolMode { max, min, avg, lp };

/// A sliding-window pool.
struct PoolSpec {
    PoolMode mode = PoolMode::max;
    SlidingAxis rows;
    SlidingAxis cols;
    bool count_pad = true;  ///< avg: divide by the taps inside input + padding
    int divisor = 0;        ///< avg: divide by this when > 0
    double norm = 2.0;      ///< lp: the p (infinity: max |x|)
};

/// Output height and width of `spec` on an h x w input (0 when the window does not fit).
[[nodiscard]] int pool_output_height(int h, const PoolSpec& spec);
[[nodiscard]] int pool_output_width(int w, const PoolSpec& spec);

/// Reduces one window: its real cells (inside the input) in row-major order, and the number of
/// its taps inside input + padding (not the ceil-mode overhang).
using WindowReducer = std::function<float(const std::vector<float>& cells, int counted)>;

/// `reduce` of every window of `rows` x `cols` (window_starts on each axis) of every channel.
/// Precondition: both output extents are >= 1.
[[nodiscard]] Image reduce_windows(const Image& in, const SlidingAxis& rows,
                                   const SlidingAxis& cols, const WindowReducer& reduce);

/// The pool applied to every channel. Taps outside the input are ignored by every mode (they
/// only count in avg's count-pad divisor). NaN in a window gives NaN. A window without any input
/// tap gives -inf (max), +inf (min), NaN (avg without padding count or divisor: 0/0), 0 (lp).
/// Precondition: both output extents are >= 1.
[[nodiscard]] Image pool(const Image& in, const PoolSpec& spec);

/// Adaptive pooling modes.
enum class AdaptiveMode { max, avg };

/// Adaptive pooling to out_h x out_w: output i along an axis of n cells reads the cells that
/// overlap [i*n/out, (i+1)*n/out), i.e. [floor(i*n/out), ceil((i+1)*n/out)).
[[nodiscard]] Image adaptive_pool(const Image& in, int out_h, int out_w, AdaptiveMode mode);

/// How cells outside the input are filled in a convolution.
enum class Border { zero, reflect, reflect101, replicate, wrap };

/// Input index that coordinate `i` (any integer) reads along an axis of `n` cells, or -1 for a
/// zero cell. reflect: fedcba|abcdefgh|hgfedcb; reflect101: gfedcb|abcdefgh|gfedcba (n == 1
/// reads 0); replicate: aaaaaa|abcdefgh|hhhhhhh; wrap: cdefgh|abcdefgh|abcdefg.
[[nodiscard]] int border_source(int i, int n, Border border);

/// Padding of a convolution: explicit cells on each side, TensorFlow's `same`, or none.
struct ConvPad {
    enum class Kind { cells, same, valid };
    Kind kind = Kind::cells;
    int rows = 0;  ///< cells above and below (Kind::cells)
    int cols = 0;  ///< cells left and right (Kind::cells)
};

/// A 2-D cross-correlation of every channel with one kernel.
struct ConvSpec {
    int kernel_rows = 1;
    int kernel_cols = 1;
    std::vector<float> kernel{1.0F};  ///< row-major, kernel_rows * kernel_cols values
    int stride_rows = 1;
    int stride_cols = 1;
    int dilation_rows = 1;
    int dilation_cols = 1;
    ConvPad pad;
    Border border = Border::reflect101;
    double scale = 1.0;
    double bias = 0.0;
};

/// Padding before and after along one axis of `n` cells for a kernel of `k` taps.
struct PadPair {
    int begin = 0;
    int end = 0;
};
/// `same`: out = ceil(n/s), total = max((out-1)*s + d*(k-1)+1 - n, 0), begin = total/2.
[[nodiscard]] PadPair same_pad(int n, int k, int stride, int dilation);

/// Output height and width of `spec` on an h x w input (0 when the kernel does not fit).
[[nodiscard]] int conv_output_height(int h, const ConvSpec& spec);
[[nodiscard]] int conv_output_width(int w, const ConvSpec& spec);

/// out[y][x] = scale * sum K[ky][kx] * X(y*s - pad_begin + ky*d, x*s - pad_begin + kx*d) + bias,
/// with X outside the input given by the border mode. The kernel is not flipped.
/// Precondition: both output extents are >= 1.
[[nodiscard]] Image conv(const Image& in, const ConvSpec& spec);

}  // namespace ref
