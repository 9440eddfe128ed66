// Hand-checked examples for every stage: tiny inputs, expected values worked out by hand.
#include "convpool/core/error.hpp"
#include "convpool/core/parallel.hpp"
#include "convpool/pipeline/op.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <limits>

#include "ops/common/filters.hpp"
#include "test_helpers.hpp"

using test::ramp4x4;
using test::run;
using test::tensor;
using test::values;

namespace {
constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr float kInf = std::numeric_limits<float>::infinity();
}  // namespace

TEST_CASE("pool:max picks the largest value in each 2x2 block") {
    const auto out = run("pool:max,k=2", ramp4x4());
    CHECK(out.shape() == convpool::Shape{1, 2, 2});
    CHECK(values(out) == std::vector<float>{6, 8, 14, 16});
}

TEST_CASE("pool:min and pool:avg on 2x2 blocks") {
    CHECK(values(run("pool:min,k=2", ramp4x4())) == std::vector<float>{1, 3, 9, 11});
    CHECK(values(run("pool:avg,k=2", ramp4x4())) == std::vector<float>{3.5, 5.5, 11.5, 13.5});
}

TEST_CASE("pool:max with stride 1 and overlapping windows") {
    CHECK(values(run("pool:max,k=3,s=1", ramp4x4())) == std::vector<float>{11, 12, 15, 16});
}

TEST_CASE("pool:max ceil mode keeps a partial last window") {
    std::vector<float> v(25);
    for (int i = 0; i < 25; ++i) {
        v[static_cast<std::size_t>(i)] = static_cast<float>(i + 1);
    }
    const auto in = tensor(1, 5, 5, v);
    CHECK(run("pool:max,k=2", in).shape() == convpool::Shape{1, 2, 2});
    const auto out = run("pool:max,k=2,ceil", in);
    CHECK(out.shape() == convpool::Shape{1, 3, 3});
    CHECK(values(out) == std::vector<float>{7, 9, 10, 17, 19, 20, 22, 24, 25});
}

TEST_CASE("pool:max ceil mode drops a last window that would start in the padding") {
    // in 5, k 2, s 2, pad 1: ceil((5+2-2)/2)+1 = 4, but window 4 starts at 5 = in+pad-... in the
    // right padding, so 3 windows: [-1,0], [1,2], [3,4].
    const auto out = run("pool:max,k=1x2,s=1x2,pad=0x1,ceil", tensor(1, 1, 5, {1, 5, 2, 4, 3}));
    CHECK(out.shape() == convpool::Shape{1, 1, 3});
    CHECK(values(out) == std::vector<float>{1, 5, 4});
}

TEST_CASE("pool:max padding never wins, even over negative values") {
    const auto out = run("pool:max,k=3,s=1,pad=1", tensor(1, 2, 2, {-4, -3, -2, -1}));
    CHECK(values(out) == std::vector<float>{-1, -1, -1, -1});
}

TEST_CASE("pool:max and pool:min propagate NaN") {
    const auto in = tensor(1, 2, 4, {1, kNaN, 3, 4, 5, 6, 7, 8});
    const auto mx = values(run("pool:max,k=2", in));
    CHECK(std::isnan(mx[0]));
    CHECK(mx[1] == 8);
    const auto mn = values(run("pool:min,k=2", in));
    CHECK(std::isnan(mn[0]));
    CHECK(mn[1] == 3);
}

TEST_CASE("pool:max with dilation reads every other cell") {
    // 1x5 row, k=2 dilation 2: windows (0,2), (1,3), (2,4).
    CHECK(values(run("pool:max,k=1x2,s=1,dilation=1x2", tensor(1, 1, 5, {5, 1, 2, 9, 3}))) ==
          std::vector<float>{5, 9, 3});
}

TEST_CASE("pool:avg count-pad and divisor") {
    const auto in = tensor(1, 2, 2, {1, 2, 3, 4});
    // Every 3x3 window around a 2x2 input holds all four cells and five padding cells.
    CHECK(values(run("pool:avg,k=3,s=1,pad=1", in))[0] == doctest::Approx(10.0 / 9.0));
    CHECK(values(run("pool:avg,k=3,s=1,pad=1,count-pad=false", in)) ==
          std::vector<float>{2.5, 2.5, 2.5, 2.5});
    CHECK(values(run("pool:avg,k=3,s=1,pad=1,divisor=5", in)) == std::vector<float>{2, 2, 2, 2});
}

TEST_CASE("pool:avg never counts the ceil-mode overhang") {
    // in 6, k 3, s 2, pad 1, ceil: windows start at -1, 1, 3, 5; the last reads 5 (real),
    // 6 (padding, counted) and 7 (overhang, not counted).
    const auto in = tensor(1, 1, 6, {1, 2, 3, 4, 5, 6});
    CHECK(values(run("pool:avg,k=1x3,s=1x2,pad=0x1,ceil", in)) == std::vector<float>{1, 3, 5, 3});
    CHECK(values(run("pool:avg,k=1x3,s=1x2,pad=0x1,ceil,count-pad=false", in)) ==
          std::vector<float>{1.5, 3, 5, 6});
    // Without padding the overhang alone: [1 2], [3 4], [5] -> 5/1.
    CHECK(values(run("pool:avg,k=1x2,ceil", tensor(1, 1, 5, {1, 2, 3, 4, 5}))) ==
          std::vector<float>{1.5, 3.5, 5});
}

TEST_CASE("pool:lp is the true p-norm of each window") {
    CHECK(values(run("pool:lp,k=1x2", tensor(1, 1, 2, {3, 4}))) == std::vector<float>{5});
    CHECK(values(run("pool:lp,k=1x2,norm=1", tensor(1, 1, 2, {3, -4}))) == std::vector<float>{7});
    CHECK(values(run("pool:lp,k=1x2,norm=inf", tensor(1, 1, 2, {-5, 4}))) == std::vector<float>{5});
    CHECK(values(run("pool:lp,k=1x2,norm=3", tensor(1, 1, 2, {1, 2})))[0] ==
          doctest::Approx(std::cbrt(9.0)));
}

TEST_CASE("pool:adaptive-max and pool:adaptive-avg use PyTorch's window bounds") {
    // out 3 over in 5: [0,2), [1,4), [3,5).
    const auto in = tensor(1, 1, 5, {1, 2, 3, 4, 5});
    CHECK(values(run("pool:adaptive-max,out=1x3", in)) == std::vector<float>{2, 4, 5});
    CHECK(values(run("pool:adaptive-avg,out=1x3", in)) == std::vector<float>{1.5, 3, 4.5});
    // out larger than in repeats cells: out 3 over in 2: [0,1), [0,2), [1,2).
    CHECK(values(run("pool:adaptive-max,out=1x3", tensor(1, 1, 2, {7, 3}))) ==
          std::vector<float>{7, 7, 3});
}

TEST_CASE("pool:global-max and pool:global-avg give one value per channel") {
    const auto in = tensor(2, 2, 2, {1, 2, 3, 4, -1, -2, -3, -4});
    const auto mx = run("pool:global-max", in);
    CHECK(mx.shape() == convpool::Shape{2, 1, 1});
    CHECK(values(mx) == std::vector<float>{4, -1});
    CHECK(values(run("pool:global-avg", in)) == std::vector<float>{2.5, -2.5});
}

TEST_CASE("conv is cross-correlation: sobel-x is positive where values grow to the right") {
    const auto in = tensor(1, 3, 3, {0, 1, 2, 0, 1, 2, 0, 1, 2});
    const auto out = run("conv:sobel-x,pad=valid", in);
    CHECK(out.shape() == convpool::Shape{1, 1, 1});
    CHECK(values(out) == std::vector<float>{8});
    // An asymmetric kernel shows the orientation: [1 2] . (x0, x1) = x0 + 2 x1.
    CHECK(values(run("conv:kernel=[1 2],pad=valid", tensor(1, 1, 3, {1, 10, 100}))) ==
          std::vector<float>{21, 210});
}

TEST_CASE("conv border modes fill the padding as documented") {
    const auto in = tensor(1, 1, 3, {1, 2, 3});
    const auto with = [&in](const char* border) {
        return values(run(std::string("conv:kernel=[1 1 1],pad=0x1,border=") + border, in));
    };
    CHECK(with("zero") == std::vector<float>{3, 6, 5});
    CHECK(with("replicate") == std::vector<float>{4, 6, 8});
    CHECK(with("reflect") == std::vector<float>{4, 6, 8});     // 1|1 2 3|3
    CHECK(with("reflect101") == std::vector<float>{5, 6, 7});  // 2|1 2 3|2
    CHECK(with("wrap") == std::vector<float>{6, 6, 6});        // 3|1 2 3|1
}

TEST_CASE("conv stride, dilation, same padding of an even kernel, scale and bias") {
    const auto in = tensor(1, 1, 5, {1, 2, 3, 4, 5});
    CHECK(values(run("conv:kernel=[1 1],pad=valid,dilation=2", in)) == std::vector<float>{4, 6, 8});
    CHECK(values(run("conv:kernel=[1 1],pad=valid,dilation=2,stride=2", in)) ==
          std::vector<float>{4, 8});
    // same with k=2: total padding 1, at the end (as TensorFlow and PyTorch).
    CHECK(values(run("conv:kernel=[1 1],pad=same,border=zero", tensor(1, 1, 4, {1, 2, 3, 4}))) ==
          std::vector<float>{3, 5, 7, 4});
    CHECK(values(run("conv:identity,scale=2,bias=1", in)) == std::vector<float>{3, 5, 7, 9, 11});
}

TEST_CASE("named kernels have their documented values and sums") {
    const auto sum = [](const convpool::Matrix& m) {
        double s = 0;
        for (const float v : m.values) {
            s += static_cast<double>(v);
        }
        return s;
    };
    CHECK(convpool::named_kernel("sobel-x", {}, 0).values ==
          std::vector<float>{-1, 0, 1, -2, 0, 2, -1, 0, 1});
    CHECK(convpool::named_kernel("laplacian", {}, 0).values ==
          std::vector<float>{0, 1, 0, 1, -4, 1, 0, 1, 0});
    CHECK(sum(convpool::named_kernel("sharpen", {}, 0)) == doctest::Approx(1.0));
    const auto g = convpool::named_kernel("gaussian", {5, 5}, 0);
    CHECK(g.rows == 5);
    CHECK(sum(g) == doctest::Approx(1.0));
    CHECK(g.values[0] == doctest::Approx(static_cast<double>(g.values[24])));
    CHECK(g.values[12] > g.values[11]);
    const auto l = convpool::named_kernel("log", {}, 1.0);
    CHECK(l.rows == 7);
    CHECK(sum(l) == doctest::Approx(0.0).epsilon(1e-6));
    CHECK(l.values[24] < 0);  // negative centre, like laplacian
    CHECK(sum(convpool::named_kernel("box", {3, 3}, 0)) == doctest::Approx(1.0));
    CHECK(convpool::named_kernel("box", {2, 3}, 0).values.size() == 6);
}

TEST_CASE("bank gives channel c*F+f for input channel c and filter f") {
    const auto in = tensor(2, 1, 3, {1, 2, 3, 10, 20, 30});
    const auto out = run("bank:identity,sobel-x,border=zero", in);
    CHECK(out.shape() == convpool::Shape{4, 1, 3});
    const auto v = values(out);
    CHECK(std::vector<float>(v.begin(), v.begin() + 3) == std::vector<float>{1, 2, 3});
    // sobel-x over a single row with zero rows above and below: 2*(right - left).
    CHECK(std::vector<float>(v.begin() + 3, v.begin() + 6) == std::vector<float>{4, 4, -4});
    CHECK(std::vector<float>(v.begin() + 6, v.begin() + 9) == std::vector<float>{10, 20, 30});
}

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
