// pool:lp: the p-norm by hand, and the sweep against the naive reference for p = 1, 2, 3, inf.
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

TEST_CASE("pool:lp is the true p-norm of each window") {
    CHECK(values(run("pool:lp,k=1x2", tensor(1, 1, 2, {3, 4}))) == std::vector<float>{5});
    CHECK(values(run("pool:lp,k=1x2,norm=1", tensor(1, 1, 2, {3, -4}))) == std::vector<float>{7});
    CHECK(values(run("pool:lp,k=1x2,norm=inf", tensor(1, 1, 2, {-5, 4}))) == std::vector<float>{5});
    CHECK(values(run("pool:lp,k=1x2,norm=3", tensor(1, 1, 2, {1, 2})))[0] ==
          doctest::Approx(std::cbrt(9.0)));
}

TEST_CASE(
    "pool:lp matches the naive reference for p = 1, 2, 3 and inf over sweeps of sizes, "
    "kernels, strides, pads, dilation and ceil") {
    const SweepCount count = sweep_pools(4U, [](const PoolCase& pc) {
        std::vector<PoolVariant> variants;
        for (const double p : {1.0, 2.0, 3.0, std::numeric_limits<double>::infinity()}) {
            ref::PoolSpec spec = pool_spec(pc, ref::PoolMode::lp);
            spec.norm = p;
            const std::string norm = std::isinf(p) ? "inf" : fmt::format("{}", p);
            variants.push_back({"pool:lp," + window_text(pc) + ",norm=" + norm, spec, 1e-5});
        }
        return variants;
    });
    check_sweep_count(count);
}
