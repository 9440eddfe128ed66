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
// against the plain loop in tests/ops/fast/test_conv.cpp. Its entry point, fast_correlate, and
// PaddedPlane are declared in ops/common/convolution.hpp, beside the plain loop that calls them.

#include "ops/common/convolution.hpp"
