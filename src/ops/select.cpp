// select - keep some channels: listed ones, or those with the largest mean |activation|.
#include "convpool/core/error.hpp"
#include "convpool/pipeline/op.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <numeric>
#include <string>
#include <vector>

namespace convpool::ops {
namespace {

constexpr int kMaxChannels = 4096;

class Select final : public Op {
public:
    explicit Select(const Params& params) {
        const bool listed = params.has("channels");
        const bool top = params.has("top");
        if (listed == top) {
            throw UsageError("select: give channels=[...] or top=N, one of them");
        }
        if (listed) {
            for (const double v : params.values("channels").values) {
                m_channels.push_back(static_cast<int>(v));
            }
        } else {
            m_top = params.integer("top");
        }
    }

    [[nodiscard]] Shape output_shape(const Shape& in) const override {
        if (m_top > 0) {
            if (m_top > in.channels) {
                throw ShapeError(fmt::format("select: top={} but the input has {} channel{}", m_top,
                                             in.channels, in.channels == 1 ? "" : "s"));
            }
            return {m_top, in.height, in.width};
        }
        for (const int c : m_channels) {
            if (c >= in.channels) {
                throw ShapeError(
                    fmt::format("select: channel {} does not exist; the input has {} (0 to {})", c,
                                in.channels, in.channels - 1));
            }
        }
        return {static_cast<int>(m_channels.size()), in.height, in.width};
    }
    /// Its channels are some of the input's, unchanged.
    [[nodiscard]] bool keeps_range() const override { return true; }

    [[nodiscard]] Tensor apply(const Tensor& in) const override {
        const std::vector<int> picked = m_top > 0 ? ranked(in) : m_channels;
        Tensor out(output_shape(in.shape()), uninitialized);  // every channel is copied below
        for (std::size_t i = 0; i < picked.size(); ++i) {
            const auto src = in.channel(picked[i]);
            std::copy(src.begin(), src.end(), out.channel(static_cast<int>(i)).begin());
        }
        return out;
    }

    /// The names of the channels kept; select:top without the input's values (a run that
    /// reads none) names them `top1`, `top2`, ...
    [[nodiscard]] std::vector<std::string> channel_names(const std::vector<std::string>& names,
                                                         const Shape& in, const Shape& /*out*/,
                                                         const Tensor* values) const override {
        const std::vector<std::string> inputs = static_cast<int>(names.size()) == in.channels
                                                    ? names
                                                    : numbered_channel_names(in.channels);
        std::vector<std::string> out;
        if (m_top > 0 && values == nullptr) {
            for (int i = 1; i <= m_top; ++i) {
                out.push_back(fmt::format("top{}", i));
            }
            return out;
        }
        for (const int c : m_top > 0 ? ranked(*values) : m_channels) {
            out.push_back(inputs[static_cast<std::size_t>(c)]);
        }
        return out;
    }

private:
    /// The m_top channels of largest mean |x|, in decreasing order, ties to the lower index; a
    /// channel whose mean is NaN ranks below every other.
    [[nodiscard]] std::vector<int> ranked(const Tensor& in) const {
        const int channels = in.shape().channels;
        std::vector<double> mean(static_cast<std::size_t>(channels));
        for (int c = 0; c < channels; ++c) {
            double sum = 0.0;
            for (const float v : in.channel(c)) {
                sum += std::fabs(static_cast<double>(v));
            }
            mean[static_cast<std::size_t>(c)] = sum / static_cast<double>(in.shape().plane());
        }
        std::vector<int> order(static_cast<std::size_t>(channels));
        std::iota(order.begin(), order.end(), 0);
        std::stable_sort(order.begin(), order.end(), [&mean](int a, int b) {
            const double ma = mean[static_cast<std::size_t>(a)];
            const double mb = mean[static_cast<std::size_t>(b)];
            if (std::isnan(mb)) {
                return !std::isnan(ma);
            }
            return ma > mb;
        });
        order.resize(static_cast<std::size_t>(m_top));
        return order;
    }

    std::vector<int> m_channels;
    int m_top = 0;
};

}  // namespace

const OpInfo& select_info() {
    static const OpInfo info{
        .name = "select",
        .summary = "keep some channels: those listed, or the N with the largest mean |x|",
        .details =
            "channels=[0 5 7] keeps those channels in that order (torch.index_select on the "
            "channel axis; a channel may repeat). top=N keeps the N channels with the largest "
            "mean absolute value, the largest first, ties to the lower index, chosen for each "
            "image: a way to look at a 64-channel layer.",
        .params = {{.name = "channels",
                    .type = ParamType::values,
                    .help = "channel indices, from 0: [0 5 7] or @FILE.npy",
                    .min = 0,
                    .max = kMaxChannels - 1,
                    .whole = true},
                   {.name = "top",
                    .type = ParamType::integer,
                    .help = "keep the N channels of largest mean |x|",
                    .min = 1,
                    .max = kMaxChannels}},
        .make = &make_op<Select>,
        .example = "select:channels=[0]"};
    return info;
}

}  // namespace convpool::ops
