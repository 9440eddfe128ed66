#pragma once
/// \file image_probe.hpp
/// Reads the header of an image held in memory, without decoding it, so that untrusted files can
/// be refused (unknown format, absurd size, truncated data) before any decoder sees them.
/// No OpenCV here: plain byte parsing with every read bounds-checked.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

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
    bool truncated = false;         ///< the data visibly ends early (no PNG IEND, no JPEG EOI, ...)
    std::string samples;            ///< TIFF: what a pixel holds (`3 samples of 64-bit float`)
    bool samples_supported = true;  ///< TIFF: OpenCV's decoder reads such pixels
};

/// Parses the header of `bytes`. Throws InputError for an unknown format or a header that is
/// malformed or cut short. Never reads outside `bytes`.
[[nodiscard]] ImageHeader probe_image(std::span<const unsigned char> bytes);

/// A TIFF holds at most this many pages (each an IFD, walked from the header).
inline constexpr std::size_t kMaxTiffPages = 100000;

/// Where each page (IFD) of a TIFF starts, in file order. Throws InputError for a chain that
/// leaves the data, loops, or is longer than kMaxTiffPages.
[[nodiscard]] std::vector<std::uint32_t> tiff_page_offsets(std::span<const unsigned char> bytes);

/// A copy of the TIFF `bytes` whose header points at page `page` (0-based): a decoder that reads
/// the first page reads that one. Throws InputError when there is no such page.
[[nodiscard]] std::vector<unsigned char> tiff_page(std::span<const unsigned char> bytes,
                                                   std::size_t page);

}  // namespace convpool
