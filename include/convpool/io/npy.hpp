#pragma once
/// \file npy.hpp
/// NumPy .npy (format 1.0-3.0) reading and writing, without OpenCV or Python.

#include "convpool/core/params.hpp"
#include "convpool/core/tensor.hpp"

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace convpool {

/// True when `bytes` start with the .npy magic string.
[[nodiscard]] bool is_npy(std::span<const unsigned char> bytes) noexcept;

/// Decodes a 2-D (H, W) or 3-D array of float32/float64/uint8/uint16 (either byte order, C or
/// Fortran order). 3-D arrays are (H, W, C) unless `chw`. Integer data is scaled to [0, 1]
/// like images; float data is kept. The header is read as numpy 1.24 reads it (a Python literal
/// dict with exactly 'descr', 'fortran_order' and 'shape'; a repeated key takes the last value;
/// comments allowed) and what numpy refuses is refused. Float64 values beyond float32's range
/// become infinite, with a line in *warnings. Throws InputError.
[[nodiscard]] Tensor decode_npy(std::span<const unsigned char> bytes, bool chw,
                                std::vector<std::string>* warnings = nullptr);

/// Decodes a .npy array of weights: float16, float32 or float64 (either byte order, C or Fortran
/// order), of any number of dimensions up to 8 and at most 2^24 values, as float32 in C order.
/// The header is read as decode_npy reads it. Throws InputError.
[[nodiscard]] WeightsArray decode_weights_npy(std::span<const unsigned char> bytes);

/// IEEE 754 half precision (binary16) to float, exactly (subnormals, infinities and NaN kept).
[[nodiscard]] float half_to_float(std::uint16_t half) noexcept;

/// Encodes `t` as a little-endian float32 array of shape (C, H, W).
[[nodiscard]] std::string encode_npy(const Tensor& t);

}  // namespace convpool
