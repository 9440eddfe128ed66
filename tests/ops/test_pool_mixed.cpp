// pool:mixed (Lee, Gallagher and Tu 2016): a * max + (1 - a) * avg over the same window.
#include "convpool/pipeline/pipeline.hpp"

#include <doctest/doctest.h>

#include <bit>
#include <cstdint>

#include "fast_windows.hpp"
#include "reference/reference_modern.hpp"
#include "reference/sweep.hpp"
#include "test_helpers.hpp"
#include "torch_fixtures.hpp"

TEST_CASE("pool:mixed on 2x2 blocks of a ramp is halfway between max and avg") {
    // max 6 8 14 16, avg 3.5 5.5 11.5 13.5.
    CHECK(test::values(test::run("pool:mixed,k=2", test::ramp4x4())) ==
          std::vector<float>{4.75F, 6.75F, 12.75F, 14.75F});
    CHECK(test::values(test::run("pool:mixed,k=2,a=0.25", test::ramp4x4())) ==
          std::vector<float>{4.125F, 6.125F, 12.125F, 14.125F});
}

TEST_CASE("pool:mixed: the max never takes padding, the mean follows count-pad") {
    const convpool::Tensor in = test::tensor(1, 2, 2, {1, 2, 3, 4});
    // Window at (0, 0) of k=3, pad=1: the four cells and five padding cells; max 4.
    const auto counted = test::values(test::run("pool:mixed,k=3,s=1,pad=1", in));
    CHECK(counted[0] == doctest::Approx(0.5 * 4 + 0.5 * 10.0 / 9.0).epsilon(1e-6));
    const auto real = test::values(test::run("pool:mixed,k=3,s=1,pad=1,count-pad=false", in));
    CHECK(real[0] == doctest::Approx(0.5 * 4 + 0.5 * 2.5).epsilon(1e-6));
    // --semantics tf turns count-pad off by default, as for pool:avg.
    const convpool::Pipeline tf("pool:mixed,k=3,s=1,pad=1", convpool::Semantics::tf);
    (void)tf.plan(in.shape());
    CHECK(test::values(tf.run(in, {})) == real);
    // Negative input with padding: the max is the largest real cell, never a padding zero.
    const auto negative =
        test::values(test::run("pool:mixed,k=2,pad=1,a=1", test::tensor(1, 1, 1, {-3})));
    CHECK(negative == std::vector<float>{-3.0F});
}

TEST_CASE("pool:mixed with a=1 is pool:max and with a=0 is pool:avg, value for value") {
    sweep::Random rng(104U);
    for (const char* window : {"k=3,s=2,pad=1,ceil", "k=2x3,s=1x2", "k=4,s=3,pad=2"}) {
        CAPTURE(window);
        const ref::Image img = sweep::random_image(rng, 3, 11, 9, sweep::Values::signed_ties);
        const convpool::Tensor in = sweep::to_tensor(img);
        CHECK(sweep::difference(test::run(std::string("pool:max,") + window, in),
                                test::run(std::string("pool:mixed,a=1,") + window, in)) == "");
        CHECK(sweep::difference(test::run(std::string("pool:avg,") + window, in),
                                test::run(std::string("pool:mixed,a=0,") + window, in)) == "");
    }
}

TEST_CASE(
    "pool:mixed matches the naive reference with count-pad on and off over sweeps of sizes, "
    "kernels, strides, pads, dilation and ceil") {
    const sweep::SweepCount count = sweep::sweep_pools(105U, [](const sweep::PoolCase& pc) {
        std::vector<sweep::PoolVariant> variants;
        for (const bool count_pad : {true, false}) {
            ref::PoolSpec window = sweep::pool_spec(pc, ref::PoolMode::avg);
            window.count_pad = count_pad;
            const double a = static_cast<double>(pc.divisor) / 10.0;  // 0.1 .. 0.9
            variants.push_back(sweep::window_variant(
                "pool:mixed", pc, fmt::format(",a={},count-pad={}", a, count_pad),
                [window, a](const ref::Image& in) { return ref::mixed_pool(in, window, a); },
                1e-5));
        }
        return variants;
    });
    sweep::check_sweep_count(count);
}

TEST_CASE("pool:mixed matches torch a*max_pool2d + (1-a)*avg_pool2d fixtures") {
    CHECK(torch_fixtures::check_family("torch_modern.json", "mixed",
                                       torch_fixtures::Compare::scaled) >= 8);
}

TEST_CASE("pool:mixed's fast path equals the plain loop bit for bit (NaN where it has NaN)") {
    for (const bool count_pad : {true, false}) {
        for (const double a : {0.5, 0.25, 1.0, 0.0}) {
            CAPTURE(a);
            CAPTURE(count_pad);
            const int taken =
                fast_windows::compare(125U, convpool::ops::MixedReducer{a, count_pad},
                                      [](float fast, float plain, float /*magnitude*/) {
                                          return std::bit_cast<std::uint32_t>(fast) ==
                                                 std::bit_cast<std::uint32_t>(plain);
                                      });
            CHECK(taken > 100);
        }
    }
    fast_windows::same_bits_for_threads(126U, convpool::ops::MixedReducer{0.5, true});
}

TEST_CASE("pool:mixed's 2x2/2 kernel (read in place) equals the plain loop bit for bit") {
    for (const double a : {0.0, 0.5, 0.3, 1.0}) {
        CAPTURE(a);
        const int taken = fast_windows::compare(
            129U, convpool::ops::MixedReducer{a, true},
            [](float fast, float plain, float /*magnitude*/) {
                return std::bit_cast<std::uint32_t>(fast) == std::bit_cast<std::uint32_t>(plain);
            },
            160, true);
        CHECK(taken > 100);
    }
}

TEST_CASE("pool:mixed's fast path streams outputs of 8 MB or more with the same bits") {
    fast_windows::streamed_same_bits(131U, convpool::ops::MixedReducer{0.3, true});
}
