#pragma once
/// \file measure.hpp
/// `convpool compare` and `convpool probe` on one input or on many (files, folders, `-`). One
/// input file writes its outputs into OUT as it always has. Several inputs, or a folder, are a
/// batch: each image's outputs go to its own folder below OUT (named as `run` names them), and
/// OUT gets a summary: for every pool and measurement the number of images, mean, standard
/// deviation, minimum and maximum (summary.json, summary.csv, a table on stdout, and charts with
/// error bars of one standard deviation), because a claim measured on one photo is an anecdote.

#include "convpool/commands/probe.hpp"

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

namespace convpool {

/// What to measure, on what, and where to write it.
struct MeasureRequest {
    bool compare = false;             ///< compare (sheet + table) rather than probe
    std::vector<std::string> inputs;  ///< image files, folders (their images), `-` for stdin
    bool recursive = false;           ///< folders: every level, mirrored below OUT
    std::string out;                  ///< OUT
    std::string pipeline;             ///< -p text (empty: none)
    std::string source;               ///< the file -p came from, for FILE:LINE in errors
    std::string modes;                ///< --modes text; empty: probe the pools of -p
    /// probe --replace-pools: each mode replaces every pooling stage of -p (stack_targets)
    /// instead of following -p
    bool replace_pools = false;
    std::string kernel = "2";  ///< -k, N or HxW
    std::string stride;        ///< -s; empty: the kernel
    std::string pad;           ///< --pad; empty: none
    bool ceil = false;
    int sheet_height = 256;  ///< compare's sheet
    double png_scale = 1.0;  ///< compare's sheet.png: pixels per px (`--png-scale`)
    ProbeOptions probe;
    int jobs = 1;        ///< images measured at once
    bool force = false;  ///< compare: overwrite an earlier compare's outputs
};

/// What was measured and written.
struct MeasureOutcome {
    bool batch = false;  ///< several inputs or a folder: per-image folders and a summary
    std::string table;   ///< the report as printed: the image's, or the batch summary's
    std::string json;
    std::string csv;
    std::vector<std::string> files;  ///< written at the top of OUT
    std::size_t inputs = 0;
    std::size_t failed = 0;  ///< images that could not be measured (a batch goes on)
};

/// One summary line: a measurement of one pool over every image measured.
struct SummaryRow {
    std::string pool;
    std::string section;
    std::string metric;
    std::string kind;
    std::string level;
    std::size_t n = 0;  ///< images with a finite value
    double mean = 0.0;
    double sd = 0.0;  ///< sample standard deviation (n - 1); 0 for one image
    double min = 0.0;
    double max = 0.0;
    std::optional<double> pre_mean;  ///< mean of the pre-pool map's value, when it has one
};

/// The measurements of `reports` grouped by pool label, section, metric, kind and level, in
/// the order they first appear. Non-finite values (an infinite PSNR of identical maps) are
/// left out of n, mean and spread.
[[nodiscard]] std::vector<SummaryRow> summarize(const std::vector<ProbeReport>& reports);

/// Measures every input. In a batch an input that fails is reported through `on_error` (its
/// message, the path in front) and the rest go on; a single input's error is thrown. Throws
/// UsageError (bad options, no input, existing compare outputs without `force`) and
/// OutputError (OUT cannot be written, or another convpool holds its lock).
[[nodiscard]] MeasureOutcome measure(const MeasureRequest& rq,
                                     const std::function<void(const std::string&)>& on_error);

}  // namespace convpool
