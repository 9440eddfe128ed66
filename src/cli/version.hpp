#pragma once
// `convpool --version`: the version, the git commit it was built from, and its libraries.

#include <string>

namespace convpool::cli {

/// `convpool --version`: "convpool X.Y.Z" on the first line, then the commit (when built from a
/// git checkout) and one line per library; with `json`, the same as one JSON object.
[[nodiscard]] std::string version_text(bool json);

}  // namespace convpool::cli
