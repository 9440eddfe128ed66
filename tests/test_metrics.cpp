// metrics.hpp: PSNR, SSIM, normalised correlation, identical share and entropy on tiny maps with
// values worked out by hand; chart.hpp's tick rule.
#include "convpool/core/error.hpp"
#include "convpool/render/chart.hpp"
#include "convpool/report/metrics.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "test_helpers.hpp"

using test::tensor;

TEST_CASE("psnr: 10 log10(L^2/MSE) with L the clean map's range") {
    // clean 0 1 0 1 (range 1), test differs by 0.5 in one of 4 cells: MSE 1/16, PSNR 10 log10 16.
    const auto clean = tensor(1, 2, 2, {0, 1, 0, 1});
    const auto test = tensor(1, 2, 2, {0, 1, 0, 0.5F});
    CHECK(convpool::psnr(clean, test) == doctest::Approx(12.0411998).epsilon(1e-7));
    // The peak is the clean map's range: scaling both maps by 2 scales L and the error alike.
    CHECK(convpool::psnr(tensor(1, 2, 2, {0, 2, 0, 2}), tensor(1, 2, 2, {0, 2, 0, 1})) ==
          doctest::Approx(12.0411998).epsilon(1e-7));
}

TEST_CASE("psnr: identical maps give +infinity, not an error") {
    const auto t = tensor(1, 2, 2, {0.25F, 0.5F, 0.75F, 1});
    const double p = convpool::psnr(t, t);
    CHECK(std::isinf(p));
    CHECK(p > 0);
}

TEST_CASE("psnr: a constant clean map uses L = 1") {
    // Every cell off by 0.1: MSE 0.01, PSNR 20 dB.
    CHECK(
        convpool::psnr(tensor(1, 1, 3, {0.5F, 0.5F, 0.5F}), tensor(1, 1, 3, {0.6F, 0.4F, 0.6F})) ==
        doctest::Approx(20.0).epsilon(1e-5));
    CHECK(convpool::data_range(tensor(1, 1, 2, {3, 3})) == 1.0);
    CHECK(convpool::data_range(tensor(1, 1, 2, {-1, 3})) == 4.0);
}

TEST_CASE("psnr and ssim: maps of different shapes are refused") {
    CHECK_THROWS_AS((void)convpool::psnr(tensor(1, 1, 2, {0, 1}), tensor(1, 2, 1, {0, 1})),
                    convpool::ShapeError);
    CHECK_THROWS_AS((void)convpool::ssim(tensor(1, 1, 2, {0, 1}), tensor(1, 2, 1, {0, 1})),
                    convpool::ShapeError);
}

TEST_CASE("ssim: 1 for identical maps, any size") {
    const auto small = tensor(1, 1, 1, {0.3F});
    CHECK(convpool::ssim(small, small) == doctest::Approx(1.0));
    std::vector<float> v;
    v.reserve(std::size_t{2} * 20 * 17);
    for (int i = 0; i < 2 * 20 * 17; ++i) {
        v.push_back(static_cast<float>((i * 37) % 11) / 10.0F);
    }
    const auto big = tensor(2, 20, 17, v);
    CHECK(convpool::ssim(big, big) == doctest::Approx(1.0));
}

TEST_CASE("ssim: two constant maps reduce to the luminance term") {
    // Zero variances: SSIM = (2 mx my + C1) / (mx^2 + my^2 + C1), C1 = (0.01 L)^2, L = 1 (constant
    // clean map) -> (0.25 + 1e-4) / (0.3125 + 1e-4) = 0.80006398.
    CHECK(convpool::ssim(tensor(1, 2, 2, {0.5F, 0.5F, 0.5F, 0.5F}),
                         tensor(1, 2, 2, {0.25F, 0.25F, 0.25F, 0.25F})) ==
          doctest::Approx(0.80006398).epsilon(1e-6));
}

TEST_CASE("ssim: the cut Gaussian window on a 1x2 map") {
    // Each cell's window holds itself (weight 1) and its neighbour (weight exp(-1/4.5) = 0.80074),
    // renormalised. x = [0 1], y = [0 0.5], L = 1, C1 = 1e-4, C2 = 9e-4: worked out cell by cell
    // with the paper's formula, the mean is 0.64051830.
    CHECK(convpool::ssim(tensor(1, 1, 2, {0, 1}), tensor(1, 1, 2, {0, 0.5F})) ==
          doctest::Approx(0.64051830).epsilon(1e-6));
}

TEST_CASE("ssim: noise lowers it, more noise lowers it more") {
    std::vector<float> clean;
    std::vector<float> a;
    std::vector<float> b;
    for (int i = 0; i < 16 * 16; ++i) {
        const float v = static_cast<float>(i % 16) / 15.0F;
        const float n = static_cast<float>((i * 7919) % 13 - 6) / 60.0F;
        clean.push_back(v);
        a.push_back(v + 0.2F * n);
        b.push_back(v + n);
    }
    const double sa = convpool::ssim(tensor(1, 16, 16, clean), tensor(1, 16, 16, a));
    const double sb = convpool::ssim(tensor(1, 16, 16, clean), tensor(1, 16, 16, b));
    CHECK(sa < 1.0);
    CHECK(sb < sa);
}

TEST_CASE("normalized_correlation: Pearson, with constant sides defined") {
    const std::vector<float> a{1, 2, 3, 4};
    const std::vector<float> twice{2, 4, 6, 8};
    const std::vector<float> reversed{4, 3, 2, 1};
    CHECK(convpool::normalized_correlation(a, twice) == doctest::Approx(1.0));
    CHECK(convpool::normalized_correlation(a, reversed) == doctest::Approx(-1.0));
    // {1,2,3,4} vs {1,3,2,4}: covariance 4, variances 5 and 5 (sums of squares about the mean).
    CHECK(convpool::normalized_correlation(a, std::vector<float>{1, 3, 2, 4}) ==
          doctest::Approx(0.8));
    const std::vector<float> c{2, 2, 2};
    CHECK(convpool::normalized_correlation(c, c) == 1.0);
    CHECK(convpool::normalized_correlation(c, std::vector<float>{2, 2, 3}) == 0.0);
    CHECK(convpool::normalized_correlation(c, std::vector<float>{1, 1, 1}) == 0.0);
}

TEST_CASE("fraction_identical: exact equality, NaN matches NaN") {
    const float nan = std::numeric_limits<float>::quiet_NaN();
    CHECK(convpool::fraction_identical(std::vector<float>{1, 2, 3, 4},
                                       std::vector<float>{1, 2, 0, 4}) == 0.75);
    CHECK(convpool::fraction_identical(std::vector<float>{nan, 0.0F},
                                       std::vector<float>{nan, -0.0F}) == 1.0);
    CHECK(convpool::fraction_identical(std::vector<float>{1.0F},
                                       std::vector<float>{1.0F + 1e-7F}) == 0.0);
    CHECK(convpool::fraction_identical(std::vector<float>{}, std::vector<float>{}) == 1.0);
}

TEST_CASE("entropy_bits: the report's 256-bin entropy") {
    CHECK(convpool::entropy_bits(tensor(1, 1, 4, {0, 1, 0, 1})) == doctest::Approx(1.0));
    CHECK(convpool::entropy_bits(tensor(1, 1, 4, {0, 1, 2, 3})) == doctest::Approx(2.0));
    CHECK(convpool::entropy_bits(tensor(1, 1, 3, {5, 5, 5})) == doctest::Approx(0.0));
}

TEST_CASE("chart: ticks at 1, 2 or 5 times a power of ten, and a picture of the asked size") {
    const auto ticks = convpool::nice_ticks(0.0, 1.0, 5);
    REQUIRE(ticks.size() == 6);
    CHECK(ticks[1] == doctest::Approx(0.2));
    CHECK(ticks.back() == doctest::Approx(1.0));
    CHECK(convpool::nice_ticks(12.0, 47.0, 6) == std::vector<double>{20, 30, 40});
    convpool::LineChart c;
    c.title = "t";
    c.series.push_back(
        {"a", {1, 2, 3}, {0.5, std::numeric_limits<double>::infinity(), 0.7}, false, -1});
    const auto p = convpool::render_line_chart(c, 320, 200);
    CHECK(p.width == 320);
    CHECK(p.height == 200);
    CHECK(p.rgb.size() == 320U * 200U * 3U);
}

TEST_CASE("chart: points at one x (compare's default single noise level) get an axis from 0") {
    CHECK(convpool::single_value_axis(0.05) == std::pair<double, double>{0.0, 0.1});
    CHECK(convpool::single_value_axis(3.0) == std::pair<double, double>{0.0, 6.0});
    CHECK(convpool::single_value_axis(-2.0) == std::pair<double, double>{-4.0, 0.0});
    CHECK(convpool::single_value_axis(0.0) == std::pair<double, double>{-0.5, 0.5});
}
