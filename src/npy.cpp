#include "convpool/npy.hpp"

#include "convpool/error.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cstdint>
#include <cstring>
#include <limits>
#include <vector>

namespace convpool {
namespace {

constexpr std::array<unsigned char, 6> kMagic{0x93, 'N', 'U', 'M', 'P', 'Y'};

/// Value of `key` in the header dict, as raw text up to the next top-level ',' or '}'.
std::string dict_value(const std::string& header, const std::string& key) {
    const auto k = header.find("'" + key + "'");
    if (k == std::string::npos) {
        throw InputError(fmt::format("npy header has no '{}'", key));
    }
    auto colon = header.find(':', k);
    if (colon == std::string::npos) {
        throw InputError("npy header is malformed");
    }
    ++colon;
    int depth = 0;
    std::size_t end = colon;
    for (; end < header.size(); ++end) {
        const char c = header[end];
        if (c == '(') {
            ++depth;
        } else if (c == ')') {
            --depth;
        } else if (depth == 0 && (c == ',' || c == '}')) {
            break;
        }
    }
    std::string v = header.substr(colon, end - colon);
    v.erase(std::remove_if(v.begin(), v.end(), [](char c) { return c == ' ' || c == '\''; }),
            v.end());
    return v;
}

template <typename T>
T read_value(const unsigned char* p, bool swap) {
    T v;
    std::memcpy(&v, p, sizeof(T));
    if (swap && sizeof(T) > 1) {
        std::array<unsigned char, sizeof(T)> b{};
        std::memcpy(b.data(), &v, sizeof(T));
        std::reverse(b.begin(), b.end());
        std::memcpy(&v, b.data(), sizeof(T));
    }
    return v;
}

}  // namespace

bool is_npy(std::span<const unsigned char> bytes) noexcept {
    return bytes.size() >= kMagic.size() && std::equal(kMagic.begin(), kMagic.end(), bytes.begin());
}

Tensor decode_npy(std::span<const unsigned char> bytes, bool chw) {
    if (!is_npy(bytes) || bytes.size() < 10) {
        throw InputError("not a .npy file");
    }
    const int major = bytes[6];
    std::size_t header_len = 0;
    std::size_t offset = 0;
    if (major == 1) {
        header_len =
            static_cast<std::size_t>(bytes[8]) | (static_cast<std::size_t>(bytes[9]) << 8U);
        offset = 10;
    } else if (major == 2 || major == 3) {
        if (bytes.size() < 12) {
            throw InputError("truncated .npy header");
        }
        header_len = static_cast<std::size_t>(bytes[8]) |
                     (static_cast<std::size_t>(bytes[9]) << 8U) |
                     (static_cast<std::size_t>(bytes[10]) << 16U) |
                     (static_cast<std::size_t>(bytes[11]) << 24U);
        offset = 12;
    } else {
        throw InputError(fmt::format("unsupported .npy version {}", major));
    }
    if (header_len > bytes.size() - offset || header_len > 65536) {
        throw InputError("truncated .npy header");
    }
    const std::string header(reinterpret_cast<const char*>(bytes.data() + offset), header_len);
    const std::string descr = dict_value(header, "descr");
    const bool fortran = dict_value(header, "fortran_order") == "True";
    std::string shape_text = dict_value(header, "shape");
    std::vector<long long> dims;
    {
        std::string num;
        for (const char c : shape_text) {
            if (c >= '0' && c <= '9') {
                num += c;
                if (num.size() > 12) {
                    throw InputError("npy shape is too large");
                }
            } else if (!num.empty()) {
                dims.push_back(std::stoll(num));
                num.clear();
            }
        }
    }
    if (dims.size() != 2 && dims.size() != 3) {
        throw InputError(
            fmt::format("npy array has shape {}; expected (H, W) or (H, W, C)", shape_text));
    }
    if (descr.size() < 3) {
        throw InputError(fmt::format("unsupported npy dtype '{}'", descr));
    }
    const char order = descr[0];
    const std::string kind = descr.substr(1);
    const bool little_host = std::endian::native == std::endian::little;
    const bool swap = (order == '<' && !little_host) || (order == '>' && little_host);
    std::size_t item = 0;
    if (kind == "f4" || kind == "i4" || kind == "u4") {
        item = 4;
    } else if (kind == "f8") {
        item = 8;
    } else if (kind == "u1") {
        item = 1;
    } else if (kind == "u2") {
        item = 2;
    }
    if (item == 0 || kind == "i4" || kind == "u4") {
        throw InputError(
            fmt::format("unsupported npy dtype '{}' (float32, float64, uint8, uint16)", descr));
    }
    long long h = dims[0];
    long long w = dims[1];
    long long c = dims.size() == 3 ? dims[2] : 1;
    if (dims.size() == 3 && chw) {
        c = dims[0];
        h = dims[1];
        w = dims[2];
    }
    constexpr long long kMaxExtent = 1LL << 30;
    if (h <= 0 || w <= 0 || c <= 0 || h > kMaxExtent || w > kMaxExtent || c > 4096 ||
        h * w > kMaxExtent || h * w * c > kMaxExtent) {
        throw InputError(fmt::format("npy shape {} is empty or too large", shape_text));
    }
    const auto count = static_cast<std::size_t>(h * w * c);
    const std::size_t data_at = offset + header_len;
    if (bytes.size() - data_at < count * item) {
        throw InputError(fmt::format("truncated .npy data: {} bytes, expected {}",
                                     bytes.size() - data_at, count * item));
    }
    const Shape shape{static_cast<int>(c), static_cast<int>(h), static_cast<int>(w)};
    Tensor t(shape);
    const unsigned char* src = bytes.data() + data_at;
    const auto dims_n = dims.size();
    // Linear index of element (c, y, x) in the file, for C or Fortran order.
    const auto file_index = [&](std::size_t ci, std::size_t y, std::size_t x) -> std::size_t {
        std::array<std::size_t, 3> idx{y, x, ci};
        if (dims_n == 3 && chw) {
            idx[0] = ci;
            idx[1] = y;
            idx[2] = x;
        }
        const std::array<std::size_t, 3> ext{static_cast<std::size_t>(dims[0]),
                                             static_cast<std::size_t>(dims[1]),
                                             dims_n == 3 ? static_cast<std::size_t>(dims[2]) : 1};
        if (!fortran) {
            return (idx[0] * ext[1] + idx[1]) * ext[2] + idx[2];
        }
        return idx[0] + ext[0] * (idx[1] + ext[1] * idx[2]);
    };
    for (std::size_t ci = 0; ci < static_cast<std::size_t>(c); ++ci) {
        for (std::size_t y = 0; y < static_cast<std::size_t>(h); ++y) {
            for (std::size_t x = 0; x < static_cast<std::size_t>(w); ++x) {
                const unsigned char* p = src + file_index(ci, y, x) * item;
                float v = 0.0F;
                if (kind == "f4") {
                    v = read_value<float>(p, swap);
                } else if (kind == "f8") {
                    v = static_cast<float>(read_value<double>(p, swap));
                } else if (kind == "u1") {
                    v = static_cast<float>(*p) / 255.0F;
                } else {
                    v = static_cast<float>(read_value<std::uint16_t>(p, swap)) / 65535.0F;
                }
                t.at(static_cast<int>(ci), static_cast<int>(y), static_cast<int>(x)) = v;
            }
        }
    }
    return t;
}

std::string encode_npy(const Tensor& t) {
    const Shape& s = t.shape();
    std::string header =
        fmt::format("{{'descr': '<f4', 'fortran_order': False, 'shape': ({}, {}, {}), }}",
                    s.channels, s.height, s.width);
    // Pad so that the data starts on a 64-byte boundary; the header ends with '\n'.
    const std::size_t base = 10 + header.size() + 1;
    header.append((64 - base % 64) % 64, ' ');
    header += '\n';
    std::string out("\x93NUMPY\x01\x00", 8);
    out += static_cast<char>(header.size() & 0xFFU);
    out += static_cast<char>((header.size() >> 8U) & 0xFFU);
    out += header;
    const auto data = t.data();
    static_assert(std::endian::native == std::endian::little, "big-endian hosts need a byte swap");
    out.append(reinterpret_cast<const char*>(data.data()), data.size() * sizeof(float));
    return out;
}

}  // namespace convpool
