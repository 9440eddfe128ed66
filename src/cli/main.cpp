// convpool command line: CLI11 set-up, subcommands, exit codes, and nothing else.
#include "convpool/commands/bench.hpp"
#include "convpool/commands/compare.hpp"
#include "convpool/commands/explain.hpp"
#include "convpool/commands/measure.hpp"
#include "convpool/commands/probe.hpp"
#include "convpool/commands/run.hpp"
#include "convpool/core/error.hpp"
#include "convpool/core/format.hpp"
#include "convpool/core/parallel.hpp"
#include "convpool/core/params.hpp"
#include "convpool/core/text.hpp"
#include "convpool/io/image_io.hpp"
#include "convpool/io/npz.hpp"
#include "convpool/io/output_dir.hpp"
#include "convpool/io/terminal.hpp"
#include "convpool/pipeline/pipeline.hpp"
#include "convpool/pipeline/registry.hpp"
#include "convpool/render/zoom.hpp"
#include "convpool/report/report.hpp"

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "cli/completion.hpp"
#include "cli/kernel.hpp"
#include "cli/layers.hpp"
#include "cli/man.hpp"
#include "cli/merge.hpp"
#include "cli/ops_help.hpp"
#include "cli/shape.hpp"
#include "cli/version.hpp"

namespace {

/// How the pipeline of `-p VALUE` reads `@FILE` weights: from files, relative paths from the
/// folder of the `@pipeline` file, or from the working directory for a pipeline written inline.
convpool::ParseContext parse_context(std::string_view pipeline_value) {
    convpool::ParseContext context = convpool::weights_context();
    const std::string source = convpool::pipeline_source(pipeline_value);
    if (!source.empty()) {
        context.base = std::filesystem::path(source).parent_path().string();
    }
    return context;
}

using convpool::ExitCode;
using convpool::cli::checked_size;
using convpool::cli::merge_reports_command;
using convpool::cli::ops_markdown;
using convpool::cli::ops_text;
using convpool::cli::parse_shape;
using convpool::cli::semantics_comparison_text;
using convpool::cli::shape_text;

/// " (did you mean 'NEAR'?)", or "" when nothing is close.
std::string did_you_mean(const std::string& near) {
    return near.empty() ? std::string() : fmt::format(" (did you mean '{}'?)", near);
}

std::string join_names(const std::vector<std::string>& names, const char* sep = ", ") {
    std::string out;
    for (const auto& n : names) {
        out += (out.empty() ? "" : sep) + n;
    }
    return out;
}

/// CLI::IsMember with the error of a stage's choice parameter: the closest valid value, and all.
CLI::Validator one_of(std::vector<std::string> choices) {
    std::string desc = "{" + join_names(choices, ",") + "}";
    return {[choices = std::move(choices)](const std::string& value) -> std::string {
                if (std::find(choices.begin(), choices.end(), value) != choices.end()) {
                    return {};
                }
                return fmt::format("unknown value '{}'{} (choose from {})", value,
                                   did_you_mean(convpool::closest_match(value, choices)),
                                   join_names(choices));
            },
            desc};
}

/// Every spelling of the options of `app`: `--out`, `-o`, ...
std::vector<std::string> option_names(const CLI::App& app) {
    std::vector<std::string> names;
    for (const CLI::Option* opt : app.get_options()) {
        for (const auto& n : opt->get_lnames()) {
            names.push_back("--" + n);
        }
        for (const auto& n : opt->get_snames()) {
            names.push_back("-" + n);
        }
    }
    return names;
}

/// The names of the subcommands of `app`, in the order of `convpool --help`.
std::vector<std::string> subcommand_names(const CLI::App& app) {
    std::vector<std::string> names;
    for (const CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; })) {
        names.push_back(sub->get_name());
    }
    return names;
}

/// `text` with a capital that starts it, or a part after ": ", in lower case ("Value abc not in
/// range" -> "value abc not in range"; "TEXT" stays).
std::string lower_sentences(std::string text) {
    for (std::size_t i = 0; i + 1 < text.size(); ++i) {
        const bool starts = i == 0 || (i >= 2 && text[i - 2] == ':' && text[i - 1] == ' ');
        if (starts && std::isupper(static_cast<unsigned char>(text[i])) != 0 &&
            std::islower(static_cast<unsigned char>(text[i + 1])) != 0) {
            text[i] = static_cast<char>(std::tolower(static_cast<unsigned char>(text[i])));
        }
    }
    return text;
}

/// A CLI11 parse error as one line in convpool's style: lower case, and for an unknown option
/// the closest option of the subcommand being parsed.
std::string parse_error_text(const CLI::App& app, const CLI::ParseError& e) {
    const auto parsed = app.get_subcommands();
    const CLI::App& sub = parsed.empty() ? app : *parsed.front();
    const std::string where = parsed.empty() ? std::string() : sub.get_name() + ": ";
    if (dynamic_cast<const CLI::ExtrasError*>(&e) != nullptr) {
        const auto extras = app.remaining(true);
        if (!extras.empty()) {
            const std::string& arg = extras.front();
            if (arg.size() > 1 && arg[0] == '-') {
                const std::string name = arg.substr(0, arg.find('='));
                // One letter is too little to guess from: `-Z` gets no `-h`.
                const bool long_name = name.size() > 2;
                return fmt::format(
                    "{}unknown option '{}'{}", where, name,
                    long_name ? did_you_mean(convpool::closest_match(name, option_names(sub)))
                              : std::string());
            }
            return fmt::format("{}unexpected argument '{}'", where, arg);
        }
    }
    if (parsed.empty() && dynamic_cast<const CLI::RequiredError*>(&e) != nullptr) {
        return fmt::format("a subcommand is required: one of {} (convpool --help)",
                           join_names(subcommand_names(app)));
    }
    std::string text = e.what();
    std::replace(text.begin(), text.end(), '\n', ' ');
    return where + lower_sentences(text);
}

constexpr const char* kPipelineHelp =
    "Pipeline: stages separated by '|', run left to right.\n"
    "  stage := NAME[:arg,arg,...]   arg := key=value | value (a bare value is the first "
    "parameter)\n"
    "  -p @FILE reads the pipeline from FILE (one stage per line, # comments).\n"
    "  Sizes are N or HxW (height first); shapes print as CxHxW.\n"
    "  Example: -p \"conv:sobel-x | relu | pool:max,k=2,s=2\"    List stages: convpool ops\n";

/// Options `compare` and `probe` share.
struct MeasureArgs {
    std::vector<std::string> inputs;
    bool recursive = false;
    int jobs = 1;
    std::string pipeline;
    std::string modes;
    std::string kernel = "2";
    std::string stride;
    std::string pad;
    bool ceil = false;
    bool force = false;  ///< compare: overwrite an earlier compare's outputs
    std::string out;
    std::string report = "table";
    std::string noise;
    std::string semantics = "torch";
    convpool::ProbeOptions probe;
    int sheet_height = 256;
    bool quiet = false;
};

/// Adds the options of `compare` and `probe` to `sub`.
void add_measure_options(CLI::App* sub, MeasureArgs& a) {
    sub->add_option("inputs", a.inputs,
                    "Image files (PNG, JPEG, TIFF, BMP, WebP, PNM, .npy), folders, or - for "
                    "stdin; several make a batch: a folder per image and a summary")
        ->required();
    sub->add_flag("-r,--recursive", a.recursive, "Descend into subfolders of folder inputs");
    sub->add_option("-j,--jobs", a.jobs, "Images measured at once in a batch")
        ->check(CLI::Range(1, 256))
        ->capture_default_str();
    sub->add_option("-k,--kernel", a.kernel, "Kernel of every --modes pool, N or HxW")
        ->capture_default_str();
    sub->add_option("-s,--stride", a.stride,
                    "Stride of every --modes pool, N or HxW (default: the kernel)");
    sub->add_option("--pad", a.pad, "Padding of every --modes pool: N, HxW, same or valid");
    sub->add_flag("--ceil", a.ceil, "Ceil mode of every --modes pool");
    sub->add_option("-o,--out", a.out, "Output directory")->capture_default_str();
    sub->add_option("--report", a.report, "Printed to stdout")
        ->check(one_of({"table", "json", "csv", "none"}))
        ->capture_default_str();
    sub->add_option("--shifts", a.probe.shifts,
                    "Shift the input by 1..N pixels in 8 directions (0: no shift test)")
        ->check(CLI::Range(0, 64))
        ->capture_default_str();
    sub->add_option("--noise", a.noise,
                    "Gaussian noise sigmas, comma-separated, in input units ([0, 1] for 8-bit)")
        ->capture_default_str();
    sub->add_option("--salt-pepper", a.probe.salt_pepper, "Salt-and-pepper density (0: none)")
        ->check(CLI::Range(0.0, 1.0))
        ->capture_default_str();
    sub->add_option("--seed", a.probe.seed,
                    "Seed of every noise field and of stochastic/fractional pools")
        ->capture_default_str();
    sub->add_option("--semantics", a.semantics, "Pooling conventions: torch, tf, caffe, onnx")
        ->check(one_of({"torch", "tf", "caffe", "onnx"}))
        ->capture_default_str();
    sub->add_flag("-q,--quiet", a.quiet, "Print nothing on stderr but errors");
}

/// "0.01,0.05" as numbers.
std::vector<double> parse_number_list(const std::string& text, const char* what) {
    std::vector<double> values;
    std::string cur;
    for (const char c : text + ",") {
        if (c != ',') {
            cur += c;
        } else if (!cur.empty()) {
            values.push_back(convpool::parse_number(cur, what));
            cur.clear();
        }
    }
    return values;
}

/// `-k`, `-s` of compare and probe: N or HxW of whole numbers from 1, as the pool stage takes it.
std::string window_size(const std::string& text, const char* what) {
    convpool::Size2 s;
    try {
        s = convpool::parse_size(text, what);
    } catch (const convpool::UsageError&) {
        throw convpool::UsageError(
            fmt::format("{}: expected N or HxW, got '{}'{}", what, text,
                        text.find_first_of(",=") == std::string::npos
                            ? ""
                            : " (padding and ceil mode are --pad and --ceil)"));
    }
    if (s.h < 1 || s.w < 1) {
        throw convpool::UsageError(
            fmt::format("{}: expected N or HxW of at least 1, got '{}'", what, text));
    }
    return s.h == s.w ? fmt::format("{}", s.h) : fmt::format("{}x{}", s.h, s.w);
}

/// `--pad` of compare and probe: N, HxW, same or valid.
std::string window_pad(const std::string& text) {
    std::string t = text;
    std::transform(t.begin(), t.end(), t.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (t.empty() || t == "same" || t == "valid") {
        return t;
    }
    try {
        const convpool::Size2 s = convpool::parse_size(t, "--pad");
        return s.h == s.w ? fmt::format("{}", s.h) : fmt::format("{}x{}", s.h, s.w);
    } catch (const convpool::UsageError&) {
        throw convpool::UsageError(
            fmt::format("--pad: expected N, HxW, same or valid, got '{}'", text));
    }
}

/// `--picture-size`: N from 16 to 16384, or `full` (0).
int parse_picture_size(const std::string& text) {
    if (text == "full") {
        return 0;
    }
    int v = 0;
    const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (text.empty() || ec != std::errc() || ptr != text.data() + text.size() || v < 16 ||
        v > 16384) {
        throw convpool::UsageError(fmt::format(
            "--picture-size: expected a number of px from 16 to 16384, or full, got '{}'", text));
    }
    return v;
}

/// `convpool compare` and `convpool probe`: measure, write files, print the report.
int measure_command(MeasureArgs& a, bool is_compare) {
    convpool::MeasureRequest rq;
    rq.compare = is_compare;
    rq.kernel = window_size(a.kernel, "-k");
    rq.stride = a.stride.empty() ? a.stride : window_size(a.stride, "-s");
    rq.pad = window_pad(a.pad);
    rq.ceil = a.ceil;
    rq.force = a.force;
    rq.inputs = a.inputs;
    rq.recursive = a.recursive;
    rq.jobs = a.jobs;
    rq.out = a.out;
    rq.modes = a.modes;
    rq.sheet_height = a.sheet_height;
    rq.probe = a.probe;
    rq.probe.noise = parse_number_list(a.noise, "--noise");
    rq.probe.semantics = convpool::parse_semantics(a.semantics);
    rq.probe.context = parse_context(a.pipeline);
    rq.pipeline = a.pipeline.empty() ? std::string() : convpool::pipeline_argument(a.pipeline);
    rq.source = convpool::pipeline_source(a.pipeline);
    const auto outcome = convpool::measure(rq, [](const std::string& message) {
        fmt::print(stderr, "convpool: error: {}\n", convpool::terminal_text(message));
    });
    fmt::print("{}", a.report == "json"    ? outcome.json
                     : a.report == "csv"   ? outcome.csv
                     : a.report == "table" ? outcome.table
                                           : std::string());
    std::fflush(stdout);
    if (!a.quiet) {
        std::string names;
        for (const auto& f : outcome.files) {
            names += (names.empty() ? "" : ", ") + f;
        }
        fmt::print(stderr, "convpool: wrote {}{} in {}/\n", names,
                   outcome.batch ? " and a folder per image" : "", convpool::terminal_text(a.out));
    }
    if (outcome.failed == 0) {
        return 0;
    }
    return static_cast<int>(outcome.failed == outcome.inputs ? convpool::ExitCode::no_input
                                                             : convpool::ExitCode::some_failed);
}

void print_stdout(const std::string& text) { convpool::write_stdout(text); }

/// "K/N" with 1 <= K <= N.
convpool::Shard parse_shard(const std::string& text) {
    const auto slash = text.find('/');
    const auto bad = [&text] {
        return convpool::UsageError(
            fmt::format("--shard: expected K/N with 1 <= K <= N, got '{}'", text));
    };
    if (slash == std::string::npos) {
        throw bad();
    }
    double k = 0;
    double n = 0;
    try {
        k = convpool::parse_number(text.substr(0, slash), "--shard");
        n = convpool::parse_number(text.substr(slash + 1), "--shard");
    } catch (const convpool::UsageError&) {
        throw bad();
    }
    if (k != static_cast<int>(k) || n != static_cast<int>(n) || k < 1 || n < 1 || k > n ||
        n > 1e6) {
        throw bad();
    }
    return {static_cast<int>(k), static_cast<int>(n)};
}

/// The whole command line: parses it and runs the subcommand. main() adds the last guard.
// NOLINTNEXTLINE(readability-function-cognitive-complexity): one flat block per subcommand
int run_cli(int argc, char** argv) {
    if (argc == 2 && std::string_view(argv[1]) == convpool::kDecodeChildArgument) {
        return convpool::decode_child_main();
    }
    CLI::App app{"convpool: see and measure what convolution and pooling do to images"};
    app.set_version_flag("--version", std::string("convpool ") + CONVPOOL_VERSION);
    app.require_subcommand(1);
    app.footer(std::string("\n") + kPipelineHelp +
               "\nExit codes: 0 all good, 1 some inputs failed, 2 usage or pipeline error, "
               "3 no input could be processed, 4 an output could not be written.");

    convpool::RunOptions run_opts;
    std::string run_pipeline;
    std::string report_format = "table";
    std::string raw;
    std::string npy_layout = "auto";
    std::string pages = "items";
    bool quiet = false;
    bool verbose = false;
    auto* run = app.add_subcommand(
        "run", "Run a pipeline on images; write pictures, a contact sheet and reports");
    run->add_option("inputs", run_opts.inputs,
                    "Image files or directories (PNG, JPEG, TIFF, BMP, WebP, PNM, .npy); - reads "
                    "one image from stdin");
    run->add_option("-p,--pipeline", run_pipeline, "Pipeline text, or @FILE")->required();
    run->add_option("-o,--out", run_opts.out_dir, "Output directory (OUT/<stem>/ per image)")
        ->capture_default_str();
    run->add_option("--report", report_format,
                    "Report printed to stdout (jsonl: one line per image as it finishes)")
        ->check(one_of({"table", "json", "csv", "md", "jsonl", "none"}))
        ->capture_default_str();
    run->add_option("--raw", raw, "Also write every stage as NN_<stage>.npy (float32, C x H x W)")
        ->check(one_of({"npy"}));
    std::string stats = "full";
    run->add_option(
           "--stats", stats,
           "Statistics of every stage in the report: full (percentiles, entropy, histogram), "
           "basic (count, min, max, mean, std, zero and negative shares; one pass) or none")
        ->check(one_of({"full", "basic", "none"}))
        ->capture_default_str();
    run->add_flag("--html", run_opts.html,
                  "Also write OUT/index.html: one self-contained page with every picture, "
                  "histogram and table");
    std::string colormap = "viridis";
    run->add_option("--colormap", colormap,
                    "Colour map of feature maps (OpenCV's; gray: a plain ramp)")
        ->check(one_of(convpool::colormap_names()))
        ->capture_default_str();
    std::string signed_map = "diverging";
    run->add_option("--signed", signed_map,
                    "Maps with negative and positive values: diverging (blue-white-red, 0 is "
                    "white) or colormap")
        ->check(one_of({"diverging", "colormap"}))
        ->capture_default_str();
    std::string scale = "stage";
    run->add_option(
           "--scale", scale,
           "Colour range: stage (each picture its own), channel (each channel its own), global "
           "(one range over all stages of an image; the input picture keeps its own)")
        ->check(one_of({"stage", "channel", "global"}))
        ->capture_default_str();
    std::string range_rule = "minmax";
    run->add_option("--range", range_rule,
                    "Colour range of feature maps: minmax (finite min to max), or pP with 0 < P < "
                    "50: the P-th "
                    "to (100-P)-th percentile, values outside clipped (p1: 1st to 99th)")
        ->capture_default_str();
    run->add_option("--columns", run_opts.render.columns,
                    "Channels per row in stage pictures (0: square grid)")
        ->check(CLI::Range(0, 4096))
        ->capture_default_str();
    std::string upscale = "nearest";
    run->add_option("--upscale", upscale,
                    "Resampling of sheet.png: nearest (pooled cells stay visible) or smooth")
        ->check(one_of({"nearest", "smooth"}))
        ->capture_default_str();
    run->add_flag("--grid-overlay", run_opts.grid_overlay,
                  "Before each pooling stage also write NN_<stage>_windows.png: its windows "
                  "(kernel, stride, pad) over a corner of the map");
    std::string picture_size = "2048";
    run->add_option("--picture-size", picture_size,
                    "Longest side of each stage picture in px (16 to 16384), or full: every cell; "
                    "a larger map is reduced (largest magnitude of each block) and "
                    "NN_<stage>_zoom.png shows a region at full resolution")
        ->capture_default_str();
    std::string zoom;
    run->add_option("--zoom", zoom,
                    "Input region of the zooms beside reduced pictures, Y,X,HxW (default: 256x256 "
                    "where the final stage responds most)");
    run->add_option("--sheet-height,--display-size", run_opts.sheet_height,
                    "Display height of each stage in sheet.png")
        ->check(CLI::Range(16, 4096))
        ->capture_default_str();
    run->add_option("--max-pixels", run_opts.load.max_pixels, "Refuse images with more pixels")
        ->check(CLI::Range(std::size_t{1}, std::size_t{1} << 34))
        ->capture_default_str();
    run->add_option("--npy-layout", npy_layout,
                    "Axis order of .npy inputs: 3-D hwc, chw or nhw (a batch), 4-D nchw or nhwc; "
                    "auto takes convpool's own layout comment, else hwc (3-D)")
        ->check(one_of({"auto", "hwc", "chw", "nhw", "nchw", "nhwc"}))
        ->capture_default_str();
    run->add_option("--pages", pages,
                    "Multi-page TIFFs: items (each page an input, file.tif[2]) or channels "
                    "(the pages stacked as channels of one image)")
        ->check(one_of({"items", "channels"}))
        ->capture_default_str();
    std::string orient = "none";
    run->add_option(
           "--orient", orient,
           "EXIF orientation of JPEG, PNG and TIFF inputs: none (pixels as stored) or exif "
           "(turned as the tag says)")
        ->check(one_of({"none", "exif"}))
        ->capture_default_str();
    std::string run_semantics = "torch";
    run->add_option("--semantics", run_semantics,
                    "Pooling conventions filling in what a stage does not say: torch (ceil off, "
                    "count-pad on), tf (count-pad off; write pad=same|valid), caffe (ceil on), "
                    "onnx (count-pad off; pads over half the kernel allowed)")
        ->check(one_of({"torch", "tf", "caffe", "onnx"}))
        ->capture_default_str();
    run->add_flag("--strict", run_opts.load.strict,
                  "Treat truncated image data as an error, not a warning");
    bool in_process = false;
    run->add_flag(
        "--decode-in-process", in_process,
        "Decode in this process (faster; a decoder crash on a crafted file then ends the run)");
    bool float_only = false;
    run->add_flag("--float-only", float_only,
                  "Make every image float before the first stage (with --emit final, leading "
                  "max/min pools of an 8-bit image otherwise run in 8 bits; same results)");
    bool no_fuse = false;
    run->add_flag("--no-fuse", no_fuse,
                  "Run every stage by itself (with --emit final and --stats none, an elementwise "
                  "stage after a conv is otherwise applied by the conv as it writes; same "
                  "results)");
    run->add_flag("-r,--recursive", run_opts.recursive,
                  "Descend into subdirectories of directory inputs");
    run->add_option("--files-from", run_opts.files_from,
                    "Also read input paths from FILE, one per line ('-': stdin)");
    run->add_flag("-0,--null", run_opts.files_nul, "--files-from is NUL-separated (find -print0)");
    std::string shard_text;
    run->add_option("--shard", shard_text,
                    "Process only share K of N of the sorted input list (K/N, 1-based)");
    std::string emit = "all";
    run->add_option("--emit", emit,
                    "all: pictures of every stage and a sheet; final: only the final stage image")
        ->check(one_of({"all", "final"}))
        ->capture_default_str();
    std::string final_format = "png";
    run->add_option("--format", final_format,
                    "File format of --emit final (png, pgm: 8-bit; npy: float32)")
        ->check(one_of({"png", "pgm", "npy"}))
        ->capture_default_str();
    run->add_option("-j,--jobs", run_opts.jobs, "Images processed at once (0: one per core)")
        ->check(CLI::Range(0, 1024))
        ->capture_default_str();
    run->add_flag("--fail-fast", run_opts.fail_fast, "Stop at the first failed input");
    run->add_flag("--skip-existing", run_opts.skip_existing,
                  "Skip inputs whose outputs are complete (resume a batch)");
    run->add_flag("--force", run_opts.force, "Overwrite outputs of an earlier run");
    bool no_progress = false;
    run->add_flag("--no-progress", no_progress,
                  "No progress bar (it shows only when stderr is a terminal)");
    run->add_flag("-q,--quiet", quiet, "Print nothing on stderr but errors");
    run->add_flag("-v,--verbose", verbose, "Let library warnings through");
    run->footer(std::string("\n") + kPipelineHelp);

    std::string shape_pipeline;
    std::string shape_size;
    bool shape_json = false;
    auto* shape = app.add_subcommand(
        "shape", "Print every stage's output shape for an input size, without any image");
    shape->add_option("-p,--pipeline", shape_pipeline, "Pipeline text, or @FILE")->required();
    shape->add_option("--size", shape_size, "Input size N or HxW (1 channel), or CxHxW")
        ->required();
    shape->add_flag("--json", shape_json, "Print JSON instead of a table");
    std::size_t shape_max_pixels = convpool::LoadOptions{}.max_pixels;
    shape
        ->add_option("--max-pixels", shape_max_pixels,
                     "Refuse sizes with more pixels, and stages with more than 4 values per pixel")
        ->capture_default_str();
    std::string shape_semantics = "torch";
    shape
        ->add_option("--semantics", shape_semantics,
                     "Pooling conventions: torch, tf, caffe, onnx, or all (a table comparing them)")
        ->check(one_of({"torch", "tf", "caffe", "onnx", "all"}))
        ->capture_default_str();
    shape->footer(std::string("\n") + kPipelineHelp);

    int threads = 0;
    run->add_option("--threads", threads, "Threads for the kernels (0: one per core)")
        ->check(CLI::Range(0, 256));
    convpool::BenchOptions bench_opts;
    std::string bench_pipeline;
    std::string bench_size = "1024x1024";
    std::string bench_type = "f32";
    auto* bench = app.add_subcommand(
        "bench", "Time every stage in-process against the memory-bandwidth floor");
    bench->add_option("input", bench_opts.input,
                      "Image to run on (default: synthetic data of --size)");
    bench->add_option("-p,--pipeline", bench_pipeline, "Pipeline text, or @FILE")->required();
    bench->add_option("--size", bench_size, "Synthetic input size N, HxW or CxHxW")
        ->capture_default_str();
    bench
        ->add_option("--max-pixels", bench_opts.max_pixels,
                     "Refuse inputs with more pixels, and stages with more than 4 values per pixel")
        ->capture_default_str();
    bench
        ->add_option("--type", bench_type,
                     "Element type: f32 planes, or u8 interleaved as decoded (max/min pools only)")
        ->check(one_of({"f32", "u8"}))
        ->capture_default_str();
    bench
        ->add_option("--threads", threads,
                     "Threads for the kernels and the floor (0: one per core)")
        ->check(CLI::Range(0, 256));
    bench->add_option("--repeat", bench_opts.repeat, "Timed runs per stage")
        ->check(CLI::Range(1, 10000))
        ->capture_default_str();
    bench->add_flag("--json", bench_opts.json, "Print JSON instead of a table");

    std::string layers_file;
    std::string layers_size;
    bool layers_json = false;
    auto* layers = app.add_subcommand(
        "layers", "List an ONNX model's layers (name, type, output shape) for the model stage");
    layers->add_option("model", layers_file, "The model file (.onnx)")->required();
    layers->add_option("--size", layers_size,
                       "Input size CxHxW, or HxW with the model's channels (default: the size "
                       "the model declares)");
    layers->add_flag("--json", layers_json, "Print JSON instead of a table");

    convpool::cli::KernelArgs kernel_args;
    auto* kernel = convpool::cli::add_kernel_command(app, kernel_args);

    std::vector<std::string> merge_dirs;
    std::string merge_out;
    bool merge_quiet = false;
    auto* merge = app.add_subcommand(
        "merge-reports", "Combine the reports of shard runs into one report.json and report.csv");
    merge->add_option("dirs", merge_dirs, "Output directories of the shard runs")->required();
    merge->add_option("-o,--out", merge_out, "Directory for the merged report")->required();
    merge->add_flag("-q,--quiet", merge_quiet, "Print nothing on stderr but errors");

    std::string op_name;
    auto* ops = app.add_subcommand("ops", "List stages and their parameters");
    ops->add_option("name", op_name, "A stage (pool:max), or a family (pool)");
    bool ops_md = false;
    ops->add_flag("--markdown", ops_md,
                  "Print the reference of every stage as Markdown (docs/ops.md)");

    MeasureArgs compare_args;
    compare_args.modes = convpool::default_compare_modes();
    compare_args.out = "convpool-compare";
    compare_args.noise = "0.05";
    compare_args.probe.shifts = 2;  // compare's table shows no equivariance or consistency
    compare_args.probe.pairs = 0;
    auto* compare = app.add_subcommand("compare",
                                       "Every pooling mode after the same stages, side by side: "
                                       "one sheet, one table of measurements");
    compare->add_option("-p,--pipeline", compare_args.pipeline,
                        "Stages before the pools (text or @FILE); none: the input");
    compare->add_option("--modes", compare_args.modes, "Pooling modes, comma-separated")
        ->capture_default_str();
    compare
        ->add_option("--sheet-height", compare_args.sheet_height,
                     "Display height of every picture in sheet.png")
        ->check(CLI::Range(16, 4096))
        ->capture_default_str();
    add_measure_options(compare, compare_args);
    compare->add_flag("--force", compare_args.force,
                      "Overwrite the outputs of an earlier compare in -o");
    compare->footer(std::string("\n") + kPipelineHelp);

    MeasureArgs probe_args;
    probe_args.out = "convpool-probe";
    probe_args.noise = "0.01,0.05,0.1";
    probe_args.probe.pairs = 4;
    auto* probe = app.add_subcommand("probe",
                                     "Measure shift invariance, noise tolerance, information loss "
                                     "and compression of pooling stages");
    probe->add_option("-p,--pipeline", probe_args.pipeline,
                      "Pipeline whose pooling stages are probed (text or @FILE); with --modes, the "
                      "stages before them");
    probe->add_option("--modes", probe_args.modes,
                      "Probe these pooling modes (-k, -s) after -p instead");
    add_measure_options(probe, probe_args);
    probe
        ->add_option("--pairs", probe_args.probe.pairs,
                     "Consistency: random crop pairs per offset 1..8 px (0: no consistency test)")
        ->check(CLI::Range(0, 64))
        ->capture_default_str();
    probe
        ->add_option("--cos-tolerance", probe_args.probe.cos_tolerance,
                     "Consistency: least cosine similarity of the global-average vectors of a "
                     "consistent pair")
        ->check(CLI::Range(-1.0, 1.0))
        ->capture_default_str();
    probe->footer(std::string("\n") + kPipelineHelp);

    convpool::ExplainRequest explain_rq;
    std::string explain_pipeline;
    std::string explain_semantics = "torch";
    bool explain_quiet = false;
    auto* explain = app.add_subcommand(
        "explain",
        "Draw a small input (at most 32x32) through a pipeline: every value, window, winner and "
        "formula, as SVG, PNG, an interactive page and JSON");
    explain->add_option("image", explain_rq.image, "Image to take the input from (with --crop)");
    explain->add_option("-p,--pipeline", explain_pipeline, "Pipeline text, or @FILE")->required();
    explain->add_option("--values", explain_rq.values,
                        "The input written out: \"[1 3; 5 6]\" (rows separated by ';', channels "
                        "by ';;'), or @FILE.npy");
    explain->add_option("--crop", explain_rq.crop, "Part of IMAGE to draw: Y,X,HxW");
    explain->add_option("--size", explain_rq.size,
                        "A random input of HxW small integers (0 to 9) instead");
    explain->add_option("--seed", explain_rq.seed, "Seed of --size and of random pools")
        ->capture_default_str();
    explain->add_option("--cell", explain_rq.cell,
                        "Output cell whose arithmetic is written out: Y,X (default: the first)");
    explain->add_option("--modes", explain_rq.modes,
                        "Pooling modes drawn side by side, comma-separated: each replaces the "
                        "mode of the last pooling stage (k, s, pad and ceil kept)");
    explain->add_option("-o,--out", explain_rq.out, "Output directory")->capture_default_str();
    explain->add_flag("--force", explain_rq.force,
                      "Overwrite the outputs of an earlier explain in -o");
    explain
        ->add_option("--semantics", explain_semantics,
                     "Pooling conventions: torch, tf, caffe, onnx")
        ->check(one_of({"torch", "tf", "caffe", "onnx"}))
        ->capture_default_str();
    explain->add_flag("-q,--quiet", explain_quiet, "Print nothing on stderr but errors");
    explain->footer(std::string("\n") + kPipelineHelp);

    // Hidden generator modes: `help --man DIR` writes the man pages (cli/man.cpp), run by the
    // build; `help --completion SHELL` prints a completion script, which at each TAB runs
    // `help --complete -- WORDS...` (cli/completion.cpp).
    if (argc >= 3 && std::string_view(argv[1]) == "help" &&
        (std::string_view(argv[2]) == "--man" || std::string_view(argv[2]) == "--completion" ||
         std::string_view(argv[2]) == "--complete")) {
        const std::string_view mode = argv[2];
        try {
            if (mode == "--complete" && argc >= 4 && std::string_view(argv[3]) == "--") {
                print_stdout(convpool::cli::complete(app, {argv + 4, argv + argc}));
            } else if (argc != 4 || mode == "--complete") {
                throw convpool::UsageError(fmt::format("help {}: wrong arguments", mode));
            } else if (mode == "--man") {
                convpool::cli::write_man_pages(app, argv[3]);
            } else {
                print_stdout(convpool::cli::completion_script(argv[3]));
            }
            return 0;
        } catch (const convpool::Error& e) {
            fmt::print(stderr, "convpool: error: {}\n", convpool::terminal_text(e.what()));
            return static_cast<int>(e.code());
        }
    }
    // `convpool help [CMD]` is `convpool [CMD] --help`; a first word that names no subcommand
    // is an unknown subcommand, not CLI11's "A subcommand is required".
    std::vector<char*> args(argv, argv + argc);
    std::string help_flag = "--help";
    if (args.size() >= 2 && std::string_view(args[1]) == "help") {
        args.erase(args.begin() + 1);
        args.push_back(help_flag.data());
    }
    // `convpool --version [--json]`: more than CLI11's one line (cli/version.cpp).
    if (args.size() >= 2 && std::string_view(args[1]) == "--version" &&
        (args.size() == 2 || (args.size() == 3 && std::string_view(args[2]) == "--json"))) {
        print_stdout(convpool::cli::version_text(args.size() == 3));
        return 0;
    }
    if (args.size() >= 2 && args[1][0] != '-') {
        const auto names = subcommand_names(app);
        const std::string word = args[1];
        if (std::find(names.begin(), names.end(), word) == names.end()) {
            const std::string near = convpool::closest_match(word, names);
            fmt::print(stderr, "convpool: error: unknown subcommand '{}'{}\n",
                       convpool::terminal_text(word),
                       near.empty() ? fmt::format(" (subcommands: {})", join_names(names))
                                    : did_you_mean(near));
            return static_cast<int>(ExitCode::usage);
        }
    }
    try {
        app.parse(static_cast<int>(args.size()), args.data());
    } catch (const CLI::ParseError& e) {
        if (e.get_exit_code() == static_cast<int>(CLI::ExitCodes::Success)) {
            return app.exit(e);  // --help, --version
        }
        fmt::print(stderr, "convpool: error: {}\n",
                   convpool::terminal_text(parse_error_text(app, e)));
        return static_cast<int>(ExitCode::usage);
    }

    try {
        convpool::configure_library_logging(verbose);
        convpool::set_thread_count(threads);
        run_opts.share_cores = threads == 0;
        convpool::keep_freed_memory();
        if (*bench) {
            bench_opts.type =
                bench_type == "u8" ? convpool::BenchType::u8 : convpool::BenchType::f32;
            bench_opts.size = checked_size(parse_shape(bench_size), bench_opts.max_pixels);
            const std::string text = convpool::pipeline_argument(bench_pipeline);
            try {
                print_stdout(convpool::bench_command(
                    convpool::Pipeline(text, convpool::Semantics::torch,
                                       convpool::pipeline_source(bench_pipeline),
                                       parse_context(bench_pipeline)),
                    text, bench_opts));
            } catch (const convpool::ShapeError& e) {
                // A pipeline that does not fit the size is a usage problem here, as in shape.
                throw convpool::UsageError(e.what());
            }
            return 0;
        }
        if (*compare || *probe) {
            const bool is_compare = compare->parsed();
            return measure_command(is_compare ? compare_args : probe_args, is_compare);
        }
        if (*explain) {
            explain_rq.pipeline = convpool::pipeline_argument(explain_pipeline);
            explain_rq.source = convpool::pipeline_source(explain_pipeline);
            explain_rq.context = parse_context(explain_pipeline);
            explain_rq.semantics = convpool::parse_semantics(explain_semantics);
            const auto files = convpool::explain_command(explain_rq);
            if (!explain_quiet) {
                fmt::print(stderr, "convpool: wrote {} in {}/\n", join_names(files),
                           convpool::terminal_text(explain_rq.out));
            }
            return 0;
        }
        if (*ops) {
            if (ops_md && !op_name.empty()) {
                throw convpool::UsageError("ops --markdown prints every stage; give no NAME");
            }
            print_stdout(ops_md ? ops_markdown() : ops_text(op_name));
            return 0;
        }
        if (*kernel) {
            return convpool::cli::kernel_command(kernel_args);
        }
        if (*layers) {
            print_stdout(convpool::cli::layers_text(layers_file, layers_size, layers_json));
            return 0;
        }
        if (*merge) {
            return merge_reports_command(merge_dirs, merge_out, merge_quiet);
        }
        if (*shape) {
            const std::string text = convpool::pipeline_argument(shape_pipeline);
            if (shape_semantics == "all" && shape_json) {
                throw convpool::UsageError(
                    "--semantics all prints a table; --json needs one of torch, tf, caffe, onnx");
            }
            try {
                if (shape_semantics == "all") {
                    print_stdout(semantics_comparison_text(
                        text, checked_size(parse_shape(shape_size), shape_max_pixels),
                        convpool::pipeline_source(shape_pipeline), parse_context(shape_pipeline)));
                    return 0;
                }
                const convpool::Pipeline pipeline(text, convpool::parse_semantics(shape_semantics),
                                                  convpool::pipeline_source(shape_pipeline),
                                                  parse_context(shape_pipeline));
                print_stdout(shape_text(pipeline,
                                        checked_size(parse_shape(shape_size), shape_max_pixels),
                                        shape_json, 4 * shape_max_pixels));
            } catch (const convpool::ShapeError& e) {
                fmt::print(stderr, "convpool: error: {}\n", convpool::terminal_text(e.what()));
                return static_cast<int>(ExitCode::usage);
            }
            return 0;
        }
        // run
        run_opts.raw_npy = raw == "npy";
        run_opts.render.colormap = convpool::parse_colormap(colormap);
        run_opts.render.diverging = signed_map == "diverging";
        run_opts.render.scale = scale == "global"    ? convpool::ColorScale::global
                                : scale == "channel" ? convpool::ColorScale::channel
                                                     : convpool::ColorScale::stage;
        run_opts.render.smooth = upscale == "smooth";
        run_opts.render.range_rule = convpool::parse_range_rule(range_rule);
        run_opts.picture_size = parse_picture_size(picture_size);
        if (!zoom.empty()) {
            run_opts.zoom = convpool::parse_zoom(zoom);
        }
        run_opts.load.isolate_decoder = !in_process;
        run_opts.u8_stages = !float_only;
        run_opts.fuse = !no_fuse;
        run_opts.load.npy_layout =
            convpool::parse_npy_layout(npy_layout).value_or(convpool::NpyLayout::automatic);
        run_opts.load.pages_as_channels = pages == "channels";
        run_opts.load.orient_exif = orient == "exif";
        run_opts.emit = emit == "final" ? convpool::Emit::final : convpool::Emit::all;
        run_opts.stats = stats == "none"    ? convpool::StatsLevel::none
                         : stats == "basic" ? convpool::StatsLevel::basic
                                            : convpool::StatsLevel::full;
        run_opts.format = final_format == "npy"   ? convpool::ImageEncoding::npy
                          : final_format == "pgm" ? convpool::ImageEncoding::pgm
                                                  : convpool::ImageEncoding::png;
        if (!shard_text.empty()) {
            run_opts.shard = parse_shard(shard_text);
        }
        if (run_opts.out_dir == "-" && run_opts.html) {
            throw convpool::UsageError(
                "--html writes OUT/index.html; it needs an output directory, not -o -");
        }
        if (run_opts.out_dir == "-") {
            if (run->count("--emit") > 0 && emit == "all") {
                throw convpool::UsageError(
                    "--emit all writes a folder of pictures; -o - writes only the final image "
                    "(--emit final)");
            }
            // As gzip: binary image bytes are no use on a screen, and can garble it.
            if (::isatty(STDOUT_FILENO) != 0 && !run_opts.force) {
                throw convpool::UsageError(
                    "-o - would write binary image data to the terminal; redirect stdout (> "
                    "out.png, | program) or add --force");
            }
            run_opts.emit = convpool::Emit::final;
            if (report_format != "none" && run->count("--report") > 0) {
                throw convpool::UsageError(
                    "-o - puts the image on stdout; a --report there would mix with it");
            }
            report_format = "none";
        }
        const auto format = report_format == "json"    ? convpool::ReportFormat::json
                            : report_format == "csv"   ? convpool::ReportFormat::csv
                            : report_format == "md"    ? convpool::ReportFormat::md
                            : report_format == "jsonl" ? convpool::ReportFormat::jsonl
                            : report_format == "none"  ? convpool::ReportFormat::none
                                                       : convpool::ReportFormat::table;
        const std::string text = convpool::pipeline_argument(run_pipeline);
        const convpool::Pipeline pipeline(text, convpool::parse_semantics(run_semantics),
                                          convpool::pipeline_source(run_pipeline),
                                          parse_context(run_pipeline));
        convpool::install_stop_signals();
        convpool::Progress progress(!quiet && !no_progress && ::isatty(STDERR_FILENO) != 0);
        convpool::RunEvents events;
        events.error = [&progress](const std::string& input, const std::string& message) {
            progress.clear();
            fmt::print(stderr, "convpool: error: {}: {}\n", convpool::terminal_text(input),
                       convpool::terminal_text(message));
        };
        events.warning = [&progress, quiet](const std::string& input, const std::string& message) {
            if (!quiet) {
                progress.clear();
                fmt::print(stderr, "convpool: warning: {}: {}\n", convpool::terminal_text(input),
                           convpool::terminal_text(message));
            }
        };
        events.finished = [&progress, format](const convpool::ImageReport& image, std::size_t done,
                                              std::size_t total) {
            if (format == convpool::ReportFormat::jsonl) {
                convpool::write_stdout(convpool::image_json_line(image));
            }
            progress.update(done, total);
        };
        events.stop_requested = [] { return convpool::interrupted() || convpool::stdout_closed(); };
        events.write_stdout = [](std::string_view bytes) { convpool::write_stdout(bytes); };
        const auto outcome = convpool::run_batch(pipeline, text, run_opts, events);
        progress.clear();
        if (format != convpool::ReportFormat::jsonl) {
            print_stdout(convpool::format_report(outcome.report, format));
        }
        if (convpool::stdout_closed()) {
            return 141;  // the reader went away (| head): stop quietly, as SIGPIPE would
        }
        const std::size_t finished = outcome.ok + outcome.failed;
        if (convpool::interrupted()) {
            fmt::print(stderr, "convpool: interrupted; {} images finished{}\n", finished,
                       run_opts.out_dir == "-"
                           ? std::string()
                           : fmt::format(", listed in {}/report.json", run_opts.out_dir));
            return 130;
        }
        if (!quiet && run_opts.out_dir != "-") {
            const std::size_t total = outcome.report.images.size();
            const std::string counts = fmt::format(
                "{} of {} images done{}{}{}", outcome.ok, total,
                outcome.skipped > 0 ? fmt::format(" ({} skipped: up to date)", outcome.skipped)
                                    : std::string(),
                outcome.failed > 0 ? fmt::format(", {} failed", outcome.failed) : std::string(),
                outcome.not_started > 0
                    ? fmt::format(", {} not started (--fail-fast)", outcome.not_started)
                    : std::string());
            // Say where the pictures are only when some were written.
            const std::string where = outcome.ok == 0 ? std::string("no pictures written")
                                      : run_opts.emit == convpool::Emit::all
                                          ? fmt::format("pictures in {}/<image>/", run_opts.out_dir)
                                          : fmt::format("final images in {}/", run_opts.out_dir);
            fmt::print(stderr, "convpool: {}; {}, report in {}/report.json and report.csv{}\n",
                       counts, where, run_opts.out_dir,
                       run_opts.html ? fmt::format(", page {}/index.html", run_opts.out_dir)
                                     : std::string());
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
    } catch (const convpool::Error& e) {
        fmt::print(stderr, "convpool: error: {}\n", convpool::terminal_text(e.what()));
        return static_cast<int>(e.code());
    } catch (const std::exception& e) {
        fmt::print(stderr, "convpool: internal error: {}\n", convpool::terminal_text(e.what()));
        return 1;
    }
}

}  // namespace

int main(int argc, char** argv) {
    try {
        const int code = run_cli(argc, argv);
        if (const int err = convpool::stdout_error(); err != 0) {
            // Not a reader that went away (EPIPE, 141): the output is lost.
            fmt::print(stderr, "convpool: error: cannot write to standard output: {}\n",
                       std::strerror(err));
            return 4;
        }
        return code;
    } catch (...) {
        // Setting up the command line, or printing an error, failed (out of memory).
        std::fputs("convpool: internal error\n", stderr);
        return 1;
    }
}
