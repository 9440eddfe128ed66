// pool:median - the lower median of the real cells of each window (torch.median).
#include "ops/common/pooling.hpp"
#include "ops/common/reducers.hpp"

namespace convpool::ops {
namespace {
std::unique_ptr<Op> make(const Params& params) {
    return std::make_unique<SlidingPool<MedianReducer>>(params, MedianReducer{});
}
}  // namespace

const OpInfo& pool_median_info() {
    static const OpInfo info{
        .name = "pool:median",
        .summary = "median of each window's real cells (the lower middle of an even count)",
        .details =
            "torch.median over the window: for an even number of cells the smaller of the "
            "two middle values, NaN when any cell is NaN. Padding cells are never "
            "candidates, so pad and ceil only change which windows there are.",
        .params = pool_param_specs(),
        .make = &make,
        .mode = {.form = ModeForm::window}};
    return info;
}

}  // namespace convpool::ops
