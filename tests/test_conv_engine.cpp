// conv:weights through its library (convpool-dnnl.so, oneDNN) and the fusion of bn, an
// activation and pool:max into it (Pipeline::run with fuse): equal to the hand-written loops,
// the naive reference and the stages run one by one, within the tolerance.
#include "convpool/core/conv_engine.hpp"
#include "convpool/core/error.hpp"
#include "convpool/core/parallel.hpp"
#include "convpool/io/conv_plugin.hpp"
#include "convpool/pipeline/pipeline.hpp"

#include <doctest/doctest.h>
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "layer_helpers.hpp"
#include "reference/reference_layers.hpp"
#include "reference/sweep.hpp"

namespace {

using test::WithLibrary;

using test::array;
using test::Arrays;

/// |got - want| <= tolerance * max|want| + 1e-6 everywhere, else the first place it is not.
std::string difference(const convpool::Tensor& want, const convpool::Tensor& got,
                       double tolerance = 1e-4) {
    if (got.shape() != want.shape()) {
        return "shape " + sweep::shape_text(got.shape()) + " instead of " +
               sweep::shape_text(want.shape());
    }
    double scale = 0.0;
    for (const float v : want.data()) {
        scale = std::max(scale, std::fabs(static_cast<double>(v)));
    }
    for (std::size_t i = 0; i < want.data().size(); ++i) {
        const double d =
            std::fabs(static_cast<double>(got.data()[i]) - static_cast<double>(want.data()[i]));
        if (!(d <= tolerance * scale + 1e-6)) {
            return fmt::format("value {}: {} instead of {}", i, got.data()[i], want.data()[i]);
        }
    }
    return "";
}

/// A random layer (weights and biases in `arrays` as w.npy and b.npy, bn's lists as m.npy,
/// v.npy, g.npy, s.npy) and its stage text, on c_in input channels.
struct RandomLayer {
    Arrays arrays;
    std::string conv;
    std::string bn = "bn:mean=@m.npy,var=@v.npy,weight=@g.npy,bias=@s.npy";
    ref::ConvLayer layer;
    int c_in = 0;
};

RandomLayer random_layer(sweep::Random& rng) {
    RandomLayer r;
    ref::ConvLayer& layer = r.layer;
    const int group_kind = rng.integer(0, 2);  // 1, 2 or depthwise
    r.c_in = group_kind == 1 ? 2 * rng.integer(1, 3) : rng.integer(1, 5);
    layer.groups = group_kind == 0 ? 1 : (group_kind == 1 ? 2 : r.c_in);
    layer.in_per_group = r.c_in / layer.groups;
    layer.out_channels = layer.groups * rng.integer(1, 4);
    layer.kh = rng.integer(1, 7);
    layer.kw = rng.integer(1, 7);
    layer.rows = {.kernel = layer.kh, .stride = rng.integer(1, 3), .dilation = rng.integer(1, 2)};
    layer.cols = {.kernel = layer.kw, .stride = rng.integer(1, 3), .dilation = rng.integer(1, 2)};
    layer.rows.pad_begin = layer.rows.pad_end = rng.integer(0, layer.kh / 2 + 1);
    layer.cols.pad_begin = layer.cols.pad_end = rng.integer(0, layer.kw / 2 + 1);
    const auto per_output = static_cast<std::size_t>(layer.in_per_group) *
                            static_cast<std::size_t>(layer.kh) * static_cast<std::size_t>(layer.kw);
    for (std::size_t v = 0; v < per_output * static_cast<std::size_t>(layer.out_channels); ++v) {
        layer.weights.push_back(rng.signed_unit());
    }
    std::vector<float> mean;
    std::vector<float> var;
    std::vector<float> gamma;
    std::vector<float> beta;
    for (int o = 0; o < layer.out_channels; ++o) {
        layer.bias.push_back(rng.signed_unit());
        mean.push_back(rng.signed_unit());
        var.push_back(0.25F + rng.unit());
        gamma.push_back(rng.signed_unit() * 2.0F);
        beta.push_back(rng.signed_unit());
    }
    const auto out = static_cast<std::size_t>(layer.out_channels);
    r.arrays = {
        {"w.npy", array({out, static_cast<std::size_t>(layer.in_per_group),
                         static_cast<std::size_t>(layer.kh), static_cast<std::size_t>(layer.kw)},
                        layer.weights)},
        {"b.npy", array({out}, layer.bias)},
        {"m.npy", array({out}, mean)},
        {"v.npy", array({out}, var)},
        {"g.npy", array({out}, gamma)},
        {"s.npy", array({out}, beta)}};
    r.conv = fmt::format(
        "conv:weights=@w.npy,bias=@b.npy,groups={},stride={}x{},pad={}x{},dilation={}x{}",
        layer.groups, layer.rows.stride, layer.cols.stride, layer.rows.pad_begin,
        layer.cols.pad_begin, layer.rows.dilation, layer.cols.dilation);
    return r;
}

/// An input on which `layer` fits (odd sizes come up as often as even ones), or none.
std::optional<ref::Image> input_for(sweep::Random& rng, const RandomLayer& r) {
    const int h = rng.integer(5, 23);
    const int w = rng.integer(5, 23);
    const auto& rows = r.layer.rows;
    const auto& cols = r.layer.cols;
    if (h + 2 * rows.pad_begin < rows.dilation * (rows.kernel - 1) + 1 ||
        w + 2 * cols.pad_begin < cols.dilation * (cols.kernel - 1) + 1) {
        return std::nullopt;
    }
    return sweep::random_image(rng, r.c_in, h, w, sweep::Values::signed_ties);
}

}  // namespace

TEST_CASE("conv:weights runs through the library when it is built, and falls back to the loops") {
#ifdef CONVPOOL_HAVE_DNNL
    REQUIRE(convpool::conv_engine() != nullptr);
    CHECK(convpool::conv_engine()->name().rfind("oneDNN ", 0) == 0);
#endif
    const WithLibrary loops(false);
    CHECK(convpool::conv_engine() == nullptr);
    // The loops run the layer: a 1x1 layer of one weight 2 and bias 1.
    const Arrays arrays{{"w.npy", array({1, 1, 1, 1}, {2})}};
    const convpool::Pipeline p = test::layer_pipeline("conv:weights=@w.npy,bias=1", arrays);
    convpool::Tensor x({1, 1, 3});
    x.data()[1] = 1.0F;
    (void)p.plan(x.shape());
    const convpool::Tensor y = p.run(x, {});
    CHECK(std::vector<float>(y.data().begin(), y.data().end()) == std::vector<float>{1, 3, 1});
}

TEST_CASE(
    "conv:weights through the library equals the loops and the naive reference over groups, "
    "odd sizes, strides, pads and dilations, on every thread count") {
    sweep::Random rng(1402U);
    int ran = 0;
    for (int i = 0; i < 60; ++i) {
        const RandomLayer r = random_layer(rng);
        const auto in = input_for(rng, r);
        if (!in) {
            continue;
        }
        CAPTURE(r.conv);
        CAPTURE(in->height);
        CAPTURE(in->width);
        const convpool::Tensor x = sweep::to_tensor(*in);
        const convpool::Pipeline p = test::layer_pipeline(r.conv, r.arrays);
        (void)p.plan(x.shape());
        const convpool::Tensor want = sweep::to_tensor(ref::conv_layer(*in, r.layer));
        convpool::Tensor loops;
        {
            const WithLibrary off(false);
            loops = p.run(x, {});
        }
        CHECK(difference(want, loops).empty());
        for (const int threads : {1, 2, 3}) {
            convpool::set_thread_count(threads);
            CHECK(difference(want, p.run(x, {})).empty());
        }
        convpool::set_thread_count(0);
        ++ran;
    }
    CHECK(ran >= 40);
}

TEST_CASE(
    "conv | bn | relu | pool:max fused gives the stages' values within tolerance, with and "
    "without the library") {
    sweep::Random rng(1403U);
    int ran = 0;
    int pooled = 0;
    for (int i = 0; i < 60; ++i) {
        const RandomLayer r = random_layer(rng);
        const auto in = input_for(rng, r);
        if (!in) {
            continue;
        }
        const int k = rng.integer(2, 3);
        const int s = rng.integer(1, 2);
        const int pad = rng.integer(0, k / 2);
        const bool ceil = rng.chance(30);
        std::string text = r.conv;
        text += rng.chance(75) ? " | " + r.bn : "";
        text += rng.chance(75) ? " | relu" : "";
        text += rng.chance(75)
                    ? fmt::format(" | pool:max,k={},s={},pad={}{}", k, s, pad, ceil ? ",ceil" : "")
                    : "";
        text += rng.chance(20) ? " | abs" : "";
        CAPTURE(text);
        CAPTURE(in->height);
        CAPTURE(in->width);
        const convpool::Tensor x = sweep::to_tensor(*in);
        const convpool::Pipeline p = test::layer_pipeline(text, r.arrays);
        try {
            (void)p.plan(x.shape());
        } catch (const convpool::ShapeError&) {
            continue;  // the pool does not fit the layer's output
        }
        const convpool::Tensor staged = p.run(x, {});
        for (const bool library : {true, false}) {
            const WithLibrary with(library);
            std::vector<int> seen;
            const convpool::Tensor fused = p.run(
                x,
                [&](const convpool::StageResult& result) {
                    seen.push_back(result.index);
                    if (result.index == static_cast<int>(p.stages().size())) {
                        CHECK(result.tensor != nullptr);
                    }
                },
                true);
            CHECK(difference(staged, fused).empty());
            // Every stage is reported once, in order, the absorbed ones too.
            CHECK(static_cast<int>(seen.size()) == static_cast<int>(p.stages().size()) + 1);
            CHECK(std::is_sorted(seen.begin(), seen.end()));
        }
        pooled += text.find("pool:max") != std::string::npos ? 1 : 0;
        ++ran;
    }
    CHECK(ran >= 40);
    CHECK(pooled >= 20);
}

TEST_CASE("bn folded into the convolution's weights is within float rounding of bn after it") {
    sweep::Random rng(1404U);
    for (int i = 0; i < 20; ++i) {
        const RandomLayer r = random_layer(rng);
        const auto in = input_for(rng, r);
        if (!in) {
            continue;
        }
        CAPTURE(r.conv);
        const convpool::Tensor x = sweep::to_tensor(*in);
        const convpool::Pipeline p = test::layer_pipeline(r.conv + " | " + r.bn, r.arrays);
        (void)p.plan(x.shape());
        const WithLibrary loops(false);  // the loops: the same sums, only the weights scaled
        const convpool::Tensor staged = p.run(x, {});
        const convpool::Tensor folded = p.run(x, {}, true);
        // w * a summed vs (sum w) * a: a few float roundings per value, relative to the sums.
        CHECK(difference(staged, folded, 1e-5).empty());
    }
}
