#include "report/merge_read.hpp"

#include <fmt/format.h>

#include <string_view>
#include <utility>

#include "report/json_detail.hpp"

namespace convpool::detail {
namespace {

/// Deepest nesting of arrays and objects a report may have (convpool's own are 6 deep): an array
/// or object inside more than 64 others is refused, before anything is parsed into memory.
constexpr int kMaxReportDepth = 64;

/// A report.json read front to back: the top-level fields parsed, each `images[]` entry parsed
/// alone and handed on; never more than one entry (or one top-level field) in memory.
class ReportReader {
public:
    ReportReader(const ByteSource& src, std::size_t n) : m_src(src), m_cur(src), m_n(n) {}

    /// Reads the whole report; returns its top-level fields other than the `images` array
    /// (an `images` that is not an array stays among them). Throws UsageError.
    nlohmann::json read(const OnEntry& on_entry) {
        skip_ws();
        if (m_cur.peek() != '{') {
            if (m_cur.peek() >= 0) {
                (void)skip_value(0);  // too deep is said first, as a whole parse would
            }
            throw UsageError(fmt::format("report {} is not a convpool report", m_n));
        }
        m_cur.get();
        nlohmann::json fields = nlohmann::json::object();
        skip_ws();
        if (m_cur.peek() == '}') {
            m_cur.get();
        } else {
            do {
                read_field(fields, on_entry);
            } while (next_or_end('}'));
        }
        skip_ws();
        if (m_cur.peek() >= 0) {
            throw syntax("more after the report's end");
        }
        return fields;
    }

    [[nodiscard]] bool had_images() const noexcept { return m_had_images; }

private:
    [[nodiscard]] UsageError syntax(std::string_view what) const {
        return UsageError(
            fmt::format("report {} is not valid JSON: {} at byte {}", m_n, what, m_cur.offset()));
    }

    void skip_ws() {
        for (int c = m_cur.peek(); c == ' ' || c == '\t' || c == '\n' || c == '\r';
             c = m_cur.peek()) {
            m_cur.get();
        }
    }

    /// After a member: true for ',' (another follows), false for `close`.
    bool next_or_end(char close) {
        skip_ws();
        const int c = m_cur.get();
        if (c == ',') {
            return true;
        }
        if (c != close) {
            throw syntax(fmt::format("expected ',' or '{}'", close));
        }
        return false;
    }

    /// One `"key": value` of the top-level object.
    void read_field(nlohmann::json& fields, const OnEntry& on_entry) {
        skip_ws();
        if (m_cur.peek() != '"') {
            throw syntax("expected a key");
        }
        const auto key = parse(skip_value(1)).get<std::string>();
        skip_ws();
        if (m_cur.get() != ':') {
            throw syntax("expected ':'");
        }
        skip_ws();
        if (key == "images" && m_cur.peek() == '[') {
            if (m_had_images) {
                throw UsageError(
                    fmt::format("report {} has two images arrays: not a convpool report", m_n));
            }
            m_had_images = true;
            read_images(on_entry);
        } else {
            fields[key] = parse(skip_value(1));
        }
    }

    void read_images(const OnEntry& on_entry) {
        m_cur.get();  // '['
        skip_ws();
        if (m_cur.peek() == ']') {
            m_cur.get();
            return;
        }
        std::size_t k = 0;
        do {
            skip_ws();
            const auto extent = skip_value(2);
            nlohmann::json entry = parse(extent);
            on_entry(entry, extent.first, extent.second, k++);
        } while (next_or_end(']'));
    }

    /// Skips the value starting here (inside `depth` arrays and objects); returns its extent.
    std::pair<std::uint64_t, std::uint64_t> skip_value(int depth) {
        const std::uint64_t begin = m_cur.offset();
        const int c = m_cur.peek();
        if (c == '"') {
            skip_string();
        } else if (c == '[' || c == '{') {
            skip_container(depth);
        } else {
            while (m_cur.peek() >= 0 &&
                   std::string_view(" \t\r\n,:[]{}\"").find(static_cast<char>(m_cur.peek())) ==
                       std::string_view::npos) {
                m_cur.get();
            }
            if (m_cur.offset() == begin) {
                throw syntax("expected a value");
            }
        }
        return {begin, m_cur.offset()};
    }

    void skip_string() {
        m_cur.get();  // '"'
        for (;;) {
            const int c = m_cur.get();
            if (c < 0 || (c == '\\' && m_cur.get() < 0)) {
                throw syntax("unterminated string");
            }
            if (c == '"') {
                return;
            }
        }
    }

    void skip_container(int depth) {
        int level = 0;
        for (;;) {
            const int c = m_cur.peek();
            if (c < 0) {
                throw syntax("unexpected end");
            }
            if (c == '"') {
                skip_string();
                continue;
            }
            m_cur.get();
            if (c == '[' || c == '{') {
                if (depth + level > kMaxReportDepth) {
                    throw UsageError(
                        fmt::format("report {} nests deeper than {} levels: not a convpool report",
                                    m_n, kMaxReportDepth));
                }
                ++level;
            } else if ((c == ']' || c == '}') && --level == 0) {
                return;
            }
        }
    }

    /// The value at `extent` parsed (its nesting is already bounded).
    [[nodiscard]] nlohmann::json parse(std::pair<std::uint64_t, std::uint64_t> extent) const {
        const std::string text = read_slice(m_src, extent.first, extent.second, syntax("changed"));
        try {
            return nlohmann::json::parse(text);
        } catch (const nlohmann::json::exception& e) {
            throw UsageError(fmt::format("report {} is not valid JSON: {} (the value at byte {})",
                                         m_n, e.what(), extent.first));
        }
    }

    const ByteSource& m_src;
    Cursor m_cur;
    std::size_t m_n;
    bool m_had_images = false;
};
}  // namespace

/// The bytes [begin, end) of `src`; throws `changed` when they are no longer there.
std::string read_slice(const ByteSource& src, std::uint64_t begin, std::uint64_t end,
                       const UsageError& changed) {
    std::string text(static_cast<std::size_t>(end - begin), '\0');
    if (src.read_at(begin, text.data(), text.size()) != text.size()) {
        throw changed;
    }
    return text;
}

ReadReport read_report(const ByteSource& src, std::size_t n, const OnEntry& on_entry) {
    ReportReader reader(src, n);
    ReadReport out;
    out.fields = reader.read(on_entry);
    out.had_images = reader.had_images();
    return out;
}

/// Checks the fields merge-reports reads in one `images[]` entry of report `n`
/// (docs/outputs.md): `index` a non-negative integer, `input` and `status` strings, `status`
/// one of the five, `stages` an array. Throws UsageError naming the report, the entry and the
/// field.
void check_image_entry(const nlohmann::json& img, std::size_t n, std::size_t k) {
    const auto bad = [&](const char* field, const char* want) {
        return UsageError(fmt::format("report {}: images[{}].{} is not {}: not a convpool report",
                                      n, k, field, want));
    };
    if (!img.is_object()) {
        throw UsageError(fmt::format("report {}: images[{}] is not an object", n, k));
    }
    if (!img.contains("index") || !img["index"].is_number_unsigned()) {
        throw bad("index", "a non-negative integer");
    }
    if (!img.contains("input") || !img["input"].is_string()) {
        throw bad("input", "a string");
    }
    if (!img.contains("status") || !img["status"].is_string()) {
        throw bad("status", "a string");
    }
    (void)status_from_name(img["status"].get<std::string>());
    if (img.contains("stages") && !img["stages"].is_array()) {
        throw bad("stages", "an array");
    }
}

}  // namespace convpool::detail
