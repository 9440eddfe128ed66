// The pipeline grammar: brackets, parentheses, quoted @"..." paths, number lists, list entries
// with their own arguments, weights references, and the round trip of every stage's text.
#include "convpool/core/error.hpp"
#include "convpool/core/params.hpp"
#include "convpool/pipeline/pipeline.hpp"

#include <doctest/doctest.h>
#include <fmt/format.h>

#include <limits>
#include <map>
#include <string>
#include <vector>

using convpool::Params;
using convpool::ParamSpec;
using convpool::ParamType;
using convpool::ParseContext;
using convpool::Pipeline;
using convpool::UsageError;
using convpool::WeightsArray;

namespace {

/// A loader with no files: arrays by (path, key), and the paths it was asked for.
struct FakeFiles {
    std::map<std::string, WeightsArray> arrays;
    std::vector<std::string> asked;

    ParseContext context(std::string base = {}) {
        return {.load =
                    [this](const std::string& path, const std::string& key) {
                        asked.push_back(key.empty() ? path : path + ":" + key);
                        const auto it = arrays.find(key.empty() ? path : path + ":" + key);
                        if (it == arrays.end()) {
                            throw UsageError(fmt::format("'{}': no such file", path));
                        }
                        return it->second;
                    },
                .base = std::move(base)};
    }
};

WeightsArray sobel() { return {{3, 3}, {1, 0, -1, 2, 0, -2, 1, 0, -1}}; }

}  // namespace

TEST_CASE("grammar: split_top_level keeps brackets, parentheses and quoted paths whole") {
    using convpool::split_top_level;
    CHECK(split_top_level("a,[1, 2],b(c,d),e", ",", "t") ==
          std::vector<std::string>{"a", "[1, 2]", "b(c,d)", "e"});
    CHECK(split_top_level(R"(k=@"a,b|c(d)[e]",x)", ",|", "t") ==
          std::vector<std::string>{R"(k=@"a,b|c(d)[e]")", "x"});
    CHECK(split_top_level(R"(@"a\"b,c",d)", ",", "t") ==
          std::vector<std::string>{R"(@"a\"b,c")", "d"});
    // A quote not after '@' is an ordinary character.
    CHECK(split_top_level(R"(a"b,c)", ",", "t") == std::vector<std::string>{R"(a"b)", "c"});
    CHECK(split_top_level("g(k=[1 2],s=(3)),h", ",", "t") ==
          std::vector<std::string>{"g(k=[1 2],s=(3))", "h"});
    CHECK_THROWS_WITH_AS(split_top_level("a(b", ",", "t"), "t: '(' without ')'", UsageError);
    CHECK_THROWS_WITH_AS(split_top_level("a)b", ",", "t"), "t: ')' without '('", UsageError);
    CHECK_THROWS_WITH_AS(split_top_level("a[b)", ",", "t"), "t: ')' without '('", UsageError);
    CHECK_THROWS_WITH_AS(split_top_level(R"(@"abc)", ",", "t"), R"(t: '@"' without a closing '"')",
                         UsageError);
}

TEST_CASE("grammar: split_args splits at the first '=' before any group") {
    using convpool::split_args;
    const auto args = split_args(R"(sobel-x, k = 3,kernel=@"a=b.npy",@"x=y.npy",g(k=7))", "t");
    REQUIRE(args.size() == 5);
    CHECK(args[0].key.empty());
    CHECK(args[0].value == "sobel-x");
    CHECK(args[1].key == "k");
    CHECK(args[1].value == "3");
    CHECK(args[2].key == "kernel");
    CHECK(args[2].value == R"(@"a=b.npy")");
    CHECK(args[3].key.empty());
    CHECK(args[4].key.empty());
    CHECK(args[4].value == "g(k=7)");
    CHECK_THROWS_WITH_AS(split_args("a,,b", "t"), "t: empty argument", UsageError);
    CHECK_THROWS_WITH_AS(split_args("=3", "t"), "t: missing key before '=' in '=3'", UsageError);
}

TEST_CASE("grammar: weights references and their text round trip") {
    using convpool::parse_weights_ref;
    using convpool::weights_ref_text;
    const auto plain = parse_weights_ref("@k.npy", "w");
    CHECK(plain.path == "k.npy");
    CHECK(plain.key.empty());
    const auto keyed = parse_weights_ref("@dir/w.npz:conv1", "w");
    CHECK(keyed.path == "dir/w.npz");
    CHECK(keyed.key == "conv1");
    const auto quoted = parse_weights_ref(R"(@"my w, (v2) [a|b].npz":conv1)", "w");
    CHECK(quoted.path == "my w, (v2) [a|b].npz");
    CHECK(quoted.key == "conv1");
    const auto escaped = parse_weights_ref(R"(@"a\"b\\c:d.npy")", "w");
    CHECK(escaped.path == R"(a"b\c:d.npy)");
    for (const auto& ref : {plain, keyed, quoted, escaped}) {
        CAPTURE(ref.path);
        const auto again = parse_weights_ref(weights_ref_text(ref), "w");
        CHECK(again.path == ref.path);
        CHECK(again.key == ref.key);
    }
    CHECK(weights_ref_text(plain) == "@k.npy");
    CHECK(weights_ref_text(quoted) == R"(@"my w, (v2) [a|b].npz":conv1)");
    CHECK(weights_ref_text(escaped) == R"(@"a\"b\\c:d.npy")");
    CHECK_THROWS_WITH_AS((void)parse_weights_ref("@", "w"),
                         "w: an empty path in '@' (write @FILE.npy, @FILE.npz:KEY, or "
                         "@\"PATH\" for a path with ,|:()[] or spaces)",
                         UsageError);
    CHECK_THROWS_AS((void)parse_weights_ref("@a b.npy", "w"), UsageError);
    CHECK_THROWS_AS((void)parse_weights_ref("@w.npz:", "w"), UsageError);
    CHECK_THROWS_AS((void)parse_weights_ref(R"(@"w.npz"x)", "w"), UsageError);
    CHECK_THROWS_AS((void)parse_weights_ref(R"(@"w.npz)", "w"), UsageError);
}

TEST_CASE("grammar: number lists take [a b c] with a range per element") {
    const std::vector<ParamSpec> specs{
        {.name = "taps", .type = ParamType::values, .min = 0, .max = 10, .whole = true},
        {.name = "mean", .type = ParamType::values, .min = 0, .max = 1}};
    const Params p("t", specs, {{"taps", "[0 5 7]"}, {"mean", "[0.485, 0.456 0.406]"}});
    CHECK(p.values("taps").values == std::vector<double>{0, 5, 7});
    CHECK(p.values("mean").values == std::vector<double>{0.485, 0.456, 0.406});
    CHECK(p.describe() == "taps=[0 5 7],mean=[0.485 0.456 0.406]");
    CHECK_THROWS_WITH_AS(Params("t", specs, {{"taps", "[1 2.5]"}}),
                         "t: taps: expected whole numbers, got '2.5'", UsageError);
    CHECK_THROWS_WITH_AS(Params("t", specs, {{"taps", "[1 11]"}}),
                         "t: taps: 11 is out of range (from 0 to 10)", UsageError);
    CHECK_THROWS_WITH_AS(Params("t", specs, {{"taps", "[ ]"}}), "t: taps: the list '[ ]' is empty",
                         UsageError);
    CHECK_THROWS_WITH_AS(
        Params("t", specs, {{"taps", "1x2x4"}}),
        "t: taps: expected a list like [1 2 4] or a 1-D array @FILE.npy, got '1x2x4'", UsageError);
    CHECK_THROWS_AS(Params("t", specs, {{"taps", "[1; 2]"}}), UsageError);
    CHECK_THROWS_WITH_AS(Params("t", specs, {{"mean", "[0.5 nan]"}}),
                         "t: mean: expected a finite number, got 'nan'", UsageError);
}

TEST_CASE("grammar: a number list reads a 1-D array from a weights file") {
    const std::vector<ParamSpec> specs{
        {.name = "mean", .type = ParamType::values, .min = 0, .max = 1}};
    FakeFiles files;
    files.arrays["m.npy"] = {{3}, {0.25F, 0.5F, 0.75F}};
    files.arrays["k.npy"] = sobel();
    const Params p("t", specs, {{"mean", "@m.npy"}}, files.context());
    CHECK(p.values("mean").values == std::vector<double>{0.25, 0.5, 0.75});
    CHECK(p.describe() == "mean=@m.npy");
    CHECK_THROWS_WITH_AS(Params("t", specs, {{"mean", "@k.npy"}}, files.context()),
                         "t: mean: @k.npy: array has shape (3, 3); expected a 1-D array of 1 to "
                         "4096 values",
                         UsageError);
}

TEST_CASE("grammar: bank entries take their own arguments in parentheses") {
    const Pipeline p("bank:sobel-x, gaussian(k=7,sigma=2),kernel([1 0 -1]),Gaussian(3),box,k=5");
    const auto& stage = p.stages().front();
    CHECK(stage.params.list("filters") ==
          std::vector<std::string>{"sobel-x", "gaussian(k=7,sigma=2)", "kernel([1 0 -1])",
                                   "gaussian(k=3)", "box"});
    CHECK(stage.describe() ==
          "bank:sobel-x,gaussian(k=7,sigma=2),kernel([1 0 -1]),gaussian(k=3),box,k=5,stride=1,"
          "pad=same,dilation=1,border=reflect101,scale=1,bias=0");
    // Channel f of the output is filter f: gaussian(k=7) is 7x7 whatever the stage's k says,
    // gaussian(3) is 3x3, box takes the stage's k=5 (the output shape shows nothing of that, so
    // pad=valid makes the sizes differ and the error names the entries).
    CHECK_THROWS_WITH_AS(
        (void)Pipeline("bank:gaussian(k=7),gaussian(3),pad=valid").plan({1, 16, 16}),
        "stage 1 'bank:gaussian(k=7),gaussian(3),pad=valid': bank: filters 'gaussian(k=7)' and "
        "'gaussian(k=3)' give different output sizes (10x10 and 14x14); use pad=same",
        convpool::ShapeError);
    CHECK(Pipeline("bank:box(k=3),box,k=3,pad=valid").plan({2, 9, 9}).back().shape ==
          convpool::Shape{4, 7, 7});
    CHECK_THROWS_WITH_AS(Pipeline("bank:sobel-x(k=3)"),
                         "stage 1 'bank:sobel-x(k=3)': bank: filters: 'sobel-x' takes no "
                         "arguments in parentheses, got 'sobel-x(k=3)'",
                         UsageError);
    CHECK_THROWS_WITH_AS(Pipeline("bank:gaussian(k=0)"),
                         "stage 1 'bank:gaussian(k=0)': bank: filters: gaussian: k: 0 is out of "
                         "range (from 1 to 63)",
                         UsageError);
    CHECK_THROWS_WITH_AS(Pipeline("bank:gaussian(q=2)"),
                         "stage 1 'bank:gaussian(q=2)': bank: filters: gaussian: unknown "
                         "parameter 'q' (did you mean 'k'?) (valid: k, sigma)",
                         UsageError);
    CHECK_THROWS_WITH_AS(Pipeline("bank:gausian(k=3)"),
                         "stage 1 'bank:gausian(k=3)': bank: filters: unknown value 'gausian' (did "
                         "you mean 'gaussian'?) (choose from identity, box, gaussian, sharpen, "
                         "laplacian, sobel-x, sobel-y, scharr-x, scharr-y, prewitt-x, prewitt-y, "
                         "emboss, log, gabor, dog, kirsch-n, kirsch-ne, kirsch-e, kirsch-se, "
                         "kirsch-s, kirsch-sw, kirsch-w, kirsch-nw, roberts-x, roberts-y, kernel)",
                         UsageError);
    CHECK_THROWS_WITH_AS(Pipeline("bank:kernel"),
                         "stage 1 'bank:kernel': bank: filters: kernel needs its weights: "
                         "kernel([1 0 -1; 2 0 -2; 1 0 -1]) or kernel(@k.npy)",
                         UsageError);
    CHECK_THROWS_WITH_AS(Pipeline("bank:gaussian(k=3"), "pipeline: '(' without ')'", UsageError);
    CHECK_THROWS_WITH_AS(Pipeline("bank:gaussian(k=3)x"),
                         "stage 1 'bank:gaussian(k=3)x': bank: filters: text after ')' in "
                         "'gaussian(k=3)x'",
                         UsageError);
}

TEST_CASE("grammar: conv:kernel=@FILE reads through the context, relative to the pipeline file") {
    FakeFiles files;
    files.arrays["k.npy"] = sobel();
    files.arrays["nets/w.npz:conv1"] = sobel();
    files.arrays["nets/my w.npy"] = sobel();
    const Pipeline inline_kernel("conv:kernel=[1 0 -1; 2 0 -2; 1 0 -1]");
    const Pipeline from_file("conv:kernel=@k.npy", convpool::Semantics::torch, {}, files.context());
    CHECK(from_file.stages()[0].describe() ==
          "conv:kernel=@k.npy,stride=1,pad=same,dilation=1,border=reflect101,scale=1,bias=0");
    CHECK(from_file.stages()[0].params.matrix("kernel").values ==
          inline_kernel.stages()[0].params.matrix("kernel").values);
    // From a pipeline file in nets/: paths start from its folder; the text keeps them as written.
    const Pipeline in_file("conv:kernel=@w.npz:conv1\nbank:kernel(@\"my w.npy\"),sobel-y",
                           convpool::Semantics::torch, "nets/edges.pipe", files.context());
    CHECK(files.asked.back() == "nets/my w.npy");
    CHECK(in_file.stages()[1].describe().rfind(R"(bank:kernel(@"my w.npy"),sobel-y,)", 0) == 0);
    // The stage text parses back to the same stage, in the same context.
    for (const auto& stage : in_file.stages()) {
        const Pipeline again(stage.describe(), convpool::Semantics::torch, "nets/edges.pipe",
                             files.context());
        CHECK(again.stages()[0].describe() == stage.describe());
    }
    CHECK_THROWS_WITH_AS(Pipeline("conv:kernel=@k.npy"),
                         "stage 1 'conv:kernel=@k.npy': conv: kernel: weights files (@k.npy) are "
                         "not read here",
                         UsageError);
    CHECK_THROWS_WITH_AS(
        Pipeline("conv:kernel=@gone.npy", convpool::Semantics::torch, {}, files.context()),
        "stage 1 'conv:kernel=@gone.npy': conv: kernel: 'gone.npy': no such file", UsageError);
    files.arrays["nan.npy"] = {{1, 2}, {1.0F, std::numeric_limits<float>::quiet_NaN()}};
    CHECK_THROWS_WITH_AS(
        Pipeline("conv:kernel=@nan.npy", convpool::Semantics::torch, {}, files.context()),
        "stage 1 'conv:kernel=@nan.npy': conv: kernel: @nan.npy: value 1 is nan (weights must be "
        "finite)",
        UsageError);
    files.arrays["big.npy"] = {{64, 1}, std::vector<float>(64, 1.0F)};
    CHECK_THROWS_WITH_AS(
        Pipeline("conv:kernel=@big.npy", convpool::Semantics::torch, {}, files.context()),
        "stage 1 'conv:kernel=@big.npy': conv: kernel: @big.npy: array has shape (64, 1); "
        "expected 1 to 63 rows and columns",
        UsageError);
}

TEST_CASE("grammar: quoted paths and parentheses survive comments, '|' and line breaks") {
    FakeFiles files;
    files.arrays["a#b|c.npy"] = sobel();
    const Pipeline p("relu # comment\nconv:kernel=@\"a#b|c.npy\" | bank:gaussian(k=3,\n sigma=1)",
                     convpool::Semantics::torch, {}, files.context());
    REQUIRE(p.stages().size() == 3);
    CHECK(p.stages()[1].describe().rfind(R"(conv:kernel=@"a#b|c.npy",)", 0) == 0);
    CHECK(p.stages()[2].params.list("filters").front() == "gaussian(k=3,sigma=1)");
    CHECK_THROWS_WITH_AS(
        Pipeline("relu\nconv:kernel=@\"a.npy\nrelu", convpool::Semantics::torch, "p.pipe"),
        "p.pipe:2: pipeline: '@\"' without a closing '\"' on its line", UsageError);
    CHECK_THROWS_WITH_AS(Pipeline("relu\nbank:gaussian(k=3]", convpool::Semantics::torch, "p.pipe"),
                         "p.pipe:2: pipeline: ']' without '['", UsageError);
}
