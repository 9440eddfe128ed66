// gray - luminance Y = 0.299 R + 0.587 G + 0.114 B (ITU-R BT.601, as cv::cvtColor).
#include "convpool/core/error.hpp"
#include "convpool/core/parallel.hpp"
#include "convpool/pipeline/op.hpp"

#include <fmt/format.h>

#include <string>
#include <vector>

namespace convpool::ops {
namespace {

class Gray final : public Op {
public:
    explicit Gray(const Params& /*params*/) {}
    [[nodiscard]] Shape output_shape(const Shape& in) const override {
        if (in.channels != 1 && in.channels != 3) {
            throw ShapeError(fmt::format("gray: needs 1 or 3 (RGB) channels, got {}", in.channels));
        }
        return {1, in.height, in.width};
    }
    [[nodiscard]] Tensor apply_owned(Tensor in) const override {
        if (in.shape().channels == 1) {
            return in;  // already luminance
        }
        return apply(in);
    }
    [[nodiscard]] Tensor apply(const Tensor& in) const override {
        if (in.shape().channels == 1) {
            return in;
        }
        Tensor out(output_shape(in.shape()), uninitialized);
        const auto r = in.channel(0);
        const auto g = in.channel(1);
        const auto b = in.channel(2);
        auto y = out.channel(0);
        parallel_for(y.size(), kMinBytesPerThread / (4 * sizeof(float)),
                     [&](std::size_t begin, std::size_t end) {
                         for (std::size_t i = begin; i < end; ++i) {
                             y[i] = 0.299F * r[i] + 0.587F * g[i] + 0.114F * b[i];
                         }
                     });
        return out;
    }
    [[nodiscard]] std::vector<std::string> channel_names(const std::vector<std::string>& /*names*/,
                                                         const Shape& /*in*/, const Shape& /*out*/,
                                                         const Tensor* /*values*/) const override {
        return {"Y"};
    }
    [[nodiscard]] bool keeps_range() const override { return true; }
};

}  // namespace

const OpInfo& gray_info() {
    static const OpInfo info{.name = "gray",
                             .summary = "luminance 0.299 R + 0.587 G + 0.114 B (1 channel)",
                             .details = "",
                             .params = {},
                             .make = &make_op<Gray>,
                             .luminance_only = true};
    return info;
}

}  // namespace convpool::ops
