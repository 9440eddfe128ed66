#include "convpool/core/params.hpp"

#include "convpool/core/error.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>

namespace convpool {
namespace {

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

/// A key as written, for lookup: lower case, `_` as `-` (torch's `ceil_mode` is `ceil-mode`).
std::string key_name(std::string_view s) {
    std::string out = lower(trim(s));
    std::replace(out.begin(), out.end(), '_', '-');
    return out;
}

}  // namespace

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

std::string join(const std::vector<std::string>& items, std::string_view sep) {
    std::string out;
    for (std::size_t i = 0; i < items.size(); ++i) {
        if (i != 0) {
            out += sep;
        }
        out += items[i];
    }
    return out;
}

long long parse_integer(std::string_view text, std::string_view what) {
    const std::string_view t = trim(text);
    long long value = 0;
    const char* begin = t.data();
    const char* end = t.data() + t.size();
    if (!t.empty() && *begin == '+') {
        ++begin;
    }
    const auto [ptr, ec] = std::from_chars(begin, end, value);
    if (t.empty() || ec == std::errc::result_out_of_range) {
        throw UsageError(fmt::format("{}: expected a whole number, got '{}'", what, text));
    }
    if (ec != std::errc() || ptr != end) {
        throw UsageError(fmt::format("{}: expected a whole number, got '{}'", what, text));
    }
    return value;
}

void check_range(double v, const ParamSpec& spec, std::string_view what, std::string_view text) {
    if (v < spec.min || v > spec.max) {
        throw UsageError(fmt::format("{}: {} is out of range ({})", what, text, range_text(spec)));
    }
}

constexpr int kMaxMatrixExtent = 63;

/// numpy's nested rows `[[1, 0], [2, 0]]` as `[1, 0; 2, 0]`; other text as it is.
std::string numpy_rows(std::string_view t) {
    if (t.size() < 4 || t.substr(0, 2) != "[[" || t.substr(t.size() - 2) != "]]") {
        return std::string(t);
    }
    std::string out = "[";
    const std::string_view inner = t.substr(1, t.size() - 2);
    int depth = 0;
    for (const char c : inner) {
        if (c == '[' || c == ']') {
            depth += c == '[' ? 1 : -1;
            if (depth > 1) {
                return std::string(t);  // not rows of numbers: refused as it is
            }
            continue;
        }
        // A ',' between rows separates rows.
        out += depth == 0 && c == ',' ? ';' : c;
    }
    return out + "]";
}

Matrix parse_matrix(std::string_view text, std::string_view what) {
    const std::string rows = numpy_rows(trim(text));
    std::string_view t = rows;
    if (t.size() < 2 || t.front() != '[' || t.back() != ']' ||
        t.substr(1, t.size() - 2).find_first_of("[]") != std::string_view::npos) {
        throw UsageError(
            fmt::format("{}: expected a matrix like [1 0 -1; 2 0 -2; 1 0 -1] or "
                        "[[1, 0, -1], [2, 0, -2]], got '{}'",
                        what, text));
    }
    t = t.substr(1, t.size() - 2);
    Matrix m;
    std::size_t start = 0;
    while (start <= t.size()) {
        const auto stop = std::min(t.find(';', start), t.size());
        const std::string_view row = trim(t.substr(start, stop - start));
        int cols = 0;
        std::size_t pos = 0;
        while (pos < row.size()) {
            const auto tok_end = std::min(row.find_first_of(" \t,", pos), row.size());
            const std::string_view tok = row.substr(pos, tok_end - pos);
            if (!tok.empty()) {
                m.values.push_back(static_cast<float>(parse_number(tok, what)));
                ++cols;
            }
            pos = tok_end + 1;
        }
        if (cols == 0) {
            throw UsageError(
                fmt::format("{}: matrix row {} is empty in '{}'", what, m.rows + 1, text));
        }
        if (m.rows > 0 && cols != m.cols) {
            throw UsageError(
                fmt::format("{}: matrix rows differ in length ({} and {} values) in '{}'", what,
                            m.cols, cols, text));
        }
        m.cols = cols;
        ++m.rows;
        start = stop + 1;
    }
    if (m.rows > kMaxMatrixExtent || m.cols > kMaxMatrixExtent) {
        throw UsageError(fmt::format("{}: matrix {}x{} is larger than {}x{}", what, m.rows, m.cols,
                                     kMaxMatrixExtent, kMaxMatrixExtent));
    }
    return m;
}

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

/// Characters that end an unquoted `@PATH` (or make it ambiguous): it is written `@"..."`.
constexpr std::string_view kPathSpecials = ",|:()[]\"#;= \t\r\n";

/// An array read from a weights file, as `what` names it; errors name the file.
WeightsArray load_weights(const WeightsRef& ref, const ParseContext& context,
                          std::string_view what) {
    if (!context.load) {
        throw UsageError(
            fmt::format("{}: weights files ({}) are not read here", what, weights_ref_text(ref)));
    }
    const std::filesystem::path path(ref.path);
    const std::string resolved = context.base.empty() || path.is_absolute()
                                     ? ref.path
                                     : (std::filesystem::path(context.base) / path).string();
    WeightsArray array;
    try {
        array = context.load(resolved, ref.key);
    } catch (const Error& e) {
        throw UsageError(fmt::format("{}: {}", what, e.what()));
    }
    std::size_t count = 1;
    for (const std::size_t d : array.shape) {
        count *= d;
    }
    if (count != array.values.size()) {
        throw UsageError(fmt::format("{}: {}: {} values for shape of {}", what,
                                     weights_ref_text(ref), array.values.size(), count));
    }
    for (std::size_t i = 0; i < array.values.size(); ++i) {
        if (!std::isfinite(array.values[i])) {
            throw UsageError(fmt::format("{}: {}: value {} is {} (weights must be finite)", what,
                                         weights_ref_text(ref), i, array.values[i]));
        }
    }
    return array;
}

std::string shape_text(const std::vector<std::size_t>& shape) {
    std::string out = "(";
    for (std::size_t i = 0; i < shape.size(); ++i) {
        out += fmt::format("{}{}", i == 0 ? "" : ", ", shape[i]);
    }
    return out + (shape.size() == 1 ? ",)" : ")");
}

Matrix load_matrix(std::string_view text, const ParseContext& context, std::string_view what) {
    const WeightsRef ref = parse_weights_ref(text, what);
    const WeightsArray array = load_weights(ref, context, what);
    if (array.shape.size() != 2) {
        throw UsageError(fmt::format("{}: {}: array has shape {}; expected a 2-D (kH, kW) array",
                                     what, weights_ref_text(ref), shape_text(array.shape)));
    }
    if (array.shape[0] == 0 || array.shape[1] == 0 || array.shape[0] > kMaxMatrixExtent ||
        array.shape[1] > kMaxMatrixExtent) {
        throw UsageError(
            fmt::format("{}: {}: array has shape {}; expected 1 to {} rows and columns", what,
                        weights_ref_text(ref), shape_text(array.shape), kMaxMatrixExtent));
    }
    return Matrix{static_cast<int>(array.shape[0]), static_cast<int>(array.shape[1]), array.values,
                  weights_ref_text(ref)};
}

constexpr std::size_t kMaxListValues = 4096;

void check_list_value(double v, const ParamSpec& spec, std::string_view what,
                      std::string_view text) {
    if (spec.whole && (v != std::floor(v) || std::fabs(v) > 1e15)) {
        throw UsageError(fmt::format("{}: expected whole numbers, got '{}'", what, text));
    }
    check_range(v, spec, what, text);
}

NumberList parse_values(const ParamSpec& spec, std::string_view text, const ParseContext& context,
                        std::string_view what) {
    const std::string_view t = trim(text);
    NumberList list;
    if (!t.empty() && t.front() == '@') {
        const WeightsRef ref = parse_weights_ref(t, what);
        const WeightsArray array = load_weights(ref, context, what);
        if (array.shape.size() != 1 || array.values.empty() ||
            array.values.size() > kMaxListValues) {
            throw UsageError(
                fmt::format("{}: {}: array has shape {}; expected a 1-D array of 1 to {} values",
                            what, weights_ref_text(ref), shape_text(array.shape), kMaxListValues));
        }
        for (const float f : array.values) {
            const auto v = static_cast<double>(f);
            check_list_value(v, spec, what, fmt::format("{}", f));
            list.values.push_back(v);
        }
        list.source = weights_ref_text(ref);
        return list;
    }
    if (t.size() < 2 || t.front() != '[' || t.back() != ']' ||
        t.substr(1, t.size() - 2).find_first_of("[];") != std::string_view::npos) {
        throw UsageError(fmt::format(
            "{}: expected a list like [1 2 4] or a 1-D array @FILE.npy, got '{}'", what, text));
    }
    const std::string_view inner = t.substr(1, t.size() - 2);
    std::size_t pos = 0;
    while (pos < inner.size()) {
        const auto tok_end = std::min(inner.find_first_of(" \t,", pos), inner.size());
        const std::string_view tok = inner.substr(pos, tok_end - pos);
        if (!tok.empty()) {
            if (list.values.size() == kMaxListValues) {
                throw UsageError(
                    fmt::format("{}: more than {} values in the list", what, kMaxListValues));
            }
            const double v = parse_number(tok, what);
            check_list_value(v, spec, what, tok);
            list.values.push_back(v);
        }
        pos = tok_end + 1;
    }
    if (list.values.empty()) {
        throw UsageError(fmt::format("{}: the list '{}' is empty", what, text));
    }
    return list;
}

Params::Value parse_value(const ParamSpec& spec, std::string_view text, std::string_view what,
                          const ParseContext& context) {
    switch (spec.type) {
        case ParamType::integer: {
            const long long v = parse_integer(text, what);
            check_range(static_cast<double>(v), spec, what, trim(text));
            return v;
        }
        case ParamType::number: {
            if (spec.allow_infinity && lower(trim(text)) == "inf") {
                return std::numeric_limits<double>::infinity();
            }
            const double v = parse_number(text, what);
            check_range(v, spec, what, trim(text));
            return v;
        }
        case ParamType::flag: {
            const std::string t = lower(trim(text));
            if (t == "true" || t == "1" || t == "yes" || t == "on") {
                return true;
            }
            if (t == "false" || t == "0" || t == "no" || t == "off") {
                return false;
            }
            throw UsageError(fmt::format("{}: expected true or false, got '{}'", what, text));
        }
        case ParamType::size: {
            const Size2 s = parse_size(text, what);
            check_range(s.h, spec, what, trim(text));
            check_range(s.w, spec, what, trim(text));
            return s;
        }
        case ParamType::pad: {
            const std::string t = lower(trim(text));
            if (t == "same") {
                return Pad{Pad::Mode::same, {}};
            }
            if (t == "valid") {
                return Pad{Pad::Mode::valid, {}};
            }
            const Size2 s = parse_size(text, what);
            check_range(s.h, spec, what, trim(text));
            check_range(s.w, spec, what, trim(text));
            return Pad{Pad::Mode::cells, s};
        }
        case ParamType::choice: {
            const std::string t = lower(trim(text));
            if (std::find(spec.choices.begin(), spec.choices.end(), t) == spec.choices.end()) {
                const std::string near = closest_match(t, spec.choices);
                throw UsageError(
                    fmt::format("{}: unknown value '{}'{} (choose from {})", what, text,
                                near.empty() ? "" : fmt::format(" (did you mean '{}'?)", near),
                                join(spec.choices, ", ")));
            }
            return t;
        }
        case ParamType::array:
            if (!trim(text).empty() && trim(text).front() == '@') {
                return load_matrix(text, context, what);
            }
            return parse_matrix(text, what);
        case ParamType::values:
            return parse_values(spec, text, context, what);
        case ParamType::numbers: {
            const std::string_view t = trim(text);
            const auto x = t.find_first_of("xX");
            const double h = parse_number(x == std::string_view::npos ? t : t.substr(0, x), what);
            const double w = x == std::string_view::npos ? h : parse_number(t.substr(x + 1), what);
            check_range(h, spec, what, t);
            check_range(w, spec, what, t);
            return Real2{h, w};
        }
        case ParamType::list: {
            const std::string t = lower(trim(text));
            if (std::find(spec.choices.begin(), spec.choices.end(), t) == spec.choices.end()) {
                const std::string near = closest_match(t, spec.choices);
                throw UsageError(
                    fmt::format("{}: unknown value '{}'{} (choose from {})", what, text,
                                near.empty() ? "" : fmt::format(" (did you mean '{}'?)", near),
                                join(spec.choices, ", ")));
            }
            return std::vector<std::string>{t};
        }
    }
    throw UsageError(fmt::format("{}: unsupported parameter type", what));
}

}  // namespace

double parse_number(std::string_view text, std::string_view what) {
    const std::string_view t = trim(text);
    double value = 0.0;
    const char* begin = t.data();
    const char* end = t.data() + t.size();
    if (!t.empty() && *begin == '+') {
        ++begin;
    }
    const auto [ptr, ec] = std::from_chars(begin, end, value);
    if (t.empty() || ec != std::errc() || ptr != end || !std::isfinite(value)) {
        throw UsageError(fmt::format("{}: expected a finite number, got '{}'", what, text));
    }
    return value;
}

Size2 parse_size(std::string_view text, std::string_view what) {
    const std::string_view t = trim(text);
    const auto x = t.find_first_of("xX");
    if (x == std::string_view::npos) {
        const long long v = parse_integer(t, what);
        if (v < 0 || v > (1LL << 30)) {
            throw UsageError(fmt::format("{}: size '{}' is out of range", what, text));
        }
        return {static_cast<int>(v), static_cast<int>(v)};
    }
    const long long h = parse_integer(t.substr(0, x), what);
    const long long w = parse_integer(t.substr(x + 1), what);
    if (h < 0 || w < 0 || h > (1LL << 30) || w > (1LL << 30)) {
        throw UsageError(fmt::format("{}: size '{}' is out of range", what, text));
    }
    return {static_cast<int>(h), static_cast<int>(w)};
}

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
            return "number";
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
            if (p.mode == Pad::Mode::valid) {
                return "valid";
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
    for (const auto& spec : specs) {
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
                m_values[spec.name] = parse_value(spec, spec.default_value, what, context);
            }
        }
    }
    for (const auto& spec : specs) {
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

std::string Params::describe(bool bare_first) const {
    std::vector<std::string> parts;
    for (const auto& spec : m_specs) {
        const auto it = m_values.find(spec.name);
        if (it == m_values.end()) {
            continue;
        }
        const bool bare = bare_first && &spec == &m_specs.front() &&
                          (spec.type == ParamType::choice || spec.type == ParamType::list);
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
