// pool:maxblur (MaxBlurPool, Zhang 2019): pool:max,k=K,s=1 then pool:blur.
#include "convpool/core/error.hpp"
#include "convpool/core/parallel.hpp"
#include "convpool/pipeline/pipeline.hpp"

#include <doctest/doctest.h>

#include <array>
#include <string>

#include "fast_windows.hpp"
#include "ops/common/blur.hpp"
#include "reference/reference_modern.hpp"
#include "reference/sweep.hpp"
#include "test_helpers.hpp"
#include "torch_fixtures.hpp"

TEST_CASE("pool:maxblur on a ramp: 2x2 max with stride 1, then [1 3 3 1]/8 with stride 2") {
    // The max pool gives 4y + x + 6 on 3x3; reflect101 rows read [1 0 1 2] -> 0.75 and
    // [1 2 1 0] -> 1.25.
    const convpool::Tensor out = test::run("pool:maxblur", test::ramp4x4());
    CHECK(out.shape() == convpool::Shape{1, 2, 2});
    CHECK(test::values(out) == std::vector<float>{9.75F, 10.25F, 11.75F, 12.25F});
}

namespace {

/// Random MaxBlurPool parameters: max kernel 1..4 per axis, blur filter 1..7, stride 1..3, and
/// the border by case number.
struct MaxBlurParams {
    int kh = 1;
    int kw = 1;
    int filter = 1;
    int s = 1;
    const char* border = "reflect101";
};

MaxBlurParams random_params(sweep::Random& rng, int i) {
    MaxBlurParams p;
    p.kh = rng.integer(1, 4);
    p.kw = rng.integer(1, 4);
    p.filter = rng.integer(1, 7);
    p.s = rng.integer(1, 3);
    p.border = std::array{"reflect101", "replicate", "zero"}[static_cast<std::size_t>(i % 3)];
    return p;
}

}  // namespace

TEST_CASE("pool:maxblur is pool:max,k=K,s=1 followed by pool:blur, value for value") {
    sweep::Random rng(108U);
    int compared = 0;
    for (int i = 0; i < 80; ++i) {
        const auto [kh, kw, filter, s, border] = random_params(rng, i);
        const ref::Image img = sweep::random_image(
            rng, rng.integer(1, 3), rng.integer(1, 13), rng.integer(1, 13),
            i % 4 == 3 ? sweep::Values::signed_ties_nan : sweep::Values::signed_ties);
        const std::string blur = fmt::format("s={},filter={},border={}", s, filter, border);
        const std::string stage = fmt::format("pool:maxblur,k={}x{},{}", kh, kw, blur);
        const std::string two = fmt::format("pool:max,k={}x{},s=1 | pool:blur,{}", kh, kw, blur);
        CAPTURE(stage);
        const convpool::Shape shape{img.channels, img.height, img.width};
        convpool::Shape planned;
        try {
            planned = convpool::Pipeline(two).plan(shape).back().shape;
        } catch (const convpool::ShapeError&) {
            CHECK_THROWS_AS((void)convpool::Pipeline(stage).plan(shape), convpool::ShapeError);
            continue;
        }
        CHECK(convpool::Pipeline(stage).plan(shape).back().shape == planned);
        const convpool::Tensor in = sweep::to_tensor(img);
        CHECK(sweep::difference(test::run(two, in), test::run(stage, in)) == "");
        ++compared;
    }
    CHECK(compared > 40);
}

TEST_CASE("pool:maxblur matches the naive reference and torch fixtures") {
    sweep::Random rng(109U);
    for (const int h : sweep::kSizes) {
        for (const int w : sweep::kSizes) {
            ref::BlurSpec spec;
            spec.filter = rng.integer(1, 7);
            spec.stride_rows = spec.stride_cols = rng.integer(1, 3);
            const int k = rng.integer(1, 3);
            if (k > h || k > w || ref::blur_refused(h - k + 1, w - k + 1, spec)) {
                continue;
            }
            const ref::Image input = sweep::random_image(rng, 2, h, w, sweep::Values::signed_ties);
            const ref::Image expected = ref::max_blur_pool(input, k, k, spec);
            const std::string stage =
                fmt::format("pool:maxblur,k={},s={},filter={}", k, spec.stride_rows, spec.filter);
            CAPTURE(stage);
            convpool::Tensor got;
            if (sweep::run_stage(stage, input,
                                 sweep::shape_text(2, expected.height, expected.width), got)) {
                // The blur sums in float: within that rounding bound of the double reference
                // (the blur of max|x| over each max window bounds the blur of |max|).
                CHECK(sweep::within_float_sums(
                          expected, got, ref::max_blur_pool(sweep::absolute(input), k, k, spec),
                          2 * spec.filter + 1) == "");
            }
        }
    }
    CHECK(torch_fixtures::check_family("torch_modern.json", "maxblur",
                                       torch_fixtures::Compare::scaled) >= 6);
}

TEST_CASE(
    "pool:maxblur's fused fast path equals pool:max,k=K,s=1 then the separable blur bit for bit, "
    "with 1, 2 and 3 threads") {
    sweep::Random rng(112U);
    int compared = 0;
    for (int i = 0; i < 120; ++i) {
        const auto [kh, kw, filter, s, border] = random_params(rng, i);
        const bool large = i % 15 == 0;  // rows split over threads
        const ref::Image img = sweep::random_image(
            rng, rng.integer(1, 3), large ? rng.integer(500, 640) : rng.integer(1, 30),
            large ? rng.integer(300, 400) : rng.integer(1, 30),
            i % 4 == 3 ? sweep::Values::signed_ties_nan : sweep::Values::signed_ties);
        const convpool::Params blur_params(
            "pool:blur", convpool::ops::blur_param_specs(),
            {{"s", std::to_string(s)}, {"filter", std::to_string(filter)}, {"border", border}});
        const convpool::ops::BlurPool blur(blur_params);
        const std::string stage =
            fmt::format("pool:maxblur,k={}x{},s={},filter={},border={}", kh, kw, s, filter, border);
        CAPTURE(stage);
        const convpool::Tensor in = sweep::to_tensor(img);
        convpool::Tensor expected;
        try {
            expected =
                blur.apply_separable(test::run(fmt::format("pool:max,k={}x{},s=1", kh, kw), in));
        } catch (const convpool::ShapeError&) {
            continue;
        }
        for (const int threads : {1, 2, 3}) {
            CAPTURE(threads);
            convpool::set_thread_count(threads);
            const convpool::Tensor got = test::run(stage, in);
            REQUIRE(got.shape() == expected.shape());
            CHECK(fast_windows::same_bits(got, expected));
            if (!large) {
                break;
            }
        }
        convpool::set_thread_count(0);
        ++compared;
    }
    CHECK(compared > 60);
}
