#pragma once
// The parameters of a sliding window that convolution and pooling declare alike.

#include "convpool/core/params.hpp"

namespace convpool::ops {

/// `dilation`: the spacing between kernel taps, N or HxW (default 1, at most `max`).
[[nodiscard]] inline ParamSpec dilation_spec(double max) {
    return {.name = "dilation",
            .type = ParamType::size,
            .default_value = "1",
            .help = "spacing between kernel taps, N or HxW",
            .min = 1,
            .max = max};
}

}  // namespace convpool::ops
