// Hand-checked examples of the elementwise stages, gray and norm, and of what the Op interface
// declares (arithmetic, correlation): tiny inputs, expected values worked out by hand. An op with
// its own file (pooling, conv, bank, the network layers) has its cases in tests/ops/test_<op>.cpp.
#include "convpool/core/error.hpp"
#include "convpool/core/parallel.hpp"
#include "convpool/pipeline/op.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <limits>

#include "test_helpers.hpp"

using test::run;
using test::tensor;
using test::values;

namespace {
constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr float kInf = std::numeric_limits<float>::infinity();
}  // namespace

TEST_CASE("activations: relu, leaky-relu, abs, sigmoid, tanh") {
    const auto in = tensor(1, 1, 4, {-2, -0.5F, 0, 3});
    CHECK(values(run("relu", in)) == std::vector<float>{0, 0, 0, 3});
    CHECK(values(run("leaky-relu:slope=0.5", in)) == std::vector<float>{-1, -0.25F, 0, 3});
    CHECK(values(run("leaky-relu", in))[0] == doctest::Approx(-0.02));
    CHECK(values(run("abs", in)) == std::vector<float>{2, 0.5F, 0, 3});
    CHECK(values(run("sigmoid", in))[2] == doctest::Approx(0.5));
    CHECK(values(run("tanh", in))[3] == doctest::Approx(std::tanh(3.0)));
    CHECK(std::isnan(values(run("relu", tensor(1, 1, 1, {kNaN})))[0]));
}

TEST_CASE("norm maps each channel's range to [0, 1]; constant maps become 0") {
    const auto in = tensor(2, 1, 3, {2, 4, 6, 5, 5, 5});
    CHECK(values(run("norm", in)) == std::vector<float>{0, 0.5, 1, 0, 0, 0});
    CHECK(values(run("norm:per=tensor", in)) == std::vector<float>{0, 0.5, 1, 0.75, 0.75, 0.75});
}

TEST_CASE("gray uses BT.601 luminance and keeps one channel as it is") {
    const auto rgb = tensor(3, 1, 2, {1, 0, 0, 1, 0, 0});
    const auto out = run("gray", rgb);
    CHECK(out.shape() == convpool::Shape{1, 1, 2});
    CHECK(values(out)[0] == doctest::Approx(0.299));
    CHECK(values(out)[1] == doctest::Approx(0.587));
    CHECK(values(run("gray", tensor(1, 1, 2, {0.25F, 0.5F}))) == std::vector<float>{0.25F, 0.5F});
    CHECK_THROWS_WITH_AS(test::run("gray", tensor(2, 1, 1, {0, 0})),
                         "stage 1 'gray': gray: needs 1 or 3 (RGB) channels, got 2",
                         convpool::ShapeError);
}

TEST_CASE(
    "elementwise stages and gray: apply and apply_owned (in place) agree, on every thread count") {
    // Big enough to be split between threads; NaN, infinities and signed zeros included.
    convpool::Tensor in(convpool::Shape{3, 301, 997}, convpool::uninitialized);
    auto d = in.data();
    for (std::size_t i = 0; i < d.size(); ++i) {
        d[i] = i % 97 == 0
                   ? kNaN
                   : (i % 89 == 0 ? -kInf
                                  : static_cast<float>(std::sin(static_cast<double>(i)) * 4.0));
    }
    d[5] = -0.0F;
    for (const char* text : {"relu", "leaky-relu:slope=0.3", "abs", "sigmoid", "tanh", "gray"}) {
        CAPTURE(text);
        const convpool::Pipeline p(text);
        const convpool::Op& op = *p.stages().front().op;
        for (const int threads : {1, 2, 3}) {
            convpool::set_thread_count(threads);
            const auto copied = op.apply(in);
            const auto owned = op.apply_owned(in);  // a copy of `in`, changed in place
            REQUIRE(copied.shape() == owned.shape());
            CHECK(std::memcmp(copied.data().data(), owned.data().data(),
                              copied.data().size_bytes()) == 0);
        }
        convpool::set_thread_count(0);
    }
    // gray of one channel passes the values on unchanged.
    const auto one = test::tensor(1, 1, 3, {0.5F, kNaN, -1.0F});
    const auto out = convpool::Pipeline("gray").stages().front().op->apply_owned(one);
    CHECK(std::memcmp(out.data().data(), one.data().data(), one.data().size_bytes()) == 0);
}

TEST_CASE("Op::arithmetic writes out max, min and avg windows; other stages have none") {
    const auto arith = [](const char* text, const std::vector<float>& v, float result) {
        const convpool::Pipeline p(text);
        return p.stages().front().op->arithmetic(v, 4, result);
    };
    const std::vector<float> window{5.0F, 6.0F, 7.0F, 9.0F};
    CHECK(arith("pool:max,k=2", window, 9.0F) == "max(5, 6, 7, 9) = 9");
    CHECK(arith("pool:max,k=2,switches", window, 9.0F) == "max(5, 6, 7, 9) = 9");
    CHECK(arith("pool:min,k=2", window, 5.0F) == "min(5, 6, 7, 9) = 5");
    CHECK(arith("pool:avg,k=2", window, 6.75F) == "(5 + 6 + 7 + 9) / 4 = 6.75");
    // Two of four taps in the padding: counted as zeros unless count-pad is off; divisor wins.
    const std::vector<float> two{4.0F, 8.0F};
    CHECK(arith("pool:avg,k=2,pad=1", two, 3.0F) == "(4 + 8 + 0 + 0) / 4 = 3");
    CHECK(arith("pool:avg,k=2,pad=1,count-pad=false", two, 6.0F) == "(4 + 8) / 2 = 6");
    CHECK(arith("pool:avg,k=2,pad=1,divisor=3", two, 4.0F) == "(4 + 8 + 0 + 0) / 3 = 4");
    CHECK(arith("pool:adaptive-max,out=1", window, 9.0F) == "max(5, 6, 7, 9) = 9");
    CHECK(arith("pool:lp,k=2", window, 1.0F).empty());
    CHECK(arith("relu", window, 1.0F).empty());
}

TEST_CASE("Op::correlation declares conv's window, kernel and border sources") {
    const convpool::Pipeline p("conv:kernel=[1 0; 0 -1],pad=1,border=replicate,scale=2,bias=1");
    const auto k = p.stages().front().op->correlation({1, 3, 4});
    REQUIRE(k.has_value());
    CHECK(k->kernel.rows == 2);
    CHECK(k->kernel.values == std::vector<float>{1.0F, 0.0F, 0.0F, -1.0F});
    CHECK(k->window.rows.pad_begin == 1);
    CHECK(k->window.cols.pad_end == 1);
    CHECK(k->scale == 2.0F);
    CHECK(k->bias == 1.0F);
    // replicate: the padded row -1 reads row 0, the padded row 3 reads row 2.
    CHECK(k->rows == std::vector<int>{0, 0, 1, 2, 2});
    CHECK(k->cols == std::vector<int>{0, 0, 1, 2, 3, 3});
    const auto zero = convpool::Pipeline("conv:kernel=[1 1],pad=1,border=zero")
                          .stages()
                          .front()
                          .op->correlation({1, 1, 2});
    REQUIRE(zero.has_value());
    CHECK(zero->cols == std::vector<int>{-1, 0, 1, -1});
    CHECK_FALSE(convpool::Pipeline("pool:max,k=2").stages().front().op->correlation({1, 2, 2}));
}
