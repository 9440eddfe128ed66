#include "convpool/core/error.hpp"
#include "convpool/core/params.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "params_internal.hpp"
/// \file param_values.cpp
/// One parameter value of each ParamType from its text: numbers, sizes, padding, choices,
/// matrices written inline or read from `@FILE.npy` / `@FILE.npz:KEY`, and lists.

namespace convpool {

using detail::lower;
using detail::trim;

namespace {

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

/// The entries of a list's inside (`1 2, 4`), split at spaces, tabs and commas.
std::vector<std::string_view> list_tokens(std::string_view inner) {
    std::vector<std::string_view> tokens;
    std::size_t pos = 0;
    while (pos < inner.size()) {
        const auto stop = std::min(inner.find_first_of(" \t,", pos), inner.size());
        if (stop > pos) {
            tokens.push_back(inner.substr(pos, stop - pos));
        }
        pos = stop + 1;
    }
    return tokens;
}

/// `[t l b r]` (or `[t, l, b, r]`): ONNX's pads of a 2-D window, top, left, bottom, right.
Pad parse_pad_list(const ParamSpec& spec, std::string_view t, std::string_view what) {
    if (t.size() < 2 || t.back() != ']') {
        throw UsageError(fmt::format("{}: expected [top left bottom right], got '{}'", what, t));
    }
    std::vector<int> cells;
    for (const std::string_view tok : list_tokens(t.substr(1, t.size() - 2))) {
        const long long v = parse_integer(tok, what);
        check_range(static_cast<double>(v), spec, what, tok);
        cells.push_back(static_cast<int>(v));
    }
    if (cells.size() != 4) {
        throw UsageError(
            fmt::format("{}: expected 4 values [top left bottom right], got {} in '{}'", what,
                        cells.size(), t));
    }
    return Pad{.mode = Pad::Mode::cells,
               .cells = {cells[0], cells[1]},
               .end = {cells[2], cells[3]},
               .asymmetric = true};
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
constexpr std::size_t kMaxWeightsDims = 4;
constexpr std::size_t kMaxWeightsValues = std::size_t{1} << 26;

/// A ParamType::weights value: an array of 1 to 4 dimensions, none empty.
WeightsArray load_array(std::string_view text, const ParseContext& context, std::string_view what) {
    const std::string_view t = trim(text);
    if (t.empty() || t.front() != '@') {
        throw UsageError(fmt::format(
            "{}: expected a weights file @FILE.npy or @FILE.npz:KEY, got '{}'", what, text));
    }
    const WeightsRef ref = parse_weights_ref(t, what);
    WeightsArray array = load_weights(ref, context, what);
    const bool empty =
        std::find(array.shape.begin(), array.shape.end(), std::size_t{0}) != array.shape.end();
    if (array.shape.empty() || array.shape.size() > kMaxWeightsDims || empty ||
        array.values.size() > kMaxWeightsValues) {
        throw UsageError(fmt::format(
            "{}: {}: array has shape {}; expected 1 to {} dimensions and 1 to {} values", what,
            weights_ref_text(ref), shape_text(array.shape), kMaxWeightsDims, kMaxWeightsValues));
    }
    array.source = weights_ref_text(ref);
    return array;
}

/// A ParamType::model value: `FILE.onnx`, `@FILE.onnx` or `@"PATH"`, loaded with
/// context.load_model, a relative path from context.base.
ModelFile load_model_file(std::string_view text, const ParseContext& context,
                          std::string_view what) {
    const std::string_view t = trim(text);
    const WeightsRef ref = parse_weights_ref(
        !t.empty() && t.front() == '@' ? std::string(t) : "@" + std::string(t), what);
    if (!ref.key.empty()) {
        throw UsageError(fmt::format(
            "{}: a model file takes no ':KEY' (write @\"PATH\" for a path with ':'), got '{}'",
            what, text));
    }
    std::string source = weights_ref_text(ref);
    if (source.size() > 1 && source[1] != '"') {
        source.erase(0, 1);  // a plain path is written without its '@'
    }
    if (!context.load_model) {
        throw UsageError(fmt::format("{}: model files ({}) are not read here", what, source));
    }
    const std::filesystem::path path(ref.path);
    const std::string resolved = context.base.empty() || path.is_absolute()
                                     ? ref.path
                                     : (std::filesystem::path(context.base) / path).string();
    try {
        return ModelFile{source, context.load_model(resolved)};
    } catch (const Error& e) {
        throw UsageError(fmt::format("{}: {}", what, e.what()));
    }
}

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
    for (const std::string_view tok : list_tokens(t.substr(1, t.size() - 2))) {
        if (list.values.size() == kMaxListValues) {
            throw UsageError(
                fmt::format("{}: more than {} values in the list", what, kMaxListValues));
        }
        const double v = parse_number(tok, what);
        check_list_value(v, spec, what, tok);
        list.values.push_back(v);
    }
    if (list.values.empty()) {
        throw UsageError(fmt::format("{}: the list '{}' is empty", what, text));
    }
    return list;
}

/// One of `spec`'s choices, in lower case; anything else is refused with the closest choice.
std::string checked_choice(const ParamSpec& spec, std::string_view text, std::string_view what) {
    std::string t = lower(trim(text));
    if (std::find(spec.choices.begin(), spec.choices.end(), t) == spec.choices.end()) {
        const std::string near = closest_match(t, spec.choices);
        throw UsageError(fmt::format("{}: unknown value '{}'{} (choose from {})", what, text,
                                     near.empty() ? "" : fmt::format(" (did you mean '{}'?)", near),
                                     detail::join(spec.choices, ", ")));
    }
    return t;
}

}  // namespace

Matrix parse_matrix_text(std::string_view text, std::string_view what) {
    return parse_matrix(text, what);
}

namespace detail {

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

Params::Value parse_value(const ParamSpec& spec, std::string_view text, std::string_view what,
                          const ParseContext& context) {
    switch (spec.type) {
        case ParamType::integer: {
            const long long v = parse_integer(text, what);
            check_range(static_cast<double>(v), spec, what, trim(text));
            return v;
        }
        case ParamType::number: {
            const std::string_view t = trim(text);
            if (spec.per_channel && !t.empty() && (t.front() == '[' || t.front() == '@')) {
                return parse_values(spec, text, context, what);
            }
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
            if (t == "same" || t == "same-upper" || t == "same_upper") {
                return Pad{.mode = Pad::Mode::same};
            }
            if (t == "same-lower" || t == "same_lower") {
                return Pad{.mode = Pad::Mode::same_lower};
            }
            if (t == "valid") {
                return Pad{.mode = Pad::Mode::valid};
            }
            if (!t.empty() && t.front() == '[') {
                return parse_pad_list(spec, t, what);
            }
            const Size2 s = parse_size(text, what);
            check_range(s.h, spec, what, trim(text));
            check_range(s.w, spec, what, trim(text));
            return Pad{.mode = Pad::Mode::cells, .cells = s};
        }
        case ParamType::choice:
            return checked_choice(spec, text, what);
        case ParamType::array:
            if (!trim(text).empty() && trim(text).front() == '@') {
                return load_matrix(text, context, what);
            }
            return parse_matrix(text, what);
        case ParamType::values:
            return parse_values(spec, text, context, what);
        case ParamType::weights:
            return load_array(text, context, what);
        case ParamType::text:
            return std::string(trim(text));
        case ParamType::model:
            return load_model_file(text, context, what);
        case ParamType::numbers: {
            const std::string_view t = trim(text);
            const auto x = t.find_first_of("xX");
            const double h = parse_number(x == std::string_view::npos ? t : t.substr(0, x), what);
            const double w = x == std::string_view::npos ? h : parse_number(t.substr(x + 1), what);
            check_range(h, spec, what, t);
            check_range(w, spec, what, t);
            return Real2{h, w};
        }
        case ParamType::list:
            return std::vector<std::string>{checked_choice(spec, text, what)};
    }
    throw UsageError(fmt::format("{}: unsupported parameter type", what));
}

}  // namespace detail

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

}  // namespace convpool
