// Pipeline text -> stages -> plan: grammar, name resolution, stage prefixes in errors.
#include "convpool/core/error.hpp"
#include "convpool/io/image_io.hpp"
#include "convpool/io/png.hpp"
#include "convpool/pipeline/pipeline.hpp"
#include "convpool/pipeline/registry.hpp"

#include <doctest/doctest.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <vector>

using convpool::Pipeline;
using convpool::Shape;
using convpool::ShapeError;
using convpool::UsageError;

TEST_CASE("pipeline: stages, bare first values and brackets") {
    const auto st = convpool::split_pipeline("conv:kernel=[1, 0 | 2] | pool:max,k=2,ceil\n relu");
    REQUIRE(st.size() == 3);
    CHECK(st[0].name == "conv");
    REQUIRE(st[0].args.size() == 1);
    CHECK(st[0].args[0].key == "kernel");
    CHECK(st[0].args[0].value == "[1, 0 | 2]");
    CHECK(st[1].name == "pool");
    CHECK(st[1].args[0].key.empty());
    CHECK(st[1].args[0].value == "max");
    CHECK(st[2].name == "relu");
}

TEST_CASE("pipeline: comments and one stage per line") {
    const Pipeline p("# edges\nconv:sobel-x   # horizontal gradient\n\nrelu\npool:max,k=2\n");
    REQUIRE(p.stages().size() == 3);
    CHECK(p.stages()[2].info->name == "pool:max");
}

TEST_CASE("pipeline: a '|' at a line break joins the lines; a file's errors name FILE:LINE") {
    const auto st = convpool::split_pipeline("# edges\nconv:sobel-x |\n\n  relu\n| pool:max |\n");
    REQUIRE(st.size() == 3);
    CHECK(st[0].line == 2);
    CHECK(st[1].line == 4);
    CHECK(st[2].line == 5);
    CHECK(st[2].text == "pool:max");
    CHECK_THROWS_WITH_AS(Pipeline("relu\nrelu || abs\n", convpool::Semantics::torch, "a.pipe"),
                         "a.pipe:2: stage 3 is empty (two '|' in a row, or '|' at an end)",
                         UsageError);
    CHECK_THROWS_WITH_AS(Pipeline("relu\n\npool:max,k=0", convpool::Semantics::torch, "a.pipe"),
                         "a.pipe:3: stage 2 'pool:max,k=0': pool:max: k: 0 is out of range "
                         "(from 1 to 4096)",
                         UsageError);
    const Pipeline p("pool:max,k=2\npool:max,k=9", convpool::Semantics::torch, "a.pipe");
    CHECK_THROWS_WITH_AS((void)p.plan(Shape{1, 8, 8}),
                         "a.pipe:2: stage 2 'pool:max,k=9': pool:max: kernel 9x9 (dilation 1x1) "
                         "does not fit the padded input 4x4 (pad 0x0)",
                         ShapeError);
}

TEST_CASE("pipeline: describe records every parameter and parses back") {
    const Pipeline p("conv:gaussian,k=5 | pool:max,k=3,s=2,pad=1,ceil | bank:sobel-x,sobel-y");
    CHECK(p.stages()[0].describe() ==
          "conv:gaussian,k=5,stride=1,pad=same,dilation=1,border=reflect101,scale=1,bias=0");
    CHECK(p.stages()[1].describe() == "pool:max,k=3,s=2,pad=1,dilation=1,ceil=true");
    CHECK(p.stages()[2].describe() ==
          "bank:sobel-x,sobel-y,stride=1,pad=same,dilation=1,border=reflect101,scale=1,bias=0");
    for (const auto& stage : p.stages()) {
        const Pipeline again(stage.describe());
        CHECK(again.stages()[0].describe() == stage.describe());
    }
}

TEST_CASE("pipeline: syntax errors") {
    CHECK_THROWS_WITH_AS(Pipeline(""),
                         "pipeline is empty (write stages like \"conv:sobel-x | pool:max,k=2\")",
                         UsageError);
    CHECK_THROWS_WITH_AS(Pipeline(" # only a comment\n"),
                         "pipeline is empty (write stages like \"conv:sobel-x | pool:max,k=2\")",
                         UsageError);
    CHECK_THROWS_WITH_AS(Pipeline("relu || relu"),
                         "stage 2 is empty (two '|' in a row, or '|' at an end)", UsageError);
    CHECK_THROWS_WITH_AS(Pipeline("relu |"),
                         "stage 2 is empty (two '|' in a row, or '|' at an end)", UsageError);
    CHECK_THROWS_WITH_AS(Pipeline("pool:max,,k=2"), "stage 1 'pool:max,,k=2': empty argument",
                         UsageError);
    CHECK_THROWS_WITH_AS(Pipeline("conv:kernel=[1 2"), "pipeline: '[' without ']'", UsageError);
    CHECK_THROWS_WITH_AS(Pipeline(":max"), "stage 1 ':max': missing op name", UsageError);
    CHECK_THROWS_WITH_AS(Pipeline("pool:max,=3"),
                         "stage 1 'pool:max,=3': missing key before '=' in '=3'", UsageError);
    CHECK_THROWS_AS(Pipeline(std::string(70000, 'x')), UsageError);
}

TEST_CASE("pipeline: unknown ops and modes are rejected with the closest name") {
    CHECK_THROWS_WITH_AS(Pipeline("relu | pool:mx"),
                         "stage 2 'pool:mx': unknown pool mode 'mx' (did you mean 'max'?) (modes: "
                         "max, avg, min, lp, gem, soft, mixed, median, blur, maxblur, global-max, "
                         "global-avg, global-gem, spp, adaptive-max, adaptive-avg, stochastic, "
                         "fractional)",
                         UsageError);
    CHECK_THROWS_WITH_AS(
        Pipeline("pool:k=2"),
        "stage 1 'pool:k=2': pool needs a mode: pool:MODE with MODE one of max, avg, min, lp, "
        "gem, soft, mixed, median, blur, maxblur, global-max, global-avg, global-gem, "
        "spp, adaptive-max, adaptive-avg, stochastic, fractional",
        UsageError);
    try {
        [[maybe_unused]] const Pipeline pipeline("conb:sobel-x");
        FAIL("no error");
    } catch (const UsageError& e) {
        const std::string what = e.what();
        CHECK(what.rfind("stage 1 'conb:sobel-x': unknown op 'conb' (did you mean 'conv'?) (ops: "
                         "gray, conv,",
                         0) == 0);
    }
}

TEST_CASE("pipeline: parameter errors get the stage prefix") {
    CHECK_THROWS_WITH_AS(Pipeline("pool:max,k=3,pad=2"),
                         "stage 1 'pool:max,k=3,pad=2': pool:max: pad 2x2 is more than half the "
                         "kernel 3x3 (at most 1x1; --semantics onnx allows more)",
                         UsageError);
    CHECK_THROWS_WITH_AS(Pipeline("conv"),
                         "stage 1 'conv': conv: give a filter name (conv:sobel-x), a kernel "
                         "(conv:kernel=[1 0 -1]) or layer weights (conv:weights=@w.npy)",
                         UsageError);
    CHECK_THROWS_WITH_AS(Pipeline("conv:sobel-x,k=5"),
                         "stage 1 'conv:sobel-x,k=5': conv: filter 'sobel-x' has a fixed size; k "
                         "applies to box, dog, gabor, gaussian, identity and log",
                         UsageError);
    CHECK_THROWS_WITH_AS(Pipeline("conv:sobel-x,kernel=[1]"),
                         "stage 1 'conv:sobel-x,kernel=[1]': conv: give a filter name or "
                         "kernel=[...], not both",
                         UsageError);
    CHECK_THROWS_WITH_AS(Pipeline("bank"), "stage 1 'bank': bank: filters is required", UsageError);
}

TEST_CASE("plan: shapes of every stage, and shape errors name the stage") {
    const Pipeline p("conv:gaussian,k=5 | pool:max,k=3,s=2,pad=1,ceil | pool:global-avg");
    const auto plan = p.plan(Shape{3, 224, 224});
    REQUIRE(plan.size() == 4);
    CHECK(plan[1].shape == Shape{3, 224, 224});
    CHECK(plan[2].shape == Shape{3, 113, 113});
    CHECK(plan[3].shape == Shape{3, 1, 1});
    CHECK_THROWS_WITH_AS((void)Pipeline("relu | pool:max,k=5").plan(Shape{1, 4, 4}),
                         "stage 2 'pool:max,k=5': pool:max: kernel 5x5 (dilation 1x1) does not fit "
                         "the padded input 4x4 (pad 0x0)",
                         ShapeError);
    CHECK_THROWS_WITH_AS((void)Pipeline("conv:box,k=7,pad=valid").plan(Shape{1, 5, 9}),
                         "stage 1 'conv:box,k=7,pad=valid': conv: kernel 7x7 (dilation 1x1) does "
                         "not fit the padded input 5x9 (pad 0x0)",
                         ShapeError);
}

TEST_CASE("plan: intermediates over the element limit are refused before any pixel moves") {
    const Pipeline p("bank:identity,box,gaussian,sobel-x");
    CHECK_NOTHROW((void)p.plan(Shape{3, 100, 100}, 120000));
    CHECK_THROWS_AS((void)p.plan(Shape{3, 100, 100}, 119999), ShapeError);
}

TEST_CASE("plan: notes tell about the ceil rule and uncovered borders") {
    const auto plan = Pipeline("pool:max,k=2,s=2,pad=1,ceil | pool:max,k=2").plan(Shape{1, 5, 7});
    REQUIRE(plan.size() == 3);
    const auto& n1 = plan[1].notes;
    CHECK(std::find(n1.begin(), n1.end(),
                    "ceil rule dropped a last window along rows that would start in the padding") !=
          n1.end());
    const auto& n2 = plan[2].notes;
    CHECK(std::find(n2.begin(), n2.end(), "last 1 input rows not read by any window") != n2.end());
}

TEST_CASE("pipeline_argument reads @FILE") {
    const std::string path = "convpool_test_pipeline.pipe";
    {
        std::ofstream f(path);
        f << "conv:sobel-x\nrelu\n";
    }
    CHECK(convpool::pipeline_argument("@" + path) == "conv:sobel-x\nrelu\n");
    CHECK(convpool::pipeline_argument("relu") == "relu");
    std::remove(path.c_str());
    CHECK_THROWS_WITH_AS(convpool::pipeline_argument("@/nonexistent/x.pipe"),
                         "pipeline file: cannot read '/nonexistent/x.pipe': no such file",
                         UsageError);
}

namespace {

/// True when `a` and `b` have the same shape and the same bits in every value.
bool same_bits(const convpool::Tensor& a, const convpool::Tensor& b) {
    return a.shape() == b.shape() &&
           std::memcmp(a.data().data(), b.data().data(), a.data().size_bytes()) == 0;
}

/// Every stage's values of a run, the input first; 8-bit results converted as a float run
/// holds them. `in_u8` counts the results the observer saw in 8 bits.
struct Observed {
    std::vector<convpool::Tensor> values;
    int in_u8 = 0;
};

template <typename Input>
Observed observe(const Pipeline& p, Input input, convpool::Tensor& final_tensor) {
    Observed seen;
    final_tensor = p.run(std::move(input), [&seen](const convpool::StageResult& r) {
        CHECK(r.index == static_cast<int>(seen.values.size()));
        seen.in_u8 += r.tensor == nullptr ? 1 : 0;
        seen.values.push_back(r.tensor != nullptr ? *r.tensor : convpool::unit_tensor(*r.image));
        CHECK(seen.values.back().shape() == r.shape());
    });
    return seen;
}

/// The encoded images of the 8-bit test: bundled samples (gray PNG, RGB PNG, RGB JPEG of odd
/// height) and PNGs made here of every channel count (gray, gray + alpha, RGB, RGBA) at odd
/// sizes.
std::vector<std::pair<std::string, std::vector<unsigned char>>> u8_test_images() {
    std::vector<std::pair<std::string, std::vector<unsigned char>>> images;
    for (const char* name : {"camera.png", "chelsea.png", "rocket.jpg"}) {
        std::ifstream f(std::string(CONVPOOL_SAMPLES_DIR) + "/" + name, std::ios::binary);
        images.emplace_back(name, std::vector<unsigned char>(std::istreambuf_iterator<char>(f),
                                                             std::istreambuf_iterator<char>()));
    }
    for (const int channels : {1, 2, 3, 4}) {
        for (const auto& [w, h] : {std::pair{37, 23}, std::pair{1, 9}, std::pair{8, 1}}) {
            std::vector<std::uint8_t> px(static_cast<std::size_t>(w * h * channels));
            for (std::size_t i = 0; i < px.size(); ++i) {
                px[i] = static_cast<std::uint8_t>((i * 97 + i / 7 * 13) % 256);
            }
            const std::string png = convpool::encode_png8(px, w, h, channels);
            images.emplace_back(std::to_string(channels) + " channels " + std::to_string(w) + "x" +
                                    std::to_string(h),
                                std::vector<unsigned char>(png.begin(), png.end()));
        }
    }
    return images;
}

}  // namespace

TEST_CASE("leading_u8_stages: max and min pools up to the first stage that needs floats") {
    const Shape in{3, 40, 30};
    CHECK(Pipeline("pool:max,k=2,s=2").leading_u8_stages(in) == 1);
    CHECK(Pipeline("pool:max,k=2,s=2 | pool:min,k=3,s=1,pad=1 | relu | pool:max,k=2")
              .leading_u8_stages(in) == 2);
    CHECK(Pipeline("gray | pool:max,k=2").leading_u8_stages(in) == 0);
    CHECK(Pipeline("pool:avg,k=2 | pool:max,k=2").leading_u8_stages(in) == 0);
    CHECK(Pipeline("pool:max,k=2,s=2,switches | unpool").leading_u8_stages(in) == 0);
    // Taps -1 and 4 of a 4-wide row: a window of padding only has no 8-bit value (-inf in
    // float), so the second pool runs in float.
    CHECK(Pipeline("pool:max,k=2,s=1 | pool:max,k=2,dilation=5,pad=1")
              .leading_u8_stages(Shape{1, 5, 5}) == 1);
}

TEST_CASE("run(ImageU8): 8-bit leading stages give the float run's values bit for bit") {
    const std::vector<std::string> pipelines{
        "pool:max,k=2,s=2",
        "pool:min,k=3,s=1,pad=1",
        "pool:max,k=2,s=2 | pool:min,k=3,s=2,pad=1,ceil | conv:sobel-x | relu",
        "pool:max,k=3,s=2,pad=1,dilation=2 | pool:max,k=2,s=2,switches | unpool",
        "pool:min,k=2,s=1 | gray | pool:max,k=2,s=2",
        "relu | pool:max,k=2,s=2",
    };
    for (const auto& image : u8_test_images()) {
        const std::string& name = image.first;
        const auto& bytes = image.second;
        CAPTURE(name);
        convpool::LoadOptions options;
        options.isolate_decoder = false;  // the same decoder either way; in-process is quicker
        const convpool::Tensor input = convpool::decode_image(bytes, options).tensor;
        options.keep_u8 = [](const Shape& /*shape*/) { return true; };
        convpool::LoadedImage loaded = convpool::decode_image(bytes, options);
        REQUIRE(loaded.u8.has_value());
        CHECK(loaded.tensor.shape() == Shape{});
        CHECK(same_bits(convpool::unit_tensor(*loaded.u8), input));
        for (const auto& text : pipelines) {
            CAPTURE(text);
            const Pipeline p(text);
            std::optional<std::vector<convpool::PlanStep>> plan;
            try {
                plan = p.plan(input.shape());
            } catch (const ShapeError&) {
                continue;  // too small for this pipeline: nothing to compare
            }
            convpool::Tensor float_out;
            convpool::Tensor u8_out;
            const Observed f = observe(p, input, float_out);
            const Observed u = observe(p, *loaded.u8, u8_out);
            CHECK(f.in_u8 == 0);
            // Seen in 8 bits: the input and every 8-bit stage but the last (whose tensor is made
            // anyway), so as many as there are 8-bit stages.
            CHECK(u.in_u8 == static_cast<int>(p.leading_u8_stages(input.shape())));
            CHECK(same_bits(u8_out, float_out));
            REQUIRE(u.values.size() == f.values.size());
            for (std::size_t i = 0; i < f.values.size(); ++i) {
                CAPTURE(i);
                CHECK(same_bits(u.values[i], f.values[i]));
            }
        }
    }
}

TEST_CASE("decode_image keep_u8: only 8-bit images whose shape is asked for stay in 8 bits") {
    const std::string png = convpool::encode_png8(std::vector<std::uint8_t>(12, 7), 2, 2, 3);
    const std::vector<unsigned char> bytes(png.begin(), png.end());
    convpool::LoadOptions options;
    options.isolate_decoder = false;
    options.keep_u8 = [](const Shape& s) { return s == Shape{3, 2, 2}; };
    CHECK(convpool::decode_image(bytes, options).u8.has_value());
    options.keep_u8 = [](const Shape& s) { return s.channels == 1; };
    const convpool::LoadedImage loaded = convpool::decode_image(bytes, options);
    CHECK_FALSE(loaded.u8.has_value());
    CHECK(loaded.tensor.shape() == Shape{3, 2, 2});
}

TEST_CASE("run_final: the final values of run(), bit for bit, with the input left as it was") {
    // First stages of every kind run_from tells apart: elementwise (run in place by run()),
    // one fused with the activation after it, one recording switches, one that makes a new map.
    const std::vector<std::string> pipelines{
        "relu | pool:max,k=2,s=2",
        "conv:sobel-x | relu | pool:avg,k=2,s=2",
        "pool:max,k=2,s=2,switches | unpool",
        "gray | conv:sobel-y | abs | pool:max,k=3,s=2,pad=1",
    };
    convpool::Tensor input(Shape{3, 37, 41});
    auto v = input.data();
    for (std::size_t i = 0; i < v.size(); ++i) {
        v[i] = static_cast<float>((i * 7919U) % 211U) / 105.0F - 1.0F;
    }
    const convpool::Tensor before = input;
    for (const auto& text : pipelines) {
        CAPTURE(text);
        const Pipeline p(text);
        (void)p.plan(input.shape());
        for (const bool fuse : {false, true}) {
            CAPTURE(fuse);
            const convpool::Tensor expected = p.run(convpool::Tensor(input), {}, fuse);
            CHECK(same_bits(p.run_final(input, fuse), expected));
            CHECK(same_bits(input, before));
        }
    }
}
