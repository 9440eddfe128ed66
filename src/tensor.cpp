#include "convpool/tensor.hpp"

#include <fmt/format.h>

#include <stdexcept>

namespace convpool {

Tensor::Tensor(Shape shape, const std::vector<float>& data)
    : m_shape(shape), m_data(data.begin(), data.end()) {
    if (m_data.size() != shape.elements()) {
        throw std::invalid_argument(fmt::format("tensor of {}x{}x{} needs {} values, got {}",
                                                shape.channels, shape.height, shape.width,
                                                shape.elements(), m_data.size()));
    }
}

}  // namespace convpool
