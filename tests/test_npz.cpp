// Weights files: .npy weights of every float type and .npz archives, hand-made ones included
// (zip bombs, zip64 markers, path tricks, damaged directories), and conv:kernel=@FILE against the
// same kernel written inline (tests/fixtures/weights/, scripts/make_weights_fixtures.py).
#include "convpool/core/error.hpp"
#include "convpool/io/npy.hpp"
#include "convpool/io/npz.hpp"
#include "convpool/pipeline/pipeline.hpp"

#include <doctest/doctest.h>
#include <fmt/format.h>
#include <zlib.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <vector>

using convpool::InputError;
using convpool::UsageError;

namespace {

using Bytes = std::vector<unsigned char>;

const std::string kWeights = std::string(CONVPOOL_FIXTURE_DIR) + "/weights/";

void put16(Bytes& b, std::uint32_t v) {
    b.push_back(static_cast<unsigned char>(v & 0xFFU));
    b.push_back(static_cast<unsigned char>((v >> 8U) & 0xFFU));
}
void put32(Bytes& b, std::uint32_t v) {
    put16(b, v & 0xFFFFU);
    put16(b, v >> 16U);
}

Bytes raw_deflate(const Bytes& data) {
    z_stream zs{};
    REQUIRE(deflateInit2(&zs, 9, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY) == Z_OK);
    Bytes out(deflateBound(&zs, static_cast<uLong>(data.size())));
    zs.next_in = const_cast<unsigned char*>(data.data());  // NOLINT: zlib's API is not const
    zs.avail_in = static_cast<uInt>(data.size());
    zs.next_out = out.data();
    zs.avail_out = static_cast<uInt>(out.size());
    REQUIRE(deflate(&zs, Z_FINISH) == Z_STREAM_END);
    out.resize(zs.total_out);
    deflateEnd(&zs);
    return out;
}

/// One member of a hand-made zip, with fields a test may falsify.
struct Entry {
    std::string name;
    Bytes data;  ///< uncompressed
    bool deflate = false;
    std::uint32_t flags = 0;
    std::optional<std::uint32_t> declared_size;  ///< instead of data.size()
    std::optional<std::uint32_t> crc;
    std::string local_name;  ///< instead of name in the local header
};

/// What a member's local header and its central directory entry both say.
struct SharedFields {
    std::uint32_t crc = 0;
    std::size_t stored_size = 0;  ///< as stored (deflated or not)
    std::uint32_t size = 0;       ///< uncompressed, as declared
    std::size_t name_size = 0;
};

/// The fields a local header and its central directory entry share, in the same order (APPNOTE
/// 4.3.7 and 4.3.12): version needed to extract (2.0), flags, method, time and date (0), crc,
/// sizes, name length, extra field length (0).
void put_shared_fields(Bytes& b, const Entry& e, const SharedFields& f) {
    put16(b, 20);
    put16(b, e.flags);
    put16(b, e.deflate ? 8 : 0);
    put32(b, 0);
    put32(b, f.crc);
    put32(b, static_cast<std::uint32_t>(f.stored_size));
    put32(b, f.size);
    put16(b, static_cast<std::uint32_t>(f.name_size));
    put16(b, 0);
}

Bytes make_zip(const std::vector<Entry>& entries, std::optional<std::uint32_t> count = {}) {
    Bytes zip;
    Bytes cd;
    for (const auto& e : entries) {
        const Bytes stored = e.deflate ? raw_deflate(e.data) : e.data;
        const auto crc = e.crc.value_or(
            static_cast<std::uint32_t>(crc32(0L, e.data.data(), static_cast<uInt>(e.data.size()))));
        const auto size = e.declared_size.value_or(static_cast<std::uint32_t>(e.data.size()));
        const std::string& local_name = e.local_name.empty() ? e.name : e.local_name;
        const auto offset = static_cast<std::uint32_t>(zip.size());
        put32(zip, 0x04034b50);
        put_shared_fields(zip, e, {crc, stored.size(), size, local_name.size()});
        zip.insert(zip.end(), local_name.begin(), local_name.end());
        zip.insert(zip.end(), stored.begin(), stored.end());
        put32(cd, 0x02014b50);
        put16(cd, 20);  // version made by
        put_shared_fields(cd, e, {crc, stored.size(), size, e.name.size()});
        put16(cd, 0);  // comment length
        put16(cd, 0);  // disk number
        put16(cd, 0);  // internal attributes
        put32(cd, 0);  // external attributes
        put32(cd, offset);
        cd.insert(cd.end(), e.name.begin(), e.name.end());
    }
    const auto cd_offset = static_cast<std::uint32_t>(zip.size());
    zip.insert(zip.end(), cd.begin(), cd.end());
    const auto n = count.value_or(static_cast<std::uint32_t>(entries.size()));
    put32(zip, 0x06054b50);
    put16(zip, 0);
    put16(zip, 0);
    put16(zip, n);
    put16(zip, n);
    put32(zip, static_cast<std::uint32_t>(cd.size()));
    put32(zip, cd_offset);
    put16(zip, 0);
    return zip;
}

Bytes npy_f32(const std::vector<float>& values, const std::string& shape) {
    std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': " + shape + ", }";
    header.append(64 - (10 + header.size() + 1) % 64, ' ');
    header += '\n';
    Bytes b{0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0};
    put16(b, static_cast<std::uint32_t>(header.size()));
    b.insert(b.end(), header.begin(), header.end());
    const auto* p = reinterpret_cast<const unsigned char*>(values.data());
    b.insert(b.end(), p, p + values.size() * sizeof(float));
    return b;
}

std::string error_of(const Bytes& zip, const std::string& key,
                     std::size_t max_bytes = convpool::kMaxWeightsBytes) {
    try {
        (void)convpool::npz_member(zip, key, max_bytes);
    } catch (const InputError& e) {
        return e.what();
    }
    return "no error";
}

}  // namespace

TEST_CASE("npz: float16 to float32 is exact, subnormals, infinities and NaN included") {
    CHECK(convpool::half_to_float(0x3C00) == 1.0F);
    CHECK(convpool::half_to_float(0xC000) == -2.0F);
    CHECK(convpool::half_to_float(0x3555) == 0.333251953125F);
    CHECK(convpool::half_to_float(0x7BFF) == 65504.0F);
    CHECK(convpool::half_to_float(0x0001) == std::ldexp(1.0F, -24));
    CHECK(convpool::half_to_float(0x03FF) == std::ldexp(1023.0F, -24));
    CHECK(std::signbit(convpool::half_to_float(0x8000)));
    CHECK(convpool::half_to_float(0x7C00) == std::numeric_limits<float>::infinity());
    CHECK(std::isnan(convpool::half_to_float(0x7E00)));
}

TEST_CASE("npz: members stored and deflated, found with or without .npy") {
    const Bytes a = npy_f32({1, 2, 3, 4, 5, 6}, "(2, 3)");
    const Bytes b = npy_f32({7}, "()");
    const Bytes zip =
        make_zip({{.name = "a.npy", .data = a}, {.name = "b.npy", .data = b, .deflate = true}});
    CHECK(convpool::is_zip(zip));
    CHECK(convpool::npz_keys(zip) == std::vector<std::string>{"a", "b"});
    CHECK(convpool::npz_member(zip, "a") == a);
    CHECK(convpool::npz_member(zip, "b.npy") == b);
    const auto w = convpool::decode_weights_npy(convpool::npz_member(zip, "a"));
    CHECK(w.shape == std::vector<std::size_t>{2, 3});
    CHECK(w.values == std::vector<float>{1, 2, 3, 4, 5, 6});
    const auto scalar = convpool::decode_weights_npy(convpool::npz_member(zip, "b"));
    CHECK(scalar.shape.empty());
    CHECK(scalar.values == std::vector<float>{7});
    CHECK(error_of(zip, "c") == "no array 'c' (did you mean 'a'?) (arrays: a, b)");
}

TEST_CASE("npz: hostile archives are refused with one line") {
    const Bytes a = npy_f32({1, 2, 3, 4}, "(2, 2)");
    // A deflate bomb: 4 MiB of zeros declared as a few bytes, and one declared beyond the cap.
    const Bytes zeros(std::size_t{4} << 20U, 0);
    CHECK(error_of(
              make_zip({{.name = "a.npy", .data = zeros, .deflate = true, .declared_size = 100}}),
              "a") ==
          "npz member 'a.npy' does not inflate to its declared 100 bytes (more data than "
          "declared)");
    CHECK(error_of(make_zip({{.name = "a.npy", .data = zeros, .deflate = true}}), "a", 1 << 20) ==
          "npz member 'a.npy' inflates to 4194304 bytes, more than the 1048576 allowed");
    CHECK(error_of(make_zip({{.name = "a.npy",
                              .data = a,
                              .deflate = true,
                              .declared_size = static_cast<std::uint32_t>(a.size() + 10)}}),
                   "a")
              .rfind("npz member 'a.npy' does not inflate to its declared", 0) == 0);
    // Path tricks: keys that are not plain names, members that are not reachable by one.
    const Bytes tricky = make_zip({{.name = "../evil.npy", .data = a},
                                   {.name = "/abs.npy", .data = a},
                                   {.name = "dir/x.npy", .data = a}});
    for (const std::string key : {"../evil", "/abs", "dir/x", "..", "a\\b"}) {
        CAPTURE(key);
        CHECK(error_of(tricky, key) == "npz key '" + key + "' is not a plain array name");
    }
    CHECK(error_of(tricky, "evil").rfind("no array 'evil'", 0) == 0);
    CHECK(error_of(tricky, "x").rfind("no array 'x'", 0) == 0);
    // Damaged or unsupported structure.
    CHECK(error_of(make_zip({{.name = "a.npy", .data = a}}, 0xFFFF), "a") ==
          "not a valid .npz (zip) archive: zip64 archives are not supported");
    CHECK(error_of(make_zip({{.name = "a.npy", .data = a}}, 2), "a") ==
          "not a valid .npz (zip) archive: central directory entry 2 is damaged");
    CHECK(error_of(make_zip({{.name = "a.npy", .data = a, .flags = 1}}), "a") ==
          "npz member 'a.npy' is encrypted");
    CHECK(error_of(make_zip({{.name = "a.npy", .data = a, .crc = 1234}}), "a") ==
          "npz member 'a.npy' fails its CRC-32 check");
    CHECK(error_of(make_zip({{.name = "a.npy", .data = a, .local_name = "b.npy"}}), "a") ==
          "not a valid .npz (zip) archive: the local header of 'a.npy' names another file");
    CHECK(error_of(make_zip({{.name = "a.npy", .data = a}, {.name = "a", .data = a}}), "a") ==
          "npz has two arrays named 'a'");
    Bytes zip = make_zip({{.name = "a.npy", .data = a, .deflate = true}});
    for (const std::size_t cut : {std::size_t{10}, zip.size() / 2, zip.size() - 1}) {
        CAPTURE(cut);
        const Bytes part(zip.begin(), zip.begin() + static_cast<std::ptrdiff_t>(cut));
        CHECK(error_of(part, "a") != "no error");
    }
    // The central directory pointing past itself.
    zip[zip.size() - 6] = 0xF0;
    CHECK(error_of(zip, "a") ==
          "not a valid .npz (zip) archive: the central directory lies outside the file");
}

TEST_CASE("npz: weights files of every float type, as numpy writes them") {
    const std::vector<float> expected{1.0F, 0.0F, -1.0F, 2.0F, 0.5F, -2.0F, 1.25F, 0.0F, -1.5F};
    for (const auto& item :
         std::vector<std::pair<std::string, std::string>>{{"k_f32.npy", ""},
                                                          {"k_f16.npy", ""},
                                                          {"k_f64.npy", ""},
                                                          {"k_f32_be.npy", ""},
                                                          {"k_fortran.npy", ""},
                                                          {"w.npz", "conv1"},
                                                          {"w.npz", "half"},
                                                          {"w_compressed.npz", "conv1"},
                                                          {"w_compressed.npz", "half.npy"}}) {
        const std::string& file = item.first;
        const std::string& key = item.second;
        CAPTURE(file);
        CAPTURE(key);
        const auto w = convpool::read_weights_file(kWeights + file, key);
        CHECK(w.shape == std::vector<std::size_t>{3, 3});
        CHECK(w.values == expected);
    }
    const auto bias = convpool::read_weights_file(kWeights + "w_compressed.npz", "bias");
    CHECK(bias.values == std::vector<float>{0.5F, 1.0F, 2.0F});
    const auto message = [](const std::string& file, const std::string& key) -> std::string {
        try {
            (void)convpool::read_weights_file(kWeights + file, key);
        } catch (const UsageError& e) {
            return std::string(e.what()).substr(kWeights.size() + 1);  // without the folder
        }
        return "no error";
    };
    CHECK(message("k_int.npy", "") ==
          "k_int.npy': unsupported weights dtype '<i4' (float16, float32 or float64)");
    CHECK(message("k_truncated.npy", "") ==
          "k_truncated.npy': truncated .npy data: 31 bytes, expected 36");
    CHECK(message("w.npz", "") ==
          "w.npz': an .npz archive: name one of its arrays, @FILE:KEY (arrays: conv1, half, "
          "bias)");
    CHECK(message("w_compressed.npz", "conv2") ==
          "w_compressed.npz':conv2: no array 'conv2' (did you mean 'conv1'?) (arrays: conv1, "
          "half, bias)");
    CHECK(message("k_f32.npy", "conv1") ==
          "k_f32.npy':conv1: not an .npz archive, so ':KEY' names nothing (a path with ':' is "
          "written @\"...\")");
}

TEST_CASE("npz: conv:kernel=@k.npy gives the inline kernel's values") {
    convpool::Tensor in({2, 9, 11});
    for (std::size_t i = 0; i < in.data().size(); ++i) {
        in.data()[i] = static_cast<float>((i * 37) % 23) / 7.0F;
    }
    const std::string rest = ",pad=1,border=zero";
    const convpool::Pipeline inline_kernel("conv:kernel=[1 0 -1; 2 0.5 -2; 1.25 0 -1.5]" + rest);
    const auto expected = inline_kernel.run(in, nullptr);
    for (const std::string ref :
         {"k_f16.npy", "k_f32.npy", "k_f64.npy", "k_fortran.npy", "w_compressed.npz:conv1"}) {
        CAPTURE(ref);
        const std::string conv = fmt::format("conv:kernel=@{}{}", ref, rest);
        const std::string bank_text = fmt::format("bank:kernel(@{}){}", ref, rest);
        const convpool::Pipeline from_file(conv, convpool::Semantics::torch, kWeights + "p.pipe",
                                           convpool::weights_context());
        const auto got = from_file.run(in, nullptr);
        CHECK(std::vector<float>(got.data().begin(), got.data().end()) ==
              std::vector<float>(expected.data().begin(), expected.data().end()));
        const convpool::Pipeline bank(bank_text, convpool::Semantics::torch, kWeights + "p.pipe",
                                      convpool::weights_context());
        const auto banked = bank.run(in, nullptr);
        CHECK(std::vector<float>(banked.data().begin(), banked.data().end()) ==
              std::vector<float>(expected.data().begin(), expected.data().end()));
    }
}
