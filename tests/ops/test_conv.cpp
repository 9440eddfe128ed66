// conv: named filters by hand and against the naive reference over kernels, strides, dilation,
// borders and padding; conv:weights=@w.npy, a full convolution layer (torch.nn.Conv2d) with
// weights from a file, against PyTorch fixtures and the layer reference.
#include "convpool/core/error.hpp"
#include "convpool/core/parallel.hpp"
#include "convpool/pipeline/pipeline.hpp"

#include <doctest/doctest.h>
#include <fmt/format.h>

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstddef>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "layer_helpers.hpp"
#include "ops/common/filters.hpp"
#include "reference/reference.hpp"
#include "reference/reference_layers.hpp"
#include "reference/sweep.hpp"
#include "test_helpers.hpp"
#include "torch_fixtures.hpp"

using test::run;
using test::tensor;
using test::values;

namespace {

using namespace sweep;  // the shared sweep helpers (reference/sweep.hpp)
using test::array;
using test::Arrays;
using test::layer_pipeline;

convpool::Tensor run_layer(const std::string& text, const Arrays& arrays,
                           const convpool::Tensor& in) {
    const convpool::Pipeline p = layer_pipeline(text, arrays);
    (void)p.plan(in.shape());
    return p.run(in, {});
}

/// The message of the error `text` raises when parsed with `arrays`, or "" when none.
std::string parse_error(const std::string& text, const Arrays& arrays) {
    try {
        (void)layer_pipeline(text, arrays);
    } catch (const convpool::UsageError& e) {
        return e.what();
    }
    return "";
}

/// |got - want| <= 1e-4 max|want| + 1e-6 everywhere, else the first place it is not.
std::string layer_difference(const ref::Image& want, const convpool::Tensor& got) {
    if (got.shape() != convpool::Shape{want.channels, want.height, want.width}) {
        return "shape " + sweep::shape_text(got.shape()) + " instead of " +
               sweep::shape_text(want.channels, want.height, want.width);
    }
    double scale = 0.0;
    for (const float v : want.values) {
        scale = std::max(scale, std::fabs(static_cast<double>(v)));
    }
    for (std::size_t i = 0; i < want.values.size(); ++i) {
        const double d =
            std::fabs(static_cast<double>(got.data()[i]) - static_cast<double>(want.values[i]));
        if (!(d <= 1e-4 * scale + 1e-6)) {
            return "value " + std::to_string(i) + ": " + std::to_string(got.data()[i]) +
                   " instead of " + std::to_string(want.values[i]);
        }
    }
    return "";
}

}  // namespace

TEST_CASE("conv:weights sums over input channels with one bias per output channel") {
    // c0 = 1..9, c1 has 1 and 2 in opposite corners. w[0][0] = [1 0; 0 -1] gives -4 at every
    // position, w[0][1] = 0.5 everywhere gives half of each window's sum of c1.
    const convpool::Tensor in =
        test::tensor(2, 3, 3, {1, 2, 3, 4, 5, 6, 7, 8, 9, 1, 0, 0, 0, 0, 0, 0, 0, 2});
    const Arrays arrays{
        {"w.npy", array({2, 2, 2, 2}, {1, 0, 0, -1, 0.5F, 0.5F, 0.5F, 0.5F,  // output 0
                                       0, 0, 0, 0, 0, 0, 0, 1})},            // output 1
        {"b.npy", array({2}, {10, -1})}};
    const convpool::Tensor out = run_layer("conv:weights=@w.npy,bias=@b.npy", arrays, in);
    CHECK(out.shape() == convpool::Shape{2, 2, 2});
    // Output 1 is c1's bottom-right cell of each window, minus 1.
    CHECK(test::values(out) == std::vector<float>{6.5F, 6, 6, 7, -1, -1, -1, 1});
    // A number as bias, stride 2 with padding 1 (zeros): windows at -1 and 1.
    const convpool::Tensor strided =
        run_layer("conv:weights=@w.npy,bias=0.5,stride=2,pad=1", arrays, in);
    CHECK(strided.shape() == convpool::Shape{2, 2, 2});
    // Output 0 at (0,0): window rows -1..0, cols -1..0: -x[0][0] = -1 from c0, c1 0.5*1.
    CHECK(strided.at(0, 0, 0) == -1.0F + 0.5F + 0.5F);
    CHECK(strided.at(1, 1, 1) == 2.0F + 0.5F);
}

TEST_CASE("conv:weights with groups reads each group's input channels") {
    const convpool::Tensor in = test::tensor(2, 1, 2, {1, 2, 3, 4});
    // groups=2, 1x1 kernels: output 0 = 2 * c0, output 1 = 3 * c1, output 2 = -c1.
    const Arrays depthwise{{"w.npy", array({2, 1, 1, 1}, {2, 3})}};
    CHECK(test::values(run_layer("conv:weights=@w.npy,groups=2", depthwise, in)) ==
          std::vector<float>{2, 4, 9, 12});
    const Arrays grouped{{"w.npy", array({4, 1, 1, 1}, {2, 1, 3, -1})}};
    CHECK(test::values(run_layer("conv:weights=@w.npy,groups=2", grouped, in)) ==
          std::vector<float>{2, 4, 1, 2, 9, 12, -3, -4});
    // groups=1: every output reads both channels.
    const Arrays full{{"w.npy", array({1, 2, 1, 1}, {1, 10})}};
    CHECK(test::values(run_layer("conv:weights=@w.npy", full, in)) == std::vector<float>{31, 42});
}

TEST_CASE("conv:weights takes PyTorch's defaults and its stage text parses back") {
    const Arrays arrays{{"w.npy", array({1, 1, 3, 3}, {0, 0, 0, 0, 1, 0, 0, 0, 0})}};
    const convpool::Pipeline p = layer_pipeline("conv:weights=@w.npy", arrays);
    const std::string text = p.stages().front().describe();
    CHECK(text == "conv:weights=@w.npy,stride=1,pad=0,dilation=1,border=zero,scale=1,bias=0");
    CHECK(layer_pipeline(text, arrays).stages().front().describe() == text);
    // pad=0: a 3x3 kernel takes one cell off every side.
    CHECK(p.plan({1, 5, 6}).back().shape == convpool::Shape{1, 3, 4});
    // Given explicitly, pad and border are as written; the named filters keep their defaults.
    const convpool::Pipeline same =
        layer_pipeline("conv:weights=@w.npy,pad=same,border=wrap", arrays);
    CHECK(same.plan({1, 5, 6}).back().shape == convpool::Shape{1, 5, 6});
    CHECK(convpool::Pipeline("conv:sobel-x").stages().front().describe() ==
          "conv:sobel-x,stride=1,pad=same,dilation=1,border=reflect101,scale=1,bias=0");
}

TEST_CASE("conv:weights refuses weights that do not fit, naming both numbers") {
    const Arrays arrays{{"w.npy", array({4, 3, 3, 3}, std::vector<float>(108, 0.5F))},
                        {"k.npy", array({3, 3}, std::vector<float>(9, 1.0F))},
                        {"b3.npy", array({3}, {1, 2, 3})}};
    // Each stage's error after the runner's "stage 1 'TEXT': ".
    const std::vector<std::pair<std::string, std::string>> refused{
        {"conv:weights=@k.npy",
         "conv: weights: @k.npy: array has 2 dimensions; expected 4, (C_out, C_in/groups, kH, "
         "kW) as torch.nn.Conv2d.weight"},
        {"conv:weights=@w.npy,groups=3",
         "conv: groups: 4 output channels (weights @w.npy) do not split into 3 groups"},
        {"conv:weights=@w.npy,bias=@b3.npy",
         "conv: bias: 3 values for 4 output channels (weights @w.npy); give one per output "
         "channel or one number"},
        {"conv:sobel-x,weights=@w.npy",
         "conv: give a filter name, kernel=[...] or weights=@FILE, not two"},
        {"conv:sobel-x,groups=2", "conv: groups applies to weights=@FILE"},
        {"conv:sobel-x,bias=[1 2]",
         "conv: bias: a list of values applies to weights=@FILE (one per output channel)"},
        {"conv:weights=[1 2]",
         "conv: weights: expected a weights file @FILE.npy or @FILE.npz:KEY, got '[1 2]'"},
    };
    for (const auto& text_error : refused) {
        const std::string& text = text_error.first;
        CHECK(parse_error(text, arrays) == "stage 1 '" + text + "': " + text_error.second);
    }
    // The input's channels are checked when the pipeline is planned, before any pixel moves.
    const convpool::Pipeline p = layer_pipeline("conv:weights=@w.npy", arrays);
    CHECK_THROWS_WITH_AS((void)p.plan({1, 8, 8}),
                         "stage 1 'conv:weights=@w.npy': conv: weights @w.npy take 3 input "
                         "channels (3 per group x 1 group); the input has 1",
                         convpool::ShapeError);
    CHECK(p.plan({3, 8, 8}).back().shape == convpool::Shape{4, 6, 6});
}

TEST_CASE(
    "conv:weights' loops match the naive reference over groups, kernels, strides, pads, "
    "dilations and every border, with the same bits on every thread count") {
    // The hand-written loops, the reference path: the library's results are held to the
    // tolerance across thread counts by tests/test_conv_engine.cpp (oneDNN does not promise
    // the same bits: on an AVX2 machine, 2 threads differed from 1 in the last bits).
    const test::WithLibrary loops(false);
    sweep::Random rng(1401U);
    const std::vector<std::pair<const char*, ref::Border>> borders{
        {"zero", ref::Border::zero},
        {"reflect", ref::Border::reflect},
        {"reflect101", ref::Border::reflect101},
        {"replicate", ref::Border::replicate},
        {"wrap", ref::Border::wrap}};
    int ran = 0;
    for (int i = 0; i < 120; ++i) {
        ref::ConvLayer layer;
        const int group_kind = rng.integer(0, 2);  // 1, 2 or depthwise
        const int c_in = group_kind == 1 ? 2 * rng.integer(1, 2) : rng.integer(1, 4);
        layer.groups = group_kind == 0 ? 1 : (group_kind == 1 ? 2 : c_in);
        layer.in_per_group = c_in / layer.groups;
        layer.out_channels = layer.groups * rng.integer(1, 3);
        layer.kh = rng.integer(1, 7);
        layer.kw = rng.integer(1, 7);
        layer.rows = {
            .kernel = layer.kh, .stride = rng.integer(1, 3), .dilation = rng.integer(1, 2)};
        layer.cols = {
            .kernel = layer.kw, .stride = rng.integer(1, 3), .dilation = rng.integer(1, 2)};
        layer.rows.pad_begin = layer.rows.pad_end = rng.integer(0, layer.kh);
        layer.cols.pad_begin = layer.cols.pad_end = rng.integer(0, layer.kw);
        const auto& border = borders[static_cast<std::size_t>(rng.integer(0, 4))];
        layer.border = border.second;
        const int h = rng.integer(std::max(1, layer.rows.pad_begin), 14);
        const int w = rng.integer(std::max(1, layer.cols.pad_begin), 14);
        if (h + 2 * layer.rows.pad_begin < layer.rows.dilation * (layer.kh - 1) + 1 ||
            w + 2 * layer.cols.pad_begin < layer.cols.dilation * (layer.kw - 1) + 1) {
            continue;  // the kernel does not fit
        }
        const ref::Image in = sweep::random_image(rng, c_in, h, w, sweep::Values::signed_ties);
        const std::size_t count = static_cast<std::size_t>(layer.out_channels) *
                                  static_cast<std::size_t>(layer.in_per_group) *
                                  static_cast<std::size_t>(layer.kh) *
                                  static_cast<std::size_t>(layer.kw);
        for (std::size_t v = 0; v < count; ++v) {
            layer.weights.push_back(rng.signed_unit());
        }
        for (int o = 0; o < layer.out_channels; ++o) {
            layer.bias.push_back(rng.signed_unit());
        }
        const Arrays arrays{
            {"w.npy",
             array({static_cast<std::size_t>(layer.out_channels),
                    static_cast<std::size_t>(layer.in_per_group),
                    static_cast<std::size_t>(layer.kh), static_cast<std::size_t>(layer.kw)},
                   layer.weights)},
            {"b.npy", array({static_cast<std::size_t>(layer.out_channels)}, layer.bias)}};
        const std::string stage = fmt::format(
            "conv:weights=@w.npy,bias=@b.npy,groups={},stride={}x{},pad={}x{},dilation={}x{},"
            "border={}",
            layer.groups, layer.rows.stride, layer.cols.stride, layer.rows.pad_begin,
            layer.cols.pad_begin, layer.rows.dilation, layer.cols.dilation, border.first);
        CAPTURE(stage);
        CAPTURE(h);
        CAPTURE(w);
        CAPTURE(c_in);
        convpool::set_thread_count(1);
        const convpool::Tensor one = run_layer(stage, arrays, sweep::to_tensor(in));
        CHECK(layer_difference(ref::conv_layer(in, layer), one).empty());
        for (const int threads : {2, 3}) {
            convpool::set_thread_count(threads);
            CHECK(sweep::difference(one, run_layer(stage, arrays, sweep::to_tensor(in))).empty());
        }
        convpool::set_thread_count(0);
        ++ran;
    }
    CHECK(ran >= 80);
}

TEST_CASE(
    "conv:weights matches torch conv2d over groups, bias, stride, padding, dilation, "
    "kernel sizes 1 to 7 and torch's padding modes") {
    CHECK(torch_fixtures::check_family("torch_layers.json", "conv",
                                       torch_fixtures::Compare::layer) >= 30);
}

TEST_CASE("conv:weights followed by relu gives the same bits fused and stage by stage") {
    sweep::Random rng(77U);
    const ref::Image in = sweep::random_image(rng, 3, 9, 11, sweep::Values::signed_ties);
    std::vector<float> w(std::size_t{108});  // 4 x 3 x 3 x 3
    for (float& v : w) {
        v = rng.signed_unit();
    }
    const Arrays arrays{{"w.npy", array({4, 3, 3, 3}, w)}};
    const convpool::Pipeline p = layer_pipeline("conv:weights=@w.npy,pad=1 | relu", arrays);
    const convpool::Tensor x = sweep::to_tensor(in);
    (void)p.plan(x.shape());
    const convpool::Tensor staged = p.run(x, {});
    const convpool::Op& conv = *p.stages().front().op;
    REQUIRE(conv.fuses_activation(x.shape()));
    const convpool::Tensor fused =
        conv.apply_activated(x, convpool::Activation{convpool::Activation::Kind::relu});
    CHECK(sweep::difference(staged, fused).empty());
    CHECK(*std::min_element(fused.data().begin(), fused.data().end()) == 0.0F);
}

// ---------------------------------------------------------------------------------------------
// Hand-checked cases of named-filter convolution, and the sweep against the naive reference

TEST_CASE("conv is cross-correlation: sobel-x is positive where values grow to the right") {
    const auto in = tensor(1, 3, 3, {0, 1, 2, 0, 1, 2, 0, 1, 2});
    const auto out = run("conv:sobel-x,pad=valid", in);
    CHECK(out.shape() == convpool::Shape{1, 1, 1});
    CHECK(values(out) == std::vector<float>{8});
    // An asymmetric kernel shows the orientation: [1 2] . (x0, x1) = x0 + 2 x1.
    CHECK(values(run("conv:kernel=[1 2],pad=valid", tensor(1, 1, 3, {1, 10, 100}))) ==
          std::vector<float>{21, 210});
}

TEST_CASE("conv border modes fill the padding as documented") {
    const auto in = tensor(1, 1, 3, {1, 2, 3});
    const auto with = [&in](const char* border) {
        return values(run(std::string("conv:kernel=[1 1 1],pad=0x1,border=") + border, in));
    };
    CHECK(with("zero") == std::vector<float>{3, 6, 5});
    CHECK(with("replicate") == std::vector<float>{4, 6, 8});
    CHECK(with("reflect") == std::vector<float>{4, 6, 8});     // 1|1 2 3|3
    CHECK(with("reflect101") == std::vector<float>{5, 6, 7});  // 2|1 2 3|2
    CHECK(with("wrap") == std::vector<float>{6, 6, 6});        // 3|1 2 3|1
}

TEST_CASE("conv stride, dilation, same padding of an even kernel, scale and bias") {
    const auto in = tensor(1, 1, 5, {1, 2, 3, 4, 5});
    CHECK(values(run("conv:kernel=[1 1],pad=valid,dilation=2", in)) == std::vector<float>{4, 6, 8});
    CHECK(values(run("conv:kernel=[1 1],pad=valid,dilation=2,stride=2", in)) ==
          std::vector<float>{4, 8});
    // same with k=2: total padding 1, at the end (as TensorFlow and PyTorch).
    CHECK(values(run("conv:kernel=[1 1],pad=same,border=zero", tensor(1, 1, 4, {1, 2, 3, 4}))) ==
          std::vector<float>{3, 5, 7, 4});
    CHECK(values(run("conv:identity,scale=2,bias=1", in)) == std::vector<float>{3, 5, 7, 9, 11});
}

TEST_CASE("named kernels have their documented values and sums") {
    const auto sum = [](const convpool::Matrix& m) {
        double s = 0;
        for (const float v : m.values) {
            s += static_cast<double>(v);
        }
        return s;
    };
    CHECK(convpool::named_kernel("sobel-x", {}, 0).values ==
          std::vector<float>{-1, 0, 1, -2, 0, 2, -1, 0, 1});
    CHECK(convpool::named_kernel("laplacian", {}, 0).values ==
          std::vector<float>{0, 1, 0, 1, -4, 1, 0, 1, 0});
    CHECK(sum(convpool::named_kernel("sharpen", {}, 0)) == doctest::Approx(1.0));
    const auto g = convpool::named_kernel("gaussian", {5, 5}, 0);
    CHECK(g.rows == 5);
    CHECK(sum(g) == doctest::Approx(1.0));
    CHECK(g.values[0] == doctest::Approx(static_cast<double>(g.values[24])));
    CHECK(g.values[12] > g.values[11]);
    const auto l = convpool::named_kernel("log", {}, 1.0);
    CHECK(l.rows == 7);
    CHECK(sum(l) == doctest::Approx(0.0).epsilon(1e-6));
    CHECK(l.values[24] < 0);  // negative centre, like laplacian
    CHECK(sum(convpool::named_kernel("box", {3, 3}, 0)) == doctest::Approx(1.0));
    CHECK(convpool::named_kernel("box", {2, 3}, 0).values.size() == 6);
}

// NOLINTNEXTLINE(readability-function-cognitive-complexity): one sweep, a loop per parameter
TEST_CASE(
    "conv matches the naive reference over kernels 1x1..5x5, strides, dilation, every "
    "border mode, explicit/same/valid padding, scale and bias") {
    Random rng(8U);
    int compared = 0;
    int invalid = 0;
    for (int kh = 1; kh <= 5; ++kh) {
        for (int kw = 1; kw <= 5; ++kw) {
            for (const ref::Border border : kBorders) {
                // pad 0..3 cells (square or not), same, valid
                for (int pad_choice = 0; pad_choice < 6; ++pad_choice) {
                    for (int repeat = 0; repeat < 4; ++repeat) {
                        ref::ConvSpec spec;
                        spec.kernel_rows = kh;
                        spec.kernel_cols = kw;
                        spec.kernel.clear();
                        std::string kernel_text;
                        double weight_sum = 0.0;
                        for (int r = 0; r < kh; ++r) {
                            kernel_text += r == 0 ? "" : "; ";
                            for (int c = 0; c < kw; ++c) {
                                const Decimal d = random_decimal(rng, -1000, 1000);
                                kernel_text += (c == 0 ? "" : " ") + d.text;
                                spec.kernel.push_back(d.value);
                                weight_sum += std::fabs(d.exact);
                            }
                        }
                        spec.stride_rows = rng.integer(1, 3);
                        spec.stride_cols = rng.integer(1, 3);
                        spec.dilation_rows = rng.integer(1, 2);
                        spec.dilation_cols = rng.integer(1, 2);
                        spec.border = border;
                        std::string pad_text;
                        if (pad_choice < 4) {
                            spec.pad.kind = ref::ConvPad::Kind::cells;
                            spec.pad.rows = pad_choice;
                            spec.pad.cols = rng.chance(50) ? pad_choice : rng.integer(0, 3);
                            pad_text = fmt::format("{}x{}", spec.pad.rows, spec.pad.cols);
                        } else if (pad_choice == 4) {
                            spec.pad.kind = ref::ConvPad::Kind::same;
                            pad_text = "same";
                        } else {
                            spec.pad.kind = ref::ConvPad::Kind::valid;
                            pad_text = "valid";
                        }
                        std::string stage = fmt::format(
                            "conv:kernel=[{}],stride={}x{},pad={},dilation={}x{},border={}",
                            kernel_text, spec.stride_rows, spec.stride_cols, pad_text,
                            spec.dilation_rows, spec.dilation_cols, border_name(border));
                        if (rng.chance(50)) {
                            const Decimal scale = random_decimal(rng, -2000, 2000);
                            const Decimal bias = random_decimal(rng, -1000, 1000);
                            spec.scale = scale.exact;
                            spec.bias = bias.exact;
                            stage += ",scale=" + scale.text + ",bias=" + bias.text;
                        }
                        const int h = kSizes[static_cast<std::size_t>(rng.integer(0, 4))];
                        const int w = kSizes[static_cast<std::size_t>(rng.integer(0, 4))];
                        const int channels = rng.integer(1, 3);
                        const Values kind = repeat % 2 == 1 && rng.chance(30)
                                                ? Values::signed_ties_nan
                                                : Values::signed_ties;
                        const ref::Image input = random_image(rng, channels, h, w, kind);
                        CAPTURE(stage);
                        CAPTURE(channels);
                        CAPTURE(h);
                        CAPTURE(w);
                        const int oh = ref::conv_output_height(h, spec);
                        const int ow = ref::conv_output_width(w, spec);
                        CAPTURE(oh);
                        CAPTURE(ow);
                        if (oh < 1 || ow < 1) {
                            const convpool::Pipeline pipeline(stage);
                            CHECK_THROWS_AS((void)pipeline.plan(convpool::Shape{channels, h, w}),
                                            convpool::ShapeError);
                            ++invalid;
                            continue;
                        }
                        convpool::Tensor got;
                        if (!run_stage(stage, input, shape_text(channels, oh, ow), got)) {
                            continue;
                        }
                        // convpool accumulates in float: allow the rounding of kh*kw products
                        // of magnitude up to |w| (inputs lie in [-1, 1]).
                        const double slack =
                            static_cast<double>(kh * kw + 2) * static_cast<double>(FLT_EPSILON) *
                            (std::fabs(spec.scale) * weight_sum + std::fabs(spec.bias));
                        CHECK(difference(ref::conv(input, spec), got, 1e-5, slack) == "");
                        ++compared;
                    }
                }
            }
        }
    }
    CHECK(compared > 1000);
    CHECK(invalid > 20);
}
