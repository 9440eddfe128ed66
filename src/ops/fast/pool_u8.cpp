#include "ops/fast/pool_u8.hpp"

#include "convpool/core/parallel.hpp"

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <utility>
#include <vector>

#include "ops/common/pooling.hpp"

// The byte shuffle of the stride-2 kernel needs SSSE3; it is built for AVX2 (the level the
// other kernels are built for) and chosen at run time when the machine has it.
#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define CONVPOOL_U8_AVX2 1  // NOLINT(cppcoreguidelines-macro-usage): tested by #if
#elif defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace convpool::ops {
namespace {

using Byte = std::uint8_t;

template <bool IsMax>
[[nodiscard]] inline Byte pick(Byte a, Byte b) {
    return IsMax ? std::max(a, b) : std::min(a, b);
}

/// The value padding stands for: it never wins a pick.
template <bool IsMax>
constexpr Byte kIdentity = IsMax ? Byte{0} : Byte{255};

// Contiguous loops: the compiler vectorises them (pmaxub/pminub are SSE2, the baseline).

/// dst[i] = pick(a[i], b[i]) for i < n.
template <bool IsMax>
void pick_bytes(Byte* __restrict dst, const Byte* __restrict a, const Byte* __restrict b,
                std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) {
        dst[i] = pick<IsMax>(a[i], b[i]);
    }
}

/// acc[i] = pick(acc[i], b[i]) for i < n.
template <bool IsMax>
void pick_bytes_into(Byte* __restrict acc, const Byte* __restrict b, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) {
        acc[i] = pick<IsMax>(acc[i], b[i]);
    }
}

/// The stride-2 column step: out[o*C + c] = the fold over rows r < count of rows[r][2oC + c]
/// and rows[r][2oC + c + offset], for pixels o in [from, n). A second tap at or past
/// `readable` bytes (a ceil-mode window cut by the end of the row) is left out.
template <bool IsMax>
void pairs_plain(Byte* out, const Byte* const* rows, int count, std::size_t from, std::size_t n,
                 std::size_t channels, std::size_t offset, std::size_t readable) {
    for (std::size_t o = from; o < n; ++o) {
        const std::size_t at = 2 * o * channels;
        const bool second = at + offset + channels <= readable;
        for (std::size_t c = 0; c < channels; ++c) {
            Byte v = kIdentity<IsMax>;
            for (int r = 0; r < count; ++r) {
                v = pick<IsMax>(v, rows[r][at + c]);
                if (second) {
                    v = pick<IsMax>(v, rows[r][at + c + offset]);
                }
            }
            out[o * channels + c] = v;
        }
    }
}

#if defined(CONVPOOL_U8_AVX2)
/// Input bytes one step of the AVX2 kernel reads from each row (at two offsets), and the output
/// bytes it writes. A step is two groups of 48 input bytes: 48 bytes hold a whole number of
/// pixel pairs for every C that divides 24.
constexpr std::size_t kStepIn = 96;
constexpr std::size_t kStepOut = 48;

/// Byte shuffles that gather the even pixels of a step, six 16-byte blocks b0..b5, into 48
/// bytes. Within a group (b0 b1 b2, or b3 b4 b5) the first 16 output bytes come from its first
/// two blocks and the last 8 from its last two, so the shuffles run on 32-byte pairs of blocks:
/// x on [b0 | b1], y on [b2 | b3], z on [b4 | b5], and hi on [b4 | b1].
struct PairMasks {
    __m256i x;
    __m256i y;
    __m256i z;
    __m256i hi;
};

__attribute__((target("avx2"))) inline __m256i lanes(__m128i low, __m128i high) {
    return _mm256_inserti128_si256(_mm256_castsi128_si256(low), high, 1);
}

/// The masks for C channels (C divides 24). A mask byte with its top bit set writes 0.
__attribute__((target("avx2"))) PairMasks pair_masks(std::size_t channels) {
    // For one group: its first 16 output bytes from blocks 0 and 1, its last 8 from 1 and 2.
    std::array<std::array<Byte, 16>, 4> m{};
    for (auto& mask : m) {
        mask.fill(0x80);
    }
    for (std::size_t j = 0; j < kStepOut / 2; ++j) {
        // Output byte j is channel j % C of output pixel j / C: input pixel 2 * (j / C).
        const std::size_t q = (j / channels) * 2 * channels + j % channels;
        const std::size_t block = q / 16;
        const auto lane = static_cast<Byte>(q % 16);
        if (j < 16) {
            m[block == 0 ? 0 : 1][j] = lane;  // q < 32 here
        } else {
            m[block == 1 ? 2 : 3][j - 16] = lane;  // 16 <= q < 48 here
        }
    }
    const auto load = [&m](std::size_t i) {
        return _mm_loadu_si128(reinterpret_cast<const __m128i*>(m[i].data()));
    };
    const __m128i lo_from0 = load(0);
    const __m128i lo_from1 = load(1);
    const __m128i hi_from1 = load(2);
    const __m128i hi_from2 = load(3);
    return {lanes(lo_from0, lo_from1), lanes(hi_from2, lo_from0), lanes(lo_from1, hi_from2),
            lanes(hi_from1, hi_from1)};
}

template <bool IsMax>
__attribute__((target("avx2"))) inline __m256i pick32(__m256i a, __m256i b) {
    if constexpr (IsMax) {
        return _mm256_max_epu8(a, b);
    } else {
        return _mm256_min_epu8(a, b);
    }
}

__attribute__((target("avx2"))) inline __m256i load32(const Byte* p) {
    return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
}

__attribute__((target("avx2"))) inline void store16(Byte* p, __m128i v) {
    _mm_storeu_si128(reinterpret_cast<__m128i*>(p), v);
}

/// 32 bytes at `at` of the stride-2 step before the gather: the fold over the rows of the
/// bytes at `at` and at `at + offset`. Count > 0 fixes the number of rows at compile time.
template <bool IsMax, int Count>
__attribute__((target("avx2"))) inline __m256i fold32(const Byte* const* rows, int count,
                                                      std::size_t at, std::size_t offset) {
    const int n = Count > 0 ? Count : count;
    __m256i v = pick32<IsMax>(load32(rows[0] + at), load32(rows[0] + at + offset));
    for (int r = 1; r < n; ++r) {
        v = pick32<IsMax>(v, pick32<IsMax>(load32(rows[r] + at), load32(rows[r] + at + offset)));
    }
    return v;
}

/// One step of pairs_plain's work: input bytes [at, at + 96) (and 96 from at + offset) to
/// output bytes [at / 2, at / 2 + 48).
template <bool IsMax, int Count>
__attribute__((target("avx2"))) inline void pairs_step(Byte* out, const Byte* const* rows,
                                                       int count, std::size_t at,
                                                       std::size_t offset, const PairMasks& m) {
    const __m256i h01 = fold32<IsMax, Count>(rows, count, at, offset);       // b0 | b1
    const __m256i h23 = fold32<IsMax, Count>(rows, count, at + 32, offset);  // b2 | b3
    const __m256i h45 = fold32<IsMax, Count>(rows, count, at + 64, offset);  // b4 | b5
    const __m256i x = _mm256_shuffle_epi8(h01, m.x);
    const __m256i y = _mm256_shuffle_epi8(h23, m.y);
    const __m256i z = _mm256_shuffle_epi8(h45, m.z);
    const __m256i hi = _mm256_shuffle_epi8(_mm256_blend_epi32(h45, h01, 0xF0), m.hi);
    // Group 0: lo0 (16 bytes), hi0 (8); group 1: lo1 (16), hi1 (8).
    const __m128i lo0 = _mm_or_si128(_mm256_castsi256_si128(x), _mm256_extracti128_si256(x, 1));
    const __m128i hi0 = _mm_or_si128(_mm256_extracti128_si256(hi, 1), _mm256_castsi256_si128(y));
    const __m128i lo1 = _mm_or_si128(_mm256_extracti128_si256(y, 1), _mm256_castsi256_si128(z));
    const __m128i hi1 = _mm_or_si128(_mm256_castsi256_si128(hi), _mm256_extracti128_si256(z, 1));
    Byte* dst = out + at / 2;
    store16(dst, lo0);
    store16(dst + 16, _mm_unpacklo_epi64(hi0, lo1));
    store16(dst + 32, _mm_alignr_epi8(hi1, lo1, 8));
}

/// How far ahead of its reads the AVX2 kernel asks for each row (bytes): a little earlier than
/// the hardware's stream prefetch would.
constexpr std::size_t kPrefetchBytes = 1024;

/// Output bytes [0, 48 * steps) of pairs_plain's work.
template <bool IsMax, int Count>
__attribute__((target("avx2"))) void pairs_avx2(Byte* out, const Byte* const* rows, int count,
                                                std::size_t steps, std::size_t offset,
                                                std::size_t readable, const PairMasks& m) {
    const int row_count = Count > 0 ? Count : count;
    for (std::size_t i = 0; i < steps; ++i) {
        const std::size_t at = i * kStepIn;
        if (at + kPrefetchBytes + kStepIn <= readable) {
            for (int r = 0; r < row_count; ++r) {
                const Byte* ahead = rows[r] + at + kPrefetchBytes;
                _mm_prefetch(reinterpret_cast<const char*>(ahead), _MM_HINT_T0);
                _mm_prefetch(reinterpret_cast<const char*>(ahead + 64), _MM_HINT_T0);
            }
        }
        pairs_step<IsMax, Count>(out, rows, count, at, offset, m);
    }
}

bool has_avx2() {
    static const bool has = static_cast<bool>(__builtin_cpu_supports("avx2"));
    return has;
}
#endif

/// Outputs of at least this many bytes are written with non-temporal stores (as the float
/// kernels do): they cannot stay cached, and streaming them saves reading each line first.
constexpr std::size_t kStreamBytes = std::size_t{8} << 20;

/// dst[i] = src[i] for i < n by non-temporal stores where the target has them.
void stream_bytes(Byte* dst, const Byte* src, std::size_t n) {
#if defined(__SSE2__)
    std::size_t i = 0;
    for (; i < n && reinterpret_cast<std::uintptr_t>(dst + i) % 16 != 0; ++i) {
        dst[i] = src[i];
    }
    for (; i + 16 <= n; i += 16) {
        _mm_stream_si128(reinterpret_cast<__m128i*>(dst + i),
                         _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + i)));
    }
    std::memcpy(dst + i, src + i, n - i);
#else
    std::memcpy(dst, src, n);
#endif
}

/// The stride-2 column step (see pairs_plain) over whole rows: pairs of pixels folded and the
/// even ones gathered, 48 output bytes at a time with AVX2, the rest by the plain loop.
template <bool IsMax>
class PairStep {  // NOLINT(clang-analyzer-optin.performance.Padding): one per call
public:
    explicit PairStep(std::size_t channels) : m_channels(channels) {
#if defined(CONVPOOL_U8_AVX2)
        // NOLINTNEXTLINE(cppcoreguidelines-prefer-member-initializer): AVX2 builds only
        m_simd = has_avx2() && (kStepOut / 2) % channels == 0;
        if (m_simd) {
            m_masks = pair_masks(channels);
        }
#endif
    }

    void apply(Byte* out, const Byte* const* rows, int count, std::size_t n, std::size_t offset,
               std::size_t readable) {
        std::size_t done = 0;  // output pixels written
#if defined(CONVPOOL_U8_AVX2)
        const std::size_t out_bytes = n * m_channels;
        if (m_simd && out_bytes >= kStepOut && readable >= offset + kStepIn) {
            const std::size_t steps = std::min((readable - offset) / kStepIn, out_bytes / kStepOut);
            if (count == 1) {
                pairs_avx2<IsMax, 1>(out, rows, count, steps, offset, readable, m_masks);
            } else if (count == 2) {
                pairs_avx2<IsMax, 2>(out, rows, count, steps, offset, readable, m_masks);
            } else {
                pairs_avx2<IsMax, 0>(out, rows, count, steps, offset, readable, m_masks);
            }
            done = steps * kStepOut / m_channels;
            if (done < n && 2 * out_bytes - m_channels + offset <= readable) {
                last_step(out, rows, count, out_bytes, offset, readable);
                done = n;
            }
        }
#endif
        pairs_plain<IsMax>(out, rows, count, done, n, m_channels, offset, readable);
    }

private:
#if defined(CONVPOOL_U8_AVX2)
    /// The step that ends with the output (rewriting a few outputs with the same values): whole
    /// pixel pairs, as C divides 24. Where its loads would run past the rows (by at most
    /// `offset` bytes that no output reads), it runs on copies of the rows' ends.
    void last_step(Byte* out, const Byte* const* rows, int count, std::size_t out_bytes,
                   std::size_t offset, std::size_t readable) {
        const std::size_t last = 2 * (out_bytes - kStepOut);
        if (last + kStepIn + offset <= readable) {
            pairs_step<IsMax, 0>(out, rows, count, last, offset, m_masks);
            return;
        }
        const std::size_t len = kStepIn + offset;
        m_tail.assign(static_cast<std::size_t>(count) * len, 0);
        m_tail_rows.resize(static_cast<std::size_t>(count));
        for (std::size_t r = 0; r < m_tail_rows.size(); ++r) {
            Byte* copy = m_tail.data() + r * len;
            std::memcpy(copy, rows[r] + last, readable - last);
            m_tail_rows[r] = copy;
        }
        pairs_step<IsMax, 0>(out + last / 2, m_tail_rows.data(), count, 0, offset, m_masks);
    }
#endif

    std::size_t m_channels;
#if defined(CONVPOOL_U8_AVX2)
    bool m_simd = false;
    PairMasks m_masks{};
    std::vector<Byte> m_tail;  ///< copies of the rows' ends for last_step
    std::vector<const Byte*> m_tail_rows;
#endif
};

/// One thread's output rows: folds the input rows of each window, then its columns.
template <bool IsMax>
class RowPooler {
public:
    RowPooler(const Shape& in, const Axis& cols, int out_w, bool stream)
        : m_width(static_cast<std::size_t>(in.width)),
          m_channels(static_cast<std::size_t>(in.channels)),
          m_cols(cols),
          m_out_w(static_cast<std::size_t>(out_w)),
          // Stride 2 over at most 2 columns with no column padding: every window reads the
          // input rows in place.
          m_in_place(cols.pad_begin == 0 && cols.kernel <= 2 && cols.stride == 2),
          m_pairs(m_channels) {
        if (stream) {
            m_out_line.resize(m_out_w * m_channels);
        }
        if (!m_in_place) {
            // The rows' fold, with the padding on both sides and any ceil-mode overhang.
            const auto cells = static_cast<std::size_t>(std::max(
                cols.pad_begin + in.width, (out_w - 1) * cols.stride + cols.effective_kernel()));
            m_line.assign(cells * m_channels, kIdentity<IsMax>);
            m_level_a.resize(m_line.size());
            m_level_b.resize(m_line.size());
        }
    }

    /// Writes the output row whose windows read `rows[0..count)` (count >= 1) to `out`.
    void apply(const Byte* const* rows, int count, Byte* out) {
        if (m_out_line.empty()) {
            compute(rows, count, out);
        } else {
            compute(rows, count, m_out_line.data());
            stream_bytes(out, m_out_line.data(), m_out_line.size());
        }
    }

private:
    void compute(const Byte* const* rows, int count, Byte* dst) {
        const std::size_t c = m_channels;
        const std::size_t dilation = static_cast<std::size_t>(m_cols.dilation) * c;
        if (m_in_place) {
            m_pairs.apply(dst, rows, count, m_out_w,
                          static_cast<std::size_t>(m_cols.kernel - 1) * dilation, m_width * c);
            return;
        }
        Byte* mid = m_line.data() + static_cast<std::size_t>(m_cols.pad_begin) * c;
        const std::size_t row_bytes = m_width * c;
        if (count == 1) {
            std::memcpy(mid, rows[0], row_bytes);
        } else {
            pick_bytes<IsMax>(mid, rows[0], rows[1], row_bytes);
            for (int r = 2; r < count; ++r) {
                pick_bytes_into<IsMax>(mid, rows[r], row_bytes);
            }
        }
        // Doubling: cur[x] folds the taps x, x+d, ..., x+(taps-1)*d (in pixels).
        const Byte* cur = m_line.data();
        std::size_t valid = m_line.size();  // cur[i] is defined for i < valid (bytes)
        int taps = 1;
        Byte* next = m_level_a.data();
        Byte* spare = m_level_b.data();
        while (2 * taps < m_cols.kernel) {
            const std::size_t shift = static_cast<std::size_t>(taps) * dilation;
            pick_bytes<IsMax>(next, cur, cur + shift, valid - shift);
            valid -= shift;
            taps *= 2;
            cur = next;
            std::swap(next, spare);
        }
        // The last step may overlap the two halves: picking is idempotent.
        const std::size_t offset = static_cast<std::size_t>(m_cols.kernel - taps) * dilation;
        const auto stride = static_cast<std::size_t>(m_cols.stride);
        if (stride == 1) {
            pick_bytes<IsMax>(dst, cur, cur + offset, m_out_w * c);
        } else if (stride == 2) {
            m_pairs.apply(dst, &cur, 1, m_out_w, offset, valid);
        } else {
            for (std::size_t o = 0; o < m_out_w; ++o) {
                const Byte* at = cur + o * stride * c;
                pick_bytes<IsMax>(dst + o * c, at, at + offset, c);
            }
        }
    }

    std::size_t m_width;
    std::size_t m_channels;
    Axis m_cols;
    std::size_t m_out_w;
    bool m_in_place;
    PairStep<IsMax> m_pairs;
    std::vector<Byte> m_out_line;  ///< with streaming stores: the row before it is streamed
    std::vector<Byte> m_line;      ///< the rows' fold, padded with the identity
    std::vector<Byte> m_level_a;
    std::vector<Byte> m_level_b;
};

/// The rows each window of rows folds, for long windows (dilation 1): van Herk/Gil-Werman.
/// Padded rows are cut into blocks of `kernel`; per block, prefix folds P and suffix folds S
/// of its rows. A window starting at padded row p = b*k + j is P_b[k-1] when j = 0, else
/// S_b[j] with P_(b+1)[j-1]: two rows for the row pooler to fold, whatever the kernel, each
/// input row folded twice. Picking bytes is associative and commutative, so the grouping is
/// free (the float pools keep the plain loop's order for NaN and -0; bytes have neither).
template <bool IsMax>
class BlockFolds {
public:
    BlockFolds(const ImageU8& in, const Axis& rows)
        : m_in(in),
          m_rows(rows),
          m_bytes(in.row_bytes()),
          m_block{Block(static_cast<std::size_t>(rows.kernel) * m_bytes),
                  Block(static_cast<std::size_t>(rows.kernel) * m_bytes)} {}

    /// Points taps[0..n) at the rows whose fold is output row `o`'s window; returns n (1 or 2).
    int taps(int o, const Byte** taps) {
        const int k = m_rows.kernel;
        const int p = o * m_rows.stride;
        const int b = p / k;
        const int j = p % k;
        const Block& first = load(b);
        if (j == 0) {
            taps[0] = first.prefix.data() + static_cast<std::size_t>(k - 1) * m_bytes;
            return 1;
        }
        const Block& second = load(b + 1);
        taps[0] = first.suffix.data() + static_cast<std::size_t>(j) * m_bytes;
        taps[1] = second.prefix.data() + static_cast<std::size_t>(j - 1) * m_bytes;
        return 2;
    }

private:
    struct Block {
        explicit Block(std::size_t size) : prefix(size), suffix(size) {}
        int index = -1;
        std::vector<Byte> prefix;
        std::vector<Byte> suffix;
    };

    /// Block `b`'s folds, computed on first use (each window reads block b and b + 1, and b
    /// only grows, so two buffers suffice).
    const Block& load(int b) {
        for (const Block& blk : m_block) {
            if (blk.index == b) {
                return blk;
            }
        }
        Block& blk = m_block[static_cast<std::size_t>(b & 1)];
        blk.index = b;
        const int k = m_rows.kernel;
        const auto row_at = [&](int j) -> const Byte* {
            const int y = b * k + j - m_rows.pad_begin;
            return y >= 0 && y < m_in.shape().height ? m_in.row(y).data() : nullptr;
        };
        const auto fold = [&](Byte* dst, const Byte* acc, const Byte* row) {
            if (row == nullptr) {  // padding: the identity, which never wins
                std::memmove(dst, acc, m_bytes);
            } else {
                pick_bytes<IsMax>(dst, acc, row, m_bytes);
            }
        };
        const auto copy = [&](Byte* dst, const Byte* row) {
            if (row == nullptr) {
                std::memset(dst, kIdentity<IsMax>, m_bytes);
            } else {
                std::memcpy(dst, row, m_bytes);
            }
        };
        Byte* pre = blk.prefix.data();
        Byte* suf = blk.suffix.data();
        copy(pre, row_at(0));
        for (int j = 1; j < k; ++j) {
            const auto at = static_cast<std::size_t>(j) * m_bytes;
            fold(pre + at, pre + at - m_bytes, row_at(j));
        }
        const auto last = static_cast<std::size_t>(k - 1) * m_bytes;
        copy(suf + last, row_at(k - 1));
        for (int j = k - 2; j >= 0; --j) {
            const auto at = static_cast<std::size_t>(j) * m_bytes;
            fold(suf + at, suf + at + m_bytes, row_at(j));
        }
        return blk;
    }

    const ImageU8& m_in;
    Axis m_rows;
    std::size_t m_bytes;
    std::array<Block, 2> m_block;
};

/// Windows of at least this many rows (dilation 1, overlapping) fold their rows by blocks.
constexpr int kBlockFoldRows = 5;

template <bool IsMax>
ImageU8 pool_u8(const ImageU8& in, const Window& win) {
    const Shape& s = in.shape();
    const AxisPlan rows = sliding_plan(s.height, win.rows);
    const Shape out_shape{s.channels, static_cast<int>(rows.taps.size()),
                          output_extent(s.width, win.cols)};
    ImageU8 out(out_shape, uninitialized);  // every value is written below
    const auto out_rows = static_cast<std::size_t>(out_shape.height);
    const std::size_t row_bytes = in.data().size() / std::max<std::size_t>(out_rows, 1) +
                                  out.row_bytes();  // read and written per output row
    const std::size_t grain = std::max<std::size_t>(1, kMinBytesPerThread / row_bytes);
    const bool stream = out.data().size() >= kStreamBytes;
    const bool by_blocks = win.rows.dilation == 1 && win.rows.kernel >= kBlockFoldRows &&
                           win.rows.stride < win.rows.kernel;
    parallel_for(out_rows, grain, [&](std::size_t begin, std::size_t end) {
        RowPooler<IsMax> pooler(s, win.cols, out_shape.width, stream);
        std::vector<const Byte*> taps(static_cast<std::size_t>(win.rows.kernel));
        std::optional<BlockFolds<IsMax>> blocks;
        if (by_blocks) {
            blocks.emplace(in, win.rows);
        }
        for (std::size_t o = begin; o < end; ++o) {
            int count = 0;
            if (blocks) {
                count = blocks->taps(static_cast<int>(o), taps.data());
            } else {
                const AxisTaps& t = rows.taps[o];
                for (int k = 0; k < t.count; ++k) {
                    taps[static_cast<std::size_t>(k)] = in.row(t.first + k * rows.step).data();
                }
                count = t.count;
            }
            pooler.apply(taps.data(), count, out.row(static_cast<int>(o)).data());
        }
#if defined(__SSE2__)
        _mm_sfence();  // order this thread's non-temporal stores before the join
#endif
    });
    return out;
}

template <bool IsMax>
ImageU8 pool_u8_plain(const ImageU8& in, const Window& win) {
    const Shape& s = in.shape();
    const AxisPlan rows = sliding_plan(s.height, win.rows);
    const AxisPlan cols = sliding_plan(s.width, win.cols);
    ImageU8 out(
        Shape{s.channels, static_cast<int>(rows.taps.size()), static_cast<int>(cols.taps.size())});
    for (std::size_t oy = 0; oy < rows.taps.size(); ++oy) {
        const AxisTaps& ry = rows.taps[oy];
        for (std::size_t ox = 0; ox < cols.taps.size(); ++ox) {
            const AxisTaps& rx = cols.taps[ox];
            for (int c = 0; c < s.channels; ++c) {
                Byte v = kIdentity<IsMax>;
                for (int ty = 0; ty < ry.count; ++ty) {
                    for (int tx = 0; tx < rx.count; ++tx) {
                        v = pick<IsMax>(
                            v, in.at(c, ry.first + ty * rows.step, rx.first + tx * cols.step));
                    }
                }
                out.at(c, static_cast<int>(oy), static_cast<int>(ox)) = v;
            }
        }
    }
    return out;
}

}  // namespace

bool windows_read_input(const Shape& in, const Window& win) {
    const auto reads = [](int extent, const Axis& axis) {
        const AxisPlan plan = sliding_plan(extent, axis);
        return std::all_of(plan.taps.begin(), plan.taps.end(),
                           [](const AxisTaps& t) { return t.count > 0; });
    };
    return reads(in.height, win.rows) && reads(in.width, win.cols);
}

ImageU8 extremum_pool_u8_plain(const ImageU8& in, const Window& win, Extremum which) {
    return which == Extremum::max ? pool_u8_plain<true>(in, win) : pool_u8_plain<false>(in, win);
}

ImageU8 extremum_pool_u8(const ImageU8& in, const Window& win, Extremum which) {
    return which == Extremum::max ? pool_u8<true>(in, win) : pool_u8<false>(in, win);
}

}  // namespace convpool::ops
