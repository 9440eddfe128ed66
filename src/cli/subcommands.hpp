#pragma once
// Every subcommand's CLI11 declaration (cli/options.cpp), one function each; main.cpp registers
// them in the order of `convpool --help`. A new subcommand: `Subcommand add_<name>(CLI::App&)`
// (with `Shared&` too when it reads --threads) declared here, and one line in main.cpp's list.

#include "cli/common.hpp"

namespace convpool::cli {

[[nodiscard]] Subcommand add_run(CLI::App& app, Shared& shared);  // cli/options.cpp, all of them
[[nodiscard]] Subcommand add_shape(CLI::App& app);
[[nodiscard]] Subcommand add_bench(CLI::App& app, Shared& shared);
[[nodiscard]] Subcommand add_layers(CLI::App& app);
[[nodiscard]] Subcommand add_kernel(CLI::App& app);
[[nodiscard]] Subcommand add_merge_reports(CLI::App& app);
[[nodiscard]] Subcommand add_ops(CLI::App& app);
[[nodiscard]] Subcommand add_compare(CLI::App& app);
[[nodiscard]] Subcommand add_probe(CLI::App& app);
[[nodiscard]] Subcommand add_explain(CLI::App& app);

}  // namespace convpool::cli
