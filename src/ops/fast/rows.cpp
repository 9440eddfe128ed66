#include "ops/fast/rows.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif
// The AVX2 and AVX-512 builds of correlate_rows_3x3, chosen at run time by what the machine has.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#include <immintrin.h>
#define CONVPOOL_SIMD_BUILDS 1
#endif

// Two builds of each kernel on x86-64 GCC: AVX2 and the baseline, chosen at load time.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define CONVPOOL_KERNEL __attribute__((target_clones("avx2", "default")))
// A third, AVX-512F build for kernels dominated by float <-> double conversion, which it halves
// (2x2/2 average: 4.7 ms against 5.2 ms for 4096x4096 on one thread). The picking kernels lose
// with it (3x3/1 and 15x15/1 max pooling ran 5-15% slower), so they keep CONVPOOL_KERNEL.
#define CONVPOOL_KERNEL_WIDE __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define CONVPOOL_KERNEL
#define CONVPOOL_KERNEL_WIDE
#endif

namespace convpool::ops::kernels {
// NOLINTBEGIN(bugprone-implicit-widening-of-multiplication-result): offsets within one row or
// plane, products of int extents that fit in int; int indexes keep these loops vectorised.
namespace {

template <Pick P>
[[nodiscard]] inline float pick(float a, float b) {
    if constexpr (P == Pick::max) {
        return pick_max(a, b);
    } else if constexpr (P == Pick::min) {
        return pick_min(a, b);
    } else if constexpr (P == Pick::max_nan_free) {
        return b > a ? b : a;  // pick_max without NaN: one maxps
    } else {
        return b < a ? b : a;
    }
}

// NOLINTBEGIN(cppcoreguidelines-macro-usage): the switch over Pick is pasted into each
// target_clones kernel, so every Pick's loop is built for that clone's instruction set; a
// template or lambda helper would be a function of its own, built for the baseline unless the
// compiler chose to inline it.
/// Calls CALL(P) with the compile-time Pick equal to `rule`: each kernel's loops are built once
/// per rule, so the NaN-free ones are plain max/min instructions.
#define CONVPOOL_PICK_DISPATCH(rule, CALL) \
    switch (rule) {                        \
        case Pick::max:                    \
            CALL(Pick::max);               \
            break;                         \
        case Pick::min:                    \
            CALL(Pick::min);               \
            break;                         \
        case Pick::max_nan_free:           \
            CALL(Pick::max_nan_free);      \
            break;                         \
        case Pick::min_nan_free:           \
            CALL(Pick::min_nan_free);      \
            break;                         \
    }

template <Pick P>
inline void pick_into_t(float* __restrict acc, const float* __restrict later, int n) {
    for (int i = 0; i < n; ++i) {
        acc[i] = pick<P>(acc[i], later[i]);
    }
}

template <Pick P>
inline void pick_rows_t(float* __restrict dst, const float* __restrict earlier,
                        const float* __restrict later, int n) {
    for (int i = 0; i < n; ++i) {
        dst[i] = pick<P>(earlier[i], later[i]);
    }
}

template <Pick P>
inline void pick_shifted_t(float* __restrict dst, const float* __restrict src, int n, int offset) {
    const float* __restrict next = src + offset;
    for (int x = 0; x < n; ++x) {
        dst[x] = pick<P>(src[x], next[x]);
    }
}

template <Pick P>
inline void pick_four_t(float* __restrict dst, const float* __restrict src, int n, int d) {
    const float* __restrict s1 = src + d;
    const float* __restrict s2 = src + 2 * d;
    const float* __restrict s3 = src + 3 * d;
    for (int x = 0; x < n; ++x) {
        dst[x] = pick<P>(pick<P>(pick<P>(src[x], s1[x]), s2[x]), s3[x]);
    }
}

template <Pick P, int Stride>
inline void pick_sampled_t(float* __restrict out, const float* __restrict src, int n, int stride,
                           int offset) {
    const int s = Stride > 0 ? Stride : stride;
    const float* __restrict next = src + offset;
    for (int o = 0; o < n; ++o) {
        out[o] = pick<P>(src[o * s], next[o * s]);
    }
}

template <Pick P>
inline void pick_sampled_any(float* out, const float* src, int n, int stride, int offset) {
    if (stride == 1) {
        pick_sampled_t<P, 1>(out, src, n, 1, offset);
    } else if (stride == 2) {
        pick_sampled_t<P, 2>(out, src, n, 2, offset);
    } else {
        pick_sampled_t<P, 0>(out, src, n, stride, offset);
    }
}

template <Pick P, int Stride>
inline void pick_three_t(float* __restrict out, const float* __restrict src, int n, int stride,
                         int d) {
    const int s = Stride > 0 ? Stride : stride;
    const float* __restrict second = src + d;
    const float* __restrict third = src + 2 * d;
    for (int o = 0; o < n; ++o) {
        out[o] = pick<P>(pick<P>(src[o * s], second[o * s]), third[o * s]);
    }
}

template <Pick P>
inline void pick_three_any(float* out, const float* src, int n, int stride, int d) {
    if (stride == 1) {
        pick_three_t<P, 1>(out, src, n, 1, d);
    } else if (stride == 2) {
        pick_three_t<P, 2>(out, src, n, 2, d);
    } else {
        pick_three_t<P, 0>(out, src, n, stride, d);
    }
}

template <int Stride>
inline void add_sampled_t(double* __restrict acc, const float* __restrict src, int n, int stride) {
    const int s = Stride > 0 ? Stride : stride;
    for (int o = 0; o < n; ++o) {
        acc[o] += static_cast<double>(src[o * s]);
    }
}

template <int Stride>
inline void add_two_t(double* __restrict acc, const float* __restrict src, int n, int stride,
                      int step) {
    const int s = Stride > 0 ? Stride : stride;
    const float* __restrict second = src + step;
    for (int o = 0; o < n; ++o) {
        acc[o] = (acc[o] + static_cast<double>(src[o * s])) + static_cast<double>(second[o * s]);
    }
}

/// average_2x2's loop; with Multiply, `scale` is 1 / divisor, a power of two, so the product is
/// the quotient exactly (both are the one rounding of the same real number).
template <bool Multiply>
inline void average_2x2_t(float* __restrict out, const float* __restrict top,
                          const float* __restrict bottom, int n, double scale) {
    for (int o = 0; o < n; ++o) {
        const double sum =
            (((0.0 + static_cast<double>(top[2 * o])) + static_cast<double>(top[2 * o + 1])) +
             static_cast<double>(bottom[2 * o])) +
            static_cast<double>(bottom[2 * o + 1]);
        out[o] = static_cast<float>(Multiply ? sum * scale : sum / scale);
    }
}

}  // namespace

CONVPOOL_KERNEL void add_taps(double* acc, const float* src, int n, int stride, int taps,
                              int step) {
    int t = 0;
    for (; t + 2 <= taps; t += 2) {
        const float* from = src + static_cast<std::ptrdiff_t>(t) * step;
        if (stride == 1) {
            add_two_t<1>(acc, from, n, 1, step);
        } else if (stride == 2) {
            add_two_t<2>(acc, from, n, 2, step);
        } else {
            add_two_t<0>(acc, from, n, stride, step);
        }
    }
    if (t < taps) {
        add_sampled(acc, src + static_cast<std::ptrdiff_t>(t) * step, n, stride);
    }
}

CONVPOOL_KERNEL_WIDE void average_2x2(float* out, const float* top, const float* bottom, int n,
                                      double divisor) {
    int exponent = 0;
    if (std::frexp(divisor, &exponent) == 0.5) {
        average_2x2_t<true>(out, top, bottom, n, 1.0 / divisor);
    } else {
        average_2x2_t<false>(out, top, bottom, n, divisor);
    }
}

CONVPOOL_KERNEL void divide_row(float* out, const double* acc, const double* divisor, int n) {
    float* __restrict dst = out;
    for (int o = 0; o < n; ++o) {
        dst[o] = static_cast<float>(acc[o] / divisor[o]);
    }
}

CONVPOOL_KERNEL void pick_into(float* acc, const float* later, int n, Pick rule){
#define CONVPOOL_CALL(P) pick_into_t<P>(acc, later, n)
    CONVPOOL_PICK_DISPATCH(rule, CONVPOOL_CALL)
#undef CONVPOOL_CALL
}

CONVPOOL_KERNEL
    void pick_rows(float* dst, const float* earlier, const float* later, int n, Pick rule){
#define CONVPOOL_CALL(P) pick_rows_t<P>(dst, earlier, later, n)
        CONVPOOL_PICK_DISPATCH(rule, CONVPOOL_CALL)
#undef CONVPOOL_CALL
    }

CONVPOOL_KERNEL void pick_shifted(float* dst, const float* src, int n, int offset, Pick rule){
#define CONVPOOL_CALL(P) pick_shifted_t<P>(dst, src, n, offset)
    CONVPOOL_PICK_DISPATCH(rule, CONVPOOL_CALL)
#undef CONVPOOL_CALL
}

CONVPOOL_KERNEL void pick_four(float* dst, const float* src, int n, int d, Pick rule){
#define CONVPOOL_CALL(P) pick_four_t<P>(dst, src, n, d)
    CONVPOOL_PICK_DISPATCH(rule, CONVPOOL_CALL)
#undef CONVPOOL_CALL
}

CONVPOOL_KERNEL
    void pick_sampled(float* out, const float* src, int n, int stride, int offset, Pick rule) {
    if (offset == 0) {
        if (stride == 1) {
            std::memcpy(out, src, static_cast<std::size_t>(n) * sizeof(float));
        } else {
            for (int o = 0; o < n; ++o) {
                out[o] = src[static_cast<std::ptrdiff_t>(o) * stride];
            }
        }
    } else {
#define CONVPOOL_CALL(P) pick_sampled_any<P>(out, src, n, stride, offset)
        CONVPOOL_PICK_DISPATCH(rule, CONVPOOL_CALL)
#undef CONVPOOL_CALL
    }
}

CONVPOOL_KERNEL void pick_three(float* out, const float* src, int n, int stride, int d, Pick rule){
#define CONVPOOL_CALL(P) pick_three_any<P>(out, src, n, stride, d)
    CONVPOOL_PICK_DISPATCH(rule, CONVPOOL_CALL)
#undef CONVPOOL_CALL
}

CONVPOOL_KERNEL bool has_nan(const float* src, int n) {
    // The largest magnitude bit pattern (sign cleared) is above +inf's exactly when a NaN is
    // there: an unsigned max over the row, which vectorises, with no early exit to test.
    std::uint32_t largest = 0;
    for (int i = 0; i < n; ++i) {
        largest = std::max(largest, std::bit_cast<std::uint32_t>(src[i]) & 0x7FFFFFFFU);
    }
    return largest > 0x7F800000U;
}

void store_row(float* dst, const float* src, int n, bool stream) {
#if defined(__SSE2__)
    if (stream) {
        int i = 0;
        for (; i < n && reinterpret_cast<std::uintptr_t>(dst + i) % 16 != 0; ++i) {
            dst[i] = src[i];
        }
        for (; i + 4 <= n; i += 4) {
            _mm_stream_ps(dst + i, _mm_loadu_ps(src + i));
        }
        for (; i < n; ++i) {
            dst[i] = src[i];
        }
        return;
    }
#endif
    (void)stream;
    std::memcpy(dst, src, static_cast<std::size_t>(n) * sizeof(float));
}

namespace {
#if defined(__SSE2__)
/// pick on four lanes: `later` wins where it is larger (smaller) or NaN.
template <Pick P>
inline __m128 pick4(__m128 earlier, __m128 later) {
    // maxps(later, earlier) is later > earlier ? later : earlier: ties and NaNs keep earlier.
    if constexpr (P == Pick::max_nan_free) {
        return _mm_max_ps(later, earlier);
    } else if constexpr (P == Pick::min_nan_free) {
        return _mm_min_ps(later, earlier);
    } else {
        const __m128 best =
            P == Pick::max ? _mm_max_ps(later, earlier) : _mm_min_ps(later, earlier);
        const __m128 nan = _mm_cmpunord_ps(later, later);  // a NaN later wins
        return _mm_or_ps(_mm_and_ps(nan, later), _mm_andnot_ps(nan, best));
    }
}

/// pick_rows_store with streaming stores; Count > 0 fixes the number of rows at compile time.
template <Pick P, int Count>
void pick_rows_stream(float* dst, const float* const* rows, int count, int n) {
    const int c = Count > 0 ? Count : count;
    const auto scalar = [&](int at) {
        float v = rows[0][at];
        for (int t = 1; t < c; ++t) {
            v = pick<P>(v, rows[t][at]);
        }
        dst[at] = v;
    };
    int i = 0;
    for (; i < n && reinterpret_cast<std::uintptr_t>(dst + i) % 16 != 0; ++i) {
        scalar(i);
    }
    for (; i + 8 <= n; i += 8) {
        __m128 a = _mm_loadu_ps(rows[0] + i);
        __m128 b = _mm_loadu_ps(rows[0] + i + 4);
        for (int t = 1; t < c; ++t) {
            a = pick4<P>(a, _mm_loadu_ps(rows[t] + i));
            b = pick4<P>(b, _mm_loadu_ps(rows[t] + i + 4));
        }
        _mm_stream_ps(dst + i, a);
        _mm_stream_ps(dst + i + 4, b);
    }
    for (; i < n; ++i) {
        scalar(i);
    }
}

template <Pick P>
void pick_rows_stream_any(float* dst, const float* const* rows, int count, int n) {
    if (count == 2) {
        pick_rows_stream<P, 2>(dst, rows, count, n);
    } else if (count == 3) {
        pick_rows_stream<P, 3>(dst, rows, count, n);
    } else {
        pick_rows_stream<P, 0>(dst, rows, count, n);
    }
}
#endif
}  // namespace

CONVPOOL_KERNEL void pick_rows_store(float* dst, const float* const* rows, int count, int n,
                                     Pick rule, bool stream) {
#if defined(__SSE2__)
    if (stream) {
#define CONVPOOL_CALL(P) pick_rows_stream_any<P>(dst, rows, count, n)
        CONVPOOL_PICK_DISPATCH(rule, CONVPOOL_CALL)
#undef CONVPOOL_CALL
        return;
    }
#endif
    (void)stream;
    if (count == 1) {
        std::memcpy(dst, rows[0], static_cast<std::size_t>(n) * sizeof(float));
        return;
    }
    pick_rows(dst, rows[0], rows[1], n, rule);
    for (int t = 2; t < count; ++t) {
        pick_into(dst, rows[t], n, rule);
    }
}
// NOLINTEND(cppcoreguidelines-macro-usage)

void store_fence() {
#if defined(__SSE2__)
    _mm_sfence();
#endif
}

CONVPOOL_KERNEL void add_sampled(double* acc, const float* src, int n, int stride) {
    if (stride == 1) {
        add_sampled_t<1>(acc, src, n, 1);
    } else if (stride == 2) {
        add_sampled_t<2>(acc, src, n, 2);
    } else {
        add_sampled_t<0>(acc, src, n, stride);
    }
}

CONVPOOL_KERNEL void correlate_row_3x3(const float* const* rows, const float* w, int n, float scale,
                                       float bias, float* out) {
    const float* __restrict r0 = rows[0];
    const float* __restrict r1 = rows[1];
    const float* __restrict r2 = rows[2];
    float* __restrict dst = out;
    // NOLINTBEGIN(readability-isolate-declaration): one register per tap, nine in two lines
    const float w0 = w[0], w1 = w[1], w2 = w[2], w3 = w[3], w4 = w[4];
    const float w5 = w[5], w6 = w[6], w7 = w[7], w8 = w[8];
    // NOLINTEND(readability-isolate-declaration)
    for (int x = 0; x < n; ++x) {
        float acc = 0.0F;
        acc += w0 * r0[x];
        acc += w1 * r0[x + 1];
        acc += w2 * r0[x + 2];
        acc += w3 * r1[x];
        acc += w4 * r1[x + 1];
        acc += w5 * r1[x + 2];
        acc += w6 * r2[x];
        acc += w7 * r2[x + 1];
        acc += w8 * r2[x + 2];
        dst[x] = acc * scale + bias;
    }
}

namespace {

/// dst[x] += wgt * src[x * stride] for x < n; Stride > 0 fixes the stride at compile time.
template <int Stride>
inline void add_tap_t(float* __restrict dst, const float* __restrict src, float wgt, int n,
                      int stride) {
    const int s = Stride > 0 ? Stride : stride;
    for (int x = 0; x < n; ++x) {
        dst[x] += wgt * src[x * s];
    }
}

}  // namespace

CONVPOOL_KERNEL void correlate_row(const float* const* rows, int kh, int kw, const float* w, int n,
                                   int stride, int dilation, float scale, float bias, float* out) {
    float* __restrict dst = out;
    for (int x = 0; x < n; ++x) {
        dst[x] = 0.0F;
    }
    for (int ky = 0; ky < kh; ++ky) {
        for (int kx = 0; kx < kw; ++kx) {
            const float wgt = w[ky * kw + kx];
            const float* src = rows[ky] + static_cast<std::ptrdiff_t>(kx) * dilation;
            if (stride == 1) {
                add_tap_t<1>(dst, src, wgt, n, 1);
            } else if (stride == 2) {
                add_tap_t<2>(dst, src, wgt, n, 2);
            } else {
                add_tap_t<0>(dst, src, wgt, n, stride);
            }
        }
    }
    for (int x = 0; x < n; ++x) {
        dst[x] = dst[x] * scale + bias;
    }
}

namespace {

/// activate_row for one kind of activation, fixed at compile time.
template <Activation::Kind Kind>
void activate_row_t(float* __restrict row, int n, float slope) {
    const Activation a{Kind, slope};
    for (int x = 0; x < n; ++x) {
        row[x] = activate(a, row[x]);
    }
}

}  // namespace

void activate_row(float* row, int n, const Activation& a) {
    switch (a.kind) {
        case Activation::Kind::none:
            return;
        case Activation::Kind::relu:
            activate_row_t<Activation::Kind::relu>(row, n, a.slope);
            return;
        case Activation::Kind::abs:
            activate_row_t<Activation::Kind::abs>(row, n, a.slope);
            return;
        case Activation::Kind::leaky_relu:
            activate_row_t<Activation::Kind::leaky_relu>(row, n, a.slope);
            return;
    }
}

namespace {

/// correlate_rows_3x3 one row at a time with correlate_row_3x3, ordinary stores, each row
/// activated right after it is written (while it is in the cache).
void correlate_rows_3x3_portable(const float* const* in, int count, const float* w, int n,
                                 float scale, float bias, float* const* out,
                                 const Activation& activation) {
    for (int r = 0; r < count; ++r) {
        correlate_row_3x3(in + r, w, n, scale, bias, out[r]);
        activate_row(out[r], n, activation);
    }
}

#if defined(CONVPOOL_SIMD_BUILDS)
/// Columns [begin, end) that a SIMD build computes `width` at a time, the others going
/// through the portable build. With `stream` and every row of `out` aligned alike, the span
/// covers whole cache lines of output only (a line written partly by ordinary and partly by
/// non-temporal stores costs a flush of the write-combining buffer), and `stream` stays on.
struct VectorSpan {
    int begin = 0;
    int end = 0;
    bool stream = false;
};

VectorSpan vector_span(float* const* out, int count, int n, int width, bool stream) {
    constexpr std::uintptr_t kLine = 64;
    constexpr int kLineFloats = static_cast<int>(kLine / sizeof(float));
    const auto misalignment = [](const float* p) {
        return reinterpret_cast<std::uintptr_t>(p) % kLine;  // an address, not a value
    };
    const std::uintptr_t first = misalignment(out[0]);
    bool alike = first % sizeof(float) == 0;
    for (int r = 1; r < count; ++r) {
        alike = alike && misalignment(out[r]) == first;
    }
    if (!stream || !alike) {
        return {0, n - n % width, false};
    }
    const int head = std::min(n, static_cast<int>((kLine - first) % kLine / sizeof(float)));
    return {head, head + (n - head) / kLineFloats * kLineFloats, true};
}
#endif

}  // namespace

#if defined(CONVPOOL_SIMD_BUILDS)
// The operations rows_3x3.inc needs, for one instruction set: its vector type, width in
// floats and intrinsics' prefix (_mm256_loadu_ps, _mm512_loadu_ps, ...). abs_lanes (the sign
// bit cleared) and where_negative_lanes (lane by lane v < 0 ? y : v, an ordered compare: false
// for NaN and -0) differ between the instruction sets and are defined before the macro.
#define CONVPOOL_SIMD_OPS(VECTOR, WIDTH, PREFIX)                                 \
    struct Ops {                                                                 \
        using V = VECTOR;                                                        \
        static constexpr int kWidth = WIDTH;                                     \
        static V load(const float* p) { return PREFIX##_loadu_ps(p); }           \
        static void store(float* p, V v) { PREFIX##_storeu_ps(p, v); }           \
        static void stream(float* p, V v) { PREFIX##_stream_ps(p, v); }          \
        static V add(V a, V b) { return PREFIX##_add_ps(a, b); }                 \
        static V mul(V a, V b) { return PREFIX##_mul_ps(a, b); }                 \
        static V broadcast(float f) { return PREFIX##_set1_ps(f); }              \
        static V abs(V v) { return abs_lanes(v); }                               \
        static V where_negative(V v, V y) { return where_negative_lanes(v, y); } \
    };

#pragma GCC push_options
#pragma GCC target("avx2")
namespace avx2 {
namespace {
__m256 abs_lanes(__m256 v) {
    return _mm256_and_ps(v, _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff)));
}
__m256 where_negative_lanes(__m256 v, __m256 y) {
    return _mm256_blendv_ps(v, y, _mm256_cmp_ps(v, _mm256_setzero_ps(), _CMP_LT_OQ));
}
CONVPOOL_SIMD_OPS(__m256, 8, _mm256)
#include "ops/fast/rows_3x3.inc"
}  // namespace
}  // namespace avx2
#pragma GCC pop_options

#pragma GCC push_options
#pragma GCC target("avx512f")
namespace avx512 {
namespace {
__m512 abs_lanes(__m512 v) {
    return _mm512_castsi512_ps(
        _mm512_and_si512(_mm512_castps_si512(v), _mm512_set1_epi32(0x7fffffff)));
}
__m512 where_negative_lanes(__m512 v, __m512 y) {
    return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(v, _mm512_setzero_ps(), _CMP_LT_OQ), v, y);
}
CONVPOOL_SIMD_OPS(__m512, 16, _mm512)
#include "ops/fast/rows_3x3.inc"
}  // namespace
}  // namespace avx512
#pragma GCC pop_options
#undef CONVPOOL_SIMD_OPS
#endif

bool simd_available(Simd simd) {
    switch (simd) {
        case Simd::portable:
            return true;
#if defined(CONVPOOL_SIMD_BUILDS)
        case Simd::avx2:
            return __builtin_cpu_supports("avx2") != 0;
        case Simd::avx512:
            return __builtin_cpu_supports("avx512f") != 0;
#else
        case Simd::avx2:
        case Simd::avx512:
            return false;
#endif
    }
    return false;
}

Simd best_simd() {
    static const Simd best = simd_available(Simd::avx512) ? Simd::avx512
                             : simd_available(Simd::avx2) ? Simd::avx2
                                                          : Simd::portable;
    return best;
}

void correlate_rows_3x3(const float* const* in, int count, const float* w, int n, float scale,
                        float bias, float* const* out, bool stream, const RowsAhead& ahead,
                        Simd simd, const Activation& activation) {
    // The SIMD builds start each sum from its first product, which needs a bias other than -0.
    const bool minus_zero_bias = bias == 0.0F && std::signbit(bias);
#if defined(CONVPOOL_SIMD_BUILDS)
    if (!minus_zero_bias && simd == Simd::avx512) {
        avx512::correlate_rows(in, count, w, n, scale, bias, out, stream, ahead, activation);
        return;
    }
    if (!minus_zero_bias && simd == Simd::avx2) {
        avx2::correlate_rows(in, count, w, n, scale, bias, out, stream, ahead, activation);
        return;
    }
#endif
    (void)stream;
    (void)ahead;
    (void)simd;
    (void)minus_zero_bias;
    correlate_rows_3x3_portable(in, count, w, n, scale, bias, out, activation);
}

// NOLINTEND(bugprone-implicit-widening-of-multiplication-result)
}  // namespace convpool::ops::kernels
