// Image and .npy decoding, atomic writes.
#include "convpool/core/error.hpp"
#include "convpool/core/parallel.hpp"
#include "convpool/io/image_io.hpp"
#include "convpool/io/npy.hpp"
#include "convpool/io/output_dir.hpp"
#include "convpool/io/png.hpp"
#include "convpool/render/visualize.hpp"

#include <doctest/doctest.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cmath>
#include <csignal>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <set>
#include <sstream>
#include <stdexcept>
#include <utility>

namespace {
std::vector<unsigned char> bytes_of(const std::string& s) { return {s.begin(), s.end()}; }

/// A version 1.0 .npy whose header dict is `dict` as written, followed by `data`.
std::string npy_raw(std::string dict, const std::string& data) {
    while ((10 + dict.size() + 1) % 16 != 0) {
        dict += ' ';
    }
    dict += '\n';
    std::string out("\x93NUMPY\x01\x00", 8);
    out += static_cast<char>(dict.size() & 0xFF);
    out += static_cast<char>(dict.size() >> 8);
    return out + dict + data;
}

std::string npy_file(const std::string& descr, const std::string& shape, const std::string& data,
                     bool fortran = false) {
    return npy_raw("{'descr': '" + descr + "', 'fortran_order': " + (fortran ? "True" : "False") +
                       ", 'shape': " + shape + ", }",
                   data);
}

template <typename T>
std::string raw(std::initializer_list<T> v) {
    std::string s(v.size() * sizeof(T), '\0');
    std::memcpy(s.data(), std::data(v), s.size());
    return s;
}
}  // namespace

TEST_CASE("npy: encode then decode gives the same tensor (C, H, W)") {
    const convpool::Tensor t(convpool::Shape{2, 2, 3},
                             {1, 2, 3, 4, 5, 6, -1, -2, -3, -4, -5, 0.5F});
    const std::string enc = convpool::encode_npy(t);
    CHECK(enc.find("'shape': (2, 2, 3)") != std::string::npos);
    const auto b = bytes_of(enc);
    const auto back = convpool::decode_npy(b, true);
    CHECK(back.shape() == t.shape());
    CHECK(std::vector<float>(back.data().begin(), back.data().end()) ==
          std::vector<float>(t.data().begin(), t.data().end()));
}

TEST_CASE("npy: H x W x C, dtypes, Fortran order and big-endian") {
    // (1, 2, 3) H x W x C float32: pixel (0,0) = 1,2,3; (0,1) = 4,5,6.
    const auto hwc = convpool::decode_npy(
        bytes_of(npy_file("<f4", "(1, 2, 3)", raw<float>({1, 2, 3, 4, 5, 6}))), false);
    CHECK(hwc.shape() == convpool::Shape{3, 1, 2});
    CHECK(hwc.at(0, 0, 1) == 4);
    CHECK(hwc.at(2, 0, 0) == 3);
    const auto u8 = convpool::decode_npy(
        bytes_of(npy_file("|u1", "(1, 2)", std::string("\x00\xff", 2))), false);
    CHECK(u8.at(0, 0, 1) == 1.0F);
    const auto f8 =
        convpool::decode_npy(bytes_of(npy_file("<f8", "(1, 2)", raw<double>({1.5, 2.5}))), false);
    CHECK(f8.at(0, 0, 1) == 2.5F);
    const auto u16 = convpool::decode_npy(
        bytes_of(npy_file("<u2", "(1, 1)", raw<std::uint16_t>({65535}))), false);
    CHECK(u16.at(0, 0, 0) == 1.0F);
}

TEST_CASE("npy: 1-D arrays, bad dtypes and truncated data are refused") {
    CHECK_THROWS_AS(
        convpool::decode_npy(bytes_of(npy_file("<f8", "(2,)", raw<double>({1.5, 2.5}))), false),
        convpool::InputError);
    CHECK_THROWS_WITH_AS(
        convpool::decode_npy(bytes_of(npy_file("<c8", "(1, 1)", raw<float>({1, 0}))), false),
        "unsupported npy dtype '<c8' (float16/32/64, uint8/16/32, int8/16/32/64 or bool)",
        convpool::InputError);
    CHECK_THROWS_WITH_AS(
        convpool::decode_npy(bytes_of(npy_file("<f4", "(2, 2)", raw<float>({1, 2, 3}))), false),
        "truncated .npy data: 12 bytes, expected 16", convpool::InputError);
    const auto f2 = convpool::decode_npy(
        bytes_of(npy_file("<f4", "(2, 2)", raw<float>({1, 2, 3, 4}), true)), false);
    CHECK(f2.at(0, 0, 1) == 3);  // Fortran order: column-major
    std::string be = raw<float>({1});
    std::reverse(be.begin(), be.end());
    CHECK(convpool::decode_npy(bytes_of(npy_file(">f4", "(1, 1)", be)), false).at(0, 0, 0) == 1);
}

TEST_CASE("decode_image: PNG round trip through our encoder, unknown bytes refused") {
    convpool::Picture p{2, 1, {255, 0, 0, 0, 0, 255}};
    const std::string png = convpool::encode_png(p);
    const std::vector<unsigned char> b(png.begin(), png.end());
    const auto t = convpool::decode_image(b, {}).tensor;
    CHECK(t.shape() == convpool::Shape{3, 1, 2});
    CHECK(t.at(0, 0, 0) == 1.0F);  // red, in RGB order
    CHECK(t.at(2, 0, 0) == 0.0F);
    CHECK(t.at(2, 0, 1) == 1.0F);
    convpool::LoadOptions small;
    small.max_pixels = 1;
    CHECK_THROWS_WITH_AS(convpool::decode_image(b, small),
                         "image is too large: 1x2 is more than 1 pixels", convpool::InputError);
    CHECK_THROWS_WITH_AS(convpool::decode_image(bytes_of("hello world"), {}),
                         "not an image (unknown format; convpool reads PNG, JPEG, TIFF, BMP, WebP, "
                         "PNM and .npy)",
                         convpool::InputError);
    const std::vector<unsigned char> truncated(b.begin(), b.begin() + 20);
    CHECK_THROWS_AS(convpool::decode_image(truncated, {}), convpool::InputError);
}

TEST_CASE("load_image: missing files, directories") {
    CHECK_THROWS_WITH_AS(convpool::load_image("no_such_file.png", {}), "no such file",
                         convpool::InputError);
    CHECK_THROWS_WITH_AS(convpool::load_image(".", {}), "is a directory", convpool::InputError);
}

TEST_CASE("load_image_u8: the bytes load_image scales, interleaved, in RGB order") {
    for (const char* name : {"chelsea.png", "camera.png", "rocket.jpg"}) {
        CAPTURE(name);
        const std::string path = std::string(CONVPOOL_SAMPLES_DIR) + "/" + name;
        convpool::LoadOptions options;
        options.isolate_decoder = false;  // the same decoder either way; in-process is quicker
        const convpool::ImageU8 bytes = convpool::load_image_u8(path, options);
        const convpool::Tensor t = convpool::load_image(path, options).tensor;
        REQUIRE(bytes.shape() == t.shape());
        bool same = true;
        for (int c = 0; c < t.shape().channels; ++c) {
            for (int y = 0; y < t.shape().height; ++y) {
                for (int x = 0; x < t.shape().width; ++x) {
                    same = same && std::lround(t.at(c, y, x) * 255.0F) == bytes.at(c, y, x);
                }
            }
        }
        CHECK(same);
    }
    // Red, then blue: channel 0 is red in both.
    convpool::Picture p{2, 1, {255, 0, 0, 0, 0, 255}};
    const std::string png = convpool::encode_png(p);
    const std::string path = "convpool_test_u8.png";
    convpool::write_file_atomic(path, std::span<const char>(png.data(), png.size()));
    const convpool::ImageU8 rgb = convpool::load_image_u8(path, {});
    CHECK(rgb.shape() == convpool::Shape{3, 1, 2});
    CHECK(std::vector<std::uint8_t>(rgb.data().begin(), rgb.data().end()) ==
          std::vector<std::uint8_t>{255, 0, 0, 0, 0, 255});
    std::filesystem::remove(path);
}

TEST_CASE("load_image_u8: .npy arrays and missing files are refused") {
    const std::string path = "convpool_test_u8.npy";
    const std::string npy = npy_file("|u1", "(1, 2)", raw<std::uint8_t>({1, 2}));
    convpool::write_file_atomic(path, std::span<const char>(npy.data(), npy.size()));
    CHECK_THROWS_WITH_AS(convpool::load_image_u8(path, {}),
                         ".npy arrays have no 8-bit decoding; give an 8-bit image",
                         convpool::InputError);
    std::filesystem::remove(path);
    CHECK_THROWS_WITH_AS(convpool::load_image_u8("no_such_file.png", {}), "no such file",
                         convpool::InputError);
}

TEST_CASE("write_file_atomic writes whole files and leaves nothing behind on failure") {
    const std::string path = "convpool_test_atomic.bin";
    const std::string data = "hello";
    convpool::write_file_atomic(path, std::span<const char>(data.data(), data.size()));
    std::ifstream f(path);
    std::string got;
    std::getline(f, got);
    CHECK(got == "hello");
    std::filesystem::remove(path);
    CHECK_THROWS_AS(convpool::write_file_atomic("no_such_dir/x.bin",
                                                std::span<const char>(data.data(), data.size())),
                    convpool::OutputError);
}

TEST_CASE("decode_image: 8-bit PNG levels become v * float(1/255), RGB order, every level") {
    convpool::Picture p{256, 1, {}};
    for (int v = 0; v < 256; ++v) {
        p.rgb.push_back(static_cast<unsigned char>(v));
        p.rgb.push_back(static_cast<unsigned char>(255 - v));
        p.rgb.push_back(static_cast<unsigned char>(v / 2));
    }
    const std::string png = convpool::encode_png(p);
    const std::vector<unsigned char> b(png.begin(), png.end());
    for (const bool isolate : {true, false}) {
        convpool::LoadOptions options;
        options.isolate_decoder = isolate;
        options.luminance = true;  // only JPEGs are decoded to luminance: a PNG keeps its colour
        const auto loaded = convpool::decode_image(b, options);
        CHECK_FALSE(loaded.luminance_only);
        const auto& t = loaded.tensor;
        REQUIRE(t.shape() == convpool::Shape{3, 1, 256});
        const auto scale = static_cast<float>(1.0 / 255.0);
        for (int v = 0; v < 256; ++v) {
            CHECK(t.at(0, 0, v) == static_cast<float>(v) * scale);
            CHECK(t.at(1, 0, v) == static_cast<float>(255 - v) * scale);
            const int half = v / 2;  // rounded down, as the test image was made
            CHECK(t.at(2, 0, v) == static_cast<float>(half) * scale);
        }
    }
}

TEST_CASE(
    "encode_png8: gray, gray+alpha, RGB and RGBA decode to the same bytes; bad sizes refused") {
    for (const int channels : {1, 2, 3, 4}) {
        for (const auto& size : {std::pair{1, 1}, std::pair{7, 3}, std::pair{613, 411}}) {
            // Not a structured binding: clang 14 (clang-tidy) cannot capture one in CAPTURE.
            const int w = size.first;
            const int h = size.second;
            CAPTURE(channels);
            CAPTURE(w);
            std::vector<std::uint8_t> px(static_cast<std::size_t>(w * h * channels));
            for (std::size_t i = 0; i < px.size(); ++i) {
                px[i] = static_cast<std::uint8_t>((i * 37U + i / 5U) & 0xFFU);
            }
            const std::string png = convpool::encode_png8(px, w, h, channels);
            convpool::LoadOptions options;
            options.isolate_decoder = false;
            const auto t = convpool::decode_image(bytes_of(png), options).tensor;
            // Alpha is dropped on loading: gray + alpha becomes one plane (issue 18), RGBA three.
            const int colour = channels <= 2 ? 1 : 3;
            REQUIRE(t.shape() == convpool::Shape{colour, h, w});
            bool same = true;
            for (int y = 0; y < h; ++y) {
                for (int x = 0; x < w; ++x) {
                    for (int c = 0; c < colour; ++c) {
                        const int source = channels == 2 ? 0 : c;
                        const auto v =
                            px[(static_cast<std::size_t>(y) * static_cast<std::size_t>(w) +
                                static_cast<std::size_t>(x)) *
                                   static_cast<std::size_t>(channels) +
                               static_cast<std::size_t>(source)];
                        same = same && t.at(c, y, x) ==
                                           static_cast<float>(v) * static_cast<float>(1.0 / 255.0);
                    }
                }
            }
            CHECK(same);
        }
    }
    const std::vector<std::uint8_t> three(3);
    CHECK_THROWS_AS((void)convpool::encode_png8(three, 2, 1, 1), std::invalid_argument);
    CHECK_THROWS_AS((void)convpool::encode_png8(three, 1, 1, 5), std::invalid_argument);
    CHECK_THROWS_AS((void)convpool::encode_png8({}, 0, 0, 1), std::invalid_argument);
}

TEST_CASE("encode_png8: the same bytes on 1, 2 and 3 threads, deflated whole or in pieces") {
    // 900x700 RGB is deflated whole (libdeflate); 3000x2800 RGBA, over 32 MiB filtered, in
    // pieces on every thread (zlib): both must give bytes that do not depend on the threads.
    for (const auto& size : {std::array{900, 700, 3}, std::array{3000, 2800, 4}}) {
        const int w = size[0];
        const int h = size[1];
        const int c = size[2];
        CAPTURE(w);
        std::vector<std::uint8_t> px(static_cast<std::size_t>(w) * static_cast<std::size_t>(h) *
                                     static_cast<std::size_t>(c));
        std::uint32_t state = 1;
        for (auto& v : px) {
            state = state * 1664525U + 1013904223U;
            v = static_cast<std::uint8_t>(state >> 30U);  // 4 levels: compressible, not trivial
        }
        std::vector<std::string> files;
        for (const int threads : {1, 2, 3}) {
            convpool::set_thread_count(threads);
            files.push_back(convpool::encode_png8(px, w, h, c));
        }
        convpool::set_thread_count(0);
        CHECK(files[0] == files[1]);
        CHECK(files[0] == files[2]);
        CHECK(files[0].size() < px.size() / 2);
        // And it decodes to the same colour bytes (alpha is dropped on loading).
        convpool::LoadOptions options;
        options.isolate_decoder = false;
        const auto t = convpool::decode_image(bytes_of(files[0]), options).tensor;
        REQUIRE(t.shape() == convpool::Shape{3, h, w});
        bool same = true;
        for (std::size_t i = 0; i < px.size() && same; ++i) {
            const auto k = static_cast<int>(i % static_cast<std::size_t>(c));
            const auto pixel = static_cast<int>(i / static_cast<std::size_t>(c));
            same = k == 3 || t.at(k, pixel / w, pixel % w) ==
                                 static_cast<float>(px[i]) * static_cast<float>(1.0 / 255.0);
        }
        CHECK(same);
    }
}

namespace {
/// The filter types of the `height` rows (`row` bytes each after the filter byte) of a PNG.
std::set<int> row_filters(const std::string& png, int height, std::size_t row) {
    std::string stream;
    for (std::size_t pos = 8; pos + 8 <= png.size();) {
        const auto byte = [&](std::size_t i) {
            return static_cast<std::uint32_t>(static_cast<unsigned char>(png[i]));
        };
        const std::uint32_t length =
            (byte(pos) << 24U) | (byte(pos + 1) << 16U) | (byte(pos + 2) << 8U) | byte(pos + 3);
        if (png.compare(pos + 4, 4, "IDAT") == 0) {
            stream += png.substr(pos + 8, length);
        }
        pos += 12 + length;
    }
    std::vector<Bytef> raw(static_cast<std::size_t>(height) * (row + 1));
    uLongf size = raw.size();
    REQUIRE(::uncompress(raw.data(), &size, reinterpret_cast<const Bytef*>(stream.data()),
                         stream.size()) == Z_OK);
    REQUIRE(size == raw.size());
    std::set<int> filters;
    for (int y = 0; y < height; ++y) {
        filters.insert(raw[static_cast<std::size_t>(y) * (row + 1)]);
    }
    return filters;
}
}  // namespace

TEST_CASE("encode_png_rgb: gray, indexed or RGB, whichever is smallest, decode to the same RGB") {
    // Colour type (IHDR byte 25) and how each kind of picture must come back.
    const auto colour_type = [](const std::string& png) { return static_cast<int>(png.at(25)); };
    const auto round_trip = [](const std::vector<std::uint8_t>& rgb, int w, int h) {
        const std::string png = convpool::encode_png_rgb(rgb, w, h);
        convpool::LoadOptions options;
        options.isolate_decoder = false;
        const auto t = convpool::decode_image(bytes_of(png), options).tensor;
        bool same = true;
        for (int y = 0; y < h; ++y) {
            for (int x = 0; x < w; ++x) {
                for (int c = 0; c < 3; ++c) {
                    const auto v = rgb[(static_cast<std::size_t>(y) * static_cast<std::size_t>(w) +
                                        static_cast<std::size_t>(x)) *
                                           3 +
                                       static_cast<std::size_t>(c)];
                    const int plane = t.shape().channels == 1 ? 0 : c;
                    same = same && t.at(plane, y, x) ==
                                       static_cast<float>(v) * static_cast<float>(1.0 / 255.0);
                }
            }
        }
        return std::pair{png, same};
    };
    const int w = 301;
    const int h = 97;
    const std::size_t n = static_cast<std::size_t>(w) * static_cast<std::size_t>(h);
    std::vector<std::uint8_t> gray(n * 3);
    std::vector<std::uint8_t> colours(n * 3);
    for (std::size_t i = 0; i < n; ++i) {
        const auto g = static_cast<std::uint8_t>((i * 7U) & 0xFFU);
        gray[3 * i] = gray[3 * i + 1] = gray[3 * i + 2] = g;
        // Exactly 256 colours, none of them gray, each first met at pixel k.
        const std::size_t k = (i * 31U) % 256U;
        colours[3 * i] = static_cast<std::uint8_t>(k);
        colours[3 * i + 1] = static_cast<std::uint8_t>(255U - k);
        colours[3 * i + 2] = static_cast<std::uint8_t>(k / 2U + 1U);
    }
    const auto [gray_png, gray_same] = round_trip(gray, w, h);
    CHECK(colour_type(gray_png) == 0);
    CHECK(gray_same);
    const auto [indexed_png, indexed_same] = round_trip(colours, w, h);
    CHECK(colour_type(indexed_png) == 3);
    CHECK(indexed_png.find("PLTE") != std::string::npos);
    CHECK(indexed_same);
    // One more colour than a palette holds: RGB, its rows unfiltered (few colours).
    colours[3 * (n - 1)] = 0;
    colours[3 * (n - 1) + 1] = 0;
    colours[3 * (n - 1) + 2] = 0;
    const auto [mapped_png, mapped_same] = round_trip(colours, w, h);
    CHECK(colour_type(mapped_png) == 2);
    CHECK(mapped_same);
    CHECK(row_filters(mapped_png, h, static_cast<std::size_t>(w) * 3) == std::set<int>{0});
    // More than 4096 colours (a photo): RGB with Sub, the same bytes as encode_png8 writes.
    std::vector<std::uint8_t> photo(n * 3);
    std::uint32_t state = 5;
    for (auto& v : photo) {
        state = state * 1664525U + 1013904223U;
        v = static_cast<std::uint8_t>(state >> 24U);
    }
    const auto [photo_png, photo_same] = round_trip(photo, w, h);
    CHECK(colour_type(photo_png) == 2);
    CHECK(photo_same);
    CHECK(row_filters(photo_png, h, static_cast<std::size_t>(w) * 3) == std::set<int>{1});
    CHECK(photo_png == convpool::encode_png8(photo, w, h, 3));
    // A gray picture is also smaller than its RGB file.
    CHECK(gray_png.size() < convpool::encode_png8(gray, w, h, 3).size());
    CHECK_THROWS_AS((void)convpool::encode_png_rgb(gray, w, h + 1), std::invalid_argument);
}

namespace {
/// Pids of this process's decoding children (ppid = us, argv[1] = the child argument).
std::vector<int> decoder_children() {
    std::vector<int> pids;
    for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
        const std::string name = entry.path().filename().string();
        if (name.find_first_not_of("0123456789") != std::string::npos) {
            continue;
        }
        std::ifstream stat_file(entry.path() / "stat");
        std::string stat_line;
        std::getline(stat_file, stat_line);
        const auto close = stat_line.rfind(')');
        if (close == std::string::npos) {
            continue;
        }
        std::istringstream rest(stat_line.substr(close + 2));
        std::string state;
        int ppid = 0;
        rest >> state >> ppid;
        std::ifstream cmd(entry.path() / "cmdline");
        std::string args;
        for (std::string arg; std::getline(cmd, arg, '\0');) {
            args += arg + ' ';
        }
        if (ppid == ::getpid() && args.find(convpool::kDecodeChildArgument) != std::string::npos) {
            pids.push_back(std::stoi(name));
        }
    }
    return pids;
}
}  // namespace

TEST_CASE(
    "decode_image: one decoding child serves many images; one killed while idle is replaced") {
    // Not gray, so that it stays an RGB picture (encode_png writes gray pictures as gray PNGs).
    convpool::Picture p{
        3, 2, {77, 10, 200, 77, 10, 200, 77, 10, 200, 77, 10, 200, 77, 10, 200, 77, 10, 200}};
    const std::string png = convpool::encode_png(p);
    for (int i = 0; i < 5; ++i) {
        CHECK(convpool::decode_image(bytes_of(png), {}).tensor.shape() == convpool::Shape{3, 2, 3});
    }
    auto children = decoder_children();
    REQUIRE(children.size() == 1);  // this thread's decoder, started once for five images
    ::kill(children[0], SIGKILL);
    while (::waitpid(children[0], nullptr, WNOHANG) == 0 && ::kill(children[0], 0) == 0) {
        // the parent's waitpid reaps it later; wait until it is gone or a zombie
        std::ifstream stat_file("/proc/" + std::to_string(children[0]) + "/stat");
        std::string line;
        std::getline(stat_file, line);
        if (line.find(") Z") != std::string::npos) {
            break;
        }
    }
    // The next image is decoded by a new child, not failed as "crashed on this file".
    CHECK(convpool::decode_image(bytes_of(png), {}).tensor.at(0, 0, 0) == 77.0F / 255.0F);
    children = decoder_children();
    CHECK(children.size() == 1);
}

TEST_CASE("safe_name: output names are never hidden, empty, '.' or '..', and never hold a '/'") {
    CHECK(convpool::safe_name("camera") == "camera");
    CHECK(convpool::safe_name("") == "image");
    CHECK(convpool::safe_name(".") == "_.");
    CHECK(convpool::safe_name("..") == "_..");
    CHECK(convpool::safe_name(".hidden") == "_.hidden");
    CHECK(convpool::safe_name("a/b") == "a_b");
    CHECK(convpool::safe_name(std::string("a\0b", 3)) == "a_b");
    // Cut at 200 bytes without splitting a UTF-8 character (U+00E9 is two bytes).
    std::string long_name(199, 'x');
    long_name += "\xc3\xa9tail";
    CHECK(convpool::safe_name(long_name) == std::string(199, 'x'));
    for (const char* name : {"_..", "x~2", "01_relu.png"}) {
        CHECK(convpool::is_safe_name(name));
    }
    for (const char* name : {"", ".", "..", ".x", "a/b"}) {
        CHECK_FALSE(convpool::is_safe_name(name));
    }
}

namespace {
convpool::Shape npy_shape(const std::string& dict, std::size_t data_bytes = 16) {
    return convpool::decode_npy(bytes_of(npy_raw(dict, std::string(data_bytes, '\0'))), false)
        .shape();
}
}  // namespace

TEST_CASE("npy: the header is read as numpy 1.24 reads it") {
    using convpool::InputError;
    using convpool::Shape;
    // What numpy 1.24 accepts (checked with np.load).
    CHECK(npy_shape("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), } # comment") ==
          Shape{1, 2, 2});
    CHECK(npy_shape("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), "
                    "'shape': (1, 2)}") == Shape{1, 1, 2});  // the last of a repeated key
    CHECK(npy_shape("{\"descr\":'<' 'f4','fortran_order':True,'shape':((2), +0x2,)}") ==
          Shape{1, 2, 2});
    CHECK(npy_shape("{'descr': '<f4', 'fortran_order': False, 'shape': (2L, 2L)}") ==
          Shape{1, 2, 2});
    CHECK(npy_shape("{'descr': '<f4', 'fortran_order': False, 'shape': (2,\n 2)}#x\n#y") ==
          Shape{1, 2, 2});
    // What numpy refuses.
    const auto refused = [](const std::string& dict, const std::string& why) {
        CAPTURE(dict);
        CHECK_THROWS_WITH_AS((void)npy_shape(dict), why.c_str(), InputError);
    };
    refused("{'descr': '<f4', 'fortran_order': False, 'shape': (-2, 2), }",
            "npy shape (-2, 2) has a negative dimension");
    refused("{'descr': '<f4', 'fortran_order': False, 'shape': (2e2, 2), }",
            "npy shape is not a tuple of integers");
    refused("{'descr': '<f4', 'fortran_order': Maybe, 'shape': (2, 2), }",
            "npy header is not a Python literal dict ('Maybe' is not a literal)");
    refused("{'descr': '<f4', 'fortran_order': 0, 'shape': (2, 2), }",
            "npy fortran_order is not True or False");
    refused("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), 'x': 1}",
            "npy header has the keys 'descr', 'fortran_order', 'shape', 'x'; expected 'descr', "
            "'fortran_order' and 'shape'");
    refused("{'descr': '<f4', 'fortran_order': False, 'shape': [2, 2]}",
            "npy shape is not a tuple of integers");
    refused("{'descr': '<f4', 'fortran_order': False, 'shape': (True, 2)}",
            "npy shape is not a tuple of integers");
    refused("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2)} x",
            "npy header is not a Python literal dict (text after the dict)");
    refused("{'descr': '<f4', 'fortran_order': False, 'shape': (02, 2)}",
            "npy header is not a Python literal dict ('02' is not a number (leading zeros))");
    refused("{'descr': '<f4', 'fortran_order': False}",
            "npy header has the keys 'descr', 'fortran_order'; expected 'descr', "
            "'fortran_order' and 'shape'");
}

TEST_CASE("npy: float64 beyond float32's range becomes infinite with a warning") {
    const std::string data =
        raw<double>({1e300, -1e300, 1.0, std::numeric_limits<double>::infinity()});
    std::vector<std::string> warnings;
    const auto t =
        convpool::decode_npy(bytes_of(npy_file("<f8", "(2, 2)", data)), false, &warnings);
    CHECK(std::isinf(t.at(0, 0, 0)));
    REQUIRE(warnings.size() == 1);
    CHECK(warnings[0] == "npy float64 data: 2 values beyond float32's range became infinite");
}

TEST_CASE("npy: int8/16/32/64, uint32, float16 and bool, scaled as images") {
    using convpool::decode_npy;
    const auto one = [](const std::string& descr, const std::string& data) {
        return decode_npy(bytes_of(npy_file(descr, "(1, 2)", data)), false);
    };
    const auto i1 = one("|i1", std::string("\x7f\x81", 2));  // 127, -127
    CHECK(i1.at(0, 0, 0) == 1.0F);
    CHECK(i1.at(0, 0, 1) == -1.0F);
    CHECK(one("<i2", raw<std::int16_t>({32767, 0})).at(0, 0, 0) == 1.0F);
    CHECK(one("<i4", raw<std::int32_t>({2147483647, -2147483647})).at(0, 0, 1) == -1.0F);
    CHECK(one("<u4", raw<std::uint32_t>({4294967295U, 0})).at(0, 0, 0) == 1.0F);
    CHECK(
        one("<i8", raw<std::int64_t>({0, std::numeric_limits<std::int64_t>::max()})).at(0, 0, 1) ==
        1.0F);
    const auto f2 = one("<f2", raw<std::uint16_t>({0x3C00, 0xC000}));  // 1.0, -2.0
    CHECK(f2.at(0, 0, 0) == 1.0F);
    CHECK(f2.at(0, 0, 1) == -2.0F);
    const auto b1 = one("|b1", std::string("\x00\x01", 2));
    CHECK(b1.at(0, 0, 0) == 0.0F);
    CHECK(b1.at(0, 0, 1) == 1.0F);
    std::vector<std::string> warnings;
    (void)decode_npy(bytes_of(npy_file("<i4", "(1, 2)", raw<std::int32_t>({16777217, 3}))),
                     convpool::NpyLayout::automatic, 0, &warnings);
    REQUIRE(warnings.size() == 1);
    CHECK(warnings[0] ==
          "npy int32 data: 1 value beyond 2^24 in magnitude lost precision in "
          "float32");
}

TEST_CASE("npy: batches N x H x W, N x C x H x W and N x H x W x C, item by item") {
    using convpool::NpyLayout;
    std::vector<float> v(std::size_t{2} * 3 * 2 * 2);
    for (std::size_t i = 0; i < v.size(); ++i) {
        v[i] = static_cast<float>(i);
    }
    std::string data(v.size() * sizeof(float), '\0');
    std::memcpy(data.data(), v.data(), data.size());
    const auto b4 = bytes_of(npy_file("<f4", "(2, 3, 2, 2)", data));
    CHECK(convpool::npy_item_count(b4, NpyLayout::nchw) == 2);
    const auto nchw = convpool::decode_npy(b4, NpyLayout::nchw, 1);
    CHECK(nchw.shape() == convpool::Shape{3, 2, 2});
    CHECK(nchw.at(2, 1, 0) == 12 + 8 + 2);
    const auto nhwc = convpool::decode_npy(b4, NpyLayout::nhwc, 1);  // (2, H=3, W=2, C=2)
    CHECK(nhwc.shape() == convpool::Shape{2, 3, 2});
    CHECK(nhwc.at(1, 2, 0) == 12 + 8 + 1);
    CHECK_THROWS_WITH_AS((void)convpool::decode_npy(b4, NpyLayout::automatic, 0),
                         "npy array has shape (2, 3, 2, 2): a 4-D batch needs --npy-layout nchw "
                         "or nhwc",
                         convpool::InputError);
    CHECK_THROWS_WITH_AS((void)convpool::decode_npy(b4, NpyLayout::nchw, 2),
                         "npy array (2, 3, 2, 2) has 2 items; there is no item 2",
                         convpool::InputError);
    const auto b3 = bytes_of(npy_file("<f4", "(3, 2, 2)", data.substr(0, 48)));
    CHECK(convpool::npy_item_count(b3, NpyLayout::nhw) == 3);
    CHECK(convpool::npy_item_count(b3, NpyLayout::automatic) == 1);
    CHECK(convpool::decode_npy(b3, NpyLayout::nhw, 2).at(0, 1, 1) == 11);
    // Fortran order: the first index varies fastest.
    const auto f = bytes_of(npy_file("<f4", "(3, 2, 2)", data.substr(0, 48), true));
    CHECK(convpool::decode_npy(f, NpyLayout::nhw, 2).at(0, 1, 0) == 2 + 3);
}

TEST_CASE("npy: convpool writes its layout in the header and reads it back") {
    const convpool::Tensor t(convpool::Shape{1, 2, 5}, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9});
    const std::string enc = convpool::encode_npy(t);
    CHECK(enc.find("} # convpool layout: chw") != std::string::npos);
    CHECK(enc.size() % 64 == 40 % 64);  // data starts on a 64-byte boundary: 40 bytes of data
    std::vector<std::string> warnings;
    const auto back =
        convpool::decode_npy(bytes_of(enc), convpool::NpyLayout::automatic, 0, &warnings);
    CHECK(back.shape() == t.shape());
    CHECK(warnings.empty());
    // Without the comment, (1, 2, 5) is H x W x C, with a warning that it may be C x H x W.
    const auto plain =
        convpool::decode_npy(bytes_of(npy_file("<f4", "(1, 2, 5)", enc.substr(enc.size() - 40))),
                             convpool::NpyLayout::automatic, 0, &warnings);
    CHECK(plain.shape() == convpool::Shape{5, 1, 2});
    REQUIRE(warnings.size() == 1);
    CHECK(warnings[0] ==
          "npy array (1, 2, 5) read as (H, W, C) = 5 channels of 2x1; if it is "
          "(C, H, W), give --npy-layout chw");
}
