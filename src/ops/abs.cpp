// abs - |x|: folds signed responses (e.g. both edge polarities) into magnitudes.
#include "ops/common/elementwise.hpp"

namespace convpool::ops {
namespace {
constexpr Activation kAbs{Activation::Kind::abs};
std::unique_ptr<Op> make(const Params& /*params*/) {
    return make_elementwise([](float x) { return activate(kAbs, x); }, kAbs);
}
}  // namespace

const OpInfo& abs_info() {
    static const OpInfo info{
        .name = "abs", .summary = "|x|", .details = "", .params = {}, .make = &make};
    return info;
}

}  // namespace convpool::ops
