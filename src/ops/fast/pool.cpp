#include "ops/fast/pool.hpp"

#include "convpool/core/parallel.hpp"

#include <algorithm>
#include <array>
#include <cstddef>
#include <limits>
#include <utility>
#include <vector>

#include "ops/common/pooling.hpp"
#include "ops/fast/rows.hpp"

namespace convpool::ops {
namespace {

using kernels::Pick;
using kernels::pick_into;
using kernels::pick_of;
using kernels::pick_sampled;
using kernels::pick_shifted;

/// Windows of at least this many rows (dilation 1) are folded with van Herk/Gil-Werman blocks.
constexpr int kVanHerkRows = 5;

/// Horizontal windows of one input row, by doubling over their taps (log2(k) vectorised passes;
/// three taps in one). Windows inside the row read it in place; the few that reach into the
/// padding read a short copy of the row's end padded with the identity (-inf for max, +inf for
/// min), which never wins a pick, so they fold exactly the real taps as the plain loop does.
class RowWindows {
public:
    /// With `check_nan`, apply() looks for NaN in each row so that rows without one fold with
    /// plain max/min; without, every row is folded by the NaN rule.
    RowWindows(int width, const Axis& axis, int out, bool is_max, bool check_nan)
        : m_width(width),
          m_axis(axis),
          m_out(out),
          m_is_max(is_max),
          m_check_nan(check_nan),
          m_identity(is_max ? -std::numeric_limits<float>::infinity()
                            : std::numeric_limits<float>::infinity()) {
        const int span = axis.effective_kernel();
        // Inner windows: o*s - pad >= 0 and o*s - pad + span - 1 <= width - 1.
        // NOLINTNEXTLINE(cppcoreguidelines-prefer-member-initializer): clamped with m_inner_end
        m_inner_begin = (axis.pad_begin + axis.stride - 1) / axis.stride;
        const int last_start = width - span + axis.pad_begin;
        m_inner_end = last_start < 0 ? 0 : std::min(out, last_start / axis.stride + 1);
        if (m_inner_end <= m_inner_begin) {
            m_inner_begin = m_inner_end = 0;
        }
        const auto cells = [&](int n) { return n > 0 ? (n - 1) * axis.stride + span : 0; };
        const int edge = std::max(cells(m_inner_begin), cells(out - m_inner_end));
        m_edge.resize(static_cast<std::size_t>(edge));
        const auto level =
            static_cast<std::size_t>(std::max(edge, cells(m_inner_end - m_inner_begin)));
        m_level_a.resize(level);
        m_level_b.resize(level);
    }

    [[nodiscard]] float identity() const noexcept { return m_identity; }

    /// Writes the window results of input row `row` to dst[0, out). Returns whether the row
    /// holds a NaN: rows without one (nearly all) are folded with plain max/min instructions.
    bool apply(const float* row, float* dst) {
        const bool nan = !m_check_nan || kernels::has_nan(row, m_width);
        const Pick rule = pick_of(m_is_max, !nan);
        if (m_inner_end > m_inner_begin) {
            inner(
                row + static_cast<std::ptrdiff_t>(m_inner_begin) * m_axis.stride - m_axis.pad_begin,
                dst + m_inner_begin, m_inner_end - m_inner_begin, rule);
        }
        edge(row, 0, m_inner_begin, dst, rule);
        edge(row, m_inner_end, m_out, dst, rule);
        return nan;
    }

private:
    /// Windows [o_begin, o_end) from a copy of the cells they read, padded with the identity.
    void edge(const float* row, int o_begin, int o_end, float* dst, Pick rule) {
        if (o_begin >= o_end) {
            return;
        }
        const int first = o_begin * m_axis.stride - m_axis.pad_begin;
        const int len = (o_end - 1 - o_begin) * m_axis.stride + m_axis.effective_kernel();
        for (int i = 0; i < len; ++i) {
            const int x = first + i;
            m_edge[static_cast<std::size_t>(i)] = x >= 0 && x < m_width ? row[x] : m_identity;
        }
        inner(m_edge.data(), dst + o_begin, o_end - o_begin, rule);
    }

    /// n windows starting at src[0], src[s], ...; every tap inside the row.
    void inner(const float* src, float* dst, int n, Pick rule) {
        const int d = m_axis.dilation;
        const int s = m_axis.stride;
        if (m_axis.kernel == 3) {
            kernels::pick_three(dst, src, n, s, d, rule);
            return;
        }
        const float* cur = src;
        int taps = 1;  // cur[x] folds taps x, x+d, ..., x+(taps-1)*d
        int valid = (n - 1) * s + m_axis.effective_kernel();  // cur[x] is defined for x < valid
        float* next = m_level_a.data();
        float* spare = m_level_b.data();
        while (2 * taps < m_axis.kernel) {
            if (taps == 1 && 4 < m_axis.kernel) {  // the first two levels in one pass
                const int len = valid - 3 * d;
                kernels::pick_four(next, cur, len, d, rule);
                valid = len;
                taps = 4;
            } else {
                const int len = valid - taps * d;
                pick_shifted(next, cur, len, taps * d, rule);
                valid = len;
                taps *= 2;
            }
            cur = next;
            std::swap(next, spare);
        }
        // The last step may overlap the two halves: pick is idempotent, so the earlier half
        // still wins ties and the later one still brings the last NaN.
        pick_sampled(dst, cur, n, s, (m_axis.kernel - taps) * d, rule);
    }

    int m_width;
    Axis m_axis;
    int m_out;
    bool m_is_max;
    bool m_check_nan;
    float m_identity;
    int m_inner_begin = 0;  ///< windows [m_inner_begin, m_inner_end) have every tap in the row
    int m_inner_end = 0;
    std::vector<float> m_edge;
    std::vector<float> m_level_a;
    std::vector<float> m_level_b;
};

/// Rows [o0, o1) of one channel, folding short windows of rows directly from a ring of
/// horizontally reduced rows (each input row reduced once).
void extremum_rows_direct(const float* plane, int rows_in, int width, const AxisPlan& rows,
                          RowWindows& hw, int out_w, float* out_plane, int o0, int o1, bool is_max,
                          bool stream) {
    // Largest row span of any window: step * (count - 1) + 1.
    int ring_rows = 1;
    for (int o = o0; o < o1; ++o) {
        const AxisTaps& t = rows.taps[static_cast<std::size_t>(o)];
        ring_rows = std::max(ring_rows, rows.step * (t.count - 1) + 1);
    }
    const auto row_len = static_cast<std::size_t>(out_w);
    std::vector<float> ring(static_cast<std::size_t>(ring_rows) * row_len);
    std::vector<int> ring_row(static_cast<std::size_t>(ring_rows), -1);
    std::vector<char> ring_nan(static_cast<std::size_t>(ring_rows), 0);  // the slot holds a NaN
    const auto reduced = [&](int y) -> const float* {
        const auto slot = static_cast<std::size_t>(y % ring_rows);
        float* dst = ring.data() + slot * row_len;
        if (ring_row[slot] != y) {
            ring_nan[slot] = hw.apply(plane + static_cast<std::ptrdiff_t>(y) * width, dst) ? 1 : 0;
            ring_row[slot] = y;
            // Start reading the next input row while this one's outputs are written.
            const float* next = plane + static_cast<std::ptrdiff_t>(y + 1) * width;
            if (y + 1 < rows_in) {
                for (int x = 0; x < std::min(width, kernels::kPrefetchFloats); x += 16) {
                    __builtin_prefetch(next + x, 0, 2);
                }
            }
        }
        return dst;
    };
    const std::vector<float> identity_row(row_len, hw.identity());
    std::vector<const float*> taps(static_cast<std::size_t>(ring_rows));
    for (int o = o0; o < o1; ++o) {
        const AxisTaps& t = rows.taps[static_cast<std::size_t>(o)];
        int count = 0;
        bool nan = false;
        if (t.count == 0) {
            taps[static_cast<std::size_t>(count++)] = identity_row.data();
        }
        for (int k = 0; k < t.count; ++k) {
            const int y = t.first + k * rows.step;
            taps[static_cast<std::size_t>(count++)] = reduced(y);
            nan = nan || ring_nan[static_cast<std::size_t>(y % ring_rows)] != 0;
        }
        kernels::pick_rows_store(out_plane + static_cast<std::ptrdiff_t>(o) * out_w, taps.data(),
                                 count, out_w, pick_of(is_max, !nan), stream);
    }
}

/// Rows [o0, o1) of one channel for long windows of rows (dilation 1): van Herk/Gil-Werman.
/// Padded rows are cut into blocks of `kernel` rows; in each block a forward pass keeps the
/// prefix fold P and a backward pass turns the rows into suffix folds S. A window starting at
/// padded row p is S[p] (of its block) picked with P[p + kernel - 1] (of the next block), or
/// P alone when it starts on a block boundary: three picks per output, whatever the kernel.
/// One buffer of `kernel` rows serves both blocks: step j of the forward pass reads the last
/// block's S[j + 1] and stores this block's row j where S[j] was, read at step j - 1. Half the
/// memory of a buffer per block keeps k = 63 on 2048 columns (504 KiB) in a core's L2.
void extremum_rows_van_herk(const float* plane, int height, int width, const Axis& axis,
                            RowWindows& hw, int out_w, float* out_plane, int o0, int o1,
                            bool is_max, bool stream) {
    const int k = axis.kernel;
    const int s = axis.stride;
    const auto row_len = static_cast<std::size_t>(out_w);
    std::vector<float> block(static_cast<std::size_t>(k) * row_len);
    std::vector<float> prefix(row_len);
    const auto slot = [&](int j) { return block.data() + static_cast<std::size_t>(j) * row_len; };
    const int first_block = o0 * s / k;
    const int last_block = ((o1 - 1) * s + k - 1) / k;
    const int last_row = (o1 - 1) * s + k - 1;  // padded rows past it are never read
    bool prev_nan = false;                      // the last block's rows held a NaN
    for (int b = first_block; b <= last_block; ++b) {
        bool cur_nan = false;  // rows 0..j of this block hold a NaN
        for (int j = 0; j < k; ++j) {
            const int y = b * k + j - axis.pad_begin;
            float* row = slot(j);
            if (y >= 0 && y < height && b * k + j <= last_row) {
                cur_nan = hw.apply(plane + static_cast<std::ptrdiff_t>(y) * width, row) || cur_nan;
            } else {
                std::fill(row, row + out_w, hw.identity());
            }
            if (j == 0) {
                std::copy(row, row + out_w, prefix.begin());
            } else {
                pick_into(prefix.data(), row, out_w, pick_of(is_max, !cur_nan));
            }
            const int start = b * k + j - k + 1;  // window ending at this row
            if (start < 0 || start % s != 0 || start / s < o0 || start / s >= o1) {
                continue;
            }
            float* dst = out_plane + static_cast<std::ptrdiff_t>(start / s) * out_w;
            if (j == k - 1) {
                kernels::store_row(dst, prefix.data(), out_w, stream);
            } else {
                const std::array<const float*, 2> halves{slot(j + 1), prefix.data()};
                kernels::pick_rows_store(dst, halves.data(), 2, out_w,
                                         pick_of(is_max, !(cur_nan || prev_nan)), stream);
            }
        }
        const Pick in_block = pick_of(is_max, !cur_nan);
        for (int j = k - 2; j >= 0; --j) {
            pick_into(slot(j), slot(j + 1), out_w, in_block);
        }
        prev_nan = cur_nan;
    }
}

/// Whether every window of `win` is a whole 2x2 block at stride 2 (no padding, dilation 1).
bool pools_whole_pairs(const AxisPlan& rows, const AxisPlan& cols, const Window& win) {
    const auto whole = [](const AxisPlan& plan, const Axis& axis) {
        if (axis.kernel != 2 || axis.stride != 2 || axis.dilation != 1) {
            return false;
        }
        for (std::size_t o = 0; o < plan.taps.size(); ++o) {
            const AxisTaps& t = plan.taps[o];
            if (t.count != 2 || t.first != 2 * static_cast<int>(o)) {
                return false;
            }
        }
        return true;
    };
    return whole(rows, win.rows) && whole(cols, win.cols);
}

/// Max (or min) pooling of whole 2x2 blocks at stride 2 (pools_whole_pairs): each output row
/// from its two input rows in one pass, written straight to `out`.
void extremum_pairs(const Tensor& in, Tensor& out, bool is_max) {
    const Shape& s = in.shape();
    const Shape& o_shape = out.shape();
    const bool stream = o_shape.elements() * sizeof(float) >= kernels::kStreamBytes;
    const kernels::Fold2x2 fold = is_max ? kernels::Fold2x2::max : kernels::Fold2x2::min;
    for_output_rows(o_shape, bytes_per_output_row(s, o_shape), [&](int c, int o0, int o1) {
        const float* plane = in.channel(c).data();
        float* out_plane = out.channel(c).data();
        for (int o = o0; o < o1; ++o) {
            const float* top = plane + static_cast<std::ptrdiff_t>(2 * o) * s.width;
            kernels::pool_2x2(out_plane + static_cast<std::ptrdiff_t>(o) * o_shape.width, top,
                              top + s.width, o_shape.width, fold, 1.0F, stream);
        }
        kernels::store_fence();
    });
}

}  // namespace

Tensor fast_extremum_pool(const Tensor& in, const Window& win, Extremum which) {
    const Shape& s = in.shape();
    const AxisPlan rows = sliding_plan(s.height, win.rows);
    const int out_w = output_extent(s.width, win.cols);
    const Shape out_shape{s.channels, static_cast<int>(rows.taps.size()), out_w};
    Tensor out(out_shape, uninitialized);  // every value is written below
    const bool is_max = which == Extremum::max;
    if (pools_whole_pairs(rows, sliding_plan(s.width, win.cols), win)) {
        extremum_pairs(in, out, is_max);
        return out;
    }
    const bool van_herk = win.rows.dilation == 1 && win.rows.kernel >= kVanHerkRows;
    // Windows of at most 2x2 pick once per axis: there the NaN check of each row costs more
    // than the plain max/min it would allow saves.
    const bool check_nan = win.rows.kernel > 2 || win.cols.kernel > 2;
    const bool stream = out_shape.elements() * sizeof(float) >= kernels::kStreamBytes;
    for_output_rows(out_shape, bytes_per_output_row(s, out_shape), [&](int c, int o0, int o1) {
        RowWindows hw(s.width, win.cols, out_w, is_max, check_nan);
        const float* plane = in.channel(c).data();
        float* out_plane = out.channel(c).data();
        if (van_herk) {
            extremum_rows_van_herk(plane, s.height, s.width, win.rows, hw, out_w, out_plane, o0, o1,
                                   is_max, stream);
        } else {
            extremum_rows_direct(plane, s.height, s.width, rows, hw, out_w, out_plane, o0, o1,
                                 is_max, stream);
        }
        kernels::store_fence();
    });
    return out;
}

namespace {

/// acc[o] += each tap of `row` that output column o's window reads (cols.taps[o]), in order,
/// for o in [first_column, stop_column).
void add_row_taps(float* acc, const float* row, const AxisPlan& cols, int first_column,
                  int stop_column) {
    for (int o = first_column; o < stop_column; ++o) {
        const AxisTaps& rx = cols.taps[static_cast<std::size_t>(o)];
        for (int tx = 0; tx < rx.count; ++tx) {
            acc[o] += row[rx.first + tx * cols.step];
        }
    }
}

/// The run [begin, end) of output columns whose windows hold every one of `kernel` taps (they
/// are summed by vectorised passes, one per tap); (width, width) when there is none.
std::pair<int, int> full_window_run(const AxisPlan& cols, int kernel) {
    const auto out_w = static_cast<int>(cols.taps.size());
    int begin = out_w;
    int end = out_w;
    for (int o = 0; o < out_w; ++o) {
        if (cols.taps[static_cast<std::size_t>(o)].count == kernel) {
            begin = std::min(begin, o);
            end = o + 1;
        }
    }
    return {begin, begin == out_w ? out_w : end};
}

/// The divisor of each output column of a row whose windows hold `row_cells` rows.
void fill_denominators(std::vector<float>& denominator, const AxisPlan& cols, int row_cells,
                       bool count_pad, int divisor) {
    for (std::size_t o = 0; o < denominator.size(); ++o) {
        const AxisTaps& rx = cols.taps[o];
        const int n = divisor > 0 ? divisor : row_cells * (count_pad ? rx.counted : rx.count);
        denominator[o] = static_cast<float>(n);
    }
}

}  // namespace

Tensor fast_avg_pool(const Tensor& in, const Window& win, bool count_pad, int divisor) {
    const Shape& s = in.shape();
    const AxisPlan rows = sliding_plan(s.height, win.rows);
    const AxisPlan cols = sliding_plan(s.width, win.cols);
    const Shape out_shape{s.channels, static_cast<int>(rows.taps.size()),
                          static_cast<int>(cols.taps.size())};
    Tensor out(out_shape, uninitialized);  // every value is written below
    const int out_w = out_shape.width;
    // Columns whose windows hold every tap are summed by vectorised passes; the others tap by tap.
    const std::pair<int, int> full_run = full_window_run(cols, win.cols.kernel);
    const int full_begin = full_run.first;
    const int full_end = full_run.second;
    const bool stream = out_shape.elements() * sizeof(float) >= kernels::kStreamBytes;
    // 2x2 windows at stride 2 (the common downsampling): a full window's two rows are summed
    // and divided in one fused pass, without the accumulator rows.
    const bool pairs = win.rows.kernel == 2 && win.cols.kernel == 2 && win.rows.stride == 2 &&
                       win.cols.stride == 2 && win.rows.dilation == 1 && win.cols.dilation == 1;
    const auto full_divisor = static_cast<float>(divisor > 0 ? divisor : 4);  // a full window
    for_output_rows(out_shape, bytes_per_output_row(s, out_shape), [&](int c, int o0, int o1) {
        std::vector<float> acc(static_cast<std::size_t>(out_w));
        std::vector<float> line(static_cast<std::size_t>(out_w));
        std::vector<float> denominator(static_cast<std::size_t>(out_w));
        int denominator_cells = -1;  // the row cell count `denominator` was computed for
        const float* plane = in.channel(c).data();
        float* out_plane = out.channel(c).data();
        for (int o = o0; o < o1; ++o) {
            const AxisTaps& ry = rows.taps[static_cast<std::size_t>(o)];
            const bool fused = pairs && ry.count == 2 && full_begin < full_end;
            std::fill(acc.begin(), acc.end(), 0.0F);
            // Same order as the plain loop: rows of the window in order, taps within a row in
            // order, each added to the float sum of its output.
            for (int ty = 0; ty < ry.count; ++ty) {
                const float* row =
                    plane + static_cast<std::ptrdiff_t>(ry.first + ty * rows.step) * s.width;
                // The run of full windows [full_begin, full_end) is summed below.
                add_row_taps(acc.data(), row, cols, 0, full_begin);
                add_row_taps(acc.data(), row, cols, full_end, out_w);
                if (full_begin < full_end && !fused) {
                    const int first = cols.taps[static_cast<std::size_t>(full_begin)].first;
                    kernels::add_taps(acc.data() + full_begin, row + first, full_end - full_begin,
                                      win.cols.stride, win.cols.kernel, cols.step);
                }
            }
            // The divisors depend on the row only through its cell count: most rows share them.
            const int row_cells = count_pad ? ry.counted : ry.count;
            if (row_cells != denominator_cells) {
                fill_denominators(denominator, cols, row_cells, count_pad, divisor);
                denominator_cells = row_cells;
            }
            float* dst = out_plane + static_cast<std::ptrdiff_t>(o) * out_w;
            if (fused && full_begin == 0 && full_end == out_w) {  // every window full: in place
                const float* top = plane + static_cast<std::ptrdiff_t>(ry.first) * s.width;
                kernels::pool_2x2(dst, top + cols.taps[0].first, top + s.width + cols.taps[0].first,
                                  out_w, kernels::Fold2x2::average, full_divisor, stream);
                continue;
            }
            if (fused) {
                const int first = cols.taps[static_cast<std::size_t>(full_begin)].first;
                const float* top = plane + static_cast<std::ptrdiff_t>(ry.first) * s.width;
                kernels::pool_2x2(line.data() + full_begin, top + first, top + s.width + first,
                                  full_end - full_begin, kernels::Fold2x2::average, full_divisor,
                                  false);
                kernels::divide_row(line.data(), acc.data(), denominator.data(), full_begin);
                kernels::divide_row(line.data() + full_end, acc.data() + full_end,
                                    denominator.data() + full_end, out_w - full_end);
            } else {
                kernels::divide_row(line.data(), acc.data(), denominator.data(), out_w);
            }
            kernels::store_row(dst, line.data(), out_w, stream);
        }
        kernels::store_fence();
    });
    return out;
}

std::optional<Tensor> fast_pool(const Tensor& in, const Window& win,
                                const MaxReducer& /*reducer*/) {
    return fast_extremum_pool(in, win, Extremum::max);
}

std::optional<Tensor> fast_pool(const Tensor& in, const Window& win,
                                const AvgPoolReducer& reducer) {
    return fast_avg_pool(in, win, reducer.count_pad, reducer.divisor);
}

}  // namespace convpool::ops
