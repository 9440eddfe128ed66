#pragma once
/// \file filters.hpp
/// Named convolution kernels. All are applied as cross-correlation (not flipped), as in CNN
/// layers and cv::filter2D: sobel-x responds positively where values grow to the right.

#include "convpool/core/params.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace convpool {

/// Names of every named kernel, in help order.
[[nodiscard]] const std::vector<std::string>& kernel_names();

/// True when the kernel's size can be chosen (box, gaussian, identity, log).
[[nodiscard]] bool kernel_has_size(std::string_view name);

/// The kernel `name`. `size` (odd or even, >= 1) applies when kernel_has_size(name); h or w 0
/// means the kernel's default. `sigma` applies to gaussian and log (<= 0: derived from the
/// size as OpenCV does, 0.3*((k-1)/2 - 1) + 0.8, or 1 for log when no size is given either).
/// Throws UsageError for an unknown name.
[[nodiscard]] Matrix named_kernel(std::string_view name, Size2 size, double sigma);

}  // namespace convpool
