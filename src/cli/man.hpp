#pragma once
// `convpool help --man DIR`: the man pages, generated from the CLI11 declarations and the
// registry's ParamSpecs, the same ones --help and `convpool ops` print.

#include <CLI/CLI.hpp>

#include <string>
#include <utility>
#include <vector>

namespace convpool::cli {

/// Every man page as (file name, roff text): convpool.1, convpool-SUB.1 for each subcommand of
/// `app`, and convpool-ops.7 (every stage and parameter).
[[nodiscard]] std::vector<std::pair<std::string, std::string>> man_pages(const CLI::App& app);

/// Writes man_pages(app) into the existing folder `dir`. Throws OutputError.
void write_man_pages(const CLI::App& app, const std::string& dir);

}  // namespace convpool::cli
