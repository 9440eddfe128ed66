#pragma once
// `convpool merge-reports`: shard reports combined into one.

#include <string>
#include <vector>

namespace convpool::cli {

/// `convpool merge-reports`: shard reports combined into one report.json and report.csv;
/// returns the exit code.
[[nodiscard]] int merge_reports_command(const std::vector<std::string>& dirs,
                                        const std::string& out, bool quiet);

}  // namespace convpool::cli
