// pool:soft - SoftPool (Stergiou et al., ICCV 2021): sum of softmax(x)_i * x_i over each window.
#include <cmath>
#include <limits>

#include "ops/common/pooling.hpp"

namespace convpool::ops {
namespace {
/// SoftPool of one channel's window, eq. 1-2 of the paper: sum_i e^{x_i} x_i / sum_j e^{x_j}
/// over the real cells. One pass that rescales the sums whenever a larger value arrives, so that
/// every exponential is e^{x - running max} <= 1 and nothing overflows. NaN propagates; +inf
/// gives +inf; a window of -inf gives -inf; no real cell gives NaN.
struct SoftReducer {
    struct State {
        double max = -std::numeric_limits<double>::infinity();
        double weights = 0.0;   ///< sum of e^{x - max}
        double weighted = 0.0;  ///< sum of e^{x - max} * x
        bool nan = false;
    };
    [[nodiscard]] static State start() { return {}; }
    static void add(State& s, float v, int /*index*/) {
        const auto x = static_cast<double>(v);
        if (std::isnan(x)) {
            s.nan = true;
        } else if (x > s.max) {
            // The cells so far, rescaled to the new maximum; none when they fall to 0 (the
            // first cell, cells of -inf, or a jump too large for a double).
            const double scale = std::exp(s.max - x);
            s.weights = scale > 0.0 ? s.weights * scale + 1.0 : 1.0;
            s.weighted = scale > 0.0 ? s.weighted * scale + x : x;
            s.max = x;
        } else if (x == s.max) {
            s.weights += 1.0;  // e^0, also when both are infinite
            s.weighted += x;
        } else {
            const double w = std::exp(x - s.max);
            if (w > 0.0) {  // -inf (and far below the max) adds nothing, not 0 * -inf
                s.weights += w;
                s.weighted += w * x;
            }
        }
    }
    [[nodiscard]] static float finish(const State& s, int /*real*/, int /*counted*/) {
        if (s.nan || s.weights == 0.0) {
            return std::numeric_limits<float>::quiet_NaN();
        }
        return static_cast<float>(s.weighted / s.weights);
    }
};

std::unique_ptr<Op> make(const Params& params) {
    return std::make_unique<SlidingPool<SoftReducer>>(params, SoftReducer{});
}
}  // namespace

const OpInfo& pool_soft_info() {
    static const OpInfo info{
        .name = "pool:soft",
        .summary = "SoftPool: sum of softmax(x)_i * x_i over each window, per channel",
        .details =
            "Stergiou et al., ICCV 2021, eq. 1-2: the softmax is taken over the window's "
            "real cells of one channel (padding cells are not in the window) and computed "
            "with the window maximum subtracted, so large inputs do not overflow. The "
            "authors' CPU code sums the exponentials across channels instead; convpool "
            "follows the paper.",
        .params = pool_param_specs(),
        .make = &make,
        .mode = {.form = ModeForm::window}};
    return info;
}

}  // namespace convpool::ops
