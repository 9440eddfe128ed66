// pool:gem - generalized mean of each window (Radenovic et al., TPAMI 2018).
#include "ops/common/pooling.hpp"
#include "ops/common/reducers.hpp"

namespace convpool::ops {
namespace {
std::vector<ParamSpec> specs() {
    auto specs = pool_param_specs();
    for (ParamSpec& spec : gem_param_specs()) {
        specs.push_back(std::move(spec));
    }
    return specs;
}

std::unique_ptr<Op> make(const Params& params) {
    return std::make_unique<SlidingPool<GemReducer>>(
        params, GemReducer{params.number("p"), params.number("eps")});
}
}  // namespace

const OpInfo& pool_gem_info() {
    static const OpInfo info{
        .name = "pool:gem",
        .summary = "generalized mean of each window, (mean of max(x, eps)^p)^(1/p)",
        .details =
            "GeM pooling (Radenovic, Tolias and Chum, TPAMI 2018) over a sliding window: "
            "avg_pool2d(x.clamp(min=eps).pow(p), count_include_pad=False).pow(1/p). The "
            "mean is over the real cells; padding cells are not in it. p=1 is the mean "
            "of the clamped values, large p nears the max.",
        .params = specs(),
        .make = &make,
        .mode = {.form = ModeForm::window}};
    return info;
}

}  // namespace convpool::ops
