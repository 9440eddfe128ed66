#include "fast_pool.hpp"

#include <algorithm>
#include <cstddef>
#include <limits>
#include <utility>
#include <vector>

#include "convpool/parallel.hpp"
#include "fast_kernels.hpp"
#include "pool_common.hpp"

namespace convpool::ops {
namespace {

using kernels::pick_into;
using kernels::pick_rows;
using kernels::pick_sampled;
using kernels::pick_shifted;

/// Below this many bytes of input and output per thread, one thread does the job.
constexpr std::size_t kMinBytesPerThread = std::size_t{1} << 20;
/// Windows of at least this many rows (dilation 1) are folded with van Herk/Gil-Werman blocks.
constexpr int kVanHerkRows = 5;

/// Calls body(channel, first_row, end_row) for every per-channel piece of output rows, the
/// pieces split over threads. `row_bytes` is the input + output bytes one output row costs.
template <typename Body>
void for_output_rows(const Shape& out, std::size_t row_bytes, const Body& body) {
    const auto rows = static_cast<std::size_t>(out.channels) * static_cast<std::size_t>(out.height);
    const std::size_t grain = std::max<std::size_t>(1, kMinBytesPerThread / std::max<std::size_t>(row_bytes, 1));
    parallel_for(rows, grain, [&](std::size_t begin, std::size_t end) {
        const auto h = static_cast<std::size_t>(out.height);
        for (std::size_t r = begin; r < end;) {
            const std::size_t c = r / h;
            const std::size_t stop = std::min(end, (c + 1) * h);
            body(static_cast<int>(c), static_cast<int>(r - c * h), static_cast<int>(stop - c * h));
            r = stop;
        }
    });
}

std::size_t bytes_per_output_row(const Shape& in, const Shape& out) {
    const std::size_t in_rows = static_cast<std::size_t>(in.channels) * in.plane();
    const std::size_t out_rows = static_cast<std::size_t>(out.channels) * static_cast<std::size_t>(out.height);
    return (in_rows / std::max<std::size_t>(out_rows, 1) + static_cast<std::size_t>(out.width)) *
           sizeof(float);
}

/// Horizontal windows of one input row: every output column's fold of its taps, computed on
/// the row padded with the identity (-inf for max, +inf for min) by doubling.
class RowWindows {
public:
    RowWindows(int width, const Axis& axis, int out, bool is_max)
        : m_width(width),
          m_axis(axis),
          m_out(out),
          m_is_max(is_max),
          m_identity(is_max ? -std::numeric_limits<float>::infinity()
                            : std::numeric_limits<float>::infinity()),
          m_len((out - 1) * axis.stride + axis.effective_kernel()),
          m_direct(axis.pad_begin == 0 && m_len <= width),
          m_padded(m_direct ? 0U : static_cast<std::size_t>(m_len), m_identity),
          m_level_a(static_cast<std::size_t>(m_len)),
          m_level_b(static_cast<std::size_t>(m_len)) {}

    [[nodiscard]] float identity() const noexcept { return m_identity; }

    /// Writes the m_out window results of input row `row` to `dst`.
    void apply(const float* row, float* dst) {
        const float* cur = row;
        if (!m_direct) {
            // Only the cells that hold input change from row to row; the padding stays.
            const int copy = std::max(0, std::min(m_width, m_len - m_axis.pad_begin));
            std::copy(row, row + copy, m_padded.begin() + m_axis.pad_begin);
            cur = m_padded.data();
        }
        const int d = m_axis.dilation;
        int taps = 1;  // cur[x] folds taps x, x+d, ..., x+(taps-1)*d
        int valid = m_len;  // cur[x] is defined for x < valid
        float* next = m_level_a.data();
        float* spare = m_level_b.data();
        while (2 * taps < m_axis.kernel) {
            const int n = valid - taps * d;
            pick_shifted(next, cur, n, taps * d, m_is_max);
            cur = next;
            std::swap(next, spare);
            valid = n;
            taps *= 2;
        }
        // The last step may overlap the two halves: pick is idempotent, so the earlier half
        // still wins ties and the later one still brings the last NaN.
        pick_sampled(dst, cur, m_out, m_axis.stride, (m_axis.kernel - taps) * d, m_is_max);
    }

private:
    int m_width;
    Axis m_axis;
    int m_out;
    bool m_is_max;
    float m_identity;
    int m_len;      ///< padded cells the windows read: (out-1)*stride + effective kernel
    bool m_direct;  ///< no padding needed: read the input row itself
    std::vector<float> m_padded;
    std::vector<float> m_level_a;
    std::vector<float> m_level_b;
};

/// Rows [o0, o1) of one channel, folding short windows of rows directly from a ring of
/// horizontally reduced rows (each input row reduced once).
void extremum_rows_direct(const float* plane, int width, const AxisPlan& rows, RowWindows& hw,
                          int out_w, float* out_plane, int o0, int o1, bool is_max) {
    // Largest row span of any window: step * (count - 1) + 1.
    int ring_rows = 1;
    for (int o = o0; o < o1; ++o) {
        const AxisTaps& t = rows.taps[static_cast<std::size_t>(o)];
        ring_rows = std::max(ring_rows, rows.step * (t.count - 1) + 1);
    }
    const auto row_len = static_cast<std::size_t>(out_w);
    std::vector<float> ring(static_cast<std::size_t>(ring_rows) * row_len);
    std::vector<int> ring_row(static_cast<std::size_t>(ring_rows), -1);
    const auto reduced = [&](int y) -> const float* {
        const auto slot = static_cast<std::size_t>(y % ring_rows);
        float* dst = ring.data() + slot * row_len;
        if (ring_row[slot] != y) {
            hw.apply(plane + static_cast<std::ptrdiff_t>(y) * width, dst);
            ring_row[slot] = y;
        }
        return dst;
    };
    for (int o = o0; o < o1; ++o) {
        const AxisTaps& t = rows.taps[static_cast<std::size_t>(o)];
        float* dst = out_plane + static_cast<std::ptrdiff_t>(o) * out_w;
        if (t.count == 0) {
            std::fill(dst, dst + out_w, hw.identity());
            continue;
        }
        pick_rows(dst, reduced(t.first), reduced(t.first), out_w, is_max);
        for (int k = 1; k < t.count; ++k) {
            pick_into(dst, reduced(t.first + k * rows.step), out_w, is_max);
        }
    }
}

/// Rows [o0, o1) of one channel for long windows of rows (dilation 1): van Herk/Gil-Werman.
/// Padded rows are cut into blocks of `kernel` rows; in each block a forward pass keeps the
/// prefix fold P and a backward pass turns the rows into suffix folds S. A window starting at
/// padded row p is S[p] (of its block) picked with P[p + kernel - 1] (of the next block), or
/// P alone when it starts on a block boundary: three picks per output, whatever the kernel.
void extremum_rows_van_herk(const float* plane, int height, int width, const Axis& axis,
                            RowWindows& hw, int out_w, float* out_plane, int o0, int o1,
                            bool is_max) {
    const int k = axis.kernel;
    const int s = axis.stride;
    const auto row_len = static_cast<std::size_t>(out_w);
    std::vector<float> cur(static_cast<std::size_t>(k) * row_len);
    std::vector<float> prev(static_cast<std::size_t>(k) * row_len);
    std::vector<float> prefix(row_len);
    const int first_block = o0 * s / k;
    const int last_block = ((o1 - 1) * s + k - 1) / k;
    const int last_row = (o1 - 1) * s + k - 1;  // padded rows past it are never read
    for (int b = first_block; b <= last_block; ++b) {
        for (int j = 0; j < k; ++j) {
            const int y = b * k + j - axis.pad_begin;
            float* dst = cur.data() + static_cast<std::size_t>(j) * row_len;
            if (y >= 0 && y < height && b * k + j <= last_row) {
                hw.apply(plane + static_cast<std::ptrdiff_t>(y) * width, dst);
            } else {
                std::fill(dst, dst + out_w, hw.identity());
            }
        }
        for (int j = 0; j < k; ++j) {
            const float* row = cur.data() + static_cast<std::size_t>(j) * row_len;
            if (j == 0) {
                std::copy(row, row + out_w, prefix.begin());
            } else {
                pick_into(prefix.data(), row, out_w, is_max);
            }
            const int start = b * k + j - k + 1;  // window ending at this row
            if (start < 0 || start % s != 0 || start / s < o0 || start / s >= o1) {
                continue;
            }
            float* dst = out_plane + static_cast<std::ptrdiff_t>(start / s) * out_w;
            if (j == k - 1) {
                std::copy(prefix.begin(), prefix.end(), dst);
            } else {
                const float* suffix =
                    prev.data() + static_cast<std::size_t>(start - (b - 1) * k) * row_len;
                pick_rows(dst, suffix, prefix.data(), out_w, is_max);
            }
        }
        for (int j = k - 2; j >= 0; --j) {
            float* row = cur.data() + static_cast<std::size_t>(j) * row_len;
            pick_into(row, row + row_len, out_w, is_max);
        }
        std::swap(cur, prev);
    }
}

}  // namespace

Tensor fast_extremum_pool(const Tensor& in, const Window& win, Extremum which) {
    const Shape& s = in.shape();
    const AxisPlan rows = sliding_plan(s.height, win.rows);
    const int out_w = output_extent(s.width, win.cols);
    const Shape out_shape{s.channels, static_cast<int>(rows.taps.size()), out_w};
    Tensor out(out_shape);
    const bool is_max = which == Extremum::max;
    const bool van_herk = win.rows.dilation == 1 && win.rows.kernel >= kVanHerkRows;
    for_output_rows(out_shape, bytes_per_output_row(s, out_shape), [&](int c, int o0, int o1) {
        RowWindows hw(s.width, win.cols, out_w, is_max);
        const float* plane = in.channel(c).data();
        float* out_plane = out.channel(c).data();
        if (van_herk) {
            extremum_rows_van_herk(plane, s.height, s.width, win.rows, hw, out_w, out_plane, o0,
                                   o1, is_max);
        } else {
            extremum_rows_direct(plane, s.width, rows, hw, out_w, out_plane, o0, o1, is_max);
        }
    });
    return out;
}

Tensor fast_avg_pool(const Tensor& in, const Window& win, bool count_pad, int divisor) {
    const Shape& s = in.shape();
    const AxisPlan rows = sliding_plan(s.height, win.rows);
    const AxisPlan cols = sliding_plan(s.width, win.cols);
    const Shape out_shape{s.channels, static_cast<int>(rows.taps.size()),
                          static_cast<int>(cols.taps.size())};
    Tensor out(out_shape);
    const int out_w = out_shape.width;
    // Columns whose windows hold every tap form one run [full_begin, full_end): those are summed
    // by vectorised passes, one per tap; the others tap by tap.
    int full_begin = out_w;
    int full_end = out_w;
    for (int o = 0; o < out_w; ++o) {
        if (cols.taps[static_cast<std::size_t>(o)].count == win.cols.kernel) {
            full_begin = std::min(full_begin, o);
            full_end = o + 1;
        }
    }
    if (full_begin == out_w) {
        full_end = out_w;
    }
    for_output_rows(out_shape, bytes_per_output_row(s, out_shape), [&](int c, int o0, int o1) {
        std::vector<double> acc(static_cast<std::size_t>(out_w));
        const float* plane = in.channel(c).data();
        float* out_plane = out.channel(c).data();
        for (int o = o0; o < o1; ++o) {
            const AxisTaps& ry = rows.taps[static_cast<std::size_t>(o)];
            std::fill(acc.begin(), acc.end(), 0.0);
            // Same order as the plain loop: rows of the window in order, taps within a row in
            // order, each added to the double sum of its output.
            for (int ty = 0; ty < ry.count; ++ty) {
                const float* row =
                    plane + static_cast<std::ptrdiff_t>(ry.first + ty * rows.step) * s.width;
                for (int o2 = 0; o2 < out_w; ++o2) {
                    if (o2 == full_begin) {
                        o2 = full_end;  // the run of full windows is summed below
                        if (o2 == out_w) {
                            break;
                        }
                    }
                    const AxisTaps& rx = cols.taps[static_cast<std::size_t>(o2)];
                    double& a = acc[static_cast<std::size_t>(o2)];
                    for (int tx = 0; tx < rx.count; ++tx) {
                        a += static_cast<double>(row[rx.first + tx * cols.step]);
                    }
                }
                if (full_begin < full_end) {
                    const int first = cols.taps[static_cast<std::size_t>(full_begin)].first;
                    for (int tx = 0; tx < win.cols.kernel; ++tx) {
                        kernels::add_sampled(acc.data() + full_begin, row + first + tx * cols.step,
                                             full_end - full_begin, win.cols.stride);
                    }
                }
            }
            float* dst = out_plane + static_cast<std::ptrdiff_t>(o) * out_w;
            for (int o2 = 0; o2 < out_w; ++o2) {
                const AxisTaps& rx = cols.taps[static_cast<std::size_t>(o2)];
                const int n = divisor > 0 ? divisor
                                          : (count_pad ? ry.counted * rx.counted : ry.count * rx.count);
                dst[o2] = static_cast<float>(acc[static_cast<std::size_t>(o2)] / static_cast<double>(n));
            }
        }
    });
    return out;
}

std::optional<Tensor> fast_pool(const Tensor& in, const Window& win, const MaxReducer& /*reducer*/) {
    return fast_extremum_pool(in, win, Extremum::max);
}

std::optional<Tensor> fast_pool(const Tensor& in, const Window& win, const AvgReducer& reducer) {
    return fast_avg_pool(in, win, reducer.count_pad, reducer.divisor);
}

}  // namespace convpool::ops
