// pool:global-gem (the GeM retrieval head): one generalized mean per channel.
#include <doctest/doctest.h>

#include <cmath>

#include "reference/reference_modern.hpp"
#include "reference/sweep.hpp"
#include "test_helpers.hpp"

TEST_CASE("pool:global-gem gives one p-mean per channel, between global-avg and global-max") {
    const convpool::Tensor in = test::tensor(2, 2, 2, {1, 2, 3, 4, 5, 5, 5, 5});
    const convpool::Tensor out = test::run("pool:global-gem", in);
    CHECK(out.shape() == convpool::Shape{2, 1, 1});
    const auto v = test::values(out);
    CHECK(v[0] == doctest::Approx(std::cbrt(25.0)).epsilon(1e-6));
    CHECK(v[1] == doctest::Approx(5.0).epsilon(1e-6));
    CHECK(test::values(test::run("pool:global-gem,p=1", in)) ==
          test::values(test::run("pool:global-avg", in)));
    const auto near_max = test::values(test::run("pool:global-gem,p=100", in));
    CHECK(near_max[0] > 3.9F);
    CHECK(near_max[0] < 4.0F);
}

TEST_CASE("pool:global-gem matches the naive reference on random shapes and p") {
    sweep::Random rng(103U);
    int compared = 0;
    for (int i = 0; i < 60; ++i) {
        const int c = rng.integer(1, 4);
        const int h = rng.integer(1, 13);
        const int w = rng.integer(1, 13);
        const double p = std::array<double, 4>{1.0, 2.0, 3.0, 7.5}[static_cast<std::size_t>(i % 4)];
        const ref::Image input = sweep::random_image(
            rng, c, h, w,
            i % 5 == 4 ? sweep::Values::signed_ties_nan : sweep::Values::non_negative);
        const std::string stage = fmt::format("pool:global-gem,p={}", p);
        CAPTURE(stage);
        convpool::Tensor got;
        if (sweep::run_stage(stage, input, sweep::shape_text(c, 1, 1), got)) {
            CHECK(sweep::difference(ref::global_gem(input, p, 1e-6), got, 1e-5) == "");
            ++compared;
        }
    }
    CHECK(compared == 60);
}
