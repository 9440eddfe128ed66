// pool:min: a hand-checked case and the sweep against the naive reference (tests/reference).
// NaN propagation is checked with max in test_pool_max.cpp; the fast path's tests: tests/ops/fast/.
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

TEST_CASE("pool:min and pool:avg on 2x2 blocks") {
    CHECK(values(run("pool:min,k=2", ramp4x4())) == std::vector<float>{1, 3, 9, 11});
    CHECK(values(run("pool:avg,k=2", ramp4x4())) == std::vector<float>{3.5, 5.5, 11.5, 13.5});
}

TEST_CASE(
    "pool:min matches the naive reference over sweeps of sizes, kernels, strides, pads, "
    "dilation and ceil") {
    const SweepCount count = sweep_pools(2U, [](const PoolCase& pc) {
        return std::vector<PoolVariant>{
            {"pool:min," + window_text(pc), pool_spec(pc, ref::PoolMode::min), 0.0}};
    });
    check_sweep_count(count);
}
