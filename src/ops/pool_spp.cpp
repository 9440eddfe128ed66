// pool:spp - spatial pyramid pooling (He et al. 2014): a fixed-length vector per channel.
#include "convpool/core/error.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstddef>

#include "ops/common/pooling.hpp"

namespace convpool::ops {
namespace {

constexpr int kMaxLevel = 64;
constexpr std::size_t kMaxLevels = 16;

/// The paper's bins along an axis of `in` cells: L windows of ceil(in/L) cells, floor(in/L)
/// apart, from 0 (a=10, L=4: [0,3) [2,5) [4,7) [6,9)).
AxisPlan paper_plan(int in, int level) {
    const int window = (in + level - 1) / level;
    const int stride = in / level;
    AxisPlan plan;
    plan.taps.reserve(static_cast<std::size_t>(level));
    for (int i = 0; i < level; ++i) {
        plan.taps.push_back({i * stride, window, window});
    }
    return plan;
}

class SpatialPyramidPool final : public Op {
public:
    explicit SpatialPyramidPool(const Params& params)
        : m_max(params.text("mode") == "max"), m_paper(params.text("bins") == "paper") {
        const auto& levels = params.values("levels").values;
        if (levels.empty() || levels.size() > kMaxLevels) {
            throw UsageError(fmt::format("{}: levels: give 1 to {} levels, got {}", params.op(),
                                         kMaxLevels, levels.size()));
        }
        for (const double level : levels) {
            m_levels.push_back(static_cast<int>(level));
        }
    }
    [[nodiscard]] Shape output_shape(const Shape& in) const override {
        int cells = 0;
        for (const int level : m_levels) {
            if (m_paper && (in.height < level || in.width < level)) {
                throw ShapeError(fmt::format(
                    "pool:spp: bins=paper needs at least {} rows and columns for level {} (a "
                    "stride of floor(a/{})), the input is {}x{}; use bins=adaptive",
                    level, level, level, in.height, in.width));
            }
            cells += level * level;
        }
        return {in.channels, 1, cells};
    }
    [[nodiscard]] Tensor apply(const Tensor& in) const override {
        const Shape& s = in.shape();
        Tensor out(output_shape(s));
        int offset = 0;
        for (const int level : m_levels) {
            const AxisPlan rows =
                m_paper ? paper_plan(s.height, level) : adaptive_plan(s.height, level);
            const AxisPlan cols =
                m_paper ? paper_plan(s.width, level) : adaptive_plan(s.width, level);
            const Tensor pooled = m_max ? reduce_windows(in, rows, cols, MaxReducer{})
                                        : reduce_windows(in, rows, cols, AvgReducer{false, 0});
            for (int c = 0; c < s.channels; ++c) {
                const auto src = pooled.channel(c);
                std::copy(src.begin(), src.end(), out.channel(c).begin() + offset);
            }
            offset += level * level;
        }
        return out;
    }
    [[nodiscard]] std::vector<std::string> notes(const Shape& in) const override {
        std::string text;
        for (const int level : m_levels) {
            text += fmt::format("{}{}x{}", text.empty() ? "" : " + ", level, level);
        }
        return {
            fmt::format("a vector of {} cells per channel, levels {} in order, each level's "
                        "cells row-major",
                        output_shape(in).width, text)};
    }

    [[nodiscard]] std::vector<VectorPart> vector_parts() const override {
        std::vector<VectorPart> parts;
        for (const int level : m_levels) {
            parts.push_back({fmt::format("{}x{}", level, level), level * level});
        }
        return parts;
    }

private:
    bool m_max = true;
    bool m_paper = false;
    std::vector<int> m_levels;
};

std::vector<ParamSpec> specs() {
    return {{.name = "levels",
             .type = ParamType::values,
             .default_value = "[1 2 4]",
             .help = "pyramid levels L, each pooled to LxL cells, in output order",
             .min = 1,
             .max = kMaxLevel,
             .whole = true},
            {.name = "mode",
             .type = ParamType::choice,
             .default_value = "max",
             .help = "what each bin keeps: max or avg (the mean of its cells)",
             .choices = {"max", "avg"}},
            {.name = "bins",
             .type = ParamType::choice,
             .default_value = "adaptive",
             .help = "adaptive: PyTorch's adaptive pooling bins [floor(i*a/L), ceil((i+1)*a/L)); "
                     "paper: windows of ceil(a/L) cells, floor(a/L) apart",
             .choices = {"adaptive", "paper"}}};
}

}  // namespace

const OpInfo& pool_spp_info() {
    static const OpInfo info{
        .name = "pool:spp",
        .summary = "spatial pyramid pooling: per channel a vector of sum(L*L) cells (Cx1xN)",
        .details =
            "He, Zhang, Ren and Sun, ECCV 2014 / TPAMI 2015. For each level L the channel is "
            "pooled to LxL bins, and the bins are written one after another: output Cx1xN with "
            "N the sum of L*L, levels in the order given, each level's bins row-major. "
            "bins=adaptive equals concatenating adaptive_max_pool2d(x, L).flatten() (or "
            "adaptive_avg_pool2d) per channel, as PyTorch implementations do; bins=paper uses "
            "the paper's window ceil(a/L) and stride floor(a/L) from 0 (a=10, L=4: [0,3) [2,5) "
            "[4,7) [6,9), where adaptive bins are [0,3) [2,5) [5,8) [7,10)), the first L such "
            "windows, and needs a >= L. The stage picture is a bar chart per level.",
        .params = specs(),
        .make = &make_op<SpatialPyramidPool>,
        .example = "pool:spp,levels=[1 2],mode=avg",
        .mode = {.form = ModeForm::vector}};
    return info;
}

}  // namespace convpool::ops
