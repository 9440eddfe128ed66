#pragma once
// The sweep machinery of the reference tests: seeded random inputs, the table of sliding-window
// cases (sizes, kernels, strides, pads, dilation, ceil), and the loop that runs a stage on every
// case and compares it with a naive reference. Used by test_reference.cpp and tests/ops/.

#include "convpool/core/error.hpp"
#include "convpool/core/tensor.hpp"
#include "convpool/pipeline/pipeline.hpp"

#include <doctest/doctest.h>
#include <fmt/format.h>

#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "reference/reference.hpp"
#include "reference/reference_modern.hpp"

namespace sweep {

// ---------------------------------------------------------------------------------------------
// Helpers

/// Deterministic random numbers. The mapping to ranges is our own (std distributions differ
/// between standard libraries, mt19937 does not).
class Random {
public:
    explicit Random(std::uint32_t seed) : m_engine(seed) {}
    /// Integer in [lo, hi].
    int integer(int lo, int hi) {
        const auto span = static_cast<std::uint32_t>(hi - lo + 1);
        return lo + static_cast<int>(static_cast<std::uint32_t>(m_engine()) % span);
    }
    /// Float in [0, 1) with 24 random bits.
    float unit() {
        return static_cast<float>(static_cast<std::uint32_t>(m_engine()) >> 8U) / 16777216.0F;
    }
    /// Float in [-1, 1).
    float signed_unit() { return unit() * 2.0F - 1.0F; }
    /// True with probability percent/100.
    bool chance(int percent) { return integer(0, 99) < percent; }

private:
    std::mt19937 m_engine;
};

/// What the values of a random input look like.
enum class Values {
    signed_ties,      ///< [-1, 1), about a third drawn from a few repeated values
    signed_ties_nan,  ///< as signed_ties, with one or two NaNs
    non_negative,     ///< [0, 1), with ties
};

inline ref::Image random_image(Random& rng, int channels, int height, int width, Values kind) {
    static constexpr std::array<float, 5> kTies{-1.0F, -0.5F, 0.0F, 0.5F, 1.0F};
    ref::Image img(channels, height, width);
    for (float& v : img.values) {
        v = rng.chance(33) ? kTies[static_cast<std::size_t>(rng.integer(0, 4))] : rng.signed_unit();
        if (kind == Values::non_negative) {
            v = std::fabs(v);
        }
    }
    if (kind == Values::signed_ties_nan) {
        const int nans = rng.integer(1, 2);
        const int last = static_cast<int>(img.values.size()) - 1;
        for (int i = 0; i < nans; ++i) {
            img.values[static_cast<std::size_t>(rng.integer(0, last))] =
                std::numeric_limits<float>::quiet_NaN();
        }
    }
    return img;
}

inline convpool::Tensor to_tensor(const ref::Image& img) {
    return convpool::Tensor(convpool::Shape{img.channels, img.height, img.width}, img.values);
}

inline ref::Image to_image(const convpool::Tensor& t) {
    const convpool::Shape& s = t.shape();
    ref::Image img(s.channels, s.height, s.width);
    img.values.assign(t.data().begin(), t.data().end());
    return img;
}

inline std::string shape_text(int c, int h, int w) { return fmt::format("{}x{}x{}", c, h, w); }
inline std::string shape_text(const convpool::Shape& s) {
    return shape_text(s.channels, s.height, s.width);
}

/// True when `got` may stand for `expected`: both NaN, equal, or (tolerance > 0, both finite)
/// within tolerance * (1 + |expected|) + slack.
inline bool close(float expected, float got, double tolerance, double slack) {
    if (std::isnan(expected) || std::isnan(got)) {
        return std::isnan(expected) && std::isnan(got);
    }
    if (expected == got) {
        return true;
    }
    if (tolerance <= 0.0 || std::isinf(expected) || std::isinf(got)) {
        return false;
    }
    const auto e = static_cast<double>(expected);
    return std::fabs(e - static_cast<double>(got)) <= tolerance * (1.0 + std::fabs(e)) + slack;
}

/// "" when `got` has the shape of `expected` and `accept(e, g, c, y, x)` holds for every pair of
/// values; else a description of the first pair it refuses.
template <typename Accept>
std::string first_refused(const ref::Image& expected, const convpool::Tensor& got,
                          const Accept& accept) {
    const convpool::Shape& s = got.shape();
    if (s.channels != expected.channels || s.height != expected.height ||
        s.width != expected.width) {
        return fmt::format("shape {} instead of {}", shape_text(s),
                           shape_text(expected.channels, expected.height, expected.width));
    }
    for (int c = 0; c < s.channels; ++c) {
        for (int y = 0; y < s.height; ++y) {
            for (int x = 0; x < s.width; ++x) {
                const float e = expected.at(c, y, x);
                const float g = got.at(c, y, x);
                if (!accept(e, g, c, y, x)) {
                    return fmt::format("at c={} y={} x={}: expected {} got {}", c, y, x, e, g);
                }
            }
        }
    }
    return "";
}

/// "" when `got` has the shape of `expected` and every value is close() to it (NaN exactly
/// where expected has NaN); else a description of the first difference.
inline std::string difference(const ref::Image& expected, const convpool::Tensor& got,
                              double tolerance, double slack = 0.0) {
    return first_refused(expected, got, [&](float e, float g, int /*c*/, int /*y*/, int /*x*/) {
        return close(e, g, tolerance, slack);
    });
}

/// "" when both tensors hold the same shape and the same values (NaN where the other has NaN).
inline std::string difference(const convpool::Tensor& expected, const convpool::Tensor& got) {
    return difference(to_image(expected), got, 0.0);
}

/// "" when `got` has `expected`'s shape, NaN exactly where it has NaN, and every other value
/// within the error bound of float sums: |got - expected| <= terms * 2^-24 * magnitude + half a
/// float ulp of expected, where `magnitude` holds, per output, the same weighted sum over |x|
/// (so the bound follows each window's own scale) and `terms` is twice the most terms in one
/// sum (a separable filter rounds each product and each addition of its two passes).
inline std::string within_float_sums(const ref::Image& expected, const convpool::Tensor& got,
                                     const ref::Image& magnitude, int terms) {
    return first_refused(expected, got, [&](float e, float g, int c, int y, int x) {
        if (std::isnan(e) || std::isnan(g)) {
            return std::isnan(e) && std::isnan(g);
        }
        const double half_ulp =
            0.5 * static_cast<double>(std::nextafter(std::fabs(e), INFINITY) - std::fabs(e));
        const double bound =
            static_cast<double>(terms) * 0x1p-24 * static_cast<double>(magnitude.at(c, y, x)) +
            half_ulp;
        return std::fabs(static_cast<double>(g) - static_cast<double>(e)) <= bound;
    });
}

/// |x| of every value.
inline ref::Image absolute(ref::Image img) {
    for (float& v : img.values) {
        v = std::fabs(v);
    }
    return img;
}

/// Runs `stage` on `input` through the public Pipeline API. Returns false (after a failed
/// check) when planning throws or plans another shape than `expected_shape`.
inline bool run_stage(const std::string& stage, const ref::Image& input,
                      const std::string& expected_shape, convpool::Tensor& out) {
    const convpool::Pipeline pipeline(stage);
    const convpool::Shape shape{input.channels, input.height, input.width};
    std::vector<convpool::PlanStep> plan;
    try {
        plan = pipeline.plan(shape);
    } catch (const convpool::Error& e) {
        FAIL_CHECK("plan threw: " << std::string(e.what()));
        return false;
    }
    CHECK(shape_text(plan.back().shape) == expected_shape);
    if (shape_text(plan.back().shape) != expected_shape) {
        return false;
    }
    out = pipeline.run(to_tensor(input), {});
    return true;
}

// ---------------------------------------------------------------------------------------------
// Sliding-window pool sweeps

/// One sliding-window configuration and input extent.
struct PoolCase {
    int channels = 1;
    int height = 1;
    int width = 1;
    int kh = 1;
    int kw = 1;
    int sh = 1;
    int sw = 1;
    int ph = 0;
    int pw = 0;
    int dh = 1;
    int dw = 1;
    bool ceil = false;
    int divisor = 1;  ///< used by the avg divisor variant
};

inline constexpr std::array<int, 5> kSizes{1, 2, 7, 9, 13};
inline constexpr int kRepeats = 8;

/// Every pair of sizes with every kernel shape 1..5 x 1..5, kRepeats times, each time with a
/// random stride (1..3), pad (0..k/2), dilation (1..2), ceil flag and channel count (1..4).
inline const std::vector<PoolCase>& pool_cases() {
    static const std::vector<PoolCase> cases = [] {
        Random rng(20240611U);
        std::vector<PoolCase> out;
        for (const int h : kSizes) {
            for (const int w : kSizes) {
                for (int kh = 1; kh <= 5; ++kh) {
                    for (int kw = 1; kw <= 5; ++kw) {
                        for (int repeat = 0; repeat < kRepeats; ++repeat) {
                            PoolCase pc;
                            pc.channels = rng.integer(1, 4);
                            pc.height = h;
                            pc.width = w;
                            pc.kh = kh;
                            pc.kw = kw;
                            pc.sh = rng.integer(1, 3);
                            pc.sw = rng.integer(1, 3);
                            pc.ph = rng.integer(0, kh / 2);
                            pc.pw = rng.integer(0, kw / 2);
                            pc.dh = rng.integer(1, 2);
                            pc.dw = rng.integer(1, 2);
                            pc.ceil = rng.chance(50);
                            pc.divisor = rng.integer(1, 9);
                            out.push_back(pc);
                        }
                    }
                }
            }
        }
        return out;
    }();
    return cases;
}

inline ref::SlidingAxis axis_of(int kernel, int stride, int pad, int dilation, bool ceil) {
    ref::SlidingAxis a;
    a.kernel = kernel;
    a.stride = stride;
    a.pad_begin = pad;
    a.pad_end = pad;
    a.dilation = dilation;
    a.ceil = ceil;
    return a;
}

inline ref::PoolSpec pool_spec(const PoolCase& pc, ref::PoolMode mode) {
    ref::PoolSpec spec;
    spec.mode = mode;
    spec.rows = axis_of(pc.kh, pc.sh, pc.ph, pc.dh, pc.ceil);
    spec.cols = axis_of(pc.kw, pc.sw, pc.pw, pc.dw, pc.ceil);
    return spec;
}

/// `k=KHxKW,s=..,pad=..,dilation=..[,ceil]`
inline std::string window_text(const PoolCase& pc) {
    return fmt::format("k={}x{},s={}x{},pad={}x{},dilation={}x{}{}", pc.kh, pc.kw, pc.sh, pc.sw,
                       pc.ph, pc.pw, pc.dh, pc.dw, pc.ceil ? ",ceil" : "");
}

/// True when, along some axis, the dilated kernel is longer than the padded input. Only ceil
/// mode can accept such a case (PyTorch does when the rounded-up division is positive); it is
/// checked on its own in "pool ceil mode keeps a window that overhangs ..." below.
inline bool kernel_overhangs_padded_input(const PoolCase& pc) {
    return pc.dh * (pc.kh - 1) + 1 > pc.height + 2 * pc.ph ||
           pc.dw * (pc.kw - 1) + 1 > pc.width + 2 * pc.pw;
}

/// A stage text with the reference spec it must match: ref::pool(input, spec), or
/// `reference(input)` when set (`spec` then only gives the window geometry).
struct PoolVariant {
    std::string stage;
    ref::PoolSpec spec;
    double tolerance = 0.0;
    std::function<ref::Image(const ref::Image&)> reference;
};

/// The window of `pc` as a reference window pool of `mode` (p and eps at their defaults).
inline ref::WindowSpec window_spec(const PoolCase& pc, ref::WindowMode mode) {
    const ref::PoolSpec window = pool_spec(pc, ref::PoolMode::max);
    ref::WindowSpec spec;
    spec.mode = mode;
    spec.rows = window.rows;
    spec.cols = window.cols;
    return spec;
}

/// `op` with the window of `pc` and `extra` parameters ("" or ",p=3"), checked against
/// `reference` within `tolerance`.
inline PoolVariant window_variant(const std::string& op, const PoolCase& pc,
                                  const std::string& extra,
                                  std::function<ref::Image(const ref::Image&)> reference,
                                  double tolerance) {
    return {op + "," + window_text(pc) + extra, pool_spec(pc, ref::PoolMode::max), tolerance,
            std::move(reference)};
}

/// Counts of one sweep, so a sweep that silently compares nothing fails.
struct SweepCount {
    int compared = 0;
    int invalid = 0;
    int overhang = 0;
};

/// Compares every pool case under every variant `make(case)` with the reference. Every fourth
/// case has NaNs in its input. Invalid cases (reference output < 1) must throw ShapeError from
/// plan(). Cases whose kernel overhangs the whole padded input are left to their own test.
template <typename MakeVariants>
SweepCount sweep_pools(std::uint32_t seed, MakeVariants make) {
    Random rng(seed);
    SweepCount count;
    const auto& cases = pool_cases();
    for (std::size_t i = 0; i < cases.size(); ++i) {
        const PoolCase& pc = cases[i];
        const Values kind = i % 4 == 3 ? Values::signed_ties_nan : Values::signed_ties;
        const ref::Image input = random_image(rng, pc.channels, pc.height, pc.width, kind);
        for (const PoolVariant& v : make(pc)) {
            CAPTURE(v.stage);
            CAPTURE(pc.channels);
            CAPTURE(pc.height);
            CAPTURE(pc.width);
            const int oh = ref::pool_output_height(pc.height, v.spec);
            const int ow = ref::pool_output_width(pc.width, v.spec);
            CAPTURE(oh);
            CAPTURE(ow);
            if (oh < 1 || ow < 1) {
                const convpool::Pipeline pipeline(v.stage);
                CHECK_THROWS_AS(
                    (void)pipeline.plan(convpool::Shape{pc.channels, pc.height, pc.width}),
                    convpool::ShapeError);
                ++count.invalid;
                continue;
            }
            if (kernel_overhangs_padded_input(pc)) {
                ++count.overhang;
                continue;
            }
            convpool::Tensor got;
            if (!run_stage(v.stage, input, shape_text(pc.channels, oh, ow), got)) {
                continue;
            }
            const ref::Image expected = v.reference ? v.reference(input) : ref::pool(input, v.spec);
            CHECK(difference(expected, got, v.tolerance) == "");
            ++count.compared;
        }
    }
    return count;
}

inline void check_sweep_count(const SweepCount& count) {
    CAPTURE(count.overhang);
    CHECK(count.compared > 1000);
    CHECK(count.invalid > 50);
}

// ---------------------------------------------------------------------------------------------
// Conv sweeps: decimal numbers that print exactly, and the border modes

/// A value with at most three decimals, so its text is exact and parses to the same float.
struct Decimal {
    std::string text;
    float value = 0.0F;
    double exact = 0.0;
};

inline Decimal random_decimal(Random& rng, int lo_thousandths, int hi_thousandths) {
    const double v = static_cast<double>(rng.integer(lo_thousandths, hi_thousandths)) / 1000.0;
    return {fmt::format("{}", v), static_cast<float>(v), v};
}

inline const char* border_name(ref::Border b) {
    switch (b) {
        case ref::Border::zero:
            return "zero";
        case ref::Border::reflect:
            return "reflect";
        case ref::Border::reflect101:
            return "reflect101";
        case ref::Border::replicate:
            return "replicate";
        case ref::Border::wrap:
            return "wrap";
    }
    return "?";
}

inline constexpr std::array<ref::Border, 5> kBorders{ref::Border::zero, ref::Border::reflect,
                                                     ref::Border::reflect101,
                                                     ref::Border::replicate, ref::Border::wrap};

}  // namespace sweep
