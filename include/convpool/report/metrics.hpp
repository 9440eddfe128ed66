#pragma once
/// \file metrics.hpp
/// Comparing two feature maps of one shape: PSNR, SSIM, normalised correlation, the fraction of
/// identical values, and entropy. Used by `convpool compare` and `convpool probe`.
///
/// Conventions, shared by every function here:
///  - `clean` is the reference, `test` the map judged against it; both must have one shape
///    (ShapeError otherwise).
///  - The data range L (PSNR's peak, SSIM's L) is the clean map's finite dynamic range
///    max - min; when the clean map is constant, L = 1. For an 8-bit image loaded as [0, 1]
///    with values from 0 to 1 this is the usual peak of 1 (255 in 8-bit units).
///  - Non-finite values are left out (a pair counts only when both values are finite).

#include "convpool/core/tensor.hpp"

#include <span>

namespace convpool {

/// The data range L of `clean`: finite max - min, or 1 when that is 0 (constant or empty map).
[[nodiscard]] double data_range(const Tensor& clean);

/// Peak signal-to-noise ratio in dB: 10 log10(L^2 / MSE), L = data_range(clean), MSE over every
/// finite pair of every channel. +infinity when the maps are identical (MSE 0).
[[nodiscard]] double psnr(const Tensor& clean, const Tensor& test);

/// Structural similarity (Wang, Bovik, Sheikh, Simoncelli, IEEE TIP 2004) with the paper's
/// constants: 11x11 Gaussian window, sigma 1.5, K1 = 0.01, K2 = 0.03, C1 = (K1 L)^2,
/// C2 = (K2 L)^2, L = data_range(clean). The window is truncated at the map border and its
/// weights renormalised, so maps smaller than 11x11 (pooled maps are small) still get local
/// statistics; the mean SSIM is over every position of every channel. 1 for identical maps.
[[nodiscard]] double ssim(const Tensor& clean, const Tensor& test);

/// Pearson (zero-mean normalised) correlation of two equally long sequences, over the pairs
/// where both are finite. When either side has zero variance, 1 if the sequences are equal and
/// 0 otherwise (a constant map is perfectly correlated only with itself).
[[nodiscard]] double normalized_correlation(std::span<const float> a, std::span<const float> b);

/// Share of positions whose values are exactly equal floats (+0 = -0; both NaN counts as equal).
/// 1 for two empty sequences.
[[nodiscard]] double fraction_identical(std::span<const float> a, std::span<const float> b);

/// Entropy in bits of all values of `t`, as the report computes it (256-bin histogram over
/// [min, max], channel_stats().entropy).
[[nodiscard]] double entropy_bits(const Tensor& t);

}  // namespace convpool
