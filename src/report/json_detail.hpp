#pragma once
// The report's JSON pieces report.cpp and merge.cpp share (private to report/).

#include "convpool/report/report.hpp"

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace convpool::detail {

/// `j` as JSON text (invalid UTF-8 replaced), pretty with `indent` spaces when >= 0.
[[nodiscard]] std::string dump(const nlohmann::json& j, int indent = -1);

/// The status named `name`; throws UsageError for another name.
[[nodiscard]] ImageStatus status_from_name(const std::string& name);

/// The report's `summary`: counts of every status; `ok` is done + skipped.
[[nodiscard]] nlohmann::json summary_json(const std::vector<ImageStatus>& statuses);

}  // namespace convpool::detail
