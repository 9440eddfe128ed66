// pool:adaptive-max - PyTorch's adaptive_max_pool2d.
#include "ops/common/pooling.hpp"

namespace convpool::ops {
namespace {
std::unique_ptr<Op> make(const Params& params) {
    return std::make_unique<AdaptivePool<MaxReducer>>(params.size("out"), MaxReducer{});
}
}  // namespace

const OpInfo& pool_adaptive_max_info() {
    static const OpInfo info{
        .name = "pool:adaptive-max",
        .summary = "maximum over windows that tile the input into out=HxW cells",
        .details =
            "Window i covers [floor(i*in/out), ceil((i+1)*in/out)), as in "
            "torch.nn.functional.adaptive_max_pool2d; windows may overlap.",
        .params = {adaptive_out_spec()},
        .make = &make,
        .mode = {.form = ModeForm::output_size}};
    return info;
}

}  // namespace convpool::ops
