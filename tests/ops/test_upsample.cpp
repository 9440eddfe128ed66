// upsample: torch.nn.functional.interpolate, nearest (legacy) and bilinear.
#include "convpool/core/error.hpp"
#include "convpool/pipeline/pipeline.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <string>
#include <vector>

#include "reference/reference_layers.hpp"
#include "reference/sweep.hpp"
#include "test_helpers.hpp"
#include "torch_fixtures.hpp"

TEST_CASE("upsample:scale=2 repeats every cell; bilinear blends neighbours") {
    const convpool::Tensor in = test::tensor(1, 2, 2, {1, 2, 3, 4});
    CHECK(test::values(test::run("upsample:scale=2", in)) ==
          std::vector<float>{1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4});
    // Bilinear, align_corners=False: output cell o reads (o + 0.5) / 2 - 0.5 = -0.25 (clamped
    // to 0), 0.25, 0.75, 1.25 (the last cell again): weights 0, 0.25, 0.75, 1 of the second.
    const auto row = test::values(test::run("upsample:scale=2,mode=bilinear", in));
    CHECK(std::vector<float>(row.begin(), row.begin() + 4) ==
          std::vector<float>{1, 1.25F, 1.75F, 2});
    CHECK(row[15] == 4.0F);
    // align_corners: o * (2 - 1) / (4 - 1) = 0, 1/3, 2/3, 1.
    const auto corners =
        test::values(test::run("upsample:scale=2,mode=bilinear,align-corners", in));
    CHECK(corners[0] == 1.0F);
    CHECK(corners[1] == doctest::Approx(4.0 / 3.0).epsilon(1e-6));
    CHECK(corners[3] == 2.0F);
    CHECK(corners[15] == 4.0F);
}

TEST_CASE("upsample: scale and size read other cells at a non-integer factor") {
    // 5 cells, scale=1.5 and size=7 both give 7 cells; nearest reads floor(o / 1.5) and
    // floor(o * 5 / 7), the same cells here.
    const convpool::Tensor in = test::tensor(1, 1, 5, {0, 1, 2, 3, 4});
    const auto by_scale = test::values(test::run("upsample:scale=1x1.5", in));
    const auto by_size = test::values(test::run("upsample:size=1x7", in));
    CHECK(by_scale == std::vector<float>{0, 0, 1, 2, 2, 3, 4});
    CHECK(by_size == std::vector<float>{0, 0, 1, 2, 2, 3, 4});
    // Bilinear tells them apart: (o + 0.5) / 1.5 - 0.5 against (o + 0.5) * 5 / 7 - 0.5.
    const auto lin_scale = test::values(test::run("upsample:scale=1x1.5,mode=bilinear", in));
    const auto lin_size = test::values(test::run("upsample:size=1x7,mode=bilinear", in));
    CHECK(lin_scale[1] == doctest::Approx(1.5 / 1.5 - 0.5));
    CHECK(lin_size[1] == doctest::Approx(1.5 * 5.0 / 7.0 - 0.5));
    CHECK(lin_scale[1] != lin_size[1]);
    // 6 cells to 10: floor(o / 1.7) and floor(o * 6 / 10) part at o = 5.
    const convpool::Tensor six = test::tensor(1, 1, 6, {0, 1, 2, 3, 4, 5});
    CHECK(test::values(test::run("upsample:scale=1x1.7", six)) ==
          std::vector<float>{0, 0, 1, 1, 2, 2, 3, 4, 4, 5});
    CHECK(test::values(test::run("upsample:size=1x10", six)) ==
          std::vector<float>{0, 0, 1, 1, 2, 3, 3, 4, 4, 5});
    // The output size is floor(input * scale).
    CHECK(convpool::Pipeline("upsample:scale=1.7").plan({2, 6, 7}).back().shape ==
          convpool::Shape{2, 10, 11});
}

TEST_CASE("upsample refuses what torch refuses") {
    CHECK_THROWS_WITH_AS(convpool::Pipeline("upsample"),
                         "stage 1 'upsample': upsample: give scale=R (or RHxRW) or size=HxW, one "
                         "of them",
                         convpool::UsageError);
    CHECK_THROWS_WITH_AS(convpool::Pipeline("upsample:scale=2,size=4"),
                         "stage 1 'upsample:scale=2,size=4': upsample: give scale=R (or RHxRW) or "
                         "size=HxW, one of them",
                         convpool::UsageError);
    CHECK_THROWS_WITH_AS(convpool::Pipeline("upsample:scale=2,align-corners"),
                         "stage 1 'upsample:scale=2,align-corners': upsample: align-corners "
                         "applies to mode=bilinear",
                         convpool::UsageError);
    const convpool::Pipeline p("upsample:scale=0.1");
    CHECK_THROWS_AS((void)p.plan({1, 5, 5}), convpool::ShapeError);
    const std::string text =
        convpool::Pipeline("upsample:size=3x4,mode=bilinear").stages().front().describe();
    CHECK(text == "upsample:size=3x4,mode=bilinear,align-corners=false");
    CHECK(convpool::Pipeline(text).stages().front().describe() == text);
}

TEST_CASE("upsample matches the naive reference over sizes, factors and modes") {
    sweep::Random rng(1403U);
    for (int i = 0; i < 150; ++i) {
        const int h = rng.integer(1, 9);
        const int w = rng.integer(1, 9);
        const ref::Image in =
            sweep::random_image(rng, rng.integer(1, 3), h, w, sweep::Values::signed_ties);
        const bool bilinear = rng.chance(60);
        const bool corners = bilinear && rng.chance(50);
        const bool by_size = rng.chance(50);
        double fh = 0.0;
        double fw = 0.0;
        int oh = rng.integer(1, 20);
        int ow = rng.integer(1, 20);
        std::string stage;
        if (by_size) {
            stage = fmt::format("upsample:size={}x{}", oh, ow);
        } else {
            // Factors in quarters and tenths from 0.5 to 4.
            fh = rng.integer(5, 40) / (rng.chance(50) ? 10.0 : 4.0);
            fw = rng.integer(5, 40) / (rng.chance(50) ? 10.0 : 4.0);
            oh = static_cast<int>(std::floor(h * fh));
            ow = static_cast<int>(std::floor(w * fw));
            if (oh < 1 || ow < 1) {
                continue;
            }
            stage = fmt::format("upsample:scale={}x{}", fh, fw);
        }
        stage += bilinear ? ",mode=bilinear" : "";
        stage += corners ? ",align-corners" : "";
        CAPTURE(stage);
        CAPTURE(h);
        CAPTURE(w);
        const ref::Image want = ref::interpolate(in, oh, ow, fh, fw, bilinear, corners);
        const convpool::Tensor got = test::run(stage, sweep::to_tensor(in));
        // nearest picks values: exact. bilinear: float against double blends.
        CHECK(sweep::difference(want, got, bilinear ? 1e-6 : 0.0, bilinear ? 1e-6 : 0.0).empty());
    }
}

TEST_CASE("upsample matches torch interpolate, nearest exactly and bilinear in float32") {
    CHECK(torch_fixtures::check_family("torch_layers.json", "nearest",
                                       torch_fixtures::Compare::exact) >= 9);
    CHECK(torch_fixtures::check_family("torch_layers.json", "bilinear",
                                       torch_fixtures::Compare::layer) >= 18);
}
