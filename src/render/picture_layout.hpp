#pragma once
// How a tensor's maps are laid out in a stage picture, within the limits every picture keeps to
// (private to render/).

#include "convpool/core/tensor.hpp"

#include <string>

namespace convpool::detail {

/// Gap between the cells of a grid of channels.
constexpr int kGap = 4;
/// The band of a channel's label above its map: the text's ascent and descent (draw.hpp).
constexpr int kTileLabel = 17;

/// How a tensor's maps are laid out in its picture: each map enlarged f times and then reduced
/// to every d-th pixel (x on the picture is (x * d) / f in the map), the first `shown` channels
/// in a grid of `cols` columns.
struct Layout {
    int f = 1;
    int d = 1;
    int tw = 1;  ///< one map's width and height on the picture
    int th = 1;
    int shown = 1;
    int cols = 1;
    int rows = 1;
    bool labels = false;
    int width = 1;  ///< the whole body
    int height = 1;
};

/// The layout of `s`'s maps: enlarged so that small maps are at least ~160 px on their longer
/// side, then reduced (fewer pixels, then fewer channels) until the picture, frame included,
/// keeps to 16384 px a side and 64 MP, and its body to `picture_size` px on its longer side
/// (0: no such bound, `--picture-size full`). `columns` as --columns (0: a square grid).
[[nodiscard]] Layout layout(const Shape& s, bool natural, int columns, int picture_size = 0);

/// True when `l` draws fewer cells than the maps hold: each picture cell then stands for a
/// block of map cells (the adaptive-pooling bins of bin_start/bin_end).
[[nodiscard]] inline bool reduces(const Layout& l) { return l.d > l.f; }

/// First and one past the last map cell of bin `i` of `out` bins over `in` cells: the bins of
/// adaptive pooling, floor(i*in/out) to ceil((i+1)*in/out).
[[nodiscard]] inline int bin_start(int i, int out, int in) {
    return static_cast<int>(static_cast<long long>(i) * in / out);
}
[[nodiscard]] inline int bin_end(int i, int out, int in) {
    return static_cast<int>((static_cast<long long>(i + 1) * in + out - 1) / out);
}

/// The legend line of a reduced picture ("" when nothing was reduced): the scale and how each
/// block became one picture cell (`mean`: the mean; else the largest magnitude).
[[nodiscard]] std::string reduction_note(const Layout& l, const Shape& s, bool mean,
                                         int picture_size);

}  // namespace convpool::detail
