// Pixels between OpenCV's decoded Mats, convpool's C x H x W float tensors and 8-bit images
// (io/pixels.cpp, built at -O3: whole-image passes).
#pragma once

#include "convpool/core/tensor.hpp"

#include <opencv2/core.hpp>

#include <vector>

namespace convpool {

/// Channels a decoded Mat of 1-4 channels keeps: gray (+ alpha, dropped) is 1, BGR(A) is 3 (RGB).
[[nodiscard]] int kept_channels(const cv::Mat& mat);

/// Converts a decoded Mat (any depth, 1-4 channels) to a C x H x W tensor in RGB order. 8 and
/// 16-bit data in one pass: decoding adds only the decoded image to the float tensor.
[[nodiscard]] Tensor mat_to_tensor(const cv::Mat& mat);

/// Copies a decoded 8-bit Mat (1-4 channels) into an interleaved image in RGB order, with the
/// channels mat_to_tensor keeps, in one pass.
[[nodiscard]] ImageU8 mat_to_u8(const cv::Mat& mat);

/// The 8-bit pixels of a 1- or 3-channel tensor, interleaved (RGB for 3): values in [0, 1] are
/// taken as they are, any other finite range is stretched to [0, 1]; x * 255 rounded half away
/// from zero; +inf is white, -inf and NaN black.
[[nodiscard]] std::vector<unsigned char> tensor_to_u8_pixels(const Tensor& t);

}  // namespace convpool
