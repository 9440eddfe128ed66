#pragma once
// The reducers of pool:soft, pool:mixed and pool:median (pool:gem's GemReducer is in pooling.hpp,
// shared with pool:global-gem), and the fast paths of those four sliding-window pools
// (ops/fast/windows.cpp, which says how each relates to its reducer). The reducers are the plain
// loops the fast paths are tested against (tests/ops/test_pool_<op>.cpp).

#include "convpool/core/geometry.hpp"
#include "convpool/core/tensor.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <limits>
#include <optional>
#include <vector>

#include "ops/common/pooling.hpp"

namespace convpool::ops {

/// SoftPool of one channel's window, eq. 1-2 of the paper: sum_i e^{x_i} x_i / sum_j e^{x_j}
/// over the real cells. One pass that rescales the sums whenever a larger value arrives, so that
/// every exponential is e^{x - running max} <= 1 and nothing overflows. NaN propagates; +inf
/// gives +inf; a window of -inf gives -inf; no real cell gives NaN.
struct SoftReducer {
    static constexpr bool kKeepsRange = true;  ///< weights e^x / sum e^x: a convex combination
    struct State {
        double max = -std::numeric_limits<double>::infinity();
        double weights = 0.0;   ///< sum of e^{x - max}
        double weighted = 0.0;  ///< sum of e^{x - max} * x
        bool nan = false;
    };
    [[nodiscard]] static State start() { return {}; }
    static void add(State& s, float v, int /*index*/) {
        const auto x = static_cast<double>(v);
        if (std::isnan(x)) {
            s.nan = true;
        } else if (x > s.max) {
            // The cells so far, rescaled to the new maximum; none when they fall to 0 (the
            // first cell, cells of -inf, or a jump too large for a double).
            const double scale = std::exp(s.max - x);
            s.weights = scale > 0.0 ? s.weights * scale + 1.0 : 1.0;
            s.weighted = scale > 0.0 ? s.weighted * scale + x : x;
            s.max = x;
        } else if (x == s.max) {
            s.weights += 1.0;  // e^0, also when both are infinite
            s.weighted += x;
        } else {
            const double w = std::exp(x - s.max);
            if (w > 0.0) {  // -inf (and far below the max) adds nothing, not 0 * -inf
                s.weights += w;
                s.weighted += w * x;
            }
        }
    }
    [[nodiscard]] static float finish(const State& s, int /*real*/, int /*counted*/) {
        if (s.nan || s.weights == 0.0) {
            return std::numeric_limits<float>::quiet_NaN();
        }
        return static_cast<float>(s.weighted / s.weights);
    }
};

/// a * max + (1 - a) * mean over the same window: the max never takes padding, the mean is
/// pool:avg's (AvgPoolReducer: float sum, float division) and follows count-pad as there; the
/// two are combined in double. NaN propagates.
struct MixedReducer {
    /// a in [0, 1] (the parameter's range): between the max and the mean, both within range.
    static constexpr bool kKeepsRange = true;
    double a = 0.5;
    bool count_pad = true;
    struct State {
        MaxReducer::State max;
        float sum = AvgPoolReducer::start();
    };
    [[nodiscard]] static State start() { return {}; }
    static void add(State& s, float v, int index) {
        MaxReducer::add(s.max, v, index);
        AvgPoolReducer::add(s.sum, v, index);
    }
    [[nodiscard]] float finish(const State& s, int real, int counted) const {
        const auto max = static_cast<double>(MaxReducer::finish(s.max, real, counted));
        const float mean = 0.0F + s.sum / static_cast<float>(count_pad ? counted : real);
        return static_cast<float>(a * max + (1.0 - a) * static_cast<double>(mean));
    }
};

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

/// Fast paths (ops/fast/windows.cpp): nullopt where a geometry has none (dilation, windows of
/// more than 64 cells, median windows of other than 4 or 9 cells, gem with eps below 1e-300).
[[nodiscard]] std::optional<Tensor> fast_pool(const Tensor& in, const Window& win,
                                              const SoftReducer& reducer);
[[nodiscard]] std::optional<Tensor> fast_pool(const Tensor& in, const Window& win,
                                              const GemReducer& reducer);
[[nodiscard]] std::optional<Tensor> fast_pool(const Tensor& in, const Window& win,
                                              const MixedReducer& reducer);
[[nodiscard]] std::optional<Tensor> fast_pool(const Tensor& in, const Window& win,
                                              const MedianReducer& reducer);

}  // namespace convpool::ops
