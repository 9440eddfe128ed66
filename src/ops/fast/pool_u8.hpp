#pragma once
// Max and min pooling of 8-bit interleaved images (ImageU8, H×W×C) without converting to
// float: the plain loop, and the fast path beside it that returns the same image byte for byte
// (tests/test_fast_paths.cpp compares them over sweeps, and both with the float pools).
//
// On 8-bit values max and min are associative, commutative and idempotent, and have no NaN or
// signed zero, so any order of folding a window gives the plain loop's result. Padding never
// wins (PyTorch's rule), so a padding cell counts as the identity (0 for max, 255 for min); a
// window that holds only padding would need -inf (+inf), which 8 bits do not have: such
// geometries have no 8-bit kernel (windows_read_input).

#include "convpool/geometry.hpp"
#include "convpool/tensor.hpp"

#include "fast_pool.hpp"

namespace convpool::ops {

/// True when every window of `win` over an input of `in` (height and width) reads at least one
/// input cell along both axes: the condition for the 8-bit pools to equal the float ones.
[[nodiscard]] bool windows_read_input(const Shape& in, const Window& win);

/// Max or min of every window of every channel, one window at a time (the plain loop).
/// Assumes at least one window per axis and windows_read_input(in.shape(), win).
[[nodiscard]] ImageU8 extremum_pool_u8_plain(const ImageU8& in, const Window& win, Extremum which);

/// The same image as extremum_pool_u8_plain, fast: output rows split over threads; each folds
/// its input rows with vectorised byte max/min, then its columns by doubling over the taps.
/// Windows of 2 columns with stride 2 (and no column padding) read the input rows in place: a
/// max of the rows, then of neighbouring pixels, then the even pixels gathered by a byte
/// shuffle (AVX2 where the machine has it).
[[nodiscard]] ImageU8 extremum_pool_u8(const ImageU8& in, const Window& win, Extremum which);

}  // namespace convpool::ops
