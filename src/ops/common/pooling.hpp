#pragma once
// Window walking shared by every pooling op. A pooling mode supplies only what is its own: a
// reducer (max, mean, norm, ...) and, for adaptive or fractional pooling, the window sequence.

#include "convpool/core/geometry.hpp"
#include "convpool/core/params.hpp"
#include "convpool/core/tensor.hpp"
#include "convpool/pipeline/op.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace convpool::ops {

/// `NAME(a, b, c) = r`: the arithmetic of a pool that picks (`max`, `min`), for Op::arithmetic.
[[nodiscard]] std::string call_formula(std::string_view name, std::span<const float> values,
                                       float result);

/// `(a + b + 0) / n = r`: a mean over `values` and `zeros` padding cells, divided by `divisor`.
[[nodiscard]] std::string mean_formula(std::span<const float> values, int zeros, int divisor,
                                       float result);

/// Sliding windows of `axis` over `in` cells (`output_extent` positions).
[[nodiscard]] AxisPlan sliding_plan(int in, const Axis& axis);

/// The windows of a sliding-window pool of `win` on an input of `in`, with `sliding` set.
[[nodiscard]] WindowPlans sliding_windows(const Shape& in, const Window& win);

/// PyTorch's adaptive windows: output i reads [floor(i*in/out), ceil((i+1)*in/out)).
[[nodiscard]] AxisPlan adaptive_plan(int in, int out);

/// The parameters every sliding-window pool takes: k, s, pad, dilation, ceil.
[[nodiscard]] std::vector<ParamSpec> pool_param_specs();

/// `count-pad`: whether a mean counts the zero padding (PyTorch's count_include_pad).
[[nodiscard]] ParamSpec count_pad_spec();

/// `p` and `eps` of generalized-mean pooling (pool:gem, pool:global-gem).
[[nodiscard]] std::vector<ParamSpec> gem_param_specs();

/// Sliding-window geometry from validated parameters. Explicit padding is checked against
/// half the kernel (PyTorch's rule); `same`/`valid` padding is resolved per input later.
class PoolGeometry {
public:
    explicit PoolGeometry(const Params& params);
    /// The window for an input of height h and width w (resolves same/valid padding).
    [[nodiscard]] Window window(int h, int w) const;
    /// Output shape for `in`; throws ShapeError when no window fits.
    [[nodiscard]] Shape output_shape(const Shape& in) const;
    /// Notes on ceil-mode and uncovered borders.
    [[nodiscard]] std::vector<std::string> notes(const Shape& in) const;

private:
    std::string m_op;
    Size2 m_kernel;
    Size2 m_stride;
    Pad m_pad;
    Size2 m_dilation;
    bool m_ceil = false;
};

/// Applies `reducer` to every window given by `rows` x `cols` of one plane of `width` columns,
/// writing the outputs row-major from `dst`.
/// Reducer: `State start() const`, `void add(State&, float value, int index) const` with index
/// y*W+x, called in row-major order, and `float finish(const State&, int real, int counted) const`.
template <typename Reducer>
void reduce_plane(const float* plane, int width, const AxisPlan& rows, const AxisPlan& cols,
                  const Reducer& reducer, float* dst) {
    for (const AxisTaps& ry : rows.taps) {
        for (const AxisTaps& rx : cols.taps) {
            auto state = reducer.start();
            for (int ty = 0; ty < ry.count; ++ty) {
                const int y = ry.first + ty * rows.step;
                const float* row = plane + static_cast<std::ptrdiff_t>(y) * width;
                for (int tx = 0; tx < rx.count; ++tx) {
                    const int x = rx.first + tx * cols.step;
                    reducer.add(state, row[x], y * width + x);
                }
            }
            *dst++ = reducer.finish(state, ry.count * rx.count, ry.counted * rx.counted);
        }
    }
}

/// reduce_plane over every channel.
template <typename Reducer>
[[nodiscard]] Tensor reduce_windows(const Tensor& in, const AxisPlan& rows, const AxisPlan& cols,
                                    const Reducer& reducer) {
    const Shape& s = in.shape();
    const Shape out_shape{s.channels, static_cast<int>(rows.taps.size()),
                          static_cast<int>(cols.taps.size())};
    Tensor out(out_shape);
    for (int c = 0; c < s.channels; ++c) {
        reduce_plane(in.channel(c).data(), s.width, rows, cols, reducer, out.channel(c).data());
    }
    return out;
}

/// Largest value; padding never wins; NaN propagates; the first maximum in row-major order wins.
struct MaxReducer {
    struct State {
        float value = -std::numeric_limits<float>::infinity();
        int index = -1;
    };
    [[nodiscard]] static State start() { return {}; }
    static void add(State& s, float v, int index) {
        if (v > s.value || std::isnan(v)) {
            s.value = v;
            s.index = index;
        }
    }
    [[nodiscard]] static float finish(const State& s, int /*real*/, int /*counted*/) {
        return s.value;
    }
    [[nodiscard]] static std::string arithmetic(std::span<const float> values, int /*counted*/,
                                                float result) {
        return call_formula("max", values, result);
    }
};

/// Mean of each window: divides by `divisor` when set, else by the counted cells (padding
/// included) or the real cells.
struct AvgReducer {
    bool count_pad = true;
    int divisor = 0;
    [[nodiscard]] static double start() { return 0.0; }
    static void add(double& sum, float v, int /*index*/) { sum += static_cast<double>(v); }
    [[nodiscard]] float finish(const double& sum, int real, int counted) const {
        const int n = divisor > 0 ? divisor : (count_pad ? counted : real);
        return static_cast<float>(sum / static_cast<double>(n));
    }
    [[nodiscard]] std::string arithmetic(std::span<const float> values, int counted,
                                         float result) const {
        const int real = static_cast<int>(values.size());
        return mean_formula(values, count_pad ? counted - real : 0,
                            divisor > 0 ? divisor : (count_pad ? counted : real), result);
    }
};

/// pool:avg's reducer: avg_pool2d's arithmetic on the CPU (ATen's cpu_avg_pool, whose
/// accumulator is opmath_type<float>, i.e. float): a float sum from +0 of the real cells in
/// row-major order, divided in float by the cell count (or the divisor), added to the output's
/// +0 (so an underflowing negative mean is +0, as there). The adaptive and global means keep
/// AvgReducer's double sum.
struct AvgPoolReducer : AvgReducer {
    [[nodiscard]] static float start() { return 0.0F; }
    static void add(float& sum, float v, int /*index*/) { sum += v; }
    [[nodiscard]] float finish(const float& sum, int real, int counted) const {
        const int n = divisor > 0 ? divisor : (count_pad ? counted : real);
        return 0.0F + sum / static_cast<float>(n);
    }
};

/// Generalized mean (Radenovic et al.): (mean over the real cells of max(x, eps)^p)^(1/p).
/// Padding cells are not in the mean; NaN propagates; a window without real cells gives NaN.
struct GemReducer {
    /// A power mean of max(x, eps) lies between its smallest and largest term: within the
    /// window's values, except that cells below eps count as eps (an image's 0 as 1e-6).
    static constexpr bool kKeepsRange = true;
    double p = 3.0;
    double eps = 1e-6;
    [[nodiscard]] static double start() { return 0.0; }
    void add(double& sum, float v, int /*index*/) const {
        const auto x = static_cast<double>(v);
        sum += std::pow(std::isnan(x) ? x : std::max(x, eps), p);
    }
    [[nodiscard]] float finish(const double& sum, int real, int /*counted*/) const {
        return static_cast<float>(std::pow(sum / static_cast<double>(real), 1.0 / p));
    }
};

/// Which extremum a pool keeps.
enum class Extremum { max, min };

/// True when every window of `win` over an input of `in` (height and width) reads at least one
/// input cell along both axes: the condition for the 8-bit pools to equal the float ones.
[[nodiscard]] bool windows_read_input(const Shape& in, const Window& win);

/// The 8-bit max or min pool (ops/fast/pool_u8.cpp; its plain loop is extremum_pool_u8_plain in
/// ops/fast/pool_u8.hpp). Fast: output rows split over threads; each folds its
/// input rows with vectorised byte max/min, then its columns by doubling over the taps.
/// Windows of 2 columns with stride 2 (and no column padding) read the input rows in place: a
/// max of the rows, then of neighbouring pixels, then the even pixels gathered by a byte
/// shuffle (AVX2 where the machine has it).
[[nodiscard]] ImageU8 extremum_pool_u8(const ImageU8& in, const Window& win, Extremum which);

/// Fast path of a sliding-window pool (ops/fast/pool.cpp): the same tensor as reduce_windows, bit
/// for bit, or nullopt when the reducer has none.
template <typename Reducer>
[[nodiscard]] std::optional<Tensor> fast_pool(const Tensor& /*in*/, const Window& /*win*/,
                                              const Reducer& /*reducer*/) {
    return std::nullopt;
}
[[nodiscard]] std::optional<Tensor> fast_pool(const Tensor& in, const Window& win,
                                              const MaxReducer& reducer);
[[nodiscard]] std::optional<Tensor> fast_pool(const Tensor& in, const Window& win,
                                              const AvgPoolReducer& reducer);

/// The extremum a pool keeps when its reducer only picks input values (max, min): those pools
/// have an 8-bit kernel (ops/fast/pool_u8.cpp); nullopt for the others.
template <typename Reducer>
[[nodiscard]] std::optional<Extremum> picked_extremum(const Reducer& /*reducer*/) {
    return std::nullopt;
}
[[nodiscard]] inline std::optional<Extremum> picked_extremum(const MaxReducer& /*reducer*/) {
    return Extremum::max;
}

}  // namespace convpool::ops

namespace convpool::ops {

/// Whether every output of a reducer is one of its window's values: an extremum, or a reducer
/// that picks a cell without being one (median) and says so with
/// `static constexpr bool kPicksInput = true`.
template <typename Reducer>
[[nodiscard]] bool reducer_picks_input(const Reducer& reducer) {
    if constexpr (requires { Reducer::kPicksInput; }) {
        return Reducer::kPicksInput;
    } else {
        return picked_extremum(reducer).has_value();
    }
}

/// Whether every output of a reducer lies within its window's values (or between them and the
/// zeros of counted padding), so that a pooled image stays an image (Op::keeps_range): those
/// that pick a cell, a mean without its own divisor, and the weighted means that say so with
/// `static constexpr bool kKeepsRange = true` (soft, gem, mixed).
template <typename Reducer>
[[nodiscard]] bool reducer_keeps_range(const Reducer& reducer) {
    if constexpr (std::is_base_of_v<AvgReducer, Reducer>) {
        return reducer.divisor == 0;
    } else if constexpr (requires { Reducer::kKeepsRange; }) {
        return Reducer::kKeepsRange;
    } else {
        return reducer_picks_input(reducer);
    }
}

/// A reducer's arithmetic of one output written out (Op::arithmetic), or "" when it has none.
template <typename Reducer>
[[nodiscard]] std::string reducer_arithmetic(const Reducer& reducer, std::span<const float> values,
                                             int counted, float result) {
    if constexpr (requires { reducer.arithmetic(values, counted, result); }) {
        return reducer.arithmetic(values, counted, result);
    } else {
        return {};
    }
}

/// A sliding-window pool: the geometry is shared, the reduction is the mode's own.
template <typename Reducer>
class SlidingPool final : public Op {
public:
    SlidingPool(const Params& params, Reducer reducer)
        : m_geometry(params), m_reducer(std::move(reducer)) {}
    [[nodiscard]] Shape output_shape(const Shape& in) const override {
        return m_geometry.output_shape(in);
    }
    [[nodiscard]] Tensor apply(const Tensor& in) const override {
        const Window win = m_geometry.window(in.shape().height, in.shape().width);
        if (auto fast = fast_pool(in, win, m_reducer)) {
            return std::move(*fast);
        }
        return reduce_windows(in, sliding_plan(in.shape().height, win.rows),
                              sliding_plan(in.shape().width, win.cols), m_reducer);
    }
    [[nodiscard]] std::vector<std::string> notes(const Shape& in) const override {
        return m_geometry.notes(in);
    }
    [[nodiscard]] std::optional<WindowPlans> windows(const Shape& in) const override {
        return sliding_windows(in, m_geometry.window(in.height, in.width));
    }
    [[nodiscard]] bool picks_input() const override { return reducer_picks_input(m_reducer); }
    [[nodiscard]] bool keeps_range() const override { return reducer_keeps_range(m_reducer); }
    [[nodiscard]] std::string arithmetic(std::span<const float> values, int counted,
                                         float result) const override {
        return reducer_arithmetic(m_reducer, values, counted, result);
    }
    [[nodiscard]] bool runs_u8(const Shape& in) const override {
        return picked_extremum(m_reducer).has_value() &&
               windows_read_input(in, m_geometry.window(in.height, in.width));
    }
    [[nodiscard]] ImageU8 apply_u8(const ImageU8& in) const override {
        const Window win = m_geometry.window(in.shape().height, in.shape().width);
        return extremum_pool_u8(in, win, picked_extremum(m_reducer).value());
    }

private:
    PoolGeometry m_geometry;
    Reducer m_reducer;
};

/// Adaptive pooling to a fixed output size (global pooling is the 1x1 case).
template <typename Reducer>
class AdaptivePool final : public Op {
public:
    AdaptivePool(Size2 out, Reducer reducer) : m_out(out), m_reducer(std::move(reducer)) {}
    [[nodiscard]] Shape output_shape(const Shape& in) const override {
        return {in.channels, m_out.h, m_out.w};
    }
    [[nodiscard]] Tensor apply(const Tensor& in) const override {
        return reduce_windows(in, adaptive_plan(in.shape().height, m_out.h),
                              adaptive_plan(in.shape().width, m_out.w), m_reducer);
    }
    [[nodiscard]] std::optional<WindowPlans> windows(const Shape& in) const override {
        return WindowPlans{adaptive_plan(in.height, m_out.h), adaptive_plan(in.width, m_out.w)};
    }
    [[nodiscard]] bool picks_input() const override { return reducer_picks_input(m_reducer); }
    [[nodiscard]] bool keeps_range() const override { return reducer_keeps_range(m_reducer); }
    [[nodiscard]] std::string arithmetic(std::span<const float> values, int counted,
                                         float result) const override {
        return reducer_arithmetic(m_reducer, values, counted, result);
    }

private:
    Size2 m_out;
    Reducer m_reducer;
};

/// The `out` parameter of adaptive pools.
[[nodiscard]] ParamSpec adaptive_out_spec();

}  // namespace convpool::ops
