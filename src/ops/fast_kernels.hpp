#pragma once
// Row kernels shared by the fast pooling and convolution paths: short loops over contiguous
// floats that the compiler vectorises. On x86-64 with GCC each is built twice, for AVX2 and for
// the baseline (SSE2), and the loader picks one per machine (target_clones); elsewhere they are
// plain loops. Neither build contracts a*b+c into an FMA (the file is compiled with
// -ffp-contract=off), so both give the plain loops' results bit for bit.

#include <cmath>

namespace convpool::ops::kernels {

/// The plain max reducer's rule: `b` (later in row-major order) wins when larger or NaN.
[[nodiscard]] inline float pick_max(float a, float b) { return (b > a || std::isnan(b)) ? b : a; }
/// The plain min reducer's rule: `b` wins when smaller or NaN.
[[nodiscard]] inline float pick_min(float a, float b) { return (b < a || std::isnan(b)) ? b : a; }

/// acc[i] = pick(acc[i], later[i]) for i < n.
void pick_into(float* acc, const float* later, int n, bool is_max);
/// dst[i] = pick(earlier[i], later[i]) for i < n.
void pick_rows(float* dst, const float* earlier, const float* later, int n, bool is_max);
/// dst[x] = pick(src[x], src[x + offset]) for x < n (one doubling level).
void pick_shifted(float* dst, const float* src, int n, int offset, bool is_max);
/// out[o] = pick(src[o*stride], src[o*stride + offset]) for o < n; offset 0 copies.
void pick_sampled(float* out, const float* src, int n, int stride, int offset, bool is_max);
/// acc[o] += double(src[o*stride]) for o < n.
void add_sampled(double* acc, const float* src, int n, int stride);

}  // namespace convpool::ops::kernels
