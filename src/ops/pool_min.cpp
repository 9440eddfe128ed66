// pool:min - minimum of each window (max pooling of the negated map).
#include "ops/common/pooling.hpp"
#include "ops/fast/pool.hpp"

namespace convpool::ops {
namespace {
/// Smallest value; padding never wins; NaN propagates; the first minimum wins ties.
struct MinReducer {
    struct State {
        float value = std::numeric_limits<float>::infinity();
    };
    [[nodiscard]] static State start() { return {}; }
    static void add(State& s, float v, int /*index*/) {
        if (v < s.value || std::isnan(v)) {
            s.value = v;
        }
    }
    [[nodiscard]] static float finish(const State& s, int /*real*/, int /*counted*/) {
        return s.value;
    }
    [[nodiscard]] static std::string arithmetic(std::span<const float> values, int /*counted*/,
                                                float result) {
        return call_formula("min", values, result);
    }
};

/// The fast path of min pooling (found by SlidingPool through argument-dependent lookup).
[[maybe_unused]] std::optional<Tensor> fast_pool(const Tensor& in, const Window& win,
                                                 const MinReducer& /*reducer*/) {
    return fast_extremum_pool(in, win, Extremum::min);
}

/// Min pooling only picks input values: it has an 8-bit kernel (found by SlidingPool through
/// argument-dependent lookup).
[[maybe_unused]] std::optional<Extremum> picked_extremum(const MinReducer& /*reducer*/) {
    return Extremum::min;
}

std::unique_ptr<Op> make(const Params& params) {
    return std::make_unique<SlidingPool<MinReducer>>(params, MinReducer{});
}
}  // namespace

const OpInfo& pool_min_info() {
    static const OpInfo info{
        .name = "pool:min",
        .summary = "minimum of each window (-max_pool2d(-x); padding never wins)",
        .details = "",
        .params = pool_param_specs(),
        .make = &make,
        .mode = {.form = ModeForm::window, .compared_by_default = true}};
    return info;
}

}  // namespace convpool::ops
