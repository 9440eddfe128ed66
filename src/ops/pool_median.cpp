// pool:median - the lower median of the real cells of each window (torch.median).
#include <algorithm>
#include <cstddef>
#include <vector>

#include "ops/common/pooling.hpp"

namespace convpool::ops {
namespace {
/// The lower median of the real cells (for an even count the smaller of the two middle values,
/// as torch.median); NaN when any cell is NaN or the window has no real cell. Padding is never
/// a candidate.
struct MedianReducer {
    static constexpr bool kPicksInput = true;  ///< every output is one of the window's cells
    [[nodiscard]] static std::vector<float> start() { return {}; }
    static void add(std::vector<float>& cells, float v, int /*index*/) { cells.push_back(v); }
    [[nodiscard]] static float finish(const std::vector<float>& cells, int /*real*/,
                                      int /*counted*/) {
        const bool has_nan =
            std::any_of(cells.begin(), cells.end(), [](float v) { return std::isnan(v); });
        if (cells.empty() || has_nan) {
            return std::numeric_limits<float>::quiet_NaN();
        }
        std::vector<float> sorted = cells;
        const auto middle = sorted.begin() + static_cast<std::ptrdiff_t>((sorted.size() - 1) / 2);
        std::nth_element(sorted.begin(), middle, sorted.end());
        return *middle;
    }
};

std::unique_ptr<Op> make(const Params& params) {
    return std::make_unique<SlidingPool<MedianReducer>>(params, MedianReducer{});
}
}  // namespace

const OpInfo& pool_median_info() {
    static const OpInfo info{
        .name = "pool:median",
        .summary = "median of each window's real cells (the lower middle of an even count)",
        .details =
            "torch.median over the window: for an even number of cells the smaller of the "
            "two middle values, NaN when any cell is NaN. Padding cells are never "
            "candidates, so pad and ceil only change which windows there are.",
        .params = pool_param_specs(),
        .make = &make,
        .mode = {.form = ModeForm::window}};
    return info;
}

}  // namespace convpool::ops
