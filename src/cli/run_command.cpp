// `convpool run` (options in cli/options.cpp): what it prints around commands/run's batch
// (progress, errors, the closing summary) and its exit code.
#include "convpool/commands/run.hpp"
#include "convpool/core/error.hpp"
#include "convpool/core/text.hpp"
#include "convpool/io/image_io.hpp"
#include "convpool/io/npy.hpp"
#include "convpool/io/terminal.hpp"
#include "convpool/pipeline/pipeline.hpp"
#include "convpool/render/visualize.hpp"
#include "convpool/render/zoom.hpp"
#include "convpool/report/report.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <charconv>
#include <cstddef>
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>

#include "cli/args.hpp"
#include "cli/common.hpp"

namespace convpool::cli {
namespace {

/// `--picture-size`: N from 16 to 16384, or `full` (0).
int parse_picture_size(const std::string& text) {
    if (text == "full") {
        return 0;
    }
    int v = 0;
    const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (text.empty() || ec != std::errc() || ptr != text.data() + text.size() || v < 16 ||
        v > 16384) {
        throw UsageError(fmt::format(
            "--picture-size: expected a number of px from 16 to 16384, or full, got '{}'", text));
    }
    return v;
}

/// "K/N" with 1 <= K <= N.
Shard parse_shard(const std::string& text) {
    const auto slash = text.find('/');
    const auto bad = [&text] {
        return UsageError(fmt::format("--shard: expected K/N with 1 <= K <= N, got '{}'", text));
    };
    if (slash == std::string::npos) {
        throw bad();
    }
    double k = 0;
    double n = 0;
    try {
        k = parse_number(text.substr(0, slash), "--shard");
        n = parse_number(text.substr(slash + 1), "--shard");
    } catch (const UsageError&) {
        throw bad();
    }
    if (k != static_cast<int>(k) || n != static_cast<int>(n) || k < 1 || n < 1 || k > n ||
        n > 1e6) {
        throw bad();
    }
    return {static_cast<int>(k), static_cast<int>(n)};
}

/// `-o -`: only the final image, on stdout, which must not be a terminal; no report beside it.
void check_stdout_output(RunArgs& a) {
    RunOptions& o = a.opts;
    if (o.out_dir == "-" && o.html) {
        throw UsageError("--html writes OUT/index.html; it needs an output directory, not -o -");
    }
    if (o.out_dir != "-") {
        return;
    }
    if (a.emit_given && a.emit == "all") {
        throw UsageError(
            "--emit all writes a folder of pictures; -o - writes only the final image "
            "(--emit final)");
    }
    // As gzip: binary image bytes are no use on a screen, and can garble it.
    if (::isatty(STDOUT_FILENO) != 0 && !o.force) {
        throw UsageError(
            "-o - would write binary image data to the terminal; redirect stdout (> "
            "out.png, | program) or add --force");
    }
    o.emit = Emit::final;
    if (a.report_format != "none" && a.report_given) {
        throw UsageError("-o - puts the image on stdout; a --report there would mix with it");
    }
    a.report_format = "none";
}

/// The text options of `a` turned into its RunOptions.
void apply_options(RunArgs& a) {
    RunOptions& o = a.opts;
    o.raw_npy = a.raw == "npy";
    o.render.colormap = parse_colormap(a.colormap);
    o.render.diverging = a.signed_map == "diverging";
    o.render.scale = a.scale == "global"    ? ColorScale::global
                     : a.scale == "channel" ? ColorScale::channel
                                            : ColorScale::stage;
    o.render.smooth = a.upscale == "smooth";
    o.render.sheet_true_scale = a.sheet_scale == "true";
    o.render.sheet_format = parse_sheet_format(a.sheet_format);
    o.render.range_rule = parse_range_rule(a.range_rule);
    o.picture_size = parse_picture_size(a.picture_size);
    if (!a.zoom.empty()) {
        o.zoom = parse_zoom(a.zoom);
    }
    o.load.isolate_decoder = !a.in_process;
    o.u8_stages = !a.float_only;
    o.fuse = !a.no_fuse;
    o.load.npy_layout = parse_npy_layout(a.npy_layout).value_or(NpyLayout::automatic);
    o.load.pages_as_channels = a.pages == "channels";
    o.load.orient_exif = a.orient == "exif";
    o.emit = a.emit == "final" ? Emit::final : Emit::all;
    o.stats = a.stats == "none"    ? StatsLevel::none
              : a.stats == "basic" ? StatsLevel::basic
                                   : StatsLevel::full;
    o.format = a.final_format == "npy"   ? ImageEncoding::npy
               : a.final_format == "pgm" ? ImageEncoding::pgm
                                         : ImageEncoding::png;
    if (!a.shard.empty()) {
        o.shard = parse_shard(a.shard);
    }
}

ReportFormat report_format(const std::string& name) {
    return name == "json"    ? ReportFormat::json
           : name == "csv"   ? ReportFormat::csv
           : name == "md"    ? ReportFormat::md
           : name == "jsonl" ? ReportFormat::jsonl
           : name == "none"  ? ReportFormat::none
                             : ReportFormat::table;
}

/// Errors and warnings on stderr (clearing the progress bar first), a jsonl line per finished
/// image, and stops on a signal or a closed stdout.
RunEvents run_events(Progress& progress, bool quiet, ReportFormat format) {
    RunEvents events;
    events.error = [&progress](const std::string& input, const std::string& message) {
        progress.clear();
        fmt::print(stderr, "convpool: error: {}: {}\n", terminal_text(input),
                   terminal_text(message));
    };
    events.warning = [&progress, quiet](const std::string& input, const std::string& message) {
        if (!quiet) {
            progress.clear();
            fmt::print(stderr, "convpool: warning: {}: {}\n", terminal_text(input),
                       terminal_text(message));
        }
    };
    events.finished = [&progress, format](const ImageReport& image, std::size_t done,
                                          std::size_t total) {
        if (format == ReportFormat::jsonl) {
            write_stdout(image_json_line(image));
        }
        progress.update(done, total);
    };
    events.stop_requested = [] { return interrupted() || stdout_closed(); };
    events.write_stdout = [](std::string_view bytes) { write_stdout(bytes); };
    return events;
}

/// The closing line on stderr: how many images were done, skipped, failed or not started, and
/// where the outputs are.
void print_summary(const RunOutcome& outcome, const RunOptions& o) {
    const std::size_t total = outcome.report.images.size();
    // Images done in this run per second of its wall time (report.json's `throughput`).
    const double seconds = outcome.report.seconds.value_or(0.0);
    const std::string counts = fmt::format(
        "{} of {} images done in {:.2f} s ({:.2f} images/s){}{}{}", outcome.ok, total, seconds,
        images_per_second(outcome.report),
        outcome.skipped > 0 ? fmt::format(" ({} skipped: up to date)", outcome.skipped)
                            : std::string(),
        outcome.failed > 0 ? fmt::format(", {} failed", outcome.failed) : std::string(),
        outcome.not_started > 0 ? fmt::format(", {} not started (--fail-fast)", outcome.not_started)
                                : std::string());
    // Say where the pictures are only when some were written.
    const std::string where = outcome.ok == 0 ? std::string("no pictures written")
                              : o.emit == Emit::all
                                  ? fmt::format("pictures in {}/<image>/", o.out_dir)
                                  : fmt::format("final images in {}/", o.out_dir);
    fmt::print(stderr, "convpool: {}; {}, report in {}/report.json and report.csv{}\n", counts,
               where, o.out_dir,
               o.html ? fmt::format(", page {}/index.html", o.out_dir) : std::string());
}

}  // namespace

int run_main(RunArgs& a, const Shared& shared) {
    RunOptions& o = a.opts;
    o.share_cores = shared.threads == 0;
    apply_options(a);
    check_stdout_output(a);
    const ReportFormat format = report_format(a.report_format);
    const std::string text = pipeline_argument(a.pipeline);
    const Pipeline pipeline(text, parse_semantics(a.semantics), pipeline_source(a.pipeline),
                            parse_context(a.pipeline));
    install_stop_signals();
    Progress progress(!a.quiet && !a.no_progress && ::isatty(STDERR_FILENO) != 0);
    const auto outcome = run_batch(pipeline, text, o, run_events(progress, a.quiet, format));
    progress.clear();
    if (format != ReportFormat::jsonl) {
        print_stdout(format_report(outcome.report, format));
    }
    if (stdout_closed()) {
        return 141;  // the reader went away (| head): stop quietly, as SIGPIPE would
    }
    if (interrupted()) {
        fmt::print(stderr, "convpool: interrupted; {} images finished{}\n",
                   outcome.ok + outcome.failed,
                   o.out_dir == "-" ? std::string()
                                    : fmt::format(", listed in {}/report.json", o.out_dir));
        return 130;
    }
    if (!a.quiet && o.out_dir != "-") {
        print_summary(outcome, o);
    }
    if (outcome.output_failed) {
        return static_cast<int>(ExitCode::output);
    }
    // 3 only when every input was tried and none could be processed; inputs --fail-fast
    // never started make it 1.
    if (outcome.ok == 0 && outcome.not_started + outcome.interrupted == 0) {
        return static_cast<int>(ExitCode::no_input);
    }
    return static_cast<int>(outcome.failed > 0 ? ExitCode::some_failed : ExitCode::ok);
}

}  // namespace convpool::cli
