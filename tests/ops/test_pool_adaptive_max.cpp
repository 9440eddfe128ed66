// pool:adaptive-max and pool:adaptive-avg: PyTorch's window bounds by hand, and both against the
// naive reference for input sizes 1..13 and output sizes 1..15.
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

TEST_CASE("pool:adaptive-max and pool:adaptive-avg use PyTorch's window bounds") {
    // out 3 over in 5: [0,2), [1,4), [3,5).
    const auto in = tensor(1, 1, 5, {1, 2, 3, 4, 5});
    CHECK(values(run("pool:adaptive-max,out=1x3", in)) == std::vector<float>{2, 4, 5});
    CHECK(values(run("pool:adaptive-avg,out=1x3", in)) == std::vector<float>{1.5, 3, 4.5});
    // out larger than in repeats cells: out 3 over in 2: [0,1), [0,2), [1,2).
    CHECK(values(run("pool:adaptive-max,out=1x3", tensor(1, 1, 2, {7, 3}))) ==
          std::vector<float>{7, 7, 3});
}

TEST_CASE(
    "pool:adaptive-max and pool:adaptive-avg match the naive reference for input sizes "
    "1..13 and output sizes 1..15") {
    Random rng(6U);
    int compared = 0;
    for (int in = 1; in <= 13; ++in) {
        for (int out = 1; out <= 15; ++out) {
            // Sweep the height with a random width, then the width with a random height.
            for (int transposed = 0; transposed < 2; ++transposed) {
                const int other_in = rng.integer(1, 13);
                const int other_out = rng.integer(1, 15);
                const int h = transposed != 0 ? other_in : in;
                const int w = transposed != 0 ? in : other_in;
                const int oh = transposed != 0 ? other_out : out;
                const int ow = transposed != 0 ? out : other_out;
                const int channels = rng.integer(1, 3);
                const Values kind = rng.chance(25) ? Values::signed_ties_nan : Values::signed_ties;
                const ref::Image input = random_image(rng, channels, h, w, kind);
                for (const ref::AdaptiveMode mode :
                     {ref::AdaptiveMode::max, ref::AdaptiveMode::avg}) {
                    const bool is_max = mode == ref::AdaptiveMode::max;
                    const std::string stage =
                        fmt::format("pool:adaptive-{},out={}x{}", is_max ? "max" : "avg", oh, ow);
                    CAPTURE(stage);
                    CAPTURE(channels);
                    CAPTURE(h);
                    CAPTURE(w);
                    convpool::Tensor got;
                    if (!run_stage(stage, input, shape_text(channels, oh, ow), got)) {
                        continue;
                    }
                    CHECK(difference(ref::adaptive_pool(input, oh, ow, mode), got,
                                     is_max ? 0.0 : 1e-5) == "");
                    ++compared;
                }
            }
        }
    }
    CHECK(compared == 13 * 15 * 2 * 2);
}
