// pool:gem (generalized mean, Radenovic et al. 2018): hand-checked windows, the naive reference
// over the sliding-window sweep, and torch fixtures.
#include <doctest/doctest.h>

#include <cmath>
#include <limits>

#include "fast_windows.hpp"
#include "reference/reference_modern.hpp"
#include "reference/sweep.hpp"
#include "test_helpers.hpp"
#include "torch_fixtures.hpp"

TEST_CASE("pool:gem is the p-mean of each window: p=1 the mean, p=3 the cube-root mean of cubes") {
    const convpool::Tensor in = test::tensor(1, 2, 2, {1, 2, 3, 4});
    CHECK(test::values(test::run("pool:gem,k=2,p=1", in)) == std::vector<float>{2.5F});
    const auto cubic = test::values(test::run("pool:gem,k=2", in));  // p=3 by default
    REQUIRE(cubic.size() == 1);
    CHECK(cubic[0] == doctest::Approx(std::cbrt(25.0)).epsilon(1e-6));  // ((1+8+27+64)/4)^(1/3)
    // Large p nears the max.
    const auto large = test::values(test::run("pool:gem,k=2,p=100", in));
    CHECK(large[0] > 3.9F);
    CHECK(large[0] < 4.0F);
}

TEST_CASE("pool:gem clamps to eps and leaves padding out of the mean") {
    // -1 and -2 count as eps = 1e-6: ((2e-18 + 0 + 512) / 4)^(1/3) with 0 clamped too.
    const auto out = test::values(test::run("pool:gem,k=2", test::tensor(1, 2, 2, {-1, -2, 0, 8})));
    CHECK(out[0] == doctest::Approx(std::cbrt(128.0)).epsilon(1e-6));
    CHECK(test::values(test::run("pool:gem,k=1x2,p=2,eps=0.5", test::tensor(1, 1, 2, {0, 0}))) ==
          std::vector<float>{0.5F});
    // One real cell among padding: the cell itself, not diluted by padding zeros.
    const auto padded = test::values(test::run("pool:gem,k=2,pad=1", test::tensor(1, 1, 1, {2})));
    CHECK(padded[0] == doctest::Approx(2.0).epsilon(1e-6));
    const float nan = std::numeric_limits<float>::quiet_NaN();
    CHECK(std::isnan(
        test::values(test::run("pool:gem,k=2", test::tensor(1, 2, 2, {1, nan, 2, 3})))[0]));
}

TEST_CASE(
    "pool:gem matches the naive reference for p = 1, 2.5 and 3 over sweeps of sizes, kernels, "
    "strides, pads, dilation and ceil") {
    const sweep::SweepCount count = sweep::sweep_pools(102U, [](const sweep::PoolCase& pc) {
        std::vector<sweep::PoolVariant> variants;
        for (const double p : {1.0, 2.5, 3.0}) {
            ref::WindowSpec spec = sweep::window_spec(pc, ref::WindowMode::gem);
            spec.p = p;
            variants.push_back(sweep::window_variant(
                "pool:gem", pc, fmt::format(",p={}", p),
                [spec](const ref::Image& in) { return ref::window_pool(in, spec); }, 1e-5));
        }
        return variants;
    });
    sweep::check_sweep_count(count);
}

TEST_CASE("pool:gem and pool:global-gem match torch avg_pool2d(x.clamp(eps)^p)^(1/p) fixtures") {
    CHECK(torch_fixtures::check_family("torch_modern.json", "gem",
                                       torch_fixtures::Compare::scaled) >= 12);
}

TEST_CASE("pool:gem's fast path is within 1e-6 relative of the plain loop") {
    for (const double p : {1.0, 3.0, 0.5, 7.5}) {
        CAPTURE(p);
        const convpool::ops::GemReducer reducer{p, 1e-6};
        const int taken =
            fast_windows::compare(123U, reducer, [](float fast, float plain, float /*magnitude*/) {
                return std::fabs(static_cast<double>(fast) - static_cast<double>(plain)) <=
                       1e-6 * std::fabs(static_cast<double>(plain));
            });
        CHECK(taken > 100);
    }
    // eps below 1e-300 could make clamped values subnormal: no fast path.
    const convpool::Tensor in = test::tensor(1, 2, 2, {1, 2, 3, 4});
    convpool::Window win;
    win.rows = {2, 2, 0, 0, 1, false};
    win.cols = win.rows;
    CHECK_FALSE(convpool::ops::fast_pool(in, win, convpool::ops::GemReducer{3.0, 0.0}).has_value());
    fast_windows::same_bits_for_threads(124U, convpool::ops::GemReducer{3.0, 1e-6});
}

TEST_CASE("pool:gem's 2x2/2 kernels (floats, read in place) are within 1e-6 relative") {
    // p = 1..4: x^p by multiplications in float and the root in float (a Newton cube root for
    // p = 3); rows where x^p or its sum leave the normal floats fall back to the plain loop.
    for (const double p : {1.0, 2.0, 3.0, 4.0, 7.5}) {
        CAPTURE(p);
        const int taken = fast_windows::compare(
            127U, convpool::ops::GemReducer{p, 1e-6},
            [](float fast, float plain, float /*magnitude*/) {
                return std::fabs(static_cast<double>(fast) - static_cast<double>(plain)) <=
                       1e-6 * std::fabs(static_cast<double>(plain));
            },
            160, true);
        CHECK(taken > 100);
    }
}
