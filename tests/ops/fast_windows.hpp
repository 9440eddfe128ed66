#pragma once
// The fast paths of pool:soft, pool:gem, pool:mixed and pool:median (ops/fast/windows.cpp)
// against their plain reducers (reduce_windows) on random geometry, values of any scale, NaN and
// infinities, and the same bits for 1, 2 and 3 threads.

#include "convpool/core/error.hpp"
#include "convpool/core/parallel.hpp"
#include "convpool/core/params.hpp"

#include <doctest/doctest.h>
#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>

#include "ops/common/pooling.hpp"
#include "ops/common/reducers.hpp"
#include "ops/fast/rows.hpp"
#include "reference/sweep.hpp"

namespace fast_windows {

/// True when both tensors have the same shape and the same bits in every value (NaN payloads
/// and the sign of zero included).
inline bool same_bits(const convpool::Tensor& a, const convpool::Tensor& b) {
    return a.shape() == b.shape() &&
           std::equal(a.data().begin(), a.data().end(), b.data().begin(), [](float x, float y) {
               return std::bit_cast<std::uint32_t>(x) == std::bit_cast<std::uint32_t>(y);
           });
}

/// The largest |x| over the input cells of output (c, oy, ox)'s window.
inline float window_magnitude(const convpool::Tensor& in, const convpool::AxisPlan& rows,
                              const convpool::AxisPlan& cols, int c, int oy, int ox) {
    const convpool::AxisTaps& ry = rows.taps[static_cast<std::size_t>(oy)];
    const convpool::AxisTaps& rx = cols.taps[static_cast<std::size_t>(ox)];
    float m = 0.0F;
    for (int ty = 0; ty < ry.count; ++ty) {
        for (int tx = 0; tx < rx.count; ++tx) {
            m = std::max(m,
                         std::fabs(in.at(c, ry.first + ty * rows.step, rx.first + tx * cols.step)));
        }
    }
    return m;
}

/// Compares fast_pool(in, win, reducer) with reduce_windows over random cases; `close(fast,
/// plain, magnitude)` says whether one output is close enough (magnitude: the largest |x| of
/// its window). With `two_by_two`, every window is 2x2 with column stride 2 (the kernels that
/// read the two input rows in place). Returns the number of cases the fast path took.
template <typename Reducer, typename Close>
int compare(unsigned seed, const Reducer& reducer, const Close& close, int cases = 160,
            bool two_by_two = false) {
    sweep::Random rng(seed);
    int taken = 0;
    for (int i = 0; i < cases; ++i) {
        const int kh = two_by_two ? 2 : rng.integer(1, 4);
        const int kw = two_by_two ? 2 : rng.integer(1, 4);
        const int sh = rng.integer(1, 3);
        const int sw = two_by_two ? 2 : rng.integer(1, 3);
        const std::string k = fmt::format("{}x{}", kh, kw);
        const std::string s = fmt::format("{}x{}", sh, sw);
        const std::string pad =
            fmt::format("{}x{}", rng.integer(0, kh / 2), rng.integer(0, kw / 2));
        const bool ceil = rng.chance(30);
        const int c = rng.integer(1, 2);
        const int h = rng.integer(1, 30);
        const int w = rng.integer(1, 70);
        const std::string text =
            fmt::format("k={} s={} pad={} ceil={} on {}x{}x{}", k, s, pad, ceil, c, h, w);
        CAPTURE(text);
        convpool::Window win;
        try {
            const convpool::ops::PoolGeometry geometry(convpool::Params(
                "pool:x", convpool::ops::pool_param_specs(),
                {{"k", k}, {"s", s}, {"pad", pad}, {"ceil", ceil ? "true" : "false"}}));
            (void)geometry.output_shape({c, h, w});
            win = geometry.window(h, w);
        } catch (const convpool::ShapeError&) {
            continue;
        }
        ref::Image img = sweep::random_image(
            rng, c, h, w, i % 3 == 2 ? sweep::Values::signed_ties_nan : sweep::Values::signed_ties);
        if (i % 4 == 1) {
            for (float& v : img.values) {
                v *= std::pow(10.0F, static_cast<float>(rng.integer(-30, 30)));  // any scale
            }
        }
        if (i % 5 == 4) {
            img.values[static_cast<std::size_t>(rng.integer(0, c * h * w - 1))] =
                rng.chance(50) ? std::numeric_limits<float>::infinity()
                               : -std::numeric_limits<float>::infinity();
        }
        const convpool::Tensor in = sweep::to_tensor(img);
        const convpool::AxisPlan rows = convpool::ops::sliding_plan(h, win.rows);
        const convpool::AxisPlan cols = convpool::ops::sliding_plan(w, win.cols);
        const convpool::Tensor plain = convpool::ops::reduce_windows(in, rows, cols, reducer);
        const auto fast = convpool::ops::fast_pool(in, win, reducer);
        if (!fast) {
            continue;
        }
        REQUIRE(fast->shape() == plain.shape());
        const convpool::Shape& o = plain.shape();
        int bad = 0;
        for (int ch = 0; ch < o.channels; ++ch) {
            for (int oy = 0; oy < o.height; ++oy) {
                for (int ox = 0; ox < o.width; ++ox) {
                    const float a = fast->at(ch, oy, ox);
                    const float b = plain.at(ch, oy, ox);
                    const bool same = (std::isnan(a) && std::isnan(b)) || a == b;
                    if (!same && !close(a, b, window_magnitude(in, rows, cols, ch, oy, ox))) {
                        if (bad++ == 0) {
                            FAIL_CHECK(
                                fmt::format("({}, {}, {}): fast {} plain {}", ch, oy, ox, a, b));
                        }
                    }
                }
            }
        }
        ++taken;
    }
    return taken;
}

/// fast_pool on a map large enough to be split over threads gives the same bytes for 1, 2 and
/// 3 threads, for a 2x2/2 and a 3x3/1 window.
template <typename Reducer>
void same_bits_for_threads(unsigned seed, const Reducer& reducer) {
    sweep::Random rng(seed);
    const convpool::Tensor in =
        sweep::to_tensor(sweep::random_image(rng, 3, 601, 401, sweep::Values::signed_ties));
    for (const int k : {2, 3}) {
        convpool::Window win;
        win.rows = {k, 4 - k, 0, 0, 1, false};
        win.cols = win.rows;
        CAPTURE(k);
        convpool::set_thread_count(1);
        const auto one = convpool::ops::fast_pool(in, win, reducer);
        REQUIRE(one.has_value());
        for (const int threads : {2, 3}) {
            convpool::set_thread_count(threads);
            const auto more = convpool::ops::fast_pool(in, win, reducer);
            REQUIRE(more.has_value());
            CHECK(same_bits(*more, *one));
        }
    }
    convpool::set_thread_count(0);
}

/// fast_pool on an output of 8 MB or more (written a row at a time by non-temporal stores, see
/// ops/fast/windows.hpp) equals reduce_windows bit for bit, for a 2x2/2 and a 3x3/1 window (the
/// in-place and the row kernels), with 2 threads.
template <typename Reducer>
void streamed_same_bits(unsigned seed, const Reducer& reducer) {
    sweep::Random rng(seed);
    convpool::set_thread_count(2);
    for (const int k : {2, 3}) {
        const int side = k == 2 ? 2902 : 1500;  // 1451^2 or 1498^2 outputs: over 8 MB
        const convpool::Tensor in = sweep::to_tensor(
            sweep::random_image(rng, 1, side, side, sweep::Values::signed_ties_nan));
        convpool::Window win;
        win.rows = {k, k == 2 ? 2 : 1, 0, 0, 1, false};
        win.cols = win.rows;
        CAPTURE(k);
        const convpool::AxisPlan rows = convpool::ops::sliding_plan(side, win.rows);
        const convpool::AxisPlan cols = convpool::ops::sliding_plan(side, win.cols);
        const auto fast = convpool::ops::fast_pool(in, win, reducer);
        REQUIRE(fast.has_value());
        CHECK(fast->data().size_bytes() >= convpool::ops::kernels::kStreamBytes);
        CHECK(same_bits(*fast, convpool::ops::reduce_windows(in, rows, cols, reducer)));
    }
    convpool::set_thread_count(0);
}

}  // namespace fast_windows
