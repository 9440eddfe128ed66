// gray - luminance Y = 0.299 R + 0.587 G + 0.114 B (ITU-R BT.601, as cv::cvtColor).
#include <fmt/format.h>

#include "convpool/error.hpp"
#include "convpool/op.hpp"

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
    [[nodiscard]] Tensor apply(const Tensor& in) const override {
        Tensor out(output_shape(in.shape()));
        if (in.shape().channels == 1) {
            std::copy(in.data().begin(), in.data().end(), out.data().begin());
            return out;
        }
        const auto r = in.channel(0);
        const auto g = in.channel(1);
        const auto b = in.channel(2);
        auto y = out.channel(0);
        for (std::size_t i = 0; i < y.size(); ++i) {
            y[i] = 0.299F * r[i] + 0.587F * g[i] + 0.114F * b[i];
        }
        return out;
    }
};

}  // namespace

const OpInfo& gray_info() {
    static const OpInfo info{.name = "gray",
                             .summary = "luminance 0.299 R + 0.587 G + 0.114 B (1 channel)",
                             .details = "",
                             .params = {},
                             .make = &make_op<Gray>};
    return info;
}

}  // namespace convpool::ops
