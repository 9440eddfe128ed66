#include "cli/completion.hpp"

#include "convpool/core/error.hpp"
#include "convpool/core/params.hpp"
#include "convpool/pipeline/registry.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "cli/declarations.hpp"

namespace convpool::cli {
namespace {

bool starts_with(std::string_view text, std::string_view prefix) {
    return text.substr(0, prefix.size()) == prefix;
}

/// "words\n" or "partial\n" and the candidates that start with `cur`.
std::string answer(const char* kind, const std::vector<std::string>& candidates,
                   const std::string& cur) {
    std::string out = std::string(kind) + "\n";
    for (const auto& c : candidates) {
        if (starts_with(c, cur)) {
            out += c + "\n";
        }
    }
    return out;
}

/// The op a stage's text names: `pool:max,k=2` is pool:max, `conv:sobel-x` is conv (its first
/// parameter given bare). Null when none.
const OpInfo* stage_op(const std::string& stage) {
    const std::string head = stage.substr(0, stage.find(','));
    for (const auto* info : all_ops()) {
        if (info->name == head) {
            return info;
        }
    }
    const std::string name = head.substr(0, head.find(':'));
    for (const auto* info : all_ops()) {
        if (info->name == name) {
            return info;
        }
    }
    return nullptr;
}

/// The values a parameter takes that can be listed.
std::vector<std::string> param_values(const ParamSpec& p) {
    if (p.type == ParamType::flag) {
        return {"true", "false"};
    }
    if (p.type == ParamType::pad) {
        return {"same", "valid"};
    }
    return p.choices;
}

/// The candidates inside `-p TEXT`: the text so far (`cur`) with a stage name, a first
/// parameter's value, a parameter key or a parameter's value completed.
std::string complete_pipeline(const std::string& cur) {
    const auto bar = cur.rfind('|');
    std::string before = bar == std::string::npos ? std::string() : cur.substr(0, bar + 1);
    std::string stage = bar == std::string::npos ? cur : cur.substr(bar + 1);
    const auto text_start = stage.find_first_not_of(' ');
    before += stage.substr(0, text_start == std::string::npos ? stage.size() : text_start);
    stage.erase(0, text_start == std::string::npos ? stage.size() : text_start);
    std::vector<std::string> candidates;
    const auto comma = stage.rfind(',');
    if (comma == std::string::npos) {
        // A stage name (pool:max, relu), or the first parameter of a named op (conv:sobel-x).
        for (const auto* info : all_ops()) {
            candidates.push_back(before + info->name);
        }
        const auto colon = stage.find(':');
        if (const OpInfo* op =
                colon == std::string::npos ? nullptr : stage_op(stage.substr(0, colon));
            op != nullptr && op->name == stage.substr(0, colon) && !op->params.empty()) {
            const std::string named = before + op->name + ":";
            for (const auto& v : param_values(op->params.front())) {
                candidates.push_back(named + v);
            }
        }
        return answer("partial", candidates, cur);
    }
    const OpInfo* op = stage_op(stage);
    if (op == nullptr) {
        return answer("partial", candidates, cur);
    }
    const std::string head = before + stage.substr(0, comma + 1);
    const std::string arg = stage.substr(comma + 1);
    const auto eq = arg.find('=');
    for (const auto& p : op->params) {
        if (eq == std::string::npos) {
            candidates.push_back(head + p.name + "=");
            for (const auto& a : p.aliases) {
                candidates.push_back(head + a + "=");
            }
        } else if (const std::string key = arg.substr(0, eq);
                   key == p.name ||
                   std::find(p.aliases.begin(), p.aliases.end(), key) != p.aliases.end()) {
            const std::string keyed = head + key + "=";
            for (const auto& v : param_values(p)) {
                candidates.push_back(keyed + v);
            }
        }
    }
    return answer("partial", candidates, cur);
}

/// The option of `options` that `name` spells, or null.
const OptionDecl* find_option(const std::vector<OptionDecl>& options, const std::string& name) {
    for (const auto& o : options) {
        if (!o.positional && std::find(o.names.begin(), o.names.end(), name) != o.names.end()) {
            return &o;
        }
    }
    return nullptr;
}

/// The candidates for the value of option `o`, `prefix` (`--colormap=`) in front of each.
std::string option_value(const OptionDecl& o, const std::string& prefix, const std::string& cur) {
    if (std::find(o.names.begin(), o.names.end(), "--pipeline") != o.names.end()) {
        std::string out = complete_pipeline(cur.substr(prefix.size()));
        if (!prefix.empty()) {
            std::string with;
            std::size_t start = out.find('\n') + 1;
            with = out.substr(0, start);
            while (start < out.size()) {
                const auto end = out.find('\n', start);
                with += prefix + out.substr(start, end - start + 1);
                start = end + 1;
            }
            return with;
        }
        return out;
    }
    if (o.choices.empty()) {
        return "files\n";
    }
    std::vector<std::string> candidates;
    for (const auto& c : o.choices) {
        candidates.push_back(prefix + c);
    }
    return answer("words", candidates, cur);
}

}  // namespace

std::string complete(const CLI::App& app, std::vector<std::string> words) {
    if (words.empty()) {
        words.emplace_back();
    }
    // Inside an open quote (`-p "pool:m`), the text after the quote.
    std::string cur = words.back();
    if (!cur.empty() && (cur.front() == '"' || cur.front() == '\'')) {
        cur.erase(0, 1);
    }
    const auto subs = subcommands(app);
    std::vector<std::string> sub_names;
    sub_names.reserve(subs.size() + 1);
    for (const CLI::App* s : subs) {
        sub_names.push_back(s->get_name());
    }
    const CLI::App* sub = nullptr;
    for (std::size_t i = 0; i + 1 < words.size() && sub == nullptr; ++i) {
        for (const CLI::App* s : subs) {
            if (s->get_name() == words[i]) {
                sub = s;
            }
        }
        if (words[i] == "help") {
            // `convpool help CMD`: one subcommand name, nothing after it.
            return i + 2 == words.size() ? answer("words", sub_names, cur) : "words\n";
        }
    }
    const CLI::App& where = sub == nullptr ? app : *sub;
    const auto options = option_decls(where);
    if (words.size() >= 2) {
        if (const OptionDecl* o = find_option(options, words[words.size() - 2]);
            o != nullptr && !o->value.empty()) {
            return option_value(*o, "", cur);
        }
    }
    if (starts_with(cur, "--") && cur.find('=') != std::string::npos) {
        const std::string name = cur.substr(0, cur.find('='));
        if (const OptionDecl* o = find_option(options, name); o != nullptr && !o->value.empty()) {
            return option_value(*o, name + "=", cur);
        }
        return "words\n";
    }
    if (starts_with(cur, "-")) {
        std::vector<std::string> names;
        for (const auto& o : options) {
            if (!o.positional) {
                names.insert(names.end(), o.names.begin(), o.names.end());
            }
        }
        return answer("words", names, cur);
    }
    if (sub == nullptr) {
        sub_names.emplace_back("help");
        return answer("words", sub_names, cur);
    }
    if (sub->get_name() == "ops") {
        std::vector<std::string> names;
        for (const auto* info : all_ops()) {
            names.push_back(info->name);
        }
        return answer("words", names, cur);
    }
    return "files\n";
}

std::string completion_script(const std::string& shell) {
    if (shell == "bash") {
        return R"(# bash completion for convpool (generated by `convpool help --completion bash`).
_convpool() {
    local cur prev words cword
    _init_completion -n =: || return
    local IFS=$'\n'
    local -a out
    out=($(convpool help --complete -- "${words[@]:1:cword}" 2>/dev/null))
    local kind=${out[0]}
    out=("${out[@]:1}")
    if [[ $kind == files ]]; then
        _filedir
        return
    fi
    [[ $kind == partial ]] && compopt -o nospace 2>/dev/null
    # Unquoted, bash replaces only the text after the last of COMP_WORDBREAKS (':' '=' ...) in
    # the word; in an open quote, the text after the quote.
    local typed=$cur
    [[ $typed == [\"\']* ]] && typed=${typed:1}
    local keep=""
    if [[ $cur != [\"\']* ]]; then
        local i
        for ((i = ${#typed} - 1; i >= 0; i--)); do
            if [[ $COMP_WORDBREAKS == *"${typed:i:1}"* ]]; then
                keep=${typed:0:i+1}
                break
            fi
        done
    fi
    COMPREPLY=()
    local c
    for c in "${out[@]}"; do
        COMPREPLY+=("${c#"$keep"}")
    done
}
complete -F _convpool convpool
)";
    }
    if (shell == "zsh") {
        return R"(#compdef convpool
# zsh completion for convpool (generated by `convpool help --completion zsh`).
_convpool() {
    local -a out
    out=("${(@f)$(convpool help --complete -- "${(@Q)words[2,CURRENT]}" 2>/dev/null)}")
    local kind=${out[1]}
    out=("${(@)out[2,-1]}")
    case $kind in
        files) _files ;;
        partial) compadd -S '' -- "${out[@]}" ;;
        *) compadd -- "${out[@]}" ;;
    esac
}
if [[ $funcstack[1] == _convpool ]]; then
    _convpool "$@"
else
    compdef _convpool convpool
fi
)";
    }
    if (shell == "fish") {
        return R"(# fish completion for convpool (generated by `convpool help --completion fish`).
function __convpool_complete
    set -l words (commandline -opc)[2..-1] (commandline -ct)
    set -l out (convpool help --complete -- $words 2>/dev/null)
    if test "$out[1]" = files
        __fish_complete_path (commandline -ct)
    else
        printf '%s\n' $out[2..-1]
    end
end
complete -c convpool -f -a '(__convpool_complete)'
)";
    }
    throw UsageError(
        fmt::format("help --completion: unknown shell '{}' (choose from bash, zsh, fish)", shell));
}

}  // namespace convpool::cli
