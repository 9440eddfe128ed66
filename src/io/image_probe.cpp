#include "convpool/io/image_probe.hpp"

#include "convpool/core/error.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <unordered_set>
#include <vector>

namespace convpool {
namespace {

using Bytes = std::span<const unsigned char>;

bool starts_with(Bytes b, std::initializer_list<unsigned char> magic) {
    return b.size() >= magic.size() && std::equal(magic.begin(), magic.end(), b.begin());
}

/// Bounds-checked big/little-endian reads; throw a "cut short" InputError past the end.
std::uint32_t be(Bytes b, std::size_t at, std::size_t n, const char* what) {
    if (at > b.size() || b.size() - at < n) {
        throw InputError(fmt::format("{} header is cut short", what));
    }
    std::uint32_t v = 0;
    for (std::size_t i = 0; i < n; ++i) {
        v = (v << 8U) | b[at + i];
    }
    return v;
}

std::uint32_t le(Bytes b, std::size_t at, std::size_t n, const char* what) {
    if (at > b.size() || b.size() - at < n) {
        throw InputError(fmt::format("{} header is cut short", what));
    }
    std::uint32_t v = 0;
    for (std::size_t i = n; i-- > 0;) {
        v = (v << 8U) | b[at + i];
    }
    return v;
}

ImageHeader probe_png(Bytes b) {
    ImageHeader h{ImageFormat::png, 0, 0, false};
    if (be(b, 12, 4, "png") != 0x49484452U) {  // "IHDR"
        throw InputError("png header is malformed (no IHDR chunk)");
    }
    h.width = be(b, 16, 4, "png");
    h.height = be(b, 20, 4, "png");
    // Walk the chunks; a file that ends before IEND is truncated.
    std::size_t at = 8;
    h.truncated = true;
    while (at + 8 <= b.size()) {
        const std::uint64_t len = be(b, at, 4, "png");
        const std::uint32_t type = be(b, at + 4, 4, "png");
        if (type == 0x49454E44U) {  // "IEND"
            h.truncated = false;
            break;
        }
        at += 12 + len;
    }
    return h;
}

ImageHeader probe_jpeg(Bytes b) {
    ImageHeader h{ImageFormat::jpeg, 0, 0, false};
    std::size_t at = 2;
    while (at + 4 <= b.size()) {
        if (b[at] != 0xFF) {
            throw InputError("jpeg header is malformed (bad marker)");
        }
        const unsigned marker = b[at + 1];
        if (marker == 0xFF) {  // fill byte
            ++at;
            continue;
        }
        if (marker == 0xD8 || marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7)) {
            at += 2;
            continue;
        }
        const std::uint32_t len = be(b, at + 2, 2, "jpeg");
        if (len < 2) {
            throw InputError("jpeg header is malformed (bad segment length)");
        }
        const bool sof =
            marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
        if (sof) {
            h.height = be(b, at + 5, 2, "jpeg");
            h.width = be(b, at + 7, 2, "jpeg");
            break;
        }
        if (marker == 0xDA) {
            break;  // start of scan before any frame header
        }
        at += 2 + len;
    }
    if (h.width == 0 || h.height == 0) {
        throw InputError("jpeg header is malformed or cut short (no frame size)");
    }
    // A complete JPEG ends with EOI (FF D9), possibly followed by padding.
    std::size_t end = b.size();
    while (end > 0 && b[end - 1] == 0x00) {
        --end;
    }
    h.truncated = !(end >= 2 && b[end - 2] == 0xFF && b[end - 1] == 0xD9);
    return h;
}

ImageHeader probe_bmp(Bytes b) {
    ImageHeader h{ImageFormat::bmp, 0, 0, false};
    const std::uint32_t header_size = le(b, 14, 4, "bmp");
    if (header_size == 12) {
        h.width = le(b, 18, 2, "bmp");
        h.height = le(b, 20, 2, "bmp");
    } else {
        h.width = static_cast<std::int32_t>(le(b, 18, 4, "bmp"));
        h.height = static_cast<std::int32_t>(le(b, 22, 4, "bmp"));
    }
    h.width = h.width < 0 ? -h.width : h.width;
    h.height = h.height < 0 ? -h.height : h.height;
    const std::uint32_t data_offset = le(b, 10, 4, "bmp");
    h.truncated = data_offset >= b.size();
    return h;
}

/// Tiles and strips up to this many pixels are accepted whatever the image size.
constexpr std::uint64_t kMaxTiffBlockFloor = std::uint64_t{1} << 20;

ImageHeader probe_tiff(Bytes b) {
    ImageHeader h{ImageFormat::tiff, 0, 0, false};
    const bool little = b[0] == 'I';
    const auto rd = [&](std::size_t at, std::size_t n) {
        return little ? le(b, at, n, "tiff") : be(b, at, n, "tiff");
    };
    const std::uint32_t ifd = rd(4, 4);
    const std::uint32_t entries = rd(ifd, 2);
    std::uint32_t tile_width = 0;
    std::uint32_t tile_length = 0;
    std::uint32_t rows_per_strip = 0;
    std::uint32_t bits = 1;
    std::uint32_t samples = 1;
    std::uint32_t sample_format = 1;
    if (entries > 4096) {
        throw InputError("tiff header is malformed (too many tags)");
    }
    for (std::uint32_t i = 0; i < entries; ++i) {
        const std::size_t e = ifd + 2 + static_cast<std::size_t>(i) * 12;
        const std::uint32_t tag = rd(e, 2);
        const std::uint32_t type = rd(e + 2, 2);
        const std::uint32_t value = type == 3 ? rd(e + 8, 2) : rd(e + 8, 4);
        if (tag == 256) {
            h.width = value;
        } else if (tag == 257) {
            h.height = value;
        } else if (tag == 322) {
            tile_width = value;
        } else if (tag == 323) {
            tile_length = value;
        } else if (tag == 278) {
            rows_per_strip = value;
        } else if (tag == 258) {  // BitsPerSample: the first; beyond 2 values, at an offset
            bits = rd(e + 4, 4) > 2 ? rd(rd(e + 8, 4), 2) : value;
        } else if (tag == 277) {
            samples = value;
        } else if (tag == 339) {
            sample_format = rd(e + 4, 4) > 2 ? rd(rd(e + 8, 4), 2) : value;
        }
    }
    static constexpr std::array<const char*, 4> kFormats{"unsigned", "signed", "float", "untyped"};
    // What OpenCV 4.6's TIFF decoder reads: 1 to 4 samples of 8 or 16 bits or 32-bit float,
    // and one sample of 64-bit float.
    h.samples_supported = samples >= 1 && samples <= 4 &&
                          (bits == 8 || bits == 16 || (bits == 32 && sample_format == 3) ||
                           (bits == 64 && sample_format == 3 && samples == 1));
    h.samples =
        fmt::format("{} sample{} of {}-bit {}", samples, samples == 1 ? "" : "s", bits,
                    sample_format >= 1 && sample_format <= 4 ? kFormats.at(sample_format - 1)
                                                             : "unknown-format");
    if (h.width == 0 || h.height == 0) {
        throw InputError("tiff header is malformed (no image size)");
    }
    // OpenCV allocates one tile (or strip: width x RowsPerStrip, unless that is 2^32-1) before
    // reading any data: refuse blocks far larger than the image (16384x16384 tiles for a 16x16
    // image cost 1 GB).
    const auto width = static_cast<std::uint64_t>(h.width);
    const std::uint64_t block_width = tile_width != 0 ? tile_width : width;
    const std::uint64_t block_rows =
        tile_width != 0 ? tile_length : (rows_per_strip == 0xFFFFFFFFU ? 0 : rows_per_strip);
    const std::uint64_t pixels = width * static_cast<std::uint64_t>(h.height);
    if (block_width * block_rows > std::max<std::uint64_t>(4 * pixels, kMaxTiffBlockFloor)) {
        throw InputError(fmt::format("tiff header is malformed ({} of {}x{} for a {}x{} image)",
                                     tile_width != 0 ? "tiles" : "strips", block_width, block_rows,
                                     h.width, h.height));
    }
    return h;
}

/// The byte order of a TIFF's header and a reader of its numbers.
struct TiffReader {
    Bytes b;
    bool little;
    [[nodiscard]] std::uint32_t operator()(std::size_t at, std::size_t n) const {
        return little ? le(b, at, n, "tiff") : be(b, at, n, "tiff");
    }
};

ImageHeader probe_webp(Bytes b) {
    ImageHeader h{ImageFormat::webp, 0, 0, false};
    const std::uint32_t riff_size = le(b, 4, 4, "webp");
    h.truncated = static_cast<std::uint64_t>(riff_size) + 8 > b.size();
    const std::uint32_t chunk = be(b, 12, 4, "webp");
    if (chunk == 0x56503820U) {  // "VP8 " lossy: 14-bit sizes after the start code
        h.width = le(b, 26, 2, "webp") & 0x3FFFU;
        h.height = le(b, 28, 2, "webp") & 0x3FFFU;
    } else if (chunk == 0x5650384CU) {  // "VP8L" lossless: 14-bit sizes minus one
        const std::uint32_t bits = le(b, 21, 4, "webp");
        h.width = (bits & 0x3FFFU) + 1;
        h.height = ((bits >> 14U) & 0x3FFFU) + 1;
    } else if (chunk == 0x56503858U) {  // "VP8X" extended: 24-bit sizes minus one
        h.width = static_cast<long long>(le(b, 24, 3, "webp")) + 1;
        h.height = static_cast<long long>(le(b, 27, 3, "webp")) + 1;
    } else {
        throw InputError("webp header is malformed (unknown chunk)");
    }
    return h;
}

ImageHeader probe_pnm(Bytes b) {
    ImageHeader h{ImageFormat::pnm, 0, 0, false};
    // P1..P6: magic, then width and height as ASCII numbers, with '#' comments between tokens.
    std::size_t at = 2;
    std::array<long long, 2> numbers{0, 0};
    for (long long& n : numbers) {
        while (at < b.size() && (std::isspace(b[at]) != 0 || b[at] == '#')) {
            if (b[at] == '#') {
                while (at < b.size() && b[at] != '\n') {
                    ++at;
                }
            } else {
                ++at;
            }
        }
        if (at >= b.size() || std::isdigit(b[at]) == 0) {
            throw InputError("pnm header is malformed or cut short");
        }
        while (at < b.size() && std::isdigit(b[at]) != 0) {
            n = n * 10 + (b[at] - '0');
            if (n > (1LL << 32)) {
                throw InputError("pnm header is malformed (size too large)");
            }
            ++at;
        }
    }
    h.width = numbers[0];
    h.height = numbers[1];
    return h;
}

}  // namespace

const char* format_name(ImageFormat format) noexcept {
    switch (format) {
        case ImageFormat::png:
            return "png";
        case ImageFormat::jpeg:
            return "jpeg";
        case ImageFormat::tiff:
            return "tiff";
        case ImageFormat::bmp:
            return "bmp";
        case ImageFormat::webp:
            return "webp";
        case ImageFormat::pnm:
            return "pnm";
        case ImageFormat::npy:
            return "npy";
    }
    return "unknown";
}

std::optional<ImageFormat> sniff_format(Bytes b) noexcept {
    if (starts_with(b, {0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A})) {
        return ImageFormat::png;
    }
    if (starts_with(b, {0xFF, 0xD8, 0xFF})) {
        return ImageFormat::jpeg;
    }
    if (starts_with(b, {'I', 'I', 0x2A, 0x00}) || starts_with(b, {'M', 'M', 0x00, 0x2A})) {
        return ImageFormat::tiff;
    }
    if (starts_with(b, {'B', 'M'})) {
        return ImageFormat::bmp;
    }
    if (b.size() >= 12 && starts_with(b, {'R', 'I', 'F', 'F'}) &&
        std::memcmp(b.data() + 8, "WEBP", 4) == 0) {
        return ImageFormat::webp;
    }
    if (b.size() >= 3 && b[0] == 'P' && b[1] >= '1' && b[1] <= '6' && std::isspace(b[2]) != 0) {
        return ImageFormat::pnm;
    }
    if (starts_with(b, {0x93, 'N', 'U', 'M', 'P', 'Y'})) {
        return ImageFormat::npy;
    }
    return std::nullopt;
}

std::vector<std::uint32_t> tiff_page_offsets(Bytes b) {
    const TiffReader rd{b, !b.empty() && b[0] == 'I'};
    std::vector<std::uint32_t> pages;
    std::unordered_set<std::uint32_t> seen;  // a loop check in O(1) per page, not O(pages)
    std::uint32_t ifd = rd(4, 4);
    while (ifd != 0) {
        if (!seen.insert(ifd).second) {
            throw InputError("tiff header is malformed (its pages form a loop)");
        }
        if (pages.size() == kMaxTiffPages) {
            throw InputError(fmt::format("tiff data has more than {} pages", kMaxTiffPages));
        }
        pages.push_back(ifd);
        const std::uint32_t entries = rd(ifd, 2);
        ifd = rd(ifd + 2 + static_cast<std::size_t>(entries) * 12, 4);
    }
    return pages;
}

std::vector<unsigned char> tiff_page(Bytes b, std::size_t page) {
    const auto pages = tiff_page_offsets(b);
    if (page >= pages.size()) {
        throw InputError(fmt::format("tiff data has {} page{}; there is no page {}", pages.size(),
                                     pages.size() == 1 ? "" : "s", page));
    }
    std::vector<unsigned char> out(b.begin(), b.end());
    const std::uint32_t at = pages[page];
    for (std::size_t i = 0; i < 4; ++i) {  // the header's first-IFD offset, in the file's order
        const std::size_t shift = 8 * (b[0] == 'I' ? i : 3 - i);
        out[4 + i] = static_cast<unsigned char>((at >> shift) & 0xFFU);
    }
    return out;
}

ImageHeader probe_image(Bytes bytes) {
    const auto format = sniff_format(bytes);
    if (!format) {
        throw InputError(
            "not an image (unknown format; convpool reads PNG, JPEG, TIFF, BMP, WebP, PNM and "
            ".npy)");
    }
    ImageHeader h;
    switch (*format) {
        case ImageFormat::png:
            h = probe_png(bytes);
            break;
        case ImageFormat::jpeg:
            h = probe_jpeg(bytes);
            break;
        case ImageFormat::tiff:
            h = probe_tiff(bytes);
            break;
        case ImageFormat::bmp:
            h = probe_bmp(bytes);
            break;
        case ImageFormat::webp:
            h = probe_webp(bytes);
            break;
        case ImageFormat::pnm:
            h = probe_pnm(bytes);
            break;
        case ImageFormat::npy:
            h.format = ImageFormat::npy;  // decode_npy checks its own header
            return h;
    }
    // OpenCV picks its decoder by signature, and DICOM's ("DICM" at byte 128) is the one not at
    // the start: a file whose own header OpenCV turns down would go to GDCM, which asserts on
    // malformed data. convpool reads no DICOM, so such a file is refused before decoding.
    if (bytes.size() >= 132 && std::memcmp(bytes.data() + 128, "DICM", 4) == 0) {
        throw InputError(fmt::format(
            "{} data carries a DICOM marker at byte 128; refused (convpool reads no DICOM)",
            format_name(*format)));
    }
    if (h.width <= 0 || h.height <= 0) {
        throw InputError(fmt::format("{} header gives an empty image ({}x{})", format_name(*format),
                                     h.height, h.width));
    }
    return h;
}

}  // namespace convpool
