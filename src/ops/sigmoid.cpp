// sigmoid - 1 / (1 + exp(-x)).
#include <cmath>

#include "ops/common/elementwise.hpp"

namespace convpool::ops {
namespace {
std::unique_ptr<Op> make(const Params& /*params*/) {
    return make_elementwise([](float x) { return 1.0F / (1.0F + std::exp(-x)); });
}
}  // namespace

const OpInfo& sigmoid_info() {
    static const OpInfo info{.name = "sigmoid",
                             .summary = "1 / (1 + exp(-x))",
                             .details = "",
                             .params = {},
                             .make = &make};
    return info;
}

}  // namespace convpool::ops
