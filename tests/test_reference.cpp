// The naive reference itself (tests/reference: output sizes, border patterns, the sweep's
// coverage), and properties across ops (shapes, orderings between modes, identities, describe()
// round trips). Each op's sweep against the reference is in tests/ops/test_<op>.cpp.
#include "convpool/core/error.hpp"
#include "convpool/core/tensor.hpp"
#include "convpool/pipeline/pipeline.hpp"
#include "convpool/pipeline/registry.hpp"

#include <doctest/doctest.h>
#include <fmt/format.h>

#include <array>
#include <cfloat>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "fake_model.hpp"
#include "reference/reference.hpp"
#include "reference/sweep.hpp"

namespace {

using namespace sweep;  // the shared sweep helpers (reference/sweep.hpp)

}  // namespace

// =============================================================================================
// The reference itself

TEST_CASE("the naive reference reproduces known PyTorch pooling output sizes") {
    struct Known {
        int n, k, s, p, d;
        bool ceil;
        int out;
    };
    // Values from torch's pooling_output_shape and from PyTorch issues #45357, #57178, #88464.
    const std::vector<Known> known{
        {5, 2, 2, 1, 1, true, 3},     {4, 3, 2, 0, 1, true, 2},    {6, 3, 3, 1, 1, true, 3},
        {6, 3, 3, 1, 1, false, 2},    {1, 1, 1, 0, 1, false, 1},   {1, 1, 1, 0, 1, true, 1},
        {6, 1, 2, 0, 1, true, 3},     {7, 1, 2, 0, 1, true, 4},    {32, 1, 2, 0, 1, true, 16},
        {54, 3, 2, 0, 1, true, 27},   {54, 3, 2, 0, 1, false, 26}, {80, 3, 2, 0, 1, true, 40},
        {200, 3, 2, 0, 1, false, 99}, {5, 3, 1, 1, 2, false, 3},   {1, 4, 1, 0, 1, true, 0},
        {7, 2, 2, 1, 1, true, 4},     {7, 2, 2, 1, 1, false, 4},   {8, 3, 3, 1, 1, true, 3},
        {2, 3, 1, 0, 1, false, 0},    {2, 2, 2, 1, 1, true, 2},    {9, 3, 2, 1, 2, true, 4},
    };
    for (const Known& kv : known) {
        CAPTURE(kv.n);
        CAPTURE(kv.k);
        CAPTURE(kv.s);
        CAPTURE(kv.p);
        CAPTURE(kv.d);
        CAPTURE(kv.ceil);
        CHECK(ref::window_starts(kv.n, axis_of(kv.k, kv.s, kv.p, kv.d, kv.ceil)).size() ==
              static_cast<std::size_t>(kv.out));
        const std::string stage = fmt::format("pool:max,k={}x1,s={}x1,pad={}x0,dilation={}x1{}",
                                              kv.k, kv.s, kv.p, kv.d, kv.ceil ? ",ceil" : "");
        CAPTURE(stage);
        const convpool::Pipeline pipeline(stage);
        if (kv.out < 1) {
            CHECK_THROWS_AS((void)pipeline.plan(convpool::Shape{1, kv.n, 3}), convpool::ShapeError);
        } else {
            CHECK(pipeline.plan(convpool::Shape{1, kv.n, 3}).back().shape.height == kv.out);
        }
    }
    // Window starts themselves: n=5, k=2, s=2, p=1, ceil reads [-1,0], [1,2], [3,4].
    CHECK(ref::window_starts(5, axis_of(2, 2, 1, 1, true)) == std::vector<int>{-1, 1, 3});
}

TEST_CASE("the naive reference border modes follow OpenCV's border patterns") {
    // abcdefgh with 6 cells before and 7 after, as in cv::BorderTypes' documentation.
    const auto pattern = [](ref::Border b) {
        std::string s;
        for (int i = -6; i < 8 + 7; ++i) {
            if (i == 0 || i == 8) {
                s += '|';
            }
            const int src = ref::border_source(i, 8, b);
            s += src < 0 ? '0' : static_cast<char>('a' + src);
        }
        return s;
    };
    CHECK(pattern(ref::Border::reflect) == "fedcba|abcdefgh|hgfedcb");
    CHECK(pattern(ref::Border::reflect101) == "gfedcb|abcdefgh|gfedcba");
    CHECK(pattern(ref::Border::replicate) == "aaaaaa|abcdefgh|hhhhhhh");
    CHECK(pattern(ref::Border::wrap) == "cdefgh|abcdefgh|abcdefg");
    CHECK(pattern(ref::Border::zero) == "000000|abcdefgh|0000000");
    // Paddings wider than the input keep bouncing.
    CHECK(ref::border_source(-3, 2, ref::Border::reflect) == 1);     // ab|ab|ba|ab: -3 -> b
    CHECK(ref::border_source(-3, 2, ref::Border::reflect101) == 1);  // ...babab|ab|aba...
    CHECK(ref::border_source(5, 1, ref::Border::reflect101) == 0);
    CHECK(ref::border_source(-7, 3, ref::Border::wrap) == 2);
}

TEST_CASE(
    "the pool sweep covers every size, kernel, stride, pad, dilation, ceil and channel "
    "value with valid and invalid cases") {
    // seen[dimension][value] over the cases whose output is valid.
    std::array<std::array<bool, 14>, 12> seen{};
    int invalid = 0;
    int ceil_added = 0;
    int empty_windows = 0;
    for (const PoolCase& pc : pool_cases()) {
        const ref::PoolSpec spec = pool_spec(pc, ref::PoolMode::max);
        const int oh = ref::pool_output_height(pc.height, spec);
        const int ow = ref::pool_output_width(pc.width, spec);
        if (oh < 1 || ow < 1) {
            ++invalid;
            continue;
        }
        const std::array<int, 12> values{pc.height, pc.width, pc.kh,           pc.kw,
                                         pc.sh,     pc.sw,    pc.ph,           pc.pw,
                                         pc.dh,     pc.dw,    pc.ceil ? 1 : 0, pc.channels};
        for (std::size_t d = 0; d < values.size(); ++d) {
            seen[d][static_cast<std::size_t>(values[d])] = true;
        }
        ref::PoolSpec floor_spec = spec;
        floor_spec.rows.ceil = floor_spec.cols.ceil = false;
        if (pc.ceil && ref::pool_output_height(pc.height, floor_spec) < oh) {
            ++ceil_added;
        }
        ref::Image ones(1, pc.height, pc.width, 1.0F);
        ref::PoolSpec lp = spec;
        lp.mode = ref::PoolMode::lp;
        lp.norm = 1.0;
        for (const float v : ref::pool(ones, lp).values) {
            empty_windows += v == 0.0F ? 1 : 0;
        }
    }
    const auto covered = [&seen](std::size_t d, const std::vector<int>& values) {
        for (const int v : values) {
            CAPTURE(d);
            CAPTURE(v);
            CHECK(seen[d][static_cast<std::size_t>(v)]);
        }
    };
    covered(0, {1, 2, 7, 9, 13});
    covered(1, {1, 2, 7, 9, 13});
    covered(2, {1, 2, 3, 4, 5});
    covered(3, {1, 2, 3, 4, 5});
    covered(4, {1, 2, 3});
    covered(5, {1, 2, 3});
    covered(6, {0, 1, 2});
    covered(7, {0, 1, 2});
    covered(8, {1, 2});
    covered(9, {1, 2});
    covered(10, {0, 1});
    covered(11, {1, 2, 3, 4});
    CHECK(invalid > 50);
    CHECK(ceil_added > 50);
    CHECK(empty_windows > 0);  // dilated windows that read only padding
}

// =============================================================================================
// Sliding-window pools against the reference

// =============================================================================================
// Adaptive and global pools against the reference

// =============================================================================================
// Convolution against the reference

// =============================================================================================
// Properties

TEST_CASE("property: every op's apply gives the shape its output_shape promised") {
    // Every op of the registry through its declared example, then other geometries.
    std::vector<std::string> stages;
    for (const convpool::OpInfo* info : convpool::all_ops()) {
        stages.push_back(info->example.empty() ? info->name : info->example);
    }
    const std::vector<std::string> more{
        "pool:max",
        "pool:max,k=3x2,s=2,pad=1x0,dilation=2,ceil",
        "pool:min,k=3,s=1,pad=same",
        "pool:avg,k=2x3,s=3x1,pad=valid,ceil",
        "pool:avg,k=5,s=2,pad=2,count-pad=false",
        "pool:lp,k=3,s=2,pad=1,norm=3,ceil",
        "pool:adaptive-max,out=4x3",
        "pool:adaptive-avg,out=15",
        "pool:global-max",
        "pool:global-avg",
        "pool:blur",
        "pool:blur,s=3x1,filter=7,border=zero",
        "pool:maxblur,k=3x2,s=2,filter=5,border=replicate",
        "pool:soft,k=3,s=2,pad=1,ceil",
        "pool:gem,k=2x3,s=1,pad=same,p=2.5",
        "pool:global-gem,p=4",
        "pool:mixed,k=3,s=2,pad=1,count-pad=false,a=0.3",
        "pool:median,k=4,s=1,pad=2,dilation=2,ceil",
        "conv:sobel-x",
        "conv:gaussian,k=5,sigma=1.5,stride=2,pad=valid",
        "conv:kernel=[1 2; 3 4],stride=3x2,pad=3,dilation=2,border=wrap",
        "conv:box,k=3x5,pad=same,stride=2,border=zero",
        "bank:sobel-x,sobel-y,pad=same",
        "relu",
        "abs",
        "sigmoid",
        "tanh",
        "leaky-relu:slope=0.2",
        "norm:per=tensor",
        "gray",
    };
    stages.insert(stages.end(), more.begin(), more.end());
    const std::vector<convpool::Shape> shapes{{1, 1, 1}, {3, 7, 9},  {2, 13, 5},
                                              {4, 2, 2}, {1, 9, 13}, {3, 1, 12}};
    Random rng(9U);
    int applied = 0;
    std::set<std::string> ran;
    for (const std::string& stage : stages) {
        // `model` runs a model that gives its input back (tests/fake_model.hpp).
        const convpool::Pipeline pipeline(stage, convpool::Semantics::torch, {},
                                          test::fake_model_context());
        for (const convpool::Shape& shape : shapes) {
            CAPTURE(stage);
            const std::string in_shape = shape_text(shape);
            CAPTURE(in_shape);
            convpool::Shape promised;
            try {
                promised = pipeline.plan(shape).back().shape;
            } catch (const convpool::ShapeError&) {
                continue;
            }
            const ref::Image input =
                random_image(rng, shape.channels, shape.height, shape.width, Values::signed_ties);
            const convpool::Tensor out =
                pipeline.run(to_tensor(input), [](const convpool::StageResult& /*r*/) {});
            ran.insert(pipeline.stages().back().info->name);
            CHECK(shape_text(out.shape()) == shape_text(promised));
            CHECK(out.data().size() == promised.elements());
            ++applied;
        }
    }
    CHECK(applied > 100);
    for (const convpool::OpInfo* info : convpool::all_ops()) {
        CAPTURE(info->name);
        CHECK(ran.count(info->name) == 1);  // every op ran on at least one shape
    }
}

TEST_CASE(
    "property: with identical window parameters max >= avg(count-pad=false) >= min "
    "everywhere on finite input") {
    Random rng(10U);
    int compared = 0;
    const auto& cases = pool_cases();
    for (std::size_t i = 0; i < cases.size(); i += 2) {
        const PoolCase& pc = cases[i];
        const ref::PoolSpec spec = pool_spec(pc, ref::PoolMode::max);
        if (ref::pool_output_height(pc.height, spec) < 1 ||
            ref::pool_output_width(pc.width, spec) < 1 || kernel_overhangs_padded_input(pc)) {
            continue;
        }
        const ref::Image img =
            random_image(rng, pc.channels, pc.height, pc.width, Values::signed_ties);
        const convpool::Tensor input = to_tensor(img);
        const std::string window = window_text(pc);
        CAPTURE(window);
        CAPTURE(pc.height);
        CAPTURE(pc.width);
        const convpool::Tensor mx = convpool::Pipeline("pool:max," + window).run(input, {});
        const convpool::Tensor avg =
            convpool::Pipeline("pool:avg,count-pad=false," + window).run(input, {});
        const convpool::Tensor mn = convpool::Pipeline("pool:min," + window).run(input, {});
        REQUIRE(mx.data().size() == avg.data().size());
        REQUIRE(mn.data().size() == avg.data().size());
        bool ordered = true;
        for (std::size_t j = 0; j < avg.data().size(); ++j) {
            if (std::isinf(mx.data()[j])) {
                continue;  // a dilated window that reads only padding: no values to order
            }
            const bool ok = mx.data()[j] >= avg.data()[j] && avg.data()[j] >= mn.data()[j];
            if (!ok && ordered) {
                FAIL_CHECK("at " << j << ": max " << mx.data()[j] << ", avg " << avg.data()[j]
                                 << ", min " << mn.data()[j]);
            }
            ordered = ordered && ok;
        }
        ++compared;
    }
    CHECK(compared > 300);
}

TEST_CASE(
    "property: on non-negative input the Lp pool lies between max and N^(1/p) * max for "
    "a window of N cells, falls as p grows and is within 10% of max at p = 64") {
    Random rng(11U);
    const std::vector<double> norms{1.0, 2.0, 4.0, 8.0, 16.0, 64.0};
    int compared = 0;
    const auto& cases = pool_cases();
    for (std::size_t i = 1; i < cases.size(); i += 3) {
        const PoolCase& pc = cases[i];
        const ref::PoolSpec spec = pool_spec(pc, ref::PoolMode::max);
        if (ref::pool_output_height(pc.height, spec) < 1 ||
            ref::pool_output_width(pc.width, spec) < 1 || kernel_overhangs_padded_input(pc)) {
            continue;
        }
        const convpool::Tensor input =
            to_tensor(random_image(rng, pc.channels, pc.height, pc.width, Values::non_negative));
        const std::string window = window_text(pc);
        CAPTURE(window);
        CAPTURE(pc.height);
        CAPTURE(pc.width);
        const convpool::Tensor mx = convpool::Pipeline("pool:max," + window).run(input, {});
        const auto cells = static_cast<double>(pc.kh * pc.kw);  // >= cells read
        std::vector<float> previous;
        for (const double p : norms) {
            CAPTURE(p);
            const convpool::Tensor lp =
                convpool::Pipeline(fmt::format("pool:lp,norm={},{}", p, window)).run(input, {});
            REQUIRE(lp.data().size() == mx.data().size());
            const double bound = std::pow(cells, 1.0 / p);
            for (std::size_t j = 0; j < lp.data().size(); ++j) {
                const double m = static_cast<double>(mx.data()[j]);
                const double l = static_cast<double>(lp.data()[j]);
                if (std::isinf(m)) {
                    continue;  // a window that reads only padding
                }
                const bool ok =
                    l >= m * (1.0 - 1e-6) && l <= bound * m * (1.0 + 1e-6) &&
                    (p < 64.0 || l <= 1.1 * m) &&
                    (previous.empty() || l <= static_cast<double>(previous[j]) * (1.0 + 1e-6));
                if (!ok) {
                    FAIL_CHECK("at " << j << ": max " << m << ", Lp " << l << ", bound "
                                     << bound * m);
                    break;
                }
            }
            previous.assign(lp.data().begin(), lp.data().end());
        }
        ++compared;
    }
    CHECK(compared > 200);
}

TEST_CASE("property: conv with kernel=[1] is the identity for every border and padding") {
    Random rng(12U);
    for (const int h : kSizes) {
        for (const int w : kSizes) {
            const ref::Image img =
                random_image(rng, rng.integer(1, 4), h, w,
                             rng.chance(30) ? Values::signed_ties_nan : Values::signed_ties);
            const convpool::Tensor input = to_tensor(img);
            for (const ref::Border border : kBorders) {
                for (const char* pad : {"same", "valid", "0"}) {
                    const std::string stage =
                        fmt::format("conv:kernel=[1],pad={},border={}", pad, border_name(border));
                    CAPTURE(stage);
                    CAPTURE(h);
                    CAPTURE(w);
                    CHECK(difference(input, convpool::Pipeline(stage).run(input, {})) == "");
                }
            }
            CHECK(difference(input, convpool::Pipeline("conv:kernel=[1]").run(input, {})) == "");
        }
    }
}

TEST_CASE(
    "property: pooling with k=1, s=1 (and adaptive pooling to the input size) is the "
    "identity") {
    Random rng(13U);
    for (const int h : kSizes) {
        for (const int w : kSizes) {
            const int channels = rng.integer(1, 4);
            const convpool::Tensor signed_input = to_tensor(
                random_image(rng, channels, h, w,
                             rng.chance(30) ? Values::signed_ties_nan : Values::signed_ties));
            const convpool::Tensor positive_input =
                to_tensor(random_image(rng, channels, h, w, Values::non_negative));
            const std::vector<std::string> signed_stages{
                "pool:max,k=1,s=1",
                "pool:min,k=1,s=1",
                "pool:avg,k=1,s=1",
                "pool:avg,k=1,s=1,count-pad=false",
                "pool:max,k=1,s=1,dilation=2,ceil",
                "pool:avg,k=1x1,s=1x1,pad=0,ceil",
                fmt::format("pool:adaptive-max,out={}x{}", h, w),
                fmt::format("pool:adaptive-avg,out={}x{}", h, w),
            };
            const std::vector<std::string> positive_stages{
                "pool:lp,k=1,s=1,norm=1",
                "pool:lp,k=1,s=1,norm=2",
                "pool:lp,k=1,s=1,norm=inf",
            };
            CAPTURE(h);
            CAPTURE(w);
            for (const std::string& stage : signed_stages) {
                CAPTURE(stage);
                CHECK(difference(signed_input, convpool::Pipeline(stage).run(signed_input, {})) ==
                      "");
            }
            for (const std::string& stage : positive_stages) {
                CAPTURE(stage);
                CHECK(difference(positive_input,
                                 convpool::Pipeline(stage).run(positive_input, {})) == "");
            }
        }
    }
}

TEST_CASE("property: describe() of every stage parses back to a pipeline with identical output") {
    const std::vector<std::string> pipelines{
        "pool:max,k=3x2,s=2,pad=1x0,dilation=2,ceil",
        "pool:min,kernel=3,stride=1x2,padding=same",
        "pool:avg,k=3,s=2,pad=1,count-pad=false,ceil | pool:avg,k=2,divisor=3",
        "pool:lp,k=2x3,s=1,norm=3 | pool:lp,k=2,norm=inf,pad=valid",
        "pool:adaptive-max,out=4x3 | pool:adaptive-avg,out=2",
        "pool:global-max",
        "pool:global-avg",
        "pool:blur,s=3,filter=5 | pool:maxblur,k=3,border=zero",
        "pool:soft,k=3,s=2,pad=1,ceil | pool:median,k=2x3,s=1",
        "pool:gem,k=3,p=2.5,eps=0.001 | pool:global-gem,p=1.5",
        "pool:mixed,k=3,s=2,pad=1,a=0.75,count-pad=false",
        "conv:sobel-x | relu | pool:max,k=2",
        "conv:gaussian,k=5,sigma=1.5,stride=2,border=replicate",
        "conv:box,k=3x5,pad=valid",
        // NOLINTNEXTLINE(bugprone-suspicious-missing-comma): one pipeline over two lines
        "conv:kernel=[1 0 -1; 2 0 -2],stride=2x1,pad=2x1,dilation=2,border=wrap,scale=0.5,"
        "bias=-0.25",
        "conv:kernel=[0.125 -0.375 0.5],pad=same,border=zero,scale=-2,bias=0.75",
        "conv:identity,k=3,border=reflect | abs | sigmoid",
        "bank:sobel-x,sobel-y,pad=same | tanh",
        "gray | leaky-relu:slope=0.2 | norm:per=tensor",
        "norm | pool:max,k=2,ceil",
    };
    Random rng(14U);
    for (const std::string& text : pipelines) {
        CAPTURE(text);
        const convpool::Pipeline original(text);
        std::string described;
        for (const convpool::Stage& stage : original.stages()) {
            described += (described.empty() ? "" : " | ") + stage.describe();
        }
        CAPTURE(described);
        const convpool::Pipeline again(described);
        REQUIRE(again.stages().size() == original.stages().size());
        for (std::size_t i = 0; i < again.stages().size(); ++i) {
            CHECK(again.stages()[i].describe() == original.stages()[i].describe());
        }
        for (const convpool::Shape& shape :
             std::vector<convpool::Shape>{{3, 13, 9}, {3, 7, 7}, {3, 2, 5}}) {
            const std::string in_shape = shape_text(shape);
            CAPTURE(in_shape);
            bool fits = true;
            try {
                (void)original.plan(shape);
            } catch (const convpool::ShapeError&) {
                fits = false;
            }
            if (!fits) {
                CHECK_THROWS_AS((void)again.plan(shape), convpool::ShapeError);
                continue;
            }
            CHECK(shape_text(again.plan(shape).back().shape) ==
                  shape_text(original.plan(shape).back().shape));
            const convpool::Tensor input = to_tensor(random_image(
                rng, shape.channels, shape.height, shape.width, Values::signed_ties_nan));
            CHECK(difference(original.run(input, {}), again.run(input, {})) == "");
        }
    }
}

TEST_CASE(
    "property: describe() keeps enough digits that numbers parse back to the same "
    "values") {
    // Kernel values, scale and bias given with more than six significant digits.
    const std::vector<std::string> pipelines{
        "conv:kernel=[0.1234567 -0.7654321; 1.000001 0.3333333],border=zero",
        "conv:kernel=[1 2; 3 4],scale=1.0000001,bias=0.33333334",
        "leaky-relu:slope=0.012345678",
    };
    Random rng(15U);
    for (const std::string& text : pipelines) {
        CAPTURE(text);
        const convpool::Pipeline original(text);
        const std::string described = original.stages().front().describe();
        CAPTURE(described);
        const convpool::Pipeline again(described);
        const convpool::Tensor input = to_tensor(random_image(rng, 2, 9, 7, Values::signed_ties));
        CHECK(difference(original.run(input, {}), again.run(input, {})) == "");
    }
}
