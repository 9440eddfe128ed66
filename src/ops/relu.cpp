// relu - max(x, 0); NaN stays NaN, as in PyTorch.
#include "ops/common/elementwise.hpp"

namespace convpool::ops {
namespace {
constexpr Activation kRelu{Activation::Kind::relu};
std::unique_ptr<Op> make(const Params& /*params*/) {
    return make_elementwise([](float x) { return activate(kRelu, x); }, kRelu);
}
}  // namespace

const OpInfo& relu_info() {
    static const OpInfo info{
        .name = "relu", .summary = "max(x, 0)", .details = "", .params = {}, .make = &make};
    return info;
}

}  // namespace convpool::ops
