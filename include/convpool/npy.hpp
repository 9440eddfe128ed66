#pragma once
/// \file npy.hpp
/// NumPy .npy (format 1.0-3.0) reading and writing, without OpenCV or Python.

#include "convpool/tensor.hpp"

#include <span>
#include <string>

namespace convpool {

/// True when `bytes` start with the .npy magic string.
[[nodiscard]] bool is_npy(std::span<const unsigned char> bytes) noexcept;

/// Decodes a 2-D (H, W) or 3-D array of float32/float64/uint8/uint16 (either byte order, C or
/// Fortran order). 3-D arrays are (H, W, C) unless `chw`. Integer data is scaled to [0, 1]
/// like images; float data is kept. Throws InputError.
[[nodiscard]] Tensor decode_npy(std::span<const unsigned char> bytes, bool chw);

/// Encodes `t` as a little-endian float32 array of shape (C, H, W).
[[nodiscard]] std::string encode_npy(const Tensor& t);

}  // namespace convpool
