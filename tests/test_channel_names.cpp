// What ops declare for the pictures: the names of their output channels (Op::channel_names) and
// whether an image stays an image (Op::keeps_range).
#include "convpool/pipeline/pipeline.hpp"
#include "convpool/render/visualize.hpp"

#include <doctest/doctest.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "test_helpers.hpp"

namespace {

using Names = std::vector<std::string>;

/// The names the single stage `text` gives an input of shape `in` named `names`.
Names names_of(const std::string& text, const convpool::Shape& in, const Names& names,
               const convpool::Tensor* values = nullptr) {
    const convpool::Pipeline p(text);
    const auto plan = p.plan(in);
    return p.stages().front().op->channel_names(names, in, plan.at(1).shape, values);
}

bool keeps_range(const std::string& text) {
    return convpool::Pipeline(text).stages().front().op->keeps_range();
}

const Names kRgb{"R", "G", "B"};

}  // namespace

TEST_CASE("gray names its channel Y, from any input") {
    CHECK(names_of("gray", {3, 4, 4}, kRgb) == Names{"Y"});
    CHECK(names_of("gray", {1, 4, 4}, {"c0"}) == Names{"Y"});
}

TEST_CASE("bank names each output after its filter, after the input channel when several") {
    CHECK(names_of("bank:sobel-x,gabor(theta=45)", {3, 8, 8}, kRgb) ==
          Names{"R:sobel-x", "R:gabor(theta=45)", "G:sobel-x", "G:gabor(theta=45)", "B:sobel-x",
                "B:gabor(theta=45)"});
    CHECK(names_of("bank:sobel-x,gabor(theta=45)", {1, 8, 8}, {"Y"}) ==
          Names{"sobel-x", "gabor(theta=45)"});
    // One filter on three channels keeps the count, but the names are still the filter's.
    CHECK(names_of("bank:laplacian", {3, 8, 8}, kRgb) ==
          Names{"R:laplacian", "G:laplacian", "B:laplacian"});
}

TEST_CASE("stages that keep the channel count keep the names; others number theirs") {
    for (const char* text :
         {"relu", "pool:max,k=2", "pool:avg,k=3,s=1,pad=1", "upsample:scale=2", "conv:sobel-x",
          "pool:global-avg", "pool:spp", "abs", "pool:median,k=3"}) {
        CAPTURE(text);
        CHECK(names_of(text, {3, 8, 8}, kRgb) == kRgb);
    }
    CHECK(convpool::numbered_channel_names(3) == Names{"c0", "c1", "c2"});
    CHECK(convpool::numbered_channel_names(0).empty());
}

TEST_CASE("select keeps the names of the channels it keeps") {
    CHECK(names_of("select:channels=[2 0 2]", {3, 2, 2}, kRgb) == Names{"B", "R", "B"});
    // Means of |x|: 1, 3, 2: top=2 keeps G then B; without the values, top1, top2.
    const convpool::Tensor in =
        test::tensor(3, 1, 2, {1, -1, 3, 3, -2, 2});  // means of |x| 1, 3, 2
    CHECK(names_of("select:top=2", {3, 1, 2}, kRgb, &in) == Names{"G", "B"});
    CHECK(names_of("select:top=2", {3, 1, 2}, kRgb) == Names{"top1", "top2"});
}

TEST_CASE("gray and value-picking or averaging pools keep an image's range; others do not") {
    for (const char* text : {"gray",
                             "pool:max,k=2",
                             "pool:max,k=2,switches",
                             "pool:min,k=2",
                             "pool:avg,k=2",
                             "pool:median,k=3",
                             "pool:adaptive-max,out=2x2",
                             "pool:adaptive-avg,out=2x2",
                             "pool:global-avg",
                             "pool:global-max",
                             "pool:global-gem",
                             "pool:fractional,out=3x3",
                             "pool:stochastic,k=2",
                             "pool:stochastic,k=2,phase=train",
                             "pool:soft,k=2",
                             "pool:gem,k=2",
                             "pool:mixed,k=2",
                             "pool:blur,s=2",
                             "pool:maxblur,k=2,s=2",
                             "pool:spp,levels=[1 2]",
                             "upsample:scale=2",
                             "upsample:scale=2,mode=bilinear",
                             "select:channels=[0]"}) {
        CAPTURE(text);
        CHECK(keeps_range(text));
    }
    for (const char* text : {"conv:sobel-x", "relu", "pool:avg,k=2,divisor=1", "pool:lp,k=2",
                             "bank:sobel-x", "norm", "bn:mean=[0],var=[1]", "abs", "sigmoid"}) {
        CAPTURE(text);
        CHECK_FALSE(keeps_range(text));
    }
}

namespace {

/// The label band (the rows above the tiles) of a picture of two 4x4 channels named `names`,
/// from column x0 to x1.
std::vector<std::uint8_t> label_band(const Names& names, int x0, int x1) {
    convpool::RenderOptions o;
    o.channel_names = names;
    const convpool::Tensor t(convpool::Shape{2, 4, 4}, std::vector<float>(32, 1.0F));
    const convpool::Picture p = convpool::render_tensor(t, convpool::PictureKind::feature_maps, o);
    std::vector<std::uint8_t> band;
    for (int y = 0; y < 14; ++y) {
        for (int x = x0; x < x1 && x < p.width; ++x) {
            for (int k = 0; k < 3; ++k) {
                band.push_back(
                    p.rgb[(static_cast<std::size_t>(y) * static_cast<std::size_t>(p.width) +
                           static_cast<std::size_t>(x)) *
                              3 +
                          static_cast<std::size_t>(k)]);
            }
        }
    }
    return band;
}

}  // namespace

TEST_CASE("tile labels are the channel names, cut to their tile: never over the next one") {
    // Two 4x4 maps are drawn 160 px wide, 4 px apart: tile 1 and its label start at x = 164.
    CHECK(label_band({"R", "b"}, 0, 160) != label_band({}, 0, 160));  // `R`, not `c0`
    const std::string long_name(200, 'x');
    CHECK(label_band({long_name, "b"}, 164, 400) == label_band({"R", "b"}, 164, 400));
    CHECK(label_band({long_name, "b"}, 0, 160) != label_band({"R", "b"}, 0, 160));
}
