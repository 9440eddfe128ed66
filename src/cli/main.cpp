// convpool command line: the CLI11 app, its subcommands registered one line each (their
// options are declared in cli/run_command.cpp, cli/measure_command.cpp and
// cli/small_commands.cpp), parse errors, exit codes, and nothing else.
#include "convpool/core/error.hpp"
#include "convpool/core/parallel.hpp"
#include "convpool/core/params.hpp"
#include "convpool/core/text.hpp"
#include "convpool/io/conv_plugin.hpp"
#include "convpool/io/image_io.hpp"
#include "convpool/io/terminal.hpp"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstring>
#include <exception>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cli/common.hpp"
#include "cli/completion.hpp"
#include "cli/man.hpp"
#include "cli/subcommands.hpp"
#include "cli/version.hpp"

namespace {

using convpool::ExitCode;
using convpool::cli::did_you_mean;
using convpool::cli::join_names;
using convpool::cli::print_stdout;
using convpool::cli::Shared;
using convpool::cli::Subcommand;

/// Every spelling of the options of `app`: `--out`, `-o`, ...
std::vector<std::string> option_names(const CLI::App& app) {
    std::vector<std::string> names;
    for (const CLI::Option* opt : app.get_options()) {
        for (const auto& n : opt->get_lnames()) {
            names.push_back("--" + n);
        }
        for (const auto& n : opt->get_snames()) {
            names.push_back("-" + n);
        }
    }
    return names;
}

/// The names of the subcommands of `app`, in the order of `convpool --help`.
std::vector<std::string> subcommand_names(const CLI::App& app) {
    std::vector<std::string> names;
    for (const CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; })) {
        names.push_back(sub->get_name());
    }
    return names;
}

/// `text` with a capital that starts it, or a part after ": ", in lower case ("Value abc not in
/// range" -> "value abc not in range"; "TEXT" stays).
std::string lower_sentences(std::string text) {
    for (std::size_t i = 0; i + 1 < text.size(); ++i) {
        const bool starts = i == 0 || (i >= 2 && text[i - 2] == ':' && text[i - 1] == ' ');
        if (starts && std::isupper(static_cast<unsigned char>(text[i])) != 0 &&
            std::islower(static_cast<unsigned char>(text[i + 1])) != 0) {
            text[i] = static_cast<char>(std::tolower(static_cast<unsigned char>(text[i])));
        }
    }
    return text;
}

/// A CLI11 parse error as one line in convpool's style: lower case, and for an unknown option
/// the closest option of the subcommand being parsed.
std::string parse_error_text(const CLI::App& app, const CLI::ParseError& e) {
    const auto parsed = app.get_subcommands();
    const CLI::App& sub = parsed.empty() ? app : *parsed.front();
    const std::string where = parsed.empty() ? std::string() : sub.get_name() + ": ";
    if (dynamic_cast<const CLI::ExtrasError*>(&e) != nullptr) {
        const auto extras = app.remaining(true);
        if (!extras.empty()) {
            const std::string& arg = extras.front();
            if (arg.size() > 1 && arg[0] == '-') {
                const std::string name = arg.substr(0, arg.find('='));
                // One letter is too little to guess from: `-Z` gets no `-h`.
                const bool long_name = name.size() > 2;
                return fmt::format(
                    "{}unknown option '{}'{}", where, name,
                    long_name ? did_you_mean(convpool::closest_match(name, option_names(sub)))
                              : std::string());
            }
            return fmt::format("{}unexpected argument '{}'", where, arg);
        }
    }
    if (parsed.empty() && dynamic_cast<const CLI::RequiredError*>(&e) != nullptr) {
        return fmt::format("a subcommand is required: one of {} (convpool --help)",
                           join_names(subcommand_names(app)));
    }
    std::string text = e.what();
    std::replace(text.begin(), text.end(), '\n', ' ');
    return where + lower_sentences(text);
}

/// Declares every subcommand on `app`, in the order of `convpool --help`: one line each.
std::vector<Subcommand> add_subcommands(CLI::App& app, Shared& shared) {
    namespace cli = convpool::cli;
    std::vector<Subcommand> subcommands;
    subcommands.push_back(cli::add_run(app, shared));
    subcommands.push_back(cli::add_shape(app));
    subcommands.push_back(cli::add_bench(app, shared));
    subcommands.push_back(cli::add_layers(app));
    subcommands.push_back(cli::add_kernel(app));
    subcommands.push_back(cli::add_merge_reports(app));
    subcommands.push_back(cli::add_ops(app));
    subcommands.push_back(cli::add_compare(app));
    subcommands.push_back(cli::add_probe(app));
    subcommands.push_back(cli::add_explain(app));
    return subcommands;
}

/// The hidden generator modes: `help --man DIR` writes the man pages (cli/man.cpp), run by the
/// build; `help --completion SHELL` prints a completion script, which at each TAB runs
/// `help --complete -- WORDS...` (cli/completion.cpp). Nothing when argv asks for none.
std::optional<int> generator_mode(const CLI::App& app, int argc, char** argv) {
    if (argc < 3 || std::string_view(argv[1]) != "help" ||
        (std::string_view(argv[2]) != "--man" && std::string_view(argv[2]) != "--completion" &&
         std::string_view(argv[2]) != "--complete")) {
        return std::nullopt;
    }
    const std::string_view mode = argv[2];
    try {
        if (mode == "--complete" && argc >= 4 && std::string_view(argv[3]) == "--") {
            print_stdout(convpool::cli::complete(app, {argv + 4, argv + argc}));
        } else if (argc != 4 || mode == "--complete") {
            throw convpool::UsageError(fmt::format("help {}: wrong arguments", mode));
        } else if (mode == "--man") {
            convpool::cli::write_man_pages(app, argv[3]);
        } else {
            print_stdout(convpool::cli::completion_script(argv[3]));
        }
        return 0;
    } catch (const convpool::Error& e) {
        fmt::print(stderr, "convpool: error: {}\n", convpool::terminal_text(e.what()));
        return static_cast<int>(e.code());
    }
}

/// Parses `args` into `app`: an exit code when nothing is left to run (--help, --version, a
/// usage error), nothing when a subcommand was parsed. `convpool help [CMD]` is
/// `convpool [CMD] --help`; a first word that names no subcommand is an unknown subcommand, not
/// CLI11's "A subcommand is required".
std::optional<int> parse(CLI::App& app, std::vector<char*> args) {
    std::string help_flag = "--help";
    if (args.size() >= 2 && std::string_view(args[1]) == "help") {
        args.erase(args.begin() + 1);
        args.push_back(help_flag.data());
    }
    // `convpool --version [--json]`: more than CLI11's one line (cli/version.cpp).
    if (args.size() >= 2 && std::string_view(args[1]) == "--version" &&
        (args.size() == 2 || (args.size() == 3 && std::string_view(args[2]) == "--json"))) {
        print_stdout(convpool::cli::version_text(args.size() == 3));
        return 0;
    }
    if (args.size() >= 2 && args[1][0] != '-') {
        const auto names = subcommand_names(app);
        const std::string word = args[1];
        if (std::find(names.begin(), names.end(), word) == names.end()) {
            const std::string near = convpool::closest_match(word, names);
            fmt::print(stderr, "convpool: error: unknown subcommand '{}'{}\n",
                       convpool::terminal_text(word),
                       near.empty() ? fmt::format(" (subcommands: {})", join_names(names))
                                    : did_you_mean(near));
            return static_cast<int>(ExitCode::usage);
        }
    }
    try {
        app.parse(static_cast<int>(args.size()), args.data());
    } catch (const CLI::ParseError& e) {
        if (e.get_exit_code() == static_cast<int>(CLI::ExitCodes::Success)) {
            return app.exit(e);  // --help, --version
        }
        fmt::print(stderr, "convpool: error: {}\n",
                   convpool::terminal_text(parse_error_text(app, e)));
        return static_cast<int>(ExitCode::usage);
    }
    return std::nullopt;
}

/// The whole command line: parses it and runs the subcommand. main() adds the last guard.
int run_cli(int argc, char** argv) {
    if (argc == 2 && std::string_view(argv[1]) == convpool::kDecodeChildArgument) {
        return convpool::decode_child_main();
    }
    CLI::App app{"convpool: see and measure what convolution and pooling do to images"};
    app.set_version_flag("--version", std::string("convpool ") + CONVPOOL_VERSION);
    app.require_subcommand(1);
    app.footer(std::string("\n") + convpool::cli::kPipelineHelp +
               "\nExit codes: 0 all good, 1 some inputs failed, 2 usage or pipeline error, "
               "3 no input could be processed, 4 an output could not be written.");
    Shared shared;
    const std::vector<Subcommand> subcommands = add_subcommands(app, shared);
    if (const auto code = generator_mode(app, argc, argv)) {
        return *code;
    }
    if (const auto code = parse(app, std::vector<char*>(argv, argv + argc))) {
        return *code;
    }
    try {
        convpool::configure_library_logging(shared.verbose);
        convpool::set_thread_count(shared.threads);
        convpool::keep_freed_memory();
        for (const Subcommand& sub : subcommands) {
            if (sub.app->parsed()) {
                return sub.run();
            }
        }
        return static_cast<int>(ExitCode::usage);  // CLI11 requires one: not reached
    } catch (const convpool::Error& e) {
        fmt::print(stderr, "convpool: error: {}\n", convpool::terminal_text(e.what()));
        return static_cast<int>(e.code());
    } catch (const std::exception& e) {
        fmt::print(stderr, "convpool: internal error: {}\n", convpool::terminal_text(e.what()));
        return 1;
    }
}

}  // namespace

int main(int argc, char** argv) {
    try {
        convpool::use_conv_plugin();  // loaded when a convolution layer first runs
        const int code = run_cli(argc, argv);
        if (const int err = convpool::stdout_error(); err != 0) {
            // Not a reader that went away (EPIPE, 141): the output is lost.
            fmt::print(stderr, "convpool: error: cannot write to standard output: {}\n",
                       std::strerror(err));
            return 4;
        }
        return code;
    } catch (...) {
        // Setting up the command line, or printing an error, failed (out of memory).
        std::fputs("convpool: internal error\n", stderr);
        return 1;
    }
}
