// The fast correlation (src/ops/fast/conv.cpp, rows.cpp) against the plain loop: the same bits
// on sweeps, for every SIMD build of the banded 3x3 kernel and every thread count; activations
// applied as it stores, and the fusion of a conv with the elementwise stage after it.
#include "convpool/core/error.hpp"
#include "convpool/core/geometry.hpp"
#include "convpool/core/parallel.hpp"
#include "convpool/core/params.hpp"
#include "convpool/core/tensor.hpp"
#include "convpool/pipeline/activation.hpp"
#include "convpool/pipeline/pipeline.hpp"
#include "convpool/pipeline/registry.hpp"

#include <doctest/doctest.h>
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "ops/common/convolution.hpp"
#include "ops/common/pooling.hpp"
#include "ops/fast/pool.hpp"
#include "ops/fast/pool_u8.hpp"
#include "ops/fast/rows.hpp"
#include "support/fast_paths.hpp"

using namespace fast_paths;  // the shared test vocabulary (tests/support/fast_paths.hpp)

namespace {

/// ConvSettings of `conv` with these arguments (written as on the command line).
convpool::ops::ConvSettings conv_settings(const std::vector<convpool::Arg>& args) {
    const convpool::OpInfo& info = convpool::find_op("conv");
    std::vector<convpool::Arg> all = args;
    all.push_back({"filter", "box"});
    return convpool::ops::ConvSettings(convpool::Params(info.name, info.params, all));
}

}  // namespace

TEST_CASE(
    "fast correlation equals the plain loop bit for bit over kernels, pads, borders, strides and "
    "dilations") {
    Random rng(31337);
    const std::array<const char*, 5> borders{"zero", "reflect", "reflect101", "replicate", "wrap"};
    int checked = 0;
    for (int i = 0; i < 900; ++i) {
        const int h = rng.integer(1, 37);
        // Some rows wider than two AVX-512 vectors plus a tail.
        const int w = rng.chance(25) ? rng.integer(38, 90) : rng.integer(1, 37);
        convpool::Matrix kernel{rng.integer(1, 5), rng.integer(1, 5), {}};
        if (rng.chance(40)) {
            kernel.rows = kernel.cols = 3;  // the 3x3 kernel of its own
        }
        for (int k = 0; k < kernel.rows * kernel.cols; ++k) {
            kernel.values.push_back(static_cast<float>(rng.integer(-40, 40)) / 7.0F);
        }
        const std::string pad =
            rng.chance(50) ? std::string("same") : std::to_string(rng.integer(0, 3));
        const std::string border = rng.pick(borders);
        const std::string scale = rng.chance(30) ? "0.37" : "1";
        // A bias of -0 keeps the 0 + first product that the SIMD builds otherwise drop.
        const std::array<const char*, 4> biases{"0", "0", "-1.5", "-0"};
        const std::string bias = rng.pick(biases);
        // Strides and dilations, the same or not along both axes.
        const auto step = [&](int percent) {
            return rng.chance(percent)
                       ? std::to_string(rng.integer(1, 3)) + "x" + std::to_string(rng.integer(1, 3))
                       : std::string("1");
        };
        const std::string stride = step(35);
        const std::string dilation = step(25);
        const auto settings = conv_settings({{"pad", pad},
                                             {"border", border},
                                             {"scale", scale},
                                             {"bias", bias},
                                             {"stride", stride},
                                             {"dilation", dilation}});
        CAPTURE(h);
        CAPTURE(w);
        CAPTURE(kernel.rows);
        CAPTURE(kernel.cols);
        CAPTURE(pad);
        CAPTURE(border);
        CAPTURE(scale);
        CAPTURE(bias);
        CAPTURE(stride);
        CAPTURE(dilation);
        convpool::Size2 o{};
        try {
            o = settings.output_size(h, w, kernel.rows, kernel.cols);
        } catch (const convpool::Error&) {
            continue;  // the kernel does not fit this padded input
        }
        if ((border == "reflect101" || border == "reflect" || border == "wrap") && pad != "same" &&
            std::stoi(pad) >= std::min(h, w)) {
            continue;  // the plain loop's reflections assume pads smaller than the input
        }
        Random values(static_cast<std::uint32_t>(i));
        const Tensor in = tricky_tensor({1, h, w}, values, rng.chance(30) ? 5 : 0);
        const auto size = static_cast<std::size_t>(o.h) * static_cast<std::size_t>(o.w);
        Tensor fast(Shape{1, o.h, o.w});
        Tensor plain(Shape{1, o.h, o.w});
        settings.correlate(in.channel(0), h, w, kernel, fast.data());
        settings.correlate_plain(in.channel(0), h, w, kernel, plain.data());
        REQUIRE(fast.data().size() == size);
        REQUIRE(same_sums(fast, plain));
        ++checked;
    }
    CHECK(checked > 600);
}

TEST_CASE("fast correlation gives the same bits with 1, 2 and 3 threads") {
    Random rng(5);
    const Tensor in = tricky_tensor({1, 523, 611}, rng, 1);
    const convpool::Matrix sobel{3, 3, {-1, 0, 1, -2, 0, 2, -1, 0, 1}};
    const convpool::Matrix wide{5, 4, std::vector<float>(20, 0.3F)};
    for (const auto& settings : {conv_settings({}), conv_settings({{"stride", "2"}}),
                                 conv_settings({{"dilation", "2x3"}, {"stride", "1x2"}})}) {
        for (const auto* kernel : {&sobel, &wide}) {
            const convpool::Size2 o = settings.output_size(523, 611, kernel->rows, kernel->cols);
            Tensor plain(Shape{1, o.h, o.w});
            settings.correlate_plain(in.channel(0), 523, 611, *kernel, plain.data());
            for (const int threads : {1, 2, 3}) {
                convpool::set_thread_count(threads);
                Tensor fast(Shape{1, o.h, o.w});
                settings.correlate(in.channel(0), 523, 611, *kernel, fast.data());
                CAPTURE(kernel->rows);
                CAPTURE(threads);
                CHECK(same_sums(fast, plain));
            }
        }
    }
    convpool::set_thread_count(0);
}

namespace {

/// same_sums for n floats.
bool same_sums(const float* a, const float* b, int n) {
    const Shape shape{1, 1, n};
    return fast_paths::same_sums(Tensor(shape, std::vector<float>(a, a + n)),
                                 Tensor(shape, std::vector<float>(b, b + n)));
}

/// A random 3x3 kernel: multiples of 1/7 from -40/7 to 40/7, a fifth of them 0.
std::vector<float> random_kernel_3x3(Random& rng) {
    std::vector<float> w(9);
    for (float& v : w) {
        v = rng.chance(20) ? 0.0F : static_cast<float>(rng.integer(-40, 40)) / 7.0F;
    }
    return w;
}

/// The count + 2 input rows of n + 2 cells of a band: small integers, `special` percent of them
/// one of `specials`; all -0 with `all_minus_zero`.
std::vector<std::vector<float>> random_band_rows(Random& rng, int count, int n, int special,
                                                 const std::vector<float>& specials,
                                                 bool all_minus_zero) {
    std::vector<std::vector<float>> rows(static_cast<std::size_t>(count) + 2);
    for (auto& row : rows) {
        row.resize(static_cast<std::size_t>(n) + 2);
        for (float& v : row) {
            v = static_cast<float>(rng.integer(-3, 3));
            if (rng.chance(special)) {
                v = specials[static_cast<std::size_t>(
                    rng.integer(0, static_cast<int>(specials.size()) - 1))];
            }
            if (all_minus_zero) {
                v = -0.0F;
            }
        }
    }
    return rows;
}

/// Pointers to the rows of `rows`.
std::vector<const float*> row_pointers(const std::vector<std::vector<float>>& rows) {
    std::vector<const float*> in;
    in.reserve(rows.size());
    for (const auto& row : rows) {
        in.push_back(row.data());
    }
    return in;
}

}  // namespace

TEST_CASE("every SIMD build of the banded 3x3 kernel equals the portable build") {
    using convpool::ops::kernels::Simd;
    namespace kernels = convpool::ops::kernels;
    Random rng(4242);
    const float nan = std::numeric_limits<float>::quiet_NaN();
    int checked = 0;
    for (const Simd simd : {Simd::avx2, Simd::avx512}) {
        if (!kernels::simd_available(simd)) {
            MESSAGE("this machine cannot run SIMD build " << static_cast<int>(simd));
            continue;
        }
        for (int i = 0; i < 1500; ++i) {
            const int count = rng.integer(1, kernels::kBandRows);
            // Narrower than one vector, a few vectors, and a few vectors and a tail.
            const int n = rng.chance(30) ? rng.integer(1, 17) : rng.integer(18, 150);
            const bool stream = rng.chance(50);
            // Output rows either equally aligned (one pitch apart, a multiple of 16 floats) or
            // not, starting anywhere in a cache line.
            const int pitch = n + 16 + (rng.chance(60) ? (16 - n % 16) % 16 : rng.integer(1, 15));
            const int offset = rng.integer(0, 15);
            const std::array scales{1.0F, 0.37F, -2.0F, 0.0F};
            const std::array biases{0.0F, -0.0F, -1.5F, 3.0F};
            const float scale = rng.pick(scales);
            const float bias = rng.pick(biases);
            const std::vector<float> w = random_kernel_3x3(rng);
            // Rows of small integers with some -0, +-inf and NaN; sometimes all -0, whose
            // products sum to +0 in the plain loop (0 + -0).
            const int special = rng.chance(50) ? 8 : 0;
            const bool all_minus_zero = rng.chance(5);
            const auto rows = random_band_rows(rng, count, n, special,
                                               {0.0F, -0.0F, kInf, -kInf, nan}, all_minus_zero);
            const std::vector<const float*> in = row_pointers(rows);
            CAPTURE(static_cast<int>(simd));
            CAPTURE(count);
            CAPTURE(n);
            CAPTURE(stream);
            CAPTURE(pitch);
            CAPTURE(offset);
            CAPTURE(scale);
            CAPTURE(bias);
            CAPTURE(all_minus_zero);
            // Room for the 64-byte alignment, the offset, the rows, and a margin after them,
            // filled with a value no output can take.
            constexpr float kUnwritten = 1e30F;
            const auto size = static_cast<std::size_t>(16 + offset + 16) +
                              static_cast<std::size_t>(count) * static_cast<std::size_t>(pitch);
            std::vector<float> fast(size, kUnwritten);
            std::vector<float> portable(size, kUnwritten);
            const std::vector<float*> fast_rows = aligned_rows(
                fast, count, static_cast<std::size_t>(pitch), static_cast<std::size_t>(offset));
            const std::vector<float*> portable_rows = aligned_rows(
                portable, count, static_cast<std::size_t>(pitch), static_cast<std::size_t>(offset));
            // Prefetching rows ahead (here the input rows again) changes no value.
            const kernels::RowsAhead ahead{in.data(), rng.integer(0, count), n + 2};
            kernels::correlate_rows_3x3(in.data(), count, w.data(), n, scale, bias,
                                        fast_rows.data(), stream, ahead, simd);
            kernels::store_fence();
            kernels::correlate_rows_3x3(in.data(), count, w.data(), n, scale, bias,
                                        portable_rows.data(), false, {}, Simd::portable);
            for (int r = 0; r < count; ++r) {
                CAPTURE(r);
                REQUIRE(same_sums(fast_rows[static_cast<std::size_t>(r)],
                                  portable_rows[static_cast<std::size_t>(r)], n));
            }
            // Nothing written outside the rows.
            const auto written = static_cast<std::size_t>(count) * static_cast<std::size_t>(n);
            REQUIRE(static_cast<std::size_t>(std::count(fast.begin(), fast.end(), kUnwritten)) ==
                    size - written);
            ++checked;
        }
    }
    MESSAGE("checked " << checked << " bands");
}

TEST_CASE("fast correlation: the plain loop's -0 handling (0 + -0 = +0) survives every build") {
    // Every product -0: the plain loop's sum is +0 (it starts from 0), then +0 * scale + bias.
    const Tensor in(Shape{1, 5, 40}, -0.0F);
    const convpool::Matrix kernel{3, 3, std::vector<float>(9, 0.5F)};
    for (const char* bias : {"0", "-0"}) {
        for (const char* scale : {"1", "-1"}) {
            const auto settings = conv_settings({{"scale", scale}, {"bias", bias}});
            Tensor fast(Shape{1, 5, 40});
            Tensor plain(Shape{1, 5, 40});
            settings.correlate(in.channel(0), 5, 40, kernel, fast.data());
            settings.correlate_plain(in.channel(0), 5, 40, kernel, plain.data());
            CAPTURE(bias);
            CAPTURE(scale);
            CHECK(same_bits(fast, plain));
        }
    }
}

TEST_CASE(
    "fast correlation through conv: several channels, one row, narrow and wide images, strides") {
    Random rng(777);
    const std::array<const char*, 5> borders{"zero", "reflect", "reflect101", "replicate", "wrap"};
    const std::array<const char*, 4> kernels{"sobel-x",
                                             "kernel=[0.1 0.2 0.3; 0.4 0.5 0.6; 0.7 0.8 0.9]",
                                             "gaussian,k=5", "kernel=[1 -2 1]"};
    for (int i = 0; i < 150; ++i) {
        const int channels = rng.integer(1, 4);
        const int h = rng.chance(20) ? 1 : rng.integer(1, 20);
        const int w = rng.chance(30) ? rng.integer(1, 15) : rng.integer(16, 80);
        const std::string border = rng.pick(borders);
        const std::string filter = rng.pick(kernels);
        const std::array<const char*, 4> strides{"1", "1", "2", "1x3"};
        const std::string stride = rng.pick(strides);
        const std::string dilation = rng.chance(20) ? "2" : "1";
        const std::string text = fmt::format("conv:{},border={},stride={},dilation={}", filter,
                                             border, stride, dilation);
        CAPTURE(channels);
        CAPTURE(h);
        CAPTURE(w);
        CAPTURE(text);
        const convpool::Pipeline pipeline(text);
        Random values(static_cast<std::uint32_t>(i));
        const Tensor in = tricky_tensor({channels, h, w}, values, rng.chance(30) ? 5 : 0);
        (void)pipeline.plan(in.shape());
        const Tensor out = pipeline.run(in, {});
        // The plain loop, channel by channel, with the stage's own settings and kernel.
        const convpool::OpInfo& info = convpool::find_op("conv");
        std::vector<convpool::Arg> args{
            {"border", border}, {"stride", stride}, {"dilation", dilation}};
        if (filter.rfind("kernel=", 0) == 0) {
            args.push_back({"kernel", filter.substr(7)});
        } else if (filter == "gaussian,k=5") {
            args.push_back({"filter", "gaussian"});
            args.push_back({"k", "5"});
        } else {
            args.push_back({"filter", filter});
        }
        const convpool::Params params(info.name, info.params, args);
        const convpool::ops::ConvSettings settings(params);
        const convpool::Matrix kernel =
            params.has("kernel")
                ? params.matrix("kernel")
                : convpool::ops::filter_kernel(params, params.text("filter"), false);
        Tensor plain(out.shape());
        for (int c = 0; c < channels; ++c) {
            settings.correlate_plain(in.channel(c), h, w, kernel, plain.channel(c));
        }
        REQUIRE(same_sums(out, plain));
    }
}

TEST_CASE("fast correlation streams large outputs and equals the plain loop") {
    // Outputs of 8 MB or more go out by non-temporal stores: rows aligned alike (width 2048)
    // stream whole cache lines, rows that are not (width 2051) fall back to ordinary stores.
    const convpool::Matrix dense{3, 3, {0.1F, 0.2F, 0.3F, 0.4F, 0.5F, 0.6F, 0.7F, 0.8F, 0.9F}};
    for (const int w : {2048, 2051}) {
        Random rng(static_cast<std::uint32_t>(w));
        const int h = 1030;
        const Tensor in = tricky_tensor({1, h, w}, rng, 1);
        for (const char* border : {"reflect101", "zero"}) {
            const auto settings = conv_settings({{"border", border}});
            Tensor plain(Shape{1, h, w});
            settings.correlate_plain(in.channel(0), h, w, dense, plain.data());
            for (const int threads : {1, 2}) {
                convpool::set_thread_count(threads);
                Tensor fast(Shape{1, h, w});
                settings.correlate(in.channel(0), h, w, dense, fast.data());
                CAPTURE(w);
                CAPTURE(border);
                CAPTURE(threads);
                CHECK(same_sums(fast, plain));
            }
        }
    }
    convpool::set_thread_count(0);
}

TEST_CASE("banded 3x3 kernel: an activation applied as it stores gives the activation after") {
    using convpool::Activation;
    using convpool::ops::kernels::Simd;
    namespace kernels = convpool::ops::kernels;
    Random rng(9091);
    const float nan = std::numeric_limits<float>::quiet_NaN();
    const std::array<Activation, 5> activations{{{Activation::Kind::relu, 0.0F},
                                                 {Activation::Kind::abs, 0.0F},
                                                 {Activation::Kind::leaky_relu, 0.01F},
                                                 {Activation::Kind::leaky_relu, -1.5F},
                                                 {Activation::Kind::leaky_relu, 0.0F}}};
    int checked = 0;
    for (const Simd simd : {Simd::portable, Simd::avx2, Simd::avx512}) {
        if (!kernels::simd_available(simd)) {
            MESSAGE("this machine cannot run SIMD build " << static_cast<int>(simd));
            continue;
        }
        for (int i = 0; i < 800; ++i) {
            const int count = rng.integer(1, kernels::kBandRows);
            const int n = rng.chance(30) ? rng.integer(1, 17) : rng.integer(18, 150);
            const bool stream = rng.chance(50);
            const std::array scales{1.0F, 0.37F, -2.0F, 0.0F};
            const std::array biases{0.0F, -0.0F, -1.5F, 3.0F};
            const float scale = rng.pick(scales);
            const float bias = rng.pick(biases);
            const Activation activation = rng.pick(activations);
            const std::vector<float> w = random_kernel_3x3(rng);
            // Small integers with -0, +-inf and NaN of both signs (NaN payloads must survive).
            const auto rows =
                random_band_rows(rng, count, n, 8, {0.0F, -0.0F, kInf, -kInf, nan, -nan}, false);
            const std::vector<const float*> in = row_pointers(rows);
            CAPTURE(static_cast<int>(simd));
            CAPTURE(count);
            CAPTURE(n);
            CAPTURE(stream);
            CAPTURE(scale);
            CAPTURE(bias);
            CAPTURE(static_cast<int>(activation.kind));
            CAPTURE(activation.slope);
            // Rows 64 floats apart from a 64-byte boundary: streaming applies when asked.
            const std::size_t pitch = (static_cast<std::size_t>(n) + 63) / 64 * 64;
            std::vector<float> fused(pitch * static_cast<std::size_t>(count) + 16);
            std::vector<float> after(fused.size());
            const std::vector<float*> fused_rows = aligned_rows(fused, count, pitch, 0);
            const std::vector<float*> after_rows = aligned_rows(after, count, pitch, 0);
            kernels::correlate_rows_3x3(in.data(), count, w.data(), n, scale, bias,
                                        fused_rows.data(), stream, {}, simd, activation);
            kernels::correlate_rows_3x3(in.data(), count, w.data(), n, scale, bias,
                                        after_rows.data(), stream, {}, simd);
            kernels::store_fence();
            for (int r = 0; r < count; ++r) {
                float* row = after_rows[static_cast<std::size_t>(r)];
                for (int x = 0; x < n; ++x) {
                    row[x] = convpool::activate(activation, row[x]);
                }
                CAPTURE(r);
                REQUIRE(std::memcmp(fused_rows[static_cast<std::size_t>(r)], row,
                                    static_cast<std::size_t>(n) * sizeof(float)) == 0);
            }
            ++checked;
        }
    }
    MESSAGE("checked " << checked << " bands");
}

TEST_CASE("activate: each rule as its stage, NaN payloads and -0 kept") {
    using convpool::Activation;
    const float nan = std::numeric_limits<float>::quiet_NaN();
    const auto bits = [](float v) {
        std::uint32_t b = 0;
        std::memcpy(&b, &v, sizeof b);
        return b;
    };
    for (const float x : {-0.0F, 0.0F, -2.5F, 3.0F, kInf, -kInf, nan, -nan}) {
        CAPTURE(x);
        const float relu = convpool::activate({Activation::Kind::relu, 0.0F}, x);
        const float abs = convpool::activate({Activation::Kind::abs, 0.0F}, x);
        const float leaky = convpool::activate({Activation::Kind::leaky_relu, 0.5F}, x);
        CHECK(bits(relu) == bits(x < 0.0F ? 0.0F : x));  // -0 and NaN stay as they are
        CHECK(bits(abs) == (bits(x) & 0x7fffffffU));
        CHECK(bits(leaky) == bits(x < 0.0F ? 0.5F * x : x));
        CHECK(bits(convpool::activate({}, x)) == bits(x));
    }
    CHECK(std::signbit(convpool::activate({Activation::Kind::relu, 0.0F}, -0.0F)));
}

TEST_CASE("conv fused with the elementwise stage after it: the stage-by-stage run's bits") {
    Random rng(2718);
    const std::array<std::string_view, 5> filters{
        "sobel-x", "kernel=[0.1 -0.2 0.3; 0.4 0.5 -0.6; 0.7 0.8 0.9]", "gaussian,k=5",
        "kernel=[1 -2 1]", "laplacian"};
    const std::array<std::string_view, 5> afters{"relu", "abs", "leaky-relu", "leaky-relu:slope=-2",
                                                 "leaky-relu:slope=0"};
    const std::array<std::string_view, 7> extras{
        "",          ",scale=-1",   ",bias=-0",    ",bias=0.5,scale=0.25",
        ",stride=2", ",dilation=2", ",border=zero"};
    for (int i = 0; i < 160; ++i) {
        const int channels = rng.integer(1, 3);
        // Mostly small; a few large enough for the streaming stores (8 MiB of output).
        const bool large = i % 40 == 0;
        const int h = large ? 1100 : rng.integer(1, 30);
        const int w = large ? 1950 : (rng.chance(30) ? rng.integer(1, 15) : rng.integer(16, 90));
        const std::string text =
            "conv:" + std::string(rng.pick(filters)) + std::string(rng.pick(extras)) + " | " +
            std::string(rng.pick(afters)) + (rng.chance(30) ? " | pool:max,k=2,s=1" : "");
        CAPTURE(text);
        CAPTURE(h);
        CAPTURE(w);
        const convpool::Pipeline pipeline(text);
        Random values(static_cast<std::uint32_t>(i));
        const Tensor in = tricky_tensor({large ? 1 : channels, h, w}, values, 6);
        std::vector<convpool::PlanStep> plan;
        try {
            plan = pipeline.plan(in.shape());
        } catch (const convpool::ShapeError&) {
            continue;
        }
        const Tensor separate = pipeline.run(in, {}, false);
        std::vector<convpool::Shape> seen;
        bool conv_stored = true;
        const Tensor fused = pipeline.run(
            in,
            [&](const convpool::StageResult& r) {
                seen.push_back(r.shape());
                if (r.index == 1) {
                    conv_stored = r.tensor != nullptr;
                }
            },
            true);
        CHECK(same_bits(fused, separate));
        CHECK_FALSE(conv_stored);
        REQUIRE(seen.size() == plan.size());
        for (std::size_t s = 0; s < plan.size(); ++s) {
            CHECK(seen[s] == plan[s].shape);
        }
    }
}

TEST_CASE("fusion: only an elementwise stage right after a conv, one at a time") {
    Random rng(5);
    const Tensor in = tricky_tensor({2, 9, 20}, rng, 10);
    for (const char* text : {"conv:sobel-x | relu | relu", "conv:sobel-x | pool:max,k=2 | relu",
                             "pool:max,k=2 | relu", "relu | conv:sobel-y | abs | conv:box | relu",
                             "conv:sobel-x | sigmoid", "bank:sobel-x,sobel-y | relu"}) {
        CAPTURE(text);
        const convpool::Pipeline pipeline(text);
        (void)pipeline.plan(in.shape());
        std::vector<int> unstored;
        const Tensor fused = pipeline.run(
            in,
            [&](const convpool::StageResult& r) {
                if (r.tensor == nullptr) {
                    unstored.push_back(r.index);
                }
            },
            true);
        CHECK(same_bits(fused, pipeline.run(in, {}, false)));
        const std::string t = text;
        const std::vector<int> expected = t == "conv:sobel-x | relu | relu" ? std::vector<int>{1}
                                          : t.rfind("relu | conv", 0) == 0  ? std::vector<int>{2, 4}
                                                                            : std::vector<int>{};
        CHECK(unstored == expected);
    }
}
