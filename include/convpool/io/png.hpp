#pragma once
/// \file png.hpp
/// The one PNG writer: 8-bit pictures and final images, fast enough to stay out of the way of
/// the kernels (a PNG of a 2000x1500 map is written in a few milliseconds).

#include <cstdint>
#include <span>
#include <string>

namespace convpool {

/// An 8-bit PNG of `pixels`: `height` rows of `width` pixels of `channels` interleaved bytes
/// (1 gray, 2 gray + alpha, 3 RGB, 4 RGBA), tightly packed. Every row uses the Sub filter;
/// `level` (0-9) is the deflate level. Up to 32 MiB of filtered bytes (every display-sized
/// picture) are deflated whole by libdeflate; larger images by zlib's run-length strategy in
/// pieces of 256 KiB on every thread (parallel.hpp), joined into one zlib stream with sync
/// flushes. The bytes depend only on the image, never on the thread count. Throws
/// std::invalid_argument for a bad size, channel count or level.
[[nodiscard]] std::string encode_png8(std::span<const std::uint8_t> pixels, int width, int height,
                                      int channels, int level = 1);

/// The smallest of three lossless PNGs of RGB `rgb` (`height` rows of `width` pixels, 3 bytes
/// each), as ImageMagick chooses: gray (one byte a pixel, Sub filter) when every pixel has
/// R == G == B; indexed (a palette of the colours in order of first appearance, one byte a
/// pixel, no filter: PNG's advice for palettes) when there are at most 256 colours; else RGB,
/// unfiltered when it has at most 4096 colours (a colour-mapped picture and its labels, which
/// deflate compresses best that way), else with Sub as encode_png8. Every decoder gives back
/// the same RGB. Throws std::invalid_argument for a bad size or level.
[[nodiscard]] std::string encode_png_rgb(std::span<const std::uint8_t> rgb, int width, int height,
                                         int level = 1);

}  // namespace convpool
