// The correlation row kernels of the fast conv path (ops/fast/conv.cpp): one output row of a
// 3x3 or any kernel, the activation applied as rows are stored, and the AVX2 / AVX-512 builds
// of the banded 3x3 kernel (rows_3x3.inc), chosen at run time. The pooling row kernels are in
// rows.cpp.
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>

#include "ops/fast/kernel_builds.hpp"
#include "ops/fast/rows.hpp"

namespace convpool::ops::kernels {
// NOLINTBEGIN(bugprone-implicit-widening-of-multiplication-result): offsets within one row,
// products of int extents that fit in int; int indexes keep these loops vectorised.

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
