// pool:max - maximum of each window (PyTorch max_pool2d), optionally recording switches.
#include "ops/common/pooling.hpp"
#include "ops/common/switches.hpp"

namespace convpool::ops {
namespace {
std::vector<ParamSpec> specs() {
    auto specs = pool_param_specs();
    specs.push_back(switches_spec());
    return specs;
}

/// Window starts (padding included) of a sliding axis.
std::vector<int> sliding_starts(int out, const Axis& axis) {
    std::vector<int> starts;
    starts.reserve(static_cast<std::size_t>(out));
    for (int o = 0; o < out; ++o) {
        starts.push_back(o * axis.stride - axis.pad_begin);
    }
    return starts;
}

/// pool:max,switches: the same values as pool:max, plus the switches.
class SwitchedMaxPool final : public Op {
public:
    explicit SwitchedMaxPool(const Params& params) : m_geometry(params) {}
    [[nodiscard]] Shape output_shape(const Shape& in) const override {
        return m_geometry.output_shape(in);
    }
    [[nodiscard]] Tensor apply(const Tensor& in) const override {
        Switches unused;
        return apply_recording(in, unused);
    }
    [[nodiscard]] std::vector<std::string> notes(const Shape& in) const override {
        return m_geometry.notes(in);
    }
    [[nodiscard]] std::optional<WindowPlans> windows(const Shape& in) const override {
        const Window win = m_geometry.window(in.height, in.width);
        return sliding_windows(in, win);
    }
    [[nodiscard]] bool picks_input() const override { return true; }
    [[nodiscard]] bool keeps_range() const override { return true; }
    [[nodiscard]] std::string arithmetic(std::span<const float> values, int counted,
                                         float result) const override {
        return MaxReducer::arithmetic(values, counted, result);
    }
    [[nodiscard]] SwitchRole switch_role() const override { return SwitchRole::records; }
    [[nodiscard]] Tensor apply_recording(const Tensor& in, Switches& switches) const override {
        const Window win = m_geometry.window(in.shape().height, in.shape().width);
        const AxisPlan rows = sliding_plan(in.shape().height, win.rows);
        const AxisPlan cols = sliding_plan(in.shape().width, win.cols);
        const WindowStarts starts{sliding_starts(static_cast<int>(rows.taps.size()), win.rows),
                                  sliding_starts(static_cast<int>(cols.taps.size()), win.cols)};
        return max_with_switches(in, rows, cols, starts, {win.rows.kernel, win.cols.kernel},
                                 switches);
    }

private:
    PoolGeometry m_geometry;
};

std::unique_ptr<Op> make(const Params& params) {
    if (params.flag("switches")) {
        return std::make_unique<SwitchedMaxPool>(params);
    }
    return std::make_unique<SlidingPool<MaxReducer>>(params, MaxReducer{});
}
}  // namespace

const OpInfo& pool_max_info() {
    static const OpInfo info{
        .name = "pool:max",
        .summary = "maximum of each window (padding never wins, NaN propagates)",
        .details =
            "Matches torch.nn.functional.max_pool2d: output size floor((in + 2*pad - "
            "dilation*(k-1) - 1)/s) + 1, or ceil in ceil mode where a last window that would start "
            "in the padding is dropped; ties go to the first maximum in row-major order. With "
            "`switches` the stage also records where each maximum came from (flat index y*W+x in "
            "its input channel, as return_indices), which a later `unpool` stage uses, and run "
            "writes a switch map and a coverage map.",
        .params = specs(),
        .make = &make,
        .mode = {.form = ModeForm::window, .compared_by_default = true}};
    return info;
}

}  // namespace convpool::ops
