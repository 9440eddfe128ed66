// Tensor helpers: the finite range of a span of values.
#include "convpool/core/tensor.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <random>
#include <vector>

using convpool::finite_value_range;

namespace {
constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr float kInf = std::numeric_limits<float>::infinity();
}  // namespace

TEST_CASE("finite_value_range: smallest and largest value, NaN and +-inf left out") {
    const auto plain = finite_value_range(std::vector<float>{3, -2, 7, 0});
    REQUIRE(plain);
    CHECK(plain->lo == -2.0F);
    CHECK(plain->hi == 7.0F);
    // NaN first, so that a comparison-based scan that starts from element 0 would go wrong.
    const auto mixed = finite_value_range(std::vector<float>{kNaN, 1, -kInf, 4, kInf, kNaN, -3});
    REQUIRE(mixed);
    CHECK(mixed->lo == -3.0F);
    CHECK(mixed->hi == 4.0F);
    const auto one = finite_value_range(std::vector<float>{kInf, 5, kNaN});
    REQUIRE(one);
    CHECK(one->lo == 5.0F);
    CHECK(one->hi == 5.0F);
    // The largest finite floats are values like any other.
    const float big = std::numeric_limits<float>::max();
    const auto extremes = finite_value_range(std::vector<float>{big, -big});
    REQUIRE(extremes);
    CHECK(extremes->lo == -big);
    CHECK(extremes->hi == big);
}

TEST_CASE("finite_value_range: equals a plain loop at every length and position, zeros are +0") {
    // Lengths around the 16-value blocks, NaN and infinities anywhere, the extremes anywhere.
    std::mt19937 rng(7);
    std::uniform_real_distribution<float> value(-5.0F, 5.0F);
    for (std::size_t n = 1; n < 70; ++n) {
        for (int trial = 0; trial < 20; ++trial) {
            std::vector<float> v(n);
            for (auto& x : v) {
                const auto pick = rng() % 10;
                x = pick == 0 ? kNaN : pick == 1 ? (rng() % 2 == 0 ? kInf : -kInf) : value(rng);
            }
            float lo = kInf;
            float hi = -kInf;
            for (const float x : v) {
                if (!std::isnan(x) && !std::isinf(x)) {
                    lo = x < lo ? x : lo;
                    hi = x > hi ? x : hi;
                }
            }
            const auto r = finite_value_range(v);
            REQUIRE(r.has_value() == (lo <= hi));
            if (r) {
                CHECK(r->lo == lo);
                CHECK(r->hi == hi);
            }
        }
    }
    const auto zeros = finite_value_range(std::vector<float>{-0.0F, 1.0F, 0.0F, -0.0F});
    REQUIRE(zeros);
    CHECK_FALSE(std::signbit(zeros->lo));
    const auto negative_zero_top = finite_value_range(std::vector<float>{-1.0F, -0.0F});
    REQUIRE(negative_zero_top);
    CHECK_FALSE(std::signbit(negative_zero_top->hi));
}

TEST_CASE("finite_value_range: unset when no value is finite or there is none") {
    CHECK_FALSE(finite_value_range(std::vector<float>{kNaN, kNaN}));
    CHECK_FALSE(finite_value_range(std::vector<float>{kInf, -kInf, kNaN}));
    CHECK_FALSE(finite_value_range(std::vector<float>{}));
}

TEST_CASE("large tensors reuse the memory of freed tensors of the same size, never a live one") {
    const convpool::Shape big{1, 2048, 1100};  // 9 MB: past kHugeBlock
    const float* first = nullptr;
    {
        convpool::Tensor a(big, convpool::uninitialized);
        first = a.data().data();
    }
    convpool::Tensor b(big, convpool::uninitialized);
    CHECK(b.data().data() == first);  // the block `a` gave back
    convpool::Tensor c(big, convpool::uninitialized);
    CHECK(c.data().data() != b.data().data());
    const float* sevens_block = nullptr;
    {
        const convpool::Tensor sevens(big, 7.0F);
        sevens_block = sevens.data().data();
    }
    const convpool::Tensor zeros(big);  // the block of sevens, zeroed as asked
    CHECK(zeros.data().data() == sevens_block);
    bool all_zero = true;
    for (const float v : zeros.data()) {
        all_zero = all_zero && v == 0.0F;
    }
    CHECK(all_zero);
}
