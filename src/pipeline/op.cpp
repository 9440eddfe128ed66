#include "convpool/pipeline/op.hpp"

#include "convpool/core/error.hpp"

#include <stdexcept>

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

Tensor Op::apply_switched(const Tensor& /*in*/, const Switches& /*switches*/) const {
    throw std::logic_error("apply_switched called on a stage that reads no switches");
}

}  // namespace convpool
