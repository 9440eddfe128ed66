// pool:fractional - fractional max pooling (Graham 2014), the paper's variants and torch's.
#include "convpool/core/error.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "ops/common/pooling.hpp"
#include "ops/common/random.hpp"
#include "ops/common/switches.hpp"

namespace convpool::ops {
namespace {

enum class Variant { pseudo, random, torch };

constexpr int kTorchDefaultKernel = 2;

/// Region starts and sizes along one axis.
struct Regions {
    std::vector<int> starts;
    std::vector<int> sizes;
};

/// Graham's pseudo-random sequence a_i = ceil(alpha*(i+u)), shifted by ceil(alpha*u) so that a_0 =
/// 0 (as TensorFlow does); a_out = in. alpha = in/out is evaluated as in*(i+u)/out so that whole
/// multiples stay exact. Region i is [a_i, a_{i+1}), or [a_i, a_{i+1}] with overlap.
Regions pseudo_regions(int in, int out, double u, bool overlap) {
    const auto at = [in, out](double t) {
        return static_cast<int>(std::ceil(static_cast<double>(in) * t / static_cast<double>(out)));
    };
    const int shift = at(u);
    std::vector<int> a;
    a.reserve(static_cast<std::size_t>(out));
    for (int i = 0; i < out; ++i) {
        a.push_back(at(static_cast<double>(i) + u) - shift);
    }
    a.push_back(in);
    Regions r;
    for (int i = 0; i < out; ++i) {
        const auto k = static_cast<std::size_t>(i);
        r.starts.push_back(a[k]);
        r.sizes.push_back(std::min(a[k + 1] + (overlap ? 1 : 0), in) - a[k]);
    }
    return r;
}

/// Graham's random sequence: increments floor(alpha) and ceil(alpha) (1s and 2s for alpha in (1,
/// 2)), as many of each as make them sum to `in`, in an order shuffled by Fisher-Yates.
Regions random_regions(int in, int out, bool overlap, std::mt19937_64& engine) {
    const int q = in / out;
    const int extra = in % out;
    std::vector<int> steps(static_cast<std::size_t>(out), q);
    std::fill_n(steps.begin(), extra, q + 1);
    for (std::size_t i = steps.size(); i > 1; --i) {
        std::swap(steps[i - 1], steps[uniform_below(engine, i)]);
    }
    Regions r;
    int a = 0;
    for (const int step : steps) {
        r.starts.push_back(a);
        r.sizes.push_back(std::min(a + step + (overlap ? 1 : 0), in) - a);
        a += step;
    }
    return r;
}

/// torch.nn.functional.fractional_max_pool2d's sequence, in float as torch computes it for float32
/// input: alpha = (in-k)/(out-1), start_i = int((i+u)*alpha) - int(u*alpha) for i < out-1, and the
/// last start in-k; every window has k cells.
Regions torch_regions(int in, int out, int k, double u) {
    Regions r;
    const auto sample = static_cast<float>(u);
    if (out > 1) {
        const float alpha = static_cast<float>(in - k) / static_cast<float>(out - 1);
        for (int i = 0; i < out - 1; ++i) {
            r.starts.push_back(static_cast<int>((static_cast<float>(i) + sample) * alpha) -
                               static_cast<int>(sample * alpha));
        }
    }
    r.starts.push_back(in - k);
    r.sizes.assign(r.starts.size(), k);
    return r;
}

AxisPlan region_plan(const Regions& r) {
    AxisPlan plan;
    plan.step = 1;
    for (std::size_t i = 0; i < r.starts.size(); ++i) {
        plan.taps.push_back({r.starts[i], r.sizes[i], r.sizes[i]});
    }
    return plan;
}

std::vector<ParamSpec> specs() {
    return {
        {.name = "ratio",
         .type = ParamType::numbers,
         .help = "output/input size, R or RHxRW in (0, 1) (torch's output_ratio: out = int(in*R)); "
                 "alpha = in/out. Give ratio or out",
         .min = 0,
         .max = 1,
         .aliases = {"output-ratio"}},
        {.name = "out",
         .type = ParamType::size,
         .help = "output size, N or HxW. Give ratio or out",
         .min = 1,
         .max = 1 << 20,
         .aliases = {"size", "output"}},
        {.name = "variant",
         .type = ParamType::choice,
         .default_value = "pseudo",
         .help = "pseudo: a_i = ceil(alpha*(i+u)); random: shuffled increments; torch: "
                 "F.fractional_max_pool2d with samples u",
         .choices = {"pseudo", "random", "torch"}},
        {.name = "overlap",
         .type = ParamType::flag,
         .default_value = "false",
         .help = "pseudo/random: regions [a_i, a_(i+1)] share their last cell with the next "
                 "(Graham's overlapping pooling)"},
        {.name = "k",
         .type = ParamType::size,
         .help = "torch variant: window size, N or HxW (default 2)",
         .min = 1,
         .max = 4096,
         .aliases = {"kernel", "kernel-size"}},
        {.name = "u",
         .type = ParamType::numbers,
         .help = "the sample u in [0, 1), R or RHxRW (rows x cols); torch's _random_samples [..., "
                 "0] is the cols u, [..., 1] the rows u (default: drawn from seed)",
         .min = 0,
         .max = 1,
         .aliases = {"sample"}},
        seed_spec("draws u when not given, and shuffles the random variant's increments"),
        switches_spec(),
    };
}

/// Fractional max pooling: the regions are the variant's own; the walk is ops/common/pooling's.
class FractionalPool final : public Op {
public:
    explicit FractionalPool(const Params& params)
        : m_variant(params.text("variant") == "random"  ? Variant::random
                    : params.text("variant") == "torch" ? Variant::torch
                                                        : Variant::pseudo),
          m_overlap(params.flag("overlap")),
          m_seed(seed_of(params)),
          m_switches(params.flag("switches")) {
        if (params.has("ratio") == params.has("out")) {
            throw UsageError(
                "pool:fractional: give either ratio (e.g. ratio=0.7) or out (e.g. out=5x5), not "
                "both and not neither");
        }
        if (params.has("ratio")) {
            m_ratio = params.numbers("ratio");
            if (m_ratio.h <= 0.0 || m_ratio.h >= 1.0 || m_ratio.w <= 0.0 || m_ratio.w >= 1.0) {
                throw UsageError(fmt::format("pool:fractional: ratio must be in (0, 1), got {}",
                                             format_value(m_ratio)));
            }
        } else {
            m_out = params.size("out");
        }
        if (params.has("u") && m_variant == Variant::random) {
            throw UsageError(
                "pool:fractional: u is for the pseudo and torch variants; the random "
                "variant shuffles its increments with seed");
        }
        if (params.has("u")) {
            const Real2 u = params.numbers("u");
            if (u.h >= 1.0 || u.w >= 1.0) {
                throw UsageError(
                    fmt::format("pool:fractional: u must be in [0, 1), got {}", format_value(u)));
            }
            m_u = u;
        } else {
            std::mt19937_64 engine(m_seed);
            m_u.h = unit_interval(engine);
            m_u.w = unit_interval(engine);
        }
        if (m_variant == Variant::torch) {
            if (m_overlap) {
                throw UsageError(
                    "pool:fractional: overlap is for the pseudo and random variants; the torch "
                    "variant's windows have k cells");
            }
            m_kernel = params.has("k") ? params.size("k")
                                       : Size2{kTorchDefaultKernel, kTorchDefaultKernel};
        } else if (params.has("k")) {
            throw UsageError(
                "pool:fractional: k is for variant=torch; the pseudo and random variants take "
                "their region sizes from the sequence");
        }
    }

    [[nodiscard]] Shape output_shape(const Shape& in) const override {
        const Size2 out = output_size(in);
        check_axis("rows", in.height, out.h, m_kernel.h);
        check_axis("columns", in.width, out.w, m_kernel.w);
        return {in.channels, out.h, out.w};
    }
    [[nodiscard]] std::vector<std::string> notes(const Shape& in) const override {
        std::vector<std::string> notes;
        const Size2 out = output_size(in);
        note_integer_alpha(notes, "rows", in.height, out.h, m_kernel.h);
        note_integer_alpha(notes, "columns", in.width, out.w, m_kernel.w);
        return notes;
    }
    [[nodiscard]] std::optional<RegionSequences> regions(const Shape& in) const override {
        const auto [rows, cols] = axis_regions(in);
        return RegionSequences{.variant = std::string(variant_name()),
                               .u_rows = m_variant == Variant::random ? 0.0 : m_u.h,
                               .u_cols = m_variant == Variant::random ? 0.0 : m_u.w,
                               .seed = m_seed,
                               .row_starts = rows.starts,
                               .row_sizes = rows.sizes,
                               .col_starts = cols.starts,
                               .col_sizes = cols.sizes};
    }
    [[nodiscard]] Tensor apply(const Tensor& in) const override {
        const auto [rows, cols] = axis_regions(in.shape());
        return reduce_windows(in, region_plan(rows), region_plan(cols), MaxReducer{});
    }
    [[nodiscard]] std::optional<WindowPlans> windows(const Shape& in) const override {
        const auto [rows, cols] = axis_regions(in);
        return WindowPlans{region_plan(rows), region_plan(cols)};
    }
    [[nodiscard]] bool picks_input() const override { return true; }
    [[nodiscard]] bool keeps_range() const override { return true; }
    [[nodiscard]] SwitchRole switch_role() const override {
        return m_switches ? SwitchRole::records : SwitchRole::none;
    }
    [[nodiscard]] Tensor apply_recording(const Tensor& in, Switches& switches) const override {
        const auto [rows, cols] = axis_regions(in.shape());
        const Size2 window{*std::max_element(rows.sizes.begin(), rows.sizes.end()),
                           *std::max_element(cols.sizes.begin(), cols.sizes.end())};
        return max_with_switches(in, region_plan(rows), region_plan(cols),
                                 WindowStarts{rows.starts, cols.starts}, window, switches);
    }

private:
    [[nodiscard]] const char* variant_name() const {
        return m_variant == Variant::random  ? "random"
               : m_variant == Variant::torch ? "torch"
                                             : "pseudo";
    }

    [[nodiscard]] Size2 output_size(const Shape& in) const {
        if (m_out.h > 0) {
            return m_out;
        }
        // As torch: int(input_size * output_ratio), in double.
        return {static_cast<int>(static_cast<double>(in.height) * m_ratio.h),
                static_cast<int>(static_cast<double>(in.width) * m_ratio.w)};
    }

    void check_axis(const char* what, int in, int out, int k) const {
        if (out < 1) {
            throw ShapeError(fmt::format("pool:fractional: ratio {} of {} input {} gives no output",
                                         format_value(m_ratio), what, in));
        }
        if (m_variant == Variant::torch && out + k - 1 > in) {
            throw ShapeError(
                fmt::format("pool:fractional: {} output {} with k {} needs at least {} input {}, "
                            "got {} (torch: out + k - 1 <= in)",
                            what, out, k, out + k - 1, what, in));
        }
        if (m_variant != Variant::torch && out > in) {
            throw ShapeError(
                fmt::format("pool:fractional: {} output {} is larger than the input {} (alpha = "
                            "in/out must be at least 1)",
                            what, out, in));
        }
    }

    void note_integer_alpha(std::vector<std::string>& notes, const char* what, int in, int out,
                            int k) const {
        if (out < 1) {
            return;
        }
        if (m_variant != Variant::torch && in % out == 0) {
            const int alpha = in / out;
            notes.push_back(
                fmt::format("warning: alpha = {}/{} = {} along {} is an integer: fractional "
                            "pooling is ordinary max pooling there ({})",
                            in, out, alpha, what,
                            m_overlap ? fmt::format("k={}, s={}, ceil", alpha + 1, alpha)
                                      : fmt::format("k={}, s={}", alpha, alpha)));
        } else if (m_variant == Variant::torch && out > 1 && (in - k) % (out - 1) == 0) {
            const int alpha = (in - k) / (out - 1);
            notes.push_back(
                fmt::format("warning: alpha = ({}-{})/({}-1) = {} along {} is an integer: "
                            "fractional pooling is ordinary max pooling there (k={}, s={})",
                            in, k, out, alpha, what, k, alpha));
        }
    }

    /// Row and column regions for an input of shape `in` (rows first, as u and the draws).
    [[nodiscard]] std::pair<Regions, Regions> axis_regions(const Shape& in) const {
        const Size2 out = output_size(in);
        switch (m_variant) {
            case Variant::pseudo:
                return {pseudo_regions(in.height, out.h, m_u.h, m_overlap),
                        pseudo_regions(in.width, out.w, m_u.w, m_overlap)};
            case Variant::random: {
                std::mt19937_64 engine(m_seed);
                Regions rows = random_regions(in.height, out.h, m_overlap, engine);
                Regions cols = random_regions(in.width, out.w, m_overlap, engine);
                return {std::move(rows), std::move(cols)};
            }
            case Variant::torch:
                break;
        }
        return {torch_regions(in.height, out.h, m_kernel.h, m_u.h),
                torch_regions(in.width, out.w, m_kernel.w, m_u.w)};
    }

    Variant m_variant = Variant::pseudo;
    bool m_overlap = false;
    std::uint64_t m_seed = 0;
    bool m_switches = false;
    Real2 m_ratio;
    Size2 m_out;
    Real2 m_u;
    Size2 m_kernel{0, 0};  // torch variant only
};

}  // namespace

const OpInfo& pool_fractional_info() {
    static const OpInfo info{
        .name = "pool:fractional",
        .summary = "fractional max pooling: regions of 1 or 2 cells for alpha in (1, 2) (Graham)",
        .details =
            "Graham, Fractional Max-Pooling (2014). alpha = in/out along each axis. "
            "variant=pseudo: a_i = ceil(alpha*(i+u)) - ceil(alpha*u), a_out = in; variant=random: "
            "increments floor(alpha) and ceil(alpha) in an order shuffled with `seed`; region i is "
            "[a_i, a_(i+1)) or, with overlap, [a_i, a_(i+1)]. variant=torch reproduces "
            "torch.nn.functional.fractional_max_pool2d(x, k, output_size, _random_samples=S) when "
            "u=S[...,1]xS[...,0] (rows x cols; torch keeps the width sample first). u not given is "
            "drawn from `seed`. The report records the sequences, u and the seed; a warning says "
            "when alpha is an integer (ordinary max pooling).",
        .params = specs(),
        .make = &make_op<FractionalPool>,
        .example = "pool:fractional,ratio=0.7",
        .mode = {.form = ModeForm::output_size, .compared_by_default = true}};
    return info;
}

}  // namespace convpool::ops
