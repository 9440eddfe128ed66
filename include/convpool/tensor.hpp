#pragma once
/// \file tensor.hpp
/// Shape and Tensor: an owning C×H×W float32 feature map, channels stored one after another.

#include <cstddef>
#include <span>
#include <vector>

namespace convpool {

/// Extent of a feature map: channels, height, width (printed as CxHxW).
struct Shape {
    int channels = 0;
    int height = 0;
    int width = 0;

    /// Number of values, C*H*W.
    [[nodiscard]] std::size_t elements() const noexcept {
        return static_cast<std::size_t>(channels) * plane();
    }
    /// Number of values in one channel, H*W.
    [[nodiscard]] std::size_t plane() const noexcept {
        return static_cast<std::size_t>(height) * static_cast<std::size_t>(width);
    }
    friend bool operator==(const Shape&, const Shape&) = default;
};

/// Owning C×H×W float32 tensor. A value type: cheap to move, copied on purpose.
class Tensor {
public:
    Tensor() = default;
    /// A tensor of `shape` filled with `value`.
    explicit Tensor(Shape shape, float value = 0.0F)
        : m_shape(shape), m_data(shape.elements(), value) {}
    /// A tensor that takes `data` (size must equal shape.elements()).
    Tensor(Shape shape, std::vector<float> data);

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
    std::vector<float> m_data;
};

}  // namespace convpool
