#include "convpool/core/params.hpp"

#include "convpool/core/error.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>

#include "params_internal.hpp"
namespace convpool {
namespace detail {

std::string_view trim(std::string_view s) {
    const auto first = s.find_first_not_of(" \t\r\n");
    if (first == std::string_view::npos) {
        return {};
    }
    const auto last = s.find_last_not_of(" \t\r\n");
    return s.substr(first, last - first + 1);
}

std::string lower(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

std::string key_name(std::string_view s) {
    std::string out = lower(trim(s));
    std::replace(out.begin(), out.end(), '_', '-');
    return out;
}

}  // namespace detail

using detail::join;
using detail::key_name;
using detail::lower;
using detail::parse_value;
using detail::trim;

std::string range_text(const ParamSpec& spec) {
    const bool has_min = spec.min > std::numeric_limits<double>::lowest();
    const bool has_max = spec.max < std::numeric_limits<double>::max();
    if (has_min && has_max) {
        return fmt::format("from {} to {}", spec.min, spec.max);
    }
    if (has_min) {
        return fmt::format(">= {}", spec.min);
    }
    if (has_max) {
        return fmt::format("<= {}", spec.max);
    }
    return "any value";
}

namespace {

std::size_t edit_distance(std::string_view a, std::string_view b) {
    std::vector<std::size_t> prev(b.size() + 1);
    std::vector<std::size_t> cur(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) {
        prev[j] = j;
    }
    for (std::size_t i = 1; i <= a.size(); ++i) {
        cur[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const std::size_t sub = prev[j - 1] + (a[i - 1] == b[j - 1] ? 0U : 1U);
            cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, sub});
        }
        std::swap(prev, cur);
    }
    return prev[b.size()];
}

const ParamSpec* find_spec(const std::vector<ParamSpec>& specs, std::string_view key) {
    for (const auto& spec : specs) {
        if (spec.name == key ||
            std::find(spec.aliases.begin(), spec.aliases.end(), key) != spec.aliases.end()) {
            return &spec;
        }
    }
    return nullptr;
}

}  // namespace

std::string closest_match(std::string_view word, const std::vector<std::string>& candidates) {
    std::string best;
    std::size_t best_d = std::numeric_limits<std::size_t>::max();
    // Case is ignored: `ReLU` is `relu`, `TF` is `tf`.
    const std::string key = lower(word);
    for (const auto& c : candidates) {
        const std::size_t d = edit_distance(key, lower(c));
        if (d < best_d) {
            best_d = d;
            best = c;
        }
    }
    // Close means at most a third of the word wrong (at least one edit allowed).
    const std::size_t limit = std::max<std::size_t>(1, (word.size() + 2) / 3);
    return best_d <= limit ? best : std::string();
}

std::string type_name(const ParamSpec& spec) {
    switch (spec.type) {
        case ParamType::integer:
            return "integer";
        case ParamType::number:
            return spec.per_channel ? "number|[a b ...]|@FILE" : "number";
        case ParamType::flag:
            return "flag";
        case ParamType::size:
            return "N|HxW";
        case ParamType::pad:
            return "N|HxW|same|valid";
        case ParamType::choice:
            return join(spec.choices, "|");
        case ParamType::array:
            return "[a b; c d]|@FILE";
        case ParamType::list:
            return join(spec.choices, "|") + ",...";
        case ParamType::numbers:
            return "R|RHxRW";
        case ParamType::values:
            return "[a b ...]|@FILE";
        case ParamType::weights:
            return "@FILE";
        case ParamType::text:
            return "NAME";
        case ParamType::model:
            return "FILE.onnx";
    }
    return "value";
}

std::string format_value(const Params::Value& value) {
    struct Visitor {
        std::string operator()(long long v) const { return fmt::format("{}", v); }
        // Shortest text that parses back to the same value, so describe() round-trips.
        std::string operator()(double v) const { return fmt::format("{}", v); }
        std::string operator()(bool v) const { return v ? "true" : "false"; }
        std::string operator()(const Size2& s) const {
            return s.h == s.w ? fmt::format("{}", s.h) : fmt::format("{}x{}", s.h, s.w);
        }
        std::string operator()(const Pad& p) const {
            if (p.mode == Pad::Mode::same) {
                return "same";
            }
            if (p.mode == Pad::Mode::same_lower) {
                return "same-lower";
            }
            if (p.mode == Pad::Mode::valid) {
                return "valid";
            }
            if (p.asymmetric) {
                return fmt::format("[{} {} {} {}]", p.cells.h, p.cells.w, p.end.h, p.end.w);
            }
            return (*this)(p.cells);
        }
        std::string operator()(const std::string& s) const { return s; }
        std::string operator()(const Matrix& m) const {
            if (!m.source.empty()) {
                return m.source;
            }
            std::string out = "[";
            for (int r = 0; r < m.rows; ++r) {
                if (r != 0) {
                    out += "; ";
                }
                for (int c = 0; c < m.cols; ++c) {
                    out += fmt::format(
                        "{}{}", c != 0 ? " " : "",
                        m.values[static_cast<std::size_t>(r) * static_cast<std::size_t>(m.cols) +
                                 static_cast<std::size_t>(c)]);
                }
            }
            return out + "]";
        }
        std::string operator()(const std::vector<std::string>& v) const { return join(v, "+"); }
        std::string operator()(const Real2& r) const {
            return r.h == r.w ? fmt::format("{}", r.h) : fmt::format("{}x{}", r.h, r.w);
        }
        std::string operator()(const NumberList& l) const {
            if (!l.source.empty()) {
                return l.source;
            }
            std::string out = "[";
            for (std::size_t i = 0; i < l.values.size(); ++i) {
                out += fmt::format("{}{}", i == 0 ? "" : " ", l.values[i]);
            }
            return out + "]";
        }
        std::string operator()(const WeightsArray& a) const { return a.source; }
        std::string operator()(const ModelFile& m) const { return m.source; }
    };
    return std::visit(Visitor{}, value);
}

namespace {

/// One entry of a list parameter, `CHOICE` or `CHOICE(ARGS)`: its canonical text and its own
/// arguments (a Params whose op() is the choice).
/// The arguments of one list entry, errors prefixed with `what` (`bank: filters: ...`).
// NOLINTNEXTLINE(misc-no-recursion): see Params::Params
Params entry_arguments(const std::string& name, const std::vector<ParamSpec>& specs,
                       const std::vector<Arg>& args, const ParseContext& context,
                       std::string_view what) {
    try {
        return {name, specs, args, context};
    } catch (const UsageError& e) {
        throw UsageError(fmt::format("{}: {}", what, e.what()));
    }
}

// NOLINTNEXTLINE(misc-no-recursion): see Params::Params
std::pair<std::string, Params> parse_entry(const ParamSpec& spec, std::string_view text,
                                           std::string_view what, const ParseContext& context) {
    const std::string_view t = trim(text);
    const auto paren = t.find('(');
    const std::string_view name_text = trim(t.substr(0, paren));
    const std::string name = lower(name_text);
    if (std::find(spec.choices.begin(), spec.choices.end(), name) == spec.choices.end()) {
        const std::string near = closest_match(name, spec.choices);
        throw UsageError(fmt::format("{}: unknown value '{}'{} (choose from {})", what, name_text,
                                     near.empty() ? "" : fmt::format(" (did you mean '{}'?)", near),
                                     join(spec.choices, ", ")));
    }
    const std::vector<ParamSpec> entry_specs =
        spec.entry_params == nullptr ? std::vector<ParamSpec>{} : spec.entry_params(name);
    std::vector<Arg> args;
    if (paren != std::string_view::npos) {
        if (t.back() != ')') {
            throw UsageError(fmt::format("{}: text after ')' in '{}'", what, t));
        }
        if (entry_specs.empty()) {
            throw UsageError(
                fmt::format("{}: '{}' takes no arguments in parentheses, got '{}'", what, name, t));
        }
        const std::string inner_what = fmt::format("{}: {}", what, name);
        args = split_args(t.substr(paren + 1, t.size() - paren - 2), inner_what);
    }
    Params entry = entry_arguments(name, entry_specs, args, context, what);
    std::string canonical = name;
    if (!args.empty()) {
        std::string inner = entry.describe();
        const std::string first = entry_specs.front().name + "=";
        if (args.size() == 1 && entry_specs.front().type == ParamType::array &&
            entry.given(entry_specs.front().name)) {
            inner = inner.substr(first.size());  // kernel([1 0 -1]): the array, written bare
        }
        canonical += "(" + inner + ")";
    }
    return {std::move(canonical), std::move(entry)};
}

}  // namespace

// A list entry's own arguments are a Params; entries take no lists (entry_params declare none),
// so the depth is at most two.
// NOLINTNEXTLINE(misc-no-recursion): see above
Params::Params(std::string op, const std::vector<ParamSpec>& specs, const std::vector<Arg>& args,
               const ParseContext& context)
    : m_op(std::move(op)), m_specs(specs) {
    std::vector<std::string> names;
    names.reserve(specs.size());
    for (const auto& spec : specs) {
        names.push_back(spec.name);
    }
    bool last_was_bare_list = false;
    for (const auto& arg : args) {
        const ParamSpec* spec = nullptr;
        std::string_view value = arg.value;
        if (arg.key.empty()) {
            const ParamSpec* named = find_spec(specs, key_name(arg.value));
            if (named != nullptr && named->type == ParamType::flag) {
                spec = named;
                value = "true";
            } else if (!specs.empty() &&
                       (!given(specs.front().name) ||
                        (specs.front().type == ParamType::list && last_was_bare_list))) {
                spec = &specs.front();
            } else {
                throw UsageError(fmt::format(
                    "{}: unexpected value '{}' (write key=value; keys: {})", m_op, arg.value,
                    names.empty() ? std::string("none") : join(names, ", ")));
            }
        } else {
            spec = find_spec(specs, key_name(arg.key));
            if (spec == nullptr) {
                std::vector<std::string> spellings = names;
                for (const auto& s : specs) {
                    spellings.insert(spellings.end(), s.aliases.begin(), s.aliases.end());
                }
                const std::string near = closest_match(key_name(arg.key), spellings);
                throw UsageError(
                    fmt::format("{}: unknown parameter '{}'{} (valid: {})", m_op, arg.key,
                                near.empty() ? "" : fmt::format(" (did you mean '{}'?)", near),
                                names.empty() ? std::string("none") : join(names, ", ")));
            }
            if (trim(arg.value).empty()) {
                throw UsageError(fmt::format("{}: {}: empty value", m_op, spec->name));
            }
        }
        const std::string what = fmt::format("{}: {}", m_op, spec->name);
        const bool continues_list = spec->type == ParamType::list && arg.key.empty() &&
                                    last_was_bare_list && given(spec->name);
        if (!continues_list && given(spec->name)) {
            throw UsageError(fmt::format("{}: {} is given twice", m_op, spec->name));
        }
        if (spec->type == ParamType::list) {
            add_entry(*spec, value, continues_list, context);
        } else {
            m_values[spec->name] = parse_value(*spec, value, what, context);
            m_given.push_back(spec->name);
        }
        last_was_bare_list = spec->type == ParamType::list && arg.key.empty();
    }
    fill_defaults(context);
}

// NOLINTNEXTLINE(misc-no-recursion): see Params::Params
void Params::fill_defaults(const ParseContext& context) {
    for (const auto& spec : m_specs) {
        if (!given(spec.name) && !spec.default_value.empty()) {
            const std::string what = fmt::format("{}: {}", m_op, spec.name);
            if (spec.type == ParamType::list) {
                bool more = false;
                for (const auto& item : split_top_level(spec.default_value, ",", what)) {
                    add_entry(spec, item, more, context);
                    more = true;
                }
                m_given.pop_back();  // a default, not given
            } else {
                const bool other =
                    !spec.default_when_given.empty() && given(spec.default_when_given);
                m_values[spec.name] =
                    parse_value(spec, other ? spec.default_when_given_value : spec.default_value,
                                what, context);
            }
        }
    }
    for (const auto& spec : m_specs) {
        if (!given(spec.name) && !spec.default_from.empty() && has(spec.default_from)) {
            m_values[spec.name] = m_values.at(spec.default_from);
        }
    }
}

// NOLINTNEXTLINE(misc-no-recursion): see Params::Params
void Params::add_entry(const ParamSpec& spec, std::string_view text, bool more,
                       const ParseContext& context) {
    auto [entry_text, entry] =
        parse_entry(spec, text, fmt::format("{}: {}", m_op, spec.name), context);
    if (!more) {
        m_values[spec.name] = std::vector<std::string>{};
        m_entries[spec.name].clear();
        m_given.push_back(spec.name);
    }
    std::get<std::vector<std::string>>(m_values[spec.name]).push_back(std::move(entry_text));
    m_entries[spec.name].push_back(std::move(entry));
}

bool Params::given(std::string_view name) const {
    return std::find(m_given.begin(), m_given.end(), name) != m_given.end();
}

bool Params::has(std::string_view name) const { return m_values.find(name) != m_values.end(); }

const Params::Value& Params::value(std::string_view name) const {
    const auto it = m_values.find(name);
    if (it == m_values.end()) {
        throw UsageError(fmt::format("{}: {} is required", m_op, name));
    }
    return it->second;
}

int Params::integer(std::string_view name) const {
    return static_cast<int>(std::get<long long>(value(name)));
}
double Params::number(std::string_view name) const { return std::get<double>(value(name)); }
bool Params::flag(std::string_view name) const { return std::get<bool>(value(name)); }
Size2 Params::size(std::string_view name) const { return std::get<Size2>(value(name)); }
Pad Params::pad(std::string_view name) const { return std::get<Pad>(value(name)); }
const ParamSpec& Params::spec(std::string_view name) const {
    const ParamSpec* spec = find_spec(m_specs, name);
    if (spec == nullptr) {
        throw std::logic_error(fmt::format("{}: no parameter '{}'", m_op, name));
    }
    return *spec;
}
const std::string& Params::text(std::string_view name) const {
    return std::get<std::string>(value(name));
}
const Matrix& Params::matrix(std::string_view name) const { return std::get<Matrix>(value(name)); }
const std::vector<std::string>& Params::list(std::string_view name) const {
    return std::get<std::vector<std::string>>(value(name));
}

const std::vector<Params>& Params::entries(std::string_view name) const {
    (void)value(name);  // throws "is required" as list() does
    return m_entries.find(name)->second;
}

Real2 Params::numbers(std::string_view name) const { return std::get<Real2>(value(name)); }

const NumberList& Params::values(std::string_view name) const {
    return std::get<NumberList>(value(name));
}

NumberList Params::per_channel(std::string_view name) const {
    const Value& v = value(name);
    if (const auto* number = std::get_if<double>(&v)) {
        return NumberList{{*number}, {}};
    }
    return std::get<NumberList>(v);
}

const WeightsArray& Params::weights(std::string_view name) const {
    return std::get<WeightsArray>(value(name));
}

const ModelFile& Params::model(std::string_view name) const {
    return std::get<ModelFile>(value(name));
}

std::string Params::describe(bool bare_first) const {
    std::vector<std::string> parts;
    for (const auto& spec : m_specs) {
        const auto it = m_values.find(spec.name);
        if (it == m_values.end()) {
            continue;
        }
        const bool bare = bare_first && &spec == &m_specs.front() &&
                          (spec.type == ParamType::choice || spec.type == ParamType::list ||
                           spec.type == ParamType::model);
        if (bare && spec.type == ParamType::list) {
            parts.push_back(join(std::get<std::vector<std::string>>(it->second), ","));
            continue;
        }
        const std::string text = format_value(it->second);
        if (bare) {
            parts.push_back(text);
        } else if (!(spec.omit_default && text == spec.default_value)) {
            parts.push_back(fmt::format("{}={}", spec.name, text));
        }
    }
    return join(parts, ",");
}

}  // namespace convpool
