// Image and .npy decoding, atomic writes.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "convpool/error.hpp"
#include "convpool/image_io.hpp"
#include "convpool/npy.hpp"
#include "convpool/visualize.hpp"

namespace {
std::vector<unsigned char> bytes_of(const std::string& s) { return {s.begin(), s.end()}; }

std::string npy_file(const std::string& descr, const std::string& shape, const std::string& data,
                     bool fortran = false) {
    std::string header = "{'descr': '" + descr + "', 'fortran_order': " +
                         (fortran ? "True" : "False") + ", 'shape': " + shape + ", }";
    while ((10 + header.size() + 1) % 16 != 0) {
        header += ' ';
    }
    header += '\n';
    std::string out("\x93NUMPY\x01\x00", 8);
    out += static_cast<char>(header.size() & 0xFF);
    out += static_cast<char>(header.size() >> 8);
    return out + header + data;
}

template <typename T>
std::string raw(std::initializer_list<T> v) {
    std::string s(v.size() * sizeof(T), '\0');
    std::memcpy(s.data(), std::data(v), s.size());
    return s;
}
}  // namespace

TEST_CASE("npy: encode then decode gives the same tensor (C, H, W)") {
    const convpool::Tensor t(convpool::Shape{2, 2, 3}, {1, 2, 3, 4, 5, 6, -1, -2, -3, -4, -5, 0.5F});
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
    const auto hwc = convpool::decode_npy(bytes_of(npy_file("<f4", "(1, 2, 3)", raw<float>({1, 2, 3, 4, 5, 6}))), false);
    CHECK(hwc.shape() == convpool::Shape{3, 1, 2});
    CHECK(hwc.at(0, 0, 1) == 4);
    CHECK(hwc.at(2, 0, 0) == 3);
    const auto u8 = convpool::decode_npy(bytes_of(npy_file("|u1", "(1, 2)", std::string("\x00\xff", 2))), false);
    CHECK(u8.at(0, 0, 1) == 1.0F);
    const auto f8 = convpool::decode_npy(bytes_of(npy_file("<f8", "(1, 2)", raw<double>({1.5, 2.5}))), false);
    CHECK(f8.at(0, 0, 1) == 2.5F);
    const auto u16 = convpool::decode_npy(bytes_of(npy_file("<u2", "(1, 1)", raw<std::uint16_t>({65535}))), false);
    CHECK(u16.at(0, 0, 0) == 1.0F);
}

TEST_CASE("npy: 1-D arrays, bad dtypes and truncated data are refused") {
    CHECK_THROWS_AS(convpool::decode_npy(bytes_of(npy_file("<f8", "(2,)", raw<double>({1.5, 2.5}))), false),
                    convpool::InputError);
    CHECK_THROWS_WITH_AS(
        convpool::decode_npy(bytes_of(npy_file("<i8", "(1, 1)", raw<long long>({1}))), false),
        "unsupported npy dtype '<i8' (float32, float64, uint8, uint16)", convpool::InputError);
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
