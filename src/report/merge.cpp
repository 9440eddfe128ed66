#include "convpool/report/merge.hpp"

#include "convpool/core/error.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <map>
#include <optional>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "report/json_detail.hpp"
#include "report/merge_read.hpp"

namespace convpool {
namespace {

using detail::Cursor;
using detail::kChunk;
using detail::read_slice;

/// The bytes [begin, end) of `src` passed to `sink` a chunk at a time.
void copy_slice(const ByteSource& src, std::uint64_t begin, std::uint64_t end,
                const ByteSink& sink) {
    std::vector<char> buf(kChunk);
    while (begin < end) {
        const auto want =
            static_cast<std::size_t>(std::min<std::uint64_t>(buf.size(), end - begin));
        const std::size_t got = src.read_at(begin, buf.data(), want);
        if (got == 0) {
            throw UsageError("a report.csv changed while merge-reports read it");
        }
        sink(std::string_view(buf.data(), got));
        begin += got;
    }
}

/// `text` (pretty JSON) with `n` more spaces after each line break: how it looks nested.
std::string indented(const std::string& text, std::size_t n) {
    std::string out;
    out.reserve(text.size());
    for (const char c : text) {
        out += c;
        if (c == '\n') {
            out.append(n, ' ');
        }
    }
    return out;
}

/// `key` of `j`, null when missing.
nlohmann::json field(const nlohmann::json& j, const char* key) {
    const auto it = j.find(key);
    return it == j.end() ? nlohmann::json() : *it;
}

/// The first field of a CSV record (RFC 4180 quoting), fed a byte at a time; only its first
/// `cap` bytes are kept (a longer one matches no input).
class FirstField {
public:
    explicit FirstField(std::size_t cap) noexcept : m_cap(cap) {}
    void feed(char c) {
        switch (m_mode) {
            case Mode::start:
                m_mode = c == '"' ? Mode::quoted : c == ',' ? Mode::done : Mode::plain;
                if (m_mode == Mode::plain) {
                    add(c);
                }
                break;
            case Mode::plain:
                if (c == ',') {
                    m_mode = Mode::done;
                } else {
                    add(c);
                }
                break;
            case Mode::quoted:
                if (c == '"') {
                    m_mode = Mode::quote_seen;
                } else {
                    add(c);
                }
                break;
            case Mode::quote_seen:  // "" is a quote, a lone " ends the field
                m_mode = c == '"' ? Mode::quoted : Mode::done;
                if (c == '"') {
                    add(c);
                }
                break;
            case Mode::done:
                break;
        }
    }
    void reset() {
        m_mode = Mode::start;
        m_text.clear();
        m_too_long = false;
    }
    /// The field, or nothing when it is longer than the cap.
    [[nodiscard]] const std::string* text() const noexcept {
        return m_too_long ? nullptr : &m_text;
    }

private:
    enum class Mode { start, plain, quoted, quote_seen, done };
    void add(char c) {
        if (m_text.size() < m_cap) {
            m_text += c;
        } else {
            m_too_long = true;
        }
    }
    std::size_t m_cap;
    Mode m_mode = Mode::start;
    std::string m_text;
    bool m_too_long = false;
};

}  // namespace

/// What pass 1 keeps: the header, and per image its place in its report and per input the
/// places of its CSV rows.
// NOLINTNEXTLINE(bugprone-exception-escape): its implicit moves only move containers
struct ReportMerge::Impl {
    struct Entry {
        std::size_t index = 0;
        std::uint64_t begin = 0;
        std::uint64_t end = 0;
        std::size_t report = 0;  ///< 0-based
        ImageStatus status = ImageStatus::failed;
        std::string input;
    };
    /// Bytes [begin, end) of report.csv `csv`, and a line break to add after them.
    struct Span {
        std::size_t csv = 0;
        std::uint64_t begin = 0;
        std::uint64_t end = 0;
        bool add_newline = false;
    };

    std::vector<ShardReport> reports;
    nlohmann::json header;       ///< report 1's fields but `images`, the summary recomputed
    std::vector<Entry> entries;  ///< in index order
    std::optional<Span> csv_header;
    std::unordered_map<std::string, std::vector<Span>> rows_of;  ///< input -> its CSV rows
    std::size_t failed = 0;
    std::size_t list_size = 0;

    void read_json(std::size_t i, std::map<std::size_t, std::size_t>& report_of_index);
    void check_header(nlohmann::json& fields, std::size_t n) const;
    void finish_json();
    void read_csv(std::size_t i, std::size_t cap);
    void write_images(const ByteSink& sink) const;
};

void ReportMerge::Impl::read_json(std::size_t i,
                                  std::map<std::size_t, std::size_t>& report_of_index) {
    const std::size_t n = i + 1;
    std::optional<std::string> deferred;  // the first bad entry, reported after the header checks
    auto [fields, had_images] = detail::read_report(
        *reports[i].json, n,
        [&](nlohmann::json& img, std::uint64_t begin, std::uint64_t end, std::size_t k) {
            if (deferred) {
                return;
            }
            try {
                detail::check_image_entry(img, n, k);
                Entry e{img["index"].get<std::size_t>(),
                        begin,
                        end,
                        i,
                        detail::status_from_name(img["status"].get<std::string>()),
                        img["input"].get<std::string>()};
                const auto [it, fresh] = report_of_index.emplace(e.index, n);
                if (!fresh) {
                    throw UsageError(fmt::format(
                        "reports {} and {} both hold input {} ('{}'): the same shard given twice?",
                        it->second, n, e.index, e.input));
                }
                entries.push_back(std::move(e));
            } catch (const UsageError& err) {
                deferred = err.what();
            }
        });
    if (!had_images || fields.contains("images") || !fields.contains("pipeline") ||
        !fields["pipeline"].is_string()) {
        throw UsageError(fmt::format("report {} is not a convpool report", n));
    }
    check_header(fields, n);
    if (header.is_null()) {
        header = std::move(fields);
    }
    if (deferred) {
        throw UsageError(*deferred);
    }
}

/// Report `n`'s version, and (after report 1) its pipeline and input list against report 1's.
void ReportMerge::Impl::check_header(nlohmann::json& fields, std::size_t n) const {
    const auto version = field(fields, "report_version");
    if (!version.is_null() && !version.is_number_integer()) {
        throw UsageError(
            fmt::format("report {}: report_version is not an integer: not a convpool report", n));
    }
    const long long number = version.is_null() ? 1 : version.get<long long>();
    if (number != kReportVersion) {
        throw UsageError(fmt::format(
            "report {} has report_version {}, this convpool writes {}: run the shard again "
            "with this version",
            n, number, kReportVersion));
    }
    if (header.is_null()) {
        return;
    }
    if (field(fields, "stages") != field(header, "stages")) {
        throw UsageError(fmt::format("report {} ran a different pipeline ('{}', not '{}')", n,
                                     fields["pipeline"].get<std::string>(),
                                     header["pipeline"].get<std::string>()));
    }
    if (field(fields, "input_list") != field(header, "input_list")) {
        throw UsageError(
            fmt::format("report {} is a shard of another input list ({}), not of report 1's ({}): "
                        "every shard must list the same inputs",
                        n, field(fields, "input_list").dump(), field(header, "input_list").dump()));
    }
}

void ReportMerge::Impl::finish_json() {
    std::sort(entries.begin(), entries.end(),
              [](const Entry& a, const Entry& b) { return a.index < b.index; });
    std::vector<ImageStatus> statuses;
    statuses.reserve(entries.size());
    for (const auto& e : entries) {
        statuses.push_back(e.status);
    }
    const auto list = field(header, "input_list");
    list_size = list.is_object() && list.contains("inputs") && list["inputs"].is_number_unsigned()
                    ? list["inputs"].get<std::size_t>()
                    : 0;
    header["summary"] = detail::summary_json(statuses);
    // The shards ran apart: no one wall time is the merged run's.
    header.erase("throughput");
    failed = header["summary"]["failed"].get<std::size_t>();
}

/// Indexes report.csv `i`: its header record, and where each row of a merged input lies.
/// Records end at line breaks outside quotes; a row belongs to the input its first field names.
void ReportMerge::Impl::read_csv(std::size_t i, std::size_t cap) {
    if (reports[i].csv == nullptr) {
        return;
    }
    Cursor cur(*reports[i].csv);
    FirstField key(cap);
    std::uint64_t start = 0;
    std::size_t record = 0;
    bool quoted = false;
    const auto end_record = [&](std::uint64_t end, bool newline) {
        if (record == 0) {
            csv_header = Span{i, start, end, false};
        } else if (const std::string* name = key.text(); name != nullptr) {
            const auto it = rows_of.find(*name);
            if (it != rows_of.end()) {
                auto& spans = it->second;
                const Span row{i, start, newline ? end + 1 : end, !newline};
                if (!spans.empty() && spans.back().csv == i && spans.back().end == start &&
                    !spans.back().add_newline) {
                    spans.back() = Span{i, spans.back().begin, row.end, row.add_newline};
                } else {
                    spans.push_back(row);
                }
            }
        }
    };
    for (;;) {
        const std::uint64_t at = cur.offset();
        const int c = cur.get();
        if (c < 0) {
            if (at > start) {
                end_record(at, false);
            }
            return;
        }
        quoted = c == '"' ? !quoted : quoted;
        if (c == '\n' && !quoted) {
            end_record(at, true);
            start = at + 1;
            ++record;
            key.reset();
        } else if (record > 0) {
            key.feed(static_cast<char>(c));
        }
    }
}

void ReportMerge::Impl::write_images(const ByteSink& sink) const {
    if (entries.empty()) {
        sink("[]");
        return;
    }
    sink("[\n");
    for (std::size_t k = 0; k < entries.size(); ++k) {
        const auto& e = entries[k];
        const auto changed = [&e] {
            return UsageError(
                fmt::format("report {} changed while merge-reports read it", e.report + 1));
        };
        nlohmann::json entry;
        try {
            entry = nlohmann::json::parse(
                read_slice(*reports[e.report].json, e.begin, e.end, changed()));
        } catch (const nlohmann::json::exception&) {
            throw changed();
        }
        if (!entry.is_object() || field(entry, "index") != nlohmann::json(e.index)) {
            throw changed();
        }
        sink("    ");
        sink(indented(detail::dump(entry, 2), 4));
        sink(k + 1 < entries.size() ? ",\n" : "\n");
    }
    sink("  ]");
}

ReportMerge::ReportMerge(std::vector<ShardReport> reports) : m_impl(std::make_unique<Impl>()) {
    auto& m = *m_impl;
    m.reports = std::move(reports);
    std::map<std::size_t, std::size_t> report_of_index;  // image index -> report (1-based)
    for (std::size_t i = 0; i < m.reports.size(); ++i) {
        m.read_json(i, report_of_index);
    }
    if (m.header.is_null()) {
        throw UsageError("no reports to merge");
    }
    report_of_index.clear();
    m.finish_json();
    std::size_t cap = 0;
    for (const auto& e : m.entries) {
        m.rows_of.try_emplace(e.input);
        cap = std::max(cap, e.input.size());
    }
    for (std::size_t i = 0; i < m.reports.size(); ++i) {
        m.read_csv(i, cap);
    }
}

ReportMerge::ReportMerge(ReportMerge&&) noexcept = default;
ReportMerge& ReportMerge::operator=(ReportMerge&&) noexcept = default;
ReportMerge::~ReportMerge() = default;

void ReportMerge::write_json(const ByteSink& sink) const {
    const auto& m = *m_impl;
    sink("{\n");
    bool first = true;
    const auto key = [&](const std::string& name) {
        sink(first ? "  " : ",\n  ");
        first = false;
        sink(detail::dump(nlohmann::json(name)));
        sink(": ");
    };
    bool images_written = false;
    for (const auto& [name, value] : m.header.items()) {
        if (!images_written && name > "images") {  // the fields in key order, as nlohmann's
            key("images");
            m.write_images(sink);
            images_written = true;
        }
        key(name);
        sink(indented(detail::dump(value, 2), 2));
    }
    if (!images_written) {
        key("images");
        m.write_images(sink);
    }
    sink("\n}\n");
}

void ReportMerge::write_csv(const ByteSink& sink) const {
    const auto& m = *m_impl;
    if (m.csv_header) {
        copy_slice(*m.reports[m.csv_header->csv].csv, m.csv_header->begin, m.csv_header->end, sink);
    }
    sink("\n");
    // Each input's rows once, at its first image (an input listed twice has both runs' rows).
    std::unordered_set<std::string_view> written;
    for (const auto& e : m.entries) {
        const auto it = m.rows_of.find(e.input);
        if (it == m.rows_of.end() || !written.insert(it->first).second) {
            continue;
        }
        for (const auto& span : it->second) {
            copy_slice(*m.reports[span.csv].csv, span.begin, span.end, sink);
            if (span.add_newline) {
                sink("\n");
            }
        }
    }
}

std::size_t ReportMerge::inputs() const noexcept { return m_impl->entries.size(); }
std::size_t ReportMerge::failed() const noexcept { return m_impl->failed; }
std::size_t ReportMerge::list_size() const noexcept { return m_impl->list_size; }

MergedReport merge_reports(const std::vector<std::string>& json_texts,
                           const std::vector<std::string>& csv_texts) {
    std::vector<std::unique_ptr<StringSource>> sources;
    std::vector<ShardReport> shards;
    for (std::size_t i = 0; i < json_texts.size(); ++i) {
        ShardReport shard;
        shard.json = sources.emplace_back(std::make_unique<StringSource>(json_texts[i])).get();
        if (i < csv_texts.size()) {
            shard.csv = sources.emplace_back(std::make_unique<StringSource>(csv_texts[i])).get();
        }
        shards.push_back(shard);
    }
    const ReportMerge merge(std::move(shards));
    MergedReport out;
    merge.write_json([&out](std::string_view s) { out.json += s; });
    merge.write_csv([&out](std::string_view s) { out.csv += s; });
    out.inputs = merge.inputs();
    out.failed = merge.failed();
    out.list_size = merge.list_size();
    return out;
}

}  // namespace convpool
