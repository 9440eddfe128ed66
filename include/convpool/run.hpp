#pragma once
/// \file run.hpp
/// The `run` job: every input through the pipeline, pictures, sheet, raw arrays and report.

#include <functional>
#include <string>
#include <vector>

#include "convpool/image_io.hpp"
#include "convpool/pipeline.hpp"
#include "convpool/report.hpp"

namespace convpool {

/// What `convpool run` was asked to do.
struct RunOptions {
    std::vector<std::string> inputs;  ///< files and directories, as given
    std::string out_dir = "convpool-out";
    bool raw_npy = false;   ///< also write NN_<stage>.npy
    int sheet_height = 256;  ///< display height of every stage in sheet.png
    bool html = false;       ///< also write OUT/index.html (html.hpp)
    LoadOptions load;
};

/// Result of a run: the report and counts for the exit code.
struct RunOutcome {
    RunReport report;
    std::size_t ok = 0;
    std::size_t failed = 0;
    bool output_failed = false;  ///< some output file could not be written
};

/// Files and directories expanded to the list of inputs: a directory gives its image files
/// (by extension, not recursive) sorted by name; other paths are kept as given.
/// Throws UsageError when two inputs would write the same output folder.
[[nodiscard]] std::vector<std::string> expand_inputs(const std::vector<std::string>& paths);

/// Name of the output folder of `input` below OUT: the file name without its extension.
[[nodiscard]] std::string output_stem(const std::string& input);

/// File label of a stage: op name with ':' as '-', plus its named filter or mode
/// (`conv-sobel-x`, `pool-max`).
[[nodiscard]] std::string stage_file_label(const Stage& stage);

/// Runs every input; a failing input is reported through `on_error(input, message)` and in the
/// report, and the batch goes on. Odd but usable inputs (truncated data) go to `on_warning`. Throws OutputError when OUT cannot be created and
/// UsageError for colliding inputs, before anything is written.
[[nodiscard]] RunOutcome run_batch(const Pipeline& pipeline, const std::string& pipeline_text,
                                   const RunOptions& options,
                                   const std::function<void(const std::string&, const std::string&)>& on_error,
                                   const std::function<void(const std::string&, const std::string&)>& on_warning);

}  // namespace convpool
