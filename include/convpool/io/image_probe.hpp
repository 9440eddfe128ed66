#pragma once
/// \file image_probe.hpp
/// Reads the header of an image held in memory, without decoding it, so that untrusted files can
/// be refused (unknown format, absurd size, truncated data) before any decoder sees them.
/// No OpenCV here: plain byte parsing with every read bounds-checked.

#include <cstddef>
#include <optional>
#include <span>
#include <string>

namespace convpool {

/// Image formats convpool hands to a decoder.
enum class ImageFormat { png, jpeg, tiff, bmp, webp, pnm, npy };

/// Lower-case name of a format (`png`, `jpeg`, ...).
[[nodiscard]] const char* format_name(ImageFormat format) noexcept;

/// The format of `bytes` from its magic bytes, or nothing for anything else.
[[nodiscard]] std::optional<ImageFormat> sniff_format(
    std::span<const unsigned char> bytes) noexcept;

/// What the header says.
struct ImageHeader {
    ImageFormat format = ImageFormat::png;
    long long width = 0;  ///< 0 when the header does not say (then the decoder's size is checked)
    long long height = 0;
    bool truncated = false;  ///< the data visibly ends early (no PNG IEND, no JPEG EOI, ...)
};

/// Parses the header of `bytes`. Throws InputError for an unknown format or a header that is
/// malformed or cut short. Never reads outside `bytes`.
[[nodiscard]] ImageHeader probe_image(std::span<const unsigned char> bytes);

}  // namespace convpool
