#include "convpool/report.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>

#include "convpool/error.hpp"
#include "convpool/format.hpp"

namespace convpool {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

/// q-th quantile of `v` (modified: partially sorted), linear interpolation between order stats.
double quantile(std::vector<float>& v, double q) {
    const double pos = q * static_cast<double>(v.size() - 1);
    const auto k = static_cast<std::size_t>(std::floor(pos));
    const double frac = pos - static_cast<double>(k);
    std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
    const auto a = static_cast<double>(v[k]);
    if (frac == 0.0 || k + 1 >= v.size()) {
        return a;
    }
    const auto b = static_cast<double>(
        *std::min_element(v.begin() + static_cast<std::ptrdiff_t>(k) + 1, v.end()));
    return a + (b - a) * frac;
}

std::string num(double v) {
    if (std::isnan(v)) {
        return "nan";
    }
    return fmt::format("{:.6g}", v);
}

nlohmann::json json_number(double v) {
    return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr);
}

nlohmann::json stats_json(const ChannelStats& s) {
    return {{"count", s.count},
            {"nonfinite", s.nonfinite},
            {"min", json_number(s.min)},
            {"max", json_number(s.max)},
            {"mean", json_number(s.mean)},
            {"std", json_number(s.std)},
            {"zero_fraction", json_number(s.zero_fraction)},
            {"negative_fraction", json_number(s.negative_fraction)},
            {"entropy", json_number(s.entropy)},
            {"p1", json_number(s.p1)},
            {"p50", json_number(s.p50)},
            {"p99", json_number(s.p99)}};
}

std::string human_bytes(std::size_t b) {
    if (b < 1024) {
        return fmt::format("{} B", b);
    }
    if (b < 1024 * 1024) {
        return fmt::format("{:.1f} KiB", static_cast<double>(b) / 1024.0);
    }
    return fmt::format("{:.1f} MiB", static_cast<double>(b) / (1024.0 * 1024.0));
}


}  // namespace

ChannelStats channel_stats(std::span<const float> values) {
    ChannelStats s;
    s.count = values.size();
    std::vector<float> finite;
    finite.reserve(values.size());
    for (const float v : values) {
        if (std::isfinite(v)) {
            finite.push_back(v);
        }
    }
    s.nonfinite = values.size() - finite.size();
    if (finite.empty()) {
        s.min = s.max = s.mean = s.std = s.zero_fraction = s.negative_fraction = s.entropy = kNaN;
        s.p1 = s.p50 = s.p99 = kNaN;
        return s;
    }
    const auto n = static_cast<double>(finite.size());
    auto lo = static_cast<double>(finite.front());
    auto hi = static_cast<double>(finite.front());
    double sum = 0.0;
    std::size_t zeros = 0;
    std::size_t negatives = 0;
    for (const float v : finite) {
        lo = std::min(lo, static_cast<double>(v));
        hi = std::max(hi, static_cast<double>(v));
        sum += static_cast<double>(v);
        zeros += v == 0.0F ? 1U : 0U;
        negatives += v < 0.0F ? 1U : 0U;
    }
    s.min = lo;
    s.max = hi;
    s.mean = sum / n;
    double sq = 0.0;
    for (const float v : finite) {
        const double d = static_cast<double>(v) - s.mean;
        sq += d * d;
    }
    s.std = std::sqrt(sq / n);
    s.zero_fraction = static_cast<double>(zeros) / n;
    s.negative_fraction = static_cast<double>(negatives) / n;
    s.entropy = 0.0;
    if (hi > lo) {
        std::array<std::size_t, 256> hist{};
        for (const float v : finite) {
            const auto bin = static_cast<std::size_t>(
                std::min(255.0, std::floor((static_cast<double>(v) - lo) / (hi - lo) * 256.0)));
            ++hist[bin];
        }
        for (const std::size_t c : hist) {
            if (c != 0) {
                const double p = static_cast<double>(c) / n;
                s.entropy -= p * std::log2(p);
            }
        }
    }
    s.p1 = quantile(finite, 0.01);
    s.p50 = quantile(finite, 0.50);
    s.p99 = quantile(finite, 0.99);
    return s;
}

Histogram value_histogram(std::span<const float> values, int bins) {
    Histogram h;
    h.lo = std::numeric_limits<double>::infinity();
    h.hi = -std::numeric_limits<double>::infinity();
    for (const float v : values) {
        if (std::isfinite(v)) {
            h.lo = std::min(h.lo, static_cast<double>(v));
            h.hi = std::max(h.hi, static_cast<double>(v));
        }
    }
    if (!(h.hi >= h.lo) || bins < 1) {
        h.lo = h.hi = 0.0;
        return h;
    }
    h.counts.assign(static_cast<std::size_t>(bins), 0);
    const double scale = h.hi > h.lo ? static_cast<double>(bins) / (h.hi - h.lo) : 0.0;
    for (const float v : values) {
        if (std::isfinite(v)) {
            const double pos = std::floor((static_cast<double>(v) - h.lo) * scale);
            ++h.counts[static_cast<std::size_t>(std::min(static_cast<double>(bins - 1), pos))];
        }
    }
    return h;
}

namespace {

const char* status_of(const ImageReport& img) {
    return img.skipped ? "skipped" : (img.ok ? "ok" : "failed");
}

/// The optional fields of a stage: `regions` (fractional pooling) and `switches`.
void add_stage_extras(nlohmann::json& stage, const StageReport& st) {
    if (st.regions) {
        const RegionSequences& r = *st.regions;
        stage["regions"] = {{"variant", r.variant},
                            {"u", {r.u_rows, r.u_cols}},
                            {"seed", r.seed},
                            {"row_starts", r.row_starts},
                            {"row_sizes", r.row_sizes},
                            {"col_starts", r.col_starts},
                            {"col_sizes", r.col_sizes}};
    }
    if (st.switches) {
        const SwitchSummary& sw = *st.switches;
        nlohmann::json rows = nlohmann::json::array();
        for (int y = 0; y < sw.window.h; ++y) {
            const auto first = sw.offset_histogram.begin() + static_cast<std::ptrdiff_t>(y) * sw.window.w;
            rows.push_back(std::vector<long long>(first, first + sw.window.w));
        }
        stage["switches"] = {{"window", {sw.window.h, sw.window.w}},
                             {"offset_histogram", rows},
                             {"uncovered_cells", sw.uncovered},
                             {"max_coverage", sw.max_coverage}};
    }
}

nlohmann::json image_json(const ImageReport& img) {
    nlohmann::json stages = nlohmann::json::array();
    for (const auto& st : img.stages) {
        nlohmann::json channels = nlohmann::json::array();
        for (const auto& c : st.channels) {
            channels.push_back(stats_json(c));
        }
        stages.push_back({{"index", st.index},
                          {"op", st.op},
                          {"stage", st.stage},
                          {"shape", {st.shape.channels, st.shape.height, st.shape.width}},
                          {"elements", st.elements()},
                          {"bytes", st.bytes()},
                          {"ratio_previous", st.ratio_previous},
                          {"ratio_input", st.ratio_input},
                          {"ms", st.milliseconds},
                          {"stats", stats_json(st.overall)},
                          {"channels", channels},
                          {"notes", st.notes},
                          {"files", st.files}});
        add_stage_extras(stages.back(), st);
    }
    return {{"index", img.index},
            {"input", img.input},
            {"status", status_of(img)},
            {"error", img.ok ? nlohmann::json(nullptr) : nlohmann::json(img.error)},
            {"warnings", img.warnings},
            {"output_dir", img.output_dir.empty() ? nlohmann::json(nullptr)
                                                  : nlohmann::json(img.output_dir)},
            {"files", img.files},
            {"stages", stages}};
}

nlohmann::json summary_json(std::size_t inputs, std::size_t ok, std::size_t skipped) {
    return {{"inputs", inputs}, {"ok", ok}, {"failed", inputs - ok}, {"skipped", skipped}};
}

}  // namespace

std::string csv_field(const std::string& s) {
    if (s.find_first_of(",\"\n") == std::string::npos) {
        return s;
    }
    std::string out = "\"";
    for (const char c : s) {
        out += c == '"' ? std::string("\"\"") : std::string(1, c);
    }
    return out + "\"";
}

std::string image_json_line(const ImageReport& image) { return image_json(image).dump() + "\n"; }

std::string report_json(const RunReport& report) {
    nlohmann::json images = nlohmann::json::array();
    std::size_t ok = 0;
    std::size_t skipped = 0;
    for (const auto& img : report.images) {
        ok += img.ok ? 1U : 0U;
        skipped += img.skipped ? 1U : 0U;
        images.push_back(image_json(img));
    }
    const nlohmann::json doc{{"convpool_version", CONVPOOL_VERSION},
                             {"pipeline", report.pipeline},
                             {"semantics", report.semantics},
                             {"stages", report.stages},
                             {"summary", summary_json(report.images.size(), ok, skipped)},
                             {"images", images}};
    return doc.dump(2) + "\n";
}

std::string report_csv(const RunReport& report) {
    std::string out =
        "input,status,stage_index,op,stage,channel,channels,height,width,elements,bytes,"
        "ratio_previous,ratio_input,ms,count,nonfinite,min,max,mean,std,zero_fraction,"
        "negative_fraction,entropy,p1,p50,p99,error\n";
    for (const auto& img : report.images) {
        if (!img.ok || img.skipped) {
            out += fmt::format("{},{},,,,,,,,,,,,,,,,,,,,,,,,,{}\n", csv_field(img.input),
                               status_of(img), csv_field(img.error));
            continue;
        }
        for (const auto& st : img.stages) {
            const auto row = [&](const std::string& channel, const ChannelStats& s) {
                out += fmt::format(
                    "{},ok,{},{},{},{},{},{},{},{},{},{:.6g},{:.6g},{:.3f},{},{},{},{},{},{},{},{},{},{},"
                    "{},{},\n",
                    csv_field(img.input), st.index, csv_field(st.op), csv_field(st.stage), channel,
                    st.shape.channels, st.shape.height, st.shape.width, st.elements(), st.bytes(),
                    st.ratio_previous, st.ratio_input, st.milliseconds, s.count, s.nonfinite,
                    num(s.min), num(s.max), num(s.mean), num(s.std), num(s.zero_fraction),
                    num(s.negative_fraction), num(s.entropy), num(s.p1), num(s.p50), num(s.p99));
            };
            row("all", st.overall);
            for (std::size_t c = 0; c < st.channels.size(); ++c) {
                row(std::to_string(c), st.channels[c]);
            }
        }
    }
    return out;
}

std::string report_table(const RunReport& report) {
    std::string out;
    for (const auto& img : report.images) {
        if (!img.ok || img.skipped) {
            out += img.skipped ? fmt::format("{}: skipped (outputs exist)\n\n", img.input)
                               : fmt::format("{}: failed: {}\n\n", img.input, img.error);
            continue;
        }
        std::size_t width = 5;
        for (const auto& st : img.stages) {
            width = std::max(width, st.stage.size());
        }
        out += fmt::format("{}\n", img.input);
        out += fmt::format("{:>3}  {:<{}} {:>13} {:>10} {:>9} {:>8} {:>8} {:>10} {:>10} {:>10} {:>10} {:>6}\n",
                           "#", "stage", width, "shape", "elements", "bytes", "vs prev", "ms", "min",
                           "max", "mean", "std", "zero");
        for (const auto& st : img.stages) {
            out += fmt::format("{:>3}  {:<{}} {:>13} {:>10} {:>9} {:>8.4f} {:>8.2f} {:>10} {:>10} {:>10} {:>10} {:>6.3f}\n",
                               fmt::format("{:02}", st.index), st.stage, width, to_string(st.shape),
                               st.elements(), human_bytes(st.bytes()), st.ratio_previous,
                               st.milliseconds, num(st.overall.min), num(st.overall.max),
                               num(st.overall.mean), num(st.overall.std), st.overall.zero_fraction);
            for (const auto& note : st.notes) {
                out += fmt::format("     note: {}\n", note);
            }
        }
        out += "\n";
    }
    return out;
}

std::string report_markdown(const RunReport& report) {
    std::string out = fmt::format("# convpool report\n\nPipeline: `{}`\n\n", report.pipeline);
    for (const auto& img : report.images) {
        out += fmt::format("## {}\n\n", img.input);
        if (!img.ok) {
            out += fmt::format("Failed: {}\n\n", img.error);
            continue;
        }
        out += "| # | stage | shape | elements | bytes | vs prev | vs input | ms | min | max | mean | std | zero | neg | entropy | p1 | p50 | p99 |\n";
        out += "|---|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n";
        for (const auto& st : img.stages) {
            const auto& s = st.overall;
            out += fmt::format("| {:02} | `{}` | {} | {} | {} | {:.4f} | {:.4f} | {:.2f} | {} | {} | {} | {} | {:.3f} | {:.3f} | {} | {} | {} | {} |\n",
                               st.index, st.stage, to_string(st.shape), st.elements(), st.bytes(),
                               st.ratio_previous, st.ratio_input, st.milliseconds, num(s.min),
                               num(s.max), num(s.mean), num(s.std), s.zero_fraction,
                               s.negative_fraction, num(s.entropy), num(s.p1), num(s.p50), num(s.p99));
        }
        out += "\n";
    }
    return out;
}

namespace {

/// The first field of a CSV line (RFC 4180 quoting), and whether the line is complete (quotes
/// balanced): a quoted field may hold newlines, so a record can span lines.
std::string first_csv_field(const std::string& record) {
    if (record.empty() || record.front() != '"') {
        return record.substr(0, record.find(','));
    }
    std::string field;
    for (std::size_t i = 1; i < record.size(); ++i) {
        if (record[i] == '"') {
            if (i + 1 < record.size() && record[i + 1] == '"') {
                field += '"';
                ++i;
            } else {
                break;
            }
        } else {
            field += record[i];
        }
    }
    return field;
}

/// Splits CSV text into records (header first), keeping quoted newlines inside a record.
std::vector<std::string> csv_records(const std::string& text) {
    std::vector<std::string> records;
    std::string cur;
    bool quoted = false;
    for (const char c : text) {
        if (c == '"') {
            quoted = !quoted;
        }
        if (c == '\n' && !quoted) {
            records.push_back(cur);
            cur.clear();
        } else {
            cur += c;
        }
    }
    if (!cur.empty()) {
        records.push_back(cur);
    }
    return records;
}

}  // namespace

MergedReport merge_reports(const std::vector<std::string>& json_texts,
                           const std::vector<std::string>& csv_texts) {
    nlohmann::json merged;
    nlohmann::json images = nlohmann::json::array();
    for (std::size_t i = 0; i < json_texts.size(); ++i) {
        nlohmann::json doc;
        try {
            doc = nlohmann::json::parse(json_texts[i]);
        } catch (const nlohmann::json::exception& e) {
            throw UsageError(fmt::format("report {} is not valid JSON: {}", i + 1, e.what()));
        }
        if (!doc.is_object() || !doc.contains("images") || !doc.contains("pipeline") ||
            !doc["images"].is_array()) {
            throw UsageError(fmt::format("report {} is not a convpool report", i + 1));
        }
        if (merged.is_null()) {
            merged = doc;
        } else if (doc["stages"] != merged["stages"]) {
            throw UsageError(fmt::format(
                "report {} ran a different pipeline ('{}', not '{}')", i + 1,
                doc["pipeline"].get<std::string>(), merged["pipeline"].get<std::string>()));
        }
        for (auto& img : doc["images"]) {
            images.push_back(std::move(img));
        }
    }
    if (merged.is_null()) {
        throw UsageError("no reports to merge");
    }
    std::stable_sort(images.begin(), images.end(), [](const nlohmann::json& a, const nlohmann::json& b) {
        return a.value("index", std::size_t{0}) < b.value("index", std::size_t{0});
    });
    MergedReport out;
    std::size_t ok = 0;
    std::size_t skipped = 0;
    for (const auto& img : images) {
        const std::string status = img.value("status", "");
        ok += status != "failed" ? 1U : 0U;
        skipped += status == "skipped" ? 1U : 0U;
    }
    out.inputs = images.size();
    out.failed = images.size() - ok;
    merged["summary"] = summary_json(images.size(), ok, skipped);
    merged["images"] = images;
    out.json = merged.dump(2) + "\n";

    // CSV: the header once, then each image's rows in the merged image order.
    std::map<std::string, std::string> rows_of;
    std::string header;
    for (const auto& text : csv_texts) {
        const auto records = csv_records(text);
        for (std::size_t r = 0; r < records.size(); ++r) {
            if (r == 0) {
                header = records[0];
                continue;
            }
            rows_of[first_csv_field(records[r])] += records[r] + "\n";
        }
    }
    out.csv = header + "\n";
    for (const auto& img : images) {
        const auto it = rows_of.find(img.value("input", ""));
        if (it != rows_of.end()) {
            out.csv += it->second;
        }
    }
    return out;
}

std::string format_report(const RunReport& report, ReportFormat format) {
    switch (format) {
        case ReportFormat::table:
            return report_table(report);
        case ReportFormat::json:
            return report_json(report);
        case ReportFormat::csv:
            return report_csv(report);
        case ReportFormat::md:
            return report_markdown(report);
        case ReportFormat::jsonl: {
            std::string out;
            for (const auto& img : report.images) {
                out += image_json_line(img);
            }
            return out;
        }
        case ReportFormat::none:
            return {};
    }
    return {};
}

}  // namespace convpool
