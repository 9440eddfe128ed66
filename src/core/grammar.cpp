#include "convpool/core/error.hpp"
#include "convpool/core/params.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>

#include "params_internal.hpp"
/// \file grammar.cpp
/// The pipeline grammar's splitting: arguments at top level (outside brackets, parentheses and
/// `@"..."`), `key=value` pairs, and `@FILE.npy` / `@FILE.npz:KEY` references.

namespace convpool {

using detail::trim;

namespace {

/// Characters that end an unquoted `@PATH` (or make it ambiguous): it is written `@"..."`.
constexpr std::string_view kPathSpecials = ",|:()[]\"#;= \t\r\n";

}  // namespace

std::vector<std::string> split_top_level(std::string_view text, std::string_view seps,
                                         std::string_view context) {
    std::vector<std::string> parts;
    std::string open;  // the brackets not closed yet, innermost last
    std::string cur;
    bool quoted = false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (quoted) {
            cur += c;
            if (c == '\\' && i + 1 < text.size()) {
                cur += text[++i];
            } else if (c == '"') {
                quoted = false;
            }
            continue;
        }
        if (c == '"' && i > 0 && text[i - 1] == '@') {
            quoted = true;
        } else if (c == '[' || c == '(') {
            open += c;
        } else if (c == ']' || c == ')') {
            const char opener = c == ']' ? '[' : '(';
            if (open.empty() || open.back() != opener) {
                throw UsageError(fmt::format("{}: '{}' without '{}'", context, c, opener));
            }
            open.pop_back();
        } else if (open.empty() && seps.find(c) != std::string_view::npos) {
            parts.push_back(std::move(cur));
            cur.clear();
            continue;
        }
        cur += c;
    }
    if (quoted) {
        throw UsageError(fmt::format("{}: '@\"' without a closing '\"'", context));
    }
    if (!open.empty()) {
        throw UsageError(fmt::format("{}: '{}' without '{}'", context, open.back(),
                                     open.back() == '[' ? ']' : ')'));
    }
    parts.push_back(std::move(cur));
    return parts;
}

std::vector<Arg> split_args(std::string_view text, std::string_view context) {
    std::vector<Arg> args;
    for (const auto& raw : split_top_level(text, ",", context)) {
        const std::string_view arg = trim(raw);
        if (arg.empty()) {
            throw UsageError(fmt::format("{}: empty argument", context));
        }
        const auto eq = arg.find('=');
        const auto group = arg.find_first_of("[(@");
        if (eq != std::string_view::npos && (group == std::string_view::npos || eq < group)) {
            const std::string_view key = trim(arg.substr(0, eq));
            if (key.empty()) {
                throw UsageError(fmt::format("{}: missing key before '=' in '{}'", context, arg));
            }
            args.push_back({std::string(key), std::string(trim(arg.substr(eq + 1)))});
        } else {
            args.push_back({"", std::string(arg)});
        }
    }
    return args;
}

WeightsRef parse_weights_ref(std::string_view text, std::string_view what) {
    const std::string_view t = trim(text);
    const auto bad = [&](std::string_view why) {
        return UsageError(
            fmt::format("{}: {} in '{}' (write @FILE.npy, @FILE.npz:KEY, or "
                        "@\"PATH\" for a path with ,|:()[] or spaces)",
                        what, why, text));
    };
    if (t.empty() || t.front() != '@') {
        throw bad("expected '@' before a weights file");
    }
    WeightsRef ref;
    std::size_t pos = 1;
    if (pos < t.size() && t[pos] == '"') {
        ++pos;
        bool closed = false;
        while (pos < t.size()) {
            const char c = t[pos++];
            if (c == '"') {
                closed = true;
                break;
            }
            if (c == '\\' && pos < t.size()) {
                ref.path += t[pos++];
            } else {
                ref.path += c;
            }
        }
        if (!closed) {
            throw bad("a quoted path without its closing '\"'");
        }
    } else {
        const auto end = std::min(t.find(':', pos), t.size());
        ref.path = std::string(t.substr(pos, end - pos));
        pos = end;
        if (ref.path.find_first_of(kPathSpecials) != std::string::npos) {
            throw bad("a path with special characters not quoted");
        }
    }
    if (ref.path.empty()) {
        throw bad("an empty path");
    }
    if (ref.path.find('\0') != std::string::npos) {
        throw bad("a NUL byte in the path");
    }
    if (pos < t.size()) {
        if (t[pos] != ':') {
            throw bad("text after the quoted path");
        }
        ref.key = std::string(t.substr(pos + 1));
        if (ref.key.empty()) {
            throw bad("an empty key after ':'");
        }
        if (ref.key.find_first_of(kPathSpecials) != std::string::npos) {
            throw bad(fmt::format("a key with special characters"));
        }
    }
    return ref;
}

std::string weights_ref_text(const WeightsRef& ref) {
    std::string out = "@";
    if (ref.path.find_first_of(kPathSpecials) == std::string::npos &&
        ref.path.find('\\') == std::string::npos && !ref.path.empty()) {
        out += ref.path;
    } else {
        out += '"';
        for (const char c : ref.path) {
            if (c == '"' || c == '\\') {
                out += '\\';
            }
            out += c;
        }
        out += '"';
    }
    return ref.key.empty() ? out : out + ":" + ref.key;
}

}  // namespace convpool
