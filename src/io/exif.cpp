#include "convpool/io/exif.hpp"

#include <zlib.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>

namespace convpool {
namespace {

/// Bounds-checked reads in a TIFF structure's byte order.
struct TiffReader {
    std::span<const unsigned char> data;
    bool little = true;

    /// false when [at, at + n) is not inside the data (no overflow: n is small).
    [[nodiscard]] bool fits(std::size_t at, std::size_t n) const {
        return at <= data.size() && n <= data.size() - at;
    }
    [[nodiscard]] std::uint32_t u16(std::size_t at) const {
        const unsigned a = data[at];
        const unsigned b = data[at + 1];
        return little ? (a | (b << 8U)) : ((a << 8U) | b);
    }
    [[nodiscard]] std::uint32_t u32(std::size_t at) const {
        const std::uint32_t lo = u16(at);
        const std::uint32_t hi = u16(at + 2);
        return little ? (lo | (hi << 16U)) : ((lo << 16U) | hi);
    }
};

constexpr std::uint32_t kOrientationTag = 0x0112;
constexpr std::uint32_t kShort = 3;
constexpr std::uint32_t kLong = 4;
constexpr std::size_t kEntryBytes = 12;

std::uint32_t big_u32(const unsigned char* p) {
    return (std::uint32_t{p[0]} << 24U) | (std::uint32_t{p[1]} << 16U) |
           (std::uint32_t{p[2]} << 8U) | std::uint32_t{p[3]};
}

/// The orientation in the first APP1 Exif segment of a JPEG, walking the markers up to the
/// first scan; 0 when there is none.
int jpeg_orientation(std::span<const unsigned char> b) {
    std::size_t at = 2;  // after SOI
    while (at + 1 < b.size()) {
        if (b[at] != 0xFF) {
            return 0;  // not a marker where one must be
        }
        const unsigned marker = b[at + 1];
        if (marker == 0xFF) {  // fill byte
            ++at;
            continue;
        }
        if (marker == 0xD9 || marker == 0xDA) {  // end of image, start of scan: no more headers
            return 0;
        }
        if (marker == 0x01 || (marker >= 0xD0 && marker <= 0xD8)) {  // no length
            at += 2;
            continue;
        }
        if (at + 4 > b.size()) {
            return 0;
        }
        const std::size_t length = (std::size_t{b[at + 2]} << 8U) | b[at + 3];
        if (length < 2 || length - 2 > b.size() - (at + 4)) {
            return 0;
        }
        const std::span<const unsigned char> payload = b.subspan(at + 4, length - 2);
        static constexpr std::array<unsigned char, 6> kExif{'E', 'x', 'i', 'f', 0, 0};
        if (marker == 0xE1 && payload.size() >= kExif.size() &&
            std::memcmp(payload.data(), kExif.data(), kExif.size()) == 0) {
            return tiff_orientation(payload.subspan(kExif.size()));
        }
        at += 2 + length;
    }
    return 0;
}

/// The orientation in the first eXIf chunk of a PNG with a good CRC and at most 8 MiB (libpng's
/// chunk limit in decoders.hpp); 0 when there is none.
int png_orientation(std::span<const unsigned char> b) {
    constexpr std::size_t kMaxChunk = std::size_t{8} << 20U;
    std::size_t at = 8;  // after the signature
    while (at + 12 <= b.size()) {
        const std::size_t length = big_u32(b.data() + at);
        if (length > b.size() - at - 12) {
            return 0;  // runs past the end (also any length over 2^31 - 1 in a 1 GiB file)
        }
        const unsigned char* type = b.data() + at + 4;
        if (std::memcmp(type, "IEND", 4) == 0) {
            return 0;
        }
        if (std::memcmp(type, "eXIf", 4) == 0 && length <= kMaxChunk) {
            const uLong crc = crc32(0, type, static_cast<uInt>(4 + length));
            if (crc == big_u32(type + 4 + length)) {
                return tiff_orientation(b.subspan(at + 8, length));
            }
        }
        at += 12 + length;
    }
    return 0;
}

}  // namespace

namespace {

/// Where the Orientation entry of IFD0 keeps its value, and that value; nullopt when there is no
/// such entry, the data is malformed, or the value is not one SHORT or LONG from 1 to 8.
struct OrientationEntry {
    std::size_t value_at = 0;  // the entry's value field (in the entry itself)
    std::uint32_t type = 0;    // kShort or kLong
    bool little = true;
    int value = 0;
};

std::optional<OrientationEntry> find_orientation(std::span<const unsigned char> tiff) {
    TiffReader r{tiff};
    if (!r.fits(0, 8)) {
        return std::nullopt;
    }
    if (tiff[0] == 'I' && tiff[1] == 'I') {
        r.little = true;
    } else if (tiff[0] == 'M' && tiff[1] == 'M') {
        r.little = false;
    } else {
        return std::nullopt;
    }
    if (r.u16(2) != 42) {  // not classic TIFF (BigTIFF's 43 included)
        return std::nullopt;
    }
    const std::size_t ifd = r.u32(4);
    if (!r.fits(ifd, 2)) {
        return std::nullopt;
    }
    const std::size_t count = r.u16(ifd);
    for (std::size_t i = 0; i < count; ++i) {
        const std::size_t entry = ifd + 2 + i * kEntryBytes;
        if (!r.fits(entry, kEntryBytes)) {
            return std::nullopt;  // a count larger than the data: stop at its end
        }
        if (r.u16(entry) != kOrientationTag) {
            continue;
        }
        const std::uint32_t type = r.u16(entry + 2);
        if (r.u32(entry + 4) != 1 || (type != kShort && type != kLong)) {
            return std::nullopt;  // one SHORT (or LONG) value, held in the entry itself
        }
        const std::uint32_t value = type == kShort ? r.u16(entry + 8) : r.u32(entry + 8);
        if (value < 1 || value > 8) {
            return std::nullopt;
        }
        return OrientationEntry{entry + 8, type, r.little, static_cast<int>(value)};
    }
    return std::nullopt;
}

}  // namespace

int tiff_orientation(std::span<const unsigned char> tiff) {
    const auto found = find_orientation(tiff);
    return found ? found->value : 0;
}

bool clear_tiff_orientation(std::span<unsigned char> tiff) {
    const auto found = find_orientation(tiff);
    if (!found || found->value == 1) {
        return false;
    }
    // The value 1 in the entry's own type and byte order: SHORT is 2 bytes, LONG 4.
    const std::size_t bytes = found->type == kShort ? 2 : 4;
    for (std::size_t i = 0; i < bytes; ++i) {
        const bool low_byte = found->little ? i == 0 : i == bytes - 1;
        tiff[found->value_at + i] = low_byte ? 1 : 0;
    }
    return true;
}

int exif_orientation(std::span<const unsigned char> bytes) {
    static constexpr std::array<unsigned char, 8> kPng{0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
    if (bytes.size() >= 3 && bytes[0] == 0xFF && bytes[1] == 0xD8 && bytes[2] == 0xFF) {
        return jpeg_orientation(bytes);
    }
    if (bytes.size() >= kPng.size() && std::memcmp(bytes.data(), kPng.data(), kPng.size()) == 0) {
        return png_orientation(bytes);
    }
    if (bytes.size() >= 4 &&
        ((bytes[0] == 'I' && bytes[1] == 'I' && bytes[2] == 42 && bytes[3] == 0) ||
         (bytes[0] == 'M' && bytes[1] == 'M' && bytes[2] == 0 && bytes[3] == 42))) {
        return tiff_orientation(bytes);  // IFD0: the page the header points to
    }
    return 0;
}

const char* orientation_description(int value) {
    switch (value) {
        case 2:
            return "mirrored left to right";
        case 3:
            return "rotated 180 degrees";
        case 4:
            return "mirrored top to bottom";
        case 5:
            return "transposed (mirrored across the main diagonal)";
        case 6:
            return "rotated 90 degrees clockwise";
        case 7:
            return "transversed (mirrored across the anti-diagonal)";
        case 8:
            return "rotated 90 degrees counter-clockwise";
        default:
            return "";
    }
}

}  // namespace convpool
