// bn - batch normalisation in evaluation mode (torch.nn.functional.batch_norm, training=False).
#include "convpool/core/error.hpp"
#include "convpool/pipeline/op.hpp"

#include <fmt/format.h>

#include <array>
#include <cmath>
#include <cstddef>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace convpool::ops {
namespace {

/// The per-channel parameters, in the order the help lists them.
constexpr std::array<const char*, 4> kLists{"mean", "var", "weight", "bias"};

class BatchNorm final : public Op {
public:
    explicit BatchNorm(const Params& params) : m_eps(params.number("eps")) {
        for (const char* name : kLists) {
            m_lists.emplace_back(name, params.per_channel(name));
        }
        for (std::size_t i = 0; i < var().values.size(); ++i) {
            if (!(var().values[i] + m_eps > 0.0)) {
                throw UsageError(
                    fmt::format("bn: var: value {} is {} and eps is {}; var + eps must be above 0",
                                i, var().values[i], m_eps));
            }
        }
    }

    [[nodiscard]] Shape output_shape(const Shape& in) const override {
        for (const auto& [name, list] : m_lists) {
            const std::size_t n = list.values.size();
            if (n != 1 && n != static_cast<std::size_t>(in.channels)) {
                throw ShapeError(fmt::format(
                    "bn: {} has {} values; the input has {} channel{} (give one value per "
                    "channel, or one for all)",
                    name, n, in.channels, in.channels == 1 ? "" : "s"));
            }
        }
        return in;
    }
    [[nodiscard]] Tensor apply(const Tensor& in) const override { return apply_owned(in); }
    [[nodiscard]] std::optional<ChannelAffine> channel_affine(const Shape& in) const override {
        ChannelAffine f;
        for (int c = 0; c < in.channels; ++c) {
            const auto [a, b] = factors(c);
            f.scale.push_back(a);
            f.shift.push_back(b);
        }
        return f;
    }
    // NOLINTNEXTLINE(performance-unnecessary-value-param): by value, to write in place
    [[nodiscard]] Tensor apply_owned(Tensor in) const override {
        const Shape s = in.shape();
        for (int c = 0; c < s.channels; ++c) {
            const auto [a, b] = factors(c);
            for (float& v : in.channel(c)) {
                v = v * a + b;
            }
        }
        return in;
    }

private:
    /// As torch's CPU kernel: x * alpha + beta with alpha = weight / sqrt(var + eps) and beta =
    /// bias - mean * alpha (computed in double, each rounded once to float).
    [[nodiscard]] std::pair<float, float> factors(int c) const {
        const double alpha = at(2, c) / std::sqrt(at(1, c) + m_eps);
        return {static_cast<float>(alpha), static_cast<float>(at(3, c) - at(0, c) * alpha)};
    }
    [[nodiscard]] const NumberList& var() const { return m_lists[1].second; }
    /// List `which` (kLists order) at channel c, a single value broadcast.
    [[nodiscard]] double at(std::size_t which, int c) const {
        const auto& v = m_lists[which].second.values;
        return v.size() == 1 ? v.front() : v[static_cast<std::size_t>(c)];
    }

    double m_eps;
    std::vector<std::pair<std::string, NumberList>> m_lists;
};

ParamSpec channel_values(const char* name, const char* default_value, const char* help,
                         double min) {
    return {.name = name,
            .type = ParamType::number,
            .default_value = default_value,
            .help = help,
            .min = min,
            .max = 1e9,
            .per_channel = true};
}

}  // namespace

const OpInfo& bn_info() {
    static const OpInfo info{
        .name = "bn",
        .summary =
            "batch normalisation in evaluation mode: (x - mean) / sqrt(var + eps) * "
            "weight + bias per channel",
        .details =
            "torch.nn.functional.batch_norm with training=False, i.e. a BatchNorm2d layer in "
            "eval() mode, from its running_mean, running_var, weight and bias. Each takes one "
            "number for every channel, a list [a b ...] or a 1-D array @FILE.npy with one value "
            "per channel. Computed as x * a + b per channel, a = weight / sqrt(var + eps) and b = "
            "bias - mean * a, as torch's CPU kernel.",
        .params = {channel_values("mean", "", "running mean (required)", -1e9),
                   channel_values("var", "", "running variance (required)", 0),
                   channel_values("weight", "1", "scale (gamma)", -1e9),
                   channel_values("bias", "0", "shift (beta)", -1e9),
                   {.name = "eps",
                    .type = ParamType::number,
                    .default_value = "1e-05",
                    .help = "added to the variance",
                    .min = 0,
                    .max = 1}},
        .make = &make_op<BatchNorm>,
        .example = "bn:mean=[0.5],var=[0.25]"};
    return info;
}

}  // namespace convpool::ops
