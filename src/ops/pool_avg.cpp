// pool:avg - mean of each window (PyTorch avg_pool2d).
#include "ops/common/pooling.hpp"

namespace convpool::ops {
namespace {
std::vector<ParamSpec> specs() {
    auto specs = pool_param_specs();
    specs.push_back(count_pad_spec());
    specs.push_back({.name = "divisor",
                     .type = ParamType::integer,
                     .default_value = "0",
                     .help = "divide every window sum by this instead (divisor_override); 0 = off",
                     .min = 0,
                     .max = 1 << 24,
                     .aliases = {"divisor-override"}});
    return specs;
}

std::unique_ptr<Op> make(const Params& params) {
    return std::make_unique<SlidingPool<AvgPoolReducer>>(
        params, AvgPoolReducer{{params.flag("count-pad"), params.integer("divisor")}});
}
}  // namespace

const OpInfo& pool_avg_info() {
    static const OpInfo info{
        .name = "pool:avg",
        .summary = "mean of each window (count-pad, divisor as in PyTorch)",
        .details =
            "Matches torch.nn.functional.avg_pool2d, including count_include_pad and "
            "divisor_override. Dilation is a convpool extension (PyTorch's avg pool has "
            "none): padding taps are counted one by one.",
        .params = specs(),
        .make = &make,
        .mode = {.form = ModeForm::window, .compared_by_default = true}};
    return info;
}

}  // namespace convpool::ops
