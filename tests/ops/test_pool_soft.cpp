// pool:soft (SoftPool, Stergiou et al. 2021): hand-checked windows, the naive reference over the
// sliding-window sweep, and torch fixtures.
#include <doctest/doctest.h>

#include <cmath>
#include <limits>

#include "fast_windows.hpp"
#include "reference/reference_modern.hpp"
#include "reference/sweep.hpp"
#include "test_helpers.hpp"
#include "torch_fixtures.hpp"

TEST_CASE("pool:soft weighs each cell by its softmax over the window") {
    // [0, 1]: weights 1/(1+e) and e/(1+e), so the output is e/(1+e).
    const auto out = test::values(test::run("pool:soft,k=1x2", test::tensor(1, 1, 2, {0, 1})));
    REQUIRE(out.size() == 1);
    CHECK(out[0] == doctest::Approx(std::exp(1.0) / (1.0 + std::exp(1.0))).epsilon(1e-6));
    // A constant window gives the constant; the 2x2 blocks of a ramp lean to their maximum.
    CHECK(test::values(test::run("pool:soft,k=2", test::tensor(1, 2, 2, {3, 3, 3, 3}))) ==
          std::vector<float>{3});
    const auto ramp = test::values(test::run("pool:soft,k=2", test::ramp4x4()));
    REQUIRE(ramp.size() == 4);
    // Window {1, 2, 5, 6}: sum x e^x / sum e^x.
    const double num =
        1 * std::exp(1.0) + 2 * std::exp(2.0) + 5 * std::exp(5.0) + 6 * std::exp(6.0);
    const double den = std::exp(1.0) + std::exp(2.0) + std::exp(5.0) + std::exp(6.0);
    CHECK(ramp[0] == doctest::Approx(num / den).epsilon(1e-6));
    CHECK(ramp[0] > 5.0F);
    CHECK(ramp[0] < 6.0F);
}

TEST_CASE("pool:soft does not overflow: the window maximum is subtracted") {
    // e^1000 is inf in double; softmax([1000, 999]) = [1/(1+e^-1), e^-1/(1+e^-1)].
    const auto out = test::values(test::run("pool:soft,k=1x2", test::tensor(1, 1, 2, {1000, 999})));
    REQUIRE(out.size() == 1);
    const double w = 1.0 / (1.0 + std::exp(-1.0));
    CHECK(out[0] == doctest::Approx(1000.0 * w + 999.0 * (1.0 - w)).epsilon(1e-7));
    CHECK(test::values(test::run("pool:soft,k=2", test::tensor(1, 2, 2, {1e30F, 1e30F, 0, 0}))) ==
          std::vector<float>{1e30F});
}

TEST_CASE("pool:soft leaves padding out of the window and keeps channels apart") {
    // One real cell and three padding cells: the real cell alone (padding as zeros would give
    // (5 e^5) / (e^5 + 3)).
    CHECK(test::values(test::run("pool:soft,k=2,pad=1", test::tensor(1, 1, 1, {5}))) ==
          std::vector<float>{5});
    // The softmax is per channel (the authors' CPU code sums exponentials across channels).
    const auto out =
        test::values(test::run("pool:soft,k=1x2", test::tensor(2, 1, 2, {0, 1, 100, 100})));
    REQUIRE(out.size() == 2);
    CHECK(out[0] == doctest::Approx(std::exp(1.0) / (1.0 + std::exp(1.0))).epsilon(1e-6));
    CHECK(out[1] == 100.0F);
}

TEST_CASE("pool:soft propagates NaN, is +inf with +inf and ignores -inf beside finite cells") {
    const float nan = std::numeric_limits<float>::quiet_NaN();
    const float inf = std::numeric_limits<float>::infinity();
    CHECK(std::isnan(
        test::values(test::run("pool:soft,k=2", test::tensor(1, 2, 2, {1, nan, 2, 3})))[0]));
    CHECK(test::values(test::run("pool:soft,k=2", test::tensor(1, 2, 2, {1, inf, 2, inf}))) ==
          std::vector<float>{inf});
    CHECK(test::values(test::run("pool:soft,k=2", test::tensor(1, 2, 2, {-inf, 2, -inf, 2}))) ==
          std::vector<float>{2});
    CHECK(
        test::values(test::run("pool:soft,k=2", test::tensor(1, 2, 2, {-inf, -inf, -inf, -inf}))) ==
        std::vector<float>{-inf});
}

TEST_CASE(
    "pool:soft matches the naive reference over sweeps of sizes, kernels, strides, pads, "
    "dilation and ceil") {
    const sweep::SweepCount count = sweep::sweep_pools(101U, [](const sweep::PoolCase& pc) {
        const ref::WindowSpec spec = sweep::window_spec(pc, ref::WindowMode::soft);
        return std::vector<sweep::PoolVariant>{sweep::window_variant(
            "pool:soft", pc, "",
            [spec](const ref::Image& in) { return ref::window_pool(in, spec); }, 1e-6)};
    });
    sweep::check_sweep_count(count);
}

TEST_CASE("pool:soft matches torch avg_pool2d(x*exp(x)) / avg_pool2d(exp(x)) fixtures") {
    CHECK(torch_fixtures::check_family("torch_modern.json", "soft",
                                       torch_fixtures::Compare::scaled) >= 9);
}

TEST_CASE("pool:soft's fast path is within 1e-6 of the window's largest |x| of the plain loop") {
    // The stated tolerance (ops/fast/windows.hpp): the weights by a polynomial exp in double, the
    // sums in another order than the plain loop's running rescale.
    const int taken = fast_windows::compare(
        121U, convpool::ops::SoftReducer{}, [](float fast, float plain, float magnitude) {
            return std::fabs(static_cast<double>(fast) - static_cast<double>(plain)) <=
                   1e-6 * static_cast<double>(magnitude);
        });
    CHECK(taken > 100);
    fast_windows::same_bits_for_threads(122U, convpool::ops::SoftReducer{});
}

TEST_CASE("pool:soft's 2x2/2 kernel (floats, read in place) is within 1e-6 of the largest |x|") {
    const int taken = fast_windows::compare(
        128U, convpool::ops::SoftReducer{},
        [](float fast, float plain, float magnitude) {
            return std::fabs(static_cast<double>(fast) - static_cast<double>(plain)) <=
                   1e-6 * static_cast<double>(magnitude);
        },
        160, true);
    CHECK(taken > 100);
}
