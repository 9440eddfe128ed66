// pool:max,switches and unpool: hand-checked switches, torch max_unpool2d fixtures (values and
// indices), the coverage map and plan-time errors.
#include "convpool/core/error.hpp"
#include "convpool/pipeline/pipeline.hpp"

#include <doctest/doctest.h>

#include <functional>
#include <string>
#include <vector>

#include "fractional_fixtures.hpp"
#include "reference/reference_fractional.hpp"
#include "test_helpers.hpp"

using test::run;
using test::tensor;
using test::values;

using test::ramp4x4;

namespace {
/// The switches recorded by stage `index` when `text` runs on `in`.
convpool::Switches switches_of(const std::string& text, const convpool::Tensor& in, int index = 1) {
    const convpool::Pipeline p(text);
    (void)p.plan(in.shape());
    convpool::Switches found;
    (void)p.run(in, [&](const convpool::StageResult& r) {
        if (r.index == index) {
            REQUIRE(r.switches != nullptr);
            found = *r.switches;
        }
    });
    return found;
}
}  // namespace

TEST_CASE("pool:max,switches gives the same values and records torch's indices") {
    CHECK(values(run("pool:max,k=2,switches", ramp4x4())) == std::vector<float>{6, 8, 14, 16});
    const auto sw = switches_of("pool:max,k=2,switches", ramp4x4());
    CHECK(sw.index == std::vector<std::int64_t>{5, 7, 13, 15});
    CHECK(sw.offset == std::vector<int>{3, 3, 3, 3});  // bottom-right tap of every 2x2 window
    CHECK(sw.window == convpool::Size2{2, 2});
    CHECK(sw.input == convpool::Shape{1, 4, 4});
    CHECK(sw.output == convpool::Shape{1, 2, 2});
}

TEST_CASE("unpool puts every maximum back where it came from, zeros elsewhere") {
    CHECK(values(run("pool:max,k=2,switches | unpool", ramp4x4())) ==
          std::vector<float>{0, 0, 0, 0, 0, 6, 0, 8, 0, 0, 0, 0, 0, 14, 0, 16});
    // shape-preserving stages may come between them
    CHECK(values(run("pool:max,k=2,switches | abs | unpool", ramp4x4()))[5] == 6);
}

TEST_CASE("pool:max,switches and unpool match torch max_pool2d(return_indices) and max_unpool2d") {
    const auto count = test::check_fractional_family("unpool", [](const test::FractionalCase& c) {
        const auto sw = switches_of(c.stage, c.input);
        CHECK(std::vector<long long>(sw.index.begin(), sw.index.end()) == c.indices);
    });
    CHECK(count >= 10);
}

TEST_CASE("unpool agrees with the naive reference after fractional pooling with switches") {
    std::vector<float> v(std::size_t{2} * 9 * 11);
    for (std::size_t i = 0; i < v.size(); ++i) {
        v[i] = static_cast<float>((i * 53) % 97);
    }
    const auto in = tensor(2, 9, 11, v);
    const std::string pool = "pool:fractional,out=6x7,u=0.3,switches";
    const auto sw = switches_of(pool + " | unpool", in);
    const auto pooled = run(pool, in);
    ref::Image p(2, 6, 7);
    p.values = values(pooled);
    const auto want =
        ref::unpool(p, std::vector<long long>(sw.index.begin(), sw.index.end()), 9, 11);
    CHECK(values(run(pool + " | unpool", in)) == want.values);
}

TEST_CASE("switches coverage: dropped borders in floor mode, double counting with overlap") {
    // 1x5, k 2: columns 0..3 read once, column 4 by none.
    auto sw = switches_of("pool:max,k=1x2,switches", tensor(1, 1, 5, {1, 2, 3, 4, 5}));
    CHECK(sw.coverage == std::vector<int>{1, 1, 1, 1, 0});
    // 1x5, k 3, s 2: windows [0,2] and [2,4] share column 2.
    sw = switches_of("pool:max,k=1x3,s=1x2,switches", tensor(1, 1, 5, {1, 2, 3, 4, 5}));
    CHECK(sw.coverage == std::vector<int>{1, 1, 2, 1, 1});
    CHECK(sw.offset == std::vector<int>{2, 2});
    // 2-D coverage is the product of the axes'.
    sw = switches_of("pool:max,k=3,s=2,switches", tensor(1, 5, 5, std::vector<float>(25, 1)));
    CHECK(sw.coverage[2 * 5 + 2] == 4);
    CHECK(sw.coverage[0] == 1);
    // ties: the first cell of the window wins
    CHECK(sw.offset == std::vector<int>{0, 0, 0, 0});
}

TEST_CASE("unpool without switches is a plan-time error naming the stage") {
    CHECK_THROWS_WITH_AS(convpool::Pipeline("relu | unpool"),
                         "stage 2 'unpool': unpool needs the switches of an earlier max pool: "
                         "write 'pool:max,...,switches' before it",
                         convpool::UsageError);
    CHECK_THROWS_WITH_AS(convpool::Pipeline("unpool | pool:max,k=2,switches"),
                         "stage 1 'unpool': unpool needs the switches of an earlier max pool: "
                         "write 'pool:max,...,switches' before it",
                         convpool::UsageError);
    CHECK_THROWS_WITH_AS(
        (void)convpool::Pipeline("pool:max,k=2,switches | pool:max,k=2 | unpool").plan({1, 8, 8}),
        "stage 3 'unpool': unpool: input 1x2x2 does not match the output 1x4x4 of the max pool "
        "whose switches it uses (only shape-preserving stages may come between them)",
        convpool::ShapeError);
}

TEST_CASE("switches is left out of the description while off") {
    CHECK(convpool::Pipeline("pool:max,k=2").stages()[0].describe() ==
          "pool:max,k=2,s=2,pad=0,dilation=1,ceil=false");
    CHECK(convpool::Pipeline("pool:max,k=2,switches").stages()[0].describe() ==
          "pool:max,k=2,s=2,pad=0,dilation=1,ceil=false,switches=true");
}
