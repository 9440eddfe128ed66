// What the subcommands with few options do with them (options in cli/options.cpp): shape, bench,
// layers, merge-reports, ops and explain, each handing over to its own file (cli/shape.cpp,
// commands/bench.cpp, ...).
#include "convpool/commands/bench.hpp"
#include "convpool/commands/explain.hpp"
#include "convpool/core/error.hpp"
#include "convpool/core/text.hpp"
#include "convpool/io/image_io.hpp"
#include "convpool/io/terminal.hpp"
#include "convpool/pipeline/pipeline.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstddef>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "cli/args.hpp"
#include "cli/common.hpp"
#include "cli/layers.hpp"
#include "cli/merge.hpp"
#include "cli/ops_help.hpp"
#include "cli/shape.hpp"

namespace convpool::cli {

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

int explain_main(ExplainArgs& a) {
    a.request.pipeline = pipeline_argument(a.pipeline);
    a.request.source = pipeline_source(a.pipeline);
    a.request.context = parse_context(a.pipeline);
    a.request.semantics = parse_semantics(a.semantics);
    const auto files = explain_command(a.request);
    if (!a.quiet) {
        fmt::print(stderr, "convpool: wrote {} in {}/\n", join_names(files),
                   terminal_text(a.request.out));
        if (std::find(files.begin(), files.end(), "explain.pdf") == files.end()) {
            fmt::print(stderr,
                       "convpool: explain.pdf needs the figure plugin convpool-cairo.so (not "
                       "installed, or CONVPOOL_FIGURES=hershey)\n");
        }
    }
    return 0;
}

int layers_main(const LayersArgs& a) {
    print_stdout(layers_text(a.file, a.size, a.json));
    return 0;
}

int merge_main(const MergeArgs& a) { return merge_reports_command(a.dirs, a.out, a.quiet); }

int ops_main(const OpsArgs& a) {
    if (a.markdown && !a.name.empty()) {
        throw UsageError("ops --markdown prints every stage; give no NAME");
    }
    print_stdout(a.markdown ? ops_markdown() : ops_text(a.name));
    return 0;
}

}  // namespace convpool::cli
