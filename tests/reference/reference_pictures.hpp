#pragma once
/// \file reference_pictures.hpp
/// Naive reference of how a stage picture reduces a map larger than --picture-size, for tests
/// only; shares no code with convpool.

#include "reference/reference.hpp"

namespace ref {

/// `in` reduced to out_h x out_w cells per channel: cell (y, x) covers rows
/// floor(y*H/out_h) .. ceil((y+1)*H/out_h) - 1 and likewise columns (adaptive pooling's bins).
/// With `mean` the mean of the block; else the block's value of largest magnitude with its sign,
/// a NaN if the block holds one, and of +v and -v the positive one.
[[nodiscard]] Image reduce_picture(const Image& in, int out_h, int out_w, bool mean);

}  // namespace ref
