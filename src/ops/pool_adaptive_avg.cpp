// pool:adaptive-avg - PyTorch's adaptive_avg_pool2d.
#include "ops/common/pooling.hpp"

namespace convpool::ops {
namespace {
std::unique_ptr<Op> make(const Params& params) {
    return std::make_unique<AdaptivePool<AvgReducer>>(params.size("out"), AvgReducer{});
}
}  // namespace

const OpInfo& pool_adaptive_avg_info() {
    static const OpInfo info{.name = "pool:adaptive-avg",
                             .summary = "mean over windows that tile the input into out=HxW cells",
                             .details =
                                 "Window i covers [floor(i*in/out), ceil((i+1)*in/out)), as in "
                                 "torch.nn.functional.adaptive_avg_pool2d; windows may overlap.",
                             .params = {adaptive_out_spec()},
                             .make = &make,
                             .mode = {.form = ModeForm::output_size}};
    return info;
}

}  // namespace convpool::ops
