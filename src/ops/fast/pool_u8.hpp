#pragma once
// Max and min pooling of 8-bit interleaved images (ImageU8, H×W×C) without converting to
// float: the plain loop, and the fast path beside it that returns the same image byte for byte
// (tests/ops/fast/test_pool_u8.cpp compares them over sweeps, and both with the float pools).
//
// On 8-bit values max and min are associative, commutative and idempotent, and have no NaN or
// signed zero, so any order of folding a window gives the plain loop's result. Padding never
// wins (PyTorch's rule), so a padding cell counts as the identity (0 for max, 255 for min); a
// window that holds only padding would need -inf (+inf), which 8 bits do not have: such
// geometries have no 8-bit kernel (windows_read_input).

#include "convpool/core/geometry.hpp"
#include "convpool/core/tensor.hpp"

#include "ops/fast/pool.hpp"

namespace convpool::ops {

/// Max or min of every window of every channel, one window at a time (the plain loop).
/// Assumes at least one window per axis and windows_read_input(in.shape(), win).
[[nodiscard]] ImageU8 extremum_pool_u8_plain(const ImageU8& in, const Window& win, Extremum which);

}  // namespace convpool::ops
