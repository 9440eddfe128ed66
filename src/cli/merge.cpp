#include "cli/merge.hpp"

#include "convpool/core/error.hpp"
#include "convpool/io/file_source.hpp"
#include "convpool/io/output_dir.hpp"
#include "convpool/report/merge.hpp"

#include <fmt/format.h>

#include <cstdio>
#include <memory>

namespace convpool::cli {
namespace {

/// The largest report merge-reports reads.
constexpr std::uint64_t kMaxReportBytes = std::uint64_t{4} << 30;

}  // namespace

/// `convpool merge-reports`: shard reports combined into one report.json and report.csv, read
/// and written a piece at a time (report/merge.hpp).
int merge_reports_command(const std::vector<std::string>& dirs, const std::string& out,
                          bool quiet) {
    std::vector<std::unique_ptr<ByteSource>> files;
    std::vector<ShardReport> shards;
    for (const auto& dir : dirs) {
        // Regular files of at most 4 GiB: a report that is /dev/zero is not read at all.
        ShardReport shard;
        shard.json = files
                         .emplace_back(open_file_source(dir + "/report.json", kMaxReportBytes,
                                                        "merge-reports"))
                         .get();
        shard.csv = files
                        .emplace_back(
                            open_file_source(dir + "/report.csv", kMaxReportBytes, "merge-reports"))
                        .get();
        shards.push_back(shard);
    }
    const ReportMerge merged(std::move(shards));
    // The output folder contract of `run`: locked, written through its descriptor.
    auto folder = OutputDir::open(out);
    folder.lock();
    folder.remove_stale_temps();
    folder.write_streamed("report.json",
                          [&merged](const auto& append) { merged.write_json(append); });
    folder.write_streamed("report.csv",
                          [&merged](const auto& append) { merged.write_csv(append); });
    if (!quiet) {
        fmt::print(stderr,
                   "convpool: merged {} reports: {} inputs{}, {} failed -> {}/report.json, "
                   "report.csv\n",
                   dirs.size(), merged.inputs(),
                   merged.list_size() > merged.inputs()
                       ? fmt::format(" of a list of {} (the other shards' reports are missing)",
                                     merged.list_size())
                       : std::string(),
                   merged.failed(), out);
    }
    return static_cast<int>(merged.failed() > 0 ? ExitCode::some_failed : ExitCode::ok);
}

}  // namespace convpool::cli
