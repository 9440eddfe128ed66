#pragma once
/// \file exif.hpp
/// The EXIF orientation tag of an image file, read from its bytes with a small bounded parser
/// (hostile input: every offset is checked, nothing is allocated, only IFD0 is read, so no
/// loop of IFD pointers can be followed), and the flips and rotations that apply it.

#include <span>

namespace convpool {

/// The Orientation tag (0x0112) of IFD0 of a TIFF structure (`II*\0` or `MM\0*`, as in an
/// EXIF block after its `Exif\0\0` or a TIFF file itself): 1 to 8, or 0 when there is none,
/// the data is malformed, or the value is out of range.
[[nodiscard]] int tiff_orientation(std::span<const unsigned char> tiff);

/// Sets the Orientation tag of IFD0 of a TIFF file to 1 in place (its entry keeps its type and
/// byte order), so that a decoder which applies the tag (OpenCV's TIFF decoder does, at every
/// depth) yields the pixels as stored. Returns false, changing nothing, when there is no valid
/// tag or it is already 1.
bool clear_tiff_orientation(std::span<unsigned char> tiff);

/// The EXIF orientation of a JPEG (the first APP1 `Exif` segment before the first scan), a PNG
/// (the first `eXIf` chunk with a good CRC, of at most 8 MiB) or a TIFF file (the Orientation
/// tag of the page its header points to): 1 to 8, or 0 for none, malformed data and other
/// formats (WebP, BMP, PNM, .npy).
[[nodiscard]] int exif_orientation(std::span<const unsigned char> bytes);

/// How orientation `value` (2 to 8) turns the stored pixels into the picture as it should be
/// seen, e.g. "rotated 90 degrees clockwise"; "" for 1 and anything else.
[[nodiscard]] const char* orientation_description(int value);

}  // namespace convpool
