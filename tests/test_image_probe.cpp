// Header probing of untrusted images: formats by magic bytes, sizes before decoding, truncation.
#include "convpool/core/error.hpp"
#include "convpool/io/image_io.hpp"
#include "convpool/io/image_probe.hpp"
#include "convpool/render/visualize.hpp"

#include <doctest/doctest.h>

#include <fstream>
#include <iterator>
#include <string>
#include <vector>

using convpool::ImageFormat;
using convpool::probe_image;

namespace {
using Bytes = std::vector<unsigned char>;

void put_be32(Bytes& b, std::size_t at, unsigned v) {
    b[at] = static_cast<unsigned char>(v >> 24U);
    b[at + 1] = static_cast<unsigned char>(v >> 16U);
    b[at + 2] = static_cast<unsigned char>(v >> 8U);
    b[at + 3] = static_cast<unsigned char>(v);
}

/// A PNG made by our own encoder (complete, with IEND).
Bytes small_png(int w, int h) {
    convpool::Picture p{w, h, std::vector<std::uint8_t>(static_cast<std::size_t>(w * h * 3), 7)};
    const std::string s = convpool::encode_png(p);
    return {s.begin(), s.end()};
}

/// A 200-byte JPEG-like file whose frame header claims width x height.
Bytes jpeg_claiming(unsigned w, unsigned h) {
    Bytes b{0xFF,
            0xD8,
            0xFF,
            0xE0,
            0x00,
            0x04,
            0x00,
            0x00,  // SOI, APP0 (len 4)
            0xFF,
            0xC0,
            0x00,
            0x0B,
            0x08,  // SOF0, len 11, 8 bit
            static_cast<unsigned char>(h >> 8U),
            static_cast<unsigned char>(h),
            static_cast<unsigned char>(w >> 8U),
            static_cast<unsigned char>(w),
            0x01,
            0x01,
            0x11,
            0x00};
    b.resize(200, 0x00);
    return b;
}
}  // namespace

TEST_CASE("sniff_format knows the allowlisted formats by their magic bytes only") {
    CHECK(convpool::sniff_format(small_png(2, 2)) == ImageFormat::png);
    CHECK(convpool::sniff_format(jpeg_claiming(1, 1)) == ImageFormat::jpeg);
    CHECK(convpool::sniff_format(Bytes{'P', '5', '\n'}) == ImageFormat::pnm);
    CHECK(convpool::sniff_format(Bytes{'G', 'I', 'F', '8', '9', 'a'}) == std::nullopt);
    CHECK(convpool::sniff_format(Bytes{}) == std::nullopt);
}

TEST_CASE("probe_image reads PNG and JPEG sizes without decoding") {
    const auto png = probe_image(small_png(5, 3));
    CHECK(png.width == 5);
    CHECK(png.height == 3);
    CHECK_FALSE(png.truncated);
    const auto jpg = probe_image(jpeg_claiming(30000, 20000));
    CHECK(jpg.width == 30000);
    CHECK(jpg.height == 20000);
    CHECK(jpg.truncated);  // no EOI marker
}

TEST_CASE("probe_image reads BMP, PNM and WebP headers") {
    Bytes bmp(54, 0);
    bmp[0] = 'B';
    bmp[1] = 'M';
    bmp[10] = 54;
    bmp[14] = 40;
    bmp[18] = 7;     // width 7
    bmp[22] = 0xFD;  // height -3 (top-down), little endian
    bmp[23] = bmp[24] = bmp[25] = 0xFF;
    const auto h = probe_image(bmp);
    CHECK(h.width == 7);
    CHECK(h.height == 3);
    const std::string pgm = "P5\n# comment\n640 480\n255\n";
    const auto p = probe_image(Bytes(pgm.begin(), pgm.end()));
    CHECK(p.width == 640);
    CHECK(p.height == 480);
    Bytes webp{'R', 'I', 'F', 'F', 30, 0, 0, 0, 'W', 'E', 'B', 'P', 'V', 'P', '8',
               'X', 10,  0,   0,   0,  0, 0, 0, 0,   99,  0,   0,   49,  0,   0};
    const auto w = probe_image(webp);
    CHECK(w.width == 100);
    CHECK(w.height == 50);
}

TEST_CASE("probe_image refuses malformed or cut-short headers without reading past the end") {
    const Bytes png = small_png(2, 2);
    CHECK_THROWS_WITH_AS((void)probe_image(Bytes(png.begin(), png.begin() + 14)),
                         "png header is cut short", convpool::InputError);
    CHECK_THROWS_WITH_AS((void)probe_image(Bytes{0xFF, 0xD8, 0xFF}),
                         "jpeg header is malformed or cut short (no frame size)",
                         convpool::InputError);
    CHECK_THROWS_WITH_AS((void)probe_image(Bytes{'P', '6', ' ', 'x'}),
                         "pnm header is malformed or cut short", convpool::InputError);
    Bytes zero = png;
    put_be32(zero, 16, 0);
    CHECK_THROWS_WITH_AS((void)probe_image(zero), "png header gives an empty image (2x0)",
                         convpool::InputError);
}

TEST_CASE("a file with a DICOM marker at byte 128 never reaches a decoder") {
    // Found by fuzz_load: a WebP header OpenCV turns down (VP8L, no valid bitstream) with
    // "DICM" at byte 128 went to OpenCV's DICOM decoder, whose GDCM asserted and aborted.
    Bytes b{'R', 'I', 'F', 'F', 0xCC, 0, 0, 0, 'W', 'E', 'B', 'P',
            'V', 'P', '8', 'L', 0xB3, 0, 0, 0, 0,   0,   0,   0x93};
    b.resize(128, 0);
    b.insert(b.end(), {'D', 'I', 'C', 'M', 0xBB, 0x49});
    for (const bool in_process : {true, false}) {
        convpool::LoadOptions options;
        options.isolate_decoder = !in_process;
        CHECK_THROWS_WITH_AS(
            convpool::decode_image(b, options),
            "webp data carries a DICOM marker at byte 128; refused (convpool reads no DICOM)",
            convpool::InputError);
    }
    b[130] = 'X';  // without the marker the same bytes reach the WebP decoder and fail there
    CHECK_THROWS_AS(convpool::decode_image(b, {}), convpool::InputError);
}

TEST_CASE("decode_image refuses a huge declared size before any decoder runs") {
    // 200 bytes claiming 30000x30000: refused from the header, no allocation attempted.
    CHECK_THROWS_WITH_AS(convpool::decode_image(jpeg_claiming(30000, 30000), {}),
                         "image is too large: 30000x30000 is more than 128000000 pixels",
                         convpool::InputError);
}

TEST_CASE("decode_image: truncated data is a warning, or an error when strict") {
    std::ifstream f(std::string(CONVPOOL_SAMPLES_DIR) + "/rocket.jpg", std::ios::binary);
    Bytes jpg((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    REQUIRE(jpg.size() > 1000);
    CHECK_FALSE(probe_image(jpg).truncated);
    jpg.resize(jpg.size() / 2);  // libjpeg fills the missing half and reports success
    const auto loaded = convpool::decode_image(jpg, {});
    CHECK(loaded.tensor.shape() == convpool::Shape{3, 427, 640});
    REQUIRE(loaded.warnings.size() == 1);
    CHECK(loaded.warnings[0] == "jpeg data is truncated; decoded what is there");
    convpool::LoadOptions strict;
    strict.strict = true;
    CHECK_THROWS_WITH_AS(convpool::decode_image(jpg, strict), "jpeg data is truncated",
                         convpool::InputError);
    // A PNG cut before IEND is refused by the decoder itself.
    Bytes png = small_png(16, 16);
    png.resize(png.size() - 12);
    CHECK(probe_image(png).truncated);
    CHECK_THROWS_WITH_AS(convpool::decode_image(png, {}),
                         "cannot decode png data: the data ends early", convpool::InputError);
}

TEST_CASE("decode_image gives the same pixels in a child process and in this one") {
    const Bytes png = small_png(9, 4);
    convpool::LoadOptions here;
    here.isolate_decoder = false;
    const auto a = convpool::decode_image(png, {});
    const auto b = convpool::decode_image(png, here);
    CHECK(a.tensor.shape() == b.tensor.shape());
    CHECK(std::equal(a.tensor.data().begin(), a.tensor.data().end(), b.tensor.data().begin()));
}

namespace {
/// A little-endian TIFF header of one IFD whose tags are (tag, LONG value) pairs.
Bytes tiff_with(const std::vector<std::pair<unsigned, unsigned>>& tags) {
    Bytes b{'I', 'I', 42, 0, 8, 0, 0, 0, static_cast<unsigned char>(tags.size()), 0};
    for (const auto& [tag, value] : tags) {
        const Bytes entry{static_cast<unsigned char>(tag & 0xFFU),
                          static_cast<unsigned char>(tag >> 8U),
                          4,
                          0,
                          1,
                          0,
                          0,
                          0,
                          static_cast<unsigned char>(value & 0xFFU),
                          static_cast<unsigned char>((value >> 8U) & 0xFFU),
                          static_cast<unsigned char>((value >> 16U) & 0xFFU),
                          static_cast<unsigned char>(value >> 24U)};
        b.insert(b.end(), entry.begin(), entry.end());
    }
    b.resize(b.size() + 4, 0);
    return b;
}
}  // namespace

TEST_CASE("probe_image refuses TIFF tiles and strips out of proportion to the image") {
    // 16384x16384 tiles for a 16x16 image made OpenCV allocate 1 GB before reading any data.
    CHECK_THROWS_WITH_AS(
        (void)probe_image(tiff_with({{256, 16}, {257, 16}, {322, 16384}, {323, 16384}})),
        "tiff header is malformed (tiles of 16384x16384 for a 16x16 image)", convpool::InputError);
    CHECK_THROWS_WITH_AS((void)probe_image(tiff_with({{256, 16}, {257, 16}, {278, 0x7FFFFFFEU}})),
                         "tiff header is malformed (strips of 16x2147483646 for a 16x16 image)",
                         convpool::InputError);
    // Usual layouts: 256x256 tiles for a small image, one strip (2^32-1 rows), 8-row strips.
    CHECK(probe_image(tiff_with({{256, 16}, {257, 16}, {322, 256}, {323, 256}})).width == 16);
    CHECK(probe_image(tiff_with({{256, 16}, {257, 16}, {278, 0xFFFFFFFFU}})).height == 16);
    CHECK(probe_image(tiff_with({{256, 3000}, {257, 2}, {278, 8}})).width == 3000);
}
