// The 8-bit max and min pooling (src/ops/fast/pool_u8.cpp): hand-checked cases, the plain loop
// and the float pools on random geometry, every width and channel count, and the same bytes
// for every thread count.
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
