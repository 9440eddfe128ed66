#include "convpool/core/geometry.hpp"

#include "convpool/core/params.hpp"

#include <algorithm>

namespace convpool {
namespace {
/// Floor division for a possibly negative numerator and a positive denominator.
long long floor_div(long long num, long long den) {
    const long long q = num / den;
    return (num % den != 0 && num < 0) ? q - 1 : q;
}
}  // namespace

int output_extent(int in, const Axis& axis) noexcept {
    // In ceil mode PyTorch accepts a window longer than the padded input as long as the rounded
    // count is positive, so a negative span is not rejected up front.
    const long long span =
        static_cast<long long>(in) + axis.pad_begin + axis.pad_end - axis.effective_kernel();
    long long out = floor_div(span + (axis.ceil ? axis.stride - 1 : 0), axis.stride) + 1;
    // Ceil mode: the last window must start inside the input or the begin padding.
    if (axis.ceil && out > 0 &&
        (out - 1) * axis.stride >= static_cast<long long>(in) + axis.pad_begin) {
        --out;
    }
    return static_cast<int>(std::clamp<long long>(out, 0, 1LL << 30));
}

AxisCoverage axis_coverage(int in, const Axis& axis) noexcept {
    AxisCoverage cov;
    cov.out = output_extent(in, axis);
    if (cov.out <= 0) {
        return cov;
    }
    Axis floor_axis = axis;
    floor_axis.ceil = false;
    const int floor_out = output_extent(in, floor_axis);
    if (axis.ceil) {
        const long long span =
            static_cast<long long>(in) + axis.pad_begin + axis.pad_end - axis.effective_kernel();
        const long long raw = floor_div(span + axis.stride - 1, axis.stride) + 1;
        cov.ceil_added = cov.out > floor_out;
        cov.ceil_dropped = raw > cov.out;
    }
    // Last input cell read by the last window (exclusive end), in input coordinates.
    const long long last_end = static_cast<long long>(cov.out - 1) * axis.stride - axis.pad_begin +
                               axis.effective_kernel();
    cov.uncovered_end = static_cast<int>(std::max<long long>(0, in - last_end));
    return cov;
}

Axis same_padding(int in, Axis axis, bool lower) noexcept {
    const int out = (in + axis.stride - 1) / axis.stride;
    const int total = std::max((out - 1) * axis.stride + axis.effective_kernel() - in, 0);
    axis.pad_begin = lower ? total - total / 2 : total / 2;
    axis.pad_end = total - axis.pad_begin;
    axis.ceil = false;
    return axis;
}

Window padded_window(Window win, const Pad& pad, int h, int w) noexcept {
    switch (pad.mode) {
        case Pad::Mode::cells:
            win.rows.pad_begin = pad.cells.h;
            win.cols.pad_begin = pad.cells.w;
            win.rows.pad_end = pad.after().h;
            win.cols.pad_end = pad.after().w;
            break;
        case Pad::Mode::same:
        case Pad::Mode::same_lower:
            win.rows = same_padding(h, win.rows, pad.mode == Pad::Mode::same_lower);
            win.cols = same_padding(w, win.cols, pad.mode == Pad::Mode::same_lower);
            break;
        case Pad::Mode::valid:
            win.rows.pad_begin = win.rows.pad_end = 0;
            win.cols.pad_begin = win.cols.pad_end = 0;
            break;
    }
    return win;
}

}  // namespace convpool
