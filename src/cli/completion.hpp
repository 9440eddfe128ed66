#pragma once
// Shell completion for bash, zsh and fish: `convpool help --completion SHELL` prints a small
// script that, at each TAB, asks `convpool help --complete -- WORDS...` for the candidates,
// worked out here from the CLI11 declarations and the registry (stage names and parameters).

#include <CLI/CLI.hpp>

#include <string>
#include <vector>

namespace convpool::cli {

/// The completion script of `shell` (bash, zsh or fish). Throws UsageError for another.
[[nodiscard]] std::string completion_script(const std::string& shell);

/// The candidates for the last of `words` (the words after `convpool`, the last one being
/// completed, possibly empty): a first line saying what they are, `words` (complete and add a
/// space), `partial` (add no space: a stage or parameter that goes on) or `files` (complete file
/// names; no candidates follow), then one candidate a line.
[[nodiscard]] std::string complete(const CLI::App& app, std::vector<std::string> words);

}  // namespace convpool::cli
