// abs - |x|: folds signed responses (e.g. both edge polarities) into magnitudes.
#include <cmath>

#include "elementwise.hpp"

namespace convpool::ops {
namespace {
std::unique_ptr<Op> make(const Params& /*params*/) {
    return make_elementwise([](float x) { return std::fabs(x); });
}
}  // namespace

const OpInfo& abs_info() {
    static const OpInfo info{
        .name = "abs", .summary = "|x|", .details = "", .params = {}, .make = &make};
    return info;
}

}  // namespace convpool::ops
