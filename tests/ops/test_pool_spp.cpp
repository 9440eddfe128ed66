// pool:spp (spatial pyramid pooling): hand-checked bins, the paper's bins against adaptive ones,
// the naive reference on random shapes, and PyTorch's adaptive pooling.
#include "convpool/core/error.hpp"
#include "convpool/pipeline/pipeline.hpp"

#include <doctest/doctest.h>

#include <array>
#include <vector>

#include "reference/reference_modern.hpp"
#include "reference/sweep.hpp"
#include "test_helpers.hpp"
#include "torch_fixtures.hpp"

namespace {
convpool::Tensor ramp4x4() {
    std::vector<float> v(16);
    for (int i = 0; i < 16; ++i) {
        v[static_cast<std::size_t>(i)] = static_cast<float>(i + 1);
    }
    return test::tensor(1, 4, 4, v);
}
}  // namespace

TEST_CASE("pool:spp writes each level's bins in order, row-major, as a 1-row vector") {
    // 1..16 in 4x4: level 1 is the whole map; level 2 the four 2x2 quarters.
    const convpool::Tensor max = test::run("pool:spp,levels=[1 2]", ramp4x4());
    CHECK(max.shape() == convpool::Shape{1, 1, 5});
    CHECK(test::values(max) == std::vector<float>{16, 6, 8, 14, 16});
    CHECK(test::values(test::run("pool:spp,levels=[1 2],mode=avg", ramp4x4())) ==
          std::vector<float>{8.5, 3.5, 5.5, 11.5, 13.5});
    // Levels in the order written: [2 1] puts the quarters first.
    CHECK(test::values(test::run("pool:spp,levels=[2 1]", ramp4x4())) ==
          std::vector<float>{6, 8, 14, 16, 16});
    // The default pyramid [1 2 4]: 1 + 4 + 16 cells per channel.
    CHECK(convpool::Pipeline("pool:spp").plan({3, 9, 7}).back().shape == convpool::Shape{3, 1, 21});
}

TEST_CASE("pool:spp bins=paper: windows ceil(a/L) wide, floor(a/L) apart (a=10, L=4)") {
    // Every cell holds its column: paper bins [0,3) [2,5) [4,7) [6,9) keep 2 4 6 8, adaptive
    // bins [0,3) [2,5) [5,8) [7,10) keep 2 4 7 9; each of the 4 bin rows repeats them.
    std::vector<float> v;
    for (int y = 0; y < 4; ++y) {
        for (int x = 0; x < 10; ++x) {
            v.push_back(static_cast<float>(x));
        }
    }
    const convpool::Tensor in = test::tensor(1, 4, 10, v);
    const std::vector<float> paper = test::values(test::run("pool:spp,levels=[4],bins=paper", in));
    const std::vector<float> adaptive = test::values(test::run("pool:spp,levels=[4]", in));
    REQUIRE(paper.size() == 16);
    REQUIRE(adaptive.size() == 16);
    for (std::size_t row = 0; row < 4; ++row) {
        CHECK(std::vector<float>(paper.begin() + static_cast<std::ptrdiff_t>(row * 4),
                                 paper.begin() + static_cast<std::ptrdiff_t>(row * 4 + 4)) ==
              std::vector<float>{2, 4, 6, 8});
        CHECK(std::vector<float>(adaptive.begin() + static_cast<std::ptrdiff_t>(row * 4),
                                 adaptive.begin() + static_cast<std::ptrdiff_t>(row * 4 + 4)) ==
              std::vector<float>{2, 4, 7, 9});
    }
    // The paper's stride floor(a/L) is 0 when a < L: refused when planned.
    CHECK_THROWS_WITH_AS(
        (void)convpool::Pipeline("pool:spp,levels=[1 4],bins=paper").plan({1, 3, 9}),
        "stage 1 'pool:spp,levels=[1 4],bins=paper': pool:spp: bins=paper needs at least 4 rows "
        "and columns for level 4 (a stride of floor(a/4)), the input is 3x9; use bins=adaptive",
        convpool::ShapeError);
    CHECK_THROWS_AS(convpool::Pipeline("pool:spp,levels=[0]"), convpool::UsageError);
    CHECK_THROWS_AS(convpool::Pipeline("pool:spp,levels=[1.5]"), convpool::UsageError);
}

TEST_CASE("pool:spp matches the naive reference on random shapes, levels, modes and bins") {
    sweep::Random rng(151U);
    const std::array<std::vector<int>, 4> pyramids{std::vector<int>{1, 2, 4}, std::vector<int>{3},
                                                   std::vector<int>{2, 1},
                                                   std::vector<int>{1, 3, 6}};
    int compared = 0;
    for (int i = 0; i < 64; ++i) {
        const int c = rng.integer(1, 3);
        const int h = rng.integer(1, 14);
        const int w = rng.integer(1, 14);
        const auto& levels = pyramids[static_cast<std::size_t>(i % 4)];
        const bool max = i % 2 == 0;
        int largest = 0;
        int cells = 0;
        std::string list;
        for (const int level : levels) {
            largest = std::max(largest, level);
            cells += level * level;
            list += (list.empty() ? "" : " ") + std::to_string(level);
        }
        const bool paper = (i / 4) % 2 == 1 && h >= largest && w >= largest;
        const ref::Image input = sweep::random_image(
            rng, c, h, w, i % 5 == 4 ? sweep::Values::signed_ties_nan : sweep::Values::signed_ties);
        const std::string stage = fmt::format("pool:spp,levels=[{}],mode={},bins={}", list,
                                              max ? "max" : "avg", paper ? "paper" : "adaptive");
        CAPTURE(stage);
        convpool::Tensor got;
        if (sweep::run_stage(stage, input, sweep::shape_text(c, 1, cells), got)) {
            CHECK(sweep::difference(ref::spp(input, levels, max, paper), got, 1e-6) == "");
            ++compared;
        }
    }
    CHECK(compared == 64);
}

TEST_CASE("pool:spp matches PyTorch's adaptive pooling and the paper's windows") {
    CHECK(torch_fixtures::check_family("torch_modern.json", "spp",
                                       torch_fixtures::Compare::scaled) >= 8);
}
