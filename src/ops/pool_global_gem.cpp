// pool:global-gem - the GeM retrieval head: one generalized mean per channel.
#include "ops/common/pooling.hpp"

namespace convpool::ops {
namespace {
std::unique_ptr<Op> make(const Params& params) {
    return std::make_unique<AdaptivePool<GemReducer>>(
        Size2{1, 1}, GemReducer{params.number("p"), params.number("eps")});
}
}  // namespace

const OpInfo& pool_global_gem_info() {
    static const OpInfo info{
        .name = "pool:global-gem",
        .summary = "generalized mean of each whole channel (output Cx1x1), the GeM head",
        .details =
            "Radenovic, Tolias and Chum, TPAMI 2018: (mean over the channel of "
            "max(x, eps)^p)^(1/p). p=1 is global-avg of the clamped values; large p nears "
            "global-max.",
        .params = gem_param_specs(),
        .make = &make};
    return info;
}

}  // namespace convpool::ops
