// pool:blur (BlurPool, Zhang 2019): hand-checked filters and borders, the refusal torch makes,
// the naive reference over sizes, filters, strides and borders, and torch fixtures.
#include "convpool/core/error.hpp"
#include "convpool/core/parallel.hpp"
#include "convpool/pipeline/pipeline.hpp"

#include <doctest/doctest.h>
#include <fmt/format.h>

#include <array>
#include <memory>
#include <string>

#include "fast_windows.hpp"
#include "ops/common/blur.hpp"
#include "reference/reference_modern.hpp"
#include "reference/sweep.hpp"
#include "test_helpers.hpp"
#include "torch_fixtures.hpp"

namespace {

/// The planned output shape of `stage` on `in`, as "CxHxW".
std::string planned(const std::string& stage, const convpool::Shape& in) {
    return sweep::shape_text(convpool::Pipeline(stage).plan(in).back().shape);
}

const char* border_text(ref::Border b) {
    return b == ref::Border::zero        ? "zero"
           : b == ref::Border::replicate ? "replicate"
                                         : "reflect101";
}

}  // namespace

TEST_CASE("pool:blur of an impulse is the binomial filter outer([1 2 1], [1 2 1]) / 16") {
    std::vector<float> impulse(25, 0.0F);
    impulse[12] = 1.0F;
    const auto out = test::values(
        test::run("pool:blur,s=1,filter=3,border=zero", test::tensor(1, 5, 5, impulse)));
    REQUIRE(out.size() == 25);
    const std::vector<float> expected{0, 0,         0,         0,         0,  //
                                      0, 1.0F / 16, 2.0F / 16, 1.0F / 16, 0,  //
                                      0, 2.0F / 16, 4.0F / 16, 2.0F / 16, 0,  //
                                      0, 1.0F / 16, 2.0F / 16, 1.0F / 16, 0,  //
                                      0, 0,         0,         0,         0};
    CHECK(out == expected);
}

TEST_CASE("pool:blur on a ramp: reflect101 and replicate pad [1 3 3 1]/8 as torch does") {
    // value 4y + x + 1 is linear, so the output is 4*E[y] + E[x] + 1 with E the filter's mean
    // of the padded coordinates. reflect101, 1 before and 2 after: rows read [1 0 1 2] -> 0.75
    // and [1 2 3 2] -> 2.25.
    CHECK(test::values(test::run("pool:blur", test::ramp4x4())) ==
          std::vector<float>{4.75F, 6.25F, 10.75F, 12.25F});
    // replicate: [0 0 1 2] -> 5/8 and [1 2 3 3] -> 19/8.
    CHECK(test::values(test::run("pool:blur,border=replicate", test::ramp4x4())) ==
          std::vector<float>{4.125F, 5.875F, 11.125F, 12.875F});
    // filter=1 is plain subsampling; a constant stays constant under every border but zero.
    CHECK(test::values(test::run("pool:blur,filter=1", test::ramp4x4())) ==
          std::vector<float>{1, 3, 9, 11});
    CHECK(test::values(test::run("pool:blur,filter=7,s=3",
                                 test::tensor(1, 4, 4, std::vector<float>(16, 2.5F)))) ==
          std::vector<float>{2.5F, 2.5F, 2.5F, 2.5F});
}

TEST_CASE(
    "pool:blur output is ceil(in/s) per axis; reflect101 refuses an input not longer than "
    "its padding") {
    CHECK(planned("pool:blur", {3, 17, 23}) == "3x9x12");
    CHECK(planned("pool:blur,s=3x1,filter=5", {1, 17, 23}) == "1x6x23");
    CHECK(planned("pool:blur,filter=4", {1, 3, 3}) == "1x2x2");
    // filter 4 pads 1 before and 2 after: ReflectionPad2d needs more than 2 cells.
    CHECK_THROWS_WITH_AS((void)convpool::Pipeline("pool:blur").plan({1, 2, 9}),
                         doctest::Contains("border=reflect101"), convpool::ShapeError);
    CHECK_THROWS_AS((void)convpool::Pipeline("pool:blur,filter=7").plan({1, 9, 3}),
                    convpool::ShapeError);
    CHECK(planned("pool:blur,border=replicate", {1, 2, 9}) == "1x1x5");
    CHECK(planned("pool:blur,filter=7,border=zero", {1, 1, 1}) == "1x1x1");
    CHECK(planned("pool:blur,filter=1", {1, 1, 1}) == "1x1x1");
}

TEST_CASE("pool:blur is the same under every --semantics; parameters it lacks are refused") {
    for (const convpool::Semantics s : convpool::kAllSemantics) {
        const convpool::Pipeline p("pool:blur,s=2", s);
        CHECK(sweep::shape_text(p.plan({1, 9, 9}).back().shape) == "1x5x5");
    }
    CHECK_THROWS_WITH_AS(convpool::Pipeline("pool:blur,ceil=true"),
                         doctest::Contains("unknown parameter 'ceil'"), convpool::UsageError);
    CHECK_THROWS_WITH_AS(convpool::Pipeline("pool:blur,pad=1"),
                         doctest::Contains("unknown parameter 'pad'"), convpool::UsageError);
    CHECK_THROWS_WITH_AS(convpool::Pipeline("pool:blur,border=reflect"),
                         doctest::Contains("did you mean 'reflect101'"), convpool::UsageError);
}

TEST_CASE("pool:blur matches the naive reference over sizes, filters 1 to 7, strides and borders") {
    sweep::Random rng(107U);
    constexpr std::array<ref::Border, 3> kBorders{ref::Border::reflect101, ref::Border::replicate,
                                                  ref::Border::zero};
    int compared = 0;
    int refused = 0;
    for (const int h : sweep::kSizes) {
        for (const int w : sweep::kSizes) {
            for (int filter = 1; filter <= 7; ++filter) {
                for (const ref::Border border : kBorders) {
                    ref::BlurSpec spec;
                    spec.filter = filter;
                    spec.stride_rows = rng.integer(1, 3);
                    spec.stride_cols = rng.integer(1, 3);
                    spec.border = border;
                    const int c = rng.integer(1, 3);
                    const std::string stage =
                        fmt::format("pool:blur,s={}x{},filter={},border={}", spec.stride_rows,
                                    spec.stride_cols, filter, border_text(border));
                    CAPTURE(stage);
                    CAPTURE(h);
                    CAPTURE(w);
                    if (ref::blur_refused(h, w, spec)) {
                        CHECK_THROWS_AS((void)convpool::Pipeline(stage).plan({c, h, w}),
                                        convpool::ShapeError);
                        ++refused;
                        continue;
                    }
                    const ref::Image input =
                        sweep::random_image(rng, c, h, w,
                                            (h + w) % 4 == 0 ? sweep::Values::signed_ties_nan
                                                             : sweep::Values::signed_ties);
                    const ref::Image expected = ref::blur_pool(input, spec);
                    convpool::Tensor got;
                    if (sweep::run_stage(stage, input,
                                         sweep::shape_text(c, expected.height, expected.width),
                                         got)) {
                        // Float sums, as torch's conv2d: within their rounding bound of the
                        // reference's double sum (which is exact for these inputs).
                        CHECK(sweep::within_float_sums(expected, got,
                                                       ref::blur_pool(sweep::absolute(input), spec),
                                                       2 * filter + 1) == "");
                        ++compared;
                    }
                }
            }
        }
    }
    CHECK(compared > 400);
    CHECK(refused > 30);
}

TEST_CASE("pool:blur matches torch F.pad + depthwise F.conv2d fixtures (antialiased-cnns)") {
    CHECK(torch_fixtures::check_family("torch_modern.json", "blur",
                                       torch_fixtures::Compare::scaled) >= 13);
}

namespace {

/// A BlurPool of random filter size (1..7), strides (1..max_stride per axis) and border (by
/// case number), with its parameters kept for CAPTURE.
struct RandomBlur {
    int filter = 1;
    std::string s;
    std::string border;
    std::unique_ptr<convpool::ops::BlurPool> op;

    /// The parameters and a c x h x w input, for CAPTURE.
    [[nodiscard]] std::string describe(int c, int h, int w) const {
        return fmt::format("filter={} s={} border={} on {}x{}x{}", filter, s, border, c, h, w);
    }
    /// Whether the op takes a c x h x w input (reflect101 refuses one not longer than its padding).
    [[nodiscard]] bool takes(int c, int h, int w) const {
        try {
            (void)op->output_shape({c, h, w});
        } catch (const convpool::ShapeError&) {
            return false;
        }
        return true;
    }
};

RandomBlur random_blur(sweep::Random& rng, int max_stride, int i) {
    constexpr std::array<const char*, 3> kBorderNames{"reflect101", "replicate", "zero"};
    RandomBlur b;
    b.filter = rng.integer(1, 7);
    const int sh = rng.integer(1, max_stride);
    b.s = fmt::format("{}x{}", sh, rng.integer(1, max_stride));
    b.border = kBorderNames[static_cast<std::size_t>(i % 3)];
    b.op = std::make_unique<convpool::ops::BlurPool>(
        convpool::Params("pool:blur", convpool::ops::blur_param_specs(),
                         {{"s", b.s}, {"filter", std::to_string(b.filter)}, {"border", b.border}}));
    return b;
}

}  // namespace

TEST_CASE(
    "pool:blur's separable path (rows, then columns, in float) is within the float sums' "
    "rounding bound of the plain double loop") {
    sweep::Random rng(110U);
    int compared = 0;
    int identical = 0;
    for (int i = 0; i < 300; ++i) {
        const RandomBlur b = random_blur(rng, 3, i);
        const convpool::ops::BlurPool& op = *b.op;
        const int c = rng.integer(1, 3);
        const int h = rng.integer(1, 40);
        const int w = rng.integer(1, 40);
        const std::string blur = b.describe(c, h, w);
        CAPTURE(blur);
        if (!b.takes(c, h, w)) {
            continue;
        }
        ref::Image img = sweep::random_image(
            rng, c, h, w, i % 5 == 4 ? sweep::Values::signed_ties_nan : sweep::Values::signed_ties);
        if (i % 7 == 6) {
            for (float& v : img.values) {
                v *= std::pow(10.0F, static_cast<float>(rng.integer(-20, 20)));  // wide range
            }
        }
        const convpool::Tensor in = sweep::to_tensor(img);
        const convpool::Tensor plain = op.apply_plain(in);
        const convpool::Tensor fast = op.apply_separable(in);
        const convpool::Tensor magnitude = op.apply_plain(sweep::to_tensor(sweep::absolute(img)));
        CHECK(sweep::within_float_sums(sweep::to_image(plain), fast, sweep::to_image(magnitude),
                                       2 * b.filter + 1) == "");
        identical += sweep::difference(plain, fast).empty() ? 1 : 0;
        ++compared;
    }
    CHECK(compared > 200);
    CHECK(identical > compared / 10);  // some agree bit for bit (e.g. filter=1 copies values)
}

TEST_CASE("pool:blur's fast path equals the separable loop bit for bit, with 1, 2 and 3 threads") {
    sweep::Random rng(111U);
    int compared = 0;
    for (int i = 0; i < 240; ++i) {
        const RandomBlur b = random_blur(rng, 5, i);
        const convpool::ops::BlurPool& op = *b.op;
        // Every 20th case is large enough that the rows are split over threads.
        const bool large = i % 20 == 0;
        const int c = rng.integer(1, 3);
        const int h = large ? rng.integer(500, 700) : rng.integer(1, 40);
        const int w = large ? rng.integer(300, 400) : rng.integer(1, 40);
        const std::string blur = b.describe(c, h, w);
        CAPTURE(blur);
        if (!b.takes(c, h, w)) {
            continue;
        }
        const ref::Image img = sweep::random_image(
            rng, c, h, w, i % 4 == 3 ? sweep::Values::signed_ties_nan : sweep::Values::signed_ties);
        const convpool::Tensor in = sweep::to_tensor(img);
        const convpool::Tensor separable = op.apply_separable(in);
        for (const int threads : {1, 2, 3}) {
            CAPTURE(threads);
            convpool::set_thread_count(threads);
            CHECK(fast_windows::same_bits(op.apply(in), separable));
            if (!large) {
                break;
            }
        }
        convpool::set_thread_count(0);
        ++compared;
    }
    CHECK(compared > 150);
}
