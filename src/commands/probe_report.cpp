/// \file probe_report.cpp
/// What `probe` writes: the table, probe.json, probe.csv (and the rows they
/// share with the batch summary), and the charts.
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
#include "convpool/report/build.hpp"
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

/// The equivariance section of the table (empty when nothing was measured).
std::string equivariance_table(const ProbeReport& report, std::size_t lw) {
    if (report.options.shifts == 0) {
        return {};
    }
    std::string out =
        "\nshift equivariance: output(shift x) moved back by shift "
        "/ stride cells vs output(x), "
        "for shifts that are multiples of the total stride\n";
    out += fmt::format("{:<{}}  {:>6} {:>5} {:>11} {:>11} {:>11} {:>11}\n", "pool", lw, "stride",
                       "shift", "identical", "pre ident", "corr", "pre corr");
    for (const auto& p : report.pools) {
        if (!p.stride) {
            out += fmt::format("{:<{}}  {:>6} (no fixed stride: not measured)\n", p.target.label,
                               lw, "-");
            continue;
        }
        const std::string stride = p.stride->y == p.stride->x
                                       ? fmt::format("{}", p.stride->y)
                                       : fmt::format("{}x{}", p.stride->y, p.stride->x);
        if (p.equivariance.empty()) {
            out += fmt::format("{:<{}}  {:>6} (no shift up to {} is a multiple)\n", p.target.label,
                               lw, stride, report.options.shifts);
        }
        for (const auto& e : p.equivariance) {
            out += fmt::format("{:<{}}  {:>6} {:>5} {:>11.4f} {:>11.4f} {:>11.4f} {:>11.4f}\n",
                               p.target.label, lw, stride, e.shift, e.identical_pool,
                               e.identical_pre, e.correlation_pool, e.correlation_pre);
        }
    }
    return out;
}

/// The consistency section of the table (empty when nothing was measured).
std::string consistency_table(const ProbeReport& report, std::size_t lw) {
    const auto& o = report.options;
    if (o.pairs == 0) {
        return {};
    }
    std::string out = fmt::format(
        "\nconsistency (Zhang 2019): {} crop pairs "
        "offset 1..8 px; consistent = cosine of the "
        "per-channel means >= {}\n",
        8 * o.pairs, num(o.cos_tolerance));
    if (!report.consistency_skipped.empty()) {
        return out + report.consistency_skipped + "\n";
    }
    out += fmt::format("{:<{}}  {:>6} {:>11} {:>11} {:>11} {:>11} {:>11} {:>11}\n", "pool", lw,
                       "offset", "consistent", "pre cons", "cosine", "pre cosine", "same argmax",
                       "pre argmax");
    for (const auto& p : report.pools) {
        for (const auto& c : p.consistency) {
            out += fmt::format(
                "{:<{}}  {:>6} {:>11.4f} {:>11.4f} {:>11.6f} "
                "{:>11.6f} {:>11.4f} {:>11.4f}\n",
                p.target.label, lw, c.offset == 0 ? "all" : std::to_string(c.offset),
                c.consistent_pool, c.consistent_pre, c.cosine_pool, c.cosine_pre,
                c.same_argmax_pool, c.same_argmax_pre);
        }
    }
    return out;
}

/// The shift-invariance rows of probe_table (none without --shifts).
std::string shift_table(const ProbeReport& report, std::size_t lw) {
    if (report.options.shifts <= 0) {
        return {};
    }
    std::string out =
        "\nshift invariance: output(shift x) vs output(x), same positions "
        "(pre = the map "
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
    return out;
}

}  // namespace

std::string probe_table(const ProbeReport& report) {
    const auto& o = report.options;
    std::size_t lw = 4;
    std::size_t sw = 5;
    for (const auto& p : report.pools) {
        lw = std::max(lw, p.target.label.size());
        sw = std::max(sw, p.stage.size());
    }
    std::string out = fmt::format(
        "probe: {} {} | seed {} | shifts 1..{} px, mean of 8 "
        "directions, crops (no fill) | PSNR "
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
    out += shift_table(report, lw);
    out += equivariance_table(report, lw);
    out += consistency_table(report, lw);
    if (!o.noise.empty() || o.salt_pepper > 0.0) {
        out +=
            "\nnoise tolerance: pooled(noisy) vs pooled(clean); pre: "
            "prepool(noisy) vs "
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
        "\ninformation loss: pre-pool map rebuilt from the pooled map "
        "(nearest: upsampling; "
        "unpool: max "
        "switches)\n";
    out += fmt::format("{:<{}}  {:>10} {:>8} {:>10} {:>8} {:>9} {:>9} {:>10} {:>12} {:>12}\n",
                       "pool", lw, "near PSNR", "SSIM", "unpl PSNR", "SSIM", "H pre", "H pool",
                       "discarded", "bytes pre", "bytes pool");
    for (const auto& p : report.pools) {
        const auto& l = p.loss;
        out += fmt::format(
            "{:<{}}  {:>10} {:>8.4f} {:>10} {:>8} {:>9.4f} {:>9.4f} {:>10} {:>12} "
            "{:>12}\n",
            p.target.label, lw, num(l.psnr_nearest), l.ssim_nearest,
            l.psnr_unpool ? num(*l.psnr_unpool) : "-",
            l.ssim_unpool ? fmt::format("{:.4f}", *l.ssim_unpool) : "-", l.entropy_pre,
            l.entropy_pool,
            std::isfinite(l.discarded) ? num(l.discarded) + (l.selecting ? "" : "*") : "-",
            p.pre_shape.elements() * sizeof(float), p.pool_shape.elements() * sizeof(float));
    }
    out +=
        "H: entropy in bits (256 bins). discarded: values no window picked; * "
        "mixing pools: values "
        "no window reads\n";
    return out + vector_modes_note(report);
}

namespace {
/// The labels of the report's pools whose mode is written in `form`,
/// comma-separated.
std::string labels_of_form(const ProbeReport& report, ModeForm form) {
    std::string names;
    for (const auto& p : report.pools) {
        const bool match = std::ranges::any_of(all_ops(), [&p, form](const OpInfo* info) {
            return info->name == "pool:" + p.target.label && info->mode.form == form;
        });
        if (match) {
            names += (names.empty() ? "" : ", ") + p.target.label;
        }
    }
    return names;
}
}  // namespace

std::string vector_modes_note(const ProbeReport& report) {
    std::string out;
    const std::string strided = labels_of_form(report, ModeForm::stride);
    if (!strided.empty()) {
        out += fmt::format(
            "{}: no window, so -k does not apply: the stride is -s (default: -k) "
            "and the filter "
            "its own (pool:blur's filter=4 unless written); padded by the filter, "
            "its output is "
            "ceil(in/s) per side, a cell more than max pooling's where a side is "
            "not a multiple "
            "of s, and it has no windows to count discarded values by (-)\n",
            strided);
    }
    const std::string vectors = labels_of_form(report, ModeForm::vector);
    if (!vectors.empty()) {
        out += fmt::format(
            "{}: a vector per channel (Cx1xN, the pyramid's bins in "
            "order), not a map: -k/-s do "
            "not apply; shift columns compare bins, the rebuilt map "
            "is the vector stretched over "
            "the pool input, so its PSNR/SSIM do not measure detail "
            "kept, and it has no windows "
            "to count discarded values by (-)\n",
            vectors);
    }
    return out;
}

namespace {

/// The measurement arrays of one pool in probe.json: shift, equivariance,
/// consistency, noise.
nlohmann::json pool_measures(const PoolProbe& p) {
    using nlohmann::json;
    json shift = json::array();
    for (const auto& s : p.shift) {
        shift.push_back({{"shift", s.shift},
                         {"identical", jnum(s.identical_pool)},
                         {"correlation", jnum(s.correlation_pool)},
                         {"pre_identical", jnum(s.identical_pre)},
                         {"pre_correlation", jnum(s.correlation_pre)}});
    }
    json equivariance = json::array();
    for (const auto& e : p.equivariance) {
        equivariance.push_back({{"shift", e.shift},
                                {"identical", jnum(e.identical_pool)},
                                {"correlation", jnum(e.correlation_pool)},
                                {"pre_identical", jnum(e.identical_pre)},
                                {"pre_correlation", jnum(e.correlation_pre)}});
    }
    json consistency = json::array();
    for (const auto& c : p.consistency) {
        consistency.push_back({{"offset", c.offset == 0 ? json("all") : json(c.offset)},
                               {"pairs", c.pairs},
                               {"consistent", jnum(c.consistent_pool)},
                               {"mean_cosine", jnum(c.cosine_pool)},
                               {"pre_consistent", jnum(c.consistent_pre)},
                               {"pre_mean_cosine", jnum(c.cosine_pre)},
                               {"same_argmax", jnum(c.same_argmax_pool)},
                               {"pre_same_argmax", jnum(c.same_argmax_pre)}});
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
    return {{"shift", shift},
            {"equivariance", equivariance},
            {"consistency", consistency},
            {"noise", noise}};
}

/// One pool in probe.json.
nlohmann::json pool_json(const PoolProbe& p) {
    using nlohmann::json;
    const auto& l = p.loss;
    json loss{
        {"nearest_psnr_db", jnum(l.psnr_nearest)},
        {"nearest_ssim", jnum(l.ssim_nearest)},
        {"unpool_psnr_db", l.psnr_unpool ? jnum(*l.psnr_unpool) : json(nullptr)},
        {"unpool_ssim", l.ssim_unpool ? jnum(*l.ssim_unpool) : json(nullptr)},
        {"entropy_pre", jnum(l.entropy_pre)},
        {"entropy_pool", jnum(l.entropy_pool)},
        {"discarded_fraction", jnum(l.discarded)},
        {"discarded_rule", l.selecting ? "not picked by any window" : "not read by any window"}};
    json compression{
        {"elements_pre", p.pre_shape.elements()},
        {"elements_pool", p.pool_shape.elements()},
        {"bytes_pre", p.pre_shape.elements() * sizeof(float)},
        {"bytes_pool", p.pool_shape.elements() * sizeof(float)},
        {"ratio", static_cast<double>(p.pool_shape.elements()) /
                      static_cast<double>(std::max<std::size_t>(1, p.pre_shape.elements()))}};
    json j{{"label", p.target.label},
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
           {"stride", p.stride ? json::array({p.stride->y, p.stride->x}) : json(nullptr)},
           {"pre_stride", json::array({p.pre_stride.y, p.pre_stride.x})},
           {"information_loss", loss},
           {"compression", compression}};
    j.update(pool_measures(p));  // keys are sorted on output: the order here does not matter
    return j;
}

/// probe.json's `conventions`: each rule in one sentence.
nlohmann::json probe_conventions() {
    return {{"shift",
             "crops of the input moved by d pixels in 8 directions, no "
             "fill; outputs compared at the "
             "same positions; means over the directions"},
            {"psnr",
             "10 log10(L^2 / MSE), L = clean map's max - min (1 if "
             "constant); \"inf\" when "
             "identical"},
            {"ssim",
             "Wang et al. 2004, 11x11 Gaussian sigma 1.5, K1 0.01, K2 0.03, "
             "L as PSNR, window cut "
             "at the border"},
            {"noise", "std::mt19937_64 seeded with seed, Box-Muller; not clipped"},
            {"equivariance",
             "shifts d that are multiples of the total stride S "
             "(prefix and pool): output(shift x) "
             "moved back by d/S cells vs output(x) on the cells both "
             "hold; means over the 8 "
             "directions"},
            {"consistency",
             "pairs crops per offset d = 1..8: two (H-8)x(W-8) crops "
             "whose origins in [0,8]^2 "
             "(seeded) are d apart (Chebyshev); consistent when the "
             "cosine similarity of the two "
             "outputs' per-channel means (global average) >= "
             "cos_tolerance; same_argmax: the two "
             "mean vectors are largest in the same channel"}};
}

}  // namespace

std::string probe_json(const ProbeReport& report) {
    using nlohmann::json;
    const auto& o = report.options;
    json pools = json::array();
    for (const auto& p : report.pools) {
        pools.push_back(pool_json(p));
    }
    json doc{{"convpool_version", CONVPOOL_VERSION},
             {"build", json::parse(build_json())},
             {"input", utf8_display(report.input)},
             {"input_shape", jshape(report.input_shape)},
             {"pipeline", report.pipeline},
             {"semantics", semantics_name(o.semantics)},
             {"seed", o.seed},
             {"shifts", o.shifts},
             {"noise_sigmas", o.noise},
             {"salt_pepper", o.salt_pepper},
             {"pairs", o.pairs},
             {"cos_tolerance", o.cos_tolerance},
             {"consistency_skipped", report.consistency_skipped.empty()
                                         ? nlohmann::json(nullptr)
                                         : nlohmann::json(report.consistency_skipped)},
             {"conventions", probe_conventions()},
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
        for (const auto& e : p.equivariance) {
            row("equivariance", "identical", "", std::to_string(e.shift), e.identical_pool,
                e.identical_pre);
            row("equivariance", "correlation", "", std::to_string(e.shift), e.correlation_pool,
                e.correlation_pre);
        }
        for (const auto& c : p.consistency) {
            const std::string level = c.offset == 0 ? "all" : std::to_string(c.offset);
            row("consistency", "consistent", "", level, c.consistent_pool, c.consistent_pre);
            row("consistency", "mean_cosine", "", level, c.cosine_pool, c.cosine_pre);
            row("consistency", "same_argmax", "", level, c.same_argmax_pool, c.same_argmax_pre);
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

namespace {

/// A line chart of every pool of `report` on `frame` (title, labels, range; no
/// series yet): `points(pool, series, pre)` fills a pool's line and its
/// pre-pool map's. Pre-pool lines: one per distinct prefix, dashed, in the
/// colour of its first pool.
template <typename Points>
std::string probe_chart(const ProbeReport& report, LineChart c, const Points& points) {
    c.png_scale = report.options.png_scale;
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
}

}  // namespace

std::vector<std::string> write_probe_charts(const ProbeReport& report, const OutputDir& dir) {
    std::vector<std::string> files;
    const auto write = [&](const std::string& name, const std::string& bytes) {
        dir.write(name, bytes);
        files.push_back(name);
    };
    const auto chart = [&report](const std::string& title, const std::string& x_label,
                                 const std::string& y_label, double y_lo, double y_hi,
                                 bool x_integer, auto&& points) {
        return probe_chart(report,
                           LineChart{.title = title,
                                     .x_label = x_label,
                                     .y_label = y_label,
                                     .series = {},
                                     .y_lo = y_lo,
                                     .y_hi = y_hi,
                                     .x_integer = x_integer},
                           points);
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
