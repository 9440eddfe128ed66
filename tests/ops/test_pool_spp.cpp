// pool:spp (spatial pyramid pooling): hand-checked bins, the paper's bins against adaptive ones,
// the naive reference on random shapes, and PyTorch's adaptive pooling.
#include "convpool/core/error.hpp"
#include "convpool/core/parallel.hpp"
#include "convpool/pipeline/pipeline.hpp"

#include <doctest/doctest.h>
#include <fmt/format.h>

#include <array>
#include <bit>
#include <cstdint>
#include <limits>
#include <random>
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

TEST_CASE(
    "pool:spp max gives adaptive-max's bits per level (NaN payloads, -0 and +0, infinities) on "
    "1, 2 and 3 threads") {
    // spp's max runs eight running maxima per bin and folds a bin again in order only where that
    // could differ (a NaN, a zero maximum); pool:adaptive-max is the plain fold of every bin.
    const std::array<float, 9> pool{-0.0F,
                                    0.0F,
                                    -1.0F,
                                    -0.5F,
                                    0.25F,
                                    -std::numeric_limits<float>::infinity(),
                                    std::numeric_limits<float>::infinity(),
                                    std::bit_cast<float>(0x7fc00001U),
                                    std::bit_cast<float>(0xffc00002U)};
    std::mt19937 rng(1505U);
    for (int i = 0; i < 40; ++i) {
        const int c = 1 + i % 3;
        const int h = 1 + static_cast<int>(rng() % 40U);
        const int w = 1 + static_cast<int>(rng() % 40U);
        std::vector<float> v(static_cast<std::size_t>(c * h * w));
        for (float& x : v) {
            // Mostly -0, +0 and negatives, so that many bins have a zero maximum; NaN and
            // infinities rarely (a NaN in one bin of a level in about a third of the cases).
            const auto r = rng() % 1000U;
            x = r < 700U   ? pool[r % 4U]
                : r < 990U ? pool[4U + r % 2U] * static_cast<float>(1 + r % 7U)
                           : pool[4U + r % 5U];
        }
        const convpool::Tensor in = test::tensor(c, h, w, v);
        std::vector<float> want;
        std::vector<convpool::Tensor> levels;
        for (const int level : {1, 2, 3, 5}) {
            levels.push_back(test::run(fmt::format("pool:adaptive-max,out={}", level), in));
        }
        for (int ch = 0; ch < c; ++ch) {
            for (const auto& l : levels) {
                const auto plane = l.channel(ch);
                want.insert(want.end(), plane.begin(), plane.end());
            }
        }
        CAPTURE(c);
        CAPTURE(h);
        CAPTURE(w);
        for (const int threads : {1, 2, 3}) {
            convpool::set_thread_count(threads);
            const convpool::Tensor got = test::run("pool:spp,levels=[1 2 3 5]", in);
            REQUIRE(got.data().size() == want.size());
            for (std::size_t k = 0; k < want.size(); ++k) {
                CAPTURE(k);
                CHECK(std::bit_cast<std::uint32_t>(got.data()[k]) ==
                      std::bit_cast<std::uint32_t>(want[k]));
            }
        }
        convpool::set_thread_count(0);
    }
}
