#include "ops/fast/conv.hpp"

#include "convpool/core/parallel.hpp"

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "ops/fast/rows.hpp"

namespace convpool::ops {
namespace {

/// The input row that padded row `py` copies, or nullptr for a row of zeros.
const float* input_row(const PaddedPlane& src, int py) {
    const int sy = src.rows[static_cast<std::size_t>(py)];
    return sy < 0 ? nullptr : src.plane.data() + static_cast<std::ptrdiff_t>(sy) * src.width;
}

/// The padded rows that one thread's windows read, each copied once from the input with its
/// border cells filled by the border rule, into a ring of a few rows that stays in the cache.
/// Every window then reads whole padded rows in place, at the image's edges as inside it, and
/// the input is read once, one row after another (a single stream for the prefetcher).
class PaddedRows {
public:
    /// Rows of `width` padded columns (from padded column 0; input column c is padded column
    /// c + pad), `slots` of them held at a time. The ring is placed half a page away (modulo
    /// 4096 bytes) from `output`: a load whose address matches a pending store's in its low 12
    /// bits waits for that store, and output rows of power-of-two widths all share those bits.
    PaddedRows(const PaddedPlane& src, int pad, int width, int slots, const float* output)
        : m_src(src),
          m_width(width),
          m_copy_begin(std::min(pad, width)),
          m_copy_end(std::max(m_copy_begin, std::min(pad + src.width, width))),
          m_pad(pad),
          // Rows one cache line more than a whole number of lines apart: the rows a window
          // reads at the same column fall in different cache sets.
          m_pitch((static_cast<std::size_t>(width) + kLineFloats - 1) / kLineFloats * kLineFloats +
                  kLineFloats),
          m_storage(m_pitch * static_cast<std::size_t>(slots) + kPageFloats + kLineFloats),
          m_held(static_cast<std::size_t>(slots), -1) {
        const auto address = [](const float* p) {
            return reinterpret_cast<std::uintptr_t>(p);  // an address, not a value
        };
        const std::uintptr_t page = kPageFloats * sizeof(float);
        const std::uintptr_t want = (address(output) + page / 2) % page / 64 * 64;
        const std::uintptr_t have = address(m_storage.data()) % page;
        m_base = m_storage.data() + (want + page - have) % page / sizeof(float);
    }

    /// Padded row `py`: `width` cells. Valid until a row `slots` or more rows away is asked for.
    [[nodiscard]] const float* row(int py) {
        const std::size_t slot = static_cast<std::size_t>(py) % m_held.size();
        float* dst = m_base + slot * m_pitch;
        if (m_held[slot] != py) {
            fill(dst, py);
            m_held[slot] = py;
        }
        return dst;
    }

private:
    static constexpr std::size_t kLineFloats = 16;
    static constexpr std::size_t kPageFloats = 1024;

    void fill(float* dst, int py) const {
        const float* src = input_row(m_src, py);
        if (src == nullptr) {
            std::fill(dst, dst + m_width, 0.0F);
            return;
        }
        const auto border = [&](int begin, int end) {
            for (int px = begin; px < end; ++px) {
                const int sx = m_src.cols[static_cast<std::size_t>(px)];
                dst[px] = sx < 0 ? 0.0F : src[sx];
            }
        };
        border(0, m_copy_begin);
        std::memcpy(dst + m_copy_begin, src + (m_copy_begin - m_pad),
                    static_cast<std::size_t>(m_copy_end - m_copy_begin) * sizeof(float));
        border(m_copy_end, m_width);
    }

    const PaddedPlane& m_src;
    int m_width;
    int m_copy_begin;  ///< padded columns [m_copy_begin, m_copy_end) are copied as one run
    int m_copy_end;
    int m_pad;
    std::size_t m_pitch;
    std::vector<float> m_storage;
    float* m_base = nullptr;
    std::vector<int> m_held;  ///< the padded row in each slot, -1 for none
};

}  // namespace

void fast_correlate(const PaddedPlane& src, const Matrix& kernel, const Window& win, Size2 out_size,
                    float scale, float bias, std::span<float> out, const Activation& activation) {
    const int kh = kernel.rows;
    const int kw = kernel.cols;
    const Axis& rows = win.rows;
    const Axis& cols = win.cols;
    // The padded columns the windows read, and the padded rows one output row's window spans.
    const int padded_width = (out_size.w - 1) * cols.stride + (kw - 1) * cols.dilation + 1;
    const int window_rows = (kh - 1) * rows.dilation + 1;
    const std::size_t row_bytes =
        (static_cast<std::size_t>(rows.stride) * static_cast<std::size_t>(src.width) +
         static_cast<std::size_t>(out_size.w)) *
        sizeof(float);
    const std::size_t grain = std::max<std::size_t>(1, kMinBytesPerThread / row_bytes);
    const bool stream = out.size_bytes() >= kernels::kStreamBytes;
    const kernels::Simd simd = kernels::best_simd();
    const bool banded = kh == 3 && kw == 3 && rows.stride == 1 && cols.stride == 1 &&
                        rows.dilation == 1 && cols.dilation == 1;
    const auto out_row = [&](int oy) {
        return out.data() + static_cast<std::ptrdiff_t>(oy) * out_size.w;
    };
    parallel_for(
        static_cast<std::size_t>(out_size.h), grain, [&](std::size_t first, std::size_t last) {
            const auto begin = static_cast<int>(first);
            const auto end = static_cast<int>(last);
            if (banded) {
                // Bands of output rows: each padded row is loaded once for the up to three
                // output rows of the band that read it, and outputs go straight to `out`.
                PaddedRows padded(src, cols.pad_begin, padded_width, kernels::kBandRows + 2,
                                  out_row(begin));
                std::array<const float*, kernels::kBandRows + 2> in{};
                std::array<float*, kernels::kBandRows> dst{};
                std::array<const float*, kernels::kBandRows> next{};
                for (int oy = begin; oy < end; oy += kernels::kBandRows) {
                    const int count = std::min(kernels::kBandRows, end - oy);
                    for (int j = 0; j < count + 2; ++j) {
                        in[static_cast<std::size_t>(j)] = padded.row(oy + j);
                    }
                    for (int r = 0; r < count; ++r) {
                        dst[static_cast<std::size_t>(r)] = out_row(oy + r);
                    }
                    // The input rows the next band copies start loading during this one.
                    kernels::RowsAhead ahead{next.data(), 0, src.width};
                    for (int py = oy + count + 2;
                         py < std::min(oy + count + 2 + kernels::kBandRows, end + 2); ++py) {
                        if (const float* row = input_row(src, py)) {
                            next[static_cast<std::size_t>(ahead.count++)] = row;
                        }
                    }
                    kernels::correlate_rows_3x3(in.data(), count, kernel.values.data(), out_size.w,
                                                scale, bias, dst.data(), stream, ahead, simd,
                                                activation);
                }
            } else {
                // Any other kernel, stride or dilation: one output row at a time, through a
                // row buffer. Only the padded rows some window reads are ever copied.
                PaddedRows padded(src, cols.pad_begin, padded_width, window_rows, out_row(begin));
                std::vector<const float*> in(static_cast<std::size_t>(kh));
                std::vector<float> line(static_cast<std::size_t>(out_size.w));
                for (int oy = begin; oy < end; ++oy) {
                    for (int ky = 0; ky < kh; ++ky) {
                        in[static_cast<std::size_t>(ky)] =
                            padded.row(oy * rows.stride + ky * rows.dilation);
                    }
                    kernels::correlate_row(in.data(), kh, kw, kernel.values.data(), out_size.w,
                                           cols.stride, cols.dilation, scale, bias, line.data());
                    kernels::activate_row(line.data(), out_size.w, activation);
                    kernels::store_row(out_row(oy), line.data(), out_size.w, stream);
                }
            }
            kernels::store_fence();
        });
}

}  // namespace convpool::ops
