// unpool - scatters values back to where a max pool found them (torch max_unpool2d, the deconvnet's
// unpooling of Zeiler & Fergus).
#include "convpool/core/error.hpp"
#include "convpool/core/format.hpp"
#include "convpool/pipeline/op.hpp"

#include <fmt/format.h>

namespace convpool::ops {
namespace {

/// Reads the switches of the last `pool:max,switches` stage: output value i goes to input position
/// index[i] of the pooled stage's input; every other cell is 0. When windows overlap and two values
/// share a winner, the later one in row-major order wins (as torch on the CPU).
class Unpool final : public Op {
public:
    explicit Unpool(const Params& /*params*/) {}
    [[nodiscard]] Shape output_shape(const Shape& /*in*/) const override {
        throw ShapeError("unpool: needs the switches of an earlier 'pool:max,...,switches' stage");
    }
    [[nodiscard]] Tensor apply(const Tensor& /*in*/) const override {
        throw ShapeError("unpool: needs the switches of an earlier 'pool:max,...,switches' stage");
    }
    [[nodiscard]] SwitchRole switch_role() const override { return SwitchRole::consumes; }
    /// Its input's values and zeros (as avg's counted padding): an unpooled image is an image.
    [[nodiscard]] bool keeps_range() const override { return true; }
    [[nodiscard]] Shape switched_output_shape(const Shape& in, const Shape& pooled_input,
                                              const Shape& pooled_output) const override {
        if (in != pooled_output) {
            throw ShapeError(
                fmt::format("unpool: input {} does not match the output {} of the max pool whose "
                            "switches it uses (only shape-preserving stages may come between them)",
                            in, pooled_output));
        }
        return pooled_input;
    }
    [[nodiscard]] Tensor apply_switched(const Tensor& in, const Switches& switches) const override {
        Tensor out(switches.input);
        const std::size_t plane_out = in.shape().plane();
        for (int c = 0; c < in.shape().channels; ++c) {
            const auto src = in.channel(c);
            const auto dst = out.channel(c);
            for (std::size_t i = 0; i < plane_out; ++i) {
                const std::int64_t idx =
                    switches.index[static_cast<std::size_t>(c) * plane_out + i];
                if (idx >= 0) {
                    dst[static_cast<std::size_t>(idx)] = src[i];
                }
            }
        }
        return out;
    }
};

}  // namespace

const OpInfo& unpool_info() {
    static const OpInfo info{
        .name = "unpool",
        .summary = "put values back where the last max pool with switches found them, 0 elsewhere",
        .details =
            "Matches torch.nn.functional.max_unpool2d with the indices of "
            "max_pool2d(return_indices=True): the output has the size of that pool's input. Needs "
            "an earlier 'pool:max,...,switches' (or 'pool:fractional,...,switches') stage; only "
            "shape-preserving stages (relu, abs, ...) may come between them.",
        .params = {},
        .make = &make_op<Unpool>,
        .example = "pool:max,switches | unpool"};
    return info;
}

}  // namespace convpool::ops
