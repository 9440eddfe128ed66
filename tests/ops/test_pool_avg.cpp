// pool:avg: hand-checked cases (count-pad, divisor, the ceil-mode overhang) and the sweep against
// the naive reference (tests/reference) with count-pad on and off and with a divisor.
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

TEST_CASE("pool:avg count-pad and divisor") {
    const auto in = tensor(1, 2, 2, {1, 2, 3, 4});
    // Every 3x3 window around a 2x2 input holds all four cells and five padding cells.
    CHECK(values(run("pool:avg,k=3,s=1,pad=1", in))[0] == doctest::Approx(10.0 / 9.0));
    CHECK(values(run("pool:avg,k=3,s=1,pad=1,count-pad=false", in)) ==
          std::vector<float>{2.5, 2.5, 2.5, 2.5});
    CHECK(values(run("pool:avg,k=3,s=1,pad=1,divisor=5", in)) == std::vector<float>{2, 2, 2, 2});
}

TEST_CASE("pool:avg never counts the ceil-mode overhang") {
    // in 6, k 3, s 2, pad 1, ceil: windows start at -1, 1, 3, 5; the last reads 5 (real),
    // 6 (padding, counted) and 7 (overhang, not counted).
    const auto in = tensor(1, 1, 6, {1, 2, 3, 4, 5, 6});
    CHECK(values(run("pool:avg,k=1x3,s=1x2,pad=0x1,ceil", in)) == std::vector<float>{1, 3, 5, 3});
    CHECK(values(run("pool:avg,k=1x3,s=1x2,pad=0x1,ceil,count-pad=false", in)) ==
          std::vector<float>{1.5, 3, 5, 6});
    // Without padding the overhang alone: [1 2], [3 4], [5] -> 5/1.
    CHECK(values(run("pool:avg,k=1x2,ceil", tensor(1, 1, 5, {1, 2, 3, 4, 5}))) ==
          std::vector<float>{1.5, 3.5, 5});
}

TEST_CASE(
    "pool:avg matches the naive reference with count-pad on and off and with a divisor "
    "over sweeps of sizes, kernels, strides, pads, dilation and ceil") {
    const SweepCount count = sweep_pools(3U, [](const PoolCase& pc) {
        std::vector<PoolVariant> variants;
        ref::PoolSpec with_pad = pool_spec(pc, ref::PoolMode::avg);
        with_pad.count_pad = true;
        ref::PoolSpec without_pad = with_pad;
        without_pad.count_pad = false;
        ref::PoolSpec divided = with_pad;
        divided.divisor = pc.divisor;
        // The default is count-pad=true: write it out only half of the time.
        const bool explicit_default = pc.divisor % 2 == 0;
        variants.push_back(
            {"pool:avg," + window_text(pc) + (explicit_default ? ",count-pad=true" : ""), with_pad,
             0.0});
        variants.push_back({"pool:avg," + window_text(pc) + ",count-pad=false", without_pad, 0.0});
        variants.push_back(
            {fmt::format("pool:avg,{},divisor={}", window_text(pc), pc.divisor), divided, 0.0});
        return variants;
    });
    check_sweep_count(count);
}
