// select: channels by index, or the top N by mean |activation|.
#include "convpool/core/error.hpp"
#include "convpool/pipeline/pipeline.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <numeric>
#include <string>
#include <vector>

#include "reference/sweep.hpp"
#include "test_helpers.hpp"

TEST_CASE("select:channels keeps the listed channels in their order") {
    const convpool::Tensor in = test::tensor(3, 1, 2, {1, 2, 3, 4, 5, 6});
    CHECK(test::values(test::run("select:channels=[2 0]", in)) == std::vector<float>{5, 6, 1, 2});
    CHECK(test::values(test::run("select:channels=[1 1]", in)) == std::vector<float>{3, 4, 3, 4});
}

TEST_CASE("select:top keeps the channels of largest mean |x|, ties to the lower index") {
    // Means of |x|: 1.5, 3.5, 0.5, 3.5, 0.
    const convpool::Tensor in = test::tensor(5, 1, 2, {1, -2, -3, 4, 0.5F, -0.5F, 3, 4, 0, 0});
    CHECK(test::values(test::run("select:top=3", in)) == std::vector<float>{-3, 4, 3, 4, 1, -2});
    CHECK(test::values(test::run("select:top=5", in)) ==
          std::vector<float>{-3, 4, 3, 4, 1, -2, 0.5F, -0.5F, 0, 0});
}

TEST_CASE("select refuses channels the input does not have") {
    CHECK_THROWS_WITH_AS(convpool::Pipeline("select"),
                         "stage 1 'select': select: give channels=[...] or top=N, one of them",
                         convpool::UsageError);
    CHECK_THROWS_WITH_AS(convpool::Pipeline("select:channels=[0.5]"),
                         "stage 1 'select:channels=[0.5]': select: channels: expected whole "
                         "numbers, got '0.5'",
                         convpool::UsageError);
    const convpool::Pipeline p("select:channels=[0 3]");
    CHECK_THROWS_WITH_AS((void)p.plan({3, 2, 2}),
                         "stage 1 'select:channels=[0 3]': select: channel 3 does not exist; the "
                         "input has 3 (0 to 2)",
                         convpool::ShapeError);
    CHECK_THROWS_WITH_AS((void)convpool::Pipeline("select:top=4").plan({3, 2, 2}),
                         "stage 1 'select:top=4': select: top=4 but the input has 3 channels",
                         convpool::ShapeError);
}

TEST_CASE("select:top matches a naive ranking on random inputs") {
    sweep::Random rng(1404U);
    for (int i = 0; i < 40; ++i) {
        const int c = rng.integer(1, 12);
        const ref::Image in = sweep::random_image(rng, c, rng.integer(1, 5), rng.integer(1, 5),
                                                  sweep::Values::signed_ties);
        const int top = rng.integer(1, c);
        // Naive: pick the largest remaining mean, the first one found on ties, top times.
        std::vector<double> mean;
        for (int ch = 0; ch < c; ++ch) {
            double s = 0.0;
            for (int y = 0; y < in.height; ++y) {
                for (int x = 0; x < in.width; ++x) {
                    s += std::fabs(static_cast<double>(in.at(ch, y, x)));
                }
            }
            mean.push_back(s / (in.height * in.width));
        }
        std::vector<bool> taken(static_cast<std::size_t>(c), false);
        ref::Image want(top, in.height, in.width);
        for (int k = 0; k < top; ++k) {
            int best = -1;
            for (int ch = 0; ch < c; ++ch) {
                const auto u = static_cast<std::size_t>(ch);
                if (!taken[u] && (best < 0 || mean[u] > mean[static_cast<std::size_t>(best)])) {
                    best = ch;
                }
            }
            taken[static_cast<std::size_t>(best)] = true;
            for (int y = 0; y < in.height; ++y) {
                for (int x = 0; x < in.width; ++x) {
                    want.at(k, y, x) = in.at(best, y, x);
                }
            }
        }
        const std::string stage = "select:top=" + std::to_string(top);
        CAPTURE(stage);
        CHECK(sweep::difference(want, test::run(stage, sweep::to_tensor(in)), 0.0).empty());
    }
}
