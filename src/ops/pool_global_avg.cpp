// pool:global-avg - one value per channel (adaptive pooling to 1x1).
#include "ops/common/pooling.hpp"

namespace convpool::ops {
namespace {
std::unique_ptr<Op> make(const Params& /*params*/) {
    return std::make_unique<AdaptivePool<AvgReducer>>(Size2{1, 1}, AvgReducer{});
}
}  // namespace

const OpInfo& pool_global_avg_info() {
    static const OpInfo info{.name = "pool:global-avg",
                             .summary = "mean of each whole channel (output Cx1x1)",
                             .details = "",
                             .params = {},
                             .make = &make};
    return info;
}

}  // namespace convpool::ops
