#include "ops/common/switches.hpp"

#include <cstdint>

namespace convpool::ops {
namespace {
/// MaxReducer that also appends each window's winner index, in output order.
struct RecordingMaxReducer {
    std::vector<std::int64_t>* indices = nullptr;  // owned by the caller, outlives the walk
    [[nodiscard]] static MaxReducer::State start() { return MaxReducer::start(); }
    static void add(MaxReducer::State& s, float v, int index) { MaxReducer::add(s, v, index); }
    [[nodiscard]] float finish(const MaxReducer::State& s, int real, int counted) const {
        indices->push_back(s.index);
        return MaxReducer::finish(s, real, counted);
    }
};
}  // namespace

ParamSpec switches_spec() {
    return {.name = "switches",
            .type = ParamType::flag,
            .default_value = "false",
            .help =
                "record where each maximum came from (torch's return_indices), for a later "
                "unpool stage, a switch map and a coverage map",
            .aliases = {"return-indices"},
            .omit_default = true};
}

std::vector<int> axis_coverage_counts(int in, const AxisPlan& plan) {
    std::vector<int> counts(static_cast<std::size_t>(in), 0);
    for (const AxisTaps& t : plan.taps) {
        for (int k = 0; k < t.count; ++k) {
            ++counts[static_cast<std::size_t>(t.first) +
                     static_cast<std::size_t>(k) * static_cast<std::size_t>(plan.step)];
        }
    }
    return counts;
}

Tensor max_with_switches(const Tensor& in, const AxisPlan& rows, const AxisPlan& cols,
                         const WindowStarts& starts, Size2 window, Switches& switches) {
    const Shape& s = in.shape();
    switches = Switches{};
    switches.input = s;
    switches.window = window;
    switches.index.reserve(s.elements());
    Tensor out = reduce_windows(in, rows, cols, RecordingMaxReducer{&switches.index});
    const Shape& o = out.shape();
    switches.output = o;
    switches.offset.reserve(switches.index.size());
    std::size_t i = 0;
    for (int c = 0; c < o.channels; ++c) {
        for (int oy = 0; oy < o.height; ++oy) {
            for (int ox = 0; ox < o.width; ++ox, ++i) {
                const std::int64_t idx = switches.index[i];
                if (idx < 0) {
                    switches.offset.push_back(-1);
                    continue;
                }
                const int y = static_cast<int>(idx / s.width);
                const int x = static_cast<int>(idx % s.width);
                const int ty = (y - starts.rows[static_cast<std::size_t>(oy)]) / rows.step;
                const int tx = (x - starts.cols[static_cast<std::size_t>(ox)]) / cols.step;
                switches.offset.push_back(ty * window.w + tx);
            }
        }
    }
    const std::vector<int> row_cov = axis_coverage_counts(s.height, rows);
    const std::vector<int> col_cov = axis_coverage_counts(s.width, cols);
    switches.coverage.reserve(s.plane());
    for (const int ry : row_cov) {
        for (const int cx : col_cov) {
            switches.coverage.push_back(ry * cx);
        }
    }
    return out;
}

}  // namespace convpool::ops
