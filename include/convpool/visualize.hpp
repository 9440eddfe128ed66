#pragma once
/// \file visualize.hpp
/// Pictures of feature maps and the contact sheet. Signed maps use a diverging colour map
/// centred on 0; non-negative maps use viridis; non-finite values are drawn magenta.

#include <cstdint>
#include <string>
#include <vector>

#include "convpool/tensor.hpp"

namespace convpool {

/// An 8-bit RGB picture, row-major, 3 bytes per pixel.
struct Picture {
    int width = 0;
    int height = 0;
    std::vector<std::uint8_t> rgb;
};

/// How a tensor is drawn.
enum class PictureKind {
    feature_maps,  ///< every channel colour-mapped, several channels as a labelled grid
    natural,       ///< 1 or 3 channels shown as a gray or RGB image (the input stage)
};

/// The tensor's channels as one picture, without title (used for stage pictures and the sheet).
/// Small maps are enlarged by an integer factor with nearest neighbour.
[[nodiscard]] Picture render_tensor(const Tensor& t, PictureKind kind);

/// A stage picture: `body` with `title` above it and a colour bar for the value range below.
[[nodiscard]] Picture titled_picture(const Picture& body, const std::string& title,
                                     const Tensor& t, PictureKind kind);

/// One column of the contact sheet.
struct SheetItem {
    Picture body;
    std::string label;     ///< e.g. "02 pool:max k=2"
    std::string sublabel;  ///< e.g. "3x256x256"
};

/// All items side by side at one display height (nearest neighbour), each labelled.
[[nodiscard]] Picture contact_sheet(const std::vector<SheetItem>& items, int display_height);

/// PNG bytes of `p`; throws OutputError when encoding fails.
[[nodiscard]] std::string encode_png(const Picture& p);

}  // namespace convpool
