// pool:lp - the true Lp norm of each window, (sum |x|^p)^(1/p), over the real cells.
#include <cmath>

#include "ops/common/pooling.hpp"

namespace convpool::ops {
namespace {
/// (sum |x|^p)^(1/p); p = inf gives max |x|. Padding cells add nothing.
struct LpReducer {
    double p = 2.0;
    [[nodiscard]] static double start() { return 0.0; }
    void add(double& acc, float v, int /*index*/) const {
        const double a = std::fabs(static_cast<double>(v));
        if (std::isinf(p)) {
            acc = (a > acc || std::isnan(a)) ? a : acc;
        } else if (p == 2.0) {
            acc += a * a;
        } else if (p == 1.0) {
            acc += a;
        } else {
            acc += std::pow(a, p);
        }
    }
    [[nodiscard]] float finish(const double& acc, int /*real*/, int /*counted*/) const {
        if (std::isinf(p) || p == 1.0) {
            return static_cast<float>(acc);
        }
        if (p == 2.0) {
            return static_cast<float>(std::sqrt(acc));
        }
        return static_cast<float>(std::pow(acc, 1.0 / p));
    }
};

std::vector<ParamSpec> specs() {
    auto specs = pool_param_specs();
    specs.push_back({.name = "norm",
                     .type = ParamType::number,
                     .default_value = "2",
                     .help = "the p of the norm, >= 1, or inf (max of |x|)",
                     .min = 1,
                     .max = 1000,
                     .aliases = {"p"},
                     .allow_infinity = true});
    return specs;
}

std::unique_ptr<Op> make(const Params& params) {
    return std::make_unique<SlidingPool<LpReducer>>(params, LpReducer{params.number("norm")});
}
}  // namespace

const OpInfo& pool_lp_info() {
    static const OpInfo info{
        .name = "pool:lp",
        .summary = "Lp norm of each window, (sum |x|^p)^(1/p)",
        .details =
            "The true norm over the real cells. torch's lp_pool2d differs: it sums x^p "
            "(not |x|^p, so odd p and negative inputs disagree), takes sign(s)*relu(|s|)^(1/p), "
            "has no padding, and in ceil mode scales partial windows by k*k/cells. On "
            "non-negative input without ceil mode the two agree.",
        .params = specs(),
        .make = &make,
        .mode = {.form = ModeForm::window, .compared_by_default = true}};
    return info;
}

}  // namespace convpool::ops
