#include "convpool/report/build.hpp"

#include <CLI/Version.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "build_info.hpp"

namespace convpool {

const BuildInfo& build_info() {
    static const BuildInfo info = [] {
        BuildInfo b{CONVPOOL_VERSION, convpool::build::kGitCommit, io_library_versions()};
        b.libraries.push_back({"fmt", fmt::format("{}.{}.{}", FMT_VERSION / 10000,
                                                  FMT_VERSION / 100 % 100, FMT_VERSION % 100)});
        b.libraries.push_back({"CLI11", CLI11_VERSION});
        b.libraries.push_back({"nlohmann-json", fmt::format("{}.{}.{}", NLOHMANN_JSON_VERSION_MAJOR,
                                                            NLOHMANN_JSON_VERSION_MINOR,
                                                            NLOHMANN_JSON_VERSION_PATCH)});
        return b;
    }();
    return info;
}

std::string build_json(int indent) {
    const BuildInfo& b = build_info();
    nlohmann::ordered_json out;
    out["name"] = "convpool";
    out["version"] = b.version;
    out["commit"] = b.commit.empty() ? nlohmann::ordered_json() : nlohmann::ordered_json(b.commit);
    out["libraries"] = nlohmann::ordered_json::object();
    for (const auto& l : b.libraries) {
        out["libraries"][l.name] = l.version;
    }
    return out.dump(indent);
}

}  // namespace convpool
