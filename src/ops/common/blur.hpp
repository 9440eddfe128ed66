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
    /// The separable path: the binomial along each row, then along each column (the filter is
    /// outer(a, a)). Equal to apply_plain within one rounding of the float result (both sum in
    /// double; only the order of the additions differs); tests/ops/test_pool_blur.cpp checks it.
    [[nodiscard]] Tensor apply(const Tensor& in) const override;
    /// The plain loop: every tap of outer(a, a) at every output, in row-major order.
    [[nodiscard]] Tensor apply_plain(const Tensor& in) const;

private:
    /// The output shape and the input index each padded row and column reads (-1: a zero).
    struct Sources {
        Shape out;
        std::vector<int> rows;
        std::vector<int> cols;
    };
    [[nodiscard]] Window window() const;
    [[nodiscard]] Sources sources(const Shape& in) const;

    std::string m_op;
    Size2 m_stride;
    int m_filter = 4;
    Border m_border = Border::reflect101;
    std::vector<double> m_taps;
};

}  // namespace convpool::ops
