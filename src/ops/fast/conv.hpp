#pragma once
// Fast path of ConvSettings::correlate. It sits beside the plain loop and returns the same
// values bit for bit (NaN payloads aside): each output is summed in float in the same order
// (kernel rows, then columns), then scaled and biased, with no FMA contraction. Output rows are
// split over parallel_for threads; each thread copies every padded row that its windows read
// once, border cells filled by the border rule, into a small ring of rows that stays in the
// cache, so windows at the edges read the same way as inside. 3x3 kernels with stride and
// dilation 1 run in bands of output rows on AVX-512 or AVX2 when the machine has them
// (kernels::correlate_rows_3x3), writing large outputs with non-temporal stores; any other
// kernel, stride or dilation runs the vectorised row kernel (kernels::correlate_row). Tested
// against the plain loop in tests/test_fast_paths.cpp.

#include "convpool/activation.hpp"
#include "convpool/geometry.hpp"
#include "convpool/params.hpp"

#include <span>

namespace convpool::ops {

/// Where the padded plane's cells come from: padded row y is input row rows[y] and padded
/// column x is input column cols[x], or a zero cell when either is -1.
struct PaddedPlane {
    std::span<const float> plane;  ///< the input, h x w
    int width = 0;                 ///< w
    std::span<const int> rows;     ///< one entry per padded row
    std::span<const int> cols;     ///< one entry per padded column
};

/// Correlates `src` with `kernel` over the windows of `win` (any stride and dilation; no ceil
/// mode) into `out` (out_size values, row major), out = activate(activation, scale * sum +
/// bias): the activation is applied to each value before it is stored (3x3 bands: in the
/// vector registers; other kernels: to each row buffer before its store).
void fast_correlate(const PaddedPlane& src, const Matrix& kernel, const Window& win, Size2 out_size,
                    float scale, float bias, std::span<float> out, const Activation& activation);

}  // namespace convpool::ops
