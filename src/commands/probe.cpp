#include "convpool/commands/probe.hpp"

#include "convpool/core/error.hpp"
#include "convpool/core/format.hpp"
#include "convpool/core/geometry.hpp"
#include "convpool/core/params.hpp"
#include "convpool/core/random.hpp"
#include "convpool/core/text.hpp"
#include "convpool/io/image_io.hpp"
#include "convpool/io/output_dir.hpp"
#include "convpool/pipeline/registry.hpp"
#include "convpool/render/chart.hpp"
#include "convpool/report/metrics.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <filesystem>
#include <limits>
#include <map>
#include <numbers>
#include <optional>
#include <set>

#include "probe_shift.hpp"

namespace convpool {
namespace {

/// A pipeline run on one tensor; an empty text is the identity. Adds the stages' times to `ms`.
class Runner {
public:
    Runner(const std::string& text, Semantics semantics, const ParseContext& context = {}) {
        if (!text.empty()) {
            m_pipeline.emplace(text, semantics, std::string_view(), context);
        }
    }
    [[nodiscard]] Tensor operator()(const Tensor& x, double* ms = nullptr) const {
        if (!m_pipeline) {
            return x;
        }
        (void)m_pipeline->plan(x.shape());
        return m_pipeline->run(x, [ms](const StageResult& r) {
            if (ms != nullptr && r.index > 0) {
                *ms += r.milliseconds;
            }
        });
    }
    [[nodiscard]] const Pipeline* pipeline() const { return m_pipeline ? &*m_pipeline : nullptr; }

private:
    std::optional<Pipeline> m_pipeline;
};

/// Input perturbations shared by every target: the shift crops and the noisy inputs.
struct Perturbed {
    Tensor reference;                      ///< the input cropped by N on every side
    std::vector<Tensor> shifted;           ///< [(d-1)*8 + direction]
    std::vector<Tensor> noisy;             ///< one per NoisePoint, in order
    std::vector<NoisePoint> noise_points;  ///< kind and level filled in
    std::vector<Tensor> pair_crops;        ///< consistency: [2 * pair + 0/1]
    std::vector<int> pair_offsets;         ///< consistency: each pair's offset 1..8
    std::string consistency_skipped;       ///< why there are no pairs although asked for
};

Perturbed perturb(const Tensor& input, const ProbeOptions& o) {
    Perturbed p;
    const Shape& s = input.shape();
    const int n = o.shifts;
    if (n > 0) {
        if (s.height <= 2 * n || s.width <= 2 * n) {
            throw ShapeError(
                fmt::format("probe: --shifts {} needs an input larger than {}x{}, got {}", n, 2 * n,
                            2 * n, to_string(s)));
        }
        const int h = s.height - 2 * n;
        const int w = s.width - 2 * n;
        p.reference = crop(input, n, n, h, w);
        for (int d = 1; d <= n; ++d) {
            for (const auto& dir : kDirections) {
                p.shifted.push_back(crop(input, n + d * dir[0], n + d * dir[1], h, w));
            }
        }
    }
    if (o.pairs > 0 && (s.height <= 8 || s.width <= 8)) {
        p.consistency_skipped = fmt::format(
            "not measured: the crops are 8 pixels smaller than the input on each axis, and the "
            "input is {}",
            to_string(s));
    } else if (o.pairs > 0) {
        for (const auto& org : consistency_origins(o.pairs, o.seed)) {
            p.pair_crops.push_back(crop(input, org[0], org[1], s.height - 8, s.width - 8));
            p.pair_crops.push_back(crop(input, org[2], org[3], s.height - 8, s.width - 8));
            p.pair_offsets.push_back(
                std::max(std::abs(org[0] - org[2]), std::abs(org[1] - org[3])));
        }
    }
    for (const double sigma : o.noise) {
        p.noisy.push_back(add_gaussian_noise(input, sigma, o.seed));
        p.noise_points.push_back({.kind = "gaussian", .level = sigma});
    }
    if (o.salt_pepper > 0.0) {
        p.noisy.push_back(add_salt_pepper(input, o.salt_pepper, o.seed));
        p.noise_points.push_back({.kind = "salt-pepper", .level = o.salt_pepper});
    }
    return p;
}

/// The prefix's output on every perturbed input (computed once per distinct prefix).
struct PreMaps {
    Tensor clean;
    Tensor reference;
    std::vector<Tensor> shifted;
    std::vector<Tensor> noisy;
    std::vector<Tensor> pairs;
};

PreMaps pre_maps(const Runner& prefix, const Tensor& input, const Perturbed& p) {
    PreMaps m;
    m.clean = prefix(input);
    if (!p.shifted.empty()) {
        m.reference = prefix(p.reference);
        for (const auto& t : p.shifted) {
            m.shifted.push_back(prefix(t));
        }
    }
    for (const auto& t : p.noisy) {
        m.noisy.push_back(prefix(t));
    }
    for (const auto& t : p.pair_crops) {
        m.pairs.push_back(prefix(t));
    }
    return m;
}

/// InfoLoss::discarded: see its documentation.
double discarded_fraction(const Stage& stage, const Tensor& pre, const Tensor& pooled,
                          bool selecting) {
    const auto plans = stage.op->windows(pre.shape());
    if (!plans) {
        return std::numeric_limits<double>::quiet_NaN();
    }
    const Shape& s = pre.shape();
    std::size_t reached = 0;
    std::vector<char> mark(s.plane());
    for (int c = 0; c < s.channels; ++c) {
        std::fill(mark.begin(), mark.end(), 0);
        const auto plane = pre.channel(c);
        const auto out = pooled.channel(c);
        std::size_t o = 0;
        for (const auto& ry : plans->rows.taps) {
            for (const auto& rx : plans->cols.taps) {
                const float v = o < out.size() ? out[o] : 0.0F;
                ++o;
                bool picked = false;
                for (int ty = 0; ty < ry.count && !picked; ++ty) {
                    for (int tx = 0; tx < rx.count && !picked; ++tx) {
                        const auto i = static_cast<std::size_t>(ry.first + ty * plans->rows.step) *
                                           static_cast<std::size_t>(s.width) +
                                       static_cast<std::size_t>(rx.first + tx * plans->cols.step);
                        if (!selecting) {
                            mark[i] = 1;
                        } else if (plane[i] == v || (std::isnan(plane[i]) && std::isnan(v))) {
                            mark[i] = 1;  // the first cell holding the output value carries it
                            picked = true;
                        }
                    }
                }
            }
        }
        reached += static_cast<std::size_t>(std::count(mark.begin(), mark.end(), 1));
    }
    return s.elements() == 0
               ? 0.0
               : 1.0 - static_cast<double>(reached) / static_cast<double>(s.elements());
}

/// The pool text with switches on, followed by unpool; nullopt when the pool cannot record them.
std::optional<std::string> unpool_text(const Stage& stage) {
    const auto& specs = stage.info->params;
    if (std::none_of(specs.begin(), specs.end(),
                     [](const ParamSpec& p) { return p.name == "switches"; })) {
        return std::nullopt;
    }
    // describe() leaves out switches while they are off (their default).
    const bool on = stage.params.has("switches") && stage.params.flag("switches");
    return stage.describe() + (on ? "" : ",switches") + " | unpool";
}

/// What probe_target needs besides the target and its pre-pool maps.
struct TargetContext {
    std::size_t shifts = 0;
    const Perturbed* perturbed = nullptr;
    Shape input;
    const ProbeOptions* options = nullptr;
};

/// Equivariance of `r`'s pool: its total stride and the points at the shifts that are multiples.
void shift_measures(PoolProbe& r, const ProbeTarget& target, const PreMaps& pre,
                    const Tensor& pool_ref, const TargetContext& tc, const Runner& pool) {
    const ProbeOptions& o = *tc.options;
    const std::string whole =
        target.prefix.empty() ? target.pool : target.prefix + " | " + target.pool;
    r.stride = pipeline_stride(whole, tc.input, o.semantics, o.context);
    const auto pre_stride = pipeline_stride(target.prefix, tc.input, o.semantics, o.context);
    if (!r.stride || !pre_stride) {
        r.stride.reset();
        return;
    }
    r.pre_stride = *pre_stride;
    r.equivariance =
        equivariance_points([&pool](const Tensor& t) { return pool(t); }, pre.reference, pool_ref,
                            pre.shifted, o.shifts, *r.stride, r.pre_stride);
}

PoolProbe probe_target(const ProbeTarget& target, const PreMaps& pre, const TargetContext& tc) {
    const std::size_t shifts = tc.shifts;
    const std::vector<NoisePoint>& noise_points = tc.perturbed->noise_points;
    const Semantics semantics = tc.options->semantics;
    const Runner pool(target.pool, semantics);
    if (pool.pipeline() == nullptr || pool.pipeline()->stages().size() != 1) {
        throw UsageError(fmt::format("probe: '{}' is not one pooling stage", target.pool));
    }
    const Stage& stage = pool.pipeline()->stages().front();
    PoolProbe r;
    r.target = target;
    r.stage = stage.describe();
    r.pre = pre.clean;
    r.pre_shape = pre.clean.shape();
    r.pooled = pool(pre.clean, &r.milliseconds);
    r.pool_shape = r.pooled.shape();
    r.stats = channel_stats(r.pooled.data());
    if (shifts > 0) {
        const Tensor ref = pool(pre.reference);
        for (std::size_t d = 0; d < shifts; ++d) {
            ShiftPoint sp{.shift = static_cast<int>(d + 1)};
            for (std::size_t k = 0; k < kDirections.size(); ++k) {
                const Tensor& pre_shifted = pre.shifted[d * kDirections.size() + k];
                const Tensor shifted = pool(pre_shifted);
                sp.identical_pool += fraction_identical(ref.data(), shifted.data());
                sp.correlation_pool += normalized_correlation(ref.data(), shifted.data());
                sp.identical_pre += fraction_identical(pre.reference.data(), pre_shifted.data());
                sp.correlation_pre +=
                    normalized_correlation(pre.reference.data(), pre_shifted.data());
            }
            const auto n = static_cast<double>(kDirections.size());
            sp.identical_pool /= n;
            sp.correlation_pool /= n;
            sp.identical_pre /= n;
            sp.correlation_pre /= n;
            r.shift.push_back(sp);
        }
        shift_measures(r, target, pre, ref, tc, pool);
    }
    if (!pre.pairs.empty()) {
        r.consistency = consistency_points([&pool](const Tensor& t) { return pool(t); }, pre.pairs,
                                           tc.perturbed->pair_offsets, tc.options->cos_tolerance);
    }
    for (std::size_t i = 0; i < noise_points.size(); ++i) {
        NoisePoint np = noise_points[i];
        const Tensor noisy = pool(pre.noisy[i]);
        np.psnr_pool = psnr(r.pooled, noisy);
        np.ssim_pool = ssim(r.pooled, noisy);
        np.psnr_pre = psnr(pre.clean, pre.noisy[i]);
        np.ssim_pre = ssim(pre.clean, pre.noisy[i]);
        r.noise.push_back(np);
    }
    const Tensor nearest = upsample_nearest(r.pooled, r.pre_shape);
    r.loss.psnr_nearest = psnr(pre.clean, nearest);
    r.loss.ssim_nearest = ssim(pre.clean, nearest);
    if (const auto text = unpool_text(stage)) {
        const Tensor unpooled = Runner(*text, semantics)(pre.clean);
        r.loss.psnr_unpool = psnr(pre.clean, unpooled);
        r.loss.ssim_unpool = ssim(pre.clean, unpooled);
    }
    r.loss.entropy_pre = entropy_bits(pre.clean);
    r.loss.entropy_pool = entropy_bits(r.pooled);
    r.loss.selecting = stage.op->picks_input();
    r.keeps_range = stage.op->keeps_range();
    r.loss.discarded = discarded_fraction(stage, pre.clean, r.pooled, r.loss.selecting);
    return r;
}

}  // namespace

std::string format_metric(double v, int digits) {
    if (std::isinf(v)) {
        return v > 0 ? "inf" : "-inf";
    }
    if (std::isnan(v)) {
        return "nan";
    }
    return fmt::format("{:.{}g}", v, digits);
}

std::vector<ProbeTarget> pipeline_targets(const Pipeline& pipeline) {
    std::vector<ProbeTarget> targets;
    std::string prefix;
    int index = 0;
    for (const auto& st : pipeline.stages()) {
        ++index;
        if (st.info->name.rfind("pool:", 0) == 0) {
            targets.push_back({fmt::format("{:02} {}", index, st.info->name), prefix, st.text});
        }
        prefix += (prefix.empty() ? "" : " | ") + st.text;
    }
    if (targets.empty()) {
        throw UsageError(
            "probe: the pipeline has no pooling stage (pool:...); add one or give --modes");
    }
    return targets;
}

namespace {

/// The ops that are modes of compare and probe, in `convpool ops` order.
std::vector<const OpInfo*> mode_ops(bool by_default_only) {
    std::vector<const OpInfo*> ops;
    for (const OpInfo* info : all_ops()) {
        if (info->mode.form != ModeForm::none &&
            (!by_default_only || info->mode.compared_by_default)) {
            ops.push_back(info);
        }
    }
    return ops;
}

std::string mode_name(const OpInfo& info) {
    return info.name.rfind("pool:", 0) == 0 ? info.name.substr(5) : info.name;
}

}  // namespace

const std::vector<std::string>& probe_modes() {
    static const std::vector<std::string> modes = [] {
        std::vector<std::string> names;
        for (const OpInfo* info : mode_ops(false)) {
            names.push_back(mode_name(*info));
        }
        return names;
    }();
    return modes;
}

std::string default_compare_modes() {
    std::string text;
    for (const OpInfo* info : mode_ops(true)) {
        text += (text.empty() ? "" : ",") + mode_name(*info);
    }
    return text;
}

std::vector<std::string> parse_modes(std::string_view text) {
    std::vector<std::string> modes;
    std::string valid;
    for (const auto& m : probe_modes()) {
        valid += (valid.empty() ? "" : ", ") + m;
    }
    std::string cur;
    const auto take = [&] {
        std::string m = cur;
        cur.clear();
        m.erase(0, m.find_first_not_of(' '));
        m.erase(m.find_last_not_of(' ') + 1);
        if (m.rfind("pool:", 0) == 0) {
            m = m.substr(5);
        }
        if (std::find(probe_modes().begin(), probe_modes().end(), m) == probe_modes().end()) {
            const std::string near = closest_match(m, probe_modes());
            throw UsageError(fmt::format(
                "--modes: unknown pooling mode '{}'{} (valid: {})", m,
                near.empty() ? std::string() : fmt::format(" (did you mean '{}'?)", near), valid));
        }
        if (std::find(modes.begin(), modes.end(), m) != modes.end()) {
            throw UsageError(fmt::format("--modes: mode '{}' given twice", m));
        }
        modes.push_back(m);
    };
    for (const char c : text) {
        if (c == ',') {
            take();
        } else {
            cur += c;
        }
    }
    take();
    return modes;
}

std::vector<ProbeTarget> mode_targets(const std::string& prefix,
                                      const std::vector<std::string>& modes,
                                      const std::string& kernel, const std::string& stride,
                                      std::uint64_t seed, const Shape& pre, Semantics semantics,
                                      const std::string& pad, bool ceil) {
    const std::string window =
        fmt::format("k={},s={}{}{}", kernel, stride.empty() ? kernel : stride,
                    pad.empty() ? std::string() : ",pad=" + pad, ceil ? ",ceil" : "");
    std::vector<ProbeTarget> targets;
    for (const auto& mode : modes) {
        const OpInfo& info = find_op("pool:" + mode);
        std::string pool = info.name;
        if (info.mode.form == ModeForm::output_size) {
            // Every window mode gives one output size for one window: the first declared one
            // (without extra arguments) measures it.
            const auto ops = mode_ops(false);
            const auto yardstick = std::ranges::find_if(ops, [](const OpInfo* op) {
                return op->mode.form == ModeForm::window && op->mode.extra.empty();
            });
            const Pipeline sliding((*yardstick)->name + "," + window, semantics);
            const Shape out = sliding.plan(pre).back().shape;
            pool += fmt::format(",out={}x{}", out.height, out.width);
        } else if (info.mode.form == ModeForm::stride) {
            pool += ",s=" + (stride.empty() ? kernel : stride);
        } else if (info.mode.form == ModeForm::vector) {
            // A vector per channel (spp): its own defaults; -k and -s do not apply.
        } else {
            pool += "," + window;
        }
        const auto& specs = info.params;
        if (std::any_of(specs.begin(), specs.end(),
                        [](const ParamSpec& p) { return p.name == "seed"; })) {
            pool += fmt::format(",seed={}", seed);
        }
        if (!info.mode.extra.empty()) {
            pool += "," + info.mode.extra;
        }
        targets.push_back({mode, prefix, pool});
    }
    return targets;
}

std::vector<ProbeTarget> stack_targets(const Pipeline& pipeline,
                                       const std::vector<std::string>& modes,
                                       const std::string& kernel, const std::string& stride,
                                       std::uint64_t seed, const Shape& input,
                                       const std::string& pad, bool ceil,
                                       const ParseContext& context) {
    const auto& stages = pipeline.stages();
    const auto is_pool = [](const Stage& st) { return st.info->mode.form != ModeForm::none; };
    if (stages.empty() || !is_pool(stages.back())) {
        throw UsageError(
            "probe: --replace-pools needs -p to end with a pooling stage that --modes can "
            "replace (e.g. '... | relu | pool:max'): the last one is the pool measured");
    }
    const Semantics semantics = pipeline.semantics();
    std::vector<ProbeTarget> targets;
    for (const auto& mode : modes) {
        const bool sized = find_op("pool:" + mode).mode.form == ModeForm::output_size;
        std::string prefix;
        std::string last;  // the text of the stage before the current one, not yet in `prefix`
        for (const auto& st : stages) {
            if (!last.empty()) {
                prefix += (prefix.empty() ? "" : " | ") + last;
            }
            if (!is_pool(st)) {
                last = st.text;
                continue;
            }
            // Only an output-size mode needs the shape feeding the stage.
            const Shape pre =
                sized && !prefix.empty()
                    ? Pipeline(prefix, semantics, {}, context).plan(input).back().shape
                    : input;
            last = mode_targets(prefix, {mode}, kernel, stride, seed, pre, semantics, pad, ceil)
                       .front()
                       .pool;
        }
        targets.push_back({mode, prefix, last});
    }
    return targets;
}

ProbeReport probe(const Tensor& input, const std::vector<ProbeTarget>& targets,
                  const ProbeOptions& options) {
    if (options.shifts < 0 || options.shifts > 64) {
        throw UsageError(fmt::format("--shifts: expected 0..64, got {}", options.shifts));
    }
    for (const double s : options.noise) {
        if (!(s >= 0.0) || !std::isfinite(s)) {
            throw UsageError(fmt::format("--noise: sigma must be a finite number >= 0, got {}", s));
        }
    }
    if (options.pairs < 0 || options.pairs > 64) {
        throw UsageError(fmt::format("--pairs: expected 0..64, got {}", options.pairs));
    }
    if (!(options.cos_tolerance >= -1.0 && options.cos_tolerance <= 1.0)) {
        throw UsageError(
            fmt::format("--cos-tolerance: expected -1..1, got {}", options.cos_tolerance));
    }
    if (!(options.salt_pepper >= 0.0 && options.salt_pepper <= 1.0)) {
        throw UsageError(
            fmt::format("--salt-pepper: density must be in [0, 1], got {}", options.salt_pepper));
    }
    ProbeReport report;
    report.input_shape = input.shape();
    report.options = options;
    const Perturbed perturbed = perturb(input, options);
    report.consistency_skipped = perturbed.consistency_skipped;
    std::map<std::string, PreMaps> cache;
    for (const auto& target : targets) {
        auto it = cache.find(target.prefix);
        if (it == cache.end()) {
            it = cache
                     .emplace(target.prefix,
                              pre_maps(Runner(target.prefix, options.semantics, options.context),
                                       input, perturbed))
                     .first;
        }
        const TargetContext tc{.shifts = static_cast<std::size_t>(options.shifts),
                               .perturbed = &perturbed,
                               .input = input.shape(),
                               .options = &options};
        report.pools.push_back(probe_target(target, it->second, tc));
    }
    return report;
}

Tensor crop(const Tensor& t, int y, int x, int h, int w) {
    const Shape& s = t.shape();
    if (y < 0 || x < 0 || h < 0 || w < 0 || y + h > s.height || x + w > s.width) {
        throw ShapeError(fmt::format("crop: rows {}..{} and columns {}..{} do not lie inside {}", y,
                                     y + h, x, x + w, to_string(s)));
    }
    Tensor out(Shape{s.channels, h, w}, uninitialized);
    for (int c = 0; c < s.channels; ++c) {
        for (int yy = 0; yy < h; ++yy) {
            for (int xx = 0; xx < w; ++xx) {
                out.at(c, yy, xx) = t.at(c, y + yy, x + xx);
            }
        }
    }
    return out;
}

double standard_normal(std::mt19937_64& engine) {
    // 1 - u lies in (0, 1], so the logarithm is finite.
    const double u1 = 1.0 - unit_interval(engine);
    const double u2 = unit_interval(engine);
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
}

Tensor add_gaussian_noise(const Tensor& t, double sigma, std::uint64_t seed) {
    std::mt19937_64 engine(seed);
    Tensor out = t;
    for (float& v : out.data()) {
        v = static_cast<float>(static_cast<double>(v) + sigma * standard_normal(engine));
    }
    return out;
}

Tensor add_salt_pepper(const Tensor& t, double density, std::uint64_t seed) {
    const auto range = finite_value_range(t.data());
    std::mt19937_64 engine(seed);
    Tensor out = t;
    if (!range) {
        return out;
    }
    for (float& v : out.data()) {
        const double u = unit_interval(engine);
        if (u < density / 2.0) {
            v = range->lo;
        } else if (u < density) {
            v = range->hi;
        }
    }
    return out;
}

Tensor upsample_nearest(const Tensor& pooled, const Shape& target) {
    const Shape& s = pooled.shape();
    if (s.channels != target.channels || s.height < 1 || s.width < 1) {
        throw ShapeError(
            fmt::format("upsample: cannot enlarge {} to {}", to_string(s), to_string(target)));
    }
    Tensor out(target, uninitialized);
    for (int c = 0; c < target.channels; ++c) {
        for (int y = 0; y < target.height; ++y) {
            const int sy = static_cast<int>(static_cast<long long>(y) * s.height / target.height);
            for (int x = 0; x < target.width; ++x) {
                const int sx = static_cast<int>(static_cast<long long>(x) * s.width / target.width);
                out.at(c, y, x) = pooled.at(c, sy, sx);
            }
        }
    }
    return out;
}

}  // namespace convpool
