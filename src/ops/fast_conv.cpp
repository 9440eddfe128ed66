#include "fast_conv.hpp"

#include <algorithm>
#include <cstddef>
#include <vector>

#include "convpool/parallel.hpp"
#include "fast_kernels.hpp"

namespace convpool::ops {
namespace {

/// Below this many bytes of input and output per thread, one thread does the job.
constexpr std::size_t kMinBytesPerThread = std::size_t{1} << 20;
/// Outputs of at least this many bytes are written with non-temporal stores (see fast_pool).
constexpr std::size_t kStreamBytes = std::size_t{8} << 20;

/// Fills `dst` (one padded row) from padded row `y` of `src`.
void padded_row(const PaddedPlane& src, int y, std::span<float> dst) {
    const int sy = src.rows[static_cast<std::size_t>(y)];
    if (sy < 0) {
        std::fill(dst.begin(), dst.end(), 0.0F);
        return;
    }
    const float* row = src.plane.data() + static_cast<std::ptrdiff_t>(sy) * src.width;
    for (std::size_t x = 0; x < dst.size(); ++x) {
        const int sx = src.cols[x];
        dst[x] = sx < 0 ? 0.0F : row[sx];
    }
}

}  // namespace

bool fast_correlate(const PaddedPlane& src, const Matrix& kernel, const Window& win,
                    Size2 out_size, float scale, float bias, std::span<float> out) {
    if (win.rows.stride != 1 || win.cols.stride != 1 || win.rows.dilation != 1 ||
        win.cols.dilation != 1) {
        return false;
    }
    const int kh = kernel.rows;
    const int kw = kernel.cols;
    const auto pw = src.cols.size();
    const std::size_t row_bytes = (pw + static_cast<std::size_t>(out_size.w)) * sizeof(float);
    const std::size_t grain = std::max<std::size_t>(1, kMinBytesPerThread / row_bytes);
    const bool stream = out.size_bytes() >= kStreamBytes;
    parallel_for(static_cast<std::size_t>(out_size.h), grain, [&](std::size_t begin, std::size_t end) {
        // A ring of the kh padded rows the current output row reads; each padded row is built
        // once per thread.
        std::vector<float> ring(static_cast<std::size_t>(kh) * pw);
        std::vector<int> ring_row(static_cast<std::size_t>(kh), -1);
        std::vector<const float*> rows(static_cast<std::size_t>(kh));
        std::vector<float> line(static_cast<std::size_t>(out_size.w));
        for (auto oy = static_cast<int>(begin); oy < static_cast<int>(end); ++oy) {
            for (int ky = 0; ky < kh; ++ky) {
                const int py = oy + ky;
                const auto slot = static_cast<std::size_t>(py % kh);
                const std::span<float> dst(ring.data() + slot * pw, pw);
                if (ring_row[slot] != py) {
                    padded_row(src, py, dst);
                    ring_row[slot] = py;
                }
                rows[static_cast<std::size_t>(ky)] = dst.data();
            }
            if (kh == 3 && kw == 3) {
                kernels::correlate_row_3x3(rows.data(), kernel.values.data(), out_size.w, scale,
                                           bias, line.data());
            } else {
                kernels::correlate_row(rows.data(), kh, kw, kernel.values.data(), out_size.w,
                                       scale, bias, line.data());
            }
            kernels::store_row(out.data() + static_cast<std::ptrdiff_t>(oy) * out_size.w,
                               line.data(), out_size.w, stream);
        }
        kernels::store_fence();
    });
    return true;
}

}  // namespace convpool::ops
