// pool:mixed - mixed pooling (Lee, Gallagher and Tu, AISTATS 2016): a*max + (1-a)*avg.
#include "ops/common/pooling.hpp"

namespace convpool::ops {
namespace {
/// a * max + (1 - a) * mean over the same window: the max never takes padding, the mean
/// follows count-pad as pool:avg. NaN propagates.
struct MixedReducer {
    double a = 0.5;
    bool count_pad = true;
    struct State {
        MaxReducer::State max;
        double sum = 0.0;
    };
    [[nodiscard]] static State start() { return {}; }
    static void add(State& s, float v, int index) {
        MaxReducer::add(s.max, v, index);
        AvgReducer::add(s.sum, v, index);
    }
    [[nodiscard]] float finish(const State& s, int real, int counted) const {
        const auto max = static_cast<double>(MaxReducer::finish(s.max, real, counted));
        const double mean = s.sum / static_cast<double>(count_pad ? counted : real);
        return static_cast<float>(a * max + (1.0 - a) * mean);
    }
};

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
