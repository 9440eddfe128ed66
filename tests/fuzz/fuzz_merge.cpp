// libFuzzer target: merge-reports' reader and writer (report/merge.hpp) on arbitrary bytes. The
// input is split at NUL bytes into report.json, report.csv, report.json, report.csv (two
// shards, or one when there is no third part); every part is read through the bounded
// structural reader, each images[] entry checked, and the merged report written. Whatever the
// bytes, the merge either succeeds or throws UsageError (one line, exit 2), and a merged
// report.json is valid JSON that merges again to itself.
#include "convpool/core/error.hpp"
#include "convpool/report/merge.hpp"

#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    // NOLINTNEXTLINE(cppcoreguidelines-pro-type-reinterpret-cast): libFuzzer's bytes as text
    const std::string_view bytes(reinterpret_cast<const char*>(data), size);
    std::vector<std::string> parts;
    std::size_t start = 0;
    while (parts.size() < 3) {
        const std::size_t nul = bytes.find('\0', start);
        if (nul == std::string_view::npos) {
            break;
        }
        parts.emplace_back(bytes.substr(start, nul - start));
        start = nul + 1;
    }
    parts.emplace_back(bytes.substr(start));
    std::vector<std::string> jsons;
    std::vector<std::string> csvs;
    for (std::size_t i = 0; i < parts.size(); ++i) {
        (i % 2 == 0 ? jsons : csvs).push_back(parts[i]);
    }
    convpool::MergedReport merged;
    try {
        merged = convpool::merge_reports(jsons, csvs);
    } catch (const convpool::UsageError&) {
        return 0;
    }
    if (!nlohmann::json::accept(merged.json)) {
        __builtin_trap();  // the merged report must be JSON
    }
    // Merged once more, alone, it stays the same (its images are already in order).
    try {
        const auto again = convpool::merge_reports({merged.json}, {merged.csv});
        if (again.json != merged.json || again.inputs != merged.inputs) {
            __builtin_trap();
        }
    } catch (const convpool::UsageError&) {
        __builtin_trap();
    }
    return 0;
}
