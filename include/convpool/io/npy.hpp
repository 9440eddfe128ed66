#pragma once
/// \file npy.hpp
/// NumPy .npy (format 1.0-3.0) reading and writing, without OpenCV or Python.

#include "convpool/core/params.hpp"
#include "convpool/core/tensor.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace convpool {

/// True when `bytes` start with the .npy magic string.
[[nodiscard]] bool is_npy(std::span<const unsigned char> bytes) noexcept;

/// Axis order of a .npy input. `automatic`: a 2-D array is (H, W); a 3-D or 4-D array takes
/// the layout convpool wrote in its header (`# convpool layout: chw`), else a 3-D array is
/// (H, W, C) with a warning when that looks wrong, and a 4-D array is refused (no guessing).
/// The others are what `--npy-layout` names: hwc, chw and nhw for 3-D arrays, nchw and nhwc for
/// 4-D ones (a 2-D array is always (H, W)).
enum class NpyLayout { automatic, hwc, chw, nhw, nchw, nhwc };

/// Lower-case name of a layout (`auto`, `hwc`, ...); parse_npy_layout reads it back.
[[nodiscard]] const char* npy_layout_name(NpyLayout layout) noexcept;
[[nodiscard]] std::optional<NpyLayout> parse_npy_layout(std::string_view name) noexcept;

/// How many images a .npy array holds: N for the batch layouts (nhw, nchw, nhwc), else 1.
/// Reads the header only. Throws InputError as decode_npy does.
[[nodiscard]] std::size_t npy_item_count(std::span<const unsigned char> bytes, NpyLayout layout);

/// Decodes image `item` (0-based, of npy_item_count) of a 2-D, 3-D or 4-D array of
/// float16/32/64, uint8/16/32, int8/16/32/64 or bool (either byte order, C or Fortran order)
/// in `layout`. Integer data is scaled by its type's maximum like images (uint8 / 255, int16 /
/// 32767, ...: signed types give [-1, 1]), in double, then rounded to float32 (32 and 64-bit
/// integers beyond 2^24 in magnitude lose their last digits, with a line in *warnings); bool is
/// 0 or 1; float data is kept. The header is read as numpy 1.24 reads it (a Python literal
/// dict with exactly 'descr', 'fortran_order' and 'shape'; a repeated key takes the last value;
/// comments allowed) and what numpy refuses is refused. Float64 values beyond float32's range
/// become infinite, with a line in *warnings. Throws InputError.
[[nodiscard]] Tensor decode_npy(std::span<const unsigned char> bytes, NpyLayout layout,
                                std::size_t item = 0, std::vector<std::string>* warnings = nullptr);

/// decode_npy of item 0, with 3-D arrays (H, W, C) unless `chw`.
[[nodiscard]] Tensor decode_npy(std::span<const unsigned char> bytes, bool chw,
                                std::vector<std::string>* warnings = nullptr);

/// Decodes a .npy array of weights: float16, float32 or float64 (either byte order, C or Fortran
/// order), of any number of dimensions up to 8 and at most 2^24 values, as float32 in C order.
/// The header is read as decode_npy reads it. Throws InputError.
[[nodiscard]] WeightsArray decode_weights_npy(std::span<const unsigned char> bytes);

/// IEEE 754 half precision (binary16) to float, exactly (subnormals, infinities and NaN kept).
[[nodiscard]] float half_to_float(std::uint16_t half) noexcept;

/// Encodes `t` as a little-endian float32 array of shape (C, H, W), with `# convpool layout: chw`
/// in the header's padding (numpy loads it unchanged; decode_npy reads the layout back).
[[nodiscard]] std::string encode_npy(const Tensor& t);

/// Encodes `values` as a little-endian float32 array of `shape` (C order), as numpy.save does.
[[nodiscard]] std::string encode_npy_array(const std::vector<std::size_t>& shape,
                                           std::span<const float> values);

}  // namespace convpool
