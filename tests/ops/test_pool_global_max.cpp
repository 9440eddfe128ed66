// pool:global-max and pool:global-avg: by hand, and against the naive reference (adaptive to 1x1).
#include "convpool/core/error.hpp"
#include "convpool/core/tensor.hpp"
#include "convpool/pipeline/pipeline.hpp"

#include <doctest/doctest.h>
#include <fmt/format.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "reference/reference.hpp"
#include "reference/sweep.hpp"
#include "test_helpers.hpp"

using namespace test;   // run, tensor, values (test_helpers.hpp)
using namespace sweep;  // the sweep helpers (reference/sweep.hpp)

TEST_CASE("pool:global-max and pool:global-avg give one value per channel") {
    const auto in = tensor(2, 2, 2, {1, 2, 3, 4, -1, -2, -3, -4});
    const auto mx = run("pool:global-max", in);
    CHECK(mx.shape() == convpool::Shape{2, 1, 1});
    CHECK(values(mx) == std::vector<float>{4, -1});
    CHECK(values(run("pool:global-avg", in)) == std::vector<float>{2.5, -2.5});
}

TEST_CASE("pool:global-max and pool:global-avg match the naive reference (adaptive to 1x1)") {
    Random rng(7U);
    for (const int h : kSizes) {
        for (const int w : kSizes) {
            const int channels = rng.integer(1, 4);
            const Values kind = rng.chance(25) ? Values::signed_ties_nan : Values::signed_ties;
            const ref::Image input = random_image(rng, channels, h, w, kind);
            for (const ref::AdaptiveMode mode : {ref::AdaptiveMode::max, ref::AdaptiveMode::avg}) {
                const bool is_max = mode == ref::AdaptiveMode::max;
                const std::string stage = is_max ? "pool:global-max" : "pool:global-avg";
                CAPTURE(stage);
                CAPTURE(channels);
                CAPTURE(h);
                CAPTURE(w);
                convpool::Tensor got;
                if (run_stage(stage, input, shape_text(channels, 1, 1), got)) {
                    CHECK(difference(ref::adaptive_pool(input, 1, 1, mode), got,
                                     is_max ? 0.0 : 1e-5) == "");
                }
            }
        }
    }
}
