// tanh - hyperbolic tangent.
#include <cmath>

#include "ops/common/elementwise.hpp"

namespace convpool::ops {
namespace {
std::unique_ptr<Op> make(const Params& /*params*/) {
    return make_elementwise([](float x) { return std::tanh(x); });
}
}  // namespace

const OpInfo& tanh_info() {
    static const OpInfo info{.name = "tanh",
                             .summary = "hyperbolic tangent",
                             .details = "",
                             .params = {},
                             .make = &make};
    return info;
}

}  // namespace convpool::ops
