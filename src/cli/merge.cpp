#include "cli/merge.hpp"

#include "convpool/core/error.hpp"
#include "convpool/io/image_io.hpp"
#include "convpool/io/output_dir.hpp"
#include "convpool/report/report.hpp"

#include <fmt/format.h>

#include <cstdio>
#include <filesystem>

namespace convpool::cli {
namespace {

/// The largest report merge-reports reads.
constexpr std::size_t kMaxReportBytes = std::size_t{4} << 30;

}  // namespace

/// `convpool merge-reports`: shard reports combined into one report.json and report.csv.
int merge_reports_command(const std::vector<std::string>& dirs, const std::string& out,
                          bool quiet) {
    std::vector<std::string> jsons;
    std::vector<std::string> csvs;
    for (const auto& dir : dirs) {
        for (const char* name : {"report.json", "report.csv"}) {
            const std::string path = dir + "/" + name;
            // A regular file of at most 4 GiB: a report that is /dev/zero is not read at all.
            std::error_code ec;
            if (std::filesystem::exists(path, ec) && !std::filesystem::is_regular_file(path, ec)) {
                throw UsageError(fmt::format("{}: not a regular file", path));
            }
            std::string text = read_text_file(path, kMaxReportBytes, "merge-reports");
            (std::string(name) == "report.json" ? jsons : csvs).push_back(std::move(text));
        }
    }
    const auto merged = merge_reports(jsons, csvs);
    // The output folder contract of `run`: locked, written through its descriptor.
    auto folder = OutputDir::open(out);
    folder.lock();
    folder.remove_stale_temps();
    folder.write("report.json", merged.json);
    folder.write("report.csv", merged.csv);
    if (!quiet) {
        fmt::print(stderr,
                   "convpool: merged {} reports: {} inputs{}, {} failed -> {}/report.json, "
                   "report.csv\n",
                   dirs.size(), merged.inputs,
                   merged.list_size > merged.inputs
                       ? fmt::format(" of a list of {} (the other shards' reports are missing)",
                                     merged.list_size)
                       : std::string(),
                   merged.failed, out);
    }
    return static_cast<int>(merged.failed > 0 ? ExitCode::some_failed : ExitCode::ok);
}

}  // namespace convpool::cli
