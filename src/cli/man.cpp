#include "cli/man.hpp"

#include "convpool/core/error.hpp"
#include "convpool/core/params.hpp"
#include "convpool/pipeline/registry.hpp"

#include <fmt/format.h>

#include <cctype>
#include <filesystem>
#include <fstream>

#include "cli/declarations.hpp"

namespace convpool::cli {
namespace {

/// `text` as roff: backslashes and hyphens escaped (a `-` in an option is `\-`, which man
/// renders as a copyable ASCII minus), a `.` or `'` that would start a line made plain.
std::string roff(std::string_view text) {
    std::string out;
    for (const char c : text) {
        if (c == '\\') {
            out += "\\e";
        } else if (c == '-') {
            out += "\\-";
        } else if ((c == '.' || c == '\'') && (out.empty() || out.back() == '\n')) {
            out += "\\&";
            out += c;
        } else {
            out += c;
        }
    }
    return out;
}

/// `text` with its first letter in lower case, for NAME lines ("convpool-run - run a ...").
std::string lower_first(std::string text) {
    if (text.size() > 1 && std::islower(static_cast<unsigned char>(text[1])) != 0) {
        text[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(text[0])));
    }
    return text;
}

/// The .TH line, dated with the release (CONVPOOL_RELEASE_DATE, beside the version in
/// CMakeLists.txt), not the build, so that the pages are the same at every build.
std::string title(const std::string& name, int section, const std::string& manual) {
    std::string upper;
    for (const char c : name) {
        upper += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
    return fmt::format(".TH {} {} {} \"convpool {}\" \"{}\"\n", roff(upper), section,
                       CONVPOOL_RELEASE_DATE, CONVPOOL_VERSION, manual);
}

/// `page` with every text line longer than 79 bytes broken at spaces (man pages are read and
/// diffed as source too; `mandoc -Tlint` asks for it). A piece that would start with `.` or `'`
/// is made plain text.
std::string wrap_lines(const std::string& page) {
    constexpr std::size_t kWidth = 79;
    std::string out;
    std::size_t start = 0;
    while (start < page.size()) {
        const std::size_t end = page.find('\n', start);
        std::string line = page.substr(start, end - start);
        start = end == std::string::npos ? page.size() : end + 1;
        while (line.size() > kWidth && line.front() != '.') {
            const std::size_t cut = line.rfind(' ', kWidth);
            if (cut == std::string::npos || cut == 0) {
                break;
            }
            out += line.substr(0, cut) + "\n";
            line.erase(0, cut + 1);
            if (!line.empty() && (line.front() == '.' || line.front() == '\'')) {
                line.insert(0, "\\&");
            }
        }
        out += line + "\n";
    }
    return out;
}

/// The footer of a subcommand as sections: "Pipeline: ..." becomes PIPELINES (its lines kept,
/// they are a grammar), "Example..." EXAMPLES (the same way), "Exit codes: ..." EXIT STATUS.
std::string footer_sections(const std::string& footer) {
    std::string out;
    std::size_t start = 0;
    while (start < footer.size()) {
        std::size_t end = footer.find("\n\n", start);
        end = end == std::string::npos ? footer.size() : end;
        std::string para = footer.substr(start, end - start);
        start = end + 2;
        while (!para.empty() && para.front() == '\n') {
            para.erase(0, 1);
        }
        while (!para.empty() && para.back() == '\n') {
            para.pop_back();
        }
        if (para.empty()) {
            continue;
        }
        // "Pipeline: ..." lines, then possibly "Exit codes: ..." after one newline.
        const auto exit_at = para.find("Exit codes: ");
        std::string pipeline = para.substr(0, exit_at);
        while (!pipeline.empty() && pipeline.back() == '\n') {
            pipeline.pop_back();
        }
        if (!pipeline.empty()) {
            // The first line, then the grammar indented, one line each, as --help shows it.
            out += pipeline.starts_with("Example") ? ".SH EXAMPLES\n" : ".SH PIPELINES\n";
            std::size_t line_start = 0;
            bool first = true;
            while (line_start < pipeline.size()) {
                std::size_t line_end = pipeline.find('\n', line_start);
                line_end = line_end == std::string::npos ? pipeline.size() : line_end;
                std::string line = pipeline.substr(line_start, line_end - line_start);
                line_start = line_end + 1;
                line.erase(0, line.find_first_not_of(' '));
                out += roff(line) + (first ? "\n.RS 2\n" : "\n.br\n");
                first = false;
            }
            out += ".RE\n";
        }
        if (exit_at != std::string::npos) {
            out += ".SH \"EXIT STATUS\"\n" +
                   roff(para.substr(exit_at + std::string_view("Exit codes: ").size())) + "\n";
        }
    }
    return out;
}

std::string options_section(const std::vector<OptionDecl>& options) {
    std::string out;
    for (const auto& o : options) {
        out += ".TP\n";
        if (o.positional) {
            out += fmt::format("\\fI{}\\fR{}\n", roff(o.names.front()), o.many ? "\\ ..." : "");
        } else {
            std::string names;
            for (const auto& n : o.names) {
                names += (names.empty() ? "" : ", ") + fmt::format("\\fB{}\\fR", roff(n));
            }
            out +=
                names + (o.value.empty() ? "" : fmt::format(" \\fI{}\\fR", roff(o.value))) + "\n";
        }
        out += roff(o.description) + ".\n";
        if (!o.choices.empty()) {
            std::string list;
            for (const auto& c : o.choices) {
                list += (list.empty() ? "" : ", ") + fmt::format("\\fB{}\\fR", roff(c));
            }
            out += "One of " + list + ".\n";
        }
        if (!o.limits.empty()) {
            // CLI::Range's "INT in [0 - 4096]".
            const auto open = o.limits.find(" in [");
            const auto dash = o.limits.find(" - ");
            out += open != std::string::npos && dash != std::string::npos && o.limits.back() == ']'
                       ? fmt::format("From {} to {}.\n",
                                     roff(o.limits.substr(open + 5, dash - open - 5)),
                                     roff(o.limits.substr(dash + 3, o.limits.size() - dash - 4)))
                       : roff(o.limits) + ".\n";
        }
        if (o.required) {
            out += "Required.\n";
        }
        if (!o.default_value.empty()) {
            out += fmt::format("Default: \\fB{}\\fR.\n", roff(o.default_value));
        }
    }
    return out;
}

std::string see_also(const CLI::App& app, const std::string& self) {
    std::vector<std::string> refs;
    if (self != "convpool") {
        refs.emplace_back(".BR convpool (1)");
    }
    for (const CLI::App* sub : subcommands(app)) {
        if ("convpool-" + sub->get_name() != self) {
            refs.push_back(fmt::format(".BR convpool\\-{} (1)", roff(sub->get_name())));
        }
    }
    refs.emplace_back(".BR convpool\\-ops (7)");
    std::string out = ".SH \"SEE ALSO\"\n";
    for (std::size_t i = 0; i < refs.size(); ++i) {
        out += refs[i] + (i + 1 < refs.size() ? " ,\n" : "\n");
    }
    return out;
}

std::string main_page(const CLI::App& app) {
    std::string out = title("convpool", 1, "User Commands");
    out += ".SH NAME\nconvpool \\- " +
           roff(lower_first(app.get_description().substr(app.get_description().find(": ") + 2))) +
           "\n";
    out +=
        ".SH SYNOPSIS\n.B convpool\n\\fISUBCOMMAND\\fR [\\fIOPTIONS\\fR]\n.br\n"
        ".B convpool help\n[\\fISUBCOMMAND\\fR]\n.br\n.B convpool \\-\\-version\n"
        "[\\fB\\-\\-json\\fR]\n";
    out += ".SH DESCRIPTION\n" + roff(app.get_description()) + ".\n";
    out += ".SH COMMANDS\n";
    for (const CLI::App* sub : subcommands(app)) {
        out += fmt::format(".TP\n.BR convpool\\-{} (1)\n{}.\n", roff(sub->get_name()),
                           roff(sub->get_description()));
    }
    out += ".SH OPTIONS\n" + options_section(option_decls(app));
    out += footer_sections(app.get_footer());
    return out + see_also(app, "convpool");
}

std::string sub_page(const CLI::App& app, const CLI::App& sub) {
    const std::string name = "convpool-" + sub.get_name();
    const auto options = option_decls(sub);
    std::string out = title(name, 1, "User Commands");
    out +=
        fmt::format(".SH NAME\n{} \\- {}\n", roff(name), roff(lower_first(sub.get_description())));
    out += fmt::format(".SH SYNOPSIS\n.B convpool {}\n[\\fIOPTIONS\\fR]", roff(sub.get_name()));
    for (const auto& o : options) {
        if (o.positional) {
            const std::string text =
                fmt::format("\\fI{}\\fR{}", roff(o.names.front()), o.many ? "\\ ..." : "");
            out += o.required ? " " + text : " [" + text + "]";
        }
    }
    out += "\n.SH DESCRIPTION\n" + roff(sub.get_description()) + ".\n";
    out += ".SH OPTIONS\n" + options_section(options);
    out += footer_sections(sub.get_footer());
    return out + see_also(app, name);
}

/// The type, default and allowed values of one stage parameter, as `convpool ops NAME` says.
std::string param_item(const ParamSpec& p) {
    std::string names = fmt::format("\\fB{}\\fR", roff(p.name));
    for (const auto& a : p.aliases) {
        names += fmt::format(", \\fB{}\\fR", roff(a));
    }
    std::string type = type_name(p);
    std::string allowed;
    if (p.type == ParamType::choice || p.type == ParamType::list) {
        type = p.type == ParamType::choice ? "choice" : "one or more";
        for (const auto& c : p.choices) {
            allowed += (allowed.empty() ? "" : ", ") + fmt::format("\\fB{}\\fR", roff(c));
        }
    } else if (p.type == ParamType::flag) {
        allowed = R"(\fBtrue\fR, \fBfalse\fR)";
    } else if (p.type == ParamType::array) {
        allowed = "finite numbers";
    } else {
        allowed = roff(range_text(p)) + (p.allow_infinity ? ", or \\fBinf\\fR" : "");
    }
    // range_text() writes code in backticks, as for Markdown.
    std::string plain;
    for (const char c : allowed) {
        if (c != '`') {
            plain += c;
        }
    }
    const std::string def =
        !p.default_value.empty()  ? fmt::format("\\fB{}\\fR", roff(p.default_value))
        : !p.default_from.empty() ? fmt::format("as \\fB{}\\fR", roff(p.default_from))
                                  : std::string("none");
    return fmt::format(".TP\n{}=\\fI{}\\fR\n{}.\nAllowed: {}; default: {}.\n", names, roff(type),
                       roff(p.help), plain, def);
}

std::string ops_page() {
    std::string out = title("convpool-ops", 7, "Miscellaneous Information Manual");
    out += ".SH NAME\nconvpool\\-ops \\- the stages of convpool pipelines and their parameters\n";
    out +=
        ".SH DESCRIPTION\n"
        "A pipeline (\\fB\\-p\\fR) is stages separated by \\fB|\\fR, run left to right. "
        "A stage is \\fINAME\\fR[\\fB:\\fR\\fIarg\\fR,\\fIarg\\fR,...], each \\fIarg\\fR "
        "either \\fIkey\\fB=\\fIvalue\\fR or a bare value, which sets the stage's first "
        "parameter (listed first below).\n"
        "Sizes are \\fIN\\fR or \\fIH\\fBx\\fIW\\fR, height first.\n"
        "The same list is printed by \\fBconvpool ops\\fR, one stage in full by "
        "\\fBconvpool ops\\fR \\fINAME\\fR.\n";
    out += ".SH STAGES\n";
    for (const auto* info : all_ops()) {
        out += fmt::format(".SS {}\n{}.\n", roff(info->name), roff(info->summary));
        if (!info->details.empty()) {
            out += ".PP\n" + roff(info->details) + "\n";
        }
        if (info->params.empty()) {
            out += ".PP\nNo parameters.\n";
        }
        for (const auto& p : info->params) {
            out += param_item(p);
        }
    }
    out += ".SH \"SEE ALSO\"\n.BR convpool (1)\n";
    return out;
}

}  // namespace

std::vector<std::pair<std::string, std::string>> man_pages(const CLI::App& app) {
    std::vector<std::pair<std::string, std::string>> pages;
    pages.emplace_back("convpool.1", wrap_lines(main_page(app)));
    for (const CLI::App* sub : subcommands(app)) {
        pages.emplace_back(fmt::format("convpool-{}.1", sub->get_name()),
                           wrap_lines(sub_page(app, *sub)));
    }
    pages.emplace_back("convpool-ops.7", wrap_lines(ops_page()));
    return pages;
}

void write_man_pages(const CLI::App& app, const std::string& dir) {
    for (const auto& [name, text] : man_pages(app)) {
        const auto path = std::filesystem::path(dir) / name;
        std::ofstream file(path, std::ios::binary);
        file << text;
        file.close();
        if (!file) {
            throw OutputError(fmt::format("{}: cannot write", path.string()));
        }
    }
}

}  // namespace convpool::cli
