// The named filters gabor, dog, kirsch-* and roberts-*, in conv and as bank entries with their
// own arguments, and generated banks (gabor(orientations=O,scales=S)).
#include "convpool/core/error.hpp"
#include "convpool/pipeline/pipeline.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <fstream>
#include <limits>
#include <random>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "ops/common/filters.hpp"
#include "reference/reference.hpp"
#include "reference/reference_filters.hpp"
#include "test_helpers.hpp"

using test::run;
using test::tensor;
using test::values;

namespace {

const nlohmann::json& fixtures() {
    static const nlohmann::json doc = [] {
        std::ifstream in(std::string(CONVPOOL_FIXTURE_DIR) + "/filters.json");
        REQUIRE(in.good());
        return nlohmann::json::parse(in);
    }();
    return doc;
}

/// The largest |a - b| over two kernels of the same extent, or infinity when they differ.
double kernel_difference(const convpool::Matrix& got, const ref::Kernel& want) {
    if (got.rows != want.rows || got.cols != want.cols) {
        return std::numeric_limits<double>::infinity();
    }
    double d = 0.0;
    for (std::size_t i = 0; i < want.values.size(); ++i) {
        d = std::max(d, std::fabs(static_cast<double>(got.values[i]) - want.values[i]));
    }
    return d;
}

ref::Image random_image(int c, int h, int w, unsigned seed) {
    std::mt19937 gen(seed);
    std::uniform_real_distribution<float> dist(-1.0F, 1.0F);
    ref::Image img(c, h, w);
    for (float& v : img.values) {
        v = dist(gen);
    }
    return img;
}

convpool::Tensor to_tensor(const ref::Image& img) {
    return test::tensor(img.channels, img.height, img.width, img.values);
}

/// Channel `c` of the reference correlation of `in` with `k` (pad same, reflect101).
std::vector<float> ref_channel(const ref::Image& in, const ref::Kernel& k, int c) {
    ref::ConvSpec spec;
    spec.kernel_rows = k.rows;
    spec.kernel_cols = k.cols;
    spec.kernel.assign(k.values.begin(), k.values.end());
    spec.pad.kind = ref::ConvPad::Kind::same;
    const ref::Image out = ref::conv(in, spec);
    const auto plane = static_cast<std::ptrdiff_t>(out.height) * out.width;
    return {out.values.begin() + c * plane, out.values.begin() + (c + 1) * plane};
}

/// max |got channel ch - want|.
double channel_difference(const convpool::Tensor& got, int ch, const std::vector<float>& want) {
    const auto plane = got.channel(ch);
    if (plane.size() != want.size()) {
        return std::numeric_limits<double>::infinity();
    }
    double d = 0.0;
    for (std::size_t i = 0; i < want.size(); ++i) {
        d = std::max(d, std::fabs(static_cast<double>(plane[i]) - static_cast<double>(want[i])));
    }
    return d;
}

std::string parse_error(const std::string& text) {
    try {
        const convpool::Pipeline p(text);
        (void)p.plan({1, 16, 16});
    } catch (const convpool::Error& e) {
        return e.what();
    }
    return "";
}

}  // namespace

TEST_CASE("gabor, dog, kirsch and roberts equal the references written from their definitions") {
    for (const auto& [k, sigma, theta, lambda, gamma, psi] :
         std::vector<std::tuple<int, double, double, double, double, double>>{
             {9, 2, 0, 4, 0.5, 0},
             {9, 2, 45, 6, 0.5, 0},
             {7, 1.5, 120, 3, 1, 90},
             {13, 3, -30, 8, 0.25, -45},
             {1, 1, 0, 4, 0.5, 0}}) {
        convpool::FilterArgs a;
        a.k = {k, k};
        a.sigma = sigma;
        a.theta = theta;
        a.lambda = lambda;
        a.gamma = gamma;
        a.psi = psi;
        const int size = k;  // a copy: CAPTURE's lambda cannot take a structured binding
        const double angle = theta;
        CAPTURE(size);
        CAPTURE(angle);
        CHECK(kernel_difference(convpool::named_kernel("gabor", a),
                                ref::gabor(k, sigma, theta, lambda, gamma, psi)) < 1e-6);
    }
    // The defaults: k 9, sigma 2, theta 0, lambda 4, gamma 0.5, psi 0.
    CHECK(kernel_difference(convpool::named_kernel("gabor", convpool::FilterArgs{}),
                            ref::gabor(9, 2, 0, 4, 0.5, 0)) < 1e-6);
    for (const auto& [s1, s2] :
         std::vector<std::pair<double, double>>{{1, 1.6}, {0.5, 2}, {2, 3}}) {
        convpool::FilterArgs a;
        a.sigma1 = s1;
        a.sigma2 = s2;
        CHECK(kernel_difference(convpool::named_kernel("dog", a), ref::dog(s1, s2)) < 1e-7);
    }
    for (const std::string dir : {"n", "ne", "e", "se", "s", "sw", "w", "nw"}) {
        CAPTURE(dir);
        CHECK(kernel_difference(convpool::named_kernel("kirsch-" + dir, {}, 0), ref::kirsch(dir)) ==
              0.0);
    }
    CHECK(kernel_difference(convpool::named_kernel("roberts-x", {}, 0), ref::roberts(true)) == 0.0);
    CHECK(kernel_difference(convpool::named_kernel("roberts-y", {}, 0), ref::roberts(false)) ==
          0.0);
}

TEST_CASE("dog by hand: 11x11 for sigma2 1.6, sum 0, positive centre, negative ring") {
    const auto d = convpool::named_kernel("dog", convpool::FilterArgs{});
    REQUIRE(d.rows == 11);  // 2 * ceil(3 * 1.6) + 1
    REQUIRE(d.cols == 11);
    double sum = 0.0;
    for (const float v : d.values) {
        sum += static_cast<double>(v);
    }
    CHECK(std::fabs(sum) < 1e-6);
    CHECK(d.values[60] > 0.0F);      // the centre
    CHECK(d.values[60 + 3] < 0.0F);  // 3 cells right: the negative surround
    CHECK(d.values[60 - 3] == d.values[60 + 3]);
    CHECK(d.values[60 - 3 * 11] == d.values[60 + 3]);
    // Centre by hand: G1(0) - G2(0), each 1-D Gaussian normalised over 11 taps; minus the mean.
    const auto g0 = [](double s) {
        double sum1 = 0.0;
        for (int i = -5; i <= 5; ++i) {
            sum1 += std::exp(-i * i / (2 * s * s));
        }
        return 1.0 / (sum1 * sum1);
    };
    CHECK(static_cast<double>(d.values[60]) == doctest::Approx(g0(1.0) - g0(1.6)).epsilon(1e-5));
}

TEST_CASE("gabor equals cv2.getGaborKernel (tests/fixtures/filters.json)") {
    const auto& cases = fixtures().at("gabor");
    REQUIRE(cases.size() >= 5);
    for (const auto& c : cases) {
        const std::string stage =
            "bank:gabor(k=" + std::to_string(c.at("k").get<int>()) +
            ",sigma=" + c.at("sigma").dump() + ",theta=" + c.at("theta").dump() +
            ",lambda=" + c.at("lambda").dump() + ",gamma=" + c.at("gamma").dump() +
            ",psi=" + c.at("psi").dump() + ")";
        CAPTURE(stage);
        const convpool::Pipeline p(stage);
        const auto kernels = p.stages().front().op->kernels();
        REQUIRE(kernels.has_value());
        REQUIRE(kernels->kernels.size() == 1);
        const auto want = c.at("kernel").get<std::vector<double>>();
        const auto& got = kernels->kernels.front();
        REQUIRE(got.values.size() == want.size());
        for (std::size_t i = 0; i < want.size(); ++i) {
            CHECK(std::fabs(static_cast<double>(got.values[i]) - want[i]) < 1e-6);
        }
    }
}

TEST_CASE("kirsch, roberts and an even box equal cv2.filter2D; pad=same-lower is OpenCV's anchor") {
    const auto& cases = fixtures().at("filter2d");
    REQUIRE(cases.size() >= 12);
    for (const auto& c : cases) {
        const std::string stage = c.at("stage");
        CAPTURE(stage);
        const auto shape = c.at("shape").get<std::vector<int>>();
        const auto in =
            test::tensor(1, shape[0], shape[1], c.at("input").get<std::vector<float>>());
        const auto want = c.at("output").get<std::vector<float>>();
        const auto got = test::run(stage, in);
        REQUIRE(got.shape() == in.shape());
        for (std::size_t i = 0; i < want.size(); ++i) {
            CHECK(std::fabs(got.data()[i] - want[i]) <= 1e-5F);
        }
    }
}

TEST_CASE("roberts and kirsch by hand; the anchor of an even kernel under pad=same") {
    const auto in = test::tensor(1, 3, 3, {1, 2, 3, 4, 5, 6, 7, 8, 9});
    // pad=same: the extra cell after (bottom, right), so out(y, x) = in(y, x) - in(y+1, x+1):
    // the kernel's top-left cell is on the output cell.
    CHECK(test::values(test::run("conv:roberts-x,pad=same,border=zero", in)) ==
          std::vector<float>{-4, -4, 3, -4, -4, 6, 7, 8, 9});
    // pad=same-lower (OpenCV's anchor, the cell right/below the middle): in(y-1, x-1) - in(y, x).
    CHECK(test::values(test::run("conv:roberts-x,pad=same-lower,border=zero", in)) ==
          std::vector<float>{-1, -2, -3, -4, -4, -4, -7, -4, -4});
    // roberts-y: in(y, x+1) - in(y+1, x).
    CHECK(test::values(test::run("conv:roberts-y,pad=valid", in)) ==
          std::vector<float>{2 - 4, 3 - 5, 5 - 7, 6 - 8});
    // A bright top row: kirsch-n sees 5 * 3 = 15, kirsch-s -3 * 3 = -9, kirsch-e 5 - 3 - 3.
    const auto top = test::tensor(1, 3, 3, {1, 1, 1, 0, 0, 0, 0, 0, 0});
    CHECK(test::values(test::run("conv:kirsch-n,pad=valid", top)) == std::vector<float>{15});
    CHECK(test::values(test::run("conv:kirsch-s,pad=valid", top)) == std::vector<float>{-9});
    CHECK(test::values(test::run("conv:kirsch-e,pad=valid", top)) == std::vector<float>{-1});
    CHECK(test::values(test::run("conv:kirsch-nw,pad=valid", top)) == std::vector<float>{7});
}

TEST_CASE("conv:gabor and conv:dog take their arguments; bank entries take their own") {
    const ref::Image img = random_image(1, 12, 13, 7);
    const auto in = to_tensor(img);
    const auto g = test::run("conv:gabor,theta=45,lambda=6,psi=90", in);
    CHECK(channel_difference(g, 0, ref_channel(img, ref::gabor(9, 2, 45, 6, 0.5, 90), 0)) < 1e-5);
    const auto d = test::run("conv:dog,sigma1=0.8,sigma2=1.5", in);
    CHECK(channel_difference(d, 0, ref_channel(img, ref::dog(0.8, 1.5), 0)) < 1e-5);
    // Entries with their own arguments; the stage's lambda applies to the entry without one.
    const auto b =
        test::run("bank:gabor(theta=45,lambda=6),dog(sigma1=1,sigma2=2),gabor,lambda=5", in);
    REQUIRE(b.shape() == convpool::Shape{3, 12, 13});
    CHECK(channel_difference(b, 0, ref_channel(img, ref::gabor(9, 2, 45, 6, 0.5, 0), 0)) < 1e-5);
    CHECK(channel_difference(b, 1, ref_channel(img, ref::dog(1, 2), 0)) < 1e-5);
    CHECK(channel_difference(b, 2, ref_channel(img, ref::gabor(9, 2, 0, 5, 0.5, 0), 0)) < 1e-5);
}

TEST_CASE("bank:gabor(orientations=8,scales=2) is 16 filters, scale-major, named") {
    const ref::Image img = random_image(2, 10, 11, 11);
    const auto out = test::run("bank:gabor(orientations=8,scales=2)", to_tensor(img));
    REQUIRE(out.shape() == convpool::Shape{32, 10, 11});  // c * 16 + f
    for (int c = 0; c < 2; ++c) {
        for (int s = 0; s < 2; ++s) {
            for (int o = 0; o < 8; ++o) {
                const double f = std::pow(std::sqrt(2.0), s);
                CAPTURE(c);
                CAPTURE(s);
                CAPTURE(o);
                CHECK(channel_difference(
                          out, c * 16 + s * 8 + o,
                          ref_channel(img, ref::gabor(9, 2 * f, o * 22.5, 4 * f, 0.5, 0), c)) <
                      1e-5);
            }
        }
    }
    const convpool::Pipeline p("bank:sobel-x,gabor(orientations=4,scales=2,k=11,gamma=0.3)");
    const auto kernels = p.stages().front().op->kernels();
    REQUIRE(kernels.has_value());
    CHECK(kernels->names == std::vector<std::string>{
                                "sobel-x", "gabor(theta=0,k=11,gamma=0.3)",
                                "gabor(theta=45,k=11,gamma=0.3)", "gabor(theta=90,k=11,gamma=0.3)",
                                "gabor(theta=135,k=11,gamma=0.3)",
                                "gabor(theta=0,k=11,sigma=2.828,lambda=5.657,gamma=0.3)",
                                "gabor(theta=45,k=11,sigma=2.828,lambda=5.657,gamma=0.3)",
                                "gabor(theta=90,k=11,sigma=2.828,lambda=5.657,gamma=0.3)",
                                "gabor(theta=135,k=11,sigma=2.828,lambda=5.657,gamma=0.3)"});
    CHECK(kernels->kernels.size() == 9);
    CHECK(kernels->kernels[1].rows == 11);
}

TEST_CASE("the new filters' arguments are refused where they do not apply") {
    CHECK(parse_error("conv:sobel-x,theta=30") ==
          "stage 1 'conv:sobel-x,theta=30': conv: theta applies to gabor, not 'sobel-x'");
    CHECK(parse_error("conv:gabor,sigma1=2") ==
          "stage 1 'conv:gabor,sigma1=2': conv: sigma1 applies to dog, not 'gabor'");
    CHECK(parse_error("conv:roberts-x,k=3") ==
          "stage 1 'conv:roberts-x,k=3': conv: filter 'roberts-x' has a fixed size; k applies to "
          "box, dog, gabor, gaussian, identity and log");
    CHECK(parse_error("conv:kernel=[1 2],lambda=3") ==
          "stage 1 'conv:kernel=[1 2],lambda=3': conv: lambda applies to named filters, not to "
          "kernel=[...]");
    CHECK(parse_error("conv:gabor,k=8").find("gabor: k=8x8: a Gabor kernel has an odd size") !=
          std::string::npos);
    CHECK(parse_error("conv:dog,sigma1=2,sigma2=1")
              .find("dog: sigma1 (2) must be smaller than sigma2 (1)") != std::string::npos);
    CHECK(parse_error("bank:gabor(orientations=4,theta=10)").find("theta and orientations") !=
          std::string::npos);
    CHECK(parse_error("bank:dog(orientations=4)").find("orientations") != std::string::npos);
    CHECK(parse_error("bank:gabor(orientations=0)").find("orientations") != std::string::npos);
}

// ---------------------------------------------------------------------------------------------
// Channel order, by hand

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
