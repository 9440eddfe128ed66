// pool:median: the lower median of the real cells of each window (torch.median).
#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <string>

#include "fast_windows.hpp"
#include "reference/reference_modern.hpp"
#include "reference/sweep.hpp"
#include "test_helpers.hpp"
#include "torch_fixtures.hpp"

TEST_CASE("pool:median takes the middle value, the lower one of an even window") {
    const convpool::Tensor in = test::tensor(1, 3, 3, {5, 1, 9, 3, 7, 2, 8, 6, 4});
    CHECK(test::values(test::run("pool:median,k=3", in)) == std::vector<float>{5});
    // Windows {5,1,3,7} {1,9,7,2} {3,7,8,6} {7,2,6,4}: 1 3|5 7 -> 3, 1 2|7 9 -> 2, ...
    CHECK(test::values(test::run("pool:median,k=2,s=1", in)) == std::vector<float>{3, 2, 6, 4});
    // Ties.
    CHECK(test::values(test::run("pool:median,k=2", test::tensor(1, 2, 2, {1, 1, 2, 2}))) ==
          std::vector<float>{1});
}

TEST_CASE("pool:median never counts padding and propagates NaN") {
    const convpool::Tensor in = test::tensor(1, 3, 3, {5, 1, 9, 3, 7, 2, 8, 6, 4});
    // Corner window of k=3, pad=1: the real cells {5, 1, 3, 7} (padding zeros would give 0).
    const auto out = test::values(test::run("pool:median,k=3,s=1,pad=1", in));
    CHECK(out[0] == 3.0F);
    CHECK(out[4] == 5.0F);
    const float nan = std::numeric_limits<float>::quiet_NaN();
    const auto with_nan = test::values(
        test::run("pool:median,k=2", test::tensor(1, 2, 4, {1, nan, 2, 3, 4, 5, 6, 7})));
    CHECK(std::isnan(with_nan[0]));
    CHECK(with_nan[1] == 3.0F);
}

TEST_CASE(
    "pool:median matches the naive reference over sweeps of sizes, kernels, strides, pads, "
    "dilation and ceil") {
    const sweep::SweepCount count = sweep::sweep_pools(106U, [](const sweep::PoolCase& pc) {
        const ref::WindowSpec spec = sweep::window_spec(pc, ref::WindowMode::median);
        return std::vector<sweep::PoolVariant>{sweep::window_variant(
            "pool:median", pc, "",
            [spec](const ref::Image& in) { return ref::window_pool(in, spec); }, 0.0)};
    });
    sweep::check_sweep_count(count);
}

TEST_CASE("pool:median matches torch nanmedian over NaN-padded unfold fixtures") {
    CHECK(torch_fixtures::check_family("torch_modern.json", "median",
                                       torch_fixtures::Compare::exact) >= 10);
}

TEST_CASE("pool:median of windows larger than 64 cells (kept on the heap) matches the reference") {
    sweep::Random rng(1729U);
    for (const auto kind : {sweep::Values::signed_ties, sweep::Values::signed_ties_nan}) {
        const ref::Image in = sweep::random_image(rng, 2, 23, 21, kind);
        // 9x9 = 81 cells, 8x9 = 72, and 13x5 = 65 with padding: every window spills past 64.
        struct Case {
            const char* stage;
            int kh;
            int kw;
            int s;
            int pad;
        };
        for (const Case& c :
             {Case{"pool:median,k=9,s=3", 9, 9, 3, 0}, Case{"pool:median,k=8x9,s=2", 8, 9, 2, 0},
              Case{"pool:median,k=13x5,s=4,pad=2", 13, 5, 4, 2}}) {
            ref::WindowSpec spec;
            spec.mode = ref::WindowMode::median;
            spec.rows = {.kernel = c.kh, .stride = c.s, .pad_begin = c.pad, .pad_end = c.pad};
            spec.cols = {.kernel = c.kw, .stride = c.s, .pad_begin = c.pad, .pad_end = c.pad};
            const ref::Image expected = ref::window_pool(in, spec);
            const convpool::Tensor got = convpool::Pipeline(c.stage).run(sweep::to_tensor(in), {});
            const std::string diff = sweep::difference(expected, got, 0.0);
            CHECK_MESSAGE(diff.empty(), c.stage << ": " << diff);
        }
    }
}

TEST_CASE(
    "pool:median's fast path (2x2 and 3x3 selection networks) gives the plain loop's values") {
    // Equal values; a median among -0 and +0 may carry either sign (compared with ==).
    const int taken = fast_windows::compare(
        127U, convpool::ops::MedianReducer{},
        [](float /*fast*/, float /*plain*/, float /*magnitude*/) { return false; }, 400);
    CHECK(taken > 40);
    fast_windows::same_bits_for_threads(128U, convpool::ops::MedianReducer{});
}
