// Every subcommand's CLI11 declaration: its options, in --help order, stored in cli/args.hpp's
// structs; and the declarations read back as plain data for the man pages and the completions
// (cli/declarations.hpp). With main.cpp, man.cpp and completion.cpp the only files that include
// CLI11: each costs ~27 s of clang-tidy and ~8 s of GCC (docs/development.md, "What CI costs"),
// so what the subcommands do is in run_command.cpp, measure_command.cpp and small_commands.cpp.
#include "convpool/core/params.hpp"
#include "convpool/io/image_io.hpp"
#include "convpool/render/visualize.hpp"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <cstddef>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "cli/args.hpp"
#include "cli/declarations.hpp"
#include "cli/kernel.hpp"
#include "cli/subcommands.hpp"

namespace convpool::cli {
namespace {

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
    run->add_option("--sheet-scale", a.sheet_scale,
                    "Panels of sheet.png: equal (every stage at the display height) or true (at "
                    "their relative sizes, the tallest at the display height: pooling shrinks)")
        ->check(one_of({"equal", "true"}))
        ->capture_default_str();
    run->add_option("--sheet-format", a.sheet_format,
                    "File of the contact sheet: png (sheet.png), svg (sheet.svg: pictures "
                    "embedded as PNG, text as real <text>) or pdf (sheet.pdf, vector text)")
        ->check(one_of({"png", "svg", "pdf"}))
        ->capture_default_str();
    run->add_option("--png-scale", o.render.png_scale,
                    "Pixels of every PNG picture (stage pictures, zooms, switch maps, sheet.png) "
                    "per px of its layout (2: high resolution for slides, text drawn sharp; as "
                    "explain's --png-scale)")
        ->check(CLI::Range(1.0, 4.0))
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
    return {run, [a, run, &shared] {
                a->emit_given = run->count("--emit") > 0;
                a->report_given = run->count("--report") > 0;
                return run_main(*a, shared);
            }};
}

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
    compare
        ->add_option("--png-scale", a->png_scale,
                     "Pixels of sheet.png and the charts per px of their layout (2: high "
                     "resolution for slides, text drawn sharp; as run's and explain's "
                     "--png-scale)")
        ->check(CLI::Range(1.0, 4.0))
        ->capture_default_str();
    add_measure_options(compare, *a);
    compare->add_flag("--force", a->force, "Overwrite the outputs of an earlier compare in -o");
    compare->footer(std::string("\n") + kPipelineHelp);
    return {compare, [a] { return measure_main(*a, true); }};
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
    probe->add_flag("--replace-pools", a->replace_pools,
                    "With --modes: each mode replaces every pooling stage of -p (a stack of "
                    "layers), which must end with one: the last is measured");
    add_measure_options(probe, *a);
    probe
        ->add_option("--pairs", a->probe.pairs,
                     "Consistency: random crop pairs per offset 1..8 px (0: no consistency test)")
        ->check(CLI::Range(0, 64))
        ->capture_default_str();
    probe
        ->add_option("--png-scale", a->png_scale,
                     "Pixels of the charts per px of their layout (2: high resolution for "
                     "slides, lines and text drawn again at that scale)")
        ->check(CLI::Range(1.0, 4.0))
        ->capture_default_str();
    probe
        ->add_option("--cos-tolerance", a->probe.cos_tolerance,
                     "Consistency: least cosine similarity of the global-average vectors of a "
                     "consistent pair")
        ->check(CLI::Range(-1.0, 1.0))
        ->capture_default_str();
    probe->footer(std::string("\n") + kPipelineHelp);
    return {probe, [a] { return measure_main(*a, false); }};
}

Subcommand add_shape(CLI::App& app) {
    auto a = std::make_shared<ShapeArgs>();
    auto* shape = app.add_subcommand(
        "shape", "Print every stage's output shape for an input size, without any image");
    shape->add_option("-p,--pipeline", a->pipeline, "Pipeline text, or @FILE")->required();
    shape->add_option("--size", a->size, "Input size N or HxW (1 channel), or CxHxW")->required();
    shape->add_flag("--json", a->json, "Print JSON instead of a table");
    shape
        ->add_option("--max-pixels", a->max_pixels,
                     "Refuse sizes with more pixels, and stages with more than 4 values per pixel")
        ->capture_default_str();
    shape
        ->add_option("--semantics", a->semantics,
                     "Pooling conventions: torch, tf, caffe, onnx, or all (a table comparing them)")
        ->check(one_of({"torch", "tf", "caffe", "onnx", "all"}))
        ->capture_default_str();
    shape->footer(std::string("\n") + kPipelineHelp);
    return {shape, [a] { return shape_main(*a); }};
}

Subcommand add_bench(CLI::App& app, Shared& shared) {
    auto a = std::make_shared<BenchArgs>();
    auto* bench = app.add_subcommand(
        "bench", "Time every stage in-process against the memory-bandwidth floor");
    bench->add_option("input", a->options.input,
                      "Image to run on (default: synthetic data of --size)");
    bench->add_option("-p,--pipeline", a->pipeline, "Pipeline text, or @FILE")->required();
    bench->add_option("--size", a->size, "Synthetic input size N, HxW or CxHxW")
        ->capture_default_str();
    bench
        ->add_option("--max-pixels", a->options.max_pixels,
                     "Refuse inputs with more pixels, and stages with more than 4 values per pixel")
        ->capture_default_str();
    bench
        ->add_option("--type", a->type,
                     "Element type: f32 planes, or u8 interleaved as decoded (max/min pools only)")
        ->check(one_of({"f32", "u8"}))
        ->capture_default_str();
    bench
        ->add_option("--threads", shared.threads,
                     "Threads for the kernels and the floor (0: one per core)")
        ->check(CLI::Range(0, 256));
    bench->add_option("--repeat", a->options.repeat, "Timed runs per stage")
        ->check(CLI::Range(1, 10000))
        ->capture_default_str();
    bench->add_flag("--fused", a->options.fused,
                    "Also time the whole pipeline as run --emit final --stats none runs it "
                    "(stages fused)");
    bench->add_flag("--json", a->options.json, "Print JSON instead of a table");
    return {bench, [a] { return bench_main(*a); }};
}

Subcommand add_layers(CLI::App& app) {
    auto a = std::make_shared<LayersArgs>();
    auto* layers = app.add_subcommand(
        "layers", "List an ONNX model's layers (name, type, output shape) for the model stage");
    layers->add_option("model", a->file, "The model file (.onnx)")->required();
    layers->add_option("--size", a->size,
                       "Input size CxHxW, or HxW with the model's channels (default: the size "
                       "the model declares)");
    layers->add_flag("--json", a->json, "Print JSON instead of a table");
    return {layers, [a] { return layers_main(*a); }};
}

Subcommand add_kernel(CLI::App& app) {
    auto a = std::make_shared<KernelArgs>();
    auto* cmd = app.add_subcommand(
        "kernel", "Print the coefficients of named filters and generated banks (and write .npy)");
    cmd->add_option("spec", a->spec,
                    "Filters as bank entries: sobel-x, gabor(theta=45), "
                    "gabor(orientations=8,scales=2), dog(sigma2=3),kirsch-n")
        ->required();
    cmd->add_option("--npy", a->npy,
                    "Also write the kernels as float32 .npy: (kH, kW) for one, (N, kH, kW) for "
                    "several of one size");
    cmd->footer(
        "\nExample:\n  convpool kernel 'gabor(theta=45)' --npy gabor45.npy\n"
        "  convpool run photo.jpg -p 'conv:kernel=@gabor45.npy'\n");
    return {cmd, [a] { return kernel_command(*a); }};
}

Subcommand add_merge_reports(CLI::App& app) {
    auto a = std::make_shared<MergeArgs>();
    auto* merge = app.add_subcommand(
        "merge-reports", "Combine the reports of shard runs into one report.json and report.csv");
    merge->add_option("dirs", a->dirs, "Output directories of the shard runs")->required();
    merge->add_option("-o,--out", a->out, "Directory for the merged report")->required();
    merge->add_flag("-q,--quiet", a->quiet, "Print nothing on stderr but errors");
    return {merge, [a] { return merge_main(*a); }};
}

Subcommand add_ops(CLI::App& app) {
    auto a = std::make_shared<OpsArgs>();
    auto* ops = app.add_subcommand("ops", "List stages and their parameters");
    ops->add_option("name", a->name, "A stage (pool:max), or a family (pool)");
    ops->add_flag("--markdown", a->markdown,
                  "Print the reference of every stage as Markdown (docs/ops.md)");
    return {ops, [a] { return ops_main(*a); }};
}

Subcommand add_explain(CLI::App& app) {
    auto a = std::make_shared<ExplainArgs>();
    ExplainRequest& rq = a->request;
    auto* explain = app.add_subcommand(
        "explain",
        "Draw a small input (at most 32x32) through a pipeline: every value, window, winner and "
        "formula, as SVG, PNG, an interactive page and JSON");
    explain->add_option("image", rq.image, "Image to take the input from (with --crop)");
    explain->add_option("-p,--pipeline", a->pipeline, "Pipeline text, or @FILE")->required();
    explain->add_option("--values", rq.values,
                        "The input written out: \"[1 3; 5 6]\" (rows separated by ';', channels "
                        "by ';;'), or @FILE.npy");
    explain->add_option("--crop", rq.crop, "Part of IMAGE to draw: Y,X,HxW");
    explain->add_option("--size", rq.size, "A random input of HxW small integers (0 to 9) instead");
    explain->add_option("--seed", rq.seed, "Seed of --size and of random pools")
        ->capture_default_str();
    explain->add_option("--cell", rq.cell,
                        "Output cell whose arithmetic is written out: Y,X (default: the first)");
    explain->add_option("--modes", rq.modes,
                        "Pooling modes drawn side by side, comma-separated: each replaces the "
                        "mode of the last pooling stage (k, s, pad and ceil kept)");
    explain->add_option("-o,--out", rq.out, "Output directory")->capture_default_str();
    explain->add_flag("--force", rq.force, "Overwrite the outputs of an earlier explain in -o");
    explain
        ->add_option("--png-scale", rq.png_scale,
                     "Pixels of explain.png per px of the figure (2: high resolution for "
                     "slides; the PDF and SVG are vector)")
        ->check(CLI::Range(1.0, 4.0))
        ->capture_default_str();
    explain->add_option("--semantics", a->semantics, "Pooling conventions: torch, tf, caffe, onnx")
        ->check(one_of({"torch", "tf", "caffe", "onnx"}))
        ->capture_default_str();
    explain->add_flag("-q,--quiet", a->quiet, "Print nothing on stderr but errors");
    explain->footer(std::string("\n") + kPipelineHelp);
    return {explain, [a] { return explain_main(*a); }};
}

}  // namespace convpool::cli

// ---- The declarations read back (cli/declarations.hpp).

namespace convpool::cli {
namespace {

/// "a,b,c" split at commas.
std::vector<std::string> split_commas(const std::string& text) {
    std::vector<std::string> out;
    std::string cur;
    for (const char c : text + ",") {
        if (c == ',') {
            out.push_back(cur);
            cur.clear();
        } else {
            cur += c;
        }
    }
    return out;
}

OptionDecl decl(const CLI::Option& opt) {
    OptionDecl d;
    d.positional = opt.get_positional() && opt.get_lnames().empty() && opt.get_snames().empty();
    if (d.positional) {
        d.names.push_back(opt.get_name(true, false));
    }
    for (const auto& n : opt.get_snames()) {
        d.names.push_back("-" + n);
    }
    for (const auto& n : opt.get_lnames()) {
        d.names.push_back("--" + n);
    }
    d.description = opt.get_description();
    d.required = opt.get_required();
    d.many = opt.get_expected_max() >= CLI::detail::expected_max_vector_size;
    if (opt.get_type_size() == 0) {
        return d;  // a flag
    }
    d.default_value = opt.get_default_str();
    // "TEXT:{a,b,c}" (one_of) or "INT:INT in [0 - 4096]" (CLI::Range): the type, then the
    // description of each check.
    const std::string type = opt.get_type_name();
    const auto colon = type.find(':');
    d.value = type.substr(0, colon);
    if (colon != std::string::npos) {
        const std::string check = type.substr(colon + 1);
        if (check.size() >= 2 && check.front() == '{' && check.back() == '}') {
            d.choices = split_commas(check.substr(1, check.size() - 2));
        } else {
            d.limits = check;
        }
    }
    return d;
}

}  // namespace

std::vector<OptionDecl> option_decls(const CLI::App& app) {
    std::vector<OptionDecl> positionals;
    std::vector<OptionDecl> options;
    for (const CLI::Option* opt : app.get_options()) {
        OptionDecl d = decl(*opt);
        (d.positional ? positionals : options).push_back(std::move(d));
    }
    positionals.insert(positionals.end(), options.begin(), options.end());
    return positionals;
}

std::vector<const CLI::App*> subcommands(const CLI::App& app) {
    std::vector<const CLI::App*> out;
    for (const CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; })) {
        out.push_back(sub);
    }
    return out;
}

}  // namespace convpool::cli
