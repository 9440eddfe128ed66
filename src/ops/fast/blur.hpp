#pragma once
// Fast paths of pool:blur and pool:maxblur. They give BlurPool::apply_separable's results bit for
// bit (the same float sums of the same products in the same order: along each row, tap by tap
// from 0.0F, then down each column, tap by tap from 0.0F, skipping zero cells), and so the same
// bits for every thread count:
//  - the row pass is evaluated only at the strided output columns: each input row is split once
//    into its `s` phases (every s-th value), so that every tap of every interior
//    output column is a contiguous, vectorised multiply-add; the few columns whose taps reach
//    into the padding go through the border map one by one;
//  - output rows are split over threads; each thread keeps a ring of `filter` row-filtered rows
//    (a band that stays in the cache), indexed by padded row, so each input row is filtered
//    once per band and no full-size intermediate exists;
//  - pool:maxblur computes each row of its stride-1 max pool when the blur first needs it, from
//    the input rows (each row's taps folded first, then the rows in order: the plain max
//    reducer's first maximum, NaN last, as ops/fast/pool.hpp explains), and feeds it to the
//    row pass: the max pool's output never exists as a tensor.

#include "convpool/core/params.hpp"
#include "convpool/core/tensor.hpp"

#include "ops/common/blur.hpp"

namespace convpool::ops {

/// pool:blur of `in` with `layout` (computed for in's shape).
[[nodiscard]] Tensor fast_blur(const Tensor& in, const BlurLayout& layout);

/// pool:maxblur: the blur with `layout` (computed for the max pool's output shape) of the
/// stride-1, unpadded max pool of `kernel` over `in`.
[[nodiscard]] Tensor fast_maxblur(const Tensor& in, Size2 kernel, const BlurLayout& layout);

}  // namespace convpool::ops
