#pragma once
// BlurPool (Zhang, "Making Convolutional Networks Shift-Invariant Again", ICML 2019): a binomial
// low-pass filter applied depthwise, then subsampling. pool:blur is this op alone; pool:maxblur
// puts a stride-1 max pool before it.

#include "convpool/core/geometry.hpp"
#include "convpool/core/params.hpp"
#include "convpool/core/tensor.hpp"
#include "convpool/pipeline/op.hpp"

#include <string>
#include <vector>

#include "ops/common/convolution.hpp"

namespace convpool::ops {

/// The parameters of the blur: s, filter, border.
[[nodiscard]] std::vector<ParamSpec> blur_param_specs();

/// The normalised binomial row of `filter` taps (1 to 7): [1 3 3 1]/8 for 4.
[[nodiscard]] std::vector<double> binomial_taps(int filter);

/// The geometry of one blur on one input: the output shape, the stride, the taps as floats (one
/// axis; the filter is their outer product; dyadic fractions, exact in float), and the input row
/// and column each padded index reads (-1 for a zero cell).
struct BlurLayout {
    Shape out;
    Size2 stride;
    std::vector<float> taps;
    std::vector<int> rows;
    std::vector<int> cols;
};

/// The blur and subsampling of antialiased-cnns' BlurPool: per channel, outer(a, a) with a the
/// binomial taps, over the input padded by (filter-1)/2 cells before and filter/2 after on each
/// axis (values from `border`), moved by the stride.
class BlurPool final : public Op {
public:
    /// From validated s, filter and border parameters; `op` names the stage in errors.
    explicit BlurPool(const Params& params);
    /// Throws ShapeError when border=reflect101 pads an axis by as many cells as it has or more
    /// (torch's ReflectionPad2d refuses that).
    [[nodiscard]] Shape output_shape(const Shape& in) const override;
    /// The fast path (ops/fast/blur.cpp): apply_separable's results bit for bit, evaluated at
    /// the strided positions only, in row bands over threads.
    [[nodiscard]] Tensor apply(const Tensor& in) const override;
    /// Taps that sum to 1 (border=zero: padding as avg's counted zeros): an image stays one.
    [[nodiscard]] bool keeps_range() const override { return true; }
    /// The separable loop: the binomial along each row, then along each column (the filter is
    /// outer(a, a)), in float as torch's conv2d computes it: each pass sums its taps' products
    /// in order from 0.0F. Each of the two float sums of at most 7 terms whose weights sum to 1
    /// errs by at most 7 units of 2^-24 of the window's largest |x|, so the result is within
    /// 1e-6 * max |x| of apply_plain's double sum; tests/ops/test_pool_blur.cpp checks it.
    [[nodiscard]] Tensor apply_separable(const Tensor& in) const;
    /// The plain loop: every tap of outer(a, a) at every output, in row-major order.
    [[nodiscard]] Tensor apply_plain(const Tensor& in) const;

    /// The output shape, the stride, the taps and the input index each padded row and column
    /// reads (-1: a zero) for an input of shape `in`: what the fast path walks.
    [[nodiscard]] BlurLayout layout(const Shape& in) const;

private:
    [[nodiscard]] Window window() const;

    std::string m_op;
    Size2 m_stride;
    int m_filter = 4;
    Border m_border = Border::reflect101;
    std::vector<double> m_taps;
};

}  // namespace convpool::ops
