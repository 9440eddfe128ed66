#pragma once
/// \file epilogue.hpp
/// Epilogue: the stages after a convolution layer that it can absorb into the pass that writes
/// its output when their maps are not needed (`run --emit final --stats none`, `bench
/// --fused`): a per-channel affine map (`bn`, folded into the weights and bias at plan time),
/// an activation (`relu`, ...) and a max pool (`pool:max`).

#include "convpool/core/geometry.hpp"
#include "convpool/pipeline/activation.hpp"

#include <optional>
#include <vector>

namespace convpool {

/// y = x * scale[c] + shift[c] per channel: what `bn` computes (Op::channel_affine).
struct ChannelAffine {
    std::vector<float> scale;
    std::vector<float> shift;
    friend bool operator==(const ChannelAffine&, const ChannelAffine&) = default;
};

/// What a producer applies to its output, in this order: affine, activation, max pool.
struct Epilogue {
    std::optional<ChannelAffine> affine;
    std::optional<Activation> activation;
    std::optional<Window> max_pool;  ///< the window of a following `pool:max` (padding resolved)
    /// Stages absorbed: 1 per part present.
    [[nodiscard]] int stages() const {
        return static_cast<int>(affine.has_value()) + static_cast<int>(activation.has_value()) +
               static_cast<int>(max_pool.has_value());
    }
};

}  // namespace convpool
