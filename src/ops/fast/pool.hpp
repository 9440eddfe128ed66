#pragma once
// Fast paths of sliding-window max, min and average pooling. They sit beside reduce_windows
// (the plain loop in ops/common/pooling.hpp) and return the same tensor bit for bit, NaN, ties and
// -0/+0 included, for every geometry (kernel, stride, padding, dilation, ceil mode); the tests
// in tests/ops/fast/test_pool.cpp compare them over sweeps.
//
// How they stay exact:
//  - max/min: the plain reducer folds a window in row-major order with pick(a, b) = b when b is
//    larger (smaller) or NaN, else a: the first extremum wins, the last NaN wins. pick is
//    associative and idempotent for that rule, and padding with -inf (+inf) is neutral, so the
//    fast path folds each row's taps first (doubling: windows of 1, 2, 4, ... taps, two
//    overlapping ones at the end) and then the rows in order (direct for short windows, van
//    Herk/Gil-Werman blocks for long ones): the same winner as the plain loop, at a cost that
//    does not grow with k.
//  - avg: the same float sums in the same order (rows, then taps within a row), the same
//    float division and the same final + 0 (AvgPoolReducer: PyTorch's CPU avg_pool2d).
// Work is split over output rows (all channels) with parallel_for; every output row is computed
// by the same code whatever the split.

#include "convpool/core/geometry.hpp"
#include "convpool/core/parallel.hpp"
#include "convpool/core/tensor.hpp"

#include <algorithm>
#include <cstddef>

#include "ops/common/pooling.hpp"

namespace convpool::ops {

/// Calls body(channel, first_row, end_row) for every per-channel piece of output rows, the
/// pieces split over threads. `row_bytes` is the input + output bytes one output row costs.
template <typename Body>
void for_output_rows(const Shape& out, std::size_t row_bytes, const Body& body) {
    const auto rows = static_cast<std::size_t>(out.channels) * static_cast<std::size_t>(out.height);
    const std::size_t grain =
        std::max<std::size_t>(1, kMinBytesPerThread / std::max<std::size_t>(row_bytes, 1));
    parallel_for(rows, grain, [&](std::size_t begin, std::size_t end) {
        const auto h = static_cast<std::size_t>(out.height);
        for (std::size_t r = begin; r < end;) {
            const std::size_t c = r / h;
            const std::size_t stop = std::min(end, (c + 1) * h);
            body(static_cast<int>(c), static_cast<int>(r - c * h), static_cast<int>(stop - c * h));
            r = stop;
        }
    });
}

/// The input + output bytes one output row of a pool from `in` to `out` costs (the grain of
/// for_output_rows).
inline std::size_t bytes_per_output_row(const Shape& in, const Shape& out) {
    const std::size_t in_rows = static_cast<std::size_t>(in.channels) * in.plane();
    const std::size_t out_rows =
        static_cast<std::size_t>(out.channels) * static_cast<std::size_t>(out.height);
    return (in_rows / std::max<std::size_t>(out_rows, 1) + static_cast<std::size_t>(out.width)) *
           sizeof(float);
}

/// Max or min pooling of every channel over the windows of `win`, as
/// reduce_windows(in, sliding_plan(H, win.rows), sliding_plan(W, win.cols), Max/MinReducer).
/// Assumes the output shape is valid (at least one window per axis).
[[nodiscard]] Tensor fast_extremum_pool(const Tensor& in, const Window& win, Extremum which);

/// Average pooling, as reduce_windows with AvgPoolReducer{{count_pad, divisor}}.
[[nodiscard]] Tensor fast_avg_pool(const Tensor& in, const Window& win, bool count_pad,
                                   int divisor);

}  // namespace convpool::ops
