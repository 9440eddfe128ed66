// `convpool compare` and `convpool probe`: their options (mostly shared) and the request they make
// of commands/measure.
#include "convpool/commands/measure.hpp"
#include "convpool/commands/probe.hpp"
#include "convpool/core/error.hpp"
#include "convpool/core/params.hpp"
#include "convpool/core/text.hpp"
#include "convpool/io/image_io.hpp"
#include "convpool/io/terminal.hpp"
#include "convpool/pipeline/pipeline.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "cli/common.hpp"
#include "cli/subcommands.hpp"

namespace convpool::cli {
namespace {

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
    ProbeOptions probe;
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
            values.push_back(parse_number(cur, what));
            cur.clear();
        }
    }
    return values;
}

/// `-k`, `-s` of compare and probe: N or HxW of whole numbers from 1, as the pool stage takes it.
std::string window_size(const std::string& text, const char* what) {
    Size2 s;
    try {
        s = parse_size(text, what);
    } catch (const UsageError&) {
        throw UsageError(fmt::format("{}: expected N or HxW, got '{}'{}", what, text,
                                     text.find_first_of(",=") == std::string::npos
                                         ? ""
                                         : " (padding and ceil mode are --pad and --ceil)"));
    }
    if (s.h < 1 || s.w < 1) {
        throw UsageError(fmt::format("{}: expected N or HxW of at least 1, got '{}'", what, text));
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
        const Size2 s = parse_size(t, "--pad");
        return s.h == s.w ? fmt::format("{}", s.h) : fmt::format("{}x{}", s.h, s.w);
    } catch (const UsageError&) {
        throw UsageError(fmt::format("--pad: expected N, HxW, same or valid, got '{}'", text));
    }
}

/// `--picture-size`: N from 16 to 16384, or `full` (0).
/// `convpool compare` and `convpool probe`: measure, write files, print the report.
int measure_command(MeasureArgs& a, bool is_compare) {
    MeasureRequest rq;
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
    rq.probe.semantics = parse_semantics(a.semantics);
    rq.probe.context = parse_context(a.pipeline);
    rq.pipeline = a.pipeline.empty() ? std::string() : pipeline_argument(a.pipeline);
    rq.source = pipeline_source(a.pipeline);
    const auto outcome = measure(rq, [](const std::string& message) {
        fmt::print(stderr, "convpool: error: {}\n", terminal_text(message));
    });
    fmt::print("{}", a.report == "json"    ? outcome.json
                     : a.report == "csv"   ? outcome.csv
                     : a.report == "table" ? outcome.table
                                           : std::string());
    std::fflush(stdout);
    if (!a.quiet) {
        fmt::print(stderr, "convpool: wrote {}{} in {}/\n", join_names(outcome.files),
                   outcome.batch ? " and a folder per image" : "", terminal_text(a.out));
    }
    if (outcome.failed == 0) {
        return 0;
    }
    return static_cast<int>(outcome.failed == outcome.inputs ? ExitCode::no_input
                                                             : ExitCode::some_failed);
}
}  // namespace

Subcommand add_compare(CLI::App& app) {
    auto a = std::make_shared<MeasureArgs>();
    a->modes = default_compare_modes();
    a->out = "convpool-compare";
    a->noise = "0.05";
    a->probe.shifts = 2;  // compare's table shows no equivariance or consistency
    a->probe.pairs = 0;
    auto* compare = app.add_subcommand("compare",
                                       "Every pooling mode after the same stages, side by side: "
                                       "one sheet, one table of measurements");
    compare->add_option("-p,--pipeline", a->pipeline,
                        "Stages before the pools (text or @FILE); none: the input");
    compare->add_option("--modes", a->modes, "Pooling modes, comma-separated")
        ->capture_default_str();
    compare
        ->add_option("--sheet-height", a->sheet_height,
                     "Display height of every picture in sheet.png")
        ->check(CLI::Range(16, 4096))
        ->capture_default_str();
    add_measure_options(compare, *a);
    compare->add_flag("--force", a->force, "Overwrite the outputs of an earlier compare in -o");
    compare->footer(std::string("\n") + kPipelineHelp);
    return {compare, [a] { return measure_command(*a, true); }};
}

Subcommand add_probe(CLI::App& app) {
    auto a = std::make_shared<MeasureArgs>();
    a->out = "convpool-probe";
    a->noise = "0.01,0.05,0.1";
    a->probe.pairs = 4;
    auto* probe = app.add_subcommand("probe",
                                     "Measure shift invariance, noise tolerance, information loss "
                                     "and compression of pooling stages");
    probe->add_option("-p,--pipeline", a->pipeline,
                      "Pipeline whose pooling stages are probed (text or @FILE); with --modes, the "
                      "stages before them");
    probe->add_option("--modes", a->modes, "Probe these pooling modes (-k, -s) after -p instead");
    add_measure_options(probe, *a);
    probe
        ->add_option("--pairs", a->probe.pairs,
                     "Consistency: random crop pairs per offset 1..8 px (0: no consistency test)")
        ->check(CLI::Range(0, 64))
        ->capture_default_str();
    probe
        ->add_option("--cos-tolerance", a->probe.cos_tolerance,
                     "Consistency: least cosine similarity of the global-average vectors of a "
                     "consistent pair")
        ->check(CLI::Range(-1.0, 1.0))
        ->capture_default_str();
    probe->footer(std::string("\n") + kPipelineHelp);
    return {probe, [a] { return measure_command(*a, false); }};
}

}  // namespace convpool::cli
