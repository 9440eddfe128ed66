// bn: batch normalisation in evaluation mode (torch.nn.functional.batch_norm, training=False).
#include "convpool/core/error.hpp"
#include "convpool/pipeline/pipeline.hpp"

#include <doctest/doctest.h>

#include <array>
#include <cmath>
#include <cstddef>
#include <string>
#include <vector>

#include "reference/reference_layers.hpp"
#include "reference/sweep.hpp"
#include "test_helpers.hpp"
#include "torch_fixtures.hpp"

namespace {

std::string list_text(const std::vector<double>& values) {
    std::string out = "[";
    for (std::size_t i = 0; i < values.size(); ++i) {
        out += fmt::format("{}{}", i == 0 ? "" : " ", values[i]);
    }
    return out + "]";
}

}  // namespace

TEST_CASE("bn subtracts the mean and divides by the standard deviation per channel") {
    const convpool::Tensor in = test::tensor(2, 1, 3, {1, 3, 5, 2, 2.5F, 3});
    // Channel 0: (x - 1) / 2; channel 1: (x - 2) / 0.5. eps=0 keeps the numbers exact.
    CHECK(test::values(test::run("bn:mean=[1 2],var=[4 0.25],eps=0", in)) ==
          std::vector<float>{0, 1, 2, 0, 1, 2});
    // weight and bias, one number broadcast to every channel.
    CHECK(test::values(test::run("bn:mean=[1 2],var=[4 0.25],eps=0,weight=3,bias=-1", in)) ==
          std::vector<float>{-1, 2, 5, -1, 2, 5});
    // A number for the mean and variance too; eps is added to the variance (default 1e-5).
    CHECK(test::values(test::run("bn:mean=1,var=3,eps=1", in)) ==
          std::vector<float>{0, 1, 2, 0.5F, 0.75F, 1});
    const auto d = test::values(test::run("bn:mean=0,var=1", test::tensor(1, 1, 1, {1})));
    CHECK(d.front() == doctest::Approx(1.0 / std::sqrt(1.00001)).epsilon(1e-7));
}

TEST_CASE("bn refuses lists that do not fit the input and variances at or below zero") {
    CHECK_THROWS_WITH_AS(convpool::Pipeline("bn:var=1"), "stage 1 'bn:var=1': bn: mean is required",
                         convpool::UsageError);
    CHECK_THROWS_WITH_AS(convpool::Pipeline("bn:mean=0,var=[1 -1]"),
                         "stage 1 'bn:mean=0,var=[1 -1]': bn: var: -1 is out of range (from 0 to "
                         "1000000000)",
                         convpool::UsageError);
    CHECK_THROWS_WITH_AS(convpool::Pipeline("bn:mean=0,var=0,eps=0"),
                         "stage 1 'bn:mean=0,var=0,eps=0': bn: var: value 0 is 0 and eps is 0; "
                         "var + eps must be above 0",
                         convpool::UsageError);
    const convpool::Pipeline p("bn:mean=[0 1 2],var=1");
    CHECK_THROWS_WITH_AS((void)p.plan({2, 4, 4}),
                         "stage 1 'bn:mean=[0 1 2],var=1': bn: mean has 3 values; the input has 2 "
                         "channels (give one value per channel, or one for all)",
                         convpool::ShapeError);
    CHECK(p.plan({3, 4, 4}).back().shape == convpool::Shape{3, 4, 4});
    // The stage text records every list and parses back to the same stage.
    const std::string text = p.stages().front().describe();
    CHECK(text == "bn:mean=[0 1 2],var=1,weight=1,bias=0,eps=1e-05");
    CHECK(convpool::Pipeline(text).stages().front().describe() == text);
}

TEST_CASE("bn matches the naive reference on random inputs and parameters") {
    sweep::Random rng(1402U);
    for (int i = 0; i < 40; ++i) {
        const int c = rng.integer(1, 6);
        const ref::Image in = sweep::random_image(rng, c, rng.integer(1, 9), rng.integer(1, 9),
                                                  sweep::Values::signed_ties);
        std::array<std::vector<double>, 4> lists;
        for (int l = 0; l < 4; ++l) {
            const bool broadcast = rng.chance(25);
            for (int k = 0; k < (broadcast ? 1 : c); ++k) {
                const auto u = static_cast<double>(rng.signed_unit());
                // var in (0.01, 2]; the others in [-2, 2).
                lists[static_cast<std::size_t>(l)].push_back(l == 1 ? std::fabs(u) * 2.0 + 0.01
                                                                    : u * 2.0);
            }
        }
        const double eps = rng.chance(50) ? 1e-5 : 0.001;
        const std::string stage =
            fmt::format("bn:mean={},var={},weight={},bias={},eps={}", list_text(lists[0]),
                        list_text(lists[1]), list_text(lists[2]), list_text(lists[3]), eps);
        CAPTURE(stage);
        std::array<std::vector<double>, 4> full;
        for (int l = 0; l < 4; ++l) {
            for (int k = 0; k < c; ++k) {
                full[static_cast<std::size_t>(l)].push_back(
                    lists[static_cast<std::size_t>(l)].size() == 1
                        ? lists[static_cast<std::size_t>(l)][0]
                        : lists[static_cast<std::size_t>(l)][static_cast<std::size_t>(k)]);
            }
        }
        const ref::Image want = ref::batch_norm(in, full[0], full[1], full[2], full[3], eps);
        const convpool::Tensor got = test::run(stage, sweep::to_tensor(in));
        CHECK(sweep::difference(want, got, 1e-6, 1e-6).empty());
    }
}

TEST_CASE("bn matches torch batch_norm in evaluation mode") {
    CHECK(torch_fixtures::check_family("torch_layers.json", "bn", torch_fixtures::Compare::layer) >=
          5);
}
