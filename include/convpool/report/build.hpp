#pragma once
/// \file build.hpp
/// What built this convpool: its version, the git commit and the libraries' versions. The same
/// data as `convpool --version --json`, and the `build` field of every report (report.json,
/// compare.json, probe.json, summary.json), which report comparisons ignore.

#include "convpool/io/versions.hpp"

#include <string>
#include <vector>

namespace convpool {

/// The version, commit and libraries of this build.
struct BuildInfo {
    std::string version;  ///< CONVPOOL_VERSION
    std::string commit;   ///< the git commit ("-modified" when the tree differed); "" without git
    std::vector<LibraryVersion> libraries;  ///< io's (OpenCV, libjpeg-turbo, ...) and the rest
};

[[nodiscard]] const BuildInfo& build_info();

/// build_info() as one JSON object: {"name", "version", "commit" (null without git),
/// "libraries": {name: version}}, pretty with `indent` spaces when >= 0.
[[nodiscard]] std::string build_json(int indent = -1);

}  // namespace convpool
