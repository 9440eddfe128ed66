#include "cli/version.hpp"

#include "convpool/io/versions.hpp"

#include <CLI/Version.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <vector>

#include "build_info.hpp"

namespace convpool::cli {

std::string version_text(bool json) {
    std::vector<LibraryVersion> libraries = io_library_versions();
    libraries.push_back({"fmt", fmt::format("{}.{}.{}", FMT_VERSION / 10000,
                                            FMT_VERSION / 100 % 100, FMT_VERSION % 100)});
    libraries.push_back({"CLI11", CLI11_VERSION});
    libraries.push_back(
        {"nlohmann-json", fmt::format("{}.{}.{}", NLOHMANN_JSON_VERSION_MAJOR,
                                      NLOHMANN_JSON_VERSION_MINOR, NLOHMANN_JSON_VERSION_PATCH)});
    const std::string commit = convpool::build::kGitCommit;
    if (json) {
        nlohmann::ordered_json out;
        out["name"] = "convpool";
        out["version"] = CONVPOOL_VERSION;
        out["commit"] = commit.empty() ? nlohmann::ordered_json() : nlohmann::ordered_json(commit);
        out["libraries"] = nlohmann::ordered_json::object();
        for (const auto& l : libraries) {
            out["libraries"][l.name] = l.version;
        }
        return out.dump(2) + "\n";
    }
    std::string out = fmt::format("convpool {}\n", CONVPOOL_VERSION);
    out += commit.empty() ? std::string("built from a source tree without git\n")
                          : fmt::format("built from git commit {}\n", commit);
    out += "libraries:\n";
    for (const auto& l : libraries) {
        out += fmt::format("  {:<14} {}\n", l.name, l.version);
    }
    return out;
}

}  // namespace convpool::cli
