// The .npy header reader shared by npy.cpp (weights, encoding) and npy_image.cpp (images).
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace convpool::npy_detail {

/// What a .npy header says: the dtype string, the axis order, the dimensions (none negative)
/// with their Python spelling, where the data starts, and the header's comments.
struct NpyHeader {
    std::string descr;
    bool fortran = false;
    std::vector<long long> dims;
    std::string shape_text;
    std::size_t data_at = 0;
    std::vector<std::string> comments;  ///< each from '#' to the end of its line
};

/// Reads the header as numpy 1.24 does. With `any_rank`, every number of dimensions is accepted
/// (weights); else 2, 3 or 4. Throws InputError.
NpyHeader read_npy_header(std::span<const unsigned char> bytes, bool any_rank);

/// The comment encode_npy writes before the layout name (`# convpool layout: chw`).
inline constexpr std::string_view kLayoutComment = "# convpool layout: ";

/// A value of type T at `p`, byte-swapped when `swap`.
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

}  // namespace convpool::npy_detail
