#include "ops/fast/blur.hpp"

#include "convpool/core/parallel.hpp"

#include <algorithm>
#include <array>
#include <cstddef>
#include <vector>

#include "ops/fast/pool.hpp"
#include "ops/fast/rows.hpp"

// Two builds of each row kernel on x86-64 GCC, AVX2 and the baseline, as in rows.cpp.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define CONVPOOL_BLUR_KERNEL __attribute__((target_clones("avx2", "default")))
#else
#define CONVPOOL_BLUR_KERNEL
#endif

namespace convpool::ops {
namespace {
// NOLINTBEGIN(bugprone-implicit-widening-of-multiplication-result): offsets within one row,
// products of int extents that fit in int; int indexes keep these loops vectorised.

/// phases[q * length + i] = row[i * stride + q] for every i * stride + q < width.
CONVPOOL_BLUR_KERNEL void split_phases(float* phases, const float* row, int width, int stride,
                                       int length) {
    if (stride == 1) {
        for (int x = 0; x < width; ++x) {
            phases[x] = row[x];
        }
        return;
    }
    if (stride == 2) {
        float* even = phases;
        float* odd = phases + length;
        const int pairs = width / 2;
        for (int i = 0; i < pairs; ++i) {
            even[i] = row[2 * i];
            odd[i] = row[2 * i + 1];
        }
        if (width % 2 == 1) {
            even[pairs] = row[width - 1];
        }
        return;
    }
    for (int q = 0; q < stride; ++q) {
        float* dst = phases + q * length;
        for (int i = 0, x = q; x < width; ++i, x += stride) {
            dst[i] = row[x];
        }
    }
}

/// out[i] = ((0.0F + taps[0] * src[0][i]) + taps[1] * src[1][i]) + ... over N sources, for
/// i < n: the taps in order, each a multiply then an add in float (never contracted).
template <std::size_t N>
[[gnu::always_inline]] inline void weighted_sum_t(float* out, const float* const* src,
                                                  const float* taps, int n) {
    std::array<const float*, N> p{};
    std::array<float, N> w{};
    for (std::size_t t = 0; t < N; ++t) {
        p[t] = src[t];
        w[t] = taps[t];
    }
    for (int i = 0; i < n; ++i) {
        float acc = 0.0F;
        for (std::size_t t = 0; t < N; ++t) {
            acc += w[t] * p[t][i];
        }
        out[i] = acc;
    }
}

/// The most taps of a blur (filter=7).
constexpr int kMaxTaps = 7;

/// weighted_sum_t over `count` (0..7) sources, each count's loop built for this clone's
/// instruction set.
CONVPOOL_BLUR_KERNEL void weighted_sum(float* out, const float* const* src, const float* taps,
                                       int count, int n) {
    switch (count) {
        case 0:
            weighted_sum_t<0>(out, src, taps, n);
            break;
        case 1:
            weighted_sum_t<1>(out, src, taps, n);
            break;
        case 2:
            weighted_sum_t<2>(out, src, taps, n);
            break;
        case 3:
            weighted_sum_t<3>(out, src, taps, n);
            break;
        case 4:
            weighted_sum_t<4>(out, src, taps, n);
            break;
        case 5:
            weighted_sum_t<5>(out, src, taps, n);
            break;
        case 6:
            weighted_sum_t<6>(out, src, taps, n);
            break;
        default:
            weighted_sum_t<kMaxTaps>(out, src, taps, n);
            break;
    }
}

// NOLINTEND(bugprone-implicit-widening-of-multiplication-result)

/// One thread's buffers and the two passes of the blur over one channel's piece of output rows.
class BlurBand {
public:
    BlurBand(const BlurLayout& layout, int in_width)
        : m_layout(layout),
          m_filter(static_cast<int>(layout.taps.size())),
          m_width(in_width),
          m_out_width(layout.out.width),
          m_phase_length((in_width + layout.stride.w - 1) / layout.stride.w + 1),
          m_phases(static_cast<std::size_t>(m_phase_length) *
                   static_cast<std::size_t>(layout.stride.w)),
          m_ring(static_cast<std::size_t>(m_filter) * static_cast<std::size_t>(m_out_width)),
          m_ring_rows(static_cast<std::size_t>(m_filter), -1),
          m_floats(static_cast<std::size_t>(m_out_width)) {
        // Interior output columns: every tap reads the input at ox*s - before + t.
        const int b = before_of(layout);
        const int s = layout.stride.w;
        m_inner_begin = std::min(m_out_width, (b + s - 1) / s);
        const int last = in_width - m_filter + b;  // largest ox*s with the last tap inside
        m_inner_end = last < 0 ? 0 : std::min(m_out_width, last / s + 1);
        m_inner_end = std::max(m_inner_end, m_inner_begin);
    }

    /// Output rows [first, end) of one channel: `source(y)` gives the blur's input row y.
    template <typename Source>
    void rows(int first, int end, float* out, bool stream, const Source& source) {
        std::fill(m_ring_rows.begin(), m_ring_rows.end(), -1);
        const int s = m_layout.stride.h;
        for (int oy = first; oy < end; ++oy) {
            std::array<const float*, kMaxTaps> sources{};
            std::array<float, kMaxTaps> weights{};
            int count = 0;
            for (int t = 0; t < m_filter; ++t) {
                const int padded = oy * s + t;
                const int y = m_layout.rows[static_cast<std::size_t>(padded)];
                if (y < 0) {
                    continue;  // a zero cell
                }
                const auto slot = static_cast<std::size_t>(padded % m_filter);
                float* filtered = m_ring.data() + slot * static_cast<std::size_t>(m_out_width);
                if (m_ring_rows[slot] != padded) {
                    filter_row(source(y), filtered);
                    m_ring_rows[slot] = padded;
                }
                sources[static_cast<std::size_t>(count)] = filtered;
                weights[static_cast<std::size_t>(count)] =
                    m_layout.taps[static_cast<std::size_t>(t)];
                ++count;
            }
            weighted_sum(m_floats.data(), sources.data(), weights.data(), count, m_out_width);
            kernels::store_row(out + static_cast<std::ptrdiff_t>(oy - first) * m_out_width,
                               m_floats.data(), m_out_width, stream);
        }
        if (stream) {
            kernels::store_fence();  // the streamed rows before whatever reads them
        }
    }

private:
    static int before_of(const BlurLayout& layout) {
        return (static_cast<int>(layout.taps.size()) - 1) / 2;
    }

    /// The row pass of one input row at the output columns: filtered[ox] = the sum from 0.0,
    /// tap by tap, of taps[t] * row[cols[ox * s + t]], zero cells skipped.
    void filter_row(const float* row, float* filtered) {
        const int s = m_layout.stride.w;
        const int b = before_of(m_layout);
        const std::vector<float>& taps = m_layout.taps;
        for (int ox = 0; ox < m_out_width; ++ox) {
            if (ox == m_inner_begin) {
                ox = m_inner_end;  // the interior is done below
                if (ox >= m_out_width) {
                    break;
                }
            }
            float acc = 0.0F;
            for (int t = 0; t < m_filter; ++t) {
                const int x =
                    m_layout.cols[static_cast<std::size_t>(ox) * static_cast<std::size_t>(s) +
                                  static_cast<std::size_t>(t)];
                if (x >= 0) {
                    acc += taps[static_cast<std::size_t>(t)] * row[x];
                }
            }
            filtered[ox] = acc;
        }
        const int n = m_inner_end - m_inner_begin;
        if (n <= 0) {
            return;
        }
        split_phases(m_phases.data(), row, m_width, s, m_phase_length);
        std::array<const float*, kMaxTaps> sources{};
        for (int t = 0; t < m_filter; ++t) {
            // Input column ox*s - b + t = (ox + shift)*s + phase.
            const int d = t - b;
            const int shift = d >= 0 ? d / s : -((-d + s - 1) / s);
            const int phase = d - shift * s;
            sources[static_cast<std::size_t>(t)] =
                m_phases.data() + static_cast<std::ptrdiff_t>(phase) * m_phase_length +
                m_inner_begin + shift;
        }
        weighted_sum(filtered + m_inner_begin, sources.data(), taps.data(), m_filter, n);
    }

    const BlurLayout& m_layout;
    int m_filter;
    int m_width;
    int m_out_width;
    int m_phase_length;
    int m_inner_begin = 0;
    int m_inner_end = 0;
    std::vector<float> m_phases;
    std::vector<float> m_ring;     ///< m_filter row-filtered rows, slot = padded row % filter
    std::vector<int> m_ring_rows;  ///< the padded row each slot holds, -1: none
    std::vector<float> m_floats;   ///< the column pass of one output row, to store
};

}  // namespace

Tensor fast_blur(const Tensor& in, const BlurLayout& layout) {
    const Shape& s = in.shape();
    Tensor out(layout.out, uninitialized);  // every row is stored by a band
    const bool stream = out.data().size_bytes() >= kernels::kStreamBytes;
    for_output_rows(
        layout.out, bytes_per_output_row(s, layout.out), [&](int c, int first, int end) {
            BlurBand band(layout, s.width);
            const float* plane = in.channel(c).data();
            float* dst =
                out.channel(c).data() + static_cast<std::ptrdiff_t>(first) * layout.out.width;
            band.rows(first, end, dst, stream,
                      [&](int y) { return plane + static_cast<std::ptrdiff_t>(y) * s.width; });
        });
    return out;
}

Tensor fast_maxblur(const Tensor& in, Size2 kernel, const BlurLayout& layout) {
    const Shape& s = in.shape();
    const int max_width = s.width - kernel.w + 1;  // the max pool's output width
    Tensor out(layout.out, uninitialized);         // every row is stored by a band
    const bool stream = out.data().size_bytes() >= kernels::kStreamBytes;
    for_output_rows(
        layout.out, bytes_per_output_row(s, layout.out), [&](int c, int first, int end) {
            BlurBand band(layout, max_width);
            const auto kh = static_cast<std::size_t>(kernel.h);
            const auto width = static_cast<std::size_t>(max_width);
            // Each input row's kernel.w taps folded in order, for the last kernel.h input rows
            // (slot y % kernel.h), and the max pool's row: those rows folded in order (the plain
            // reducer's row-major fold, by associativity).
            std::vector<float> folded(kh * width);
            std::vector<int> folded_rows(kh, -1);
            std::vector<float> row_max(width);
            const float* plane = in.channel(c).data();
            const auto fold = [&](int y) -> const float* {
                const std::size_t slot = static_cast<std::size_t>(y) % kh;
                float* dst = folded.data() + slot * width;
                if (folded_rows[slot] != y) {
                    const float* row = plane + static_cast<std::ptrdiff_t>(y) * s.width;
                    if (kernel.w == 1) {
                        std::copy(row, row + max_width, dst);
                    } else {
                        kernels::pick_rows(dst, row, row + 1, max_width, kernels::Pick::max);
                    }
                    for (int t = 2; t < kernel.w; ++t) {
                        kernels::pick_into(dst, row + t, max_width, kernels::Pick::max);
                    }
                    folded_rows[slot] = y;
                }
                return dst;
            };
            float* dst =
                out.channel(c).data() + static_cast<std::ptrdiff_t>(first) * layout.out.width;
            band.rows(first, end, dst, stream, [&](int y) {
                if (kernel.h == 1) {
                    return fold(y);
                }
                // Both folded rows stay in the ring (kernel.h slots) while they are combined.
                kernels::pick_rows(row_max.data(), fold(y), fold(y + 1), max_width,
                                   kernels::Pick::max);
                for (int t = 2; t < kernel.h; ++t) {
                    kernels::pick_into(row_max.data(), fold(y + t), max_width, kernels::Pick::max);
                }
                return static_cast<const float*>(row_max.data());
            });
        });
    return out;
}

}  // namespace convpool::ops
