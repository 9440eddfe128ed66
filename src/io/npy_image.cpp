// .npy arrays as images: dtypes, layouts (with convpool's own layout comment) and batches.
#include "convpool/core/error.hpp"
#include "convpool/io/npy.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "io/npy_header.hpp"

namespace convpool {
namespace {

using npy_detail::NpyHeader;
using npy_detail::read_value;

/// An element type an image array may have.
struct Dtype {
    char kind = 'f';  ///< 'f' float, 'u' unsigned, 'i' signed, 'b' bool
    std::size_t size = 4;
    bool swap = false;
    std::string name;  ///< numpy's (`int16`, ...)
};

Dtype image_dtype(const std::string& descr) {
    static const std::array<std::string_view, 11> kinds{"f2", "f4", "f8", "u1", "u2", "u4",
                                                        "i1", "i2", "i4", "i8", "b1"};
    const char order = descr.empty() ? '?' : descr[0];
    const std::string kind = descr.size() == 3 ? descr.substr(1) : std::string();
    if ((order != '<' && order != '>' && order != '=' && order != '|') ||
        std::find(kinds.begin(), kinds.end(), kind) == kinds.end()) {
        throw InputError(
            fmt::format("unsupported npy dtype '{}' (float16/32/64, uint8/16/32, "
                        "int8/16/32/64 or bool)",
                        descr.substr(0, 20)));
    }
    Dtype d;
    d.kind = kind[0];
    d.size = static_cast<std::size_t>(kind[1] - '0');
    const bool little_host = std::endian::native == std::endian::little;
    d.swap = (order == '<' && !little_host) || (order == '>' && little_host);
    d.name = d.kind == 'b'   ? std::string("bool")
             : d.kind == 'f' ? fmt::format("float{}", d.size * 8)
                             : fmt::format("{}int{}", d.kind == 'u' ? "u" : "", d.size * 8);
    return d;
}

/// An integer read as double, and its type's maximum.
struct Integer {
    double value = 0;
    double max = 1;
};

Integer read_integer(const unsigned char* p, const Dtype& d) {
    const bool s = d.swap;
    if (d.kind == 'u') {
        switch (d.size) {
            case 1:
                return {static_cast<double>(*p), 255.0};
            case 2:
                return {static_cast<double>(read_value<std::uint16_t>(p, s)), 65535.0};
            default:
                return {static_cast<double>(read_value<std::uint32_t>(p, s)), 4294967295.0};
        }
    }
    switch (d.size) {
        case 1:
            return {static_cast<double>(read_value<std::int8_t>(p, s)), 127.0};
        case 2:
            return {static_cast<double>(read_value<std::int16_t>(p, s)), 32767.0};
        case 4:
            return {static_cast<double>(read_value<std::int32_t>(p, s)), 2147483647.0};
        default:
            return {static_cast<double>(read_value<std::int64_t>(p, s)),
                    static_cast<double>(std::numeric_limits<std::int64_t>::max())};
    }
}

/// Counts what reading lost: float64 beyond float32's range, integers beyond 2^24.
struct Losses {
    std::size_t overflowed = 0;
    std::size_t rounded = 0;
};

float read_element(const unsigned char* p, const Dtype& d, Losses& losses) {
    if (d.kind == 'b') {
        return *p != 0 ? 1.0F : 0.0F;
    }
    if (d.kind == 'f') {
        if (d.size == 2) {
            return half_to_float(read_value<std::uint16_t>(p, d.swap));
        }
        if (d.size == 4) {
            return read_value<float>(p, d.swap);
        }
        const auto v = read_value<double>(p, d.swap);
        const auto f = static_cast<float>(v);
        losses.overflowed += std::isfinite(v) && !std::isfinite(f) ? 1U : 0U;
        return f;
    }
    const Integer n = read_integer(p, d);
    constexpr double kExact = 16777216.0;  // 2^24: float32 holds every integer up to here
    losses.rounded += std::fabs(n.value) > kExact ? 1U : 0U;
    return static_cast<float>(n.value / n.max);
}

/// The layout convpool wrote in the header (`# convpool layout: chw`), if any.
std::optional<NpyLayout> written_layout(const NpyHeader& h) {
    for (const auto& comment : h.comments) {
        const auto at = comment.find(npy_detail::kLayoutComment);
        if (at == 0) {
            std::string name = comment.substr(npy_detail::kLayoutComment.size());
            while (!name.empty() && name.back() == ' ') {
                name.pop_back();
            }
            return parse_npy_layout(name);
        }
    }
    return std::nullopt;
}

bool is_4d(NpyLayout l) { return l == NpyLayout::nchw || l == NpyLayout::nhwc; }
bool is_3d(NpyLayout l) {
    return l == NpyLayout::hwc || l == NpyLayout::chw || l == NpyLayout::nhw;
}

/// The layout an array is read in (see NpyLayout), with a warning where it may be wrong.
NpyLayout resolve_layout(const NpyHeader& h, NpyLayout asked, std::vector<std::string>* warnings) {
    const std::size_t rank = h.dims.size();
    if (rank == 2) {
        return NpyLayout::hwc;  // (H, W): one channel
    }
    const auto written = written_layout(h);
    const auto fits = [rank](NpyLayout l) { return rank == 3 ? is_3d(l) : is_4d(l); };
    if (asked != NpyLayout::automatic) {
        if (!fits(asked)) {
            throw InputError(
                fmt::format("npy array has shape {}: --npy-layout {} is for {}-D "
                            "arrays",
                            h.shape_text, npy_layout_name(asked), rank == 3 ? 4 : 3));
        }
        if (written && *written != asked && warnings != nullptr) {
            warnings->push_back(fmt::format("npy header says layout {}; read as {} (--npy-layout)",
                                            npy_layout_name(*written), npy_layout_name(asked)));
        }
        return asked;
    }
    if (written && fits(*written)) {
        return *written;
    }
    if (rank == 4) {
        throw InputError(fmt::format(
            "npy array has shape {}: a 4-D batch needs --npy-layout nchw or nhwc", h.shape_text));
    }
    if ((h.dims[0] == 1 || h.dims[0] == 3) && h.dims[2] > 4 && warnings != nullptr) {
        warnings->push_back(fmt::format(
            "npy array {} read as (H, W, C) = {} channels of {}x{}; if it is (C, H, W), give "
            "--npy-layout chw",
            h.shape_text, h.dims[2], h.dims[1], h.dims[0]));
    }
    return NpyLayout::hwc;
}

/// Where each of n (batch), c, y, x sits among the array's axes (-1: absent).
struct Axes {
    int n = -1;
    int c = -1;
    int y = 0;
    int x = 1;
};

Axes axes_of(NpyLayout layout, std::size_t rank) {
    if (rank == 2) {
        return {};
    }
    switch (layout) {
        case NpyLayout::chw:
            return {-1, 0, 1, 2};
        case NpyLayout::nhw:
            return {0, -1, 1, 2};
        case NpyLayout::nchw:
            return {0, 1, 2, 3};
        case NpyLayout::nhwc:
            return {0, 3, 1, 2};
        default:
            return {-1, 2, 0, 1};  // hwc
    }
}

/// A header read for images: its layout and the extents it gives.
struct ImageArray {
    NpyHeader header;
    Dtype dtype;
    Axes axes;
    long long n = 1;
    long long c = 1;
    long long h = 0;
    long long w = 0;
};

ImageArray read_image_array(std::span<const unsigned char> bytes, NpyLayout asked,
                            std::vector<std::string>* warnings) {
    ImageArray a;
    a.header = npy_detail::read_npy_header(bytes, false);
    a.dtype = image_dtype(a.header.descr);
    const auto& dims = a.header.dims;
    a.axes = axes_of(resolve_layout(a.header, asked, warnings), dims.size());
    const auto extent = [&dims](int axis) {
        return axis < 0 ? 1LL : dims[static_cast<std::size_t>(axis)];
    };
    a.n = extent(a.axes.n);
    a.c = extent(a.axes.c);
    a.h = extent(a.axes.y);
    a.w = extent(a.axes.x);
    constexpr long long kMaxExtent = 1LL << 30;
    if (a.h <= 0 || a.w <= 0 || a.c <= 0 || a.n <= 0 || a.h > kMaxExtent || a.w > kMaxExtent ||
        a.c > 4096 || a.h * a.w > kMaxExtent || a.h * a.w * a.c > kMaxExtent || a.n > kMaxExtent) {
        throw InputError(fmt::format("npy shape {} is empty or too large", a.header.shape_text));
    }
    // Every item must be there: N items of C*H*W values, at most what the data holds.
    const auto available = (bytes.size() - a.header.data_at) / a.dtype.size;
    const auto per_item = static_cast<std::size_t>(a.h * a.w * a.c);
    if (static_cast<std::size_t>(a.n) > available / per_item) {
        throw InputError(fmt::format("truncated .npy data: {} bytes, expected {}",
                                     bytes.size() - a.header.data_at,
                                     static_cast<std::size_t>(a.n) * per_item * a.dtype.size));
    }
    return a;
}

}  // namespace

const char* npy_layout_name(NpyLayout layout) noexcept {
    switch (layout) {
        case NpyLayout::hwc:
            return "hwc";
        case NpyLayout::chw:
            return "chw";
        case NpyLayout::nhw:
            return "nhw";
        case NpyLayout::nchw:
            return "nchw";
        case NpyLayout::nhwc:
            return "nhwc";
        default:
            return "auto";
    }
}

std::optional<NpyLayout> parse_npy_layout(std::string_view name) noexcept {
    for (const auto l : {NpyLayout::automatic, NpyLayout::hwc, NpyLayout::chw, NpyLayout::nhw,
                         NpyLayout::nchw, NpyLayout::nhwc}) {
        if (name == npy_layout_name(l)) {
            return l;
        }
    }
    return std::nullopt;
}

std::size_t npy_item_count(std::span<const unsigned char> bytes, NpyLayout layout) {
    return static_cast<std::size_t>(read_image_array(bytes, layout, nullptr).n);
}

Tensor decode_npy(std::span<const unsigned char> bytes, NpyLayout layout, std::size_t item,
                  std::vector<std::string>* warnings) {
    const ImageArray a = read_image_array(bytes, layout, warnings);
    if (item >= static_cast<std::size_t>(a.n)) {
        throw InputError(fmt::format("npy array {} has {} item{}; there is no item {}",
                                     a.header.shape_text, a.n, a.n == 1 ? "" : "s", item));
    }
    // The stride of each axis in elements, for C or Fortran order.
    const auto& dims = a.header.dims;
    std::array<std::size_t, 4> stride{};
    const std::size_t rank = dims.size();
    std::size_t step = 1;
    for (std::size_t k = 0; k < rank; ++k) {
        const std::size_t axis = a.header.fortran ? k : rank - 1 - k;
        stride[axis] = step;
        step *= static_cast<std::size_t>(dims[axis]);
    }
    const auto s = [&stride](int axis) {
        return axis < 0 ? std::size_t{0} : stride[static_cast<std::size_t>(axis)];
    };
    const std::size_t sn = s(a.axes.n);
    const std::size_t sc = s(a.axes.c);
    const std::size_t sy = s(a.axes.y);
    const std::size_t sx = s(a.axes.x);
    Tensor t(Shape{static_cast<int>(a.c), static_cast<int>(a.h), static_cast<int>(a.w)});
    const unsigned char* src = bytes.data() + a.header.data_at + item * sn * a.dtype.size;
    Losses losses;
    for (int ci = 0; ci < static_cast<int>(a.c); ++ci) {
        auto plane = t.channel(ci);
        std::size_t at = 0;
        for (std::size_t y = 0; y < static_cast<std::size_t>(a.h); ++y) {
            for (std::size_t x = 0; x < static_cast<std::size_t>(a.w); ++x) {
                const std::size_t e = static_cast<std::size_t>(ci) * sc + y * sy + x * sx;
                plane[at++] = read_element(src + e * a.dtype.size, a.dtype, losses);
            }
        }
    }
    if (warnings != nullptr && losses.overflowed > 0) {
        warnings->push_back(
            fmt::format("npy float64 data: {} value{} beyond float32's range became infinite",
                        losses.overflowed, losses.overflowed == 1 ? "" : "s"));
    }
    if (warnings != nullptr && losses.rounded > 0) {
        warnings->push_back(fmt::format(
            "npy {} data: {} value{} beyond 2^24 in magnitude lost precision in float32",
            a.dtype.name, losses.rounded, losses.rounded == 1 ? "" : "s"));
    }
    return t;
}

}  // namespace convpool
