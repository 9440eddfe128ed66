#pragma once
// Fast paths of sliding-window max, min and average pooling. They sit beside reduce_windows
// (the plain loop in ops/common/pooling.hpp) and return the same tensor bit for bit, NaN, ties and
// -0/+0 included, for every geometry (kernel, stride, padding, dilation, ceil mode); the tests
// in tests/test_fast_paths.cpp compare them over sweeps.
//
// How they stay exact:
//  - max/min: the plain reducer folds a window in row-major order with pick(a, b) = b when b is
//    larger (smaller) or NaN, else a: the first extremum wins, the last NaN wins. pick is
//    associative and idempotent for that rule, and padding with -inf (+inf) is neutral, so the
//    fast path folds each row's taps first (doubling: windows of 1, 2, 4, ... taps, two
//    overlapping ones at the end) and then the rows in order (direct for short windows, van
//    Herk/Gil-Werman blocks for long ones): the same winner as the plain loop, at a cost that
//    does not grow with k.
//  - avg: the same double sums in the same order (rows, then taps within a row), the same
//    division.
// Work is split over output rows (all channels) with parallel_for; every output row is computed
// by the same code whatever the split.

#include "convpool/core/geometry.hpp"
#include "convpool/core/tensor.hpp"

#include "ops/common/pooling.hpp"

namespace convpool::ops {

/// Max or min pooling of every channel over the windows of `win`, as
/// reduce_windows(in, sliding_plan(H, win.rows), sliding_plan(W, win.cols), Max/MinReducer).
/// Assumes the output shape is valid (at least one window per axis).
[[nodiscard]] Tensor fast_extremum_pool(const Tensor& in, const Window& win, Extremum which);

/// Average pooling, as reduce_windows with AvgReducer{count_pad, divisor}.
[[nodiscard]] Tensor fast_avg_pool(const Tensor& in, const Window& win, bool count_pad,
                                   int divisor);

}  // namespace convpool::ops
