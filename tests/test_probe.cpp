// probe.hpp and compare.hpp on inputs whose answers are known: a constant image is shift
// invariant in every mode, a bright pixel moved inside its window leaves max pooling unchanged,
// zero noise gives infinite PSNR, a 1x1 pool with stride 1 loses nothing; plus the seeded noise,
// crops, nearest upsampling and mode parsing.
#include "convpool/commands/compare.hpp"
#include "convpool/commands/probe.hpp"
#include "convpool/core/error.hpp"
#include "convpool/report/metrics.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "test_helpers.hpp"

using test::run;
using test::tensor;
using test::values;

namespace {

/// Every mode after `prefix` with k=2, s=2 on `in`.
std::vector<convpool::ProbeTarget> every_mode(const convpool::Tensor& in,
                                              const std::string& prefix = "") {
    const auto modes =
        convpool::parse_modes("max,avg,min,lp,stochastic,fractional,adaptive-max,adaptive-avg");
    const convpool::Shape pre =
        prefix.empty() ? in.shape() : convpool::Pipeline(prefix).plan(in.shape()).back().shape;
    return convpool::mode_targets(prefix, modes, "2", "", 7, pre, convpool::Semantics::torch);
}

/// A 1x12x12 image, 0 except `bright` at (y, x).
convpool::Tensor dot(int y, int x) {
    convpool::Tensor t(convpool::Shape{1, 12, 12}, 0.0F);
    t.at(0, y, x) = 1.0F;
    return t;
}

}  // namespace

TEST_CASE("probe: a constant image is 100 % shift invariant in every mode") {
    const convpool::Tensor flat(convpool::Shape{1, 16, 16}, 0.4F);
    convpool::ProbeOptions o;
    o.shifts = 3;
    o.noise = {};
    o.salt_pepper = 0.0;
    for (const std::string prefix : {"", "conv:box | relu"}) {
        CAPTURE(prefix);
        const auto report = convpool::probe(flat, every_mode(flat, prefix), o);
        REQUIRE(report.pools.size() == 8);
        for (const auto& p : report.pools) {
            CAPTURE(p.stage);
            REQUIRE(p.shift.size() == 3);
            for (const auto& s : p.shift) {
                CAPTURE(s.shift);
                CHECK(s.identical_pool == 1.0);
                CHECK(s.correlation_pool == 1.0);
                CHECK(s.identical_pre == 1.0);
            }
        }
    }
}

TEST_CASE("probe: a bright pixel moved inside one 2x2 window leaves max pooling unchanged") {
    // (4,4) and (5,5) share the window rows 4-5, columns 4-5 of a 2x2/2 pool.
    const auto a = dot(4, 4);
    const auto b = dot(5, 5);
    const auto max_a = run("pool:max,k=2,s=2", a);
    const auto max_b = run("pool:max,k=2,s=2", b);
    CHECK(convpool::fraction_identical(max_a.data(), max_b.data()) == 1.0);
    CHECK(std::isinf(convpool::psnr(max_a, max_b)));
    // The map feeding the pool did change: two of 144 cells differ.
    CHECK(convpool::fraction_identical(a.data(), b.data()) == doctest::Approx(142.0 / 144.0));
    // An average over overlapping 2x2 windows (stride 1) sees the move...
    const auto avg_a = run("pool:avg,k=2,s=1", a);
    const auto avg_b = run("pool:avg,k=2,s=1", b);
    CHECK(convpool::fraction_identical(avg_a.data(), avg_b.data()) < 1.0);
    // ...as does max pooling once the pixel leaves its window: (4,4) -> (4,6).
    CHECK(convpool::fraction_identical(max_a.data(), run("pool:max,k=2,s=2", dot(4, 6)).data()) <
          1.0);
    // The non-overlapping average keeps its sum (the window's mean is order-free), so it is
    // unchanged too: only where windows overlap does the average see a move inside one window.
    CHECK(values(run("pool:avg,k=2,s=2", a)) == values(run("pool:avg,k=2,s=2", b)));
}

TEST_CASE("probe: zero noise gives infinite PSNR and SSIM 1, reported as such") {
    const auto in = run("conv:gaussian", dot(6, 6));
    convpool::ProbeOptions o;
    o.shifts = 1;
    o.noise = {0.0, 0.1};
    o.salt_pepper = 0.0;
    const auto report = convpool::probe(in, every_mode(in), o);
    for (const auto& p : report.pools) {
        CAPTURE(p.stage);
        REQUIRE(p.noise.size() == 2);
        CHECK(std::isinf(p.noise[0].psnr_pool));
        CHECK(std::isinf(p.noise[0].psnr_pre));
        CHECK(p.noise[0].ssim_pool == doctest::Approx(1.0));
        CHECK(std::isfinite(p.noise[1].psnr_pool));
    }
    CHECK(convpool::probe_table(report).find(" inf ") != std::string::npos);
    CHECK(convpool::probe_json(report).find("\"psnr_db\": \"inf\"") != std::string::npos);
}

TEST_CASE("probe: a 1x1 pool with stride 1 loses no information") {
    std::vector<float> v;
    v.reserve(std::size_t{2} * 9 * 10);
    for (int i = 0; i < 2 * 9 * 10; ++i) {
        v.push_back(static_cast<float>((i * 29) % 17) / 16.0F);
    }
    const auto in = tensor(2, 9, 10, v);
    convpool::ProbeOptions o;
    o.shifts = 1;
    o.noise = {0.05};
    const std::vector<convpool::ProbeTarget> targets{{"max", "", "pool:max,k=1,s=1"},
                                                     {"avg", "", "pool:avg,k=1,s=1"},
                                                     {"min", "", "pool:min,k=1"}};
    const auto report = convpool::probe(in, targets, o);
    for (const auto& p : report.pools) {
        CAPTURE(p.stage);
        CHECK(p.pool_shape == p.pre_shape);
        CHECK(std::isinf(p.loss.psnr_nearest));
        CHECK(p.loss.ssim_nearest == doctest::Approx(1.0));
        CHECK(p.loss.discarded == 0.0);
        CHECK(p.loss.entropy_pool == p.loss.entropy_pre);
        // Pooling by 1 is the identity, so it tolerates noise exactly as the map feeding it.
        CHECK(p.noise[0].psnr_pool == p.noise[0].psnr_pre);
        CHECK(p.shift[0].identical_pool == p.shift[0].identical_pre);
    }
    REQUIRE(report.pools[0].loss.psnr_unpool.has_value());
    CHECK(std::isinf(*report.pools[0].loss.psnr_unpool));
    CHECK_FALSE(report.pools[1].loss.psnr_unpool.has_value());
}

TEST_CASE("probe: information loss of 2x2 max pooling on a hand-checked map") {
    // 1x2x4: windows [1 2; 5 6] and [3 0; 0 8]: max 6 and 8; nearest upsampling rebuilds
    // 6 6 8 8 / 6 6 8 8; unpooling rebuilds 0 0 0 0 / 0 6 0 8.
    const auto in = tensor(1, 2, 4, {1, 2, 3, 0, 5, 6, 0, 8});
    convpool::ProbeOptions o;
    o.shifts = 0;
    o.noise = {};
    o.salt_pepper = 0.0;
    const auto report =
        convpool::probe(in, {{"max", "", "pool:max,k=2"}, {"avg", "", "pool:avg,k=2"}}, o);
    const auto& max = report.pools[0];
    // MSE of nearest: (25+16+25+64+1+0+64+0)/8 = 195/8; L = 8 -> 10 log10(64 / 24.375).
    CHECK(max.loss.psnr_nearest == doctest::Approx(10.0 * std::log10(64.0 / (195.0 / 8.0))));
    // MSE of unpooling: (1+4+9+0+25+0+0+0)/8 = 39/8.
    CHECK(*max.loss.psnr_unpool == doctest::Approx(10.0 * std::log10(64.0 / (39.0 / 8.0))));
    CHECK(max.loss.discarded == doctest::Approx(6.0 / 8.0));
    CHECK(max.loss.selecting);
    CHECK(report.pools[1].loss.discarded == 0.0);  // an average reads every cell
    CHECK_FALSE(report.pools[1].loss.selecting);
    CHECK(max.pool_shape.elements() == 2);
    CHECK(max.pre_shape.elements() == 8);
}

TEST_CASE("probe: every pooling stage of a pipeline, with the stages before it") {
    const convpool::Pipeline p("conv:box | relu | pool:max,k=2 | abs | pool:avg,k=3,s=1");
    const auto targets = convpool::pipeline_targets(p);
    REQUIRE(targets.size() == 2);
    CHECK(targets[0].label == "03 pool:max");
    CHECK(targets[0].prefix == "conv:box | relu");
    CHECK(targets[0].pool == "pool:max,k=2");
    CHECK(targets[1].prefix == "conv:box | relu | pool:max,k=2 | abs");
    CHECK_THROWS_WITH_AS(
        (void)convpool::pipeline_targets(convpool::Pipeline("conv:box | relu")),
        "probe: the pipeline has no pooling stage (pool:...); add one or give --modes",
        convpool::UsageError);
}

TEST_CASE("probe: --modes are checked and given one kernel, stride and output size") {
    CHECK(convpool::parse_modes("max, pool:avg,fractional") ==
          std::vector<std::string>{"max", "avg", "fractional"});
    CHECK_THROWS_WITH_AS(
        (void)convpool::parse_modes("max,mx"),
        "--modes: unknown pooling mode 'mx' (did you mean 'max'?) (valid: max, avg, min, lp, "
        "gem, soft, mixed, median, blur, maxblur, spp, adaptive-max, adaptive-avg, stochastic, "
        "fractional)",
        convpool::UsageError);
    CHECK_THROWS_AS((void)convpool::parse_modes("max,max"), convpool::UsageError);
    const auto t = convpool::mode_targets("relu", {"max", "stochastic", "fractional"}, "3", "2", 5,
                                          convpool::Shape{1, 11, 20}, convpool::Semantics::torch);
    REQUIRE(t.size() == 3);
    CHECK(t[0].pool == "pool:max,k=3,s=2");
    CHECK(t[1].pool == "pool:stochastic,k=3,s=2,seed=5,negative=clip");
    CHECK(t[2].pool == "pool:fractional,out=5x9,seed=5");
    CHECK(t[2].prefix == "relu");
}

TEST_CASE("probe: shifts need an input larger than twice the shift") {
    convpool::ProbeOptions o;
    o.shifts = 2;
    const convpool::Tensor small(convpool::Shape{1, 4, 8}, 0.0F);
    CHECK_THROWS_AS((void)convpool::probe(small, {{"max", "", "pool:max,k=1"}}, o),
                    convpool::ShapeError);
}

TEST_CASE("noise: seeded, Box-Muller normals with mean 0 and the asked sigma") {
    const convpool::Tensor zero(convpool::Shape{1, 200, 250}, 0.0F);
    const auto a = convpool::add_gaussian_noise(zero, 0.1, 42);
    const auto b = convpool::add_gaussian_noise(zero, 0.1, 42);
    CHECK(values(a) == values(b));
    CHECK(values(a) != values(convpool::add_gaussian_noise(zero, 0.1, 43)));
    double sum = 0.0;
    double sq = 0.0;
    for (const float v : a.data()) {
        sum += static_cast<double>(v);
        sq += static_cast<double>(v) * static_cast<double>(v);
    }
    const double n = 50000.0;
    // Standard errors: mean 0.1/sqrt(n) = 4.5e-4, std about 0.1/sqrt(2n) = 3.2e-4; 5 of each.
    CHECK(std::abs(sum / n) < 0.0023);
    CHECK(std::abs(std::sqrt(sq / n) - 0.1) < 0.0016);
    // The first draw is fixed by the standard engine and our mapping, on every machine.
    std::mt19937_64 e(0);
    const double u1 = 1.0 - static_cast<double>(e() >> 11U) * 0x1.0p-53;
    const double u2 = static_cast<double>(e() >> 11U) * 0x1.0p-53;
    std::mt19937_64 f(0);
    CHECK(convpool::standard_normal(f) ==
          std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * 3.14159265358979323846 * u2));
}

TEST_CASE("noise: salt and pepper sets about the asked share to the extremes") {
    std::vector<float> v(std::size_t{100} * 100, 0.5F);
    v[0] = 0.0F;
    v[1] = 1.0F;
    const auto in = tensor(1, 100, 100, v);
    const auto out = convpool::add_salt_pepper(in, 0.1, 3);
    int lows = 0;
    int highs = 0;
    for (std::size_t i = 2; i < v.size(); ++i) {
        const float x = out.data()[i];
        CHECK((x == 0.0F || x == 0.5F || x == 1.0F));
        lows += x == 0.0F ? 1 : 0;
        highs += x == 1.0F ? 1 : 0;
    }
    // 9998 cells, p = 0.05 each way: mean 500, sd 21.8.
    CHECK(std::abs(lows - 500) < 110);
    CHECK(std::abs(highs - 500) < 110);
    CHECK(values(out) == values(convpool::add_salt_pepper(in, 0.1, 3)));
}

TEST_CASE("crop and upsample_nearest: hand-checked") {
    const auto r = test::ramp4x4();
    CHECK(values(convpool::crop(r, 1, 2, 2, 2)) == std::vector<float>{7, 8, 11, 12});
    CHECK_THROWS_AS((void)convpool::crop(r, 3, 0, 2, 1), convpool::ShapeError);
    const auto up =
        convpool::upsample_nearest(tensor(1, 2, 2, {1, 2, 3, 4}), convpool::Shape{1, 4, 5});
    // Column x reads floor(x * 2 / 5): 0 0 0 1 1; row y reads floor(y * 2 / 4): 0 0 1 1.
    CHECK(values(up) ==
          std::vector<float>{1, 1, 1, 2, 2, 1, 1, 1, 2, 2, 3, 3, 3, 4, 4, 3, 3, 3, 4, 4});
}

TEST_CASE("compare: one sheet and one report row per mode") {
    std::vector<float> v;
    v.reserve(std::size_t{24} * 30);
    for (int i = 0; i < 24 * 30; ++i) {
        v.push_back(static_cast<float>((i * 13) % 31) / 30.0F);
    }
    convpool::CompareOptions o;
    o.input_name = "ramp";
    o.prefix = "conv:sobel-x | relu";
    o.modes = {"max", "avg", "stochastic"};
    o.sheet_height = 64;
    o.probe.shifts = 1;
    o.probe.noise = {0.05};
    const auto r = convpool::compare(tensor(1, 24, 30, v), o);
    REQUIRE(r.report.pools.size() == 3);
    CHECK(r.report.pools[1].target.pool == "pool:avg,k=2,s=2");
    CHECK(r.report.pools[1].pool_shape == convpool::Shape{1, 12, 15});
    CHECK(r.sheet.width > 5 * 64);
    const auto csv = convpool::compare_csv(r.report);
    CHECK(std::count(csv.begin(), csv.end(), '\n') == 4);
    CHECK(convpool::compare_table(r.report).find("pool:stochastic,k=2,s=2,seed=0,negative=clip") !=
          std::string::npos);
}
