// The fast paths against the plain loops they sit beside: the same tensor bit for bit (max/min:
// NaN with its sign, -0 and +0, -inf and ties included; sums: any NaN where the plain loop has
// one) over sweeps of shapes, kernels, strides, padding,
// dilation and ceil mode, and the same result whatever the thread count.
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

namespace {

/// `count` row pointers into `v`, `pitch` floats apart, the first at a 64-byte aligned address
/// plus `offset` floats (v must have room for the alignment, the offset and the rows).
std::vector<float*> aligned_rows(std::vector<float>& v, int count, std::size_t pitch,
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

constexpr float kInf = std::numeric_limits<float>::infinity();

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
Tensor tricky_tensor(const Shape& shape, Random& rng, int special_percent) {
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
bool same_bits(const Tensor& a, const Tensor& b) {
    return a.shape() == b.shape() &&
           std::memcmp(a.data().data(), b.data().data(), a.data().size_bytes()) == 0;
}

/// Bit-for-bit equality, except that any NaN equals any NaN: arithmetic on two NaNs returns
/// one of them, and which one is up to the compiler's operand order (C++ does not fix it).
bool same_sums(const Tensor& a, const Tensor& b) {
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

Tensor negated(const Tensor& t) {
    Tensor out(t.shape());
    for (std::size_t i = 0; i < t.data().size(); ++i) {
        out.data()[i] = -t.data()[i];
    }
    return out;
}

/// A random axis over `in` cells with at least one window, or kernel 0 when none fits.
Axis random_axis(Random& rng, int in, int max_kernel) {
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
std::string describe(const Axis& a) {
    return "k=" + std::to_string(a.kernel) + " s=" + std::to_string(a.stride) +
           " pad=" + std::to_string(a.pad_begin) + "+" + std::to_string(a.pad_end) +
           " dilation=" + std::to_string(a.dilation) + " ceil=" + std::to_string(a.ceil ? 1 : 0);
}

/// `2x5x7, rows k=3 s=1 ..., columns k=2 ...`: the shape and window of a case.
std::string describe(const Shape& s, const Window& w) {
    return std::to_string(s.channels) + "x" + std::to_string(s.height) + "x" +
           std::to_string(s.width) + ", rows " + describe(w.rows) + ", columns " + describe(w.cols);
}

/// Windows of the thread-count tests: 2x2/2, 3x3/1 pad 1, and 9x9 with strides 1 and 2.
const std::array kThreadTestWindows{
    Window{Axis{2, 2, 0, 0, 1, false}, Axis{2, 2, 0, 0, 1, false}},
    Window{Axis{3, 1, 1, 1, 1, false}, Axis{3, 1, 1, 1, 1, false}},
    Window{Axis{9, 1, 4, 4, 1, true}, Axis{9, 2, 4, 4, 1, true}},
};

/// The plain loops: reduce_windows with the reducers of ops/common/pooling.hpp.
Tensor plain_max(const Tensor& in, const Window& w) {
    using namespace convpool::ops;
    return reduce_windows(in, sliding_plan(in.shape().height, w.rows),
                          sliding_plan(in.shape().width, w.cols), MaxReducer{});
}
Tensor plain_avg(const Tensor& in, const Window& w, bool count_pad, int divisor) {
    using namespace convpool::ops;
    return reduce_windows(in, sliding_plan(in.shape().height, w.rows),
                          sliding_plan(in.shape().width, w.cols), AvgReducer{count_pad, divisor});
}

}  // namespace

TEST_CASE("fast max, min and avg pooling equal the plain loops bit for bit on random geometry") {
    using convpool::ops::Extremum;
    Random rng(20261122);
    int checked = 0;
    for (int i = 0; i < 2500; ++i) {
        const Shape shape{rng.integer(1, 2), rng.integer(1, 37), rng.integer(1, 37)};
        // Mostly short windows; some long ones for the doubling and van Herk paths.
        const int max_kernel = rng.chance(20) ? 19 : 5;
        const Window w{random_axis(rng, shape.height, max_kernel),
                       random_axis(rng, shape.width, max_kernel)};
        if (w.rows.kernel == 0 || w.cols.kernel == 0) {
            continue;
        }
        const Tensor in = tricky_tensor(shape, rng, rng.chance(50) ? 30 : 0);
        const std::string what = describe(shape, w);
        CAPTURE(what);
        REQUIRE(
            same_bits(convpool::ops::fast_extremum_pool(in, w, Extremum::max), plain_max(in, w)));
        // min(x) = -max(-x) holds bit for bit for the plain reducers (negation is exact and
        // flips NaN's sign too), so the plain max of the negated input checks the fast min.
        REQUIRE(same_bits(convpool::ops::fast_extremum_pool(in, w, Extremum::min),
                          negated(plain_max(negated(in), w))));
        const bool count_pad = rng.chance(50);
        const int divisor = rng.chance(20) ? rng.integer(1, 7) : 0;
        CAPTURE(count_pad);
        CAPTURE(divisor);
        REQUIRE(same_sums(convpool::ops::fast_avg_pool(in, w, count_pad, divisor),
                          plain_avg(in, w, count_pad, divisor)));
        ++checked;
    }
    CHECK(checked > 2000);
}

TEST_CASE("fast pooling: every odd size 1..37 with 2x2/2, 3x3/1 pad 1 and 15x15/1 pad 7") {
    using convpool::ops::Extremum;
    Random rng(7);
    const auto shapes = std::to_array<std::array<Axis, 1>>({{{{2, 2, 0, 0, 1, false}}},
                                                            {{{3, 1, 1, 1, 1, false}}},
                                                            {{{15, 1, 7, 7, 1, false}}},
                                                            {{{2, 2, 0, 0, 1, true}}},
                                                            {{{2, 2, 1, 1, 1, true}}}});
    for (int h = 1; h <= 37; h += 2) {
        for (int wd = 1; wd <= 37; wd += 3) {
            const Tensor in = tricky_tensor({1, h, wd}, rng, 10);
            for (const auto& a : shapes) {
                const Window w{a[0], a[0]};
                if (convpool::output_extent(h, w.rows) <= 0 ||
                    convpool::output_extent(wd, w.cols) <= 0) {
                    continue;
                }
                CAPTURE(h);
                CAPTURE(wd);
                CAPTURE(a[0].kernel);
                REQUIRE(same_bits(convpool::ops::fast_extremum_pool(in, w, Extremum::max),
                                  plain_max(in, w)));
                // The fused 2x2/2 average multiplies by 1/4 for power-of-two divisors and
                // divides for the others (3): both must give the plain loop's quotient.
                for (const int divisor : {0, 2, 3}) {
                    for (const bool count_pad : {true, false}) {
                        CAPTURE(divisor);
                        CAPTURE(count_pad);
                        REQUIRE(same_sums(convpool::ops::fast_avg_pool(in, w, count_pad, divisor),
                                          plain_avg(in, w, count_pad, divisor)));
                    }
                }
            }
        }
    }
}

TEST_CASE("fast max/min pooling: a few NaNs among NaN-free rows, folded by either pick") {
    // Rows without NaN are folded with plain max/min instructions, rows with one by the NaN
    // rule; windows that mix both kinds of rows must still give the plain loop's bits.
    using convpool::ops::Extremum;
    Random rng(5);
    Tensor in(Shape{2, 70, 45});
    for (float& v : in.data()) {
        v = static_cast<float>(rng.integer(-50, 50)) / 8.0F;
    }
    const float nan = std::numeric_limits<float>::quiet_NaN();
    for (int i = 0; i < 6; ++i) {
        in.data()[static_cast<std::size_t>(rng.integer(0, 2 * 70 * 45 - 1))] =
            i % 2 == 1 ? nan : -nan;
    }
    in.data()[3] = -0.0F;  // a signed-zero tie in the first row as well
    in.data()[4] = 0.0F;
    const std::array<Axis, 5> axes{{{2, 2, 0, 0, 1, false},
                                    {3, 1, 1, 1, 1, false},
                                    {15, 1, 7, 7, 1, false},
                                    {5, 2, 2, 2, 1, true},
                                    {3, 1, 2, 2, 2, false}}};
    for (const Axis& a : axes) {
        const Window w{a, a};
        CAPTURE(a.kernel);
        CAPTURE(a.stride);
        REQUIRE(
            same_bits(convpool::ops::fast_extremum_pool(in, w, Extremum::max), plain_max(in, w)));
        REQUIRE(same_bits(convpool::ops::fast_extremum_pool(in, w, Extremum::min),
                          negated(plain_max(negated(in), w))));
    }
}

TEST_CASE("fast 2x2/2 average: fractional values of any scale, every divisor 1..9") {
    // Fractional values with exponents far apart (inexact double sums, rounded quotients), and
    // every divisor: the fused kernel's taps, divisor and rounding against the plain loop's.
    Random rng(11);
    Tensor in(Shape{2, 9, 34});
    for (float& v : in.data()) {
        v = std::ldexp(static_cast<float>(rng.integer(-(1 << 23), 1 << 23)), rng.integer(-60, 40));
    }
    const Window w{Axis{2, 2, 0, 0, 1, true}, Axis{2, 2, 0, 0, 1, true}};
    for (int divisor = 0; divisor <= 9; ++divisor) {
        CAPTURE(divisor);
        REQUIRE(same_bits(convpool::ops::fast_avg_pool(in, w, false, divisor),
                          plain_avg(in, w, false, divisor)));
    }
    // All four cells -0: the plain sum starts at +0, so the average is +0.
    const Tensor zeros(Shape{1, 2, 2}, std::vector<float>(4, -0.0F));
    CHECK_FALSE(std::signbit(convpool::ops::fast_avg_pool(zeros, w, true, 0).data()[0]));
}

TEST_CASE("fast pooling: ties between -0 and +0 go to the first, NaN to the last") {
    using convpool::ops::Extremum;
    const float nan = std::numeric_limits<float>::quiet_NaN();
    // One 2x2 window: row-major order is -0, +0, NaN, -NaN.
    const Tensor zeros(Shape{1, 1, 2}, std::vector<float>{-0.0F, 0.0F});
    const Window w2{Axis{1, 1, 0, 0, 1, false}, Axis{2, 2, 0, 0, 1, false}};
    const Tensor mx = convpool::ops::fast_extremum_pool(zeros, w2, Extremum::max);
    CHECK(std::signbit(mx.data()[0]));  // the first zero wins the tie
    const Tensor nans(Shape{1, 2, 2}, std::vector<float>{1.0F, nan, -nan, 2.0F});
    const Window w22{Axis{2, 2, 0, 0, 1, false}, Axis{2, 2, 0, 0, 1, false}};
    const Tensor m2 = convpool::ops::fast_extremum_pool(nans, w22, Extremum::max);
    CHECK(std::isnan(m2.data()[0]));
    CHECK(std::signbit(m2.data()[0]));  // the last NaN in row-major order
    CHECK(same_bits(m2, plain_max(nans, w22)));
    // -inf everywhere: the result is -inf, padding never wins.
    const Tensor ninf(Shape{1, 3, 3}, -kInf);
    const Window w3{Axis{3, 1, 1, 1, 1, false}, Axis{3, 1, 1, 1, 1, false}};
    CHECK(same_bits(convpool::ops::fast_extremum_pool(ninf, w3, Extremum::max), ninf));
}

TEST_CASE("fast pooling gives the same bits with 1, 2 and 3 threads") {
    using convpool::ops::Extremum;
    Random rng(99);
    // Large enough that parallel_for splits the rows (about 1 MB per thread).
    const Tensor in = tricky_tensor({2, 611, 437}, rng, 2);
    for (const Window& w : kThreadTestWindows) {
        CAPTURE(w.rows.kernel);
        convpool::set_thread_count(1);
        const Tensor max1 = convpool::ops::fast_extremum_pool(in, w, Extremum::max);
        const Tensor avg1 = convpool::ops::fast_avg_pool(in, w, false, 0);
        CHECK(same_bits(max1, plain_max(in, w)));
        CHECK(same_sums(avg1, plain_avg(in, w, false, 0)));
        for (const int threads : {2, 3}) {
            convpool::set_thread_count(threads);
            CHECK(same_bits(convpool::ops::fast_extremum_pool(in, w, Extremum::max), max1));
            CHECK(same_bits(convpool::ops::fast_avg_pool(in, w, false, 0), avg1));
        }
    }
    convpool::set_thread_count(0);
}

namespace {

using convpool::ImageU8;
using convpool::ops::Extremum;

/// Bytes with many ties: mostly a few values at both ends of the range, or any byte.
ImageU8 tricky_image(const Shape& shape, Random& rng) {
    ImageU8 image(shape);
    const bool few = rng.chance(50);
    for (std::uint8_t& v : image.data()) {
        const int pick = rng.integer(0, 4);
        v = static_cast<std::uint8_t>(few ? (pick < 2 ? pick : 253 + pick - 2)
                                          : rng.integer(0, 255));
    }
    return image;
}

/// The image as a float C×H×W tensor of the same values (0..255).
Tensor planes_of(const ImageU8& image) {
    Tensor t(image.shape());
    for (int c = 0; c < image.shape().channels; ++c) {
        for (int y = 0; y < image.shape().height; ++y) {
            for (int x = 0; x < image.shape().width; ++x) {
                t.at(c, y, x) = static_cast<float>(image.at(c, y, x));
            }
        }
    }
    return t;
}

/// True when `t` holds exactly the values of `image` (scaled by `scale`), channel for channel.
bool same_values(const ImageU8& image, const Tensor& t, float scale = 1.0F) {
    if (!(image.shape() == t.shape())) {
        return false;
    }
    for (int c = 0; c < t.shape().channels; ++c) {
        for (int y = 0; y < t.shape().height; ++y) {
            for (int x = 0; x < t.shape().width; ++x) {
                if (t.at(c, y, x) != static_cast<float>(image.at(c, y, x)) * scale) {
                    return false;
                }
            }
        }
    }
    return true;
}

bool same_bytes(const ImageU8& a, const ImageU8& b) {
    return a.shape() == b.shape() && std::equal(a.data().begin(), a.data().end(), b.data().begin());
}

/// Checks the fast 8-bit pools against the plain loop, and both against the float pools.
void check_u8_pools(const ImageU8& in, const Window& w) {
    using convpool::ops::extremum_pool_u8;
    using convpool::ops::extremum_pool_u8_plain;
    const ImageU8 max_plain = extremum_pool_u8_plain(in, w, Extremum::max);
    const ImageU8 min_plain = extremum_pool_u8_plain(in, w, Extremum::min);
    REQUIRE(same_bytes(extremum_pool_u8(in, w, Extremum::max), max_plain));
    REQUIRE(same_bytes(extremum_pool_u8(in, w, Extremum::min), min_plain));
    const Tensor planes = planes_of(in);
    REQUIRE(same_values(max_plain, plain_max(planes, w)));
    REQUIRE(same_values(max_plain, convpool::ops::fast_extremum_pool(planes, w, Extremum::max)));
    REQUIRE(same_values(min_plain, negated(plain_max(negated(planes), w))));
    REQUIRE(same_values(min_plain, convpool::ops::fast_extremum_pool(planes, w, Extremum::min)));
}

}  // namespace

TEST_CASE("8-bit max and min pooling: hand-checked 2x2/2 on a 3-channel 2x4 image") {
    // Pixels (R, G, B), row by row; output pixel 0 reads columns 0-1, pixel 1 columns 2-3.
    ImageU8 in(Shape{3, 2, 4});
    const std::array<std::uint8_t, 24> values{1,  200, 3,  4,  5,  6,   70, 8,  9, 10, 11, 12,  //
                                              13, 14,  15, 16, 17, 255, 19, 20, 0, 22, 23, 24};
    std::copy(values.begin(), values.end(), in.data().begin());
    const Window w{Axis{2, 2, 0, 0, 1, false}, Axis{2, 2, 0, 0, 1, false}};
    const ImageU8 mx = convpool::ops::extremum_pool_u8(in, w, Extremum::max);
    const ImageU8 mn = convpool::ops::extremum_pool_u8(in, w, Extremum::min);
    REQUIRE(mx.shape() == Shape{3, 1, 2});
    const std::vector<std::uint8_t> want_max{16, 200, 255, 70, 23, 24};
    const std::vector<std::uint8_t> want_min{1, 5, 3, 10, 8, 0};
    CHECK(std::vector<std::uint8_t>(mx.data().begin(), mx.data().end()) == want_max);
    CHECK(std::vector<std::uint8_t>(mn.data().begin(), mn.data().end()) == want_min);
}

TEST_CASE("8-bit max and min pooling equal the plain loop and the float pools on random geometry") {
    Random rng(20261123);
    int checked = 0;
    for (int i = 0; i < 2500; ++i) {
        // Widths up to 150 so that rows hold several 48-byte steps of the stride-2 kernel.
        const Shape shape{rng.integer(1, 4), rng.integer(1, 37),
                          rng.chance(30) ? rng.integer(38, 150) : rng.integer(1, 37)};
        const int max_kernel = rng.chance(20) ? 19 : 5;
        Window w{random_axis(rng, shape.height, max_kernel),
                 random_axis(rng, shape.width, max_kernel)};
        if (w.rows.kernel == 0 || w.cols.kernel == 0) {
            continue;
        }
        if (rng.chance(25)) {
            w.cols.stride = 2;  // the stride-2 step, in place when there is no column padding
            w.cols.kernel = rng.integer(1, 2);
            w.cols.pad_begin = 0;
            w.cols.pad_end = rng.chance(20) ? 1 : 0;
            if (convpool::output_extent(shape.width, w.cols) <= 0) {
                continue;
            }
        }
        if (!convpool::ops::windows_read_input(shape, w)) {
            continue;  // a window of padding only: no 8-bit kernel (checked below)
        }
        const ImageU8 in = tricky_image(shape, rng);
        const std::string what = describe(shape, w);
        CAPTURE(what);
        check_u8_pools(in, w);
        ++checked;
    }
    CHECK(checked > 2000);
}

TEST_CASE("8-bit pooling: widths 1..130 and 1-6 channels with 2x2/2, 3x3/1 pad 1, 3x3/2 pad 1") {
    Random rng(8);
    const auto axes = std::to_array<Axis>({{2, 2, 0, 0, 1, false},
                                           {2, 2, 0, 0, 1, true},
                                           {3, 1, 1, 1, 1, false},
                                           {3, 2, 1, 1, 1, true},
                                           {2, 2, 0, 0, 2, false},
                                           {1, 2, 0, 0, 1, false}});
    for (int channels = 1; channels <= 6; ++channels) {
        for (int wd = 1; wd <= 130; wd += (wd < 60 ? 1 : 7)) {
            const int h = 1 + (wd * 7 + channels) % 6;
            const ImageU8 in = tricky_image({channels, h, wd}, rng);
            for (const Axis& a : axes) {
                const Window w{Axis{2, 2, 0, 0, 1, true}, a};
                if (convpool::output_extent(h, w.rows) <= 0 ||
                    convpool::output_extent(wd, w.cols) <= 0) {
                    continue;
                }
                CAPTURE(channels);
                CAPTURE(h);
                CAPTURE(wd);
                const std::string cols = describe(a);
                CAPTURE(cols);
                check_u8_pools(in, w);
            }
        }
    }
}

TEST_CASE("8-bit pooling gives the same bytes with 1, 2 and 3 threads") {
    Random rng(98);
    const ImageU8 in = tricky_image({3, 611, 437}, rng);
    for (const Window& w : kThreadTestWindows) {
        CAPTURE(w.rows.kernel);
        convpool::set_thread_count(1);
        const ImageU8 max1 = convpool::ops::extremum_pool_u8(in, w, Extremum::max);
        CHECK(same_bytes(max1, convpool::ops::extremum_pool_u8_plain(in, w, Extremum::max)));
        for (const int threads : {2, 3}) {
            convpool::set_thread_count(threads);
            CHECK(same_bytes(convpool::ops::extremum_pool_u8(in, w, Extremum::max), max1));
        }
    }
    convpool::set_thread_count(0);
}

TEST_CASE("pool:max and pool:min: apply_u8 equals apply on the same image as float in [0, 1]") {
    Random rng(4);
    const ImageU8 in = tricky_image({3, 23, 61}, rng);
    Tensor unit = planes_of(in);
    for (float& v : unit.data()) {
        v /= 255.0F;  // as image loading scales 8-bit data
    }
    const std::vector<std::vector<convpool::Arg>> cases = {
        {{"k", "2"}, {"s", "2"}},
        {{"k", "3"}, {"s", "1"}, {"pad", "1"}},
        {{"k", "3x2"}, {"s", "2x3"}, {"pad", "1x1"}, {"ceil", "true"}},
        {{"k", "3"}, {"s", "2"}, {"pad", "same"}},
        {{"k", "2"}, {"dilation", "2"}, {"pad", "1"}},
    };
    for (const char* name : {"pool:max", "pool:min"}) {
        const convpool::OpInfo& info = convpool::find_op(name);
        for (const auto& args : cases) {
            const auto op = info.make(convpool::Params(info.name, info.params, args));
            const std::string text = convpool::Params(info.name, info.params, args).describe();
            CAPTURE(name);
            CAPTURE(text);
            REQUIRE(op->runs_u8(in.shape()));
            const ImageU8 out = op->apply_u8(in);
            REQUIRE(out.shape() == op->output_shape(in.shape()));
            Tensor want = op->apply(unit);
            for (float& v : want.data()) {
                v *= 255.0F;  // back to bytes: max and min only pick values, so this is exact
            }
            CHECK(same_values(out, want));
        }
    }
}

TEST_CASE("runs_u8: only max and min pools, and only when every window reads an input cell") {
    const auto op = [](const char* name, const std::vector<convpool::Arg>& args) {
        const convpool::OpInfo& info = convpool::find_op(name);
        return info.make(convpool::Params(info.name, info.params, args));
    };
    const Shape rgb{3, 8, 8};
    CHECK(op("pool:max", {{"k", "2"}})->runs_u8(rgb));
    CHECK(op("pool:min", {{"k", "2"}})->runs_u8(rgb));
    CHECK_FALSE(op("pool:avg", {{"k", "2"}})->runs_u8(rgb));
    CHECK_FALSE(op("pool:max", {{"k", "2"}, {"switches", "true"}})->runs_u8(rgb));
    CHECK_FALSE(op("relu", {})->runs_u8(rgb));
    // Taps -1 and 4 of a 4-wide row: the window holds padding only (the float pool gives -inf).
    const auto sparse = op("pool:max", {{"k", "2"}, {"dilation", "5"}, {"pad", "1"}});
    CHECK_FALSE(sparse->runs_u8(Shape{1, 4, 4}));
    CHECK(sparse->runs_u8(Shape{1, 6, 6}));
}

namespace {

/// ConvSettings of `conv` with these arguments (written as on the command line).
convpool::ops::ConvSettings conv_settings(const std::vector<convpool::Arg>& args) {
    const convpool::OpInfo& info = convpool::find_op("conv");
    std::vector<convpool::Arg> all = args;
    all.push_back({"filter", "box"});
    return convpool::ops::ConvSettings(convpool::Params(info.name, info.params, all));
}

}  // namespace

TEST_CASE(
    "fast correlation equals the plain loop bit for bit over kernels, pads, borders, strides and "
    "dilations") {
    Random rng(31337);
    const std::array<const char*, 5> borders{"zero", "reflect", "reflect101", "replicate", "wrap"};
    int checked = 0;
    for (int i = 0; i < 900; ++i) {
        const int h = rng.integer(1, 37);
        // Some rows wider than two AVX-512 vectors plus a tail.
        const int w = rng.chance(25) ? rng.integer(38, 90) : rng.integer(1, 37);
        convpool::Matrix kernel{rng.integer(1, 5), rng.integer(1, 5), {}};
        if (rng.chance(40)) {
            kernel.rows = kernel.cols = 3;  // the 3x3 kernel of its own
        }
        for (int k = 0; k < kernel.rows * kernel.cols; ++k) {
            kernel.values.push_back(static_cast<float>(rng.integer(-40, 40)) / 7.0F);
        }
        const std::string pad =
            rng.chance(50) ? std::string("same") : std::to_string(rng.integer(0, 3));
        const std::string border = rng.pick(borders);
        const std::string scale = rng.chance(30) ? "0.37" : "1";
        // A bias of -0 keeps the 0 + first product that the SIMD builds otherwise drop.
        const std::array<const char*, 4> biases{"0", "0", "-1.5", "-0"};
        const std::string bias = rng.pick(biases);
        // Strides and dilations, the same or not along both axes.
        const auto step = [&](int percent) {
            return rng.chance(percent)
                       ? std::to_string(rng.integer(1, 3)) + "x" + std::to_string(rng.integer(1, 3))
                       : std::string("1");
        };
        const std::string stride = step(35);
        const std::string dilation = step(25);
        const auto settings = conv_settings({{"pad", pad},
                                             {"border", border},
                                             {"scale", scale},
                                             {"bias", bias},
                                             {"stride", stride},
                                             {"dilation", dilation}});
        CAPTURE(h);
        CAPTURE(w);
        CAPTURE(kernel.rows);
        CAPTURE(kernel.cols);
        CAPTURE(pad);
        CAPTURE(border);
        CAPTURE(scale);
        CAPTURE(bias);
        CAPTURE(stride);
        CAPTURE(dilation);
        convpool::Size2 o{};
        try {
            o = settings.output_size(h, w, kernel.rows, kernel.cols);
        } catch (const convpool::Error&) {
            continue;  // the kernel does not fit this padded input
        }
        if ((border == "reflect101" || border == "reflect" || border == "wrap") && pad != "same" &&
            std::stoi(pad) >= std::min(h, w)) {
            continue;  // the plain loop's reflections assume pads smaller than the input
        }
        Random values(static_cast<std::uint32_t>(i));
        const Tensor in = tricky_tensor({1, h, w}, values, rng.chance(30) ? 5 : 0);
        const auto size = static_cast<std::size_t>(o.h) * static_cast<std::size_t>(o.w);
        Tensor fast(Shape{1, o.h, o.w});
        Tensor plain(Shape{1, o.h, o.w});
        settings.correlate(in.channel(0), h, w, kernel, fast.data());
        settings.correlate_plain(in.channel(0), h, w, kernel, plain.data());
        REQUIRE(fast.data().size() == size);
        REQUIRE(same_sums(fast, plain));
        ++checked;
    }
    CHECK(checked > 600);
}

TEST_CASE("fast correlation gives the same bits with 1, 2 and 3 threads") {
    Random rng(5);
    const Tensor in = tricky_tensor({1, 523, 611}, rng, 1);
    const convpool::Matrix sobel{3, 3, {-1, 0, 1, -2, 0, 2, -1, 0, 1}};
    const convpool::Matrix wide{5, 4, std::vector<float>(20, 0.3F)};
    for (const auto& settings : {conv_settings({}), conv_settings({{"stride", "2"}}),
                                 conv_settings({{"dilation", "2x3"}, {"stride", "1x2"}})}) {
        for (const auto* kernel : {&sobel, &wide}) {
            const convpool::Size2 o = settings.output_size(523, 611, kernel->rows, kernel->cols);
            Tensor plain(Shape{1, o.h, o.w});
            settings.correlate_plain(in.channel(0), 523, 611, *kernel, plain.data());
            for (const int threads : {1, 2, 3}) {
                convpool::set_thread_count(threads);
                Tensor fast(Shape{1, o.h, o.w});
                settings.correlate(in.channel(0), 523, 611, *kernel, fast.data());
                CAPTURE(kernel->rows);
                CAPTURE(threads);
                CHECK(same_sums(fast, plain));
            }
        }
    }
    convpool::set_thread_count(0);
}

namespace {

/// same_sums for n floats.
bool same_sums(const float* a, const float* b, int n) {
    const Shape shape{1, 1, n};
    return same_sums(Tensor(shape, std::vector<float>(a, a + n)),
                     Tensor(shape, std::vector<float>(b, b + n)));
}

/// A random 3x3 kernel: multiples of 1/7 from -40/7 to 40/7, a fifth of them 0.
std::vector<float> random_kernel_3x3(Random& rng) {
    std::vector<float> w(9);
    for (float& v : w) {
        v = rng.chance(20) ? 0.0F : static_cast<float>(rng.integer(-40, 40)) / 7.0F;
    }
    return w;
}

/// The count + 2 input rows of n + 2 cells of a band: small integers, `special` percent of them
/// one of `specials`; all -0 with `all_minus_zero`.
std::vector<std::vector<float>> random_band_rows(Random& rng, int count, int n, int special,
                                                 const std::vector<float>& specials,
                                                 bool all_minus_zero) {
    std::vector<std::vector<float>> rows(static_cast<std::size_t>(count) + 2);
    for (auto& row : rows) {
        row.resize(static_cast<std::size_t>(n) + 2);
        for (float& v : row) {
            v = static_cast<float>(rng.integer(-3, 3));
            if (rng.chance(special)) {
                v = specials[static_cast<std::size_t>(
                    rng.integer(0, static_cast<int>(specials.size()) - 1))];
            }
            if (all_minus_zero) {
                v = -0.0F;
            }
        }
    }
    return rows;
}

/// Pointers to the rows of `rows`.
std::vector<const float*> row_pointers(const std::vector<std::vector<float>>& rows) {
    std::vector<const float*> in;
    in.reserve(rows.size());
    for (const auto& row : rows) {
        in.push_back(row.data());
    }
    return in;
}

}  // namespace

TEST_CASE("every SIMD build of the banded 3x3 kernel equals the portable build") {
    using convpool::ops::kernels::Simd;
    namespace kernels = convpool::ops::kernels;
    Random rng(4242);
    const float nan = std::numeric_limits<float>::quiet_NaN();
    int checked = 0;
    for (const Simd simd : {Simd::avx2, Simd::avx512}) {
        if (!kernels::simd_available(simd)) {
            MESSAGE("this machine cannot run SIMD build " << static_cast<int>(simd));
            continue;
        }
        for (int i = 0; i < 1500; ++i) {
            const int count = rng.integer(1, kernels::kBandRows);
            // Narrower than one vector, a few vectors, and a few vectors and a tail.
            const int n = rng.chance(30) ? rng.integer(1, 17) : rng.integer(18, 150);
            const bool stream = rng.chance(50);
            // Output rows either equally aligned (one pitch apart, a multiple of 16 floats) or
            // not, starting anywhere in a cache line.
            const int pitch = n + 16 + (rng.chance(60) ? (16 - n % 16) % 16 : rng.integer(1, 15));
            const int offset = rng.integer(0, 15);
            const std::array scales{1.0F, 0.37F, -2.0F, 0.0F};
            const std::array biases{0.0F, -0.0F, -1.5F, 3.0F};
            const float scale = rng.pick(scales);
            const float bias = rng.pick(biases);
            const std::vector<float> w = random_kernel_3x3(rng);
            // Rows of small integers with some -0, +-inf and NaN; sometimes all -0, whose
            // products sum to +0 in the plain loop (0 + -0).
            const int special = rng.chance(50) ? 8 : 0;
            const bool all_minus_zero = rng.chance(5);
            const auto rows = random_band_rows(rng, count, n, special,
                                               {0.0F, -0.0F, kInf, -kInf, nan}, all_minus_zero);
            const std::vector<const float*> in = row_pointers(rows);
            CAPTURE(static_cast<int>(simd));
            CAPTURE(count);
            CAPTURE(n);
            CAPTURE(stream);
            CAPTURE(pitch);
            CAPTURE(offset);
            CAPTURE(scale);
            CAPTURE(bias);
            CAPTURE(all_minus_zero);
            // Room for the 64-byte alignment, the offset, the rows, and a margin after them,
            // filled with a value no output can take.
            constexpr float kUnwritten = 1e30F;
            const auto size = static_cast<std::size_t>(16 + offset + 16) +
                              static_cast<std::size_t>(count) * static_cast<std::size_t>(pitch);
            std::vector<float> fast(size, kUnwritten);
            std::vector<float> portable(size, kUnwritten);
            const std::vector<float*> fast_rows = aligned_rows(
                fast, count, static_cast<std::size_t>(pitch), static_cast<std::size_t>(offset));
            const std::vector<float*> portable_rows = aligned_rows(
                portable, count, static_cast<std::size_t>(pitch), static_cast<std::size_t>(offset));
            // Prefetching rows ahead (here the input rows again) changes no value.
            const kernels::RowsAhead ahead{in.data(), rng.integer(0, count), n + 2};
            kernels::correlate_rows_3x3(in.data(), count, w.data(), n, scale, bias,
                                        fast_rows.data(), stream, ahead, simd);
            kernels::store_fence();
            kernels::correlate_rows_3x3(in.data(), count, w.data(), n, scale, bias,
                                        portable_rows.data(), false, {}, Simd::portable);
            for (int r = 0; r < count; ++r) {
                CAPTURE(r);
                REQUIRE(same_sums(fast_rows[static_cast<std::size_t>(r)],
                                  portable_rows[static_cast<std::size_t>(r)], n));
            }
            // Nothing written outside the rows.
            const auto written = static_cast<std::size_t>(count) * static_cast<std::size_t>(n);
            REQUIRE(static_cast<std::size_t>(std::count(fast.begin(), fast.end(), kUnwritten)) ==
                    size - written);
            ++checked;
        }
    }
    MESSAGE("checked " << checked << " bands");
}

TEST_CASE("fast correlation: the plain loop's -0 handling (0 + -0 = +0) survives every build") {
    // Every product -0: the plain loop's sum is +0 (it starts from 0), then +0 * scale + bias.
    const Tensor in(Shape{1, 5, 40}, -0.0F);
    const convpool::Matrix kernel{3, 3, std::vector<float>(9, 0.5F)};
    for (const char* bias : {"0", "-0"}) {
        for (const char* scale : {"1", "-1"}) {
            const auto settings = conv_settings({{"scale", scale}, {"bias", bias}});
            Tensor fast(Shape{1, 5, 40});
            Tensor plain(Shape{1, 5, 40});
            settings.correlate(in.channel(0), 5, 40, kernel, fast.data());
            settings.correlate_plain(in.channel(0), 5, 40, kernel, plain.data());
            CAPTURE(bias);
            CAPTURE(scale);
            CHECK(same_bits(fast, plain));
        }
    }
}

TEST_CASE(
    "fast correlation through conv: several channels, one row, narrow and wide images, strides") {
    Random rng(777);
    const std::array<const char*, 5> borders{"zero", "reflect", "reflect101", "replicate", "wrap"};
    const std::array<const char*, 4> kernels{"sobel-x",
                                             "kernel=[0.1 0.2 0.3; 0.4 0.5 0.6; 0.7 0.8 0.9]",
                                             "gaussian,k=5", "kernel=[1 -2 1]"};
    for (int i = 0; i < 150; ++i) {
        const int channels = rng.integer(1, 4);
        const int h = rng.chance(20) ? 1 : rng.integer(1, 20);
        const int w = rng.chance(30) ? rng.integer(1, 15) : rng.integer(16, 80);
        const std::string border = rng.pick(borders);
        const std::string filter = rng.pick(kernels);
        const std::array<const char*, 4> strides{"1", "1", "2", "1x3"};
        const std::string stride = rng.pick(strides);
        const std::string dilation = rng.chance(20) ? "2" : "1";
        const std::string text = fmt::format("conv:{},border={},stride={},dilation={}", filter,
                                             border, stride, dilation);
        CAPTURE(channels);
        CAPTURE(h);
        CAPTURE(w);
        CAPTURE(text);
        const convpool::Pipeline pipeline(text);
        Random values(static_cast<std::uint32_t>(i));
        const Tensor in = tricky_tensor({channels, h, w}, values, rng.chance(30) ? 5 : 0);
        (void)pipeline.plan(in.shape());
        const Tensor out = pipeline.run(in, {});
        // The plain loop, channel by channel, with the stage's own settings and kernel.
        const convpool::OpInfo& info = convpool::find_op("conv");
        std::vector<convpool::Arg> args{
            {"border", border}, {"stride", stride}, {"dilation", dilation}};
        if (filter.rfind("kernel=", 0) == 0) {
            args.push_back({"kernel", filter.substr(7)});
        } else if (filter == "gaussian,k=5") {
            args.push_back({"filter", "gaussian"});
            args.push_back({"k", "5"});
        } else {
            args.push_back({"filter", filter});
        }
        const convpool::Params params(info.name, info.params, args);
        const convpool::ops::ConvSettings settings(params);
        const convpool::Matrix kernel =
            params.has("kernel")
                ? params.matrix("kernel")
                : convpool::ops::filter_kernel(params, params.text("filter"), false);
        Tensor plain(out.shape());
        for (int c = 0; c < channels; ++c) {
            settings.correlate_plain(in.channel(c), h, w, kernel, plain.channel(c));
        }
        REQUIRE(same_sums(out, plain));
    }
}

TEST_CASE("fast correlation streams large outputs and equals the plain loop") {
    // Outputs of 8 MB or more go out by non-temporal stores: rows aligned alike (width 2048)
    // stream whole cache lines, rows that are not (width 2051) fall back to ordinary stores.
    const convpool::Matrix dense{3, 3, {0.1F, 0.2F, 0.3F, 0.4F, 0.5F, 0.6F, 0.7F, 0.8F, 0.9F}};
    for (const int w : {2048, 2051}) {
        Random rng(static_cast<std::uint32_t>(w));
        const int h = 1030;
        const Tensor in = tricky_tensor({1, h, w}, rng, 1);
        for (const char* border : {"reflect101", "zero"}) {
            const auto settings = conv_settings({{"border", border}});
            Tensor plain(Shape{1, h, w});
            settings.correlate_plain(in.channel(0), h, w, dense, plain.data());
            for (const int threads : {1, 2}) {
                convpool::set_thread_count(threads);
                Tensor fast(Shape{1, h, w});
                settings.correlate(in.channel(0), h, w, dense, fast.data());
                CAPTURE(w);
                CAPTURE(border);
                CAPTURE(threads);
                CHECK(same_sums(fast, plain));
            }
        }
    }
    convpool::set_thread_count(0);
}

TEST_CASE("banded 3x3 kernel: an activation applied as it stores gives the activation after") {
    using convpool::Activation;
    using convpool::ops::kernels::Simd;
    namespace kernels = convpool::ops::kernels;
    Random rng(9091);
    const float nan = std::numeric_limits<float>::quiet_NaN();
    const std::array<Activation, 5> activations{{{Activation::Kind::relu, 0.0F},
                                                 {Activation::Kind::abs, 0.0F},
                                                 {Activation::Kind::leaky_relu, 0.01F},
                                                 {Activation::Kind::leaky_relu, -1.5F},
                                                 {Activation::Kind::leaky_relu, 0.0F}}};
    int checked = 0;
    for (const Simd simd : {Simd::portable, Simd::avx2, Simd::avx512}) {
        if (!kernels::simd_available(simd)) {
            MESSAGE("this machine cannot run SIMD build " << static_cast<int>(simd));
            continue;
        }
        for (int i = 0; i < 800; ++i) {
            const int count = rng.integer(1, kernels::kBandRows);
            const int n = rng.chance(30) ? rng.integer(1, 17) : rng.integer(18, 150);
            const bool stream = rng.chance(50);
            const std::array scales{1.0F, 0.37F, -2.0F, 0.0F};
            const std::array biases{0.0F, -0.0F, -1.5F, 3.0F};
            const float scale = rng.pick(scales);
            const float bias = rng.pick(biases);
            const Activation activation = rng.pick(activations);
            const std::vector<float> w = random_kernel_3x3(rng);
            // Small integers with -0, +-inf and NaN of both signs (NaN payloads must survive).
            const auto rows =
                random_band_rows(rng, count, n, 8, {0.0F, -0.0F, kInf, -kInf, nan, -nan}, false);
            const std::vector<const float*> in = row_pointers(rows);
            CAPTURE(static_cast<int>(simd));
            CAPTURE(count);
            CAPTURE(n);
            CAPTURE(stream);
            CAPTURE(scale);
            CAPTURE(bias);
            CAPTURE(static_cast<int>(activation.kind));
            CAPTURE(activation.slope);
            // Rows 64 floats apart from a 64-byte boundary: streaming applies when asked.
            const std::size_t pitch = (static_cast<std::size_t>(n) + 63) / 64 * 64;
            std::vector<float> fused(pitch * static_cast<std::size_t>(count) + 16);
            std::vector<float> after(fused.size());
            const std::vector<float*> fused_rows = aligned_rows(fused, count, pitch, 0);
            const std::vector<float*> after_rows = aligned_rows(after, count, pitch, 0);
            kernels::correlate_rows_3x3(in.data(), count, w.data(), n, scale, bias,
                                        fused_rows.data(), stream, {}, simd, activation);
            kernels::correlate_rows_3x3(in.data(), count, w.data(), n, scale, bias,
                                        after_rows.data(), stream, {}, simd);
            kernels::store_fence();
            for (int r = 0; r < count; ++r) {
                float* row = after_rows[static_cast<std::size_t>(r)];
                for (int x = 0; x < n; ++x) {
                    row[x] = convpool::activate(activation, row[x]);
                }
                CAPTURE(r);
                REQUIRE(std::memcmp(fused_rows[static_cast<std::size_t>(r)], row,
                                    static_cast<std::size_t>(n) * sizeof(float)) == 0);
            }
            ++checked;
        }
    }
    MESSAGE("checked " << checked << " bands");
}

TEST_CASE("activate: each rule as its stage, NaN payloads and -0 kept") {
    using convpool::Activation;
    const float nan = std::numeric_limits<float>::quiet_NaN();
    const auto bits = [](float v) {
        std::uint32_t b = 0;
        std::memcpy(&b, &v, sizeof b);
        return b;
    };
    for (const float x : {-0.0F, 0.0F, -2.5F, 3.0F, kInf, -kInf, nan, -nan}) {
        CAPTURE(x);
        const float relu = convpool::activate({Activation::Kind::relu, 0.0F}, x);
        const float abs = convpool::activate({Activation::Kind::abs, 0.0F}, x);
        const float leaky = convpool::activate({Activation::Kind::leaky_relu, 0.5F}, x);
        CHECK(bits(relu) == bits(x < 0.0F ? 0.0F : x));  // -0 and NaN stay as they are
        CHECK(bits(abs) == (bits(x) & 0x7fffffffU));
        CHECK(bits(leaky) == bits(x < 0.0F ? 0.5F * x : x));
        CHECK(bits(convpool::activate({}, x)) == bits(x));
    }
    CHECK(std::signbit(convpool::activate({Activation::Kind::relu, 0.0F}, -0.0F)));
}

TEST_CASE("conv fused with the elementwise stage after it: the stage-by-stage run's bits") {
    Random rng(2718);
    const std::array<std::string_view, 5> filters{
        "sobel-x", "kernel=[0.1 -0.2 0.3; 0.4 0.5 -0.6; 0.7 0.8 0.9]", "gaussian,k=5",
        "kernel=[1 -2 1]", "laplacian"};
    const std::array<std::string_view, 5> afters{"relu", "abs", "leaky-relu", "leaky-relu:slope=-2",
                                                 "leaky-relu:slope=0"};
    const std::array<std::string_view, 7> extras{
        "",          ",scale=-1",   ",bias=-0",    ",bias=0.5,scale=0.25",
        ",stride=2", ",dilation=2", ",border=zero"};
    for (int i = 0; i < 160; ++i) {
        const int channels = rng.integer(1, 3);
        // Mostly small; a few large enough for the streaming stores (8 MiB of output).
        const bool large = i % 40 == 0;
        const int h = large ? 1100 : rng.integer(1, 30);
        const int w = large ? 1950 : (rng.chance(30) ? rng.integer(1, 15) : rng.integer(16, 90));
        const std::string text =
            "conv:" + std::string(rng.pick(filters)) + std::string(rng.pick(extras)) + " | " +
            std::string(rng.pick(afters)) + (rng.chance(30) ? " | pool:max,k=2,s=1" : "");
        CAPTURE(text);
        CAPTURE(h);
        CAPTURE(w);
        const convpool::Pipeline pipeline(text);
        Random values(static_cast<std::uint32_t>(i));
        const Tensor in = tricky_tensor({large ? 1 : channels, h, w}, values, 6);
        std::vector<convpool::PlanStep> plan;
        try {
            plan = pipeline.plan(in.shape());
        } catch (const convpool::ShapeError&) {
            continue;
        }
        const Tensor separate = pipeline.run(in, {}, false);
        std::vector<convpool::Shape> seen;
        bool conv_stored = true;
        const Tensor fused = pipeline.run(
            in,
            [&](const convpool::StageResult& r) {
                seen.push_back(r.shape());
                if (r.index == 1) {
                    conv_stored = r.tensor != nullptr;
                }
            },
            true);
        CHECK(same_bits(fused, separate));
        CHECK_FALSE(conv_stored);
        REQUIRE(seen.size() == plan.size());
        for (std::size_t s = 0; s < plan.size(); ++s) {
            CHECK(seen[s] == plan[s].shape);
        }
    }
}

TEST_CASE("fusion: only an elementwise stage right after a conv, one at a time") {
    Random rng(5);
    const Tensor in = tricky_tensor({2, 9, 20}, rng, 10);
    for (const char* text : {"conv:sobel-x | relu | relu", "conv:sobel-x | pool:max,k=2 | relu",
                             "pool:max,k=2 | relu", "relu | conv:sobel-y | abs | conv:box | relu",
                             "conv:sobel-x | sigmoid", "bank:sobel-x,sobel-y | relu"}) {
        CAPTURE(text);
        const convpool::Pipeline pipeline(text);
        (void)pipeline.plan(in.shape());
        std::vector<int> unstored;
        const Tensor fused = pipeline.run(
            in,
            [&](const convpool::StageResult& r) {
                if (r.tensor == nullptr) {
                    unstored.push_back(r.index);
                }
            },
            true);
        CHECK(same_bits(fused, pipeline.run(in, {}, false)));
        const std::string t = text;
        const std::vector<int> expected = t == "conv:sobel-x | relu | relu" ? std::vector<int>{1}
                                          : t.rfind("relu | conv", 0) == 0  ? std::vector<int>{2, 4}
                                                                            : std::vector<int>{};
        CHECK(unstored == expected);
    }
}
