// Parameter parsing: every type, defaults, aliases, and the exact error text users see.
#include "convpool/core/error.hpp"
#include "convpool/core/params.hpp"
#include "convpool/pipeline/registry.hpp"

#include <doctest/doctest.h>

#include <cmath>

using convpool::Arg;
using convpool::Params;
using convpool::UsageError;

namespace {
Params pool_params(const std::vector<Arg>& args) {
    const auto& info = convpool::find_op("pool:avg");
    return {info.name, info.params, args};
}
}  // namespace

TEST_CASE("params: defaults are filled in and stride defaults to the kernel") {
    const Params p = pool_params({{"k", "3x2"}});
    CHECK(p.size("k") == convpool::Size2{3, 2});
    CHECK(p.size("s") == convpool::Size2{3, 2});
    CHECK_FALSE(p.given("s"));
    CHECK(p.flag("count-pad"));
    CHECK(p.describe() == "k=3x2,s=3x2,pad=0,dilation=1,ceil=false,count-pad=true,divisor=0");
}

TEST_CASE("params: aliases, bare flags and flag spellings") {
    const Params p =
        pool_params({{"kernel", "4"}, {"stride", "2"}, {"", "ceil"}, {"count-pad", "off"}});
    CHECK(p.size("k") == convpool::Size2{4, 4});
    CHECK(p.size("s") == convpool::Size2{2, 2});
    CHECK(p.flag("ceil"));
    CHECK_FALSE(p.flag("count-pad"));
}

TEST_CASE("params: pad takes N, HxW, same and valid") {
    CHECK(pool_params({{"k", "3"}, {"pad", "1x0"}}).pad("pad").cells == convpool::Size2{1, 0});
    CHECK(pool_params({{"pad", "same"}}).pad("pad").mode == convpool::Pad::Mode::same);
    CHECK(pool_params({{"pad", "VALID"}}).pad("pad").mode == convpool::Pad::Mode::valid);
}

TEST_CASE("params: pad takes [top left bottom right], same-upper and same-lower") {
    const convpool::Pad p = pool_params({{"k", "5"}, {"pad", "[1 0, 2 1]"}}).pad("pad");
    CHECK(p.asymmetric);
    CHECK(p.cells == convpool::Size2{1, 0});
    CHECK(p.after() == convpool::Size2{2, 1});
    CHECK(pool_params({{"pad", "same-upper"}}).pad("pad").mode == convpool::Pad::Mode::same);
    CHECK(pool_params({{"pad", "SAME_LOWER"}}).pad("pad").mode == convpool::Pad::Mode::same_lower);
    CHECK_THROWS_WITH_AS(pool_params({{"pad", "[1 2 3]"}}),
                         "pool:avg: pad: expected 4 values [top left bottom right], got 3 in "
                         "'[1 2 3]'",
                         UsageError);
    CHECK_THROWS_WITH_AS(pool_params({{"pad", "[1 2 3 -1]"}}),
                         "pool:avg: pad: -1 is out of range (from 0 to 2048)", UsageError);
}

TEST_CASE("params: errors name the op, the key, the value and what is allowed") {
    CHECK_THROWS_WITH_AS(pool_params({{"k", "0"}}),
                         "pool:avg: k: 0 is out of range (from 1 to 4096)", UsageError);
    CHECK_THROWS_WITH_AS(pool_params({{"k", "two"}}),
                         "pool:avg: k: expected a whole number, got 'two'", UsageError);
    CHECK_THROWS_WITH_AS(pool_params({{"k", "2.5"}}),
                         "pool:avg: k: expected a whole number, got '2.5'", UsageError);
    CHECK_THROWS_WITH_AS(pool_params({{"k", "-3"}}), "pool:avg: k: size '-3' is out of range",
                         UsageError);
    CHECK_THROWS_WITH_AS(pool_params({{"k", "99999999999999999999"}}),
                         "pool:avg: k: expected a whole number, got '99999999999999999999'",
                         UsageError);
    CHECK_THROWS_WITH_AS(pool_params({{"kk", "2"}}),
                         "pool:avg: unknown parameter 'kk' (did you mean 'k'?) (valid: k, s, pad, "
                         "dilation, ceil, count-pad, divisor)",
                         UsageError);
    CHECK_THROWS_WITH_AS(pool_params({{"k", "2"}, {"kernel", "3"}}), "pool:avg: k is given twice",
                         UsageError);
    CHECK_THROWS_WITH_AS(pool_params({{"ceil", "maybe"}}),
                         "pool:avg: ceil: expected true or false, got 'maybe'", UsageError);
    CHECK_THROWS_WITH_AS(pool_params({{"k", ""}}), "pool:avg: k: empty value", UsageError);
    CHECK(pool_params({{"", "3"}}).size("k") == convpool::Size2{3, 3});  // bare = first param
    CHECK_THROWS_WITH_AS(pool_params({{"", "3"}, {"", "2"}}),
                         "pool:avg: unexpected value '2' (write key=value; keys: k, s, pad, "
                         "dilation, ceil, count-pad, divisor)",
                         UsageError);
}

TEST_CASE("params: numbers must be finite") {
    const auto& lp = convpool::find_op("pool:lp");
    CHECK(std::isinf(Params(lp.name, lp.params, {{"norm", "inf"}}).number("norm")));
    CHECK(Params(lp.name, lp.params, {{"p", "3.5"}}).number("norm") == 3.5);
    CHECK_THROWS_WITH_AS(Params(lp.name, lp.params, {{"norm", "nan"}}),
                         "pool:lp: norm: expected a finite number, got 'nan'", UsageError);
    CHECK_THROWS_WITH_AS(Params(lp.name, lp.params, {{"norm", "1e999"}}),
                         "pool:lp: norm: expected a finite number, got '1e999'", UsageError);
    CHECK_THROWS_WITH_AS(Params(lp.name, lp.params, {{"norm", "0.5"}}),
                         "pool:lp: norm: 0.5 is out of range (from 1 to 1000)", UsageError);
}

TEST_CASE("params: matrices") {
    const auto& conv = convpool::find_op("conv");
    const Params p(conv.name, conv.params, {{"kernel", "[1 0 -1; 2 0 -2]"}});
    CHECK(p.matrix("kernel").rows == 2);
    CHECK(p.matrix("kernel").cols == 3);
    CHECK(p.matrix("kernel").values == std::vector<float>{1, 0, -1, 2, 0, -2});
    CHECK(p.describe().rfind("kernel=[1 0 -1; 2 0 -2],", 0) == 0);
    CHECK_THROWS_WITH_AS(
        Params(conv.name, conv.params, {{"kernel", "[1 2; 3]"}}),
        "conv: kernel: matrix rows differ in length (2 and 1 values) in '[1 2; 3]'", UsageError);
    CHECK_THROWS_WITH_AS(Params(conv.name, conv.params, {{"kernel", "1 2"}}),
                         "conv: kernel: expected a matrix like [1 0 -1; 2 0 -2; 1 0 -1] or "
                         "[[1, 0, -1], [2, 0, -2]], got '1 2'",
                         UsageError);
    CHECK_THROWS_WITH_AS(Params(conv.name, conv.params, {{"kernel", "[1 x]"}}),
                         "conv: kernel: expected a finite number, got 'x'", UsageError);
}

TEST_CASE("params: numpy matrices and torch's snake_case keys") {
    const auto& conv = convpool::find_op("conv");
    for (const char* text :
         {"[[1, 0, -1], [2, 0, -2]]", "[[1,0,-1],[2,0,-2]]", "[1, 0, -1; 2, 0, -2]"}) {
        const Params p(conv.name, conv.params, {{"kernel", text}});
        CHECK(p.matrix("kernel").rows == 2);
        CHECK(p.matrix("kernel").values == std::vector<float>{1, 0, -1, 2, 0, -2});
    }
    CHECK_THROWS_AS(Params(conv.name, conv.params, {{"kernel", "[[[1]]]"}}), UsageError);
    const auto& avg = convpool::find_op("pool:avg");
    const Params p(avg.name, avg.params,
                   {{"kernel_size", "3"},
                    {"ceil_mode", "true"},
                    {"Count_Include_Pad", "false"},
                    {"divisor_override", "2"}});
    CHECK(p.describe() == "k=3,s=3,pad=0,dilation=1,ceil=true,count-pad=false,divisor=2");
}

TEST_CASE("params: choices suggest the closest valid value") {
    const auto& conv = convpool::find_op("conv");
    CHECK_THROWS_WITH_AS(
        Params(conv.name, conv.params, {{"", "sobel-z"}}),
        "conv: filter: unknown value 'sobel-z' (did you mean 'sobel-x'?) (choose from identity, "
        "box, gaussian, sharpen, laplacian, sobel-x, sobel-y, scharr-x, scharr-y, prewitt-x, "
        "prewitt-y, emboss, log, gabor, dog, kirsch-n, kirsch-ne, kirsch-e, kirsch-se, kirsch-s, "
        "kirsch-sw, kirsch-w, kirsch-nw, roberts-x, roberts-y)",
        UsageError);
}

TEST_CASE("closest_match: near words only") {
    CHECK(convpool::closest_match("mx", {"max", "avg", "min"}) == "max");
    CHECK(convpool::closest_match("zzzzzz", {"max", "avg"}).empty());
}

TEST_CASE("closest_match: case is ignored") {
    CHECK(convpool::closest_match("TF", {"torch", "tf", "caffe"}) == "tf");
    CHECK(convpool::closest_match("ReLU", {"relu", "abs"}) == "relu");
    CHECK(convpool::closest_match("Shape", {"run", "shape"}) == "shape");
}
