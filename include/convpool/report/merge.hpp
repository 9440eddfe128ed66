#pragma once
/// \file merge.hpp
/// merge-reports' reader and writer: shard reports merged into one without holding any of them
/// whole. Pass 1 reads each report.json once, front to back, with a bounded structural reader:
/// the top-level fields are parsed (they are what the merged report's header needs), and each
/// `images[]` entry is parsed alone, checked against docs/outputs.md and dropped, keeping only
/// its index, status, input and where it lies in the file. Pass 2 writes the merged report.json
/// in index order, reading each entry again, and report.csv by copying each input's rows.
/// Memory: O(largest single image entry) + O(number of images) + the header fields.

#include "convpool/core/byte_source.hpp"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace convpool {

/// Where the merged files go, a piece at a time.
using ByteSink = std::function<void(std::string_view)>;

/// One shard: its report.json and report.csv.
struct ShardReport {
    const ByteSource* json = nullptr;
    const ByteSource* csv = nullptr;
};

/// Shard reports merged: images in input-list order (their `index`), summary recomputed, CSV
/// rows regrouped in the same order.
class ReportMerge {
public:
    /// Reads every report (pass 1). Throws UsageError, naming the report, when one is not a
    /// convpool report (invalid JSON, nesting deeper than 64 levels, an entry of the wrong
    /// shape), is of another report_version, ran another pipeline, is a shard of another input
    /// list, or holds an input another report holds too.
    explicit ReportMerge(std::vector<ShardReport> reports);
    ReportMerge(const ReportMerge&) = delete;
    ReportMerge& operator=(const ReportMerge&) = delete;
    ReportMerge(ReportMerge&& other) noexcept;
    ReportMerge& operator=(ReportMerge&& other) noexcept;
    ~ReportMerge();

    /// The merged report.json (pass 2), as `convpool run` would have written it.
    void write_json(const ByteSink& sink) const;
    /// The merged report.csv: the header once, then each input's rows in the merged order.
    void write_csv(const ByteSink& sink) const;

    [[nodiscard]] std::size_t inputs() const noexcept;
    [[nodiscard]] std::size_t failed() const noexcept;
    /// Inputs of the whole list the shards came from (0: unknown).
    [[nodiscard]] std::size_t list_size() const noexcept;

private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

/// report.json and report.csv of several shard runs merged into one run's, in memory.
struct MergedReport {
    std::string json;
    std::string csv;
    std::size_t inputs = 0;
    std::size_t failed = 0;
    std::size_t list_size = 0;  ///< inputs of the whole list the shards came from (0: unknown)
};

/// ReportMerge over strings (tests, the fuzz target).
[[nodiscard]] MergedReport merge_reports(const std::vector<std::string>& json_texts,
                                         const std::vector<std::string>& csv_texts);

}  // namespace convpool
