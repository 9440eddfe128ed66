#pragma once
/// \file compare.hpp
/// `convpool compare`: every pooling mode after the same prefix, with one kernel and stride,
/// side by side on one sheet (one display height, one colour range for the pooled maps and the
/// map feeding them) and in one table with the probe's measurements per mode.

#include "convpool/commands/probe.hpp"
#include "convpool/core/tensor.hpp"
#include "convpool/render/visualize.hpp"

#include <string>
#include <vector>

namespace convpool {

/// What `convpool compare` was asked to do.
struct CompareOptions {
    std::string input_name;  ///< shown in titles and reports
    std::string prefix;      ///< pipeline before the pools; empty = the input itself
    std::vector<std::string> modes{"max", "avg", "min", "lp", "stochastic", "fractional"};
    std::string kernel = "2";  ///< N or HxW
    std::string stride;        ///< N or HxW; empty = the kernel
    std::string pad;           ///< N, HxW, same or valid; empty = none
    bool ceil = false;         ///< ceil mode of every window mode
    int sheet_height = 256;    ///< display height of every picture on the sheet
    double png_scale = 1.0;    ///< `--png-scale`: pixels of sheet.png per px of its layout
    /// The input's channel names (`R G B`, `Y`; LoadedImage::channel_names), empty: `c0`, ...
    std::vector<std::string> channel_names = {};
    ProbeOptions probe;  ///< the measurements (shifts, noise, seed, semantics)
};

/// The comparison: the probe's numbers per mode and the sheet.
struct CompareResult {
    ProbeReport report;
    Picture sheet;
};

/// Runs the prefix and every mode; throws UsageError, ShapeError as the pipeline and probe do.
[[nodiscard]] CompareResult compare(const Tensor& input, const CompareOptions& options);

/// One row per mode: output shape, statistics, time and a summary of each measurement (shift 1,
/// the first Gaussian sigma, the reconstructions, discarded share, entropy).
[[nodiscard]] std::string compare_table(const ProbeReport& report);

/// The same rows as CSV (compare.csv); every measurement in full is in compare.json (the probe's
/// JSON).
[[nodiscard]] std::string compare_csv(const ProbeReport& report);

/// Writes sheet.png, compare.json, compare.csv and the probe's charts (one line per mode) into
/// `dir`; returns the names. Throws OutputError.
std::vector<std::string> write_compare_outputs(const CompareResult& result, const OutputDir& dir);

}  // namespace convpool
