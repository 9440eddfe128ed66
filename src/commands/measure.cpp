#include "convpool/commands/measure.hpp"

#include "convpool/commands/compare.hpp"
#include "convpool/commands/run.hpp"
#include "convpool/core/error.hpp"
#include "convpool/core/text.hpp"
#include "convpool/io/image_io.hpp"
#include "convpool/io/output_dir.hpp"
#include "convpool/render/chart.hpp"
#include "convpool/report/build.hpp"
#include "convpool/report/report.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <tuple>

namespace convpool {

namespace {

/// The outputs of one image: its report and, for compare, the sheet.
struct Measured {
    ProbeReport report;
    std::optional<Picture> sheet;
};

/// The image of one input (`stdin` holds the bytes of `-`; a TIFF page or .npy batch item is
/// its own input), with its name in front of any error.
LoadedImage load_input(const InputItem& item, const std::vector<unsigned char>& stdin_bytes) {
    LoadOptions load;
    load.item = item.item;
    try {
        return item.path == "-" ? decode_image(stdin_bytes, load) : load_image(item.path, load);
    } catch (const InputError& e) {
        throw InputError(fmt::format("{}: {}", item.display(), e.what()));
    }
}

/// compare or probe of one image.
Measured measure_one(const MeasureRequest& rq, const std::string& name, const LoadedImage& loaded) {
    const Tensor& input = loaded.tensor;
    if (!rq.pipeline.empty()) {
        // Errors of the stages here, with FILE:LINE for -p @FILE, before any measuring.
        (void)Pipeline(rq.pipeline, rq.probe.semantics, rq.source, rq.probe.context)
            .plan(input.shape());
    }
    Measured m;
    if (rq.compare) {
        CompareOptions o;
        o.input_name = name;
        o.prefix = rq.pipeline;
        o.modes = parse_modes(rq.modes);
        o.kernel = rq.kernel;
        o.stride = rq.stride;
        o.pad = rq.pad;
        o.ceil = rq.ceil;
        o.sheet_height = rq.sheet_height;
        o.png_scale = rq.png_scale;
        o.channel_names = loaded.channel_names;
        o.probe = rq.probe;
        auto result = compare(input, o);
        m.report = std::move(result.report);
        m.sheet = std::move(result.sheet);
        return m;
    }
    std::vector<ProbeTarget> targets;
    if (rq.replace_pools) {
        targets =
            stack_targets(Pipeline(rq.pipeline, rq.probe.semantics, rq.source, rq.probe.context),
                          parse_modes(rq.modes), rq.kernel, rq.stride, rq.probe.seed, input.shape(),
                          rq.pad, rq.ceil, rq.probe.context);
    } else if (!rq.modes.empty()) {
        Shape pre = input.shape();
        if (!rq.pipeline.empty()) {
            pre = Pipeline(rq.pipeline, rq.probe.semantics, {}, rq.probe.context)
                      .plan(input.shape())
                      .back()
                      .shape;
        }
        targets = mode_targets(rq.pipeline, parse_modes(rq.modes), rq.kernel, rq.stride,
                               rq.probe.seed, pre, rq.probe.semantics, rq.pad, rq.ceil);
    } else {
        targets = pipeline_targets(
            Pipeline(rq.pipeline, rq.probe.semantics, rq.source, rq.probe.context));
    }
    m.report = probe(input, targets, rq.probe);
    m.report.input = name;
    m.report.pipeline = rq.pipeline;
    return m;
}

/// Writes one image's files into `dir`; returns their names.
std::vector<std::string> write_measured(const MeasureRequest& rq, const Measured& m,
                                        const OutputDir& dir) {
    if (rq.compare) {
        return write_compare_outputs(CompareResult{m.report, *m.sheet}, dir);
    }
    return write_probe_outputs(m.report, dir);
}

/// Refuses to overwrite the outputs of an earlier `compare` (without --force), as `run` does,
/// before anything is computed.
void check_compare_outputs(const OutputDir& out, bool batch) {
    const std::vector<std::string> names =
        batch ? std::vector<std::string>{"summary.json", "summary.csv"}
              : std::vector<std::string>{"compare.json", "compare.csv", "sheet.png"};
    for (const auto& name : names) {
        if (out.has_file(name)) {
            throw UsageError(fmt::format(
                "outputs of an earlier compare ({}) already exist in '{}'; use --force to "
                "overwrite them",
                name, terminal_text(out.path())));
        }
    }
}

/// A JSON number, or null when not finite.
nlohmann::json jvalue(double v) { return std::isfinite(v) ? nlohmann::json(v) : nullptr; }

std::string text_value(double v) { return std::isfinite(v) ? format_metric(v, 4) : "-"; }

/// How a summary row names its measurement: `shift correlation @1`, `noise psnr_db gaussian
/// @0.05`, `loss entropy_bits`.
std::string measurement_name(const SummaryRow& r) {
    std::string s = r.section + " " + r.metric;
    if (!r.kind.empty()) {
        s += " " + r.kind;
    }
    if (!r.level.empty()) {
        s += " @" + r.level;
    }
    return s;
}

/// One image of a batch in summary.json.
struct BatchItem {
    std::string input;
    std::string output_dir;
    std::string error;  ///< empty: measured
};

std::string summary_json(const MeasureRequest& rq, const std::vector<BatchItem>& items,
                         const std::vector<SummaryRow>& rows) {
    nlohmann::json images = nlohmann::json::array();
    std::size_t failed = 0;
    for (const auto& it : items) {
        nlohmann::json j{{"input", utf8_display(it.input)},
                         {"status", it.error.empty() ? "done" : "failed"}};
        if (!is_valid_utf8(it.input)) {
            j["input_bytes"] = base64(it.input);
        }
        if (it.error.empty()) {
            j["output_dir"] = utf8_display(it.output_dir);
        } else {
            j["error"] = utf8_display(it.error);
            ++failed;
        }
        images.push_back(std::move(j));
    }
    nlohmann::json summary = nlohmann::json::array();
    for (const auto& r : rows) {
        summary.push_back({{"pool", r.pool},
                           {"section", r.section},
                           {"metric", r.metric},
                           {"kind", r.kind},
                           {"level", r.level},
                           {"n", r.n},
                           {"mean", jvalue(r.mean)},
                           {"sd", jvalue(r.sd)},
                           {"min", jvalue(r.min)},
                           {"max", jvalue(r.max)},
                           {"pre_mean", r.pre_mean ? jvalue(*r.pre_mean) : nullptr}});
    }
    const nlohmann::json doc{
        {"command", rq.compare ? "compare" : "probe"},
        {"build", nlohmann::json::parse(build_json())},
        {"pipeline", utf8_display(rq.pipeline)},
        {"modes", rq.modes},
        {"options",
         {{"shifts", rq.probe.shifts},
          {"noise", rq.probe.noise},
          {"salt_pepper", rq.probe.salt_pepper},
          {"pairs", rq.probe.pairs},
          {"cos_tolerance", rq.probe.cos_tolerance},
          {"seed", rq.probe.seed},
          {"semantics", semantics_name(rq.probe.semantics)}}},
        {"counts",
         {{"inputs", items.size()}, {"measured", items.size() - failed}, {"failed", failed}}},
        {"images", images},
        {"summary", summary}};
    return doc.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

std::string summary_csv(const std::vector<SummaryRow>& rows) {
    std::string out = "pool,section,metric,kind,level,n,mean,sd,min,max,pre_mean\n";
    const auto v = [](double x) { return std::isfinite(x) ? format_metric(x, 6) : std::string(); };
    for (const auto& r : rows) {
        out += fmt::format("{},{},{},{},{},{},{},{},{},{},{}\n", csv_field(r.pool), r.section,
                           r.metric, r.kind, r.level, r.n, v(r.mean), v(r.sd), v(r.min), v(r.max),
                           r.pre_mean ? v(*r.pre_mean) : std::string());
    }
    return out;
}

std::string summary_table(const MeasureRequest& rq, std::size_t inputs, std::size_t failed,
                          const std::vector<SummaryRow>& rows) {
    std::string out = fmt::format(
        "{} over {} images ({} measured, {} failed): mean, standard deviation, "
        "minimum and maximum over the images; n = images with a finite value\n\n",
        rq.compare ? "compare" : "probe", inputs, inputs - failed, failed);
    std::size_t pool_w = 4;
    std::size_t name_w = 11;
    for (const auto& r : rows) {
        pool_w = std::max(pool_w, r.pool.size());
        name_w = std::max(name_w, measurement_name(r).size());
    }
    out += fmt::format("{:<{}}  {:<{}}  {:>4}  {:>10}  {:>10}  {:>10}  {:>10}  {:>10}\n", "pool",
                       pool_w, "measurement", name_w, "n", "mean", "sd", "min", "max", "pre-pool");
    for (const auto& r : rows) {
        out += fmt::format("{:<{}}  {:<{}}  {:>4}  {:>10}  {:>10}  {:>10}  {:>10}  {:>10}\n",
                           terminal_text(r.pool), pool_w, measurement_name(r), name_w, r.n,
                           text_value(r.mean), text_value(r.sd), text_value(r.min),
                           text_value(r.max), r.pre_mean ? text_value(*r.pre_mean) : "");
    }
    return out;
}

/// A summary chart of one measurement against its level: a line per pool, error bars of one
/// standard deviation; a dashed line of the pre-pool map's mean when every pool shares one.
std::string summary_chart(const std::vector<SummaryRow>& rows, const std::string& section,
                          const std::string& metric, const std::string& kind,
                          const std::string& title, const std::string& x_label,
                          const std::string& y_label, double y_lo, double y_hi, bool shared_pre,
                          double png_scale) {
    LineChart c{.title = title,
                .x_label = x_label,
                .y_label = y_label,
                .series = {},
                .y_lo = y_lo,
                .y_hi = y_hi,
                .x_integer = section != "noise",
                .png_scale = png_scale};
    std::map<std::string, std::size_t> index;
    ChartSeries pre{.label = "pre-pool map (mean)", .dashed = true, .colour = 0};
    for (const auto& r : rows) {
        if (r.section != section || r.metric != metric || r.kind != kind || r.level == "all") {
            continue;  // `all` (consistency over every offset) is not a point of the x axis
        }
        const auto [it, added] = index.emplace(r.pool, c.series.size());
        if (added) {
            c.series.push_back({.label = r.pool, .colour = static_cast<int>(c.series.size())});
        }
        auto& s = c.series[it->second];
        const double x = std::strtod(r.level.c_str(), nullptr);
        s.x.push_back(x);
        s.y.push_back(r.n > 0 ? r.mean : std::nan(""));
        s.spread.push_back(r.sd);
        if (it->second == 0 && r.pre_mean) {
            pre.x.push_back(x);
            pre.y.push_back(*r.pre_mean);
        }
    }
    // Bars of several pools at one x would hide each other: each pool's points move sideways
    // by a few percent of the x step (dodged, as plotting libraries do).
    const auto n = static_cast<double>(c.series.size());
    for (std::size_t k = 0; k < c.series.size(); ++k) {
        auto& s = c.series[k];
        const double step =
            s.x.size() > 1 ? (s.x.back() - s.x.front()) / static_cast<double>(s.x.size() - 1) : 1.0;
        for (double& x : s.x) {
            x += step * 0.05 * (static_cast<double>(k) - (n - 1) / 2);
        }
    }
    if (shared_pre && !pre.x.empty()) {
        pre.colour = static_cast<int>(c.series.size());
        c.series.push_back(std::move(pre));
    }
    return encode_png(render_line_chart(c));
}

/// Writes the batch summary into OUT; returns the names.
std::vector<std::string> write_summary(const MeasureRequest& rq, const OutputDir& out,
                                       const std::vector<BatchItem>& items,
                                       const std::vector<SummaryRow>& rows,
                                       const MeasureOutcome& outcome) {
    std::vector<std::string> files;
    const auto write = [&](const std::string& name, const std::string& bytes) {
        out.write(name, bytes);
        files.push_back(name);
    };
    write("summary.json", outcome.json);
    write("summary.csv", outcome.csv);
    const std::string subject = fmt::format("mean and sd over {} images", items.size());
    // With --modes every pool follows the same stages: one pre-pool line is right for all (not
    // with --replace-pools, where the stages feeding the last pool hold the mode too).
    const bool shared_pre = (!rq.modes.empty() && !rq.replace_pools) || rq.compare;
    if (rq.probe.shifts > 0) {
        write("summary-shift-correlation.png",
              summary_chart(rows, "shift", "correlation", "",
                            fmt::format("shift invariance: normalised correlation ({})", subject),
                            "input shift (pixels, mean of 8 directions)", "normalised correlation",
                            0.0, 0.0, shared_pre, rq.probe.png_scale));
    }
    const auto has = [&rows](const char* section) {
        return std::ranges::any_of(
            rows, [section](const SummaryRow& r) { return r.section == section && r.n > 0; });
    };
    if (has("equivariance")) {
        write("summary-equivariance-correlation.png",
              summary_chart(rows, "equivariance", "correlation", "",
                            fmt::format("shift equivariance: normalised correlation ({})", subject),
                            "input shift (pixels, multiples of the stride, mean of 8 directions)",
                            "normalised correlation", 0.0, 0.0, shared_pre, rq.probe.png_scale));
    }
    if (has("consistency")) {
        write("summary-consistency.png",
              summary_chart(rows, "consistency", "consistent", "",
                            fmt::format("consistency: share of crop pairs with cosine >= {} ({})",
                                        format_metric(rq.probe.cos_tolerance, 6), subject),
                            "offset between the two crops (pixels)", "share of consistent pairs",
                            0.0, 1.0, shared_pre, rq.probe.png_scale));
        // The share saturates when every pair clears the tolerance; the mean cosine does not.
        write("summary-consistency-cosine.png",
              summary_chart(rows, "consistency", "mean_cosine", "",
                            fmt::format("consistency: mean cosine of the crop pairs ({})", subject),
                            "offset between the two crops (pixels)", "mean cosine similarity", 0.0,
                            0.0, shared_pre, rq.probe.png_scale));
    }
    if (!rq.probe.noise.empty()) {
        write("summary-noise-psnr.png",
              summary_chart(rows, "noise", "psnr_db", "gaussian",
                            fmt::format("noise tolerance: PSNR vs clean ({})", subject),
                            "Gaussian noise sigma (input units)", "PSNR (dB)", 0.0, 0.0, shared_pre,
                            rq.probe.png_scale));
    }
    return files;
}

}  // namespace

std::vector<SummaryRow> summarize(const std::vector<ProbeReport>& reports) {
    using Key = std::tuple<std::string, std::string, std::string, std::string, std::string>;
    std::map<Key, std::size_t> index;
    std::vector<SummaryRow> rows;
    std::vector<std::vector<double>> values;
    std::vector<std::vector<double>> pres;
    for (const auto& report : reports) {
        for (const auto& r : probe_rows(report)) {
            const Key key{r.pool, r.section, r.metric, r.kind, r.level};
            const auto [it, added] = index.emplace(key, rows.size());
            if (added) {
                rows.push_back({.pool = r.pool,
                                .section = r.section,
                                .metric = r.metric,
                                .kind = r.kind,
                                .level = r.level});
                values.emplace_back();
                pres.emplace_back();
            }
            if (std::isfinite(r.value)) {
                values[it->second].push_back(r.value);
            }
            if (r.pre && std::isfinite(*r.pre)) {
                pres[it->second].push_back(*r.pre);
            }
        }
    }
    for (std::size_t i = 0; i < rows.size(); ++i) {
        auto& row = rows[i];
        const auto& v = values[i];
        row.n = v.size();
        if (v.empty()) {
            row.mean = row.sd = row.min = row.max = std::nan("");
        } else {
            double sum = 0.0;
            for (const double x : v) {
                sum += x;
            }
            row.mean = sum / static_cast<double>(v.size());
            double ss = 0.0;
            for (const double x : v) {
                ss += (x - row.mean) * (x - row.mean);
            }
            row.sd = v.size() > 1 ? std::sqrt(ss / static_cast<double>(v.size() - 1)) : 0.0;
            const auto [lo, hi] = std::ranges::minmax(v);
            row.min = lo;
            row.max = hi;
        }
        if (!pres[i].empty()) {
            double sum = 0.0;
            for (const double x : pres[i]) {
                sum += x;
            }
            row.pre_mean = sum / static_cast<double>(pres[i].size());
        }
    }
    return rows;
}

MeasureOutcome measure(const MeasureRequest& rq,
                       const std::function<void(const std::string&)>& on_error) {
    if (!rq.compare && rq.modes.empty() && rq.pipeline.empty()) {
        throw UsageError("probe: give -p with a pooling stage, or --modes");
    }
    // Errors of the options and the stages before anything is read or written.
    if (!rq.modes.empty()) {
        (void)parse_modes(rq.modes);
    }
    if (rq.replace_pools && (rq.compare || rq.modes.empty() || rq.pipeline.empty())) {
        throw UsageError("probe: --replace-pools needs --modes and -p with pooling stages");
    }
    if (!rq.pipeline.empty()) {
        const Pipeline pipeline(rq.pipeline, rq.probe.semantics, rq.source, rq.probe.context);
        if (!rq.compare && rq.modes.empty()) {
            (void)pipeline_targets(pipeline);
        }
        if (rq.replace_pools) {  // no modes: only the check that -p ends with a pooling stage
            (void)stack_targets(pipeline, {}, rq.kernel, rq.stride, 0, Shape{}, rq.pad, rq.ceil,
                                rq.probe.context);
        }
    }
    RunOptions listing;
    listing.inputs = rq.inputs;
    listing.recursive = rq.recursive;
    listing.out_dir = rq.out;
    const std::vector<InputItem> items = list_inputs(listing);
    MeasureOutcome outcome;
    outcome.inputs = items.size();
    outcome.batch = items.size() > 1 || std::ranges::any_of(rq.inputs, [](const std::string& p) {
                        std::error_code ec;
                        return p != "-" && std::filesystem::is_directory(p, ec);
                    });
    OutputDir out = OutputDir::open(rq.out);
    out.lock();
    out.remove_stale_temps();
    if (rq.compare && !rq.force) {
        check_compare_outputs(out, outcome.batch);
    }
    std::vector<unsigned char> stdin_bytes;
    if (std::ranges::any_of(items, [](const InputItem& i) { return i.path == "-"; })) {
        stdin_bytes = read_stdin(LoadOptions{}.max_bytes);
    }
    if (!outcome.batch) {
        const Measured m = measure_one(rq, items[0].display(), load_input(items[0], stdin_bytes));
        outcome.files = write_measured(rq, m, out);
        outcome.table = rq.compare ? compare_table(m.report) : probe_table(m.report);
        outcome.json = probe_json(m.report);
        outcome.csv = rq.compare ? compare_csv(m.report) : probe_csv(m.report);
        return outcome;
    }
    std::vector<std::optional<ProbeReport>> reports(items.size());
    std::vector<BatchItem> batch(items.size());
    std::mutex mutex;
    std::atomic<std::size_t> next{0};
    const auto worker = [&] {
        for (std::size_t i = next.fetch_add(1); i < items.size(); i = next.fetch_add(1)) {
            const InputItem& item = items[i];
            batch[i].input = item.display();
            try {
                Measured m = measure_one(rq, item.display(), load_input(item, stdin_bytes));
                const OutputDir dir = out.subdir(item.out_name, true);
                dir.remove_stale_temps();
                (void)write_measured(rq, m, dir);
                batch[i].output_dir = dir.path();
                reports[i] = std::move(m.report);
            } catch (const Error& e) {
                if (e.code() == ExitCode::output) {
                    throw;  // a full disk stops the batch, as it stops `run`
                }
                batch[i].error = e.what();
                const std::lock_guard<std::mutex> lock(mutex);
                on_error(e.what());
            }
        }
    };
    const auto jobs = static_cast<std::size_t>(std::clamp(rq.jobs, 1, 256));
    std::vector<std::exception_ptr> errors(std::min(jobs, items.size()));
    std::vector<std::thread> threads;
    threads.reserve(errors.size());
    for (auto& error : errors) {
        threads.emplace_back([&] {
            try {
                worker();
            } catch (...) {
                error = std::current_exception();
                next = items.size();
            }
        });
    }
    for (auto& th : threads) {
        th.join();
    }
    for (const auto& e : errors) {
        if (e) {
            std::rethrow_exception(e);
        }
    }
    std::vector<ProbeReport> measured;
    for (auto& r : reports) {
        if (r) {
            measured.push_back(std::move(*r));
        }
    }
    outcome.failed = items.size() - measured.size();
    const auto rows = summarize(measured);
    outcome.table = summary_table(rq, items.size(), outcome.failed, rows);
    outcome.json = summary_json(rq, batch, rows);
    outcome.csv = summary_csv(rows);
    outcome.files = write_summary(rq, out, batch, rows, outcome);
    return outcome;
}

}  // namespace convpool
