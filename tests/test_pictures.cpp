// Display-sized stage pictures (--picture-size): reduced maps against a naive reference
// reduction, the legend and scale, and the zoom's regions through the ops' windows.
#include "convpool/core/error.hpp"
#include "convpool/pipeline/pipeline.hpp"
#include "convpool/render/visualize.hpp"
#include "convpool/render/zoom.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <string>
#include <vector>

#include "reference/reference_pictures.hpp"

using convpool::CellRegion;
using convpool::Picture;
using convpool::PictureKind;
using convpool::Pipeline;
using convpool::RenderOptions;
using convpool::Shape;
using convpool::Tensor;

namespace {

/// C x H x W values from a fixed LCG in [lo, hi).
std::vector<float> noise(const Shape& s, float lo, float hi) {
    std::vector<float> v(s.elements());
    std::uint32_t x = 12345U;
    for (auto& e : v) {
        x = x * 1664525U + 1013904223U;
        e = lo + (hi - lo) * static_cast<float>(x >> 8U) / static_cast<float>(1U << 24U);
    }
    return v;
}

ref::Image to_ref(const Tensor& t) {
    const Shape& s = t.shape();
    ref::Image im(s.channels, s.height, s.width);
    im.values.assign(t.data().begin(), t.data().end());
    return im;
}

Tensor from_ref(const ref::Image& im) {
    return Tensor(Shape{im.channels, im.height, im.width}, im.values);
}

/// The RGB bytes of pixel (x, y).
std::vector<int> pixel(const Picture& p, int x, int y) {
    const auto i = (static_cast<std::size_t>(y) * static_cast<std::size_t>(p.width) +
                    static_cast<std::size_t>(x)) *
                   3;
    return {p.rgb[i], p.rgb[i + 1], p.rgb[i + 2]};
}

/// Options drawing feature maps over -1..1 (so that a reduced map and the reference share
/// their colours), reduced to `size` px.
RenderOptions over_unit(int size) {
    RenderOptions o;
    o.scale = convpool::ColorScale::global;
    o.range = convpool::ValueRange{-1.0F, 1.0F};
    o.picture_size = size;
    return o;
}

}  // namespace

TEST_CASE(
    "render_tensor: a map above --picture-size shows each block's largest magnitude, "
    "with its sign, over the adaptive bins") {
    const Shape s{1, 301, 499};
    std::vector<float> v = noise(s, -1.0F, 1.0F);
    v[5 * 499 + 9] = std::numeric_limits<float>::quiet_NaN();  // a NaN stays visible: one cell
    const Tensor t(s, v);
    const Picture reduced = convpool::render_tensor(t, PictureKind::feature_maps, over_unit(128));
    // 499 / 4 rounds up to 125 cells, 301 / 4 to 76: bins of 3 to 5 cells, not 4x4 blocks.
    REQUIRE(reduced.width == 125);
    REQUIRE(reduced.height == 76);
    CHECK(reduced.reduced);
    CHECK(reduced.scale_w == doctest::Approx(125.0 / 499));
    CHECK(reduced.note ==
          "shown at 1/4 scale: largest magnitude of each block of about 3.96x3.99 cells "
          "(--picture-size 128; the raw outputs keep every value)");
    // The reference, drawn at full size (enlarged 2x: 125 px < 160), has the same colours.
    const Tensor expected = from_ref(ref::reduce_picture(to_ref(t), 76, 125, false));
    const Picture full = convpool::render_tensor(expected, PictureKind::feature_maps, over_unit(0));
    REQUIRE(full.width == 250);
    int nan_cells = 0;
    for (int y = 0; y < 76; ++y) {
        for (int x = 0; x < 125; ++x) {
            CAPTURE(y);
            CAPTURE(x);
            REQUIRE(pixel(reduced, x, y) == pixel(full, 2 * x, 2 * y));
            nan_cells += pixel(reduced, x, y) == std::vector<int>{255, 0, 255} ? 1 : 0;
        }
    }
    CHECK(nan_cells == 1);
}

TEST_CASE("render_tensor: whole blocks say NxN; every other reduction keeps its sign") {
    const Shape s{1, 400, 600};
    std::vector<float> v(s.elements(), 0.1F);
    v[5 * 600 + 6] = -0.9F;  // block (1, 1): its one strong value is negative
    v[5 * 600 + 7] = 0.5F;
    const Tensor t(s, v);
    const Picture p = convpool::render_tensor(t, PictureKind::feature_maps, over_unit(150));
    REQUIRE(p.width == 150);
    REQUIRE(p.height == 100);
    CHECK(p.note ==
          "shown at 1/4 scale: largest magnitude of each 4x4 (--picture-size 150; the raw "
          "outputs keep every value)");
    const Picture strong = convpool::render_tensor(Tensor(Shape{1, 1, 1}, -0.9F),
                                                   PictureKind::feature_maps, over_unit(0));
    const Picture weak = convpool::render_tensor(Tensor(Shape{1, 1, 1}, 0.1F),
                                                 PictureKind::feature_maps, over_unit(0));
    CHECK(pixel(p, 1, 1) == pixel(strong, 0, 0));
    CHECK(pixel(p, 0, 0) == pixel(weak, 0, 0));
    // `full` (0) draws every cell; within the bound a map is not reduced.
    const Picture whole = convpool::render_tensor(t, PictureKind::feature_maps, over_unit(0));
    CHECK(whole.width == 600);
    CHECK_FALSE(whole.reduced);
    CHECK(whole.note.empty());
    CHECK_FALSE(convpool::render_tensor(t, PictureKind::feature_maps, over_unit(600)).reduced);
    CHECK(convpool::picture_reduces(s, PictureKind::feature_maps, over_unit(599)));
    CHECK_FALSE(convpool::picture_reduces(s, PictureKind::feature_maps, over_unit(600)));
}

TEST_CASE("render_tensor: images (and reduce_mean maps) average each block") {
    const Shape s{3, 301, 499};
    const Tensor t(s, noise(s, 0.0F, 1.0F));
    RenderOptions o;
    o.picture_size = 128;
    const Picture p = convpool::render_tensor(t, PictureKind::natural, o);
    REQUIRE(p.width == 125);
    CHECK(p.note.find("shown at 1/4 scale: mean of each block") == 0);
    const ref::Image mean = ref::reduce_picture(to_ref(t), 76, 125, true);
    for (int y = 0; y < 76; ++y) {
        for (int x = 0; x < 125; ++x) {
            const auto got = pixel(p, x, y);
            for (int c = 0; c < 3; ++c) {
                const auto want = std::lround(static_cast<double>(mean.at(c, y, x)) * 255.0);
                REQUIRE(std::abs(got[static_cast<std::size_t>(c)] - want) <= 1);
            }
        }
    }
    RenderOptions m = over_unit(128);
    m.reduce_mean = true;
    const Tensor one(Shape{1, 301, 499}, noise(Shape{1, 301, 499}, -1.0F, 1.0F));
    const Picture averaged = convpool::render_tensor(one, PictureKind::feature_maps, m);
    CHECK(averaged.note.find("mean of each block") != std::string::npos);
}

TEST_CASE("zoom_regions: the input region through each stage's declared windows") {
    const Pipeline pipeline(
        "conv:sobel-x | pool:max,k=2 | pool:avg,k=3,s=1,pad=1 | "
        "pool:global-max");
    const std::vector<Shape> shapes{
        {1, 600, 800}, {1, 600, 800}, {1, 300, 400}, {1, 300, 400}, {1, 1, 1}};
    const auto r = convpool::zoom_regions(pipeline, shapes, CellRegion{10, 20, 256, 256});
    REQUIRE(r.size() == 5);
    CHECK(r[1] == CellRegion{10, 20, 256, 256});  // 3x3, pad 1: centred on its own cell
    // 2x2/2: cell o reads 2o and 2o+1, centre 2o + 0.5, in rows 10..265 for o = 5..132.
    CHECK(r[2] == CellRegion{5, 10, 128, 128});
    CHECK(r[3] == CellRegion{5, 10, 128, 128});
    CHECK(r[4] == CellRegion{0, 0, 1, 1});  // a global pool: its whole output
    // Upsample declares no windows: the region scales with the map.
    const Pipeline up("upsample:scale=2");
    const auto u =
        convpool::zoom_regions(up, {{1, 100, 100}, {1, 200, 200}}, CellRegion{10, 20, 30, 40});
    CHECK(u[1] == CellRegion{20, 40, 60, 80});
}

TEST_CASE("zoom_focus: 256x256 input cells around the final stage's largest magnitude") {
    const Shape s{1, 600, 800};
    std::vector<float> v(s.elements(), 0.0F);
    v[400 * 800 + 700] = -5.0F;
    const Pipeline pipeline("abs | pool:max,k=2");
    const std::vector<Shape> shapes{s, s, {1, 300, 400}};
    const Tensor final_values = pipeline.run(Tensor(s, v), [](const auto& /*unused*/) {});
    // Output (200, 350) reads rows 400-401, cols 700-701: centred on 400.5 -> 401 (and 701),
    // clamped to end at the input's last column.
    CHECK(convpool::zoom_focus(pipeline, shapes, final_values) == CellRegion{273, 544, 256, 256});
    // A small input: the whole of it.
    const Shape small{1, 100, 120};
    const Pipeline relu("relu");
    CHECK(convpool::zoom_focus(relu, {small, small}, Tensor(small, 1.0F)) ==
          CellRegion{0, 0, 100, 120});
}

TEST_CASE("parse_zoom: Y,X,HxW, height first; anything else names --zoom") {
    CHECK(convpool::parse_zoom("10,20,30x40") == CellRegion{10, 20, 30, 40});
    for (const char* bad :
         {"10,20", "10,20,30", "a,2,3x4", "-1,2,3x4", "1,2,3x", "1,2,x4", "1,2,3x4x5", ""}) {
        CAPTURE(bad);
        CHECK_THROWS_AS((void)convpool::parse_zoom(bad), convpool::UsageError);
    }
    CHECK_THROWS_WITH_AS((void)convpool::parse_zoom("1,2,0x4"),
                         "--zoom: the region must be at least 1x1 cells, got '1,2,0x4'",
                         convpool::UsageError);
}
