#pragma once
/// \file run.hpp
/// The `run` job: every input through the pipeline; pictures, sheet, raw arrays, final images
/// and the report; batches in parallel, sharded, resumable and interruptible.

#include "convpool/io/image_io.hpp"
#include "convpool/pipeline/pipeline.hpp"
#include "convpool/render/visualize.hpp"
#include "convpool/report/report.hpp"

#include <cstddef>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace convpool {

/// What is written per input.
enum class Emit {
    all,    ///< OUT/<stem>/NN_<stage>.png for every stage and sheet.png (and .npy with raw_npy)
    final,  ///< only the final stage, as OUT/<stem>.<format> (or to stdout with `-o -`)
};

/// A deterministic share of the input list: index K of N (1-based); count 0 = everything.
struct Shard {
    int index = 0;
    int count = 0;
};

/// What `convpool run` was asked to do.
struct RunOptions {
    std::vector<std::string> inputs;  ///< files, directories and `-` (stdin), as given
    std::string files_from;           ///< also read input paths from this file (`-`: stdin)
    bool files_nul = false;           ///< files_from is NUL-separated (find -print0)
    bool recursive = false;           ///< descend into subdirectories
    Shard shard;
    std::string out_dir = "convpool-out";  ///< `-`: the final image goes to stdout
    Emit emit = Emit::all;
    ImageEncoding format = ImageEncoding::png;  ///< for Emit::final
    bool raw_npy = false;                       ///< also write NN_<stage>.npy
    int sheet_height = 256;                     ///< display height of every stage in sheet.png
    /// Longest side of every stage picture (`--picture-size`; 0: `full`, every cell). A reduced
    /// picture gets NN_<stage>_zoom.png beside it (render/zoom.hpp).
    int picture_size = 2048;
    /// The zoom's input region (`--zoom Y,X,HxW`); unset: where the final stage responds most.
    std::optional<CellRegion> zoom;
    bool html = false;                    ///< also write OUT/index.html (html.hpp)
    StatsLevel stats = StatsLevel::full;  ///< statistics of every stage in the report
    RenderOptions render;                 ///< colour map, scale, grid columns, sheet resampling
    bool grid_overlay = false;   ///< NN_<stage>_windows.png: the next pool's windows over this map
    int jobs = 0;                ///< images processed at once; 0 = one per core
    bool share_cores = true;     ///< split the kernel threads between the jobs (no --threads given)
    bool fail_fast = false;      ///< stop starting new images after the first failure
    bool skip_existing = false;  ///< skip inputs whose outputs are complete (resume)
    bool force = false;          ///< overwrite earlier outputs
    /// With Emit::final, the leading max/min pools of an 8-bit image run in 8 bits
    /// (Pipeline::run(ImageU8)); false (`--float-only`) makes every image float first. The
    /// outputs are the same either way.
    bool u8_stages = true;
    /// With Emit::final and StatsLevel::none (no values of other stages read), an elementwise
    /// stage right after a conv is applied by the conv as it writes (Pipeline::run's `fuse`);
    /// false (`--no-fuse`) runs every stage by itself. The outputs are the same either way.
    bool fuse = true;
    LoadOptions load;
};

/// Hooks through which a batch talks to the terminal; all are optional and are called from one
/// thread at a time.
struct RunEvents {
    std::function<void(const std::string& input, const std::string& message)> error;
    std::function<void(const std::string& input, const std::string& message)> warning;
    /// After every input, whatever its status, with the number done so far and the total.
    std::function<void(const ImageReport& image, std::size_t done, std::size_t total)> finished;
    /// Polled between images and stages; true stops the batch (Ctrl-C, a closed stdout).
    std::function<bool()> stop_requested;
    /// Receives the final image when the output is `-`.
    std::function<void(std::string_view bytes)> write_stdout;
};

/// Result of a run: the report and counts for the exit code.
struct RunOutcome {
    RunReport report;
    std::size_t ok = 0;
    std::size_t failed = 0;
    std::size_t skipped = 0;
    std::size_t interrupted = 0;  ///< stopped by a signal while in progress
    std::size_t not_started = 0;  ///< never started (a signal, --fail-fast, a closed stdout)
    bool output_failed = false;   ///< some output file could not be written
    bool stopped = false;         ///< stop_requested or fail_fast ended the batch early
};

/// One input of a run and where its outputs go.
struct InputItem {
    std::string path;  ///< as given or found (`-` for stdin)
    /// Output folder (Emit::all) or file name without extension (Emit::final) below OUT,
    /// `/`-separated, every component a safe name (output_dir.hpp): the stem for a file named
    /// directly, the path below the directory argument for a file found in one (`cats/001`).
    std::string out_name;
    bool named = false;    ///< named directly (not found in a directory)
    bool renamed = false;  ///< out_name is not the plain stem (escaped, or suffixed `~N`)
    /// The image inside the file (a TIFF page, an item of a .npy batch), 0-based; unset for a
    /// file that holds one image.
    std::optional<std::size_t> item;

    /// How reports and messages name it: the path, with `[item]` (`x.npy[7]`).
    [[nodiscard]] std::string display() const {
        return item ? path + "[" + std::to_string(*item) + "]" : path;
    }
};

/// The inputs of a run: directories give their image files (by extension; all levels with
/// `recursive`) sorted by path, mirrored below OUT; nothing inside OUT itself is collected;
/// `files_from` adds one path per line (or NUL-separated). Throws UsageError for two files
/// named directly that would write the same output, for `-` given twice, and when nothing is
/// left. Any other clash of output names is resolved with a suffix `~2`, `~3`, ...
[[nodiscard]] std::vector<InputItem> list_inputs(const RunOptions& options);

/// Each file of `files` that holds several images (TIFF pages, a .npy batch: count_file_items)
/// becomes one item per image, `x_i7` (.npy) or `file_p2` (TIFF) below OUT, in file order.
/// `stdin_bytes` are the bytes of `-`, if it is one of the files.
[[nodiscard]] std::vector<InputItem> expand_items(const std::vector<InputItem>& files,
                                                  const RunOptions& options,
                                                  std::span<const unsigned char> stdin_bytes);

/// Name of the output folder (or file) of `input` below OUT: the file name without its
/// extension, made safe (safe_name: never `.`, `..`, empty or hidden); `stdin` for `-`.
[[nodiscard]] std::string output_stem(const std::string& input);

/// File label of a stage: op name with ':' as '-', plus its named filter or mode
/// (`conv-sobel-x`, `pool-max`).
[[nodiscard]] std::string stage_file_label(const Stage& stage);

/// Runs every input. A failing input is reported through `events.error` and in the report, and
/// the batch goes on. Every file is written to a temporary name and renamed when complete; an
/// input is never overwritten. Throws UsageError (bad combination, existing outputs without
/// --force or --skip-existing) and OutputError (OUT cannot be created) before anything is
/// written.
[[nodiscard]] RunOutcome run_batch(const Pipeline& pipeline, const std::string& pipeline_text,
                                   const RunOptions& options, const RunEvents& events);

}  // namespace convpool
