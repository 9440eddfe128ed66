#pragma once
// Fast paths of the sliding-window pools whose reduction is more than a pick or a sum: pool:soft,
// pool:gem, pool:mixed and pool:median (ops/fast/windows.cpp). fast_window_pool walks the
// windows: output rows are split over threads; in each output row whose windows all lie inside
// the input, the interior windows (those without padding) are handed to a row kernel as
// kh*kw contiguous runs of floats, one per tap in row-major window order (for a stride s > 1 each
// input row is first split into its s phases, so that a tap's values over consecutive windows
// are contiguous), and the kernel computes them vectorised. Windows touching the padding, rows
// the kernel declines (it returns false, e.g. on a NaN or an infinity that its arithmetic does
// not follow) and geometries with dilation go through the op's own reducer exactly as
// reduce_windows does. 2x2 windows with column stride 2 (the common pool) skip the phase split:
// soft, gem (p = 1..4) and mixed have kernels that read each window in place from its two input
// rows (window_kernels::*_2x2); where such a kernel declines, the row kernel is tried next.
//
// How each kernel relates to its plain reducer (tests/ops/test_pool_<op>.cpp checks each):
//  - mixed: bit for bit (the max folded with the reducer's pick, the mean summed in float in the
//    same order, the same final expression), NaN included;
//  - median (3x3 and 2x2 windows): the same value as nth_element (a min/max selection network;
//    rows holding a NaN are declined); a median among -0 and +0 may carry the other sign;
//  - soft: the window maximum subtracted, then the weights e^(x - max) by a polynomial exp in
//    float (fused multiply-adds, relative error below 2e-7), summed in double: |fast - plain|
//    <= 1e-6 * max |x| over the window (the plain loop works in double and rescales as it goes);
//    rows with NaN or an infinity are declined. Its 2x2/2 kernel does the same in float throughout
//    (sums of four weights and four products, one division), within the same tolerance; it
//    declines rows with |x| > 1e37, where a sum of four could overflow;
//  - gem: x^p by multiplications for p = 1, 2, 3, 4 and as exp(p log x) otherwise, the p-th
//    root as exp(log(mean) / p), polynomial exp and log in double (relative error about 1e-15):
//    |fast - plain| <= 1e-6 * |plain|; rows where x^p leaves the normal doubles (p log x outside
//    [-708, 700]), or holding NaN or an infinity, are declined; eps below 1e-300 has no fast
//    path. Its 2x2/2 kernel, for p = 1..4, works in float: x^p by multiplications, the mean of
//    four, and the root by sqrt (p = 2, 4) or a cube root by Newton's method (three division-free
//    steps for 1/cbrt with fused multiply-adds, then m y^2; p = 3), within the same 1e-6
//    relative; it declines rows where x^p or the sum leaves the normal floats.
// Every output is computed by the same code whatever the thread count.

#include "convpool/core/geometry.hpp"
#include "convpool/core/parallel.hpp"
#include "convpool/core/tensor.hpp"

#include <algorithm>
#include <array>
#include <cstddef>
#include <optional>
#include <type_traits>
#include <vector>

#include "ops/common/pooling.hpp"
#include "ops/fast/rows.hpp"

namespace convpool::ops {

namespace window_kernels {
/// The most taps a row kernel takes (8x8 windows).
inline constexpr int kMaxTaps = 64;
/// phases[q * length + i] = row[i * stride + q] for every i * stride + q < width.
void split_phases(float* phases, const float* row, int width, int stride, int length);
/// SoftPool of n windows of `count` taps; false (nothing written) when a tap holds NaN or an
/// infinity.
[[nodiscard]] bool soft_row(const float* const* taps, int count, int n, float* out);
/// GeM of n windows; false when a tap is not finite or p log max(x, eps) leaves [-708, 709].
[[nodiscard]] bool gem_row(const float* const* taps, int count, int n, double p, double eps,
                           float* out);
/// a * max + (1 - a) * sum / divisor of n windows (always true).
[[nodiscard]] bool mixed_row(const float* const* taps, int count, int n, double a, float divisor,
                             float* out);
/// The lower median of n windows of 4 or 9 taps; false when a tap holds NaN.
[[nodiscard]] bool median_row(const float* const* taps, int count, int n, float* out);

// 2x2 windows with column stride 2, read in place: window i is r0[2i], r0[2i + 1], r1[2i],
// r1[2i + 1]. On false the outputs are left undefined (the caller computes them again).
/// SoftPool in float; false when |x| > 1e37, NaN or infinite.
[[nodiscard]] bool soft_2x2(const float* r0, const float* r1, int n, float* out);
/// GeM for p = 1..4 in float; false for another p, a tap not finite, or x^p (or the sum of four)
/// outside the normal floats.
[[nodiscard]] bool gem_2x2(const float* r0, const float* r1, int n, int p, float eps, float* out);
/// The mixed pool, as mixed_row (always true).
[[nodiscard]] bool mixed_2x2(const float* r0, const float* r1, int n, double a, float* out);
}  // namespace window_kernels

/// A kernel made of several lambdas (the row kernel and a 2x2/2 kernel).
template <typename... F>
struct Overloaded : F... {
    using F::operator()...;
};
template <typename... F>
Overloaded(F...) -> Overloaded<F...>;  // clang 14 has no deduction for aggregates

/// The plain reduction of one window (rows `ry`, columns `rx`) of `plane`, as reduce_windows.
template <typename Reducer>
[[nodiscard]] float reduce_window(const Reducer& reducer, const float* plane, int width,
                                  const AxisTaps& ry, const AxisTaps& rx, int row_step,
                                  int col_step) {
    auto state = reducer.start();
    for (int ty = 0; ty < ry.count; ++ty) {
        const int y = ry.first + ty * row_step;
        const float* row = plane + static_cast<std::ptrdiff_t>(y) * width;
        for (int tx = 0; tx < rx.count; ++tx) {
            const int x = rx.first + tx * col_step;
            reducer.add(state, row[x], y * width + x);
        }
    }
    return reducer.finish(state, ry.count * rx.count, ry.counted * rx.counted);
}

/// The interior windows of one output row, for pair_kernel.
struct InteriorRow {
    const float* plane = nullptr;
    int width = 0;
    int first_row = 0;  ///< the window's top input row
    int begin = 0;      ///< outputs [begin, end)
    int end = 0;
};

/// For 2x2 windows with column stride 2 and a kernel that takes them in place
/// (`kernel(r0, r1, n, out)`): runs it on the row's interior windows; false when the geometry or
/// the kernel does not have it, or the kernel declines.
template <typename Kernel>
[[nodiscard]] bool pair_kernel(const Kernel& kernel, const InteriorRow& row, int kh, int kw, int sx,
                               const AxisPlan& cols, float* dst) {
    if constexpr (std::is_invocable_r_v<bool, const Kernel&, const float*, const float*, int,
                                        float*>) {
        if (kh != 2 || kw != 2 || sx != 2) {
            return false;
        }
        const float* r0 = row.plane + static_cast<std::ptrdiff_t>(row.first_row) * row.width +
                          cols.taps[static_cast<std::size_t>(row.begin)].first;
        return kernel(r0, r0 + row.width, row.end - row.begin, dst + row.begin);
    }
    return false;
}

/// Points taps[0, kh * kw) at the first interior window's cells of `row`, in row-major window
/// order, so that tap t of window i is taps[t][i]: into the input row for stride 1, into its
/// phases (split into `phases`, `phase_length` each) otherwise. Always true.
inline bool gather_taps(std::array<const float*, window_kernels::kMaxTaps>& taps,
                        std::vector<float>& phases, const InteriorRow& row, int kh, int kw, int sx,
                        int phase_length, const std::vector<AxisTaps>& col_taps) {
    const int x0 = col_taps[static_cast<std::size_t>(row.begin)].first;
    std::size_t tap = 0;
    for (int ty = 0; ty < kh; ++ty) {
        const float* src = row.plane + static_cast<std::ptrdiff_t>(row.first_row + ty) * row.width;
        if (sx == 1) {
            for (int tx = 0; tx < kw; ++tx) {
                taps[tap++] = src + x0 + tx;  // tap tx of the first interior window
            }
            continue;
        }
        float* split = phases.data() + static_cast<std::ptrdiff_t>(ty) * sx * phase_length;
        window_kernels::split_phases(split, src, row.width, sx, phase_length);
        for (int tx = 0; tx < kw; ++tx) {
            const int x = x0 + tx;  // tap tx of the first interior window
            taps[tap++] = split + static_cast<std::ptrdiff_t>(x % sx) * phase_length + x / sx;
        }
    }
    return true;
}

/// The pool of `win` over `in` with `reducer`, its interior windows by `kernel(taps, count, n,
/// out)` (a window_kernels row function bound to the reducer's parameters) or, for 2x2 windows
/// with column stride 2, by `kernel(r0, r1, n, out)` when it has that form (see pair_kernel);
/// nullopt for dilated windows or windows of more than kMaxTaps cells.
template <typename Reducer, typename Kernel>
[[nodiscard]] std::optional<Tensor> fast_window_pool(const Tensor& in, const Window& win,
                                                     const Reducer& reducer, const Kernel& kernel) {
    const int kh = win.rows.kernel;
    const int kw = win.cols.kernel;
    if (win.rows.dilation != 1 || win.cols.dilation != 1 || kh * kw > window_kernels::kMaxTaps) {
        return std::nullopt;
    }
    const Shape& s = in.shape();
    const AxisPlan rows = sliding_plan(s.height, win.rows);
    const AxisPlan cols = sliding_plan(s.width, win.cols);
    const Shape out_shape{s.channels, static_cast<int>(rows.taps.size()),
                          static_cast<int>(cols.taps.size())};
    Tensor out(out_shape, uninitialized);  // every output is written below
    // The interior columns: windows of kw real cells (a contiguous run of outputs).
    int inner_begin = 0;
    while (inner_begin < out_shape.width &&
           cols.taps[static_cast<std::size_t>(inner_begin)].count != kw) {
        ++inner_begin;
    }
    int inner_end = inner_begin;
    while (inner_end < out_shape.width &&
           cols.taps[static_cast<std::size_t>(inner_end)].count == kw) {
        ++inner_end;
    }
    const int sx = win.cols.stride;
    const int phase_length = s.width / sx + 1;
    const auto out_rows =
        static_cast<std::size_t>(out_shape.channels) * static_cast<std::size_t>(out_shape.height);
    const std::size_t row_bytes =
        (static_cast<std::size_t>(kh) * static_cast<std::size_t>(s.width) +
         static_cast<std::size_t>(out_shape.width)) *
        sizeof(float);
    const std::size_t grain = std::max<std::size_t>(1, kMinBytesPerThread / row_bytes);
    // Large outputs are computed a row at a time into a cached buffer and streamed out.
    const bool stream = out.data().size_bytes() >= kernels::kStreamBytes;
    parallel_for(out_rows, grain, [&](std::size_t begin, std::size_t end) {
        std::vector<float> row_buffer(stream ? static_cast<std::size_t>(out_shape.width) : 0);
        std::vector<float> phases(sx == 1 ? 0
                                          : static_cast<std::size_t>(kh) *
                                                static_cast<std::size_t>(sx) *
                                                static_cast<std::size_t>(phase_length));
        std::array<const float*, window_kernels::kMaxTaps> taps{};
        for (std::size_t r = begin; r < end; ++r) {
            const int c = static_cast<int>(r / static_cast<std::size_t>(out_shape.height));
            const int oy = static_cast<int>(r % static_cast<std::size_t>(out_shape.height));
            const float* plane = in.channel(c).data();
            float* const target =
                out.channel(c).data() + static_cast<std::ptrdiff_t>(oy) * out_shape.width;
            float* row = stream ? row_buffer.data() : target;
            const AxisTaps& ry = rows.taps[static_cast<std::size_t>(oy)];
            int done_begin = 0;
            int done_end = 0;  // outputs [done_begin, done_end) computed by the kernel
            const InteriorRow interior{plane, s.width, ry.first, inner_begin, inner_end};
            if (ry.count == kh && inner_end > inner_begin &&
                (pair_kernel(kernel, interior, kh, kw, sx, cols, row) ||
                 (gather_taps(taps, phases, interior, kh, kw, sx, phase_length, cols.taps) &&
                  kernel(taps.data(), kh * kw, inner_end - inner_begin, row + inner_begin)))) {
                done_begin = inner_begin;
                done_end = inner_end;
            }
            for (int ox = 0; ox < out_shape.width; ++ox) {
                if (ox == done_begin && done_end > done_begin) {
                    ox = done_end - 1;
                    continue;
                }
                row[ox] =
                    reduce_window(reducer, plane, s.width, ry,
                                  cols.taps[static_cast<std::size_t>(ox)], rows.step, cols.step);
            }
            if (stream) {
                kernels::store_row(target, row, out_shape.width, true);
            }
        }
        if (stream) {
            kernels::store_fence();
        }
    });
    return out;
}

}  // namespace convpool::ops
