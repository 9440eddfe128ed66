// `convpool run`: its options, and what it prints around commands/run's batch (progress, errors,
// the closing summary, the exit code).
#include "convpool/commands/run.hpp"
#include "convpool/core/error.hpp"
#include "convpool/io/image_io.hpp"
#include "convpool/io/npy.hpp"
#include "convpool/core/text.hpp"
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

#include "cli/common.hpp"
#include "cli/subcommands.hpp"

namespace convpool::cli {
namespace {

/// The options of `run` that are not RunOptions fields as they are (text turned into RunOptions
/// by apply_options()).
struct RunArgs {
    RunOptions opts;
    std::string pipeline;
    std::string report_format = "table";
    std::string raw;
    std::string stats = "full";
    std::string colormap = "viridis";
    std::string signed_map = "diverging";
    std::string scale = "stage";
    std::string range_rule = "minmax";
    std::string upscale = "nearest";
    std::string picture_size = "2048";
    std::string zoom;
    std::string npy_layout = "auto";
    std::string pages = "items";
    std::string orient = "none";
    std::string semantics = "torch";
    bool in_process = false;
    bool float_only = false;
    bool no_fuse = false;
    std::string shard;
    std::string emit = "all";
    std::string final_format = "png";
    bool no_progress = false;
    bool quiet = false;
};

/// Inputs, pipeline, and what is written besides the pictures.
void add_output_options(CLI::App* run, RunArgs& a) {
    RunOptions& o = a.opts;
    run->add_option("inputs", o.inputs,
                    "Image files or directories (PNG, JPEG, TIFF, BMP, WebP, PNM, .npy); - reads "
                    "one image from stdin");
    run->add_option("-p,--pipeline", a.pipeline, "Pipeline text, or @FILE")->required();
    run->add_option("-o,--out", o.out_dir, "Output directory (OUT/<stem>/ per image)")
        ->capture_default_str();
    run->add_option("--report", a.report_format,
                    "Report printed to stdout (jsonl: one line per image as it finishes)")
        ->check(one_of({"table", "json", "csv", "md", "jsonl", "none"}))
        ->capture_default_str();
    run->add_option("--raw", a.raw, "Also write every stage as NN_<stage>.npy (float32, C x H x W)")
        ->check(one_of({"npy"}));
    run->add_option(
           "--stats", a.stats,
           "Statistics of every stage in the report: full (percentiles, entropy, histogram), "
           "basic (count, min, max, mean, std, zero and negative shares; one pass) or none")
        ->check(one_of({"full", "basic", "none"}))
        ->capture_default_str();
    run->add_flag("--html", o.html,
                  "Also write OUT/index.html: one self-contained page with every picture, "
                  "histogram and table");
}

/// How the pictures look.
void add_picture_options(CLI::App* run, RunArgs& a) {
    RunOptions& o = a.opts;
    run->add_option("--colormap", a.colormap,
                    "Colour map of feature maps (OpenCV's; gray: a plain ramp)")
        ->check(one_of(colormap_names()))
        ->capture_default_str();
    run->add_option("--signed", a.signed_map,
                    "Maps with negative and positive values: diverging (blue-white-red, 0 is "
                    "white) or colormap")
        ->check(one_of({"diverging", "colormap"}))
        ->capture_default_str();
    run->add_option(
           "--scale", a.scale,
           "Colour range: stage (each picture its own), channel (each channel its own), global "
           "(one range over all stages of an image; the input picture keeps its own)")
        ->check(one_of({"stage", "channel", "global"}))
        ->capture_default_str();
    run->add_option("--range", a.range_rule,
                    "Colour range of feature maps: minmax (finite min to max), or pP with 0 < P < "
                    "50: the P-th "
                    "to (100-P)-th percentile, values outside clipped (p1: 1st to 99th)")
        ->capture_default_str();
    run->add_option("--columns", o.render.columns,
                    "Channels per row in stage pictures (0: square grid)")
        ->check(CLI::Range(0, 4096))
        ->capture_default_str();
    run->add_option("--upscale", a.upscale,
                    "Resampling of sheet.png: nearest (pooled cells stay visible) or smooth")
        ->check(one_of({"nearest", "smooth"}))
        ->capture_default_str();
    run->add_flag("--grid-overlay", o.grid_overlay,
                  "Before each pooling stage also write NN_<stage>_windows.png: its windows "
                  "(kernel, stride, pad) over a corner of the map");
    run->add_option("--picture-size", a.picture_size,
                    "Longest side of each stage picture in px (16 to 16384), or full: every cell; "
                    "a larger map is reduced (largest magnitude of each block) and "
                    "NN_<stage>_zoom.png shows a region at full resolution")
        ->capture_default_str();
    run->add_option("--zoom", a.zoom,
                    "Input region of the zooms beside reduced pictures, Y,X,HxW (default: 256x256 "
                    "where the final stage responds most)");
    run->add_option("--sheet-height,--display-size", o.sheet_height,
                    "Display height of each stage in sheet.png")
        ->check(CLI::Range(16, 4096))
        ->capture_default_str();
}

/// How inputs are read, and which of them.
void add_input_options(CLI::App* run, RunArgs& a) {
    RunOptions& o = a.opts;
    run->add_option("--max-pixels", o.load.max_pixels, "Refuse images with more pixels")
        ->check(CLI::Range(std::size_t{1}, std::size_t{1} << 34))
        ->capture_default_str();
    run->add_option("--npy-layout", a.npy_layout,
                    "Axis order of .npy inputs: 3-D hwc, chw or nhw (a batch), 4-D nchw or nhwc; "
                    "auto takes convpool's own layout comment, else hwc (3-D)")
        ->check(one_of({"auto", "hwc", "chw", "nhw", "nchw", "nhwc"}))
        ->capture_default_str();
    run->add_option("--pages", a.pages,
                    "Multi-page TIFFs: items (each page an input, file.tif[2]) or channels "
                    "(the pages stacked as channels of one image)")
        ->check(one_of({"items", "channels"}))
        ->capture_default_str();
    run->add_option(
           "--orient", a.orient,
           "EXIF orientation of JPEG, PNG and TIFF inputs: none (pixels as stored) or exif "
           "(turned as the tag says)")
        ->check(one_of({"none", "exif"}))
        ->capture_default_str();
    run->add_option("--semantics", a.semantics,
                    "Pooling conventions filling in what a stage does not say: torch (ceil off, "
                    "count-pad on), tf (count-pad off; write pad=same|valid), caffe (ceil on), "
                    "onnx (count-pad off; pads over half the kernel allowed)")
        ->check(one_of({"torch", "tf", "caffe", "onnx"}))
        ->capture_default_str();
    run->add_flag("--strict", o.load.strict,
                  "Treat truncated image data as an error, not a warning");
    run->add_flag(
        "--decode-in-process", a.in_process,
        "Decode in this process (faster; a decoder crash on a crafted file then ends the run)");
    run->add_flag("--float-only", a.float_only,
                  "Make every image float before the first stage (with --emit final, leading "
                  "max/min pools of an 8-bit image otherwise run in 8 bits; same results)");
    run->add_flag("--no-fuse", a.no_fuse,
                  "Run every stage by itself (with --emit final and --stats none, an elementwise "
                  "stage after a conv is otherwise applied by the conv as it writes; same "
                  "results)");
    run->add_flag("-r,--recursive", o.recursive, "Descend into subdirectories of directory inputs");
    run->add_option("--files-from", o.files_from,
                    "Also read input paths from FILE, one per line ('-': stdin)");
    run->add_flag("-0,--null", o.files_nul, "--files-from is NUL-separated (find -print0)");
    run->add_option("--shard", a.shard,
                    "Process only share K of N of the sorted input list (K/N, 1-based)");
}

/// What is written per image, how many at once, and what is said on stderr.
void add_batch_options(CLI::App* run, RunArgs& a, Shared& shared) {
    RunOptions& o = a.opts;
    run->add_option("--emit", a.emit,
                    "all: pictures of every stage and a sheet; final: only the final stage image")
        ->check(one_of({"all", "final"}))
        ->capture_default_str();
    run->add_option("--format", a.final_format,
                    "File format of --emit final (png, pgm: 8-bit; npy: float32)")
        ->check(one_of({"png", "pgm", "npy"}))
        ->capture_default_str();
    run->add_option("-j,--jobs", o.jobs, "Images processed at once (0: one per core)")
        ->check(CLI::Range(0, 1024))
        ->capture_default_str();
    run->add_flag("--fail-fast", o.fail_fast, "Stop at the first failed input");
    run->add_flag("--skip-existing", o.skip_existing,
                  "Skip inputs whose outputs are complete (resume a batch)");
    run->add_flag("--force", o.force, "Overwrite outputs of an earlier run");
    run->add_flag("--no-progress", a.no_progress,
                  "No progress bar (it shows only when stderr is a terminal)");
    run->add_flag("-q,--quiet", a.quiet, "Print nothing on stderr but errors");
    run->add_flag("-v,--verbose", shared.verbose, "Let library warnings through");
}

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
void check_stdout_output(RunArgs& a, const CLI::App& run) {
    RunOptions& o = a.opts;
    if (o.out_dir == "-" && o.html) {
        throw UsageError("--html writes OUT/index.html; it needs an output directory, not -o -");
    }
    if (o.out_dir != "-") {
        return;
    }
    if (run.count("--emit") > 0 && a.emit == "all") {
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
    if (a.report_format != "none" && run.count("--report") > 0) {
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
    const std::string counts = fmt::format(
        "{} of {} images done{}{}{}", outcome.ok, total,
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

int run_main(RunArgs& a, const CLI::App& run, const Shared& shared) {
    RunOptions& o = a.opts;
    o.share_cores = shared.threads == 0;
    apply_options(a);
    check_stdout_output(a, run);
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

}  // namespace

Subcommand add_run(CLI::App& app, Shared& shared) {
    auto a = std::make_shared<RunArgs>();
    auto* run = app.add_subcommand(
        "run", "Run a pipeline on images; write pictures, a contact sheet and reports");
    add_output_options(run, *a);
    add_picture_options(run, *a);
    add_input_options(run, *a);
    add_batch_options(run, *a, shared);
    run->footer(std::string("\n") + kPipelineHelp);
    run->add_option("--threads", shared.threads, "Threads for the kernels (0: one per core)")
        ->check(CLI::Range(0, 256));
    return {run, [a, run, &shared] { return run_main(*a, *run, shared); }};
}

}  // namespace convpool::cli
