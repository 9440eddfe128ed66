// pool:stochastic - stochastic pooling (Zeiler & Fergus, ICLR 2013).
#include "convpool/core/error.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "ops/common/pooling.hpp"
#include "ops/common/random.hpp"

namespace convpool::ops {
namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

/// Train phase: one cell of the window drawn with probability a_i / sum(a), in one pass (weighted
/// reservoir sampling: the i-th cell replaces the pick with probability a_i / (a_1 + ... + a_i)).
/// One draw per positive cell; cells of weight 0 are never picked; an all-zero window gives 0.
struct SampleReducer {
    std::mt19937_64* engine = nullptr;  // the apply() call's engine; outlives the walk
    bool clip = false;
    struct State {
        double sum = 0.0;
        float pick = 0.0F;
        bool nan = false;
    };
    [[nodiscard]] static State start() { return {}; }
    void add(State& s, float v, int /*index*/) const {
        if (std::isnan(v)) {
            s.nan = true;
            return;
        }
        const float a = clip ? std::max(v, 0.0F) : v;
        if (a <= 0.0F) {
            return;
        }
        s.sum += static_cast<double>(a);
        if (unit_interval(*engine) * s.sum < static_cast<double>(a)) {
            s.pick = a;
        }
    }
    [[nodiscard]] static float finish(const State& s, int /*real*/, int /*counted*/) {
        return s.nan ? kNaN : s.pick;
    }
};

/// Test phase: the probability-weighted average sum(p_i a_i) = sum(a_i^2) / sum(a_i), in double; an
/// all-zero window gives 0.
struct WeightedAverageReducer {
    bool clip = false;
    struct State {
        double sum = 0.0;
        double squares = 0.0;
    };
    [[nodiscard]] static State start() { return {}; }
    void add(State& s, float v, int /*index*/) const {
        const double a = static_cast<double>(clip ? std::max(v, 0.0F) : v);
        s.sum += a;
        s.squares += a * a;
    }
    [[nodiscard]] static float finish(const State& s, int /*real*/, int /*counted*/) {
        if (std::isnan(s.sum)) {
            return kNaN;
        }
        return s.sum > 0.0 ? static_cast<float>(s.squares / s.sum) : 0.0F;
    }
};

std::vector<ParamSpec> specs() {
    auto specs = pool_param_specs();
    specs.push_back({.name = "phase",
                     .type = ParamType::choice,
                     .default_value = "train",
                     .help = "train: sample one cell with probability a_i/sum(a); test: the "
                             "probability-weighted average sum(a_i^2)/sum(a)",
                     .choices = {"train", "test"}});
    specs.push_back(seed_spec("the train-phase draws"));
    specs.push_back({.name = "negative",
                     .type = ParamType::choice,
                     .default_value = "error",
                     .help = "negative input: error (put relu before the stage) or clip (treat "
                             "negative values as 0, i.e. relu inside)",
                     .choices = {"error", "clip"}});
    return specs;
}

/// Stochastic pooling over sliding windows; padding cells are never picked and weigh nothing.
class StochasticPool final : public Op {
public:
    explicit StochasticPool(const Params& params)
        : m_geometry(params),
          m_train(params.text("phase") == "train"),
          m_seed(seed_of(params)),
          m_clip(params.text("negative") == "clip") {}
    [[nodiscard]] Shape output_shape(const Shape& in) const override {
        return m_geometry.output_shape(in);
    }
    [[nodiscard]] std::vector<std::string> notes(const Shape& in) const override {
        return m_geometry.notes(in);
    }
    [[nodiscard]] std::optional<WindowPlans> windows(const Shape& in) const override {
        const Window win = m_geometry.window(in.height, in.width);
        return sliding_windows(in, win);
    }
    /// Training picks one cell of each window; inference weighs them all.
    [[nodiscard]] bool picks_input() const override { return m_train; }
    /// Either way within the window's values (negative=clip: or 0): a drawn cell, or the mean
    /// weighted by the values themselves.
    [[nodiscard]] bool keeps_range() const override { return true; }
    /// Train: each cell's probability, `p = 2/20, 3/20, 7/20, 8/20; drew 7`; test: the weighted
    /// average, `(2² + 3² + 7² + 8²) / (2 + 3 + 7 + 8) = 6.3`. Values as the draw saw them
    /// (negative=clip: clipped to 0).
    [[nodiscard]] std::string arithmetic(std::span<const float> values, int /*counted*/,
                                         float result) const override {
        std::vector<float> a(values.begin(), values.end());
        float sum = 0.0F;
        for (float& v : a) {
            v = m_clip ? std::max(v, 0.0F) : v;
            sum += v;
        }
        if (!(sum > 0.0F)) {
            return fmt::format("every cell 0: {}", result);
        }
        std::string terms;
        if (m_train) {
            for (const float v : a) {
                terms += fmt::format("{}{}/{}", terms.empty() ? "" : ", ", v, sum);
            }
            return fmt::format("p = {}; drew {}", terms, result);
        }
        std::string squares;
        for (const float v : a) {
            squares += fmt::format("{}{}\u00b2", squares.empty() ? "" : " + ", v);
        }
        return fmt::format("({}) / ({}) = {}", squares, fmt::join(a, " + "), result);
    }
    [[nodiscard]] Tensor apply(const Tensor& in) const override {
        if (!m_clip) {
            refuse_negative(in);
        }
        const Window win = m_geometry.window(in.shape().height, in.shape().width);
        const AxisPlan rows = sliding_plan(in.shape().height, win.rows);
        const AxisPlan cols = sliding_plan(in.shape().width, win.cols);
        if (!m_train) {
            return reduce_windows(in, rows, cols, WeightedAverageReducer{m_clip});
        }
        std::mt19937_64 engine(m_seed);
        return reduce_windows(in, rows, cols, SampleReducer{&engine, m_clip});
    }

private:
    static void refuse_negative(const Tensor& in) {
        for (int c = 0; c < in.shape().channels; ++c) {
            const auto plane = in.channel(c);
            const auto low = std::min_element(plane.begin(), plane.end());
            if (low != plane.end() && *low < 0.0F) {
                throw ShapeError(
                    fmt::format("pool:stochastic: input has negative values (smallest {} in "
                                "channel {}); probabilities need a_i >= 0: put 'relu' before this "
                                "stage, or write negative=clip",
                                *low, c));
            }
        }
    }

    PoolGeometry m_geometry;
    bool m_train = true;
    std::uint64_t m_seed = 0;
    bool m_clip = false;
};

}  // namespace

const OpInfo& pool_stochastic_info() {
    static const OpInfo info{
        .name = "pool:stochastic",
        .summary = "stochastic pooling: sample a cell by its share of the window (Zeiler & Fergus)",
        .details =
            "Zeiler & Fergus, ICLR 2013. Each window of non-negative activations a_i gives p_i = "
            "a_i / sum(a). phase=train draws one a_i with probability p_i (std::mt19937_64 seeded "
            "with `seed`, mapped to numbers by convpool itself, so the same seed gives the same "
            "output on every machine); phase=test outputs sum(p_i a_i). An all-zero window gives "
            "0, NaN propagates, padding is never picked. Negative input is refused unless "
            "negative=clip.",
        .params = specs(),
        .make = &make_op<StochasticPool>,
        .example = "pool:stochastic,negative=clip",
        // Noise pushes values below 0 even after a relu prefix: clip them, as relu would.
        .mode = {.form = ModeForm::window, .extra = "negative=clip", .compared_by_default = true}};
    return info;
}

}  // namespace convpool::ops
