// The fast paths against the plain loops they sit beside: the same tensor bit for bit (max/min:
// NaN with its sign, -0 and +0, -inf and ties included; sums: any NaN where the plain loop has
// one) over sweeps of shapes, kernels, strides, padding,
// dilation and ceil mode, and the same result whatever the thread count.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "convpool/error.hpp"
#include "convpool/geometry.hpp"
#include "convpool/parallel.hpp"
#include "convpool/params.hpp"
#include "convpool/registry.hpp"
#include "convpool/tensor.hpp"
#include "ops/conv_common.hpp"
#include "ops/fast_pool.hpp"
#include "ops/pool_common.hpp"

namespace {

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
            const float specials[] = {0.0F, -0.0F, kInf, -kInf, nan, -nan};
            v = specials[rng.integer(0, 5)];
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
        if (std::isnan(x) || std::isnan(y) ? !(std::isnan(x) && std::isnan(y))
                                           : std::memcmp(&x, &y, sizeof x) != 0) {
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
           " dilation=" + std::to_string(a.dilation) + " ceil=" + std::to_string(int{a.ceil});
}

/// The plain loops: reduce_windows with the reducers of pool_common.
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
        CAPTURE(shape.channels);
        CAPTURE(shape.height);
        CAPTURE(shape.width);
        const std::string rows = describe(w.rows);
        const std::string cols = describe(w.cols);
        CAPTURE(rows);
        CAPTURE(cols);
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
    const Axis shapes[][1] = {{{2, 2, 0, 0, 1, false}},
                              {{3, 1, 1, 1, 1, false}},
                              {{15, 1, 7, 7, 1, false}},
                              {{2, 2, 0, 0, 1, true}}};
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
                REQUIRE(same_sums(convpool::ops::fast_avg_pool(in, w, true, 0),
                                  plain_avg(in, w, true, 0)));
            }
        }
    }
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
    const Window windows[] = {
        {Axis{2, 2, 0, 0, 1, false}, Axis{2, 2, 0, 0, 1, false}},
        {Axis{3, 1, 1, 1, 1, false}, Axis{3, 1, 1, 1, 1, false}},
        {Axis{9, 1, 4, 4, 1, true}, Axis{9, 2, 4, 4, 1, true}},
    };
    for (const Window& w : windows) {
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

/// ConvSettings of `conv` with these arguments (written as on the command line).
convpool::ops::ConvSettings conv_settings(const std::vector<convpool::Arg>& args) {
    const convpool::OpInfo& info = convpool::find_op("conv");
    std::vector<convpool::Arg> all = args;
    all.push_back({"filter", "box"});
    return convpool::ops::ConvSettings(convpool::Params(info.name, info.params, all));
}

}  // namespace

TEST_CASE("fast correlation equals the plain loop bit for bit over kernels, pads and borders") {
    Random rng(31337);
    const char* borders[] = {"zero", "reflect", "reflect101", "replicate", "wrap"};
    int checked = 0;
    for (int i = 0; i < 600; ++i) {
        const int h = rng.integer(1, 37);
        const int w = rng.integer(1, 37);
        convpool::Matrix kernel{rng.integer(1, 5), rng.integer(1, 5), {}};
        if (rng.chance(40)) {
            kernel.rows = kernel.cols = 3;  // the 3x3 kernel of its own
        }
        for (int k = 0; k < kernel.rows * kernel.cols; ++k) {
            kernel.values.push_back(static_cast<float>(rng.integer(-40, 40)) / 7.0F);
        }
        const std::string pad =
            rng.chance(50) ? std::string("same") : std::to_string(rng.integer(0, 3));
        const std::string border = borders[rng.integer(0, 4)];
        const std::string scale = rng.chance(30) ? "0.37" : "1";
        const std::string bias = rng.chance(30) ? "-1.5" : "0";
        const auto settings =
            conv_settings({{"pad", pad}, {"border", border}, {"scale", scale}, {"bias", bias}});
        CAPTURE(h);
        CAPTURE(w);
        CAPTURE(kernel.rows);
        CAPTURE(kernel.cols);
        CAPTURE(pad);
        CAPTURE(border);
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
    CHECK(checked > 300);
}

TEST_CASE("fast correlation gives the same bits with 1, 2 and 3 threads") {
    Random rng(5);
    const Tensor in = tricky_tensor({1, 523, 611}, rng, 1);
    const convpool::Matrix sobel{3, 3, {-1, 0, 1, -2, 0, 2, -1, 0, 1}};
    const convpool::Matrix wide{5, 4, std::vector<float>(20, 0.3F)};
    const auto settings = conv_settings({});
    for (const auto* kernel : {&sobel, &wide}) {
        const convpool::Size2 o = settings.output_size(523, 611, kernel->rows, kernel->cols);
        Tensor plain(Shape{1, o.h, o.w});
        settings.correlate_plain(in.channel(0), 523, 611, *kernel, plain.data());
        for (const int threads : {1, 2, 3}) {
            convpool::set_thread_count(threads);
            Tensor fast(Shape{1, o.h, o.w});
            settings.correlate(in.channel(0), 523, 611, *kernel, fast.data());
            CHECK(same_sums(fast, plain));
        }
    }
    convpool::set_thread_count(0);
}
