#pragma once
/// \file geometry.hpp
/// Window geometry along one axis and the output-size arithmetic of pooling and convolution.

#include <optional>
#include <string>
#include <vector>

namespace convpool {

struct Pad;

/// A window sliding along one axis: kernel taps `dilation` apart, moved by `stride`,
/// over the input padded with `pad_begin` cells before and `pad_end` cells after.
struct Axis {
    int kernel = 1;
    int stride = 1;
    int pad_begin = 0;
    int pad_end = 0;
    int dilation = 1;
    bool ceil = false;

    /// Span of the dilated kernel, dilation*(kernel-1)+1.
    [[nodiscard]] int effective_kernel() const noexcept { return dilation * (kernel - 1) + 1; }
    friend bool operator==(const Axis&, const Axis&) = default;
};

/// A 2-D window: one Axis for rows, one for columns.
struct Window {
    Axis rows;
    Axis cols;
};

/// Number of window positions along an axis of `in` cells, PyTorch's rule:
/// out = floor_or_ceil((in + pad_begin + pad_end - effective_kernel) / stride) + 1, and in ceil
/// mode a last window that would start inside the end padding (or past it) is dropped.
/// In ceil mode a window longer than the padded input still counts when the rounded-up count is
/// positive (as PyTorch). Returns 0 when no window fits; integers only, no overflow for extents
/// below 2^30.
[[nodiscard]] int output_extent(int in, const Axis& axis) noexcept;

/// What a window walk does to one axis, for the `shape` notes.
struct AxisCoverage {
    int out = 0;                ///< output extent
    int uncovered_end = 0;      ///< input cells at the end that no window reads (floor mode)
    bool ceil_added = false;    ///< ceil mode added a partial last window
    bool ceil_dropped = false;  ///< the ceil rule dropped a window that would start in padding
};

/// Coverage facts of `axis` over `in` cells.
[[nodiscard]] AxisCoverage axis_coverage(int in, const Axis& axis) noexcept;

/// Padding needed by TensorFlow's SAME rule: out = ceil(in/stride) and total padding
/// max((out-1)*stride + effective_kernel - in, 0), the extra cell at the end (ONNX's
/// SAME_UPPER), or at the beginning with `lower` (ONNX's SAME_LOWER).
[[nodiscard]] Axis same_padding(int in, Axis axis, bool lower = false) noexcept;

/// `win` with the padding `pad` says for an input of h x w: its cells (top, left, bottom,
/// right), SAME (upper or lower) resolved for this input, or none for `valid`.
[[nodiscard]] Window padded_window(Window win, const Pad& pad, int h, int w) noexcept;

/// The input cells one output position reads along one axis.
struct AxisTaps {
    int first = 0;    ///< input coordinate of the first tap inside the input
    int count = 0;    ///< taps inside the input
    int counted = 0;  ///< taps inside input + padding, clipped to the ceil-mode overhang
};

/// Window sequence along one axis: one AxisTaps per output position, taps `step` apart.
struct AxisPlan {
    int step = 1;
    std::vector<AxisTaps> taps;
};

/// The windows of a pool on one input: rows, then columns (Op::windows).
struct WindowPlans {
    AxisPlan rows;
    AxisPlan cols;
    /// For a sliding-window pool, its window (padding resolved, e.g. tf's `same`): what
    /// `--grid-overlay` draws. Empty for adaptive and fractional regions.
    std::optional<Window> sliding = std::nullopt;
};

}  // namespace convpool
