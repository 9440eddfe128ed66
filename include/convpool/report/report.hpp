#pragma once
/// \file report.hpp
/// Statistics of feature maps and the run report (table, JSON, CSV, Markdown).

#include "convpool/core/tensor.hpp"
#include "convpool/pipeline/op.hpp"

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace convpool {

/// Statistics of a set of values. Non-finite values (NaN, +-inf) are counted in `nonfinite` and
/// left out of everything else; with no finite value the numbers are NaN (null in JSON).
struct ChannelStats {
    std::size_t count = 0;      ///< values
    std::size_t nonfinite = 0;  ///< NaN or infinite values
    double min = 0;
    double max = 0;
    double mean = 0;
    double std = 0;                ///< population standard deviation
    double zero_fraction = 0;      ///< share of finite values equal to 0
    double negative_fraction = 0;  ///< share of finite values below 0
    double entropy = 0;            ///< bits, of a 256-bin histogram over [min, max]
    double p1 = 0;                 ///< percentiles, linear interpolation (numpy's default)
    double p50 = 0;
    double p99 = 0;
};

/// How much of ChannelStats a run computes (`convpool run --stats`).
///  - full: everything (percentiles, entropy and the stage histogram need extra passes);
///  - basic: one pass: count, nonfinite, min, max, mean, std, zero and negative fractions; the
///    entropy and percentiles are NaN (null in JSON) and the stage has no histogram;
///  - none: no statistics at all (shapes, sizes and timings only).
enum class StatsLevel { full, basic, none };

/// `full`, `basic` or `none`.
[[nodiscard]] const char* stats_level_name(StatsLevel level) noexcept;

/// Statistics of `values` (`level` full or basic; none gives the same as basic). Exact, and the
/// same whatever the thread count: the work is split into fixed pieces combined in order.
[[nodiscard]] ChannelStats channel_stats(std::span<const float> values,
                                         StatsLevel level = StatsLevel::full);

/// Counts of the finite values in `counts.size()` equal bins over [lo, hi] (the last bin holds
/// hi; all values in bin 0 when lo == hi). Empty `counts` when no value is finite.
struct Histogram {
    double lo = 0;
    double hi = 0;
    std::vector<std::size_t> counts;
};

/// Every statistic of a stage: of all its values, of each channel, and (full) the 64-bin
/// histogram of all its values (as value_histogram()).
struct StageStats {
    ChannelStats overall;
    std::vector<ChannelStats> channels;
    Histogram histogram;
};

/// The statistics of a stage's `values` (CHW, `channels` equal planes) in two passes over the
/// values, whatever the channel count: the first sums and counts (and groups the values by
/// their leading bits), the second measures spreads around the first pass's means and ranges
/// and narrows each percentile to one group. A group too large to collect whose wanted sub-bin
/// holds several distinct values is finished by a radix selection over that set alone. Exact
/// as channel_stats() of each part, and the same bits for every thread count.
[[nodiscard]] StageStats stage_stats(std::span<const float> values, int channels,
                                     StatsLevel level = StatsLevel::full);

/// The `percent`-th and (100 - `percent`)-th percentiles of the finite values (0 <= percent
/// <= 50), interpolated linearly as channel_stats' p1 and p99 (numpy's default); NaN and +-inf
/// are left out. Unset when no value is finite. Exact, by the radix selection of channel_stats
/// (counting passes over `values`: no copy, no sort).
[[nodiscard]] std::optional<ValueRange> percentile_range(std::span<const float> values,
                                                         double percent);

/// Histogram of the finite `values` in `bins` bins over their own [min, max].
[[nodiscard]] Histogram value_histogram(std::span<const float> values, int bins = 64);

/// What a stage that recorded switches (`pool:max,switches`) did, for the report.
struct SwitchSummary {
    Size2 window;  ///< taps per window (rows x cols)
    /// How often each tap of the window held the maximum, row-major (window.h x window.w),
    /// over every output value of every channel.
    std::vector<long long> offset_histogram;
    long long uncovered = 0;  ///< input cells (per channel) that no window reads
    int max_coverage = 0;     ///< the most windows reading one input cell (> 1: overlap)
};

/// One stage of one image.
/// A rectangle of cells of a map: first row and column, height and width.
struct CellRegion {
    int y = 0;
    int x = 0;
    int h = 0;
    int w = 0;
    friend bool operator==(const CellRegion&, const CellRegion&) = default;
};

/// How a stage picture was drawn (`--emit all`): its scale, and the full-resolution zoom
/// written beside it when it was reduced.
struct PictureReport {
    double scale_h = 1.0;  ///< picture cells per map cell along rows (0.25: 4x4 blocks)
    double scale_w = 1.0;
    std::string reduction;  ///< `none`, `largest-magnitude` (feature maps) or `mean` (images)
    std::optional<CellRegion> zoom;  ///< the stage's cells in NN_<stage>_zoom.png
};

/// The weights picture of a stage (`NN_<stage>_weights.png`).
struct WeightsPictureReport {
    std::string file;                ///< relative to the image's output folder
    std::vector<std::string> names;  ///< one per filter (bank) or output channel (conv:weights)
};

struct StageReport {
    int index = 0;
    std::string op;     ///< `input` for stage 0
    std::string stage;  ///< every parameter with defaults filled in
    Shape shape;
    double ratio_previous = 1.0;  ///< elements / elements of the previous stage
    double ratio_input = 1.0;     ///< elements / elements of the input
    double milliseconds = 0.0;
    ChannelStats overall;                ///< unset with StatsLevel::none
    std::vector<ChannelStats> channels;  ///< per channel; empty with StatsLevel::none
    Histogram histogram;  ///< every finite value of the stage, 64 bins (the HTML report)
    /// One name per channel (`R`, `Y`, `R:sobel-x`, `c17`): the input's, then each stage's from
    /// its input's (Op::channel_names).
    std::vector<std::string> channel_names;
    std::vector<std::string> notes;
    std::vector<std::string> files;  ///< written files, relative to the image's output folder
    std::optional<RegionSequences> regions;  ///< fractional pooling: sequences, u and seed
    std::optional<SwitchSummary> switches;   ///< a stage that recorded switches
    std::optional<PictureReport> picture;    ///< --emit all: how its picture was drawn
    /// --emit all, a stage with its own kernels (bank, conv:weights): its weights picture and
    /// the name of each filter or output channel (`gabor(theta=45)`, `c0`).
    std::optional<WeightsPictureReport> weights;
    /// Pixels of a picture file's PNG per px of its layout (--png-scale), for the files drawn at
    /// another scale than 1: the HTML page shows them at their 1x size. Not in report.json.
    std::map<std::string, double> png_scales;

    [[nodiscard]] std::size_t elements() const { return shape.elements(); }
    [[nodiscard]] std::size_t bytes() const { return shape.elements() * sizeof(float); }
};

/// What happened to one input (docs/outputs.md).
enum class ImageStatus {
    done,         ///< processed, every output written
    failed,       ///< the input is bad, or an output could not be written (`error` says which)
    skipped,      ///< up to date (--skip-existing): reported from its record
    interrupted,  ///< stopped by a signal while in progress
    not_started,  ///< never started (Ctrl-C, --fail-fast, a closed stdout)
};

/// `done`, `failed`, `skipped`, `interrupted` or `not-started`.
[[nodiscard]] const char* image_status_name(ImageStatus status) noexcept;

/// Version of the report's layout (`report_version` in report.json); merge-reports refuses
/// reports of another version.
inline constexpr int kReportVersion = 2;

/// One input.
struct ImageReport {
    std::size_t index = 0;  ///< position in the whole (unsharded) input list
    std::string input;
    std::string output_dir;  ///< empty when nothing was written
    ImageStatus status = ImageStatus::failed;
    std::string error;  ///< why it failed

    /// Done or skipped: its outputs are there.
    [[nodiscard]] bool ok() const noexcept {
        return status == ImageStatus::done || status == ImageStatus::skipped;
    }
    [[nodiscard]] bool skipped() const noexcept { return status == ImageStatus::skipped; }
    std::vector<std::string> warnings;  ///< e.g. truncated data that still decoded
    std::vector<StageReport> stages;
    std::vector<std::string> files;  ///< image-level files (sheet.png)
    /// As StageReport::png_scales, for the image-level files. Not in report.json.
    std::map<std::string, double> png_scales;
    /// HTML shown in the run's page under the image's flow of shapes (the explain view of a small
    /// input, built by commands/ from render/); never written to report.json.
    std::string html_view;
};

/// The whole run.
struct RunReport {
    std::string pipeline;                 ///< as given
    std::string semantics = "torch";      ///< pooling conventions (--semantics)
    StatsLevel stats = StatsLevel::full;  ///< what the stages' statistics hold (--stats)
    std::vector<std::string> stages;      ///< every stage with defaults filled in
    /// The whole (unsharded) input list: its length and an FNV-1a hash of its paths, so that
    /// merge-reports can tell shards of one list from shards of another. 0 inputs: unknown.
    std::size_t input_list_size = 0;
    std::uint64_t input_list_hash = 0;
    std::vector<ImageReport> images;
    /// Wall time of the run in seconds, from listing its inputs to its last image's record
    /// (`throughput` in report.json, with the images done per second); unset in a merged
    /// report, whose shards ran apart.
    std::optional<double> seconds;
};

/// Images done (processed in this run, not skipped) per second of `report.seconds`; 0 when the
/// run took no measurable time or has no time.
[[nodiscard]] double images_per_second(const RunReport& report);

/// Report formats printed to stdout.
enum class ReportFormat { table, json, csv, md, jsonl, none };

[[nodiscard]] std::string report_json(const RunReport& report);
/// `s` as one CSV field (RFC 4180: quoted when it holds a comma, quote or newline).
[[nodiscard]] std::string csv_field(const std::string& s);
/// One image as a single-line JSON object (the `images[]` entry; `--report jsonl`).
[[nodiscard]] std::string image_json_line(const ImageReport& image);
/// The image as an image's record stores it (docs/outputs.md): its `images[]` entry plus each
/// stage's histogram, all that every report format needs to show it again.
[[nodiscard]] std::string stored_image_json(const ImageReport& image);
/// stored_image_json read back; the same report (numbers bit for bit: JSON keeps 17 digits).
/// Throws InputError when `text` is not one.
[[nodiscard]] ImageReport parse_stored_image(std::string_view text);
[[nodiscard]] std::string report_csv(const RunReport& report);
[[nodiscard]] std::string report_table(const RunReport& report);
[[nodiscard]] std::string report_markdown(const RunReport& report);
/// The report in `format` ("" for none).
[[nodiscard]] std::string format_report(const RunReport& report, ReportFormat format);

}  // namespace convpool
