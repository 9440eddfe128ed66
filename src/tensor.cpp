#include "convpool/tensor.hpp"

#include <fmt/format.h>
#include <sys/mman.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <new>
#include <stdexcept>

namespace convpool {

namespace detail {

namespace {
constexpr std::size_t kHugePage = std::size_t{2} << 20;
}  // namespace

void* allocate_values(std::size_t bytes) {
    if (bytes < kHugeBlock) {
        return ::operator new(bytes);
    }
    const std::size_t rounded = (bytes + kHugePage - 1) / kHugePage * kHugePage;
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
        // NOLINTNEXTLINE(cppcoreguidelines-no-malloc,cppcoreguidelines-owning-memory): see above
        std::free(p);
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
    float lo = std::numeric_limits<float>::infinity();
    float hi = -std::numeric_limits<float>::infinity();
    for (const float v : values) {
        if (std::isfinite(v)) {
            lo = std::min(lo, v);
            hi = std::max(hi, v);
        }
    }
    return lo <= hi ? std::optional<ValueRange>(ValueRange{lo, hi}) : std::nullopt;
}

}  // namespace convpool
