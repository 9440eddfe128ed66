#pragma once
// How a map too large for its picture becomes the picture's cells (private to render/): each
// picture cell stands for a block of map cells, the adaptive-pooling bins of picture_layout.hpp.

#include <span>
#include <vector>

namespace convpool::detail {

/// The value of largest magnitude with its sign, of `a` and `b`: NaN wins (drawn magenta), and
/// of two values of one magnitude the positive one, so that the result is the same in any order.
[[nodiscard]] float larger_magnitude(float a, float b);

/// Row `y` of `plane` (`height` x `width` values) reduced to `out_h` x `out_w` cells: in each
/// block of the adaptive bins the value of largest magnitude with its sign (feature maps) or,
/// with `mean`, the mean (images). `out` receives `out_w` values; `scratch` is reused between
/// calls. Reads only the rows of the block, straight from the floats.
void reduce_row(std::span<const float> plane, int height, int width, int out_h, int out_w, int y,
                bool mean, std::vector<double>& scratch, std::span<float> out);

}  // namespace convpool::detail
