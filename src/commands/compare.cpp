#include "convpool/commands/compare.hpp"

#include "convpool/core/error.hpp"
#include "convpool/core/format.hpp"
#include "convpool/core/text.hpp"
#include "convpool/io/image_io.hpp"
#include "convpool/io/output_dir.hpp"
#include "convpool/pipeline/op.hpp"
#include "convpool/pipeline/pipeline.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <limits>
#include <optional>

namespace convpool {
namespace {

/// Finite range over several tensors.
ValueRange common_range(const std::vector<const Tensor*>& tensors) {
    float lo = std::numeric_limits<float>::infinity();
    float hi = -std::numeric_limits<float>::infinity();
    for (const Tensor* t : tensors) {
        for (const float v : t->data()) {
            if (std::isfinite(v)) {
                lo = std::min(lo, v);
                hi = std::max(hi, v);
            }
        }
    }
    return lo <= hi ? ValueRange{lo, hi} : ValueRange{};
}

std::string num(double v) { return format_metric(v, 4); }

/// The summary columns of one mode, as text, in compare_table/compare_csv order.
struct Summary {
    std::string identical;
    std::string correlation;
    std::string pre_identical;
    std::string pre_correlation;
    std::string noise_psnr;
    std::string noise_ssim;
    std::string pre_noise_psnr;
};

Summary summarize(const PoolProbe& p) {
    Summary s{"-", "-", "-", "-", "-", "-", "-"};
    if (!p.shift.empty()) {
        s.identical = num(p.shift.front().identical_pool);
        s.correlation = num(p.shift.front().correlation_pool);
        s.pre_identical = num(p.shift.front().identical_pre);
        s.pre_correlation = num(p.shift.front().correlation_pre);
    }
    const auto gaussian = std::find_if(p.noise.begin(), p.noise.end(),
                                       [](const NoisePoint& n) { return n.kind == "gaussian"; });
    if (gaussian != p.noise.end()) {
        s.noise_psnr = num(gaussian->psnr_pool);
        s.noise_ssim = num(gaussian->ssim_pool);
        s.pre_noise_psnr = num(gaussian->psnr_pre);
    }
    return s;
}

/// The prefix's stages, the input first, each with its label and whether it is still an image:
/// the input, and each stage after it while every stage so far keeps its range (Op::keeps_range).
struct PrefixStages {
    std::vector<Tensor> maps;
    std::vector<std::string> labels;
    std::vector<bool> images;
    std::vector<std::vector<std::string>> names;  ///< each map's channel names (Op::channel_names)
};

PrefixStages run_prefix(const Tensor& input, const CompareOptions& options) {
    const int channels = input.shape().channels;
    PrefixStages p{{input},
                   {"input"},
                   {true},
                   {static_cast<int>(options.channel_names.size()) == channels
                        ? options.channel_names
                        : numbered_channel_names(channels)}};
    if (options.prefix.empty()) {
        return p;
    }
    const Pipeline prefix(options.prefix, options.probe.semantics, std::string_view(),
                          options.probe.context);
    (void)prefix.plan(input.shape());
    (void)prefix.run(input, [&](const StageResult& r) {
        if (r.index > 0) {
            p.names.push_back(r.stage->op->channel_names(p.names.back(), p.maps.back().shape(),
                                                         r.tensor->shape(), &p.maps.back()));
            p.maps.push_back(*r.tensor);
            p.labels.push_back(fmt::format("{:02} {}", r.index, r.stage->text));
            p.images.push_back(p.images.back() && r.stage->op->keeps_range());
        }
    });
    return p;
}

/// One panel of the sheet, with its colour bar and channel names: an image drawn as the input
/// is (gray or RGB, over `image` when set), a feature map in colour (over `shared` when set,
/// else its own range).
SheetItem panel(const Tensor& t, const std::vector<std::string>& names, bool image,
                const std::optional<ValueRange>& image_range,
                const std::optional<ValueRange>& shared, std::string label, std::string sublabel) {
    const PictureKind kind = image ? PictureKind::natural : PictureKind::feature_maps;
    RenderOptions o;
    o.channel_names = names;
    // Tile labels stay apart: the sheet leaves them out of a shrunk panel (as run's sheet).
    o.text_apart = true;
    if (image) {
        o.image_range = image_range;
    } else if (shared) {
        o.scale = ColorScale::global;
        o.range = shared;
    }
    SheetItem item{.body = render_tensor(t, kind, o),
                   .label = std::move(label),
                   .sublabel = std::move(sublabel),
                   .detail = fmt::format("{}", fmt::join(names, " "))};
    item.bar = colour_bar(t, kind, o);
    return item;
}

/// The sheet: the input, the prefix's stages and every mode's pooled map. Images stay images
/// (gray or RGB, one map from the input on); the pool input and the pooled maps drawn as feature
/// maps share one colour range, so that they compare colour for colour.
Picture compare_sheet(const PrefixStages& prefix, const ProbeReport& report,
                      const CompareOptions& options) {
    const bool pre_image = prefix.images.back();
    std::vector<const Tensor*> shared_maps;
    if (!pre_image) {
        shared_maps.push_back(&prefix.maps.back());
    }
    for (const auto& p : report.pools) {
        if (!(pre_image && p.keeps_range)) {
            shared_maps.push_back(&p.pooled);
        }
    }
    const std::optional<ValueRange> shared =
        shared_maps.empty() ? std::nullopt : std::optional(common_range(shared_maps));
    // An image outside [0, 1] (a .npy) is drawn over the input's range all along.
    std::optional<ValueRange> image_range = finite_value_range(prefix.maps.front().data());
    if (image_range && image_range->lo >= 0.0F && image_range->hi <= 1.0F) {
        image_range.reset();
    }
    std::vector<SheetItem> items;
    for (std::size_t i = 0; i < prefix.maps.size(); ++i) {
        const bool is_pre = i > 0 && i + 1 == prefix.maps.size();
        items.push_back(panel(prefix.maps[i], prefix.names[i], prefix.images[i], image_range,
                              is_pre ? shared : std::nullopt,
                              prefix.labels[i] + (is_pre ? " (pool input)" : ""),
                              to_string(prefix.maps[i].shape())));
    }
    for (const auto& p : report.pools) {
        // A pool keeps the channels of its input, and their names.
        const std::vector<std::string> names =
            p.pooled.shape().channels == prefix.maps.back().shape().channels
                ? prefix.names.back()
                : numbered_channel_names(p.pooled.shape().channels);
        items.push_back(
            panel(p.pooled, names, pre_image && p.keeps_range, image_range, shared, p.target.pool,
                  fmt::format("{}  {:.3g} ms", to_string(p.pool_shape), p.milliseconds)));
    }
    RenderOptions sheet;
    sheet.display_height = options.sheet_height;
    sheet.png_scale = options.png_scale;
    const Picture body = contact_sheet(items, sheet);
    const std::string stride = options.stride.empty() ? options.kernel : options.stride;
    // Every panel has its own bar: the title has none (an RGB tensor has no bar).
    const Tensor no_bar(Shape{3, 1, 1});
    return titled_picture(
        body,
        fmt::format("convpool compare: {}  k={} s={}{}{}{}",
                    std::filesystem::path(options.input_name).filename().string(), options.kernel,
                    stride, options.pad.empty() ? "" : " pad=" + options.pad,
                    options.ceil ? " ceil" : "",
                    shared ? "  (pool input and pooled maps in colour: one colour range)" : ""),
        no_bar, PictureKind::natural, sheet);
}

}  // namespace

CompareResult compare(const Tensor& input, const CompareOptions& options) {
    if (options.modes.empty()) {
        throw UsageError("--modes: give at least one pooling mode");
    }
    // The prefix once, keeping every stage for the sheet.
    const PrefixStages prefix = run_prefix(input, options);
    const Tensor& pre = prefix.maps.back();
    const auto targets = mode_targets(options.prefix, options.modes, options.kernel, options.stride,
                                      options.probe.seed, pre.shape(), options.probe.semantics,
                                      options.pad, options.ceil);
    CompareResult result;
    result.report = probe(input, targets, options.probe);
    result.report.input = options.input_name;
    result.report.pipeline = options.prefix;
    result.sheet = compare_sheet(prefix, result.report, options);
    return result;
}

std::string compare_table(const ProbeReport& report) {
    const auto& o = report.options;
    std::size_t sw = 5;
    for (const auto& p : report.pools) {
        sw = std::max(sw, p.target.pool.size());
    }
    std::string out = fmt::format(
        "compare: {} {} | prefix '{}' | seed {} | shift: 1 px (mean of 8 directions) | noise: "
        "gaussian sigma {}\n",
        terminal_text(report.input), to_string(report.input_shape), report.pipeline, o.seed,
        o.noise.empty() ? std::string("-") : num(o.noise.front()));
    out += fmt::format(
        "{:<{}} {:>11} {:>8} {:>8} {:>8} {:>8} {:>6} {:>8} {:>6} {:>6} {:>6} {:>6} {:>7} {:>6} "
        "{:>7} "
        "{:>6} {:>7} {:>6}\n",
        "stage", sw, "shape", "min", "max", "mean", "std", "H", "ms", "ident", "pre", "corr", "pre",
        "nPSNR", "nSSIM", "rPSNR", "rSSIM", "uPSNR", "disc");
    for (const auto& p : report.pools) {
        const Summary s = summarize(p);
        const auto& l = p.loss;
        out += fmt::format(
            "{:<{}} {:>11} {:>8} {:>8} {:>8} {:>8} {:>6} {:>8} {:>6} {:>6} {:>6} {:>6} {:>7} {:>6} "
            "{:>7} {:>6} {:>7} {:>6}\n",
            p.target.pool, sw, to_string(p.pool_shape), num(p.stats.min), num(p.stats.max),
            num(p.stats.mean), num(p.stats.std), num(p.stats.entropy), num(p.milliseconds),
            s.identical, s.pre_identical, s.correlation, s.pre_correlation, s.noise_psnr,
            s.noise_ssim, num(l.psnr_nearest), num(l.ssim_nearest),
            l.psnr_unpool ? num(*l.psnr_unpool) : "-",
            std::isfinite(l.discarded) ? num(l.discarded) : "-");
    }
    if (!report.pools.empty()) {
        const auto& p = report.pools.front();
        out += fmt::format(
            "pool input {} ({} bytes as float32), entropy {} bits; noise PSNR of the pool input {} "
            "dB\n",
            to_string(p.pre_shape), p.pre_shape.elements() * sizeof(float), num(p.loss.entropy_pre),
            summarize(p).pre_noise_psnr);
    }
    out +=
        "H: entropy (bits); ident/corr: output unchanged by a 1 px shift (share identical, "
        "correlation), pre: the "
        "pool input; nPSNR/nSSIM: pooled(noisy) vs pooled(clean); rPSNR/rSSIM: pool input rebuilt "
        "by "
        "nearest upsampling; uPSNR: by unpooling max switches; disc: share of the pool input that "
        "reaches no "
        "output\n";
    return out + vector_modes_note(report);
}

std::string compare_csv(const ProbeReport& report) {
    std::string out =
        "mode,stage,channels,height,width,elements,bytes,min,max,mean,std,entropy,ms,shift1_"
        "identical,"
        "shift1_correlation,pre_shift1_identical,pre_shift1_correlation,noise_sigma,noise_psnr_db,"
        "noise_ssim,"
        "pre_noise_psnr_db,nearest_psnr_db,nearest_ssim,unpool_psnr_db,unpool_ssim,discarded_"
        "fraction\n";
    const std::string sigma = report.options.noise.empty() ? "" : num(report.options.noise.front());
    for (const auto& p : report.pools) {
        const Summary s = summarize(p);
        const auto& l = p.loss;
        const auto blank = [](const std::string& v) { return v == "-" ? std::string() : v; };
        out += fmt::format(
            "{},\"{}\",{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}\n",
            p.target.label, p.stage, p.pool_shape.channels, p.pool_shape.height, p.pool_shape.width,
            p.pool_shape.elements(), p.pool_shape.elements() * sizeof(float), num(p.stats.min),
            num(p.stats.max), num(p.stats.mean), num(p.stats.std), num(p.stats.entropy),
            num(p.milliseconds), blank(s.identical), blank(s.correlation), blank(s.pre_identical),
            blank(s.pre_correlation), sigma, blank(s.noise_psnr), blank(s.noise_ssim),
            blank(s.pre_noise_psnr), num(l.psnr_nearest), num(l.ssim_nearest),
            l.psnr_unpool ? num(*l.psnr_unpool) : "", l.ssim_unpool ? num(*l.ssim_unpool) : "",
            std::isfinite(l.discarded) ? num(l.discarded) : "");
    }
    return out;
}

std::vector<std::string> write_compare_outputs(const CompareResult& result, const OutputDir& dir) {
    std::vector<std::string> files;
    const auto write = [&](const std::string& name, const std::string& bytes) {
        dir.write(name, bytes);
        files.push_back(name);
    };
    write("sheet.png", encode_png(result.sheet));
    write("compare.json", probe_json(result.report));
    write("compare.csv", compare_csv(result.report));
    const auto charts = write_probe_charts(result.report, dir);
    files.insert(files.end(), charts.begin(), charts.end());
    return files;
}

}  // namespace convpool
