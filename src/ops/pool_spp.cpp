// pool:spp - spatial pyramid pooling (He et al. 2014): a fixed-length vector per channel.
#include "convpool/core/error.hpp"
#include "convpool/core/parallel.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <limits>
#include <utility>
#include <vector>

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

/// MaxReducer's value of one contiguous bin, folded in row-major order: a larger value replaces,
/// a NaN replaces (the last NaN stays), the first of equal values (-0, +0) stays.
float exact_bin_max(const float* plane, int width, const AxisTaps& ry, const AxisTaps& rx) {
    float m = -std::numeric_limits<float>::infinity();
    for (int y = ry.first; y < ry.first + ry.count; ++y) {
        const float* row = plane + static_cast<std::ptrdiff_t>(y) * width + rx.first;
        for (int x = 0; x < rx.count; ++x) {
            if (row[x] > m || std::isnan(row[x])) {
                m = row[x];
            }
        }
    }
    return m;
}

/// MaxReducer's value over contiguous bins (step 1), the same bits as reduce_plane(...,
/// MaxReducer{}) in a fraction of its time: eight independent running maxima (no chain of
/// dependent compares), NaN only noted. Where that could differ from the fold in order, a bin
/// holding a NaN (which NaN) or whose maximum is zero (which of -0 and +0), the bin is folded
/// again in order; otherwise equal values have equal bits and the order does not matter.
void max_plane(const float* plane, int width, const AxisPlan& rows, const AxisPlan& cols,
               float* dst) {
    constexpr int kLanes = 8;
    for (const AxisTaps& ry : rows.taps) {
        for (const AxisTaps& rx : cols.taps) {
            std::array<float, kLanes> lane{};
            lane.fill(-std::numeric_limits<float>::infinity());
            std::array<int, kLanes> nans{};  // NaN seen per lane (as ints: no branch)
            for (int y = ry.first; y < ry.first + ry.count; ++y) {
                const float* row = plane + static_cast<std::ptrdiff_t>(y) * width + rx.first;
                int x = 0;
                for (; x + kLanes <= rx.count; x += kLanes) {
                    for (std::size_t l = 0; l < kLanes; ++l) {
                        const float v = row[x + static_cast<int>(l)];
                        lane[l] = v > lane[l] ? v : lane[l];
                        nans[l] |= static_cast<int>(v != v);  // NOLINT(misc-redundant-expression)
                    }
                }
                for (; x < rx.count; ++x) {
                    lane[0] = row[x] > lane[0] ? row[x] : lane[0];
                    nans[0] |= static_cast<int>(std::isnan(row[x]));
                }
            }
            const float m = *std::max_element(lane.begin(), lane.end());
            const bool nan = std::any_of(nans.begin(), nans.end(), [](int n) { return n != 0; });
            *dst++ = nan || m == 0.0F ? exact_bin_max(plane, width, ry, rx) : m;
        }
    }
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
    /// Maxima or means of bins; drawn as a chart of its parts all the same (a vector).
    [[nodiscard]] bool keeps_range() const override { return true; }
    [[nodiscard]] Tensor apply(const Tensor& in) const override {
        const Shape& s = in.shape();
        Tensor out(output_shape(s), uninitialized);  // every cell is one bin's result
        std::vector<std::pair<AxisPlan, AxisPlan>> plans;
        for (const int level : m_levels) {
            plans.emplace_back(
                m_paper ? paper_plan(s.height, level) : adaptive_plan(s.height, level),
                m_paper ? paper_plan(s.width, level) : adaptive_plan(s.width, level));
        }
        // Channels are independent: each is pooled by one thread, in the plain loop's order, so
        // the result is the same bits for every thread count.
        const std::size_t bytes = s.plane() * sizeof(float) * plans.size();
        parallel_for(static_cast<std::size_t>(s.channels),
                     std::max<std::size_t>(1, kMinBytesPerThread / std::max<std::size_t>(1, bytes)),
                     [&](std::size_t c0, std::size_t c1) {
                         for (auto c = static_cast<int>(c0); c < static_cast<int>(c1); ++c) {
                             float* dst = out.channel(c).data();
                             for (const auto& [rows, cols] : plans) {
                                 pool_plane(in.channel(c).data(), s.width, rows, cols, dst);
                                 dst += rows.taps.size() * cols.taps.size();
                             }
                         }
                     });
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
    void pool_plane(const float* plane, int width, const AxisPlan& rows, const AxisPlan& cols,
                    float* dst) const {
        if (m_max && rows.step == 1 && cols.step == 1) {
            max_plane(plane, width, rows, cols, dst);
        } else if (m_max) {
            reduce_plane(plane, width, rows, cols, MaxReducer{}, dst);
        } else {
            reduce_plane(plane, width, rows, cols, AvgReducer{false, 0}, dst);
        }
    }

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
