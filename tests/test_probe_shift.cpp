// probe's equivariance and consistency on inputs whose answers are known by hand: a constant
// image is equivariant and consistent in every mode, a checkerboard subsampled by 2 flips under a
// 1-pixel shift and comes back under a 2-pixel one, complementary checkerboard channels are
// consistent exactly for the crop pairs whose origins share a parity.
#include "convpool/commands/probe.hpp"
#include "convpool/core/error.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <string>
#include <vector>

#include "test_helpers.hpp"

using test::tensor;

namespace {

/// 1xHxW, (y + x) % 2; with `complement`, a second channel 1 - that.
convpool::Tensor checkerboard(int h, int w, bool complement = false) {
    const int channels = complement ? 2 : 1;
    convpool::Tensor t(convpool::Shape{channels, h, w}, 0.0F);
    for (int y = 0; y < h; ++y) {
        for (int x = 0; x < w; ++x) {
            const auto v = static_cast<float>((y + x) % 2);
            t.at(0, y, x) = v;
            if (complement) {
                t.at(1, y, x) = 1.0F - v;
            }
        }
    }
    return t;
}

convpool::ProbeOptions options(int shifts, int pairs) {
    convpool::ProbeOptions o;
    o.shifts = shifts;
    o.pairs = pairs;
    o.noise = {};
    o.salt_pepper = 0.0;
    return o;
}

}  // namespace

TEST_CASE("probe: the default shifts are 1..8 px; consistency at cosine 0.99, off by default") {
    const convpool::ProbeOptions o;
    CHECK(o.shifts == 8);
    CHECK(o.pairs == 0);  // the CLI's default is 4 (tests/cli/test_compare_probe.py)
    CHECK(o.cos_tolerance == 0.99);
}

TEST_CASE("pipeline_stride: products of strides; none for pools without a fixed stride") {
    const convpool::Shape in{1, 40, 30};
    const auto stride = [&in](const std::string& text) {
        return convpool::pipeline_stride(text, in, convpool::Semantics::torch);
    };
    REQUIRE(stride("").has_value());
    CHECK(stride("")->y == 1);
    CHECK(stride("conv:box | relu")->x == 1);
    const auto six = stride("pool:max,k=2,s=2 | pool:avg,k=3,s=3");
    REQUIRE(six.has_value());
    CHECK(six->y == 6);
    CHECK(six->x == 6);
    const auto blur = stride("pool:blur,s=2,filter=4");
    REQUIRE(blur.has_value());
    CHECK(blur->y == 2);
    const auto rect = stride("pool:max,k=2,s=2x3");
    REQUIRE(rect.has_value());
    CHECK(rect->y == 2);
    CHECK(rect->x == 3);
    CHECK_FALSE(stride("pool:adaptive-max,out=4").has_value());
    CHECK_FALSE(stride("pool:global-avg").has_value());
}

TEST_CASE("aligned_agreement: b moved by (dy, dx) cells is compared where it meets a") {
    const auto a = tensor(1, 3, 3, {1, 2, 3, 4, 5, 6, 7, 8, 9});
    // b = a moved right by one column: b(y, x) = a(y, x - 1), b's first column unknown (0).
    const auto b = tensor(1, 3, 3, {0, 1, 2, 0, 4, 5, 0, 7, 8});
    // b's (y, x) meets a's (y, x - 1): dx = -1, x in [1, 3).
    const auto same = convpool::aligned_agreement(a, b, 0, -1);
    CHECK(same.identical == 1.0);
    CHECK(same.correlation == doctest::Approx(1.0));
    // Without moving back, 0 of 9 cells agree.
    CHECK(convpool::aligned_agreement(a, b, 0, 0).identical == 0.0);
    // No overlap: NaN.
    CHECK(std::isnan(convpool::aligned_agreement(a, b, 3, 0).identical));
}

TEST_CASE("probe: a constant image is equivariant and consistent in every mode") {
    const convpool::Tensor flat(convpool::Shape{3, 24, 24}, 0.4F);
    const auto modes = convpool::parse_modes("max,avg,blur,maxblur,soft,gem,mixed,median");
    const auto targets =
        convpool::mode_targets("", modes, "2", "", 0, flat.shape(), convpool::Semantics::torch);
    const auto report = convpool::probe(flat, targets, options(4, 2));
    REQUIRE(report.pools.size() == modes.size());
    for (const auto& p : report.pools) {
        CAPTURE(p.stage);
        REQUIRE(p.stride.has_value());
        CHECK(p.stride->y == 2);
        REQUIRE(p.equivariance.size() == 2);  // shifts 2 and 4
        CHECK(p.equivariance[0].shift == 2);
        CHECK(p.equivariance[1].shift == 4);
        for (const auto& e : p.equivariance) {
            CHECK(e.identical_pool == 1.0);
            CHECK(e.correlation_pool == 1.0);
            CHECK(e.identical_pre == 1.0);
        }
        REQUIRE(p.consistency.size() == 9);  // every pair, then offsets 1..8
        CHECK(p.consistency[0].offset == 0);
        CHECK(p.consistency[0].pairs == 16);
        for (const auto& c : p.consistency) {
            CHECK(c.consistent_pool == 1.0);
            CHECK(c.cosine_pool == 1.0);
            CHECK(c.same_argmax_pool == 1.0);
        }
    }
}

TEST_CASE("probe: a checkerboard subsampled by 2 flips under 1 px and comes back under 2 px") {
    const auto board = checkerboard(20, 20);
    const std::vector<convpool::ProbeTarget> targets{{"sub", "", "pool:max,k=1,s=2"}};
    const auto report = convpool::probe(board, targets, options(2, 0));
    const auto& p = report.pools.at(0);
    REQUIRE(p.shift.size() == 2);
    // Shift 1: the 4 diagonal moves keep the parity (identical), the 4 axis moves flip every
    // output (all 0 against all 1: no cell identical, correlation 0 of two constant maps).
    CHECK(p.shift[0].identical_pool == 0.5);
    CHECK(p.shift[0].correlation_pool == 0.5);
    // Shift 2 keeps the parity in every direction.
    CHECK(p.shift[1].identical_pool == 1.0);
    // Equivariance exists only at shift 2 (stride 2), and there it is exact.
    REQUIRE(p.equivariance.size() == 1);
    CHECK(p.equivariance[0].shift == 2);
    CHECK(p.equivariance[0].identical_pool == 1.0);
    CHECK(p.equivariance[0].correlation_pool == 1.0);
    // The pre-pool map (stride 1) moved back by 2 pixels is itself again.
    CHECK(p.equivariance[0].identical_pre == 1.0);
    CHECK(p.consistency.empty());  // --pairs 0
}

TEST_CASE("probe: consistency of an identity pool is 1, of complementary checkerboards a parity") {
    // One positive channel: any two mean vectors point the same way.
    std::vector<float> v;
    v.reserve(std::size_t{16} * 16);
    for (int i = 0; i < 16 * 16; ++i) {
        v.push_back(0.1F + static_cast<float>((i * 37) % 11));
    }
    const auto ramp = tensor(1, 16, 16, v);
    const std::vector<convpool::ProbeTarget> identity{{"id", "", "pool:max,k=1,s=1"}};
    const auto one = convpool::probe(ramp, identity, options(0, 3));
    CHECK(one.pools.at(0).consistency.at(0).consistent_pool == 1.0);
    CHECK(one.pools.at(0).consistency.at(0).consistent_pre == 1.0);

    // Two complementary checkerboards subsampled by 2: a crop at origin (y, x) gives the mean
    // vector (1, 0) or (0, 1) by the parity of y + x, so a pair is consistent (cosine 1) when
    // its origins share the parity and not (cosine 0) otherwise.
    const auto boards = checkerboard(20, 20, true);
    const std::vector<convpool::ProbeTarget> sub{{"sub", "", "pool:max,k=1,s=2"}};
    constexpr int kPairs = 5;
    auto o = options(0, kPairs);
    o.seed = 11;
    const auto report = convpool::probe(boards, sub, o);
    const auto origins = convpool::consistency_origins(kPairs, 11);
    REQUIRE(origins.size() == 8 * kPairs);
    int same = 0;
    for (const auto& org : origins) {
        same += (org[0] + org[1]) % 2 == (org[2] + org[3]) % 2 ? 1 : 0;
    }
    const auto& all = report.pools.at(0).consistency.at(0);
    CHECK(all.pairs == 8 * kPairs);
    CHECK(all.consistent_pool == doctest::Approx(same / (8.0 * kPairs)));
    CHECK(all.cosine_pool == doctest::Approx(same / (8.0 * kPairs)));
    // (1, 0) and (0, 1) peak in different channels: the argmax agrees exactly as often.
    CHECK(all.same_argmax_pool == doctest::Approx(same / (8.0 * kPairs)));
    // Before the pool a 12x12 crop holds as many 0s as 1s in each channel: means (1/2, 1/2),
    // whose tie goes to the first channel in both crops.
    CHECK(all.consistent_pre == 1.0);
    CHECK(all.same_argmax_pre == 1.0);
    CHECK(same > 0);
    CHECK(same < 8 * kPairs);
}

TEST_CASE("consistency_origins: seeded, inside [0, 8]^2, at each offset 1..8") {
    const auto a = convpool::consistency_origins(3, 5);
    CHECK(a == convpool::consistency_origins(3, 5));
    CHECK_FALSE(a == convpool::consistency_origins(3, 6));
    REQUIRE(a.size() == 24);
    for (std::size_t i = 0; i < a.size(); ++i) {
        const auto& o = a[i];
        for (const int v : o) {
            CHECK(v >= 0);
            CHECK(v <= 8);
        }
        CHECK(std::max(std::abs(o[0] - o[2]), std::abs(o[1] - o[3])) ==
              static_cast<int>(i / 3) + 1);
    }
}

TEST_CASE("mean_vector_cosine: per-channel means compared by angle") {
    const auto ones = tensor(2, 1, 2, {1, 1, 0, 0});    // means (1, 0)
    const auto other = tensor(2, 1, 2, {0, 0, 3, 1});   // means (0, 2)
    const auto scaled = tensor(2, 1, 2, {2, 4, 0, 0});  // means (3, 0)
    const auto zero = tensor(2, 1, 2, {0, 0, 0, 0});
    const auto diag = tensor(2, 1, 2, {1, 1, 1, 1});  // means (1, 1)
    CHECK(convpool::mean_vector_cosine(ones, other) == 0.0);
    CHECK(convpool::mean_vector_cosine(ones, scaled) == doctest::Approx(1.0));
    CHECK(convpool::mean_vector_cosine(zero, zero) == 1.0);
    CHECK(convpool::mean_vector_cosine(zero, ones) == 0.0);
    CHECK(convpool::mean_vector_cosine(ones, diag) == doctest::Approx(std::sqrt(0.5)));
}

TEST_CASE("same_argmax: the largest per-channel mean in the same channel") {
    const auto a = tensor(3, 1, 2, {1, 1, 2, 4, 0, 4});    // means (1, 3, 2)
    const auto b = tensor(3, 1, 2, {0, 0, 9, 1, 3, 3});    // means (0, 5, 3)
    const auto c = tensor(3, 1, 2, {8, 0, 2, 4, 0, 4});    // means (4, 3, 2)
    const auto tie = tensor(3, 1, 2, {3, 3, 1, 5, 0, 0});  // means (3, 3, 0): the first
    const auto nan = tensor(3, 1, 2, {1, 1, 2, 4, 0, std::nanf("")});
    CHECK(convpool::same_argmax(a, b));
    CHECK_FALSE(convpool::same_argmax(a, c));
    CHECK(convpool::same_argmax(c, tie));
    CHECK_FALSE(convpool::same_argmax(a, tie));
    CHECK_FALSE(convpool::same_argmax(nan, nan));
    CHECK_THROWS_AS((void)convpool::same_argmax(a, tensor(1, 1, 2, {1, 1})), convpool::ShapeError);
}

TEST_CASE("stack_targets: every pooling stage becomes the mode; the last is measured") {
    const convpool::Pipeline stack("relu | pool:max,k=3 | conv:box | pool:avg,k=2",
                                   convpool::Semantics::torch);
    const convpool::Shape in{1, 24, 24};
    const auto t = convpool::stack_targets(stack, convpool::parse_modes("blur,max,adaptive-max"),
                                           "2", "", 0, in, "", false, {});
    REQUIRE(t.size() == 3);
    CHECK(t[0].label == "blur");
    CHECK(t[0].prefix == "relu | pool:blur,s=2 | conv:box");
    CHECK(t[0].pool == "pool:blur,s=2");
    CHECK(t[1].prefix == "relu | pool:max,k=2,s=2 | conv:box");
    CHECK(t[1].pool == "pool:max,k=2,s=2");
    // An output-size mode gets the size max k=2 gives on the map feeding each stage: 24 -> 12,
    // then 12 -> 6 (conv:box keeps the size).
    CHECK(t[2].prefix == "relu | pool:adaptive-max,out=12x12 | conv:box");
    CHECK(t[2].pool == "pool:adaptive-max,out=6x6");
    // The pipeline must end with a pooling stage.
    CHECK_THROWS_WITH_AS((void)convpool::stack_targets(
                             convpool::Pipeline("pool:max | relu", convpool::Semantics::torch),
                             {"max"}, "2", "", 0, in, "", false, {}),
                         doctest::Contains("--replace-pools"), convpool::UsageError);
}

TEST_CASE("probe: consistency is skipped, said why, on an input of 8 pixels or less") {
    const convpool::Tensor small(convpool::Shape{1, 8, 20}, 0.5F);
    const std::vector<convpool::ProbeTarget> t{{"max", "", "pool:max,k=2"}};
    const auto report = convpool::probe(small, t, options(0, 1));
    CHECK(report.pools.at(0).consistency.empty());
    CHECK(report.consistency_skipped.find("input is 1x8x20") != std::string::npos);
    CHECK(convpool::probe_table(report).find("not measured") != std::string::npos);
    CHECK(convpool::probe_json(report).find("\"consistency_skipped\": \"not measured") !=
          std::string::npos);
    CHECK(convpool::probe(convpool::Tensor(convpool::Shape{1, 10, 10}, 0.5F), t, options(0, 1))
              .consistency_skipped.empty());
}

TEST_CASE("probe: refuses a cosine tolerance outside [-1, 1] and more than 64 pairs") {
    const std::vector<convpool::ProbeTarget> t{{"max", "", "pool:max,k=2"}};
    const convpool::Tensor in(convpool::Shape{1, 12, 12}, 0.5F);
    auto o = options(0, 1);
    o.cos_tolerance = 1.5;
    CHECK_THROWS_WITH_AS((void)convpool::probe(in, t, o), doctest::Contains("--cos-tolerance"),
                         convpool::UsageError);
    o = options(0, 65);
    CHECK_THROWS_WITH_AS((void)convpool::probe(in, t, o), doctest::Contains("--pairs"),
                         convpool::UsageError);
}
