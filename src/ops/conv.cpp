// conv - 2-D cross-correlation of every channel with one kernel (depthwise).
// The kernel is NOT flipped, as in CNN layers and cv::filter2D.
#include "convpool/core/error.hpp"
#include "convpool/pipeline/op.hpp"

#include <fmt/format.h>

#include "ops/common/convolution.hpp"
#include "ops/common/filters.hpp"

namespace convpool::ops {
namespace {

class Conv final : public Op {
public:
    explicit Conv(const Params& params) : m_settings(params), m_kernel(kernel_of(params)) {}
    [[nodiscard]] Shape output_shape(const Shape& in) const override {
        const Size2 o = m_settings.output_size(in.height, in.width, m_kernel.rows, m_kernel.cols);
        return {in.channels, o.h, o.w};
    }
    [[nodiscard]] Tensor apply(const Tensor& in) const override {
        return apply_activated(in, Activation{});
    }
    [[nodiscard]] std::optional<Correlation> correlation(const Shape& in) const override {
        return m_settings.correlation(in.height, in.width, m_kernel);
    }
    [[nodiscard]] bool fuses_activation(const Shape& /*in*/) const override { return true; }
    [[nodiscard]] Tensor apply_activated(const Tensor& in, const Activation& a) const override {
        Tensor out(output_shape(in.shape()), uninitialized);  // correlate writes every value
        for (int c = 0; c < in.shape().channels; ++c) {
            m_settings.correlate(in.channel(c), in.shape().height, in.shape().width, m_kernel,
                                 out.channel(c), a);
        }
        return out;
    }

private:
    static Matrix kernel_of(const Params& params) {
        const bool named = params.has("filter");
        const bool custom = params.has("kernel");
        if (named && custom) {
            throw UsageError("conv: give a filter name or kernel=[...], not both");
        }
        if (!named && !custom) {
            throw UsageError(
                "conv: give a filter name (conv:sobel-x) or a kernel (conv:kernel=[1 0 -1])");
        }
        if (custom) {
            if (params.given("k") || params.given("sigma")) {
                throw UsageError("conv: k and sigma apply to named filters, not to kernel=[...]");
            }
            return params.matrix("kernel");
        }
        return filter_kernel(params, params.text("filter"), true);
    }

    ConvSettings m_settings;
    Matrix m_kernel;
};

std::vector<ParamSpec> specs() {
    std::vector<ParamSpec> specs{
        {.name = "filter",
         .type = ParamType::choice,
         .help = "named kernel",
         .choices = kernel_names()},
        {.name = "kernel",
         .type = ParamType::array,
         .help = "custom kernel, rows separated by ';': [1 0 -1; 2 0 -2; 1 0 -1], or a 2-D "
                 "(kH, kW) array from a file: @k.npy or @w.npz:KEY"},
    };
    for (auto& spec : conv_param_specs()) {
        specs.push_back(std::move(spec));
    }
    return specs;
}

}  // namespace

const OpInfo& conv_info() {
    static const OpInfo info{
        .name = "conv",
        .summary = "cross-correlate every channel with a named or custom kernel",
        .details =
            "Cross-correlation as in CNN layers and cv::filter2D: the kernel is not "
            "flipped, so sobel-x is positive where values grow to the right. Each channel "
            "is filtered on its own (depthwise). out = scale * sum(w * x) + bias.",
        .params = specs(),
        .make = &make_op<Conv>,
        .example = "conv:sobel-x"};
    return info;
}

}  // namespace convpool::ops
