#pragma once
/// \file reference_modern.hpp
/// Naive references for BlurPool, MaxBlurPool, SoftPool, GeM, mixed and median pooling, test-only
/// and sharing no code with convpool: each written from its paper's (or torch's) definition.

#include "reference/reference.hpp"

namespace ref {

/// What a sliding window computes over its real cells (padding cells are never in it).
enum class WindowMode {
    soft,    ///< sum softmax(x)_i x_i, the softmax over the window with its maximum subtracted
    gem,     ///< (mean of max(x, eps)^p)^(1/p)
    median,  ///< the lower middle of the sorted cells; NaN when any cell is NaN
};

/// A sliding-window pool of one of the modes above.
struct WindowSpec {
    WindowMode mode = WindowMode::median;
    SlidingAxis rows;
    SlidingAxis cols;
    double p = 3.0;     ///< gem
    double eps = 1e-6;  ///< gem
};

/// The pool applied to every channel (windows as ref::pool: window_starts on each axis).
/// Finite or NaN input only. A window without real cells gives NaN.
/// Precondition: both output extents are >= 1.
[[nodiscard]] Image window_pool(const Image& in, const WindowSpec& spec);

/// Mixed pooling: a * max + (1 - a) * avg, both ref::pool over `window` (its count_pad applies
/// to the avg; its mode is ignored).
[[nodiscard]] Image mixed_pool(const Image& in, const PoolSpec& window, double a);

/// GeM over each whole channel: one value per channel.
[[nodiscard]] Image global_gem(const Image& in, double p, double eps);

/// Spatial pyramid pooling: for each level L, LxL bins per channel, written one after another
/// into a 1-row image (C x 1 x sum L*L), bins row-major. Adaptive bins are
/// [floor(i*a/L), ceil((i+1)*a/L)); the paper's are [i*floor(a/L), i*floor(a/L) + ceil(a/L)).
/// Each bin's max (NaN wins) or mean.
[[nodiscard]] Image spp(const Image& in, const std::vector<int>& levels, bool max, bool paper);

/// BlurPool (antialiased-cnns): the binomial filter of `filter` taps per axis, normalised to sum
/// 1, correlated depthwise with the input padded by (filter-1)/2 before and filter/2 after on
/// each axis (cells from `border`), every stride-th position kept.
struct BlurSpec {
    int filter = 4;
    int stride_rows = 2;
    int stride_cols = 2;
    Border border = Border::reflect101;
};

/// True when torch's ReflectionPad2d would refuse the padding of `spec` on an h x w input.
[[nodiscard]] bool blur_refused(int h, int w, const BlurSpec& spec);

/// Precondition: !blur_refused(in.height, in.width, spec).
[[nodiscard]] Image blur_pool(const Image& in, const BlurSpec& spec);

/// MaxBlurPool: max pooling with a k_rows x k_cols kernel, stride 1, no padding, then blur_pool.
[[nodiscard]] Image max_blur_pool(const Image& in, int k_rows, int k_cols, const BlurSpec& spec);

}  // namespace ref
