#pragma once
// What each subcommand's options are stored in, and what runs with them: cli/options.cpp (the
// only CLI11 declarations) fills these; run_command.cpp, measure_command.cpp and
// small_commands.cpp run them without CLI11, which costs ~27 s of clang-tidy per file that
// includes it (docs/development.md, "What CI costs").

#include "convpool/commands/bench.hpp"
#include "convpool/commands/explain.hpp"
#include "convpool/commands/probe.hpp"
#include "convpool/commands/run.hpp"
#include "convpool/io/image_io.hpp"

#include <cstddef>
#include <string>
#include <vector>

#include "cli/common.hpp"

namespace convpool::cli {

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
    std::string sheet_scale = "equal";
    std::string sheet_format = "png";
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
    bool emit_given = false;    ///< --emit was on the command line
    bool report_given = false;  ///< --report was on the command line
};

/// `convpool run`: the batch, its progress and summary on stderr, the report; the exit code.
[[nodiscard]] int run_main(RunArgs& a, const Shared& shared);

/// Options `compare` and `probe` share.
struct MeasureArgs {
    std::vector<std::string> inputs;
    bool recursive = false;
    int jobs = 1;
    std::string pipeline;
    std::string modes;
    bool replace_pools = false;  ///< probe: the modes replace every pooling stage of -p
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
    double png_scale = 1.0;  ///< --png-scale: compare's sheet.png, both commands' charts
    bool quiet = false;
};

/// `convpool compare` (`is_compare`) and `convpool probe`.
[[nodiscard]] int measure_main(const MeasureArgs& a, bool is_compare);

struct ShapeArgs {
    std::string pipeline;
    std::string size;
    bool json = false;
    std::size_t max_pixels = LoadOptions{}.max_pixels;
    std::string semantics = "torch";
};

[[nodiscard]] int shape_main(const ShapeArgs& a);

struct BenchArgs {
    BenchOptions options;
    std::string pipeline;
    std::string size = "1024x1024";
    std::string type = "f32";
};

[[nodiscard]] int bench_main(BenchArgs& a);

struct LayersArgs {
    std::string file;
    std::string size;
    bool json = false;
};

[[nodiscard]] int layers_main(const LayersArgs& a);

struct MergeArgs {
    std::vector<std::string> dirs;
    std::string out;
    bool quiet = false;
};

[[nodiscard]] int merge_main(const MergeArgs& a);

struct OpsArgs {
    std::string name;
    bool markdown = false;
};

[[nodiscard]] int ops_main(const OpsArgs& a);

struct ExplainArgs {
    ExplainRequest request;
    std::string pipeline;
    std::string semantics = "torch";
    bool quiet = false;
};

[[nodiscard]] int explain_main(ExplainArgs& a);

}  // namespace convpool::cli
