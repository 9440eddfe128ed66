// pool:max: hand-checked cases worked out by hand, and the sweep against the naive reference
// (tests/reference) over sizes, kernels, strides, pads, dilation and ceil mode; the ceil-mode
// overhang case against PyTorch's rule (max and avg). The fast path's tests: tests/ops/fast/.
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

namespace {
constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
}  // namespace

TEST_CASE("pool:max picks the largest value in each 2x2 block") {
    const auto out = run("pool:max,k=2", ramp4x4());
    CHECK(out.shape() == convpool::Shape{1, 2, 2});
    CHECK(values(out) == std::vector<float>{6, 8, 14, 16});
}

TEST_CASE("pool:max with stride 1 and overlapping windows") {
    CHECK(values(run("pool:max,k=3,s=1", ramp4x4())) == std::vector<float>{11, 12, 15, 16});
}

TEST_CASE("pool:max ceil mode keeps a partial last window") {
    std::vector<float> v(25);
    for (int i = 0; i < 25; ++i) {
        v[static_cast<std::size_t>(i)] = static_cast<float>(i + 1);
    }
    const auto in = tensor(1, 5, 5, v);
    CHECK(run("pool:max,k=2", in).shape() == convpool::Shape{1, 2, 2});
    const auto out = run("pool:max,k=2,ceil", in);
    CHECK(out.shape() == convpool::Shape{1, 3, 3});
    CHECK(values(out) == std::vector<float>{7, 9, 10, 17, 19, 20, 22, 24, 25});
}

TEST_CASE("pool:max ceil mode drops a last window that would start in the padding") {
    // in 5, k 2, s 2, pad 1: ceil((5+2-2)/2)+1 = 4, but window 4 starts at 5 = in+pad-... in the
    // right padding, so 3 windows: [-1,0], [1,2], [3,4].
    const auto out = run("pool:max,k=1x2,s=1x2,pad=0x1,ceil", tensor(1, 1, 5, {1, 5, 2, 4, 3}));
    CHECK(out.shape() == convpool::Shape{1, 1, 3});
    CHECK(values(out) == std::vector<float>{1, 5, 4});
}

TEST_CASE("pool:max padding never wins, even over negative values") {
    const auto out = run("pool:max,k=3,s=1,pad=1", tensor(1, 2, 2, {-4, -3, -2, -1}));
    CHECK(values(out) == std::vector<float>{-1, -1, -1, -1});
}

TEST_CASE("pool:max and pool:min propagate NaN") {
    const auto in = tensor(1, 2, 4, {1, kNaN, 3, 4, 5, 6, 7, 8});
    const auto mx = values(run("pool:max,k=2", in));
    CHECK(std::isnan(mx[0]));
    CHECK(mx[1] == 8);
    const auto mn = values(run("pool:min,k=2", in));
    CHECK(std::isnan(mn[0]));
    CHECK(mn[1] == 3);
}

TEST_CASE("pool:max with dilation reads every other cell") {
    // 1x5 row, k=2 dilation 2: windows (0,2), (1,3), (2,4).
    CHECK(values(run("pool:max,k=1x2,s=1,dilation=1x2", tensor(1, 1, 5, {5, 1, 2, 9, 3}))) ==
          std::vector<float>{5, 9, 3});
}

TEST_CASE(
    "pool:max matches the naive reference over sweeps of sizes, kernels, strides, pads, "
    "dilation and ceil") {
    const SweepCount count = sweep_pools(1U, [](const PoolCase& pc) {
        return std::vector<PoolVariant>{
            {"pool:max," + window_text(pc), pool_spec(pc, ref::PoolMode::max), 0.0}};
    });
    check_sweep_count(count);
}

TEST_CASE(
    "pool ceil mode keeps a window that overhangs the whole padded input, as PyTorch and "
    "the naive reference do") {
    // PyTorch: out = ceil((n + 2p - d(k-1) - 1) / s) + 1 (then the start-in-padding rule); the
    // kernel may be longer than the padded input as long as that is >= 1, e.g.
    // max_pool2d(2x2 input, kernel 3, stride 2, ceil_mode=True) is 1x1. Reports the first few
    // disagreements and their number.
    CHECK(ref::window_starts(2, axis_of(3, 2, 0, 1, true)).size() == 1U);
    CHECK(ref::window_starts(1, axis_of(5, 5, 0, 1, true)).size() == 1U);
    CHECK(ref::window_starts(1, axis_of(5, 4, 0, 1, true)).empty());  // torch: size 0
    {
        const convpool::Pipeline pipeline("pool:max,k=3,s=2,ceil");
        std::string planned;
        CHECK_NOTHROW(planned = shape_text(pipeline.plan(convpool::Shape{1, 2, 2}).back().shape));
        CHECK(planned == "1x1x1");
    }
    Random rng(5U);
    int compared = 0;
    int disagreements = 0;
    for (const PoolCase& pc : pool_cases()) {
        const ref::PoolSpec spec = pool_spec(pc, ref::PoolMode::max);
        const int oh = ref::pool_output_height(pc.height, spec);
        const int ow = ref::pool_output_width(pc.width, spec);
        if (oh < 1 || ow < 1 || !kernel_overhangs_padded_input(pc)) {
            continue;
        }
        const ref::Image input =
            random_image(rng, pc.channels, pc.height, pc.width, Values::signed_ties);
        for (const ref::PoolMode mode : {ref::PoolMode::max, ref::PoolMode::avg}) {
            ref::PoolSpec mode_spec = spec;
            mode_spec.mode = mode;
            const std::string stage = fmt::format(
                "pool:{},{}", mode == ref::PoolMode::max ? "max" : "avg", window_text(pc));
            const std::string expected_shape = shape_text(pc.channels, oh, ow);
            ++compared;
            std::string problem;
            try {
                const convpool::Pipeline pipeline(stage);
                const convpool::Shape got_shape =
                    pipeline.plan(convpool::Shape{pc.channels, pc.height, pc.width}).back().shape;
                if (shape_text(got_shape) != expected_shape) {
                    problem = "planned " + shape_text(got_shape);
                } else {
                    problem = difference(ref::pool(input, mode_spec),
                                         pipeline.run(to_tensor(input), {}), 1e-5);
                }
            } catch (const convpool::Error& e) {
                problem = std::string("threw: ") + e.what();
            }
            if (!problem.empty() && ++disagreements <= 5) {
                FAIL_CHECK(stage << " on " << shape_text(pc.channels, pc.height, pc.width)
                                 << ": expected " << expected_shape << ", " << problem);
            }
        }
    }
    CHECK(disagreements == 0);
    CHECK(compared > 10);
}
