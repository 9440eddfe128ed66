#pragma once
// What the subcommands share, without CLI11 (cli/options.cpp declares their options), and how
// main.cpp registers them: each subcommand is one `add_<name>(app[, shared])` function returning
// a Subcommand, and main.cpp lists them in the order of `convpool --help`, one line each.

#include "convpool/pipeline/pipeline.hpp"

#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace CLI {  // NOLINT(readability-identifier-naming): CLI11's own namespace
class App;
}  // namespace CLI

namespace convpool::cli {

/// Options that act before any subcommand runs (main.cpp applies them): --threads of run and
/// bench, --verbose of run.
struct Shared {
    int threads = 0;
    bool verbose = false;
};

/// A declared subcommand: its CLI11 app, and what runs when the command line names it (the exit
/// code; convpool::Error thrown is reported by main.cpp).
struct Subcommand {
    CLI::App* app = nullptr;
    std::function<int()> run;
};

/// The footer of every subcommand that takes a pipeline: the grammar in five lines.
inline constexpr const char* kPipelineHelp =
    "Pipeline: stages separated by '|', run left to right.\n"
    "  stage := NAME[:arg,arg,...]   arg := key=value | value (a bare value is the first "
    "parameter)\n"
    "  -p @FILE reads the pipeline from FILE (one stage per line, # comments).\n"
    "  Sizes are N or HxW (height first); shapes print as CxHxW.\n"
    "  Example: -p \"conv:sobel-x | relu | pool:max,k=2,s=2\"    List stages: convpool ops\n";

/// " (did you mean 'NEAR'?)", or "" when nothing is close.
[[nodiscard]] std::string did_you_mean(const std::string& near);

/// `names` joined by `sep`.
[[nodiscard]] std::string join_names(const std::vector<std::string>& names, const char* sep = ", ");

/// How the pipeline of `-p VALUE` reads `@FILE` weights: from files, relative paths from the
/// folder of the `@pipeline` file, or from the working directory for a pipeline written inline.
[[nodiscard]] ParseContext parse_context(std::string_view pipeline_value);

/// Writes `text` to stdout (convpool::write_stdout).
void print_stdout(const std::string& text);

}  // namespace convpool::cli
