// leaky-relu - x for x >= 0, slope*x below.
#include "ops/common/elementwise.hpp"

namespace convpool::ops {
namespace {
std::unique_ptr<Op> make(const Params& params) {
    const Activation leaky{Activation::Kind::leaky_relu,
                           static_cast<float>(params.number("slope"))};
    return make_elementwise(
        [slope = leaky.slope](float x) {
            return activate({Activation::Kind::leaky_relu, slope}, x);
        },
        leaky);
}
}  // namespace

const OpInfo& leaky_relu_info() {
    static const OpInfo info{.name = "leaky-relu",
                             .summary = "x for x >= 0, slope*x below",
                             .details = "",
                             .params = {{.name = "slope",
                                         .type = ParamType::number,
                                         .default_value = "0.01",
                                         .help = "factor for negative values",
                                         .min = -1000,
                                         .max = 1000,
                                         .aliases = {"negative-slope"}}},
                             .make = &make};
    return info;
}

}  // namespace convpool::ops
