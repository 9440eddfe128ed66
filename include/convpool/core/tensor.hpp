#pragma once
/// \file tensor.hpp
/// Shape and Tensor: an owning C×H×W float32 feature map, channels stored one after another;
/// ImageU8: an owning 8-bit image, channels interleaved per pixel (H×W×C) as decoders give it.
/// ValueRange and finite_value_range(), the finite [min, max] of a span of values.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <new>
#include <optional>
#include <span>
#include <type_traits>
#include <utility>
#include <vector>

namespace convpool {

/// Extent of a feature map: channels, height, width (printed as CxHxW).
struct Shape {
    int channels = 0;
    int height = 0;
    int width = 0;

    /// Number of values, C*H*W; SIZE_MAX when an extent is negative or the product does not
    /// fit (so every size limit refuses it).
    [[nodiscard]] std::size_t elements() const noexcept {
        std::size_t n = 0;
        return channels < 0 ||
                       __builtin_mul_overflow(static_cast<std::size_t>(channels), plane(), &n)
                   ? SIZE_MAX
                   : n;
    }
    /// Number of values in one channel, H*W; SIZE_MAX as elements().
    [[nodiscard]] std::size_t plane() const noexcept {
        std::size_t n = 0;
        return height < 0 || width < 0 ||
                       __builtin_mul_overflow(static_cast<std::size_t>(height),
                                              static_cast<std::size_t>(width), &n)
                   ? SIZE_MAX
                   : n;
    }
    friend bool operator==(const Shape&, const Shape&) = default;
};

namespace detail {
/// Memory for tensor values. Blocks of kHugeBlock bytes or more are aligned to 2 MiB and
/// marked for transparent huge pages (madvise), so that a new 48 MB feature map faults in
/// about 24 pages rather than 12,000, and freed ones are kept in a small cache for the next
/// tensor of the same size (see src/core/tensor.cpp); smaller blocks come from operator new.
[[nodiscard]] void* allocate_values(std::size_t bytes);
void free_values(void* p, std::size_t bytes) noexcept;
inline constexpr std::size_t kHugeBlock = std::size_t{8} << 20;
}  // namespace detail

/// An allocator for tensor values: elements constructed without a value are left
/// uninitialised (default-initialised), so that Tensor(shape, uninitialized) skips zeroing
/// memory that a kernel is about to overwrite, and large blocks use huge pages
/// (detail::allocate_values).
template <typename T>
struct DefaultInitAllocator : std::allocator<T> {
    // NOLINTBEGIN(readability-identifier-naming): names the allocator requirements fix
    template <typename U>
    struct rebind {
        using other = DefaultInitAllocator<U>;
    };
    // NOLINTEND(readability-identifier-naming)
    using std::allocator<T>::allocator;
    [[nodiscard]] T* allocate(std::size_t n) {
        return static_cast<T*>(detail::allocate_values(n * sizeof(T)));
    }
    void deallocate(T* p, std::size_t n) noexcept { detail::free_values(p, n * sizeof(T)); }
    template <typename U>
    void construct(U* p) noexcept(std::is_nothrow_default_constructible_v<U>) {
        ::new (static_cast<void*>(p)) U;
    }
    template <typename U, typename... Args>
    void construct(U* p, Args&&... args) {
        ::new (static_cast<void*>(p)) U(std::forward<Args>(args)...);
    }
};

/// Tag of the constructor that leaves values uninitialised.
struct Uninitialized {};
/// Tensor(shape, uninitialized): every value is written by the caller before it is read.
// NOLINTNEXTLINE(readability-identifier-naming): a tag object, named like std::in_place
inline constexpr Uninitialized uninitialized{};

/// Owning C×H×W float32 tensor. A value type: cheap to move, copied on purpose.
class Tensor {
public:
    Tensor() = default;
    /// A tensor of `shape` filled with `value`.
    explicit Tensor(Shape shape, float value = 0.0F)
        : m_shape(shape), m_data(shape.elements(), value) {}
    /// A tensor of `shape` whose values the caller writes before reading any (for kernels that
    /// write every output: no zeroing pass first).
    Tensor(Shape shape, Uninitialized /*tag*/) : m_shape(shape), m_data(shape.elements()) {}
    /// A tensor holding a copy of `data` (size must equal shape.elements()).
    Tensor(Shape shape, const std::vector<float>& data);

    [[nodiscard]] const Shape& shape() const noexcept { return m_shape; }
    [[nodiscard]] std::span<const float> data() const noexcept { return m_data; }
    [[nodiscard]] std::span<float> data() noexcept { return m_data; }
    /// The H*W values of channel `c`, row-major.
    [[nodiscard]] std::span<const float> channel(int c) const noexcept {
        return std::span<const float>(m_data).subspan(offset(c, 0, 0), m_shape.plane());
    }
    [[nodiscard]] std::span<float> channel(int c) noexcept {
        return std::span<float>(m_data).subspan(offset(c, 0, 0), m_shape.plane());
    }
    [[nodiscard]] float at(int c, int y, int x) const noexcept { return m_data[offset(c, y, x)]; }
    [[nodiscard]] float& at(int c, int y, int x) noexcept { return m_data[offset(c, y, x)]; }

private:
    [[nodiscard]] std::size_t offset(int c, int y, int x) const noexcept {
        return (static_cast<std::size_t>(c) * static_cast<std::size_t>(m_shape.height) +
                static_cast<std::size_t>(y)) *
                   static_cast<std::size_t>(m_shape.width) +
               static_cast<std::size_t>(x);
    }

    Shape m_shape;
    std::vector<float, DefaultInitAllocator<float>> m_data;
};

/// Owning 8-bit image, interleaved as decoded: row y holds pixels x = 0..W-1, each with its C
/// channel values side by side (H×W×C, "HWC"). Its shape() still gives C, H and W (printed as
/// CxHxW like a tensor's). The stages that only pick values (max and min pooling) run on it
/// without converting to float (Op::apply_u8). A value type, like Tensor.
class ImageU8 {
public:
    ImageU8() = default;
    /// An image of `shape` filled with `value`.
    explicit ImageU8(Shape shape, std::uint8_t value = 0)
        : m_shape(shape), m_data(shape.elements(), value) {}
    /// An image of `shape` whose values the caller writes before reading any.
    ImageU8(Shape shape, Uninitialized /*tag*/) : m_shape(shape), m_data(shape.elements()) {}

    [[nodiscard]] const Shape& shape() const noexcept { return m_shape; }
    [[nodiscard]] std::span<const std::uint8_t> data() const noexcept { return m_data; }
    [[nodiscard]] std::span<std::uint8_t> data() noexcept { return m_data; }
    /// Bytes of one row, W*C.
    [[nodiscard]] std::size_t row_bytes() const noexcept {
        return static_cast<std::size_t>(m_shape.width) * static_cast<std::size_t>(m_shape.channels);
    }
    /// The W*C values of row `y`, pixel after pixel.
    [[nodiscard]] std::span<const std::uint8_t> row(int y) const noexcept {
        return std::span<const std::uint8_t>(m_data).subspan(
            static_cast<std::size_t>(y) * row_bytes(), row_bytes());
    }
    [[nodiscard]] std::span<std::uint8_t> row(int y) noexcept {
        return std::span<std::uint8_t>(m_data).subspan(static_cast<std::size_t>(y) * row_bytes(),
                                                       row_bytes());
    }
    /// Channel `c` of pixel (y, x).
    [[nodiscard]] std::uint8_t at(int c, int y, int x) const noexcept {
        return m_data[offset(c, y, x)];
    }
    [[nodiscard]] std::uint8_t& at(int c, int y, int x) noexcept { return m_data[offset(c, y, x)]; }

private:
    [[nodiscard]] std::size_t offset(int c, int y, int x) const noexcept {
        return static_cast<std::size_t>(y) * row_bytes() +
               static_cast<std::size_t>(x) * static_cast<std::size_t>(m_shape.channels) +
               static_cast<std::size_t>(c);
    }

    Shape m_shape;
    std::vector<std::uint8_t, DefaultInitAllocator<std::uint8_t>> m_data;
};

/// A closed range of values [lo, hi], e.g. the values a colour map spans.
struct ValueRange {
    float lo = 0.0F;
    float hi = 0.0F;
};

/// The smallest and largest finite value of `values`; NaN and +-inf are left out. Unset when no
/// value is finite (all NaN or infinite, or `values` empty).
[[nodiscard]] std::optional<ValueRange> finite_value_range(std::span<const float> values);

/// 8-bit interleaved rows (row_of(y) points at row y, `step` values per pixel) as a C×H×W
/// tensor of `channels` planes with values v / 255 (v times the float 1/255, as OpenCV's
/// convertTo computes them), in one pass. Plane c takes value c of each pixel, or value
/// channels-1-c with `reversed` (BGR to RGB); values past `channels` (alpha) are dropped.
[[nodiscard]] Tensor u8_rows_to_tensor(int rows, int cols, int step, int channels, bool reversed,
                                       const std::function<const unsigned char*(int)>& row_of);

/// 16-bit interleaved rows as u8_rows_to_tensor takes 8-bit ones: values v / 65535, each
/// rounded to the nearest float, in one pass (no float copy of the interleaved image).
[[nodiscard]] Tensor u16_rows_to_tensor(int rows, int cols, int step, int channels, bool reversed,
                                        const std::function<const std::uint16_t*(int)>& row_of);

/// The tensor load_image gives for an 8-bit image that load_image_u8 (io/image_io.hpp) gives as
/// `image`: C×H×W, every value v as v / 255 (v times the float 1/255), bit for bit.
[[nodiscard]] Tensor unit_tensor(const ImageU8& image);

}  // namespace convpool
