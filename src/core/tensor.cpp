#include "convpool/core/tensor.hpp"

#include "convpool/core/parallel.hpp"

#include <fmt/format.h>
#include <sys/mman.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <iterator>
#include <limits>
#include <mutex>
#include <new>
#include <stdexcept>
#include <vector>

namespace convpool {

namespace detail {

namespace {
constexpr std::size_t kHugePage = std::size_t{2} << 20;
constexpr std::size_t kCachedBlocks = 6;
constexpr std::size_t kCachedBytes = std::size_t{768} << 20;

/// Large blocks that tensors gave back, kept for the next tensor of the same (2 MiB-rounded)
/// size: the stages of a pipeline, a batch of same-size images and bench's repeats then reuse
/// memory that is already mapped instead of faulting in, and zeroing, fresh pages for every
/// tensor (in a VM whose host reclaims free guest memory each such fault also costs a host
/// fault: a 2048x2048 pool ran 10x slower). At most kCachedBlocks blocks and kCachedBytes
/// bytes; past that the oldest block goes back to the system.
class BlockCache {
public:
    /// A cached block of exactly `bytes`, the most recently given back; nullptr when none.
    void* take(std::size_t bytes) {
        const std::lock_guard lock(m_mutex);
        for (auto it = m_blocks.rbegin(); it != m_blocks.rend(); ++it) {
            if (it->bytes == bytes) {
                void* p = it->p;
                m_total -= bytes;
                m_blocks.erase(std::next(it).base());
                return p;
            }
        }
        return nullptr;
    }

    void give(void* p, std::size_t bytes) noexcept {
        const std::lock_guard lock(m_mutex);
        try {
            m_blocks.push_back({p, bytes});
        } catch (...) {    // no room to remember it: return it
            std::free(p);  // NOLINT(cppcoreguidelines-no-malloc,cppcoreguidelines-owning-memory)
            return;
        }
        m_total += bytes;
        while (m_blocks.size() > kCachedBlocks || m_total > kCachedBytes) {
            // NOLINTNEXTLINE(cppcoreguidelines-no-malloc,cppcoreguidelines-owning-memory): ours
            std::free(m_blocks.front().p);
            m_total -= m_blocks.front().bytes;
            m_blocks.erase(m_blocks.begin());
        }
    }

private:
    struct Block {
        void* p;
        std::size_t bytes;
    };
    std::mutex m_mutex;
    std::vector<Block> m_blocks;  ///< oldest first
    std::size_t m_total = 0;
};

/// The process's cache, never destroyed: tensors freed during static destruction still find it.
BlockCache& block_cache() {
    // Deliberately leaked (see above); shared by every thread, guarded by its own mutex.
    // NOLINTNEXTLINE(cppcoreguidelines-owning-memory,cppcoreguidelines-avoid-non-const-global-variables)
    static auto* const cache = new BlockCache;
    return *cache;
}

std::size_t rounded_to_huge_pages(std::size_t bytes) {
    return (bytes + kHugePage - 1) / kHugePage * kHugePage;
}
}  // namespace

void* allocate_values(std::size_t bytes) {
    if (bytes < kHugeBlock) {
        return ::operator new(bytes);
    }
    const std::size_t rounded = rounded_to_huge_pages(bytes);
    if (void* cached = block_cache().take(rounded)) {
        return cached;
    }
    // NOLINTNEXTLINE(cppcoreguidelines-owning-memory): no GSL; free_values() releases it
    void* p = std::aligned_alloc(kHugePage, rounded);
    if (p == nullptr) {
        throw std::bad_alloc();
    }
#ifdef MADV_HUGEPAGE
    (void)::madvise(p, rounded, MADV_HUGEPAGE);  // a hint: without huge pages all still works
#endif
    return p;
}

void free_values(void* p, std::size_t bytes) noexcept {
    if (bytes < kHugeBlock) {
        ::operator delete(p);
    } else {
        // Blocks this large come from std::aligned_alloc (allocate_values above).
        block_cache().give(p, rounded_to_huge_pages(bytes));
    }
}

}  // namespace detail

Tensor::Tensor(Shape shape, const std::vector<float>& data)
    : m_shape(shape), m_data(data.begin(), data.end()) {
    if (m_data.size() != shape.elements()) {
        throw std::invalid_argument(fmt::format("tensor of {}x{}x{} needs {} values, got {}",
                                                shape.channels, shape.height, shape.width,
                                                shape.elements(), m_data.size()));
    }
}

std::optional<ValueRange> finite_value_range(std::span<const float> values) {
    // 16 running minima and maxima, one per lane, with selects instead of branches, so that the
    // compiler vectorises the loop (about 3x the scalar loop, which branched on isfinite); a NaN
    // or an infinity fails |v| <= FLT_MAX.
    constexpr float kInf = std::numeric_limits<float>::infinity();
    constexpr float kMax = std::numeric_limits<float>::max();
    constexpr std::size_t kLanes = 16;
    std::array<float, kLanes> lo{};
    std::array<float, kLanes> hi{};
    lo.fill(kInf);
    hi.fill(-kInf);
    const float* p = values.data();
    const std::size_t blocks = values.size() / kLanes * kLanes;
    for (std::size_t i = 0; i < blocks; i += kLanes) {
        for (std::size_t k = 0; k < kLanes; ++k) {
            const float v = p[i + k];
            const bool finite = std::fabs(v) <= kMax;
            lo[k] = finite && v < lo[k] ? v : lo[k];
            hi[k] = finite && v > hi[k] ? v : hi[k];
        }
    }
    float low = kInf;
    float high = -kInf;
    for (std::size_t k = 0; k < kLanes; ++k) {
        low = std::min(low, lo[k]);
        high = std::max(high, hi[k]);
    }
    for (std::size_t i = blocks; i < values.size(); ++i) {
        if (std::fabs(p[i]) <= kMax) {
            low = std::min(low, p[i]);
            high = std::max(high, p[i]);
        }
    }
    if (!(low <= high)) {
        return std::nullopt;
    }
    // Which zero a lane kept depends on the order of the values: a zero bound is always +0, so
    // the range is the same however the values are laid out.
    return ValueRange{low == 0.0F ? 0.0F : low, high == 0.0F ? 0.0F : high};
}

namespace {

/// Interleaved rows of T (row_of(y) points at row y, `step` values per pixel) as a C×H×W tensor,
/// each value v as value(v), in one pass over the rows (on every thread).
template <typename T, typename Value>
Tensor rows_to_tensor(int rows, int cols, int step, int channels, bool reversed,
                      const std::function<const T*(int)>& row_of, const Value& value) {
    Tensor t(Shape{channels, rows, cols}, uninitialized);
    const auto width = static_cast<std::size_t>(cols);
    const auto stride = static_cast<std::size_t>(step);
    parallel_for(
        static_cast<std::size_t>(rows), kMinBytesPerThread / (width * (4 + sizeof(T)) + 1) + 1,
        [&](std::size_t first, std::size_t last) {
            for (std::size_t y = first; y < last; ++y) {
                const T* row = row_of(static_cast<int>(y));
                for (int c = 0; c < channels; ++c) {
                    const auto src = static_cast<std::size_t>(reversed ? channels - 1 - c : c);
                    float* dst = t.channel(c).data() + y * width;
                    for (std::size_t x = 0; x < width; ++x) {
                        dst[x] = value(row[x * stride + src]);
                    }
                }
            }
        });
    return t;
}

}  // namespace

Tensor u8_rows_to_tensor(int rows, int cols, int step, int channels, bool reversed,
                         const std::function<const unsigned char*(int)>& row_of) {
    const auto scale = static_cast<float>(1.0 / 255.0);
    return rows_to_tensor(rows, cols, step, channels, reversed, row_of,
                          [scale](unsigned char v) { return static_cast<float>(v) * scale; });
}

Tensor u16_rows_to_tensor(int rows, int cols, int step, int channels, bool reversed,
                          const std::function<const std::uint16_t*(int)>& row_of) {
    // v / 65535 rounded to the nearest float, from a table (256 KiB) made once.
    static const std::vector<float> unit = [] {
        std::vector<float> table(65536);
        for (std::size_t v = 0; v < table.size(); ++v) {
            table[v] = static_cast<float>(static_cast<double>(v) / 65535.0);
        }
        return table;
    }();
    return rows_to_tensor(rows, cols, step, channels, reversed, row_of,
                          [&](std::uint16_t v) { return unit[v]; });
}

Tensor unit_tensor(const ImageU8& image) {
    const Shape& s = image.shape();
    return u8_rows_to_tensor(s.height, s.width, s.channels, s.channels, false,
                             [&image](int y) { return image.row(y).data(); });
}

}  // namespace convpool
