// Picture colour ranges: --range minmax and percentile ranges (pP), their colours and labels.
#include "convpool/core/error.hpp"
#include "convpool/render/visualize.hpp"

#include <doctest/doctest.h>

#include <cstddef>
#include <string>
#include <vector>

using convpool::ColorMap;
using convpool::ColorScale;
using convpool::parse_range_rule;
using convpool::Picture;
using convpool::PictureKind;
using convpool::RenderOptions;
using convpool::Shape;
using convpool::Tensor;

namespace {

/// 1x6x17: -1000, 0, 1, ..., 99, 5000 row by row (102 values: p1 = 0.01, p99 = 98.99).
Tensor ramp_with_outliers(float offset = 0.0F) {
    std::vector<float> v{-1000.0F};
    for (int i = 0; i < 100; ++i) {
        v.push_back(static_cast<float>(i) + offset);
    }
    v.push_back(5000.0F);
    return Tensor(Shape{1, 6, 17}, v);
}

/// Red byte of value number `i` of a 1x6x17 picture (single channel: no labels; each value is
/// enlarged to 10x10 pixels).
int red_of(const Picture& p, int i) {
    const int x = (i % 17) * 10 + 5;
    const int y = (i / 17) * 10 + 5;
    return p.rgb[(static_cast<std::size_t>(y) * static_cast<std::size_t>(p.width) +
                  static_cast<std::size_t>(x)) *
                 3];
}

/// A plain gray ramp over the range (signed maps too) under --range p`percent` (0: minmax).
RenderOptions gray(double percent) {
    RenderOptions o;
    o.colormap = ColorMap::gray;
    o.diverging = false;
    o.range_rule.percent = percent;
    return o;
}

}  // namespace

TEST_CASE("parse_range_rule: minmax and pP with 0 < P < 50; anything else names --range") {
    CHECK(parse_range_rule("minmax").percent == 0.0);
    CHECK(parse_range_rule("p1").percent == 1.0);
    CHECK(parse_range_rule("p0.5").percent == 0.5);
    CHECK(parse_range_rule("p49.9").percent == doctest::Approx(49.9));
    CHECK_THROWS_WITH_AS((void)parse_range_rule("p60"),
                         "--range: expected minmax or pP with 0 < P < 50 (p1: the 1st to 99th "
                         "percentile, values outside clipped), got 'p60'",
                         convpool::UsageError);
    for (const char* bad : {"", "p", "p0", "p50", "p-1", "1", "P1", "p1%", "p 1", "pnan", "pinf",
                            "minmax,p1", "percentile"}) {
        CAPTURE(bad);
        CHECK_THROWS_AS((void)parse_range_rule(bad), convpool::UsageError);
    }
}

TEST_CASE("value_range: min..max, or the percentiles of the finite values") {
    const Tensor t = ramp_with_outliers();
    const auto minmax = convpool::value_range(t.data(), {});
    REQUIRE(minmax);
    CHECK(minmax->lo == -1000.0F);
    CHECK(minmax->hi == 5000.0F);
    const auto p1 = convpool::value_range(t.data(), {1.0});
    REQUIRE(p1);
    CHECK(p1->lo == doctest::Approx(0.01));
    CHECK(p1->hi == doctest::Approx(98.99));
}

TEST_CASE(
    "render_tensor: a percentile range spreads the bulk over the colour map, clipping outliers") {
    const Tensor t = ramp_with_outliers();
    const Picture minmax = convpool::render_tensor(t, PictureKind::feature_maps, gray(0.0));
    const Picture p1 = convpool::render_tensor(t, PictureKind::feature_maps, gray(1.0));
    // Value 50 (number 51): min..max puts it at (50 + 1000) / 6000 = 0.175 of the ramp, p1..p99
    // at (50 - 0.01) / 98.98 = 0.505.
    CHECK(red_of(minmax, 51) == 45);
    CHECK(red_of(p1, 51) == 129);
    // The outliers and 99 (above p99 = 98.99) take the end colours; 0 (below p1) the low one.
    CHECK(red_of(p1, 0) == 0);
    CHECK(red_of(p1, 1) == 0);
    CHECK(red_of(p1, 100) == 255);
    CHECK(red_of(p1, 101) == 255);
    // Under min..max, 0..99 all fall in the darkest fifth.
    CHECK(red_of(minmax, 100) < 60);
}

TEST_CASE(
    "render_tensor: percentiles that coincide draw that value mid-map, the rest at the ends") {
    // 399 zeros and one 5: p1 = p99 = 0 (p99 lies between the 396th and 397th value).
    std::vector<float> v(400, 0.0F);
    v[42] = 5.0F;
    const Tensor t(Shape{1, 20, 20}, v);
    const Picture p = convpool::render_tensor(t, PictureKind::feature_maps, gray(1.0));
    const auto red = [&p](int y, int x) {
        return p.rgb[(static_cast<std::size_t>(y) * static_cast<std::size_t>(p.width) +
                      static_cast<std::size_t>(x)) *
                     3];
    };
    CHECK(red(5, 5) == 128);
    CHECK(red(2 * 8 + 4, 2 * 8 + 4) == 255);  // value 5, row 2 col 2, enlarged 8x
    CHECK(convpool::range_label(t, PictureKind::feature_maps, gray(1.0)) ==
          "p1..p99: [0, 0], clipped");
}

TEST_CASE("range_label: percentile ranges say which percentiles, the values and that they clip") {
    const Tensor t = ramp_with_outliers();
    CHECK(convpool::range_label(t, PictureKind::feature_maps, gray(0.0)) == "-1000..5000");
    CHECK(convpool::range_label(t, PictureKind::feature_maps, gray(1.0)) ==
          "p1..p99: [0.01, 98.99], clipped");
    // p0.5 at position 0.005 * 101 = 0.505, between -1000 and 0: -495; p99.5 at 100.495,
    // between 99 and 5000: 2525. Two outliers in 102 values are more than 0.5 % at each end.
    CHECK(convpool::range_label(t, PictureKind::feature_maps, gray(0.5)) ==
          "p0.5..p99.5: [-495, 2525], clipped");
    // Signed maps on the diverging map: the range is made symmetric about 0.
    const Tensor s = ramp_with_outliers(-50.0F);  // -1000, -50..49, 5000
    RenderOptions diverging = gray(1.0);
    diverging.diverging = true;
    CHECK(convpool::range_label(s, PictureKind::feature_maps, diverging) ==
          "p1..p99: [-49.99, 48.99], symmetric +-49.99, clipped");
    diverging.diverging = false;
    CHECK(convpool::range_label(s, PictureKind::feature_maps, diverging) ==
          "p1..p99: [-49.99, 48.99], clipped");
    RenderOptions channel = gray(1.0);
    channel.scale = ColorScale::channel;
    CHECK(convpool::range_label(t, PictureKind::feature_maps, channel) ==
          "per channel, p1..p99 clipped");
    RenderOptions global = gray(1.0);
    global.diverging = true;
    global.scale = ColorScale::global;
    global.range = convpool::value_range(s.data(), global.range_rule);
    CHECK(convpool::range_label(t, PictureKind::feature_maps, global) ==
          "p1..p99: [-49.99, 48.99], symmetric +-49.99, clipped (global)");
    // The input picture, drawn as the image itself, is not affected.
    const Tensor unit(Shape{1, 2, 2}, std::vector<float>{0.0F, 0.25F, 0.5F, 1.0F});
    CHECK(convpool::range_label(unit, PictureKind::natural, gray(1.0)) == "0..1");
}

TEST_CASE(
    "titled_picture: a percentile range adds a line under the colour bar, min..max does not") {
    const Tensor t = ramp_with_outliers();
    for (const ColorScale scale : {ColorScale::stage, ColorScale::channel}) {
        CAPTURE(static_cast<int>(scale));
        RenderOptions minmax = gray(0.0);
        minmax.scale = scale;
        RenderOptions p1 = gray(1.0);
        p1.scale = scale;
        const Picture body = convpool::render_tensor(t, PictureKind::feature_maps, p1);
        const Picture plain =
            convpool::titled_picture(body, "t", t, PictureKind::feature_maps, minmax);
        const Picture clipped =
            convpool::titled_picture(body, "t", t, PictureKind::feature_maps, p1);
        CHECK(clipped.height == plain.height + 19);  // one line of text (draw.hpp: kLine)
        CHECK(clipped.width >= plain.width);
    }
    // Natural pictures (the input) keep their legend.
    const Tensor unit(Shape{1, 2, 2}, std::vector<float>{0.0F, 0.25F, 0.5F, 1.0F});
    const Picture body = convpool::render_tensor(unit, PictureKind::natural);
    CHECK(convpool::titled_picture(body, "t", unit, PictureKind::natural, gray(1.0)).height ==
          convpool::titled_picture(body, "t", unit, PictureKind::natural, gray(0.0)).height);
}

TEST_CASE(
    "titled_picture: a title as long as a 63x63 kernel does not widen the picture past 1024 px") {
    const convpool::Tensor t(convpool::Shape{1, 20, 30}, 0.5F);
    const convpool::Picture body =
        convpool::render_tensor(t, convpool::PictureKind::feature_maps, convpool::RenderOptions{});
    // About 51 KB of stage text, as `conv:kernel=[...]` with 3969 taps is.
    std::string title = "01 conv:kernel=[";
    for (int i = 0; i < 3969; ++i) {
        title += "0.0123456,";
    }
    title += "]";
    const convpool::Picture long_title = convpool::titled_picture(
        body, title, t, convpool::PictureKind::feature_maps, convpool::RenderOptions{});
    CHECK(long_title.width == 1024);
    // A short title keeps the picture at its usual width.
    const convpool::Picture short_title =
        convpool::titled_picture(body, "01 relu  1x20x30", t, convpool::PictureKind::feature_maps,
                                 convpool::RenderOptions{});
    CHECK(short_title.width == 360);
    CHECK(short_title.height == long_title.height);
}

TEST_CASE("contact_sheet: an extreme aspect ratio stays within 4 display heights per panel") {
    const convpool::Tensor strip(convpool::Shape{1, 1, 5000}, 0.25F);
    const convpool::Picture body = convpool::render_tensor(
        strip, convpool::PictureKind::feature_maps, convpool::RenderOptions{});
    const std::vector<convpool::SheetItem> items{{body, "00 input", "1x1x5000  0..1"},
                                                 {body, "01 relu", "1x1x5000  0..1"}};
    const convpool::Picture sheet = convpool::contact_sheet(items, 256);
    // Was 2 x 256 x 5000 = 2,560,000 px wide: each panel is now at most 4 x 256.
    CHECK(sheet.width == 10 + 2 * (4 * 256 + 10));
    CHECK(sheet.height == 10 + 256 + 2 * 19 + 6);  // two lines of label of 19 px, 6 px under
    // A sheet of many stages stays within 16384 px.
    const std::vector<convpool::SheetItem> many(40, items.front());
    CHECK(convpool::contact_sheet(many, 256).width <= 16384);
}
