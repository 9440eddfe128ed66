// The CLI11 declarations of the subcommands with few options: shape, bench, layers,
// merge-reports, ops and explain. What each does is in its own file (cli/shape.cpp,
// commands/bench.cpp, ...).
#include "convpool/commands/bench.hpp"
#include "convpool/commands/explain.hpp"
#include "convpool/core/error.hpp"
#include "convpool/io/image_io.hpp"
#include "convpool/core/text.hpp"
#include "convpool/io/terminal.hpp"
#include "convpool/pipeline/pipeline.hpp"

#include <fmt/format.h>

#include <cstddef>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "cli/common.hpp"
#include "cli/layers.hpp"
#include "cli/merge.hpp"
#include "cli/ops_help.hpp"
#include "cli/shape.hpp"
#include "cli/subcommands.hpp"

namespace convpool::cli {
namespace {

struct ShapeArgs {
    std::string pipeline;
    std::string size;
    bool json = false;
    std::size_t max_pixels = LoadOptions{}.max_pixels;
    std::string semantics = "torch";
};

int shape_main(const ShapeArgs& a) {
    const std::string text = pipeline_argument(a.pipeline);
    if (a.semantics == "all" && a.json) {
        throw UsageError(
            "--semantics all prints a table; --json needs one of torch, tf, caffe, onnx");
    }
    try {
        if (a.semantics == "all") {
            print_stdout(
                semantics_comparison_text(text, checked_size(parse_shape(a.size), a.max_pixels),
                                          pipeline_source(a.pipeline), parse_context(a.pipeline)));
            return 0;
        }
        const Pipeline pipeline(text, parse_semantics(a.semantics), pipeline_source(a.pipeline),
                                parse_context(a.pipeline));
        print_stdout(shape_text(pipeline, checked_size(parse_shape(a.size), a.max_pixels), a.json,
                                4 * a.max_pixels));
    } catch (const ShapeError& e) {
        fmt::print(stderr, "convpool: error: {}\n", terminal_text(e.what()));
        return static_cast<int>(ExitCode::usage);
    }
    return 0;
}

struct BenchArgs {
    BenchOptions options;
    std::string pipeline;
    std::string size = "1024x1024";
    std::string type = "f32";
};

int bench_main(BenchArgs& a) {
    a.options.type = a.type == "u8" ? BenchType::u8 : BenchType::f32;
    a.options.size = checked_size(parse_shape(a.size), a.options.max_pixels);
    const std::string text = pipeline_argument(a.pipeline);
    try {
        print_stdout(bench_command(Pipeline(text, Semantics::torch, pipeline_source(a.pipeline),
                                            parse_context(a.pipeline)),
                                   text, a.options));
    } catch (const ShapeError& e) {
        // A pipeline that does not fit the size is a usage problem here, as in shape.
        throw UsageError(e.what());
    }
    return 0;
}

struct ExplainArgs {
    ExplainRequest request;
    std::string pipeline;
    std::string semantics = "torch";
    bool quiet = false;
};

int explain_main(ExplainArgs& a) {
    a.request.pipeline = pipeline_argument(a.pipeline);
    a.request.source = pipeline_source(a.pipeline);
    a.request.context = parse_context(a.pipeline);
    a.request.semantics = parse_semantics(a.semantics);
    const auto files = explain_command(a.request);
    if (!a.quiet) {
        fmt::print(stderr, "convpool: wrote {} in {}/\n", join_names(files),
                   terminal_text(a.request.out));
    }
    return 0;
}

}  // namespace

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
    bench->add_flag("--json", a->options.json, "Print JSON instead of a table");
    return {bench, [a] { return bench_main(*a); }};
}

Subcommand add_layers(CLI::App& app) {
    struct Args {
        std::string file;
        std::string size;
        bool json = false;
    };
    auto a = std::make_shared<Args>();
    auto* layers = app.add_subcommand(
        "layers", "List an ONNX model's layers (name, type, output shape) for the model stage");
    layers->add_option("model", a->file, "The model file (.onnx)")->required();
    layers->add_option("--size", a->size,
                       "Input size CxHxW, or HxW with the model's channels (default: the size "
                       "the model declares)");
    layers->add_flag("--json", a->json, "Print JSON instead of a table");
    return {layers, [a] {
                print_stdout(layers_text(a->file, a->size, a->json));
                return 0;
            }};
}

Subcommand add_merge_reports(CLI::App& app) {
    struct Args {
        std::vector<std::string> dirs;
        std::string out;
        bool quiet = false;
    };
    auto a = std::make_shared<Args>();
    auto* merge = app.add_subcommand(
        "merge-reports", "Combine the reports of shard runs into one report.json and report.csv");
    merge->add_option("dirs", a->dirs, "Output directories of the shard runs")->required();
    merge->add_option("-o,--out", a->out, "Directory for the merged report")->required();
    merge->add_flag("-q,--quiet", a->quiet, "Print nothing on stderr but errors");
    return {merge, [a] { return merge_reports_command(a->dirs, a->out, a->quiet); }};
}

Subcommand add_ops(CLI::App& app) {
    struct Args {
        std::string name;
        bool markdown = false;
    };
    auto a = std::make_shared<Args>();
    auto* ops = app.add_subcommand("ops", "List stages and their parameters");
    ops->add_option("name", a->name, "A stage (pool:max), or a family (pool)");
    ops->add_flag("--markdown", a->markdown,
                  "Print the reference of every stage as Markdown (docs/ops.md)");
    return {ops, [a] {
                if (a->markdown && !a->name.empty()) {
                    throw UsageError("ops --markdown prints every stage; give no NAME");
                }
                print_stdout(a->markdown ? ops_markdown() : ops_text(a->name));
                return 0;
            }};
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
    explain->add_option("--semantics", a->semantics, "Pooling conventions: torch, tf, caffe, onnx")
        ->check(one_of({"torch", "tf", "caffe", "onnx"}))
        ->capture_default_str();
    explain->add_flag("-q,--quiet", a->quiet, "Print nothing on stderr but errors");
    explain->footer(std::string("\n") + kPipelineHelp);
    return {explain, [a] { return explain_main(*a); }};
}

}  // namespace convpool::cli
