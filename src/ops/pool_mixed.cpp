// pool:mixed - mixed pooling (Lee, Gallagher and Tu, AISTATS 2016): a*max + (1-a)*avg.
#include "ops/common/pooling.hpp"
#include "ops/common/reducers.hpp"

namespace convpool::ops {
namespace {
std::vector<ParamSpec> specs() {
    auto specs = pool_param_specs();
    specs.push_back(count_pad_spec());
    specs.push_back({.name = "a",
                     .type = ParamType::number,
                     .default_value = "0.5",
                     .help = "weight of the max: 1 is pool:max, 0 is pool:avg",
                     .min = 0,
                     .max = 1,
                     .aliases = {"alpha"}});
    return specs;
}

std::unique_ptr<Op> make(const Params& params) {
    return std::make_unique<SlidingPool<MixedReducer>>(
        params, MixedReducer{params.number("a"), params.flag("count-pad")});
}
}  // namespace

const OpInfo& pool_mixed_info() {
    static const OpInfo info{
        .name = "pool:mixed",
        .summary = "mixed pooling: a*max + (1-a)*avg over the same window",
        .details =
            "Lee, Gallagher and Tu, AISTATS 2016, with a fixed a: a * max_pool2d + (1 - a) "
            "* avg_pool2d on the same window. The max never takes padding; the mean counts "
            "it as pool:avg does (count-pad; --semantics tf turns it off).",
        .params = specs(),
        .make = &make,
        .mode = {.form = ModeForm::window}};
    return info;
}

}  // namespace convpool::ops
