#pragma once
// Every subcommand's CLI11 declaration, one function each; main.cpp registers them in the order
// of `convpool --help`. A new subcommand: a file in cli/ with `Subcommand add_<name>(CLI::App&)`
// (or with `Shared&` when it reads --threads), declared here, and one line in main.cpp's list.

#include <CLI/CLI.hpp>

#include "cli/common.hpp"

namespace convpool::cli {

[[nodiscard]] Subcommand add_run(CLI::App& app, Shared& shared);  // cli/run_command.cpp
[[nodiscard]] Subcommand add_shape(CLI::App& app);                // cli/small_commands.cpp
[[nodiscard]] Subcommand add_bench(CLI::App& app, Shared& shared);
[[nodiscard]] Subcommand add_layers(CLI::App& app);
[[nodiscard]] Subcommand add_merge_reports(CLI::App& app);
[[nodiscard]] Subcommand add_ops(CLI::App& app);
[[nodiscard]] Subcommand add_compare(CLI::App& app);  // cli/measure_command.cpp
[[nodiscard]] Subcommand add_probe(CLI::App& app);
[[nodiscard]] Subcommand add_explain(CLI::App& app);  // cli/small_commands.cpp

}  // namespace convpool::cli
