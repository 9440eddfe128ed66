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

namespace convpool {
namespace {

/// The 8 directions of a shift, (dy, dx), row-major around the centre.
constexpr std::array<std::array<int, 2>, 8> kDirections{
    {{-1, -1}, {-1, 0}, {-1, 1}, {0, -1}, {0, 1}, {1, -1}, {1, 0}, {1, 1}}};

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

PoolProbe probe_target(const ProbeTarget& target, const PreMaps& pre, std::size_t shifts,
                       const std::vector<NoisePoint>& noise_points, Semantics semantics) {
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
    r.loss.discarded = discarded_fraction(stage, pre.clean, r.pooled, r.loss.selecting);
    return r;
}

/// Numbers in tables and CSV: 6 significant digits, `inf`, `nan`.
std::string num(double v) { return format_metric(v, 6); }

nlohmann::json jnum(double v) {
    if (std::isinf(v)) {
        return v > 0 ? "inf" : "-inf";
    }
    if (std::isnan(v)) {
        return nullptr;
    }
    return v;
}

nlohmann::json jshape(const Shape& s) {
    return nlohmann::json::array({s.channels, s.height, s.width});
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
    if (!(options.salt_pepper >= 0.0 && options.salt_pepper <= 1.0)) {
        throw UsageError(
            fmt::format("--salt-pepper: density must be in [0, 1], got {}", options.salt_pepper));
    }
    ProbeReport report;
    report.input_shape = input.shape();
    report.options = options;
    const Perturbed perturbed = perturb(input, options);
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
        report.pools.push_back(probe_target(target, it->second,
                                            static_cast<std::size_t>(options.shifts),
                                            perturbed.noise_points, options.semantics));
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

std::string probe_table(const ProbeReport& report) {
    const auto& o = report.options;
    std::size_t lw = 4;
    std::size_t sw = 5;
    for (const auto& p : report.pools) {
        lw = std::max(lw, p.target.label.size());
        sw = std::max(sw, p.stage.size());
    }
    std::string out = fmt::format(
        "probe: {} {} | seed {} | shifts 1..{} px, mean of 8 directions, crops (no fill) | PSNR "
        "peak and SSIM L: "
        "the clean map's range\n",
        terminal_text(report.input), to_string(report.input_shape), o.seed, o.shifts);
    out += fmt::format("\n{:<{}}  {:<{}} {:>12} {:>12} {:>10} {:>10} {:>9}\n", "pool", lw, "stage",
                       sw, "pre shape", "pool shape", "elements", "vs pre", "ms");
    for (const auto& p : report.pools) {
        out += fmt::format("{:<{}}  {:<{}} {:>12} {:>12} {:>10} {:>10.4f} {:>9.3f}\n",
                           p.target.label, lw, p.stage, sw, to_string(p.pre_shape),
                           to_string(p.pool_shape), p.pool_shape.elements(),
                           static_cast<double>(p.pool_shape.elements()) /
                               static_cast<double>(p.pre_shape.elements()),
                           p.milliseconds);
    }
    if (o.shifts > 0) {
        out +=
            "\nshift invariance: output(shift x) vs output(x), same positions (pre = the map "
            "feeding the pool)\n";
        out += fmt::format("{:<{}}  {:>5} {:>11} {:>11} {:>11} {:>11}\n", "pool", lw, "shift",
                           "identical", "pre ident", "corr", "pre corr");
        for (const auto& p : report.pools) {
            for (const auto& s : p.shift) {
                out += fmt::format("{:<{}}  {:>5} {:>11.4f} {:>11.4f} {:>11.4f} {:>11.4f}\n",
                                   p.target.label, lw, s.shift, s.identical_pool, s.identical_pre,
                                   s.correlation_pool, s.correlation_pre);
            }
        }
    }
    if (!o.noise.empty() || o.salt_pepper > 0.0) {
        out +=
            "\nnoise tolerance: pooled(noisy) vs pooled(clean); pre: prepool(noisy) vs "
            "prepool(clean)\n";
        out += fmt::format("{:<{}}  {:<12} {:>7} {:>10} {:>10} {:>8} {:>8}\n", "pool", lw, "noise",
                           "level", "PSNR dB", "pre PSNR", "SSIM", "pre SSIM");
        for (const auto& p : report.pools) {
            for (const auto& n : p.noise) {
                out += fmt::format("{:<{}}  {:<12} {:>7} {:>10} {:>10} {:>8.4f} {:>8.4f}\n",
                                   p.target.label, lw, n.kind, num(n.level), num(n.psnr_pool),
                                   num(n.psnr_pre), n.ssim_pool, n.ssim_pre);
            }
        }
    }
    out +=
        "\ninformation loss: pre-pool map rebuilt from the pooled map (nearest: upsampling; "
        "unpool: max "
        "switches)\n";
    out += fmt::format("{:<{}}  {:>10} {:>8} {:>10} {:>8} {:>9} {:>9} {:>10} {:>12} {:>12}\n",
                       "pool", lw, "near PSNR", "SSIM", "unpl PSNR", "SSIM", "H pre", "H pool",
                       "discarded", "bytes pre", "bytes pool");
    for (const auto& p : report.pools) {
        const auto& l = p.loss;
        out += fmt::format(
            "{:<{}}  {:>10} {:>8.4f} {:>10} {:>8} {:>9.4f} {:>9.4f} {:>10} {:>12} {:>12}\n",
            p.target.label, lw, num(l.psnr_nearest), l.ssim_nearest,
            l.psnr_unpool ? num(*l.psnr_unpool) : "-",
            l.ssim_unpool ? fmt::format("{:.4f}", *l.ssim_unpool) : "-", l.entropy_pre,
            l.entropy_pool, num(l.discarded) + (l.selecting ? "" : "*"),
            p.pre_shape.elements() * sizeof(float), p.pool_shape.elements() * sizeof(float));
    }
    out +=
        "H: entropy in bits (256 bins). discarded: values no window picked; * mixing pools: values "
        "no window reads\n";
    return out;
}

std::string probe_json(const ProbeReport& report) {
    using nlohmann::json;
    const auto& o = report.options;
    json pools = json::array();
    for (const auto& p : report.pools) {
        json shift = json::array();
        for (const auto& s : p.shift) {
            shift.push_back({{"shift", s.shift},
                             {"identical", jnum(s.identical_pool)},
                             {"correlation", jnum(s.correlation_pool)},
                             {"pre_identical", jnum(s.identical_pre)},
                             {"pre_correlation", jnum(s.correlation_pre)}});
        }
        json noise = json::array();
        for (const auto& n : p.noise) {
            noise.push_back({{"kind", n.kind},
                             {"level", n.level},
                             {"psnr_db", jnum(n.psnr_pool)},
                             {"ssim", jnum(n.ssim_pool)},
                             {"pre_psnr_db", jnum(n.psnr_pre)},
                             {"pre_ssim", jnum(n.ssim_pre)}});
        }
        const auto& l = p.loss;
        json loss{{"nearest_psnr_db", jnum(l.psnr_nearest)},
                  {"nearest_ssim", jnum(l.ssim_nearest)},
                  {"unpool_psnr_db", l.psnr_unpool ? jnum(*l.psnr_unpool) : json(nullptr)},
                  {"unpool_ssim", l.ssim_unpool ? jnum(*l.ssim_unpool) : json(nullptr)},
                  {"entropy_pre", jnum(l.entropy_pre)},
                  {"entropy_pool", jnum(l.entropy_pool)},
                  {"discarded_fraction", jnum(l.discarded)},
                  {"discarded_rule",
                   l.selecting ? "not picked by any window" : "not read by any window"}};
        json compression{
            {"elements_pre", p.pre_shape.elements()},
            {"elements_pool", p.pool_shape.elements()},
            {"bytes_pre", p.pre_shape.elements() * sizeof(float)},
            {"bytes_pool", p.pool_shape.elements() * sizeof(float)},
            {"ratio", static_cast<double>(p.pool_shape.elements()) /
                          static_cast<double>(std::max<std::size_t>(1, p.pre_shape.elements()))}};
        pools.push_back({{"label", p.target.label},
                         {"prefix", p.target.prefix},
                         {"pool", p.target.pool},
                         {"stage", p.stage},
                         {"pre_shape", jshape(p.pre_shape)},
                         {"shape", jshape(p.pool_shape)},
                         {"ms", p.milliseconds},
                         {"stats",
                          {{"min", jnum(p.stats.min)},
                           {"max", jnum(p.stats.max)},
                           {"mean", jnum(p.stats.mean)},
                           {"std", jnum(p.stats.std)},
                           {"entropy", jnum(p.stats.entropy)}}},
                         {"shift", shift},
                         {"noise", noise},
                         {"information_loss", loss},
                         {"compression", compression}});
    }
    json doc{
        {"convpool_version", CONVPOOL_VERSION},
        {"input", utf8_display(report.input)},
        {"input_shape", jshape(report.input_shape)},
        {"pipeline", report.pipeline},
        {"semantics", semantics_name(o.semantics)},
        {"seed", o.seed},
        {"shifts", o.shifts},
        {"noise_sigmas", o.noise},
        {"salt_pepper", o.salt_pepper},
        {"conventions",
         {{"shift",
           "crops of the input moved by d pixels in 8 directions, no fill; outputs compared at the "
           "same positions; means over the directions"},
          {"psnr",
           "10 log10(L^2 / MSE), L = clean map's max - min (1 if constant); \"inf\" when "
           "identical"},
          {"ssim",
           "Wang et al. 2004, 11x11 Gaussian sigma 1.5, K1 0.01, K2 0.03, L as PSNR, window cut "
           "at the border"},
          {"noise", "std::mt19937_64 seeded with seed, Box-Muller; not clipped"}}},
        {"pools", pools}};
    if (!is_valid_utf8(report.input)) {
        doc["input_bytes"] = base64(report.input);
    }
    return doc.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

std::vector<ProbeRow> probe_rows(const ProbeReport& report) {
    std::vector<ProbeRow> rows;
    for (const auto& p : report.pools) {
        const auto row = [&rows, &p](const char* section, const char* metric,
                                     const std::string& kind, const std::string& level,
                                     double value, std::optional<double> pre) {
            rows.push_back({.pool = p.target.label,
                            .stage = p.stage,
                            .section = section,
                            .metric = metric,
                            .kind = kind,
                            .level = level,
                            .value = value,
                            .pre = pre});
        };
        for (const auto& s : p.shift) {
            row("shift", "identical", "", std::to_string(s.shift), s.identical_pool,
                s.identical_pre);
            row("shift", "correlation", "", std::to_string(s.shift), s.correlation_pool,
                s.correlation_pre);
        }
        for (const auto& n : p.noise) {
            row("noise", "psnr_db", n.kind, num(n.level), n.psnr_pool, n.psnr_pre);
            row("noise", "ssim", n.kind, num(n.level), n.ssim_pool, n.ssim_pre);
        }
        const auto& l = p.loss;
        row("loss", "nearest_psnr_db", "", "", l.psnr_nearest, std::nullopt);
        row("loss", "nearest_ssim", "", "", l.ssim_nearest, std::nullopt);
        if (l.psnr_unpool) {
            row("loss", "unpool_psnr_db", "", "", *l.psnr_unpool, std::nullopt);
            row("loss", "unpool_ssim", "", "", *l.ssim_unpool, std::nullopt);
        }
        row("loss", "entropy_bits", "", "", l.entropy_pool, l.entropy_pre);
        row("loss", "discarded_fraction", l.selecting ? "not-picked" : "not-read", "", l.discarded,
            std::nullopt);
        row("compression", "elements", "", "", static_cast<double>(p.pool_shape.elements()),
            static_cast<double>(p.pre_shape.elements()));
        row("compression", "bytes", "", "",
            static_cast<double>(p.pool_shape.elements() * sizeof(float)),
            static_cast<double>(p.pre_shape.elements() * sizeof(float)));
        row("time", "ms", "", "", p.milliseconds, std::nullopt);
    }
    return rows;
}

std::string probe_row_value(const ProbeRow& row, double v) {
    // Counts (compression) are whole numbers, written in full.
    return row.section == "compression" ? fmt::format("{}", static_cast<std::uint64_t>(v)) : num(v);
}

std::string probe_csv(const ProbeReport& report) {
    std::string out = "pool,stage,section,metric,kind,level,value,pre_value\n";
    for (const auto& r : probe_rows(report)) {
        out += fmt::format("{},{},{},{},{},{},{},{}\n", csv_field(r.pool), csv_field(r.stage),
                           r.section, r.metric, r.kind, r.level, probe_row_value(r, r.value),
                           r.pre ? probe_row_value(r, *r.pre) : std::string());
    }
    return out;
}

std::vector<std::string> write_probe_outputs(const ProbeReport& report, const OutputDir& dir) {
    dir.write("probe.json", probe_json(report));
    dir.write("probe.csv", probe_csv(report));
    std::vector<std::string> files{"probe.json", "probe.csv"};
    const auto charts = write_probe_charts(report, dir);
    files.insert(files.end(), charts.begin(), charts.end());
    return files;
}

std::vector<std::string> write_probe_charts(const ProbeReport& report, const OutputDir& dir) {
    std::vector<std::string> files;
    const auto write = [&](const std::string& name, const std::string& bytes) {
        dir.write(name, bytes);
        files.push_back(name);
    };
    // Pre-pool lines: one per distinct prefix, dashed, in the colour of its first pool.
    const auto chart = [&](const std::string& title, const std::string& x_label,
                           const std::string& y_label, double y_lo, double y_hi, bool x_integer,
                           auto&& points) {
        LineChart c{.title = title,
                    .x_label = x_label,
                    .y_label = y_label,
                    .series = {},
                    .y_lo = y_lo,
                    .y_hi = y_hi,
                    .x_integer = x_integer};
        std::set<std::string> prefixes;
        for (const auto& p : report.pools) {
            prefixes.insert(p.target.prefix);
        }
        const bool shared = prefixes.size() == 1;
        prefixes.clear();
        for (std::size_t i = 0; i < report.pools.size(); ++i) {
            const auto& p = report.pools[i];
            ChartSeries pool{.label = p.target.label,
                             .x = {},
                             .y = {},
                             .dashed = false,
                             .colour = static_cast<int>(i)};
            ChartSeries pre{.label = shared ? std::string("pre-pool map")
                                            : fmt::format("pre-pool of {}", p.target.label),
                            .x = {},
                            .y = {},
                            .dashed = true,
                            .colour = static_cast<int>(i)};
            points(p, pool, pre);
            c.series.push_back(std::move(pool));
            if (prefixes.insert(p.target.prefix).second) {
                c.series.push_back(std::move(pre));
            }
        }
        return encode_png(render_line_chart(c));
    };
    const std::string subject =
        fmt::format("{} {}", std::filesystem::path(report.input).filename().string(),
                    to_string(report.input_shape));
    if (report.options.shifts > 0) {
        const auto shift_chart = [&](const std::string& name, const std::string& what,
                                     bool identical) {
            write(name,
                  chart(fmt::format("shift invariance: {} ({})", what, subject),
                        "input shift (pixels, mean of 8 directions)", what, 0.0,
                        identical ? 1.0 : 0.0, true,
                        [identical](const PoolProbe& p, ChartSeries& pool, ChartSeries& pre) {
                            for (const auto& s : p.shift) {
                                pool.x.push_back(s.shift);
                                pool.y.push_back(identical ? s.identical_pool : s.correlation_pool);
                                pre.x.push_back(s.shift);
                                pre.y.push_back(identical ? s.identical_pre : s.correlation_pre);
                            }
                        }));
        };
        shift_chart("shift-identical.png", "fraction of outputs identical", true);
        shift_chart("shift-correlation.png", "normalised correlation", false);
    }
    if (!report.options.noise.empty()) {
        const auto noise_chart = [&](const std::string& name, const std::string& what,
                                     bool use_psnr) {
            write(name,
                  chart(fmt::format("noise tolerance: {} vs clean ({})", what, subject),
                        "Gaussian noise sigma (input units)", what, 0.0, use_psnr ? 0.0 : 1.0,
                        false, [use_psnr](const PoolProbe& p, ChartSeries& pool, ChartSeries& pre) {
                            for (const auto& n : p.noise) {
                                if (n.kind != "gaussian") {
                                    continue;
                                }
                                pool.x.push_back(n.level);
                                pool.y.push_back(use_psnr ? n.psnr_pool : n.ssim_pool);
                                pre.x.push_back(n.level);
                                pre.y.push_back(use_psnr ? n.psnr_pre : n.ssim_pre);
                            }
                        }));
        };
        noise_chart("noise-psnr.png", "PSNR (dB)", true);
        noise_chart("noise-ssim.png", "SSIM", false);
    }
    return files;
}

}  // namespace convpool
