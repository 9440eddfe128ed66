// pool:fractional: torch's variant against F.fractional_max_pool2d fixtures, the paper's variants
// against naive references, and the properties of their regions.
#include "convpool/core/error.hpp"
#include "convpool/pipeline/pipeline.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <numeric>
#include <string>
#include <vector>

#include "fractional_fixtures.hpp"
#include "reference/reference_fractional.hpp"
#include "test_helpers.hpp"

using test::run;
using test::tensor;
using test::values;

namespace {

/// Distinct values 0..n-1 scrambled, so a wrong region shows.
std::vector<float> scrambled(int n) {
    std::vector<float> v(static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i) {
        v[static_cast<std::size_t>(i)] = static_cast<float>((i * 37) % n);
    }
    return v;
}

ref::Image to_ref(const convpool::Tensor& t) {
    ref::Image img(t.shape().channels, t.shape().height, t.shape().width);
    img.values.assign(t.data().begin(), t.data().end());
    return img;
}

convpool::RegionSequences regions_of(const std::string& stage, const convpool::Shape& in) {
    const convpool::Pipeline p(stage);
    const auto plan = p.plan(in);
    REQUIRE(plan[1].regions.has_value());
    return *plan[1].regions;
}

}  // namespace

TEST_CASE("pool:fractional variant=torch matches torch fractional_max_pool2d fixtures") {
    CHECK(test::check_fractional_family("fractional") >= 17);
}

TEST_CASE("pool:fractional torch samples: u is rows x cols, torch keeps the width sample first") {
    // 1x7x9 to 5x6 with u=0.5x0.25 is in the fixtures; swapping u must change the
    // answer, so the fixture proves which sample drives which axis.
    for (const auto& c : test::fractional_cases()) {
        if (c.name.find("1x7x9") == std::string::npos) {
            continue;
        }
        CHECK(values(run(c.stage, c.input)) == c.output);
        std::string swapped = c.stage;
        swapped.replace(swapped.find("u=0.5x0.25"), 10, "u=0.25x0.5");
        CHECK(values(run(swapped, c.input)) != c.output);
    }
}

TEST_CASE("pool:fractional pseudo: the paper's 1-D example") {
    // alpha 7/5 = 1.4, u 0.3: a = 0 1 3 4 6 7, regions [0,1) [1,3) [3,4) [4,6) [6,7).
    const auto in = tensor(1, 1, 7, {2, 4, 3, 1, 5, 2, 3});
    CHECK(values(run("pool:fractional,out=1x5,u=0.3", in)) == std::vector<float>{2, 4, 1, 5, 3});
    const auto r = regions_of("pool:fractional,out=1x5,u=0.3", in.shape());
    CHECK(r.col_starts == std::vector<int>{0, 1, 3, 4, 6});
    CHECK(r.col_sizes == std::vector<int>{1, 2, 1, 2, 1});
    // overlap: [0,1] [1,3] [3,4] [4,6] [6,7) -> 4 4 5 5 3
    CHECK(values(run("pool:fractional,out=1x5,u=0.3,overlap", in)) ==
          std::vector<float>{4, 4, 5, 5, 3});
}

TEST_CASE("pool:fractional pseudo matches the integer reference over sizes, ratios and u") {
    // u = num/8 is exact in binary, so the reference can use integer arithmetic.
    for (const int n : {1, 2, 3, 7, 9, 13, 25, 32}) {
        for (int out = 1; out <= n; ++out) {
            for (const int num : {0, 1, 3, 4, 7}) {
                for (const bool overlap : {false, true}) {
                    const double u = num / 8.0;
                    const std::string stage = "pool:fractional,out=" + std::to_string(n) + "x" +
                                              std::to_string(out) + ",u=" + std::to_string(u) +
                                              (overlap ? ",overlap" : "");
                    CAPTURE(stage);
                    const auto in = tensor(2, n, n, [&] {
                        auto v = scrambled(2 * n * n);
                        return v;
                    }());
                    const auto rows = ref::regions_from_boundaries(
                        ref::pseudo_boundaries(n, n, num, 8), n, overlap);
                    const auto cols = ref::regions_from_boundaries(
                        ref::pseudo_boundaries(n, out, num, 8), n, overlap);
                    const auto want = ref::region_max(to_ref(in), rows, cols);
                    const auto got = run(stage, in);
                    REQUIRE(got.shape() == convpool::Shape{2, n, out});
                    CHECK(values(got) == want.values);
                }
            }
        }
    }
}

TEST_CASE("pool:fractional regions cover the input without gaps") {
    for (const std::string variant : {"pseudo", "random"}) {
        for (const int n : {5, 7, 9, 13, 32, 100}) {
            for (int out = (n + 1) / 2; out <= n; ++out) {
                for (const int seed : {0, 1, 2}) {
                    const std::string stage = "pool:fractional,variant=" + variant + ",out=1x" +
                                              std::to_string(out) + ",seed=" + std::to_string(seed);
                    CAPTURE(stage);
                    const auto r = regions_of(stage, {1, 1, n});
                    REQUIRE(r.col_starts.size() == static_cast<std::size_t>(out));
                    CHECK(r.col_starts.front() == 0);
                    int ones = 0;
                    for (std::size_t i = 0; i < r.col_starts.size(); ++i) {
                        const int end = r.col_starts[i] + r.col_sizes[i];
                        CHECK(end == (i + 1 < r.col_starts.size() ? r.col_starts[i + 1] : n));
                        CHECK((r.col_sizes[i] == 1 || r.col_sizes[i] == 2));  // alpha in [1, 2]
                        ones += r.col_sizes[i] == 1 ? 1 : 0;
                    }
                    if (variant == "random") {
                        CHECK(ones == 2 * out - n);  // as many 2s as make the sum n
                    }
                }
            }
        }
    }
}

TEST_CASE("pool:fractional random: the seed shuffles the increments, the same seed repeats") {
    const auto a = regions_of("pool:fractional,variant=random,out=1x20,seed=1", {1, 1, 30});
    const auto b = regions_of("pool:fractional,variant=random,out=1x20,seed=1", {1, 1, 30});
    const auto c = regions_of("pool:fractional,variant=random,out=1x20,seed=2", {1, 1, 30});
    CHECK(a.col_sizes == b.col_sizes);
    CHECK(a.col_sizes != c.col_sizes);
    CHECK(std::accumulate(c.col_sizes.begin(), c.col_sizes.end(), 0) == 30);
    // The recorded sequences feed a naive region max (rows are drawn first, then
    // columns).
    const auto in = tensor(1, 3, 30, scrambled(90));
    const std::string stage = "pool:fractional,variant=random,out=2x20,seed=1";
    const auto r = regions_of(stage, in.shape());
    const auto to_regions = [](const std::vector<int>& starts, const std::vector<int>& sizes) {
        std::vector<ref::Region> out;
        for (std::size_t i = 0; i < starts.size(); ++i) {
            out.push_back({starts[i], starts[i] + sizes[i]});
        }
        return out;
    };
    CHECK(values(run(stage, in)) == ref::region_max(to_ref(in),
                                                    to_regions(r.row_starts, r.row_sizes),
                                                    to_regions(r.col_starts, r.col_sizes))
                                        .values);
}

TEST_CASE("pool:fractional ratio gives int(in*ratio) like torch's output_ratio") {
    const convpool::Pipeline p("pool:fractional,ratio=0.7");
    CHECK(p.plan({1, 10, 10})[1].shape == convpool::Shape{1, 7, 7});
    CHECK(p.plan({3, 25, 16})[1].shape == convpool::Shape{3, 17, 11});
}

TEST_CASE("pool:fractional warns when alpha is an integer and then equals max pooling") {
    std::vector<float> v = scrambled(64);
    const auto in = tensor(1, 8, 8, v);
    const convpool::Pipeline p("pool:fractional,ratio=0.5,u=0.6");
    const auto plan = p.plan(in.shape());
    REQUIRE(plan[1].notes.size() == 2);
    CHECK(plan[1].notes[0] ==
          "warning: alpha = 8/4 = 2 along rows is an integer: fractional pooling is ordinary max "
          "pooling there (k=2, s=2)");
    CHECK(values(run("pool:fractional,ratio=0.5,u=0.6", in)) == values(run("pool:max,k=2", in)));
    CHECK(values(run("pool:fractional,ratio=0.5,u=0.6,overlap", in)) ==
          values(run("pool:max,k=3,s=2,pad=0,ceil", in)));
    CHECK(convpool::Pipeline("pool:fractional,out=5").plan({1, 7, 7})[1].notes.empty());
}

TEST_CASE("pool:fractional records u and seed; u drawn from the seed when not given") {
    const auto r = regions_of("pool:fractional,out=5,seed=3", {1, 7, 7});
    CHECK(r.seed == 3);
    CHECK(r.u_rows >= 0.0);
    CHECK(r.u_rows < 1.0);
    CHECK(r.u_rows != r.u_cols);
    const auto given = regions_of("pool:fractional,out=5,u=0.3x0.7", {1, 7, 7});
    CHECK(given.u_rows == 0.3);
    CHECK(given.u_cols == 0.7);
    CHECK(given.variant == "pseudo");
}

TEST_CASE("pool:fractional parameter and shape errors") {
    using convpool::Pipeline;
    using convpool::ShapeError;
    using convpool::UsageError;
    CHECK_THROWS_WITH_AS(Pipeline("pool:fractional"),
                         "stage 1 'pool:fractional': pool:fractional: give either ratio (e.g. "
                         "ratio=0.7) or out (e.g. out=5x5), not both and not neither",
                         UsageError);
    CHECK_THROWS_WITH_AS(
        Pipeline("pool:fractional,ratio=1"),
        "stage 1 'pool:fractional,ratio=1': pool:fractional: ratio must be in (0, 1), got 1",
        UsageError);
    CHECK_THROWS_WITH_AS(
        Pipeline("pool:fractional,out=3,u=1"),
        "stage 1 'pool:fractional,out=3,u=1': pool:fractional: u must be in [0, 1), got 1",
        UsageError);
    CHECK_THROWS_AS(Pipeline("pool:fractional,out=3,k=3"), UsageError);
    CHECK_THROWS_WITH_AS(Pipeline("pool:fractional,out=3,variant=random,u=0.5"),
                         "stage 1 'pool:fractional,out=3,variant=random,u=0.5': pool:fractional: "
                         "u is for the pseudo and torch variants; the random variant shuffles its "
                         "increments with seed",
                         UsageError);
    CHECK_THROWS_AS(Pipeline("pool:fractional,out=3,variant=torch,overlap"), UsageError);
    CHECK_THROWS_WITH_AS((void)Pipeline("pool:fractional,out=5").plan({1, 4, 4}),
                         "stage 1 'pool:fractional,out=5': pool:fractional: rows output 5 is "
                         "larger than the input 4 (alpha = in/out must be at least 1)",
                         ShapeError);
    CHECK_THROWS_WITH_AS(
        (void)Pipeline("pool:fractional,variant=torch,k=3,out=4").plan({1, 5, 5}),
        "stage 1 'pool:fractional,variant=torch,k=3,out=4': pool:fractional: rows output 4 with k "
        "3 needs at least 6 input rows, got 5 (torch: out + k - 1 <= in)",
        ShapeError);
}

TEST_CASE("pool:fractional describe records every parameter and parses back") {
    const convpool::Pipeline p("pool:fractional,ratio=0.7,u=0.25x0.5,switches");
    const std::string d = p.stages()[0].describe();
    CHECK(d ==
          "pool:fractional,ratio=0.7,variant=pseudo,overlap=false,u=0.25x0.5,seed=0,switches=true");
    CHECK(convpool::Pipeline(d).stages()[0].describe() == d);
}
