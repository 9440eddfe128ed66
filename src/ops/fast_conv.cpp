#include "fast_conv.hpp"

#include <algorithm>
#include <cstddef>
#include <vector>

#include "convpool/parallel.hpp"
#include "fast_kernels.hpp"

namespace convpool::ops {
namespace {

/// One output row's worth of correlation: n outputs from `rows` (kh pointers, each to the
/// first cell of the first window in that kernel row).
void correlate_span(const float* const* rows, const Matrix& kernel, int n, float scale, float bias,
                    float* dst) {
    if (kernel.rows == 3 && kernel.cols == 3) {
        kernels::correlate_row_3x3(rows, kernel.values.data(), n, scale, bias, dst);
    } else {
        kernels::correlate_row(rows, kernel.rows, kernel.cols, kernel.values.data(), n, scale, bias,
                               dst);
    }
}

}  // namespace

bool fast_correlate(const PaddedPlane& src, const Matrix& kernel, const Window& win, Size2 out_size,
                    float scale, float bias, std::span<float> out) {
    if (win.rows.stride != 1 || win.cols.stride != 1 || win.rows.dilation != 1 ||
        win.cols.dilation != 1) {
        return false;
    }
    const int kh = kernel.rows;
    const int kw = kernel.cols;
    const int pad = win.cols.pad_begin;
    // Output columns [inner_begin, inner_end) read only input cells: their windows read the
    // input rows in place. The few others read short copies padded by the border rule.
    const int inner_begin = std::min(pad, out_size.w);
    const int inner_end = std::max(inner_begin, std::min(out_size.w, src.width + pad - kw + 1));
    const std::size_t row_bytes =
        (static_cast<std::size_t>(src.width) + static_cast<std::size_t>(out_size.w)) *
        sizeof(float);
    const std::size_t grain = std::max<std::size_t>(1, kMinBytesPerThread / row_bytes);
    const bool stream = out.size_bytes() >= kernels::kStreamBytes;
    parallel_for(
        static_cast<std::size_t>(out_size.h), grain, [&](std::size_t begin, std::size_t end) {
            const auto ukh = static_cast<std::size_t>(kh);
            std::vector<const float*> rows(ukh);
            std::vector<float> zeros(static_cast<std::size_t>(src.width) + 1, 0.0F);
            const std::size_t edge_len =
                static_cast<std::size_t>(std::max(inner_begin, out_size.w - inner_end) + kw);
            std::vector<float> edges(ukh * edge_len);
            std::vector<float> line(static_cast<std::size_t>(out_size.w));
            // Windows [o_begin, o_end) of this output row, from copies of the cells they read.
            const auto edge = [&](const std::vector<int>& source_rows, int o_begin, int o_end) {
                if (o_begin >= o_end) {
                    return;
                }
                for (std::size_t ky = 0; ky < ukh; ++ky) {
                    float* e = edges.data() + ky * edge_len;
                    const int sy = source_rows[ky];
                    for (int i = 0; i < o_end - o_begin + kw - 1; ++i) {
                        const int sx = src.cols[static_cast<std::size_t>(o_begin + i)];
                        e[i] = sy < 0 || sx < 0
                                   ? 0.0F
                                   : src.plane[static_cast<std::size_t>(sy) *
                                                   static_cast<std::size_t>(src.width) +
                                               static_cast<std::size_t>(sx)];
                    }
                    rows[ky] = e;
                }
                correlate_span(rows.data(), kernel, o_end - o_begin, scale, bias,
                               line.data() + o_begin);
            };
            std::vector<int> source_rows(ukh);
            for (auto oy = static_cast<int>(begin); oy < static_cast<int>(end); ++oy) {
                for (std::size_t ky = 0; ky < ukh; ++ky) {
                    source_rows[ky] = src.rows[static_cast<std::size_t>(oy) + ky];
                }
                // Start reading the input row the next output row adds while this one is computed.
                const std::size_t ahead = static_cast<std::size_t>(oy) + ukh;
                if (ahead < src.rows.size() && src.rows[ahead] >= 0) {
                    const float* next =
                        src.plane.data() + static_cast<std::ptrdiff_t>(src.rows[ahead]) * src.width;
                    for (int x = 0; x < std::min(src.width, kernels::kPrefetchFloats); x += 16) {
                        __builtin_prefetch(next + x, 0, 2);
                    }
                }
                if (inner_end > inner_begin) {
                    for (std::size_t ky = 0; ky < ukh; ++ky) {
                        const int sy = source_rows[ky];
                        rows[ky] = sy < 0 ? zeros.data()
                                          : src.plane.data() +
                                                static_cast<std::ptrdiff_t>(sy) * src.width +
                                                (inner_begin - pad);
                    }
                    correlate_span(rows.data(), kernel, inner_end - inner_begin, scale, bias,
                                   line.data() + inner_begin);
                }
                edge(source_rows, 0, inner_begin);
                edge(source_rows, inner_end, out_size.w);
                kernels::store_row(out.data() + static_cast<std::ptrdiff_t>(oy) * out_size.w,
                                   line.data(), out_size.w, stream);
            }
            kernels::store_fence();
        });
    return true;
}

}  // namespace convpool::ops
