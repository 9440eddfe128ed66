// pool:median - the lower median of the real cells of each window (torch.median).
#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <limits>
#include <vector>

#include "ops/common/pooling.hpp"

namespace convpool::ops {
namespace {
/// The lower median of the real cells (for an even count the smaller of the two middle values,
/// as torch.median); NaN when any cell is NaN or the window has no real cell. Padding is never
/// a candidate.
struct MedianReducer {
    static constexpr bool kPicksInput = true;  ///< every output is one of the window's cells
    /// Windows of up to 64 cells (8x8) are kept on the stack; larger ones spill to the heap.
    static constexpr std::size_t kInline = 64;
    // Only the first `n` cells are ever read: no need to clear the rest for every window.
    struct State {  // NOLINT(cppcoreguidelines-pro-type-member-init)
        mutable std::array<float, kInline> cells;
        mutable std::vector<float> more;  ///< every cell, once there are more than kInline
        std::size_t n = 0;
        bool nan = false;
    };
    [[nodiscard]] static State start() {
        State s;  // NOLINT(cppcoreguidelines-pro-type-member-init): see State::cells
        return s;
    }
    static void add(State& s, float v, int /*index*/) {
        s.nan = s.nan || std::isnan(v);
        if (s.n < kInline) {
            s.cells[s.n] = v;
        } else {
            if (s.more.empty()) {
                s.more.assign(s.cells.begin(), s.cells.end());
            }
            s.more.push_back(v);
        }
        ++s.n;
    }
    /// Selects in place (the state is not read again).
    [[nodiscard]] static float finish(const State& s, int /*real*/, int /*counted*/) {
        if (s.n == 0 || s.nan) {
            return std::numeric_limits<float>::quiet_NaN();
        }
        float* first = s.n <= kInline ? s.cells.data() : s.more.data();
        float* middle = first + (s.n - 1) / 2;
        std::nth_element(first, middle, first + s.n);
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
