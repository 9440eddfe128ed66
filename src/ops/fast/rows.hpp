#pragma once
// Row kernels shared by the fast pooling and convolution paths: short loops over contiguous
// floats that the compiler vectorises. On x86-64 with GCC each is built twice, for AVX2 and for
// the baseline (SSE2), and the loader picks one per machine (target_clones); elsewhere they are
// plain loops. Neither build contracts a*b+c into an FMA (the file is compiled with
// -ffp-contract=off), so both give the plain loops' results bit for bit. The banded 3x3
// correlation is written with intrinsics instead, once (rows_3x3.inc) for AVX2 and
// AVX-512F, and picked per call by what the machine has; its intrinsics are plain vector
// arithmetic to the compiler, so -ffp-contract=off keeps them unfused as well.

#include "convpool/pipeline/activation.hpp"

#include <cmath>
#include <cstddef>

namespace convpool::ops::kernels {

/// Outputs of at least this many bytes are written with non-temporal stores: they cannot stay
/// in the cache anyway, and streaming them saves reading every destination line first.
inline constexpr std::size_t kStreamBytes = std::size_t{8} << 20;
/// How much of the next input row to prefetch: enough to start the hardware's stream early.
inline constexpr int kPrefetchFloats = 1024;

/// The plain max reducer's rule: `b` (later in row-major order) wins when larger or NaN. Written
/// as `b > a ? b : a` (one maxps: `a` on ties and on any NaN) overridden by a NaN `b`, which
/// vectorises to three instructions instead of four.
[[nodiscard]] inline float pick_max(float a, float b) {
    const float larger = b > a ? b : a;
    return std::isnan(b) ? b : larger;
}
/// The plain min reducer's rule: `b` wins when smaller or NaN (minps, then a NaN `b`).
[[nodiscard]] inline float pick_min(float a, float b) {
    const float smaller = b < a ? b : a;
    return std::isnan(b) ? b : smaller;
}

/// The pick a kernel folds with: that of max or min, for any operands, or for operands known
/// to hold no NaN (then one max/min instruction, as the NaN rule never applies; same results).
enum class Pick : unsigned char { max, min, max_nan_free, min_nan_free };
/// The Pick for max (or else min) over operands that may hold NaN unless `nan_free`.
[[nodiscard]] constexpr Pick pick_of(bool maximum, bool nan_free) noexcept {
    if (nan_free) {
        return maximum ? Pick::max_nan_free : Pick::min_nan_free;
    }
    return maximum ? Pick::max : Pick::min;
}
/// True when any of src[0, n) is NaN.
[[nodiscard]] bool has_nan(const float* src, int n);

/// acc[i] = pick(acc[i], later[i]) for i < n.
void pick_into(float* acc, const float* later, int n, Pick rule);
/// dst[i] = pick(earlier[i], later[i]) for i < n.
void pick_rows(float* dst, const float* earlier, const float* later, int n, Pick rule);
/// dst[x] = pick(src[x], src[x + offset]) for x < n (one doubling level).
void pick_shifted(float* dst, const float* src, int n, int offset, Pick rule);
/// dst[x] = the fold of src[x], src[x+d], src[x+2d], src[x+3d] for x < n (two doubling levels
/// in one pass).
void pick_four(float* dst, const float* src, int n, int d, Pick rule);
/// out[o] = pick(src[o*stride], src[o*stride + offset]) for o < n; offset 0 copies.
void pick_sampled(float* out, const float* src, int n, int stride, int offset, Pick rule);
/// out[o] = pick(pick(src[o*stride], src[o*stride + d]), src[o*stride + 2*d]) for o < n.
void pick_three(float* out, const float* src, int n, int stride, int d, Pick rule);
/// dst[i] = src[i] for i < n; with `stream`, by non-temporal stores that bypass the cache (no
/// read of the destination first), for outputs too large to stay cached anyway.
void store_row(float* dst, const float* src, int n, bool stream);
/// dst[i] = the fold with pick of rows[0][i], rows[1][i], ... rows[count-1][i] (count >= 1),
/// for i < n; with `stream`, written by non-temporal stores as store_row.
void pick_rows_store(float* dst, const float* const* rows, int count, int n, Pick rule,
                     bool stream);
/// Orders the non-temporal stores of this thread before what follows (call once per thread
/// after its last store_row).
void store_fence();
/// acc[o] = (...(acc[o] + src[o*stride]) + src[o*stride + step]...) over `taps` taps, added one
/// after another in float, for o < n.
void add_taps(float* acc, const float* src, int n, int stride, int taps, int step);
/// out[o] = 0 + acc[o] / divisor[o] for o < n, in float.
void divide_row(float* out, const float* acc, const float* divisor, int n);
/// acc[o] += src[o*stride] for o < n, in float.
void add_sampled(float* acc, const float* src, int n, int stride);

/// What pool_2x2 computes over a 2x2 window a, b (top row), c, d (bottom row).
enum class Fold2x2 : unsigned char {
    max,  ///< pick_max(pick_max(pick_max(a, b), c), d): the plain loop's rule, NaN included
    min,  ///< the same with pick_min
    /// 0 + (((a + b) + c) + d) / divisor in float: AvgPoolReducer's ((((0 + a) + b) + c) + d),
    /// which differs only in the sign of a zero sum, which the final 0 + clears
    average,
};
/// out[o] = the fold of the window top[2o], top[2o + 1], bottom[2o], bottom[2o + 1] for o < n:
/// 2x2 windows at stride 2 read in place and written straight to the output (with AVX2 by
/// explicit 32-byte vectors; with `stream` and a 32-byte aligned `out`, by non-temporal
/// stores). `divisor` is the average's.
void pool_2x2(float* out, const float* top, const float* bottom, int n, Fold2x2 fold, float divisor,
              bool stream);

}  // namespace convpool::ops::kernels

namespace convpool::ops::kernels {

/// row[x] = activate(a, row[x]) for x < n (nothing for Activation::Kind::none).
void activate_row(float* row, int n, const Activation& a);

/// One output row of a 3x3 correlation: out[x] = scale * (sum over ky, kx in order, from 0, of
/// w[ky*3+kx] * rows[ky][x+kx]) + bias, for x < n.
void correlate_row_3x3(const float* const* rows, const float* w, int n, float scale, float bias,
                       float* out);
/// Builds of correlate_rows_3x3: AVX-512F (16 columns per step), AVX2 (8), and the portable
/// one (correlate_row_3x3 row by row). The first two exist on x86-64 GCC builds only.
enum class Simd { portable, avx2, avx512 };
/// True when this machine can run `simd`'s build (portable always).
[[nodiscard]] bool simd_available(Simd simd);
/// The widest build this machine runs.
[[nodiscard]] Simd best_simd();

/// Most output rows one call of correlate_rows_3x3 computes.
inline constexpr int kBandRows = 4;
/// Rows for correlate_rows_3x3 to start loading into the cache while it computes (the input
/// rows that the next band will read): `count` rows of `length` floats.
struct RowsAhead {
    const float* const* rows = nullptr;
    int count = 0;
    int length = 0;
};
/// `count` (1..kBandRows) consecutive output rows of a 3x3 correlation: out[r][x] = scale * (sum
/// over ky, kx in order, from 0, of w[ky*3+kx] * in[r+ky][x+kx]) + bias for r < count, x < n;
/// `in` holds count + 2 rows of n + 2 cells. The values are correlate_row_3x3's (NaN payloads
/// aside): the SIMD builds load each input vector once for every output row that reads it and
/// add its products in the same order with separate multiplies and adds (no FMA). They start
/// each sum from its first product instead of 0 + it, which changes nothing once the bias is
/// added (the sums differ only as -0 against +0, and -0 + b = +0 + b for every b but -0; a bias
/// of -0 takes the portable build), and skip the multiply when scale is 1. With `stream`,
/// whole cache lines of output go out by non-temporal stores when every row of `out` is
/// aligned alike (the SIMD builds; the rest by ordinary stores). The SIMD builds prefetch the
/// rows of `ahead`, one cache line of each per 16 columns, so that reading them from memory
/// overlaps the arithmetic. `simd` must be available. Each output goes through `activation`
/// before it is stored: the SIMD builds apply it in the registers with the scalar rule's exact
/// results (relu and leaky-relu by a select on v < 0, false for NaN and -0; abs by clearing
/// the sign bit), the portable build to each row as it is written.
void correlate_rows_3x3(const float* const* in, int count, const float* w, int n, float scale,
                        float bias, float* const* out, bool stream, const RowsAhead& ahead,
                        Simd simd, const Activation& activation = {});
/// Any kernel of kh x kw taps, windows `stride` apart and taps `dilation` apart along the row:
/// out[x] = scale * (sum over ky, kx in order, from 0, of w[ky*kw+kx] *
/// rows[ky][x*stride + kx*dilation]) + bias, for x < n (rows[ky] for ky < kh).
void correlate_row(const float* const* rows, int kh, int kw, const float* w, int n, int stride,
                   int dilation, float scale, float bias, float* out);

}  // namespace convpool::ops::kernels
