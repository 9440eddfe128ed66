// The direct JPEG and PNG decoders against OpenCV's cv::imdecode, which convpool used before and
// which this test binary links: the same pixels, type and channel order for every PNG colour
// type, bit depth, transparency and interlacing, and for colour, gray, CMYK and cut-short JPEGs.
#include "convpool/core/error.hpp"
#include "convpool/io/image_io.hpp"

#include <doctest/doctest.h>
#include <opencv2/imgcodecs.hpp>

#include "io/decoders.hpp"
// clang-format off: jpeglib.h needs <cstdio> first
#include <jpeglib.h>

#include <cstdio>
// clang-format on
#include <png.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <utility>
#include <vector>

namespace {

using Bytes = std::vector<unsigned char>;

Bytes read_sample(const std::string& name) {
    std::ifstream f(std::string(CONVPOOL_SAMPLES_DIR) + "/" + name, std::ios::binary);
    return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

cv::Mat opencv_decode(const Bytes& bytes, int flags) {
    return cv::imdecode(cv::Mat(1, static_cast<int>(bytes.size()), CV_8UC1,
                                const_cast<unsigned char*>(bytes.data())),  // NOLINT: read only
                        flags);
}

bool same_pixels(const cv::Mat& a, const cv::Mat& b) {
    if (a.type() != b.type() || a.size() != b.size()) {
        return false;
    }
    for (int y = 0; y < a.rows; ++y) {
        const auto row_bytes = static_cast<std::size_t>(a.cols) * a.elemSize();
        if (std::memcmp(a.ptr(y), b.ptr(y), row_bytes) != 0) {
            return false;
        }
    }
    return true;
}

/// A PNG written with libpng from raw (already packed) rows: any colour type and bit depth,
/// an optional palette and tRNS chunk, Adam7 interlacing.
struct PngSpec {
    int color;
    int depth;
    bool trns;
    bool interlaced;
    bool gray_palette = false;  ///< a palette of grays (red = green = blue)
};

void append_to(png_structp png, png_bytep data, png_size_t n) {
    auto* out = static_cast<Bytes*>(png_get_io_ptr(png));
    out->insert(out->end(), data, data + n);
}

void flush_nothing(png_structp /*png*/) {}

Bytes write_png(const PngSpec& spec, int width, int height, std::mt19937& rng) {
    const int samples = spec.color == PNG_COLOR_TYPE_GRAY         ? 1
                        : spec.color == PNG_COLOR_TYPE_GRAY_ALPHA ? 2
                        : spec.color == PNG_COLOR_TYPE_RGB        ? 3
                        : spec.color == PNG_COLOR_TYPE_PALETTE    ? 1
                                                                  : 4;
    const std::size_t row_bytes = (static_cast<std::size_t>(width * samples * spec.depth) + 7) / 8;
    std::vector<Bytes> rows(static_cast<std::size_t>(height), Bytes(row_bytes));
    std::uniform_int_distribution<int> byte(0, 255);
    for (auto& row : rows) {
        for (auto& v : row) {
            v = static_cast<unsigned char>(byte(rng));
        }
        if (spec.color == PNG_COLOR_TYPE_PALETTE) {  // indices within a 16-entry palette
            for (auto& v : row) {
                v &= spec.depth == 8 ? 0x0FU : 0xFFU;
            }
        }
    }
    Bytes out;
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
    png_infop info = png_create_info_struct(png);
    REQUIRE(info != nullptr);
    png_set_write_fn(png, &out, append_to, flush_nothing);
    png_set_IHDR(png, info, static_cast<png_uint_32>(width), static_cast<png_uint_32>(height),
                 spec.depth, spec.color, spec.interlaced ? PNG_INTERLACE_ADAM7 : PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    std::array<png_color, 16> palette{};
    std::array<png_byte, 16> alphas{};
    const int entries = std::min(16, 1 << spec.depth);
    for (int i = 0; i < 16; ++i) {
        palette[static_cast<std::size_t>(i)] = {static_cast<png_byte>(i * 16),
                                                static_cast<png_byte>(255 - i * 7),
                                                static_cast<png_byte>(i * 3)};
        if (spec.gray_palette) {
            const auto gray = static_cast<png_byte>(i * 16 + 7);
            palette[static_cast<std::size_t>(i)] = {gray, gray, gray};
        }
        alphas[static_cast<std::size_t>(i)] = static_cast<png_byte>(i * 17);
    }
    if (spec.color == PNG_COLOR_TYPE_PALETTE) {
        png_set_PLTE(png, info, palette.data(), entries);
    }
    if (spec.trns) {
        png_color_16 key{};
        key.gray = 1;
        key.red = 2;
        key.green = 3;
        key.blue = 4;
        png_set_tRNS(png, info, alphas.data(), spec.color == PNG_COLOR_TYPE_PALETTE ? entries : 0,
                     &key);
    }
    png_write_info(png, info);
    std::vector<png_bytep> pointers(rows.size());
    std::transform(rows.begin(), rows.end(), pointers.begin(),
                   [](Bytes& row) { return row.data(); });
    png_write_image(png, pointers.data());
    png_write_end(png, nullptr);
    png_destroy_write_struct(&png, &info);
    return out;
}

/// A 4-component (CMYK) JPEG of random smooth-ish values, written with libjpeg.
Bytes write_cmyk_jpeg(int width, int height) {
    jpeg_compress_struct cinfo{};
    jpeg_error_mgr errors{};
    cinfo.err = jpeg_std_error(&errors);
    jpeg_create_compress(&cinfo);
    unsigned char* buffer = nullptr;
    unsigned long size = 0;
    jpeg_mem_dest(&cinfo, &buffer, &size);
    cinfo.image_width = static_cast<JDIMENSION>(width);
    cinfo.image_height = static_cast<JDIMENSION>(height);
    cinfo.input_components = 4;
    cinfo.in_color_space = JCS_CMYK;
    jpeg_set_defaults(&cinfo);
    jpeg_start_compress(&cinfo, TRUE);
    Bytes row(static_cast<std::size_t>(width) * 4);
    while (cinfo.next_scanline < cinfo.image_height) {
        for (int x = 0; x < width; ++x) {
            for (int c = 0; c < 4; ++c) {
                row[static_cast<std::size_t>(x) * 4 + static_cast<std::size_t>(c)] =
                    static_cast<unsigned char>(
                        (x * (c + 1) + static_cast<int>(cinfo.next_scanline) * (4 - c)) % 256);
            }
        }
        JSAMPROW p = row.data();
        jpeg_write_scanlines(&cinfo, &p, 1);
    }
    jpeg_finish_compress(&cinfo);
    jpeg_destroy_compress(&cinfo);
    Bytes out(buffer, buffer + size);
    // NOLINTNEXTLINE(cppcoreguidelines-no-malloc,cppcoreguidelines-owning-memory): libjpeg's
    std::free(buffer);
    return out;
}

}  // namespace

TEST_CASE(
    "decode_png: every colour type, bit depth, tRNS and interlacing as OpenCV decodes it, "
    "gray+alpha and gray palettes as gray (+ alpha)") {
    std::mt19937 rng(7);
    const std::vector<PngSpec> specs = {
        {PNG_COLOR_TYPE_GRAY, 1, false, false},
        {PNG_COLOR_TYPE_GRAY, 2, false, true},
        {PNG_COLOR_TYPE_GRAY, 4, true, false},
        {PNG_COLOR_TYPE_GRAY, 8, false, false},
        {PNG_COLOR_TYPE_GRAY, 8, true, true},
        {PNG_COLOR_TYPE_GRAY, 16, false, false},
        {PNG_COLOR_TYPE_GRAY, 16, true, true},
        {PNG_COLOR_TYPE_GRAY_ALPHA, 8, false, false},
        {PNG_COLOR_TYPE_GRAY_ALPHA, 16, false, true},
        {PNG_COLOR_TYPE_RGB, 8, false, false},
        {PNG_COLOR_TYPE_RGB, 8, true, false},
        {PNG_COLOR_TYPE_RGB, 16, false, true},
        {PNG_COLOR_TYPE_RGB, 16, true, false},
        {PNG_COLOR_TYPE_RGB_ALPHA, 8, false, true},
        {PNG_COLOR_TYPE_RGB_ALPHA, 16, false, false},
        {PNG_COLOR_TYPE_PALETTE, 1, false, false},
        {PNG_COLOR_TYPE_PALETTE, 2, true, true},
        {PNG_COLOR_TYPE_PALETTE, 4, false, false},
        {PNG_COLOR_TYPE_PALETTE, 8, false, true},
        {PNG_COLOR_TYPE_PALETTE, 8, true, false},
        {PNG_COLOR_TYPE_PALETTE, 4, false, false, true},
        {PNG_COLOR_TYPE_PALETTE, 8, true, true, true},
        {PNG_COLOR_TYPE_PALETTE, 8, false, true, true},
    };
    for (const auto& spec : specs) {
        for (const auto& size : {std::pair{1, 1}, std::pair{13, 7}, std::pair{64, 33}}) {
            const int w = size.first;
            const int h = size.second;
            CAPTURE(spec.color);
            CAPTURE(spec.depth);
            CAPTURE(spec.trns);
            CAPTURE(spec.interlaced);
            CAPTURE(w);
            const Bytes png = write_png(spec, w, h, rng);
            const cv::Mat ours = convpool::decoders::decode_png(png);
            cv::Mat theirs = opencv_decode(png, cv::IMREAD_UNCHANGED);
            // Gray+alpha and gray palettes: OpenCV's B (= G = R) and alpha, if any (issue 18).
            if (spec.color == PNG_COLOR_TYPE_GRAY_ALPHA || spec.gray_palette) {
                std::vector<cv::Mat> planes;
                cv::split(theirs, planes);
                REQUIRE(planes.size() >= 3);
                CHECK(same_pixels(planes[1], planes[0]));
                CHECK(same_pixels(planes[2], planes[0]));
                std::vector<cv::Mat> kept{planes.front()};
                if (planes.size() == 4) {
                    kept.push_back(planes.back());
                }
                cv::merge(kept, theirs);
                CHECK(ours.channels() ==
                      (spec.color == PNG_COLOR_TYPE_GRAY_ALPHA || spec.trns ? 2 : 1));
            }
            CHECK(ours.type() == theirs.type());
            CHECK(same_pixels(ours, theirs));
        }
    }
}

TEST_CASE("decode_png: errors are libpng's text; a cut-short file never reads past the end") {
    std::mt19937 rng(8);
    const Bytes png = write_png({PNG_COLOR_TYPE_RGB, 8, false, false}, 20, 20, rng);
    for (const std::size_t cut :
         {std::size_t{8}, std::size_t{40}, png.size() / 2, png.size() - 1}) {
        CAPTURE(cut);
        const Bytes part(png.begin(), png.begin() + static_cast<std::ptrdiff_t>(cut));
        CHECK_THROWS_AS((void)convpool::decoders::decode_png(part), convpool::InputError);
    }
    Bytes bad_crc = png;
    bad_crc[33 + 8] ^= 0xFFU;  // first byte of the chunk after IHDR: its CRC no longer matches
    CHECK_THROWS_AS((void)convpool::decoders::decode_png(bad_crc), convpool::InputError);
    Bytes bad_ihdr = png;
    bad_ihdr[24] = 9;  // bit depth 9
    CHECK_THROWS_WITH_AS((void)convpool::decoders::decode_png(bad_ihdr),
                         doctest::Contains("cannot decode png data: "), convpool::InputError);
}

TEST_CASE("decode_jpeg: colour, luminance, gray and cut-short JPEGs as OpenCV decodes them") {
    for (const char* name : {"rocket.jpg"}) {
        CAPTURE(name);
        const Bytes jpg = read_sample(name);
        REQUIRE(jpg.size() > 1000);
        CHECK(same_pixels(convpool::decoders::decode_jpeg(jpg, false),
                          opencv_decode(jpg, cv::IMREAD_UNCHANGED)));
        CHECK(same_pixels(convpool::decoders::decode_jpeg(jpg, true),
                          opencv_decode(jpg, cv::IMREAD_GRAYSCALE)));
        // Cut in half: libjpeg fills what is missing (OpenCV's own data source fills it
        // differently); the rows that are there are the same.
        const Bytes half(jpg.begin(), jpg.begin() + static_cast<std::ptrdiff_t>(jpg.size() / 2));
        const cv::Mat cut = convpool::decoders::decode_jpeg(half, false);
        const cv::Mat opencv_cut = opencv_decode(half, cv::IMREAD_UNCHANGED);
        REQUIRE(cut.size() == opencv_cut.size());
        const cv::Range present(0, cut.rows / 4);
        CHECK(same_pixels(cut.rowRange(present), opencv_cut.rowRange(present)));
        std::vector<unsigned char> gray;
        cv::imencode(".jpg", opencv_decode(jpg, cv::IMREAD_GRAYSCALE), gray);
        const cv::Mat ours = convpool::decoders::decode_jpeg(gray, false);
        CHECK(ours.type() == CV_8UC1);
        CHECK(same_pixels(ours, opencv_decode(gray, cv::IMREAD_UNCHANGED)));
    }
}

TEST_CASE("decode_jpeg: CMYK JPEGs become BGR as OpenCV converts them") {
    const Bytes cmyk = write_cmyk_jpeg(37, 21);
    const cv::Mat ours = convpool::decoders::decode_jpeg(cmyk, false);
    CHECK(ours.type() == CV_8UC3);
    CHECK(same_pixels(ours, opencv_decode(cmyk, cv::IMREAD_UNCHANGED)));
    const cv::Mat luminance = convpool::decoders::decode_jpeg(cmyk, true);
    CHECK(luminance.type() == CV_8UC1);
    const cv::Mat theirs = opencv_decode(cmyk, cv::IMREAD_GRAYSCALE);
    REQUIRE(theirs.size() == luminance.size());
    CHECK(cv::norm(luminance, theirs, cv::NORM_INF) <= 1.0);  // gray weights round differently
}

TEST_CASE("decode_jpeg: not a JPEG, or nothing after the header, is an InputError") {
    CHECK_THROWS_WITH_AS(
        (void)convpool::decoders::decode_jpeg(Bytes{0xFF, 0xD8, 0xFF, 0xD9}, false),
        doctest::Contains("cannot decode jpeg data: "), convpool::InputError);
    CHECK_THROWS_AS((void)convpool::decoders::decode_jpeg(Bytes{'n', 'o'}, false),
                    convpool::InputError);
}

TEST_CASE("decode_with_opencv: the formats left to OpenCV decode as cv::imdecode does") {
    cv::Mat image(9, 14, CV_8UC3);
    cv::randu(image, 0, 256);
    for (const char* ext : {".bmp", ".tiff", ".webp", ".ppm"}) {
        CAPTURE(ext);
        std::vector<unsigned char> encoded;
        REQUIRE(cv::imencode(ext, image, encoded));
        CHECK(same_pixels(convpool::decoders::decode_with_opencv(encoded),
                          opencv_decode(encoded, cv::IMREAD_UNCHANGED)));
    }
}

TEST_CASE("decode_jpeg: an EXIF orientation is not applied, in colour or luminance alike") {
    cv::Mat image(10, 30, CV_8UC3);
    cv::randu(image, 0, 256);
    std::vector<unsigned char> encoded;
    REQUIRE(cv::imencode(".jpg", image, encoded));
    // An APP1 Exif segment right after SOI: one IFD entry, Orientation (0x0112) = 6, "rotate 90".
    const Bytes payload{'E',  'x',  'i', 'f', 0, 0, 'I', 'I', 0x2A, 0, 8, 0, 0, 0, 1, 0,
                        0x12, 0x01, 3,   0,   1, 0, 0,   0,   6,    0, 0, 0, 0, 0, 0, 0};
    Bytes jpg(encoded.begin(), encoded.begin() + 2);
    const auto length = payload.size() + 2;
    jpg.insert(jpg.end(), {0xFF, 0xE1, static_cast<unsigned char>(length >> 8U),
                           static_cast<unsigned char>(length & 0xFFU)});
    jpg.insert(jpg.end(), payload.begin(), payload.end());
    jpg.insert(jpg.end(), encoded.begin() + 2, encoded.end());
    // OpenCV's IMREAD_GRAYSCALE applies the tag (so it is a valid one): 10x30 becomes 30x10.
    CHECK(opencv_decode(jpg, cv::IMREAD_GRAYSCALE).size() == cv::Size(10, 30));
    CHECK(convpool::decoders::decode_jpeg(jpg, false).size() == cv::Size(30, 10));
    CHECK(convpool::decoders::decode_jpeg(jpg, true).size() == cv::Size(30, 10));
}

namespace {

/// A PNG of one gray pixel whose next chunk header declares 2^31 - 1 bytes of `kind`, 84 bytes.
Bytes png_with_lying_chunk(const char* kind) {
    std::mt19937 rng(1);
    Bytes b = write_png({PNG_COLOR_TYPE_GRAY, 8, false, false}, 1, 1, rng);
    b.resize(33);  // signature and IHDR
    const Bytes header{0x7F, 0xFF, 0xFF, 0xFF};
    b.insert(b.end(), header.begin(), header.end());
    b.insert(b.end(), kind, kind + 4);
    b.resize(84, 'a');
    return b;
}

/// Seconds f() takes.
template <typename F>
double seconds_of(F&& f) {
    const auto start = std::chrono::steady_clock::now();
    f();
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

TEST_CASE("decode_png: a chunk whose length lies is refused without allocating it") {
    // libpng 1.6.39 allocated and zeroed 2 GB for each of these (10 to 40 s) before failing.
    for (const char* kind : {"tEXt", "zTXt", "iTXt", "sPLT", "iCCP", "abCd"}) {
        CAPTURE(kind);
        const Bytes png = png_with_lying_chunk(kind);
        REQUIRE(png.size() == 84);
        const double took = seconds_of([&] {
            CHECK_THROWS_AS((void)convpool::decoders::decode_png(png), convpool::InputError);
        });
        CHECK(took < 1.0);
    }
}

namespace {

void put_segment(Bytes& b, unsigned char marker, const Bytes& payload) {
    const std::size_t n = payload.size() + 2;
    const Bytes head{0xFF, marker, static_cast<unsigned char>(n >> 8U),
                     static_cast<unsigned char>(n & 0xFFU)};
    b.insert(b.end(), head.begin(), head.end());
    b.insert(b.end(), payload.begin(), payload.end());
}

/// An 8x8 gray progressive JPEG whose one DC scan is repeated `scans` times (11 bytes a scan):
/// libjpeg decodes every scan in full.
Bytes scan_bomb(int scans) {
    Bytes b{0xFF, 0xD8};
    Bytes table(65, 1);
    table[0] = 0;
    put_segment(b, 0xDB, table);                           // DQT
    put_segment(b, 0xC2, {8, 0, 8, 0, 8, 1, 1, 0x11, 0});  // SOF2: 8x8, one component
    Bytes huffman(18, 0);                                  // DC table 0: one code
    huffman[1] = 1;                                        // of length 1, symbol 0
    put_segment(b, 0xC4, huffman);                         // DHT
    for (int i = 0; i < scans; ++i) {
        put_segment(b, 0xDA, {1, 1, 0, 0, 0, 0});  // SOS: DC first
        b.push_back(0x7F);                         // DC difference 0
    }
    b.push_back(0xFF);
    b.push_back(0xD9);
    return b;
}

}  // namespace

TEST_CASE("decode_jpeg: more than 1000 scans is refused, fast") {
    CHECK(convpool::decoders::decode_jpeg(scan_bomb(3), false).size() == cv::Size(8, 8));
    CHECK(convpool::decoders::decode_jpeg(scan_bomb(1000), false).size() == cv::Size(8, 8));
    const Bytes bomb = scan_bomb(20000);
    const double took = seconds_of([&] {
        CHECK_THROWS_WITH_AS((void)convpool::decoders::decode_jpeg(bomb, false),
                             "jpeg data has more than 1000 scans", convpool::InputError);
    });
    CHECK(took < 1.0);
    CHECK_THROWS_WITH_AS((void)convpool::decoders::decode_jpeg(scan_bomb(3), false, {120, 2}),
                         "jpeg data has more than 2 scans", convpool::InputError);
}

TEST_CASE("decode_jpeg and decode_png give up at the time limit") {
    const Bytes jpg = read_sample("rocket.jpg");
    CHECK_THROWS_WITH_AS((void)convpool::decoders::decode_jpeg(jpg, false, {0, 1000}),
                         "jpeg decoder took more than 0 s; gave up", convpool::InputError);
    std::mt19937 rng(3);
    const Bytes png = write_png({PNG_COLOR_TYPE_RGB, 8, false, false}, 20, 20, rng);
    CHECK_THROWS_WITH_AS((void)convpool::decoders::decode_png(png, {0, 1000}),
                         "png decoder took more than 0 s; gave up", convpool::InputError);
}

TEST_CASE("decode_jpeg and decode_png report the decoder's warnings") {
    Bytes jpg = read_sample("rocket.jpg");
    std::string warning = "unset";
    (void)convpool::decoders::decode_jpeg(jpg, false, {}, &warning);
    CHECK(warning.empty());
    // An unexpected marker in the entropy-coded data: libjpeg fills the rest of the segment.
    jpg[jpg.size() / 2] = 0xFF;
    jpg[jpg.size() / 2 + 1] = 0xD5;
    (void)convpool::decoders::decode_jpeg(jpg, false, {}, &warning);
    CHECK(warning == "Corrupt JPEG data: premature end of data segment (and 1 more)");
    // An ancillary chunk with a bad CRC: libpng drops it and warns.
    std::mt19937 rng(4);
    Bytes png = write_png({PNG_COLOR_TYPE_GRAY, 8, false, false}, 4, 4, rng);
    const Bytes gama{0, 0, 0, 4, 'g', 'A', 'M', 'A', 0, 0, 0xB1, 0x8F, 0, 0, 0, 0};  // bad CRC
    png.insert(png.begin() + 33, gama.begin(), gama.end());
    (void)convpool::decoders::decode_png(png, {}, &warning);
    CHECK(warning == "gAMA: CRC error");
}

TEST_CASE("decode_image: each page of a multi-page TIFF (OpenCV's imwritemulti), or as channels") {
    // Three 8-bit gray pages of 6x5, page p filled with 40 * (p + 1), and an RGB page last.
    std::vector<cv::Mat> pages;
    pages.reserve(3);
    for (int p = 0; p < 3; ++p) {
        pages.emplace_back(5, 6, CV_8UC1, cv::Scalar(40 * (p + 1)));
    }
    const char* tmp = std::getenv("TMPDIR");
    const std::string path =
        std::string(tmp != nullptr ? tmp : "/tmp") + "/convpool-test-pages.tif";
    REQUIRE(cv::imwritemulti(path, pages));
    std::ifstream f(path, std::ios::binary);
    const Bytes bytes{std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
    std::remove(path.c_str());
    CHECK(convpool::count_items(bytes, {}) == 3);
    for (const bool isolate : {true, false}) {
        CAPTURE(isolate);
        convpool::LoadOptions options;
        options.isolate_decoder = isolate;
        for (std::size_t p = 0; p < 3; ++p) {
            options.item = p;
            const auto loaded = convpool::decode_image(bytes, options);
            CHECK(loaded.tensor.shape() == convpool::Shape{1, 5, 6});
            CHECK(loaded.tensor.at(0, 4, 5) ==
                  doctest::Approx(40.0 * static_cast<double>(p + 1) / 255.0));
            CHECK(loaded.warnings.empty());
        }
        options.item = 3;
        CHECK_THROWS_WITH_AS((void)convpool::decode_image(bytes, options),
                             "tiff data has 3 pages; there is no page 3", convpool::InputError);
        // Not naming a page reads the first and says that the others were not read.
        options.item.reset();
        const auto first = convpool::decode_image(bytes, options);
        CHECK(first.tensor.at(0, 0, 0) == doctest::Approx(40.0 / 255.0));
        REQUIRE(first.warnings.size() == 1);
        CHECK(first.warnings[0] ==
              "the file holds 3 pages; only the first was read (convpool run reads each as an "
              "input of its own)");
        options.pages_as_channels = true;
        const auto stacked = convpool::decode_image(bytes, options);
        CHECK(stacked.tensor.shape() == convpool::Shape{3, 5, 6});
        CHECK(stacked.tensor.at(2, 1, 1) == doctest::Approx(120.0 / 255.0));
        CHECK(convpool::count_items(bytes, options) == 1);
    }
}

TEST_CASE("decode_image: a TIFF OpenCV cannot read names its sample format") {
    // OpenCV 4.6 reads a one-sample float64 TIFF, but no three-sample one: say so, not
    // "corrupt or truncated".
    cv::Mat gray(4, 3, CV_64FC1, cv::Scalar(0.25));
    std::vector<unsigned char> encoded;
    REQUIRE(cv::imencode(".tif", gray, encoded));
    const auto loaded = convpool::decode_image(encoded, {});
    CHECK(loaded.tensor.shape() == convpool::Shape{1, 4, 3});
    CHECK(loaded.tensor.at(0, 3, 2) == 0.25F);
    // A three-sample float64 TIFF, written by hand: OpenCV's writer refuses CV_64FC3 too.
    Bytes rgb{'I', 'I', 42, 0, 8, 0, 0, 0};
    const auto u16 = [&rgb](unsigned v) {
        rgb.push_back(static_cast<unsigned char>(v & 0xFFU));
        rgb.push_back(static_cast<unsigned char>(v >> 8U));
    };
    const auto u32 = [&](unsigned v) {
        u16(v & 0xFFFFU);
        u16(v >> 16U);
    };
    const unsigned data_at = 8 + 2 + 11 * 12 + 4;
    const unsigned bits_at = data_at + 2 * 2 * 3 * 8;
    u16(11);
    for (const auto& [tag, type, count, value] :
         std::vector<std::array<unsigned, 4>>{{256, 4, 1, 2},
                                              {257, 4, 1, 2},
                                              {258, 3, 3, bits_at},
                                              {259, 3, 1, 1},
                                              {262, 3, 1, 2},
                                              {273, 4, 1, data_at},
                                              {277, 3, 1, 3},
                                              {278, 4, 1, 2},
                                              {279, 4, 1, 96},
                                              {284, 3, 1, 1},
                                              {339, 3, 1, 3}}) {
        u16(tag);
        u16(type);
        u32(count);
        u32(value);
    }
    u32(0);
    rgb.resize(rgb.size() + 96);
    u16(64);
    u16(64);
    u16(64);
    for (const bool isolate : {true, false}) {
        convpool::LoadOptions options;
        options.isolate_decoder = isolate;
        CHECK_THROWS_WITH_AS((void)convpool::decode_image(rgb, options),
                             "cannot decode tiff data: unsupported sample format: 3 samples of "
                             "64-bit float (OpenCV reads 1 to 4 samples of 8 or 16 bits or 32-bit "
                             "float, or one of 64-bit float)",
                             convpool::InputError);
    }
}
