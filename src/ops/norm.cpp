// norm - min-max normalisation to [0, 1], per channel or over the whole tensor.
#include "convpool/pipeline/op.hpp"

#include <algorithm>
#include <cmath>

namespace convpool::ops {
namespace {

/// Maps [min, max] of the finite values to [0, 1]; a constant map becomes 0; NaN stays NaN.
void normalise(std::span<const float> src, std::span<float> dst) {
    const auto finite = finite_value_range(src);
    const float lo = finite ? finite->lo : 0.0F;
    const float range = finite ? finite->hi - lo : 0.0F;
    for (std::size_t i = 0; i < src.size(); ++i) {
        const float v = src[i];
        if (!(range > 0.0F) || std::isnan(v)) {
            dst[i] = std::isnan(v) ? v : 0.0F;
        } else {
            dst[i] = std::clamp((v - lo) / range, 0.0F, 1.0F);
        }
    }
}

class Norm final : public Op {
public:
    explicit Norm(const Params& params) : m_per_channel(params.text("per") == "channel") {}
    [[nodiscard]] Shape output_shape(const Shape& in) const override { return in; }
    [[nodiscard]] Tensor apply(const Tensor& in) const override {
        Tensor out(in.shape());
        if (m_per_channel) {
            for (int c = 0; c < in.shape().channels; ++c) {
                normalise(in.channel(c), out.channel(c));
            }
        } else {
            normalise(in.data(), out.data());
        }
        return out;
    }

private:
    bool m_per_channel;
};

}  // namespace

const OpInfo& norm_info() {
    static const OpInfo info{
        .name = "norm",
        .summary = "min-max normalise to [0, 1] (constant maps become 0)",
        .details =
            "Non-finite values are left out of the range; +-inf clamp to 1 and 0, NaN "
            "stays NaN.",
        .params = {{.name = "per",
                    .type = ParamType::choice,
                    .default_value = "channel",
                    .help = "one range per channel, or one for the whole tensor",
                    .choices = {"channel", "tensor"}}},
        .make = &make_op<Norm>};
    return info;
}

}  // namespace convpool::ops
