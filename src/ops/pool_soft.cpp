// pool:soft - SoftPool (Stergiou et al., ICCV 2021): sum of softmax(x)_i * x_i over each window.
#include "ops/common/pooling.hpp"
#include "ops/common/reducers.hpp"

namespace convpool::ops {
namespace {
std::unique_ptr<Op> make(const Params& params) {
    return std::make_unique<SlidingPool<SoftReducer>>(params, SoftReducer{});
}
}  // namespace

const OpInfo& pool_soft_info() {
    static const OpInfo info{
        .name = "pool:soft",
        .summary = "SoftPool: sum of softmax(x)_i * x_i over each window, per channel",
        .details =
            "Stergiou et al., ICCV 2021, eq. 1-2: the softmax is taken over the window's "
            "real cells of one channel (padding cells are not in the window) and computed "
            "with the window maximum subtracted, so large inputs do not overflow. The "
            "authors' CPU code sums the exponentials across channels instead; convpool "
            "follows the paper.",
        .params = pool_param_specs(),
        .make = &make,
        .mode = {.form = ModeForm::window}};
    return info;
}

}  // namespace convpool::ops
