#pragma once
/// \file activation.hpp
/// Activation: the rule of an elementwise stage (`relu`, `abs`, `leaky-relu`) that the stage
/// before it can apply to each output value as it writes it (Op::apply_activated), saving a
/// pass over memory. The stages themselves compute their values with activate(), so a fused
/// run and a stage-by-stage run give the same bits.

#include <cmath>

namespace convpool {

/// An elementwise rule applied to every value.
struct Activation {
    /// Which rule.
    enum class Kind {
        none,        ///< x itself
        relu,        ///< x < 0 ? 0 : x: NaN and -0 stay as they are
        abs,         ///< |x|: the sign bit cleared (NaN payloads kept)
        leaky_relu,  ///< x < 0 ? slope * x : x: NaN and -0 stay as they are
    };
    Kind kind = Kind::none;
    float slope = 0.0F;  ///< for leaky_relu
};

/// `a` applied to `x`.
[[nodiscard]] inline float activate(const Activation& a, float x) {
    switch (a.kind) {
        case Activation::Kind::none:
            return x;
        case Activation::Kind::relu:
            return x < 0.0F ? 0.0F : x;
        case Activation::Kind::abs:
            return std::fabs(x);
        case Activation::Kind::leaky_relu:
            return x < 0.0F ? a.slope * x : x;
    }
    return x;
}

}  // namespace convpool
