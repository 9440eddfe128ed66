// The fast max, min and avg pooling (src/ops/fast/pool.cpp) against the plain loops they sit
// beside: the same tensor bit for bit (max/min: NaN with its sign, -0 and +0, -inf and ties
// included; sums: any NaN where the plain loop has one) over sweeps of shapes, kernels, strides,
// padding, dilation and ceil mode, and the same result whatever the thread count.
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
#include "support/fast_paths.hpp"

using namespace fast_paths;  // the shared test vocabulary (tests/support/fast_paths.hpp)

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

TEST_CASE(
    "fast 2x2/2 pooling of whole blocks (the in-place kernel): ties, zeros, NaN, infinities") {
    // Whole 2x2 blocks at stride 2 go through kernels::pool_2x2: eight windows per vector, then
    // the tail one by one. Widths around multiples of 16 columns, values with many ties, -0/+0,
    // +-inf and NaN of both signs, on 1 and 2 threads.
    using convpool::ops::Extremum;
    Random rng(23);
    for (const int width : {2, 14, 16, 18, 30, 32, 34, 66, 97}) {
        const Tensor in = tricky_tensor({2, 12, width}, rng, 10);
        const Window w{Axis{2, 2, 0, 0, 1, false}, Axis{2, 2, 0, 0, 1, false}};
        for (const int threads : {1, 2}) {
            convpool::set_thread_count(threads);
            CAPTURE(width);
            CAPTURE(threads);
            REQUIRE(same_bits(convpool::ops::fast_extremum_pool(in, w, Extremum::max),
                              plain_max(in, w)));
            REQUIRE(same_bits(convpool::ops::fast_extremum_pool(in, w, Extremum::min),
                              negated(plain_max(negated(in), w))));
            REQUIRE(
                same_sums(convpool::ops::fast_avg_pool(in, w, true, 0), plain_avg(in, w, true, 0)));
            REQUIRE(
                same_sums(convpool::ops::fast_avg_pool(in, w, true, 3), plain_avg(in, w, true, 3)));
        }
    }
    convpool::set_thread_count(0);
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
