#pragma once
// What the fast-path tests (tests/ops/fast/) share: deterministic random cases with many ties,
// NaN, infinities and signed zeros; bit-for-bit comparisons; random windows; the plain loops the
// fast paths must equal.
#include "convpool/core/error.hpp"
#include "convpool/core/geometry.hpp"
#include "convpool/core/parallel.hpp"
#include "convpool/core/params.hpp"
#include "convpool/core/tensor.hpp"
#include "convpool/pipeline/activation.hpp"
#include "convpool/pipeline/pipeline.hpp"
#include "convpool/pipeline/registry.hpp"

#include <doctest/doctest.h>
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "ops/common/convolution.hpp"
#include "ops/common/pooling.hpp"
#include "ops/fast/pool.hpp"
#include "ops/fast/pool_u8.hpp"
#include "ops/fast/rows.hpp"

namespace fast_paths {

/// `count` row pointers into `v`, `pitch` floats apart, the first at a 64-byte aligned address
/// plus `offset` floats (v must have room for the alignment, the offset and the rows).
inline std::vector<float*> aligned_rows(std::vector<float>& v, int count, std::size_t pitch,
                                        std::size_t offset) {
    const auto misaligned = reinterpret_cast<std::uintptr_t>(v.data()) % 64;
    float* first = v.data() + (64 - misaligned) % 64 / sizeof(float) + offset;
    std::vector<float*> out;
    out.reserve(static_cast<std::size_t>(count));
    for (int r = 0; r < count; ++r) {
        out.push_back(first + static_cast<std::size_t>(r) * pitch);
    }
    return out;
}

using convpool::Axis;
using convpool::Shape;
using convpool::Tensor;
using convpool::Window;

inline constexpr float kInf = std::numeric_limits<float>::infinity();

/// Deterministic cases; the mapping from engine output to numbers is our own.
class Random {
public:
    explicit Random(std::uint32_t seed) : m_engine(seed) {}
    int integer(int lo, int hi) {
        return lo + static_cast<int>(static_cast<std::uint32_t>(m_engine()) %
                                     static_cast<std::uint32_t>(hi - lo + 1));
    }
    bool chance(int percent) { return integer(0, 99) < percent; }
    /// One of `choices`, each as likely, by one draw of integer(0, N - 1).
    template <typename T, std::size_t N>
    const T& pick(const std::array<T, N>& choices) {
        return choices[static_cast<std::size_t>(integer(0, static_cast<int>(N) - 1))];
    }

private:
    std::mt19937 m_engine;
};

/// Values with many ties: small integers, -0 and +0, +-inf, and NaN of both signs.
inline Tensor tricky_tensor(const Shape& shape, Random& rng, int special_percent) {
    Tensor t(shape);
    const float nan = std::numeric_limits<float>::quiet_NaN();
    for (float& v : t.data()) {
        v = static_cast<float>(rng.integer(-3, 3));
        if (rng.chance(special_percent)) {
            const std::array specials{0.0F, -0.0F, kInf, -kInf, nan, -nan};
            v = rng.pick(specials);
        }
    }
    return t;
}

/// Bit-for-bit equality (NaN payloads and the sign of zero count).
inline bool same_bits(const Tensor& a, const Tensor& b) {
    return a.shape() == b.shape() &&
           std::memcmp(a.data().data(), b.data().data(), a.data().size_bytes()) == 0;
}

/// Bit-for-bit equality, except that any NaN equals any NaN: arithmetic on two NaNs returns
/// one of them, and which one is up to the compiler's operand order (C++ does not fix it).
inline bool same_sums(const Tensor& a, const Tensor& b) {
    if (!(a.shape() == b.shape())) {
        return false;
    }
    for (std::size_t i = 0; i < a.data().size(); ++i) {
        const float x = a.data()[i];
        const float y = b.data()[i];
        if (std::isnan(x) || std::isnan(y)
                ? !(std::isnan(x) && std::isnan(y))
                : std::bit_cast<std::uint32_t>(x) != std::bit_cast<std::uint32_t>(y)) {
            return false;
        }
    }
    return true;
}

inline Tensor negated(const Tensor& t) {
    Tensor out(t.shape());
    for (std::size_t i = 0; i < t.data().size(); ++i) {
        out.data()[i] = -t.data()[i];
    }
    return out;
}

/// A random axis over `in` cells with at least one window, or kernel 0 when none fits.
inline Axis random_axis(Random& rng, int in, int max_kernel) {
    for (int attempt = 0; attempt < 20; ++attempt) {
        Axis a;
        a.kernel = rng.integer(1, max_kernel);
        a.stride = rng.integer(1, 3);
        a.dilation = rng.chance(25) ? rng.integer(2, 3) : 1;
        a.pad_begin = rng.integer(0, a.kernel / 2);
        a.pad_end = rng.chance(20) ? a.pad_begin + 1 : a.pad_begin;  // as TensorFlow's SAME
        a.ceil = rng.chance(40);
        if (convpool::output_extent(in, a) > 0) {
            return a;
        }
    }
    return Axis{0, 1, 0, 0, 1, false};
}

/// `k=3 s=1 pad=1+1 dilation=1 ceil=0`, for failure messages.
inline std::string describe(const Axis& a) {
    return "k=" + std::to_string(a.kernel) + " s=" + std::to_string(a.stride) +
           " pad=" + std::to_string(a.pad_begin) + "+" + std::to_string(a.pad_end) +
           " dilation=" + std::to_string(a.dilation) + " ceil=" + std::to_string(a.ceil ? 1 : 0);
}

/// `2x5x7, rows k=3 s=1 ..., columns k=2 ...`: the shape and window of a case.
inline std::string describe(const Shape& s, const Window& w) {
    return std::to_string(s.channels) + "x" + std::to_string(s.height) + "x" +
           std::to_string(s.width) + ", rows " + describe(w.rows) + ", columns " + describe(w.cols);
}

/// Windows of the thread-count tests: 2x2/2, 3x3/1 pad 1, and 9x9 with strides 1 and 2.
inline const std::array kThreadTestWindows{
    Window{Axis{2, 2, 0, 0, 1, false}, Axis{2, 2, 0, 0, 1, false}},
    Window{Axis{3, 1, 1, 1, 1, false}, Axis{3, 1, 1, 1, 1, false}},
    Window{Axis{9, 1, 4, 4, 1, true}, Axis{9, 2, 4, 4, 1, true}},
};

/// The plain loops: reduce_windows with the reducers of ops/common/pooling.hpp.
inline Tensor plain_max(const Tensor& in, const Window& w) {
    using namespace convpool::ops;
    return reduce_windows(in, sliding_plan(in.shape().height, w.rows),
                          sliding_plan(in.shape().width, w.cols), MaxReducer{});
}
inline Tensor plain_avg(const Tensor& in, const Window& w, bool count_pad, int divisor) {
    using namespace convpool::ops;
    return reduce_windows(in, sliding_plan(in.shape().height, w.rows),
                          sliding_plan(in.shape().width, w.cols),
                          AvgPoolReducer{{count_pad, divisor}});
}

}  // namespace fast_paths
