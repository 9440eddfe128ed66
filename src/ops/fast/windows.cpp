#include "ops/fast/windows.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>

#include "ops/common/reducers.hpp"

// Two builds of each row kernel on x86-64 GCC: x86-64-v3 (AVX2 with FMA, every x86-64 since
// 2013) and the baseline. The kernels' explicit std::fma calls are exactly rounded in both (an
// instruction in the first, libm in the second), so both builds give the same bits; nothing is
// contracted implicitly (the project builds with -std=c++20, whose default is
// -ffp-contract=off).
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define CONVPOOL_WINDOW_KERNEL __attribute__((target_clones("arch=x86-64-v3", "default")))
#define CONVPOOL_IVDEP _Pragma("GCC ivdep")
#else
#define CONVPOOL_WINDOW_KERNEL
#define CONVPOOL_IVDEP
#endif

namespace convpool::ops::window_kernels {
// NOLINTBEGIN(bugprone-implicit-widening-of-multiplication-result): offsets within one row,
// products of int extents that fit in int; int indexes keep these loops vectorised.
namespace {

/// Outputs computed per block: the block's double buffers stay in the L1 cache.
constexpr int kBlock = 256;

/// e^x for x in [-708, 709] (callers keep it there), relative error about 1e-15: x = n ln 2 + r
/// with |r| <= ln 2 / 2 (Cody and Waite's two-part ln 2), e^r by its Taylor series to r^13,
/// 2^n put into the exponent bits. Plain arithmetic on doubles and 64-bit integers, so loops
/// over it vectorise.
[[gnu::always_inline]] inline double exp_poly(double x) {
    constexpr double kLog2e = 1.4426950408889634;
    constexpr double kLn2Hi = 6.93147180369123816490e-01;  // 32 significant bits: n * it is exact
    constexpr double kLn2Lo = 1.90821492927058770002e-10;
    constexpr double kRound = 6755399441055744.0;  // 1.5 * 2^52: x + it rounds x to an integer
    const double shifted = x * kLog2e + kRound;
    const double n = shifted - kRound;
    const double r = (x - n * kLn2Hi) - n * kLn2Lo;
    double p = 1.0 / 6227020800.0;  // 1/13!
    p = p * r + 1.0 / 479001600.0;
    p = p * r + 1.0 / 39916800.0;
    p = p * r + 1.0 / 3628800.0;
    p = p * r + 1.0 / 362880.0;
    p = p * r + 1.0 / 40320.0;
    p = p * r + 1.0 / 5040.0;
    p = p * r + 1.0 / 720.0;
    p = p * r + 1.0 / 120.0;
    p = p * r + 1.0 / 24.0;
    p = p * r + 1.0 / 6.0;
    p = p * r + 0.5;
    p = p * r + 1.0;
    p = p * r + 1.0;
    // The low bits of `shifted` hold n (two's complement); n << 52 added to 1.0's bits is 2^n.
    const std::uint64_t scale =
        (std::bit_cast<std::uint64_t>(shifted) << 52U) + std::bit_cast<std::uint64_t>(1.0);
    return p * std::bit_cast<double>(scale);
}

/// e^x in float for x in [-87, 0] (callers keep it there), relative error below 2e-7 (1.8e-7
/// over 5 million points of that range, against exp in double): x = n ln 2 + r with Cephes'
/// two-part ln 2, e^r = 1 + r + r^2 q(r) with q of degree 3 fitted to e^r's relative error on
/// |r| <= ln 2 / 2, 2^n into the exponent bits. Floats and 32-bit integers only, so that loops
/// over it vectorise eight lanes wide; each step of the reduction and of Horner's scheme is one
/// fused multiply-add.
[[gnu::always_inline]] inline float exp_poly_float(float x) {
    constexpr float kLog2e = 1.44269504088896341F;
    constexpr float kLn2Hi = 0.693359375F;  // few significant bits: n * it is exact
    constexpr float kLn2Lo = -2.12194440e-4F;
    constexpr float kRound = 12582912.0F;  // 1.5 * 2^23: x + it rounds x to an integer
    const float shifted = std::fma(x, kLog2e, kRound);
    const float n = shifted - kRound;
    const float r = std::fma(-n, kLn2Lo, std::fma(-n, kLn2Hi, x));
    float q = 8.312525227665901e-3F;
    q = std::fma(q, r, 4.1890114545822144e-2F);
    q = std::fma(q, r, 1.6667114198207855e-1F);
    q = std::fma(q, r, 4.99992311000824e-1F);
    const float p = std::fma(q, r * r, r) + 1.0F;
    const std::uint32_t scale =
        (std::bit_cast<std::uint32_t>(shifted) << 23U) + std::bit_cast<std::uint32_t>(1.0F);
    return p * std::bit_cast<float>(scale);
}

/// ln x for normal positive x, relative error about 1e-15: x = m 2^e with m in [sqrt(1/2),
/// sqrt(2)), ln m = 2 atanh(t) with t = (m - 1) / (m + 1), |t| <= 0.172, by its series to t^21.
[[gnu::always_inline]] inline double log_poly(double x) {
    constexpr double kLn2 = 0.69314718055994530942;
    const auto bits = std::bit_cast<std::uint64_t>(x);
    // m = x / 2^k in [sqrt(1/2), sqrt(2)): k from the bits of x minus those of sqrt(1/2), kept
    // positive by a bias of 1024 in the exponent field (unsigned shifts only: AVX2 has no
    // 64-bit arithmetic shift).
    constexpr std::uint64_t kSqrtHalfBits = 0x3FE6A09E667F3BCDULL;
    constexpr std::uint64_t kBias = std::uint64_t{1024} << 52U;
    const std::uint64_t biased_k = (bits - kSqrtHalfBits + kBias) >> 52U;  // k + 1024
    const auto m = std::bit_cast<double>(bits - (biased_k << 52U) + kBias);
    // k as a double: k + 1024 (0..2048) in the low mantissa bits of 2^52.
    const double k =
        std::bit_cast<double>(biased_k | 0x4330000000000000ULL) - 4503599627370496.0 - 1024.0;
    const double t = (m - 1.0) / (m + 1.0);
    const double t2 = t * t;
    double p = 1.0 / 21.0;
    p = p * t2 + 1.0 / 19.0;
    p = p * t2 + 1.0 / 17.0;
    p = p * t2 + 1.0 / 15.0;
    p = p * t2 + 1.0 / 13.0;
    p = p * t2 + 1.0 / 11.0;
    p = p * t2 + 1.0 / 9.0;
    p = p * t2 + 1.0 / 7.0;
    p = p * t2 + 1.0 / 5.0;
    p = p * t2 + 1.0 / 3.0;
    p = p * t2 + 1.0;
    return k * kLn2 + 2.0 * t * p;
}

/// x limited to [-708, 709], where exp_poly holds.
[[gnu::always_inline]] inline double clamp_exponent(double x) {
    const double low = x < -708.0 ? -708.0 : x;
    return low > 709.0 ? 709.0 : low;
}

/// True when every one of taps[t][0, n) for t < count is finite (no NaN, no infinity).
[[gnu::always_inline]] inline bool all_finite(const float* const* taps, int count, int n) {
    constexpr float kMax = std::numeric_limits<float>::max();
    for (int t = 0; t < count; ++t) {
        const float* src = taps[t];
        int bad = 0;
        for (int i = 0; i < n; ++i) {
            bad |= static_cast<int>(!(std::fabs(src[i]) <= kMax));
        }
        if (bad != 0) {
            return false;
        }
    }
    return true;
}

/// True when no one of taps[t][0, n) for t < count is NaN.
[[gnu::always_inline]] inline bool no_nan(const float* const* taps, int count, int n) {
    for (int t = 0; t < count; ++t) {
        const float* src = taps[t];
        int bad = 0;
        for (int i = 0; i < n; ++i) {
            bad |= static_cast<int>(src[i] != src[i]);
        }
        if (bad != 0) {
            return false;
        }
    }
    return true;
}

/// The cube root of a normal positive float m, relative error below 3e-7 (checked over every
/// exponent against cbrt in double): 1/cbrt(m) from a bit estimate (the exponent bits divided
/// by 3, within 4 %) and three Newton steps y += y (1 - m y^3) / 3, each with fused
/// multiply-adds and no division, then cbrt(m) = m y^2.
[[gnu::always_inline]] inline float cbrt_newton(float m) {
    constexpr std::uint32_t kMagic = 0x54A21D2AU;  // about 4/3 * 127 * 2^23, fitted
    auto y = std::bit_cast<float>(kMagic - std::bit_cast<std::uint32_t>(m) / 3U);
    constexpr float kThird = 1.0F / 3.0F;
    for (int step = 0; step < 3; ++step) {
        const float e = std::fma(-m, (y * y) * y, 1.0F);
        y = std::fma(y * kThird, e, y);
    }
    return (m * y) * y;
}

/// GeM of n 2x2 windows read in place, for p = P in float (see gem_2x2); false when x^P or a
/// sum of four leaves the normal floats.
template <int P>
[[gnu::always_inline]] inline bool gem_pairs(const float* r0, const float* r1, int n, float eps,
                                             float* out) {
    constexpr float kLow = std::numeric_limits<float>::min();
    constexpr float kHigh = std::numeric_limits<float>::max() / 4.0F;
    int outside = 0;
    for (int i = 0; i < n; ++i) {
        std::array<float, 4> y{r0[2 * i], r0[2 * i + 1], r1[2 * i], r1[2 * i + 1]};
        for (float& v : y) {
            // NaN and infinities are refused here: the clamp below would hide a NaN.
            outside |= static_cast<int>(!(std::fabs(v) <= std::numeric_limits<float>::max()));
            const float x = v > eps ? v : eps;
            if constexpr (P == 1) {
                v = x;
            } else if constexpr (P == 2) {
                v = x * x;
            } else if constexpr (P == 3) {
                v = (x * x) * x;
            } else {
                v = (x * x) * (x * x);
            }
            outside |= static_cast<int>(!(v >= kLow && v <= kHigh));
        }
        const float mean = (((y[0] + y[1]) + y[2]) + y[3]) * 0.25F;
        if constexpr (P == 1) {
            out[i] = mean;
        } else if constexpr (P == 3) {
            out[i] = cbrt_newton(mean);
        } else {
            const float root = std::sqrt(mean);
            out[i] = P == 2 ? root : std::sqrt(root);
        }
    }
    return outside == 0;
}

/// Orders a and b (a the smaller), for NaN-free floats.
[[gnu::always_inline]] inline void order(float& a, float& b) {
    const float lo = b < a ? b : a;
    const float hi = b < a ? a : b;
    a = lo;
    b = hi;
}

}  // namespace

CONVPOOL_WINDOW_KERNEL void split_phases(float* phases, const float* row, int width, int stride,
                                         int length) {
    if (stride == 2) {
        float* even = phases;
        float* odd = phases + length;
        const int pairs = width / 2;
        for (int i = 0; i < pairs; ++i) {
            even[i] = row[2 * i];
            odd[i] = row[2 * i + 1];
        }
        if (width % 2 == 1) {
            even[pairs] = row[width - 1];
        }
        return;
    }
    for (int q = 0; q < stride; ++q) {
        float* dst = phases + q * length;
        for (int i = 0, x = q; x < width; ++i, x += stride) {
            dst[i] = row[x];
        }
    }
}

CONVPOOL_WINDOW_KERNEL bool soft_row(const float* const* taps, int count, int n, float* out) {
    if (!all_finite(taps, count, n)) {
        return false;
    }
    // The weights e^(x - max) in float (they are at most 1; below e^-87 they count as e^-87,
    // which no sum of weights >= 1 notices); the sums in double, where x * weight cannot
    // overflow.
    std::array<float, kBlock> max{};
    std::array<double, kBlock> weights{};
    std::array<double, kBlock> weighted{};
    for (int b = 0; b < n; b += kBlock) {
        const int m = std::min(kBlock, n - b);
        for (int i = 0; i < m; ++i) {
            max[static_cast<std::size_t>(i)] = taps[0][b + i];
            weights[static_cast<std::size_t>(i)] = 0.0;
            weighted[static_cast<std::size_t>(i)] = 0.0;
        }
        for (int t = 1; t < count; ++t) {
            const float* src = taps[t] + b;
            for (int i = 0; i < m; ++i) {
                float& mx = max[static_cast<std::size_t>(i)];
                mx = src[i] > mx ? src[i] : mx;
            }
        }
        for (int t = 0; t < count; ++t) {
            const float* src = taps[t] + b;
            CONVPOOL_IVDEP  // src holds floats, the sums are doubles: they never overlap
                for (int i = 0; i < m; ++i) {
                const float d = src[i] - max[static_cast<std::size_t>(i)];
                const auto w = static_cast<double>(exp_poly_float(d < -87.0F ? -87.0F : d));
                weights[static_cast<std::size_t>(i)] += w;
                weighted[static_cast<std::size_t>(i)] += w * static_cast<double>(src[i]);
            }
        }
        for (int i = 0; i < m; ++i) {
            out[b + i] = static_cast<float>(weighted[static_cast<std::size_t>(i)] /
                                            weights[static_cast<std::size_t>(i)]);
        }
    }
    return true;
}

CONVPOOL_WINDOW_KERNEL bool gem_row(const float* const* taps, int count, int n, double p,
                                    double eps, float* out) {
    if (!all_finite(taps, count, n)) {
        return false;
    }
    std::array<double, kBlock> sums{};
    const double inverse = 1.0 / p;
    const int integer_p = p == 1.0 || p == 2.0 || p == 3.0 || p == 4.0 ? static_cast<int>(p) : 0;
    for (int b = 0; b < n; b += kBlock) {
        const int m = std::min(kBlock, n - b);
        std::fill_n(sums.begin(), m, 0.0);
        int outside = 0;
        for (int t = 0; t < count; ++t) {
            const float* src = taps[t] + b;
            if (integer_p > 0) {
                // x^p by multiplications (p <= 4): within a few ulps of pow's x^p.
                CONVPOOL_IVDEP
                for (int i = 0; i < m; ++i) {
                    const auto v = static_cast<double>(src[i]);
                    const double x = v > eps ? v : eps;
                    const double x2 = x * x;
                    const double high = integer_p == 3 ? x2 * x : x2 * x2;
                    const double y = integer_p == 1 ? x : (integer_p == 2 ? x2 : high);
                    outside |=
                        static_cast<int>(!(y >= 1e-300 && y <= 1e300));  // normal, for log_poly
                    sums[static_cast<std::size_t>(i)] += y;
                }
                continue;
            }
            CONVPOOL_IVDEP
            for (int i = 0; i < m; ++i) {
                const auto x = static_cast<double>(src[i]);
                const double y = p * log_poly(x > eps ? x : eps);
                // Up to 64 terms of e^700 still sum below the largest double.
                outside |= static_cast<int>(!(y >= -708.0 && y <= 700.0));
                sums[static_cast<std::size_t>(i)] += exp_poly(clamp_exponent(y));
            }
        }
        if (outside != 0) {
            return false;
        }
        const double cells = count;
        for (int i = 0; i < m; ++i) {
            // Beyond the clamp the float result is 0 or infinity either way.
            out[b + i] = static_cast<float>(exp_poly(
                clamp_exponent(log_poly(sums[static_cast<std::size_t>(i)] / cells) * inverse)));
        }
    }
    return true;
}

CONVPOOL_WINDOW_KERNEL bool mixed_row(const float* const* taps, int count, int n, double a,
                                      float divisor, float* out) {
    std::array<float, kBlock> max{};
    std::array<float, kBlock> sums{};
    for (int b = 0; b < n; b += kBlock) {
        const int m = std::min(kBlock, n - b);
        for (int i = 0; i < m; ++i) {
            max[static_cast<std::size_t>(i)] = -std::numeric_limits<float>::infinity();
            sums[static_cast<std::size_t>(i)] = 0.0F;
        }
        for (int t = 0; t < count; ++t) {
            const float* src = taps[t] + b;
            for (int i = 0; i < m; ++i) {
                // MaxReducer's rule: the later value wins when larger or NaN.
                float& mx = max[static_cast<std::size_t>(i)];
                const float v = src[i];
                const float larger = v > mx ? v : mx;
                mx = std::isnan(v) ? v : larger;
                sums[static_cast<std::size_t>(i)] += v;
            }
        }
        for (int i = 0; i < m; ++i) {
            const float mean = 0.0F + sums[static_cast<std::size_t>(i)] / divisor;
            out[b + i] =
                static_cast<float>(a * static_cast<double>(max[static_cast<std::size_t>(i)]) +
                                   (1.0 - a) * static_cast<double>(mean));
        }
    }
    return true;
}

CONVPOOL_WINDOW_KERNEL bool median_row(const float* const* taps, int count, int n, float* out) {
    if ((count != 4 && count != 9) || !no_nan(taps, count, n)) {
        return false;
    }
    if (count == 4) {
        for (int i = 0; i < n; ++i) {
            float a = taps[0][i];
            float b = taps[1][i];
            float c = taps[2][i];
            float d = taps[3][i];
            order(a, b);
            order(c, d);
            // The second smallest: the larger of the two minima or the smaller of the maxima.
            const float low = a < c ? c : a;
            out[i] = b < low ? b : (d < low ? d : low);
        }
        return true;
    }
    for (int i = 0; i < n; ++i) {
        std::array<float, 9> v{};
        for (std::size_t t = 0; t < 9; ++t) {
            v[t] = taps[t][i];
        }
        // The median of 9 in 19 compare-exchanges (Paeth's network, as Devillard's opt_med9).
        order(v[1], v[2]);
        order(v[4], v[5]);
        order(v[7], v[8]);
        order(v[0], v[1]);
        order(v[3], v[4]);
        order(v[6], v[7]);
        order(v[1], v[2]);
        order(v[4], v[5]);
        order(v[7], v[8]);
        order(v[0], v[3]);
        order(v[5], v[8]);
        order(v[4], v[7]);
        order(v[3], v[6]);
        order(v[1], v[4]);
        order(v[2], v[5]);
        order(v[4], v[7]);
        order(v[4], v[2]);
        order(v[6], v[4]);
        order(v[4], v[2]);
        out[i] = v[4];
    }
    return true;
}

CONVPOOL_WINDOW_KERNEL bool soft_2x2(const float* r0, const float* r1, int n, float* out) {
    // Every sum is of four terms no larger than the largest |x|: below 1e37 none overflows.
    // The check runs in the same loop (one pass over the rows); on false the caller recomputes.
    constexpr float kLimit = 1e37F;
    int bad = 0;
    for (int i = 0; i < n; ++i) {
        const float a = r0[2 * i];
        const float b = r0[2 * i + 1];
        const float c = r1[2 * i];
        const float d = r1[2 * i + 1];
        bad |= static_cast<int>(!(std::fabs(a) <= kLimit)) |
               static_cast<int>(!(std::fabs(b) <= kLimit)) |
               static_cast<int>(!(std::fabs(c) <= kLimit)) |
               static_cast<int>(!(std::fabs(d) <= kLimit));
        const float ab = a > b ? a : b;
        const float cd = c > d ? c : d;
        const float m = ab > cd ? ab : cd;
        // e^(x - max) <= 1; below e^-87 a weight counts as e^-87, as soft_row's.
        const float da = a - m;
        const float db = b - m;
        const float dc = c - m;
        const float dd = d - m;
        const float wa = exp_poly_float(da < -87.0F ? -87.0F : da);
        const float wb = exp_poly_float(db < -87.0F ? -87.0F : db);
        const float wc = exp_poly_float(dc < -87.0F ? -87.0F : dc);
        const float wd = exp_poly_float(dd < -87.0F ? -87.0F : dd);
        out[i] = (((wa * a + wb * b) + wc * c) + wd * d) / (((wa + wb) + wc) + wd);
    }
    return bad == 0;
}

CONVPOOL_WINDOW_KERNEL bool gem_2x2(const float* r0, const float* r1, int n, int p, float eps,
                                    float* out) {
    switch (p) {  // one loop per p, so that each vectorises without a select per value
        case 1:
            return gem_pairs<1>(r0, r1, n, eps, out);
        case 2:
            return gem_pairs<2>(r0, r1, n, eps, out);
        case 3:
            return gem_pairs<3>(r0, r1, n, eps, out);
        case 4:
            return gem_pairs<4>(r0, r1, n, eps, out);
        default:
            return false;
    }
}

CONVPOOL_WINDOW_KERNEL bool mixed_2x2(const float* r0, const float* r1, int n, double a,
                                      float* out) {
    for (int i = 0; i < n; ++i) {
        const std::array<float, 4> v{r0[2 * i], r0[2 * i + 1], r1[2 * i], r1[2 * i + 1]};
        // MaxReducer's rule and AvgPoolReducer's float sum, in the window's row-major order.
        float mx = -std::numeric_limits<float>::infinity();
        float sum = 0.0F;
        for (const float x : v) {
            const float larger = x > mx ? x : mx;
            mx = std::isnan(x) ? x : larger;
            sum += x;
        }
        const float mean = 0.0F + sum / 4.0F;
        out[i] =
            static_cast<float>(a * static_cast<double>(mx) + (1.0 - a) * static_cast<double>(mean));
    }
    return true;
}

// NOLINTEND(bugprone-implicit-widening-of-multiplication-result)
}  // namespace convpool::ops::window_kernels

namespace convpool::ops {

std::optional<Tensor> fast_pool(const Tensor& in, const Window& win, const SoftReducer& reducer) {
    return fast_window_pool(in, win, reducer,
                            Overloaded{[](const float* const* taps, int count, int n, float* out) {
                                           return window_kernels::soft_row(taps, count, n, out);
                                       },
                                       [](const float* r0, const float* r1, int n, float* out) {
                                           return window_kernels::soft_2x2(r0, r1, n, out);
                                       }});
}

std::optional<Tensor> fast_pool(const Tensor& in, const Window& win, const GemReducer& reducer) {
    if (!(reducer.eps >= 1e-300)) {
        return std::nullopt;  // clamped values could be subnormal, where log_poly does not hold
    }
    // p = 1..4 in floats, read in place; 0: another p, which gem_2x2 declines.
    const double p = reducer.p;
    const int small_p = p == 1.0 || p == 2.0 || p == 3.0 || p == 4.0 ? static_cast<int>(p) : 0;
    const auto eps = static_cast<float>(reducer.eps);
    return fast_window_pool(
        in, win, reducer,
        Overloaded{[&reducer](const float* const* taps, int count, int n, float* out) {
                       return window_kernels::gem_row(taps, count, n, reducer.p, reducer.eps, out);
                   },
                   [small_p, eps](const float* r0, const float* r1, int n, float* out) {
                       return window_kernels::gem_2x2(r0, r1, n, small_p, eps, out);
                   }});
}

std::optional<Tensor> fast_pool(const Tensor& in, const Window& win, const MixedReducer& reducer) {
    // An interior window has no padding: real and counted cells are its taps.
    return fast_window_pool(
        in, win, reducer,
        Overloaded{[&reducer](const float* const* taps, int count, int n, float* out) {
                       return window_kernels::mixed_row(taps, count, n, reducer.a,
                                                        static_cast<float>(count), out);
                   },
                   [&reducer](const float* r0, const float* r1, int n, float* out) {
                       return window_kernels::mixed_2x2(r0, r1, n, reducer.a, out);
                   }});
}

std::optional<Tensor> fast_pool(const Tensor& in, const Window& win, const MedianReducer& reducer) {
    const int cells = win.rows.kernel * win.cols.kernel;
    if (cells != 4 && cells != 9) {
        return std::nullopt;
    }
    return fast_window_pool(in, win, reducer,
                            [](const float* const* taps, int count, int n, float* out) {
                                return window_kernels::median_row(taps, count, n, out);
                            });
}

}  // namespace convpool::ops
