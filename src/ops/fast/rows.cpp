#include "ops/fast/rows.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>

#include "ops/fast/kernel_builds.hpp"

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
inline void add_sampled_t(float* __restrict acc, const float* __restrict src, int n, int stride) {
    const int s = Stride > 0 ? Stride : stride;
    for (int o = 0; o < n; ++o) {
        acc[o] += src[o * s];
    }
}

template <int Stride>
inline void add_two_t(float* __restrict acc, const float* __restrict src, int n, int stride,
                      int step) {
    const int s = Stride > 0 ? Stride : stride;
    const float* __restrict second = src + step;
    for (int o = 0; o < n; ++o) {
        acc[o] = (acc[o] + src[o * s]) + second[o * s];
    }
}

}  // namespace

CONVPOOL_KERNEL void add_taps(float* acc, const float* src, int n, int stride, int taps, int step) {
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

CONVPOOL_KERNEL void divide_row(float* out, const float* acc, const float* divisor, int n) {
    float* __restrict dst = out;
    for (int o = 0; o < n; ++o) {
        dst[o] = 0.0F + acc[o] / divisor[o];
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

CONVPOOL_KERNEL void add_sampled(float* acc, const float* src, int n, int stride) {
    if (stride == 1) {
        add_sampled_t<1>(acc, src, n, 1);
    } else if (stride == 2) {
        add_sampled_t<2>(acc, src, n, 2);
    } else {
        add_sampled_t<0>(acc, src, n, stride);
    }
}

namespace {

/// pool_2x2 for outputs [from, n), one at a time (the plain path and the tails).
void pool_2x2_scalar(float* out, const float* top, const float* bottom, int from, int n,
                     Fold2x2 fold, float divisor) {
    for (int o = from; o < n; ++o) {
        const float a = top[2 * o];
        const float b = top[2 * o + 1];
        const float c = bottom[2 * o];
        const float d = bottom[2 * o + 1];
        if (fold == Fold2x2::max) {
            out[o] = pick_max(pick_max(pick_max(a, b), c), d);
        } else if (fold == Fold2x2::min) {
            out[o] = pick_min(pick_min(pick_min(a, b), c), d);
        } else {
            out[o] = 0.0F + (((a + b) + c) + d) / divisor;
        }
    }
}

#if defined(CONVPOOL_SIMD_BUILDS)
/// The left (even) and right (odd) cells of 8 windows from 16 floats at p, windows in the order
/// 0 1 4 5 2 3 6 7 (undone by in_order).
__attribute__((target("avx2"))) inline void split_pairs(const float* p, __m256& left,
                                                        __m256& right) {
    const __m256 lo = _mm256_loadu_ps(p);
    const __m256 hi = _mm256_loadu_ps(p + 8);
    left = _mm256_shuffle_ps(lo, hi, 0x88);
    right = _mm256_shuffle_ps(lo, hi, 0xDD);
}

__attribute__((target("avx2"))) inline __m256 in_order(__m256 v) {
    return _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(v), 0xD8));
}

/// pick_max(earlier, later) (or pick_min) on 8 lanes: the later value when larger (smaller) or
/// NaN, else the earlier one.
template <Fold2x2 F>
__attribute__((target("avx2"))) inline __m256 pick8(__m256 earlier, __m256 later) {
    const __m256 best =
        F == Fold2x2::max ? _mm256_max_ps(later, earlier) : _mm256_min_ps(later, earlier);
    return _mm256_blendv_ps(best, later, _mm256_cmp_ps(later, later, _CMP_UNORD_Q));
}

template <Fold2x2 F, bool Stream>
__attribute__((target("avx2"))) void pool_2x2_avx2(float* out, const float* top,
                                                   const float* bottom, int n, float divisor) {
    int exponent = 0;
    const bool multiply = std::frexp(divisor, &exponent) == 0.5F;  // 1 / divisor is exact
    const __m256 scale = _mm256_set1_ps(multiply ? 1.0F / divisor : divisor);
    const __m256 zero = _mm256_setzero_ps();
    int o = 0;
    for (; o + 8 <= n; o += 8) {
        __m256 a;
        __m256 b;
        __m256 c;
        __m256 d;
        split_pairs(top + 2 * o, a, b);
        split_pairs(bottom + 2 * o, c, d);
        __m256 v;
        if constexpr (F == Fold2x2::average) {
            const __m256 sum = _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(a, b), c), d);
            v = _mm256_add_ps(zero,
                              multiply ? _mm256_mul_ps(sum, scale) : _mm256_div_ps(sum, scale));
        } else {
            v = pick8<F>(pick8<F>(pick8<F>(a, b), c), d);
        }
        if constexpr (Stream) {
            _mm256_stream_ps(out + o, in_order(v));
        } else {
            _mm256_storeu_ps(out + o, in_order(v));
        }
    }
    pool_2x2_scalar(out, top, bottom, o, n, F, divisor);
}

template <Fold2x2 F>
void pool_2x2_dispatch(float* out, const float* top, const float* bottom, int n, float divisor,
                       bool stream) {
    if (stream) {
        pool_2x2_avx2<F, true>(out, top, bottom, n, divisor);
    } else {
        pool_2x2_avx2<F, false>(out, top, bottom, n, divisor);
    }
}
#endif

}  // namespace

void pool_2x2(float* out, const float* top, const float* bottom, int n, Fold2x2 fold, float divisor,
              bool stream) {
#if defined(CONVPOOL_SIMD_BUILDS)
    static const bool avx2 = static_cast<bool>(__builtin_cpu_supports("avx2"));
    if (avx2) {
        const bool aligned = reinterpret_cast<std::uintptr_t>(out) % 32 == 0;
        switch (fold) {
            case Fold2x2::max:
                pool_2x2_dispatch<Fold2x2::max>(out, top, bottom, n, divisor, stream && aligned);
                return;
            case Fold2x2::min:
                pool_2x2_dispatch<Fold2x2::min>(out, top, bottom, n, divisor, stream && aligned);
                return;
            case Fold2x2::average:
                pool_2x2_dispatch<Fold2x2::average>(out, top, bottom, n, divisor,
                                                    stream && aligned);
                return;
        }
    }
#endif
    (void)stream;
    pool_2x2_scalar(out, top, bottom, 0, n, fold, divisor);
}

// NOLINTEND(bugprone-implicit-widening-of-multiplication-result)
}  // namespace convpool::ops::kernels
