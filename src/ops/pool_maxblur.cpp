// pool:maxblur - MaxBlurPool (Zhang, ICML 2019): a stride-1 max pool, then BlurPool.
#include <fmt/format.h>

#include "ops/common/blur.hpp"
#include "ops/common/pooling.hpp"
#include "ops/fast/blur.hpp"

namespace convpool::ops {
namespace {
std::vector<ParamSpec> specs() {
    std::vector<ParamSpec> specs{{.name = "k",
                                  .type = ParamType::size,
                                  .default_value = "2",
                                  .help = "kernel of the max pool (stride 1, no padding), N or HxW",
                                  .min = 1,
                                  .max = 4096,
                                  .aliases = {"kernel", "kernel-size"}}};
    for (ParamSpec& spec : blur_param_specs()) {
        specs.push_back(std::move(spec));
    }
    return specs;
}

/// pool:max,k=K,s=1 on `params`' k, checked and walked by the sliding-pool code.
Params max_params(const Params& params) {
    const Size2 k = params.size("k");
    return {params.op(), pool_param_specs(), {{"k", fmt::format("{}x{}", k.h, k.w)}, {"s", "1"}}};
}

/// nn.MaxPool2d(kernel_size=k, stride=1) followed by BlurPool(filt_size=filter, stride=s).
class MaxBlurPool final : public Op {
public:
    explicit MaxBlurPool(const Params& params)
        : m_kernel(params.size("k")), m_max(max_params(params), MaxReducer{}), m_blur(params) {}
    [[nodiscard]] Shape output_shape(const Shape& in) const override {
        return m_blur.output_shape(m_max.output_shape(in));
    }
    [[nodiscard]] Tensor apply(const Tensor& in) const override {
        return fast_maxblur(in, m_kernel, m_blur.layout(m_max.output_shape(in.shape())));
    }
    [[nodiscard]] bool keeps_range() const override { return true; }

private:
    Size2 m_kernel;
    SlidingPool<MaxReducer> m_max;
    BlurPool m_blur;
};

std::unique_ptr<Op> make(const Params& params) { return std::make_unique<MaxBlurPool>(params); }
}  // namespace

const OpInfo& pool_maxblur_info() {
    static const OpInfo info{
        .name = "pool:maxblur",
        .summary = "MaxBlurPool: max pool with stride 1, then pool:blur (anti-aliased max pool)",
        .details =
            "Zhang, ICML 2019: nn.MaxPool2d(kernel_size=k, stride=1) then "
            "BlurPool(filt_size=filter, stride=s), i.e. pool:max,k=K,s=1 (no padding) "
            "followed by pool:blur,s=S,filter=F,border=B.",
        .params = specs(),
        .make = &make,
        .mode = {.form = ModeForm::window}};
    return info;
}

}  // namespace convpool::ops
