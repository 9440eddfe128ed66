// pool:max - maximum of each window (PyTorch max_pool2d).
#include "pool_common.hpp"

namespace convpool::ops {
namespace {
std::unique_ptr<Op> make(const Params& params) {
    return std::make_unique<SlidingPool<MaxReducer>>(params, MaxReducer{});
}
}  // namespace

const OpInfo& pool_max_info() {
    static const OpInfo info{
        .name = "pool:max",
        .summary = "maximum of each window (padding never wins, NaN propagates)",
        .details = "Matches torch.nn.functional.max_pool2d: output size floor((in + 2*pad - "
                   "dilation*(k-1) - 1)/s) + 1, or ceil in ceil mode where a last window that "
                   "would start in the padding is dropped; ties go to the first maximum in "
                   "row-major order.",
        .params = pool_param_specs(),
        .make = &make};
    return info;
}

}  // namespace convpool::ops
