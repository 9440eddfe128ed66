#pragma once
/// \file weights.hpp
/// The picture of a stage's own kernels (`NN_<stage>_weights.png`): the classic grid of a
/// layer's filters.

#include "convpool/core/params.hpp"
#include "convpool/render/visualize.hpp"

#include <string>
#include <vector>

namespace convpool {

/// The kernels of a stage, as Op::Kernels holds them: output-major, `inputs` per output, one
/// name per output.
struct KernelGrid {
    int inputs = 1;
    std::vector<Matrix> kernels;
    std::vector<std::string> names;
};

/// A titled grid of `grid`'s kernels, each magnified with nearest neighbour (a 3x3 kernel is
/// 48 px), a thin gap between them, numbered. With 3 inputs, one RGB tile per output (its
/// three kernels as R, G, B, each tile scaled over its own min..max, as pictures of a first
/// layer are drawn); otherwise one tile per kernel, a row per output when there are several
/// inputs, in a blue-white-red colour map symmetric about 0 over the largest |w| of all, with
/// its colour bar. Named kernels other than c0, c1, ... are listed under the grid. At most
/// 64 x 64 tiles are drawn; the title says when some are left out. `png_scale` pixels per px
/// (`--png-scale`): tiles, text and bar drawn again at that scale.
[[nodiscard]] Picture weights_picture(const KernelGrid& grid, const std::string& title,
                                      double png_scale = 1.0);

}  // namespace convpool
