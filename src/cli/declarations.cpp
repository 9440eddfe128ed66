#include "cli/declarations.hpp"

namespace convpool::cli {
namespace {

/// "a,b,c" split at commas.
std::vector<std::string> split_commas(const std::string& text) {
    std::vector<std::string> out;
    std::string cur;
    for (const char c : text + ",") {
        if (c == ',') {
            out.push_back(cur);
            cur.clear();
        } else {
            cur += c;
        }
    }
    return out;
}

OptionDecl decl(const CLI::Option& opt) {
    OptionDecl d;
    d.positional = opt.get_positional() && opt.get_lnames().empty() && opt.get_snames().empty();
    if (d.positional) {
        d.names.push_back(opt.get_name(true, false));
    }
    for (const auto& n : opt.get_snames()) {
        d.names.push_back("-" + n);
    }
    for (const auto& n : opt.get_lnames()) {
        d.names.push_back("--" + n);
    }
    d.description = opt.get_description();
    d.required = opt.get_required();
    d.many = opt.get_expected_max() >= CLI::detail::expected_max_vector_size;
    if (opt.get_type_size() == 0) {
        return d;  // a flag
    }
    d.default_value = opt.get_default_str();
    // "TEXT:{a,b,c}" (one_of) or "INT:INT in [0 - 4096]" (CLI::Range): the type, then the
    // description of each check.
    const std::string type = opt.get_type_name();
    const auto colon = type.find(':');
    d.value = type.substr(0, colon);
    if (colon != std::string::npos) {
        const std::string check = type.substr(colon + 1);
        if (check.size() >= 2 && check.front() == '{' && check.back() == '}') {
            d.choices = split_commas(check.substr(1, check.size() - 2));
        } else {
            d.limits = check;
        }
    }
    return d;
}

}  // namespace

std::vector<OptionDecl> option_decls(const CLI::App& app) {
    std::vector<OptionDecl> positionals;
    std::vector<OptionDecl> options;
    for (const CLI::Option* opt : app.get_options()) {
        OptionDecl d = decl(*opt);
        (d.positional ? positionals : options).push_back(std::move(d));
    }
    positionals.insert(positionals.end(), options.begin(), options.end());
    return positionals;
}

std::vector<const CLI::App*> subcommands(const CLI::App& app) {
    std::vector<const CLI::App*> out;
    for (const CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; })) {
        out.push_back(sub);
    }
    return out;
}

}  // namespace convpool::cli
