// The EXIF orientation parser (io/exif.cpp) on valid and hostile data, and the one-pass 16-bit
// conversion (u16_rows_to_tensor).
#include "convpool/core/tensor.hpp"
#include "convpool/io/exif.hpp"

#include <doctest/doctest.h>
#include <zlib.h>

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

namespace {

using Bytes = std::vector<unsigned char>;

void put16(Bytes& b, unsigned v, bool little) {
    b.push_back(static_cast<unsigned char>(little ? v & 0xFFU : (v >> 8U) & 0xFFU));
    b.push_back(static_cast<unsigned char>(little ? (v >> 8U) & 0xFFU : v & 0xFFU));
}

void put32(Bytes& b, std::uint32_t v, bool little) {
    put16(b, little ? v & 0xFFFFU : v >> 16U, little);
    put16(b, little ? v >> 16U : v & 0xFFFFU, little);
}

/// A TIFF structure whose IFD0 holds `entries` entries of which the last is Orientation with
/// `type`, `count` and `value`; its next-IFD pointer points back at IFD0 (a loop).
Bytes tiff_block(unsigned value, bool little = true, unsigned type = 3, std::uint32_t count = 1,
                 unsigned entries = 2) {
    const auto order = static_cast<unsigned char>(little ? 'I' : 'M');
    Bytes b{order, order};
    put16(b, 42, little);
    put32(b, 8, little);
    put16(b, entries, little);
    for (unsigned i = 0; i + 1 < entries; ++i) {  // ImageWidth = 7
        put16(b, 256, little);
        put16(b, 3, little);
        put32(b, 1, little);
        put16(b, 7, little);
        put16(b, 0, little);
    }
    put16(b, 0x0112, little);
    put16(b, type, little);
    put32(b, count, little);
    if (type == 3) {
        put16(b, value, little);
        put16(b, 0, little);
    } else {
        put32(b, value, little);
    }
    put32(b, 8, little);  // next IFD: IFD0 again
    return b;
}

Bytes jpeg_with(const Bytes& segments) {
    Bytes b{0xFF, 0xD8};
    b.insert(b.end(), segments.begin(), segments.end());
    const Bytes tail{0xFF, 0xDA, 0x00, 0x02, 0x00, 0xFF, 0xD9};
    b.insert(b.end(), tail.begin(), tail.end());
    return b;
}

Bytes segment(unsigned marker, const Bytes& payload) {
    Bytes b{0xFF, static_cast<unsigned char>(marker)};
    put16(b, static_cast<unsigned>(payload.size() + 2), false);
    b.insert(b.end(), payload.begin(), payload.end());
    return b;
}

Bytes exif_payload(const Bytes& tiff) {
    Bytes b{'E', 'x', 'i', 'f', 0, 0};
    b.insert(b.end(), tiff.begin(), tiff.end());
    return b;
}

Bytes png_chunk(const std::string& type, const Bytes& data, bool good_crc = true) {
    Bytes b;
    put32(b, static_cast<std::uint32_t>(data.size()), false);
    b.insert(b.end(), type.begin(), type.end());
    b.insert(b.end(), data.begin(), data.end());
    const uLong crc = crc32(0, b.data() + 4, static_cast<uInt>(4 + data.size()));
    put32(b, static_cast<std::uint32_t>(good_crc ? crc : crc ^ 1U), false);
    return b;
}

Bytes png_with(const std::vector<Bytes>& chunks) {
    Bytes b{0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
    for (const auto& c : chunks) {
        b.insert(b.end(), c.begin(), c.end());
    }
    return b;
}

}  // namespace

TEST_CASE("tiff_orientation: every value in both byte orders, SHORT or LONG") {
    for (unsigned v = 1; v <= 8; ++v) {
        CAPTURE(v);
        CHECK(convpool::tiff_orientation(tiff_block(v, true)) == static_cast<int>(v));
        CHECK(convpool::tiff_orientation(tiff_block(v, false)) == static_cast<int>(v));
        CHECK(convpool::tiff_orientation(tiff_block(v, false, 4)) == static_cast<int>(v));
    }
}

TEST_CASE("clear_tiff_orientation: sets the tag to 1 in its own type and byte order, only that") {
    for (const bool little : {true, false}) {
        for (const unsigned type : {3U, 4U}) {
            CAPTURE(little);
            CAPTURE(type);
            Bytes b = tiff_block(6, little, type);
            const Bytes before = b;
            CHECK(convpool::clear_tiff_orientation(b));
            CHECK(convpool::tiff_orientation(b) == 1);
            Bytes want = tiff_block(1, little, type);
            CHECK(b == want);
            std::size_t changed = 0;
            for (std::size_t i = 0; i < b.size(); ++i) {
                changed += b[i] != before[i] ? 1U : 0U;
            }
            CHECK(changed == 1);  // 6 -> 1 is one byte in either order
        }
    }
    // Nothing to clear: already 1, out of range, no tag, malformed. The bytes stay as they are.
    for (Bytes b : {tiff_block(1), tiff_block(9), tiff_block(6, true, 7), Bytes{'I', 'I', 42}}) {
        const Bytes before = b;
        CHECK_FALSE(convpool::clear_tiff_orientation(b));
        CHECK(b == before);
    }
}

TEST_CASE("tiff_orientation: bad values, types, counts, offsets and every cut give 0") {
    CHECK(convpool::tiff_orientation(tiff_block(0)) == 0);
    CHECK(convpool::tiff_orientation(tiff_block(9)) == 0);
    CHECK(convpool::tiff_orientation(tiff_block(0x10006, true, 4)) == 0);
    CHECK(convpool::tiff_orientation(tiff_block(6, true, 7)) == 0);       // UNDEFINED
    CHECK(convpool::tiff_orientation(tiff_block(6, true, 3, 2)) == 0);    // two values
    CHECK(convpool::tiff_orientation(tiff_block(6, true, 3, ~0U)) == 0);  // a huge count
    Bytes bad_magic = tiff_block(6);
    bad_magic[2] = 43;  // BigTIFF
    CHECK(convpool::tiff_orientation(bad_magic) == 0);
    // IFD0 offsets past the end, at the very end, and near 2^32 (no wrap-around).
    for (const std::uint32_t offset : {1000U, 33U, 34U, 0xFFFFFFF0U, 0xFFFFFFFFU}) {
        Bytes b = tiff_block(6);
        b[4] = static_cast<unsigned char>(offset & 0xFFU);
        b[5] = static_cast<unsigned char>((offset >> 8U) & 0xFFU);
        b[6] = static_cast<unsigned char>((offset >> 16U) & 0xFFU);
        b[7] = static_cast<unsigned char>(offset >> 24U);
        CAPTURE(offset);
        CHECK(convpool::tiff_orientation(b) == 0);
    }
    // An entry count of 65535 with two entries present: the tag is found, nothing past the end
    // is read (ASan builds check); with the tag missing, 0.
    Bytes many = tiff_block(6);
    many[8] = 0xFF;
    many[9] = 0xFF;
    CHECK(convpool::tiff_orientation(many) == 6);
    Bytes missing = many;
    missing.resize(8 + 2 + 12);
    CHECK(convpool::tiff_orientation(missing) == 0);
    // Every prefix of a valid block: 0 until the Orientation entry is complete.
    const Bytes full = tiff_block(6, false, 3, 1, 40);
    for (std::size_t n = 0; n < full.size(); ++n) {
        const int got = convpool::tiff_orientation(std::span(full.data(), n));
        CHECK(got == (n >= full.size() - 4 ? 6 : 0));
    }
}

TEST_CASE("exif_orientation: JPEG APP1 segments, walked without reading past the end") {
    const Bytes exif = segment(0xE1, exif_payload(tiff_block(6)));
    CHECK(convpool::exif_orientation(jpeg_with(exif)) == 6);
    // After APP0 and an XMP APP1, and after fill bytes.
    Bytes before = segment(0xE0, Bytes{'J', 'F', 'I', 'F', 0});
    const Bytes xmp = segment(0xE1, Bytes{'h', 't', 't', 'p', ':'});
    before.insert(before.end(), xmp.begin(), xmp.end());
    before.insert(before.end(), {0xFF, 0xFF});
    before.insert(before.end(), exif.begin(), exif.end());
    CHECK(convpool::exif_orientation(jpeg_with(before)) == 6);
    // The first Exif segment counts; one after the first scan is not read.
    Bytes two = segment(0xE1, exif_payload(tiff_block(3)));
    two.insert(two.end(), exif.begin(), exif.end());
    CHECK(convpool::exif_orientation(jpeg_with(two)) == 3);
    Bytes after = jpeg_with({});
    after.insert(after.end() - 2, exif.begin(), exif.end());
    CHECK(convpool::exif_orientation(after) == 0);
    // A segment length below 2 or past the end, garbage instead of a marker, every cut.
    Bytes short_length = jpeg_with(exif);
    short_length[4] = 0;
    short_length[5] = 1;
    CHECK(convpool::exif_orientation(short_length) == 0);
    Bytes long_length = jpeg_with(exif);
    long_length[4] = 0xFF;
    CHECK(convpool::exif_orientation(long_length) == 0);
    CHECK(convpool::exif_orientation(Bytes{0xFF, 0xD8, 0xFF, 0x00, 0x12}) == 0);
    const Bytes whole = jpeg_with(exif);
    for (std::size_t n = 0; n < whole.size(); ++n) {
        const int got = convpool::exif_orientation(std::span(whole.data(), n));
        CHECK((got == 0 || (got == 6 && n >= 2 + exif.size())));
    }
}

TEST_CASE("exif_orientation: the first PNG eXIf chunk with a good CRC; other formats give 0") {
    const Bytes ihdr = png_chunk("IHDR", Bytes(13, 1));
    const Bytes idat = png_chunk("IDAT", Bytes{1, 2, 3});
    const Bytes iend = png_chunk("IEND", {});
    const Bytes exif = png_chunk("eXIf", tiff_block(8, false));
    CHECK(convpool::exif_orientation(png_with({ihdr, exif, idat, iend})) == 8);
    CHECK(convpool::exif_orientation(png_with({ihdr, idat, exif, iend})) == 8);
    CHECK(convpool::exif_orientation(png_with({ihdr, idat, iend, exif})) == 0);
    CHECK(convpool::exif_orientation(
              png_with({ihdr, png_chunk("eXIf", tiff_block(8), false), idat, iend})) == 0);
    // A chunk whose length runs past the end (2^31 - 1), then the eXIf: never reached.
    Bytes lying = png_chunk("tEXt", Bytes{'a'});
    lying[0] = 0x7F;
    lying[1] = 0xFF;
    lying[2] = 0xFF;
    lying[3] = 0xFF;
    CHECK(convpool::exif_orientation(png_with({ihdr, lying, exif, iend})) == 0);
    const Bytes whole = png_with({ihdr, exif, iend});
    for (std::size_t n = 0; n < whole.size(); ++n) {
        const int got = convpool::exif_orientation(std::span(whole.data(), n));
        CHECK((got == 0 || (got == 8 && n >= 8 + ihdr.size() + exif.size())));
    }
    // A TIFF file: the tag of the IFD its header points to, in either byte order. BMP and
    // nothing: 0.
    CHECK(convpool::exif_orientation(tiff_block(6)) == 6);
    CHECK(convpool::exif_orientation(tiff_block(7, false, 4)) == 7);
    CHECK(convpool::exif_orientation(Bytes{'B', 'M', 0, 0}) == 0);
    CHECK(convpool::exif_orientation(Bytes{}) == 0);
    CHECK(std::string(convpool::orientation_description(6)) == "rotated 90 degrees clockwise");
    CHECK(std::string(convpool::orientation_description(1)).empty());
}

TEST_CASE("u16_rows_to_tensor: every value is the float nearest v / 65535, BGRA to RGB") {
    // One row of all 65536 values: each result f is nearer to v / 65535 than both its float
    // neighbours (f * 65535 - v is exact in double: 24 + 16 bits).
    std::vector<std::uint16_t> row(65536);
    for (std::size_t v = 0; v < row.size(); ++v) {
        row[v] = static_cast<std::uint16_t>(v);
    }
    const convpool::Tensor t =
        convpool::u16_rows_to_tensor(1, 65536, 1, 1, false, [&](int) { return row.data(); });
    const auto error = [](float f, std::size_t v) {
        return std::fabs(static_cast<double>(f) * 65535.0 - static_cast<double>(v));
    };
    std::size_t worse = 0;
    for (std::size_t v = 0; v < row.size(); ++v) {
        const float f = t.data()[v];
        if (error(std::nextafter(f, 2.0F), v) < error(f, v) ||
            error(std::nextafter(f, -1.0F), v) < error(f, v)) {
            ++worse;
        }
    }
    CHECK(worse == 0);
    CHECK(t.data()[0] == 0.0F);
    CHECK(t.data()[65535] == 1.0F);
    // 2 pixels of BGRA: planes R, G, B; alpha dropped.
    const std::vector<std::uint16_t> bgra{1, 2, 3, 4, 65535, 0, 32768, 7};
    const convpool::Tensor rgb =
        convpool::u16_rows_to_tensor(1, 2, 4, 3, true, [&](int) { return bgra.data(); });
    REQUIRE(rgb.shape().channels == 3);
    CHECK(rgb.channel(0)[0] == static_cast<float>(3.0 / 65535.0));
    CHECK(rgb.channel(0)[1] == static_cast<float>(32768.0 / 65535.0));
    CHECK(rgb.channel(1)[1] == 0.0F);
    CHECK(rgb.channel(2)[0] == static_cast<float>(1.0 / 65535.0));
    CHECK(rgb.channel(2)[1] == 1.0F);
}
