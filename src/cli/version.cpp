#include "cli/version.hpp"

#include "convpool/report/build.hpp"

#include <fmt/format.h>

namespace convpool::cli {

std::string version_text(bool json) {
    if (json) {
        return build_json(2) + "\n";
    }
    const BuildInfo& b = build_info();
    std::string out = fmt::format("convpool {}\n", b.version);
    out += b.commit.empty() ? std::string("built from a source tree without git\n")
                            : fmt::format("built from git commit {}\n", b.commit);
    out += "libraries:\n";
    for (const auto& l : b.libraries) {
        out += fmt::format("  {:<14} {}\n", l.name, l.version);
    }
    return out;
}

}  // namespace convpool::cli
