#pragma once
// The CLI11 declarations read back as plain data, for the generators of man pages and shell
// completions (cli/man.cpp, cli/completion.cpp): the same options, in the same order, as --help.

#include <CLI/CLI.hpp>

#include <string>
#include <vector>

namespace convpool::cli {

/// One option or positional of a subcommand, as `--help` shows it.
struct OptionDecl {
    std::vector<std::string> names;    ///< "-p", "--pipeline"; a positional: its name
    std::string value;                 ///< "TEXT", "INT"; "" for a flag
    std::vector<std::string> choices;  ///< the values of a one_of() option
    std::string limits;                ///< another check's text ("INT in [0 - 4096]")
    std::string default_value;         ///< "" when none is shown
    std::string description;
    bool positional = false;
    bool required = false;
    bool many = false;  ///< takes any number of values (a positional list)
};

/// The options of `app` (not of its subcommands), positionals first, then the rest in
/// declaration order.
[[nodiscard]] std::vector<OptionDecl> option_decls(const CLI::App& app);

/// The subcommands of `app`, in the order of `convpool --help`.
[[nodiscard]] std::vector<const CLI::App*> subcommands(const CLI::App& app);

}  // namespace convpool::cli
