#include "convpool/pipeline/op.hpp"

#include "convpool/core/error.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstddef>
#include <stdexcept>
#include <utility>

namespace convpool {

// The pipeline calls these only for ops that declare the matching
// switch_role() (or runs_u8(), fuses_activation(), fuses()); reaching a default is a bug in
// convpool, not a user error.

ImageU8 Op::apply_u8(const ImageU8& /*in*/) const {
    throw std::logic_error("apply_u8 called on a stage that has no 8-bit kernel");
}

Tensor Op::apply_activated(const Tensor& /*in*/, const Activation& /*a*/) const {
    throw std::logic_error("apply_activated called on a stage that fuses no activation");
}

Tensor Op::apply_fused(const Tensor& /*in*/, const Epilogue& /*e*/) const {
    throw std::logic_error("apply_fused called on a stage that fuses no epilogue");
}

Tensor Op::apply_recording(const Tensor& /*in*/, Switches& /*switches*/) const {
    throw std::logic_error("apply_recording called on a stage that records no switches");
}

Shape Op::switched_output_shape(const Shape& /*in*/, const Shape& /*pooled_input*/,
                                const Shape& /*pooled_output*/) const {
    throw std::logic_error("switched_output_shape called on a stage that reads no switches");
}

std::vector<std::string> numbered_channel_names(int n) {
    std::vector<std::string> names;
    names.reserve(static_cast<std::size_t>(std::max(0, n)));
    for (int c = 0; c < n; ++c) {
        names.push_back(fmt::format("c{}", c));
    }
    return names;
}

std::vector<std::string> Op::channel_names(const std::vector<std::string>& names, const Shape& in,
                                           const Shape& out, const Tensor* /*values*/) const {
    const int channels = out.channels;
    if (auto k = kernels(); k && static_cast<int>(k->names.size()) == channels) {
        return std::move(k->names);
    }
    if (channels == in.channels && static_cast<int>(names.size()) == channels) {
        return names;
    }
    return numbered_channel_names(channels);
}

Tensor Op::apply_switched(const Tensor& /*in*/, const Switches& /*switches*/) const {
    throw std::logic_error("apply_switched called on a stage that reads no switches");
}

}  // namespace convpool
