#include "convpool/report/report.hpp"

#include "convpool/core/error.hpp"
#include "convpool/core/format.hpp"
#include "convpool/core/text.hpp"
#include "convpool/report/build.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>

#include "report/json_detail.hpp"

namespace convpool {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::string num(double v) {
    if (std::isnan(v)) {
        return "nan";
    }
    return fmt::format("{:.6g}", v);
}

/// A statistic of a stage in the text reports: `-` when the run computed none (--stats none).
std::string stage_num(const StageReport& st, double v) {
    return st.channels.empty() ? std::string("-") : num(v);
}

/// A share (0..1) of a stage in the text reports, 3 decimals; `-` as stage_num.
std::string stage_share(const StageReport& st, double v) {
    return st.channels.empty() ? std::string("-") : fmt::format("{:.3f}", v);
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
    if (b < std::size_t{1024} * 1024) {
        return fmt::format("{:.1f} KiB", static_cast<double>(b) / 1024.0);
    }
    return fmt::format("{:.1f} MiB", static_cast<double>(b) / (1024.0 * 1024.0));
}

}  // namespace

const char* image_status_name(ImageStatus status) noexcept {
    switch (status) {
        case ImageStatus::done:
            return "done";
        case ImageStatus::failed:
            return "failed";
        case ImageStatus::skipped:
            return "skipped";
        case ImageStatus::interrupted:
            return "interrupted";
        case ImageStatus::not_started:
            return "not-started";
    }
    return "failed";
}

const char* stats_level_name(StatsLevel level) noexcept {
    switch (level) {
        case StatsLevel::full:
            return "full";
        case StatsLevel::basic:
            return "basic";
        case StatsLevel::none:
            return "none";
    }
    return "full";
}

namespace detail {

/// JSON text of `j`; a string that is not UTF-8 (a file name in Latin-1 in an error message)
/// gets U+FFFD where its bad bytes were instead of failing the whole report.
std::string dump(const nlohmann::json& j, int indent) {
    return j.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

constexpr std::array<ImageStatus, 5> kStatuses{ImageStatus::done, ImageStatus::failed,
                                               ImageStatus::skipped, ImageStatus::interrupted,
                                               ImageStatus::not_started};

ImageStatus status_from_name(const std::string& name) {
    for (const ImageStatus s : kStatuses) {
        if (name == image_status_name(s)) {
            return s;
        }
    }
    throw UsageError(fmt::format("unknown image status '{}'", name));
}

/// Counts of every status; `ok` is done + skipped (the images whose outputs are there).
nlohmann::json summary_json(const std::vector<ImageStatus>& statuses) {
    std::array<std::size_t, kStatuses.size()> count{};
    for (const ImageStatus s : statuses) {
        ++count[static_cast<std::size_t>(s)];
    }
    const auto n = [&count](ImageStatus s) { return count[static_cast<std::size_t>(s)]; };
    return {{"inputs", statuses.size()},
            {"ok", n(ImageStatus::done) + n(ImageStatus::skipped)},
            {"done", n(ImageStatus::done)},
            {"failed", n(ImageStatus::failed)},
            {"skipped", n(ImageStatus::skipped)},
            {"interrupted", n(ImageStatus::interrupted)},
            {"not_started", n(ImageStatus::not_started)}};
}

}  // namespace detail

namespace {

using detail::dump;
using detail::status_from_name;
using detail::summary_json;

const char* status_of(const ImageReport& img) { return image_status_name(img.status); }

/// The optional fields of a stage: `regions` (fractional pooling) and `switches`.
void add_stage_extras(nlohmann::json& stage, const StageReport& st) {
    if (st.regions) {
        const RegionSequences& r = *st.regions;
        stage["regions"] = {{"variant", r.variant},     {"u", {r.u_rows, r.u_cols}},
                            {"seed", r.seed},           {"row_starts", r.row_starts},
                            {"row_sizes", r.row_sizes}, {"col_starts", r.col_starts},
                            {"col_sizes", r.col_sizes}};
    }
    if (st.switches) {
        const SwitchSummary& sw = *st.switches;
        nlohmann::json rows = nlohmann::json::array();
        for (int y = 0; y < sw.window.h; ++y) {
            const auto first =
                sw.offset_histogram.begin() + static_cast<std::ptrdiff_t>(y) * sw.window.w;
            rows.push_back(std::vector<long long>(first, first + sw.window.w));
        }
        stage["switches"] = {{"window", {sw.window.h, sw.window.w}},
                             {"offset_histogram", rows},
                             {"uncovered_cells", sw.uncovered},
                             {"max_coverage", sw.max_coverage}};
    }
    if (st.weights) {
        stage["weights"] = {{"picture", st.weights->file}, {"names", st.weights->names}};
    }
    if (st.picture) {
        const PictureReport& p = *st.picture;
        const auto& z = p.zoom;
        stage["picture"] = {
            {"scale", {p.scale_h, p.scale_w}},
            {"reduction", p.reduction},
            {"zoom", z ? nlohmann::json{z->y, z->x, z->h, z->w} : nlohmann::json(nullptr)}};
    }
}

nlohmann::json image_json(const ImageReport& img) {
    nlohmann::json stages = nlohmann::json::array();
    for (const auto& st : img.stages) {
        nlohmann::json channels = nlohmann::json::array();
        for (const auto& c : st.channels) {
            channels.push_back(stats_json(c));
        }
        stages.push_back(
            {{"index", st.index},
             {"op", st.op},
             {"stage", st.stage},
             {"shape", {st.shape.channels, st.shape.height, st.shape.width}},
             {"elements", st.elements()},
             {"bytes", st.bytes()},
             {"ratio_previous", st.ratio_previous},
             {"ratio_input", st.ratio_input},
             {"ms", st.milliseconds},
             {"stats", st.channels.empty() ? nlohmann::json(nullptr) : stats_json(st.overall)},
             {"channels", channels},
             {"channel_names", st.channel_names},
             {"notes", st.notes},
             {"files", st.files}});
        add_stage_extras(stages.back(), st);
    }
    nlohmann::json j{
        {"index", img.index},
        {"input", utf8_display(img.input)},
        {"status", status_of(img)},
        {"error", img.error.empty() ? nlohmann::json(nullptr) : nlohmann::json(img.error)},
        {"warnings", img.warnings},
        {"output_dir",
         img.output_dir.empty() ? nlohmann::json(nullptr) : nlohmann::json(img.output_dir)},
        {"files", img.files},
        {"stages", stages}};
    if (!is_valid_utf8(img.input)) {  // a name that is not UTF-8: its bytes, for the record
        j["input_bytes"] = base64(img.input);
    }
    return j;
}

double number_or_nan(const nlohmann::json& v) { return v.is_number() ? v.get<double>() : kNaN; }

ChannelStats stats_from_json(const nlohmann::json& j) {
    ChannelStats s;
    s.count = j.at("count").get<std::size_t>();
    s.nonfinite = j.at("nonfinite").get<std::size_t>();
    s.min = number_or_nan(j.at("min"));
    s.max = number_or_nan(j.at("max"));
    s.mean = number_or_nan(j.at("mean"));
    s.std = number_or_nan(j.at("std"));
    s.zero_fraction = number_or_nan(j.at("zero_fraction"));
    s.negative_fraction = number_or_nan(j.at("negative_fraction"));
    s.entropy = number_or_nan(j.at("entropy"));
    s.p1 = number_or_nan(j.at("p1"));
    s.p50 = number_or_nan(j.at("p50"));
    s.p99 = number_or_nan(j.at("p99"));
    return s;
}

/// The optional fields of a stage read back (add_stage_extras' inverse).
void read_stage_extras(const nlohmann::json& j, StageReport& st) {
    if (j.contains("regions")) {
        const auto& r = j.at("regions");
        st.regions = RegionSequences{r.at("variant").get<std::string>(),
                                     r.at("u").at(0).get<double>(),
                                     r.at("u").at(1).get<double>(),
                                     r.at("seed").get<std::uint64_t>(),
                                     r.at("row_starts").get<std::vector<int>>(),
                                     r.at("row_sizes").get<std::vector<int>>(),
                                     r.at("col_starts").get<std::vector<int>>(),
                                     r.at("col_sizes").get<std::vector<int>>()};
    }
    if (j.contains("switches")) {
        const auto& w = j.at("switches");
        SwitchSummary sw;
        sw.window = {w.at("window").at(0).get<int>(), w.at("window").at(1).get<int>()};
        for (const auto& row : w.at("offset_histogram")) {
            const auto values = row.get<std::vector<long long>>();
            sw.offset_histogram.insert(sw.offset_histogram.end(), values.begin(), values.end());
        }
        sw.uncovered = w.at("uncovered_cells").get<long long>();
        sw.max_coverage = w.at("max_coverage").get<int>();
        st.switches = sw;
    }
    if (j.contains("weights")) {
        const auto& w = j.at("weights");
        st.weights = WeightsPictureReport{w.at("picture").get<std::string>(),
                                          w.at("names").get<std::vector<std::string>>()};
    }
    if (j.contains("picture")) {
        const auto& p = j.at("picture");
        PictureReport pr;
        pr.scale_h = p.at("scale").at(0).get<double>();
        pr.scale_w = p.at("scale").at(1).get<double>();
        pr.reduction = p.at("reduction").get<std::string>();
        if (const auto& z = p.at("zoom"); !z.is_null()) {
            pr.zoom = CellRegion{z.at(0).get<int>(), z.at(1).get<int>(), z.at(2).get<int>(),
                                 z.at(3).get<int>()};
        }
        st.picture = pr;
    }
}

}  // namespace

std::string csv_field(const std::string& s) {
    if (s.find_first_of(",\"\n\r") == std::string::npos) {
        return s;
    }
    std::string out;
    out.reserve(s.size() + 2);
    out += '"';
    for (const char c : s) {
        if (c == '"') {
            out += '"';  // a quote is doubled
        }
        out += c;
    }
    out += '"';
    return out;
}

std::string image_json_line(const ImageReport& image) { return dump(image_json(image)) + "\n"; }

std::string stored_image_json(const ImageReport& image) {
    nlohmann::json j = image_json(image);
    for (std::size_t i = 0; i < image.stages.size(); ++i) {
        const Histogram& h = image.stages[i].histogram;
        j["stages"][i]["histogram"] = {{"lo", h.lo}, {"hi", h.hi}, {"counts", h.counts}};
    }
    return dump(j);
}

ImageReport parse_stored_image(std::string_view text) {
    try {
        const auto j = nlohmann::json::parse(text);
        ImageReport img;
        img.index = j.at("index").get<std::size_t>();
        img.input = j.at("input").get<std::string>();
        img.status = status_from_name(j.at("status").get<std::string>());
        img.error = j.at("error").is_string() ? j.at("error").get<std::string>() : std::string();
        img.warnings = j.at("warnings").get<std::vector<std::string>>();
        img.output_dir =
            j.at("output_dir").is_string() ? j.at("output_dir").get<std::string>() : std::string();
        img.files = j.at("files").get<std::vector<std::string>>();
        for (const auto& js : j.at("stages")) {
            StageReport st;
            st.index = js.at("index").get<int>();
            st.op = js.at("op").get<std::string>();
            st.stage = js.at("stage").get<std::string>();
            const auto& shape = js.at("shape");
            st.shape =
                Shape{shape.at(0).get<int>(), shape.at(1).get<int>(), shape.at(2).get<int>()};
            st.ratio_previous = js.at("ratio_previous").get<double>();
            st.ratio_input = js.at("ratio_input").get<double>();
            st.milliseconds = js.at("ms").get<double>();
            if (!js.at("stats").is_null()) {
                st.overall = stats_from_json(js.at("stats"));
            }
            for (const auto& c : js.at("channels")) {
                st.channels.push_back(stats_from_json(c));
            }
            if (js.contains("channel_names")) {  // records of older runs have none
                st.channel_names = js.at("channel_names").get<std::vector<std::string>>();
            }
            st.notes = js.at("notes").get<std::vector<std::string>>();
            st.files = js.at("files").get<std::vector<std::string>>();
            if (js.contains("histogram")) {
                const auto& h = js.at("histogram");
                st.histogram = {h.at("lo").get<double>(), h.at("hi").get<double>(),
                                h.at("counts").get<std::vector<std::size_t>>()};
            }
            read_stage_extras(js, st);
            img.stages.push_back(std::move(st));
        }
        return img;
    } catch (const nlohmann::json::exception& e) {
        throw InputError(fmt::format("not a stored image report: {}", e.what()));
    }
}

std::string report_json(const RunReport& report) {
    nlohmann::json images = nlohmann::json::array();
    std::vector<ImageStatus> statuses;
    for (const auto& img : report.images) {
        statuses.push_back(img.status);
        images.push_back(image_json(img));
    }
    nlohmann::json doc{{"report_version", kReportVersion},
                       {"convpool_version", CONVPOOL_VERSION},
                       {"build", nlohmann::json::parse(build_json())},
                       {"pipeline", report.pipeline},
                       {"semantics", report.semantics},
                       {"stats", stats_level_name(report.stats)},
                       {"stages", report.stages},
                       {"summary", summary_json(statuses)},
                       {"images", images}};
    if (report.input_list_size > 0) {
        doc["input_list"] = {{"inputs", report.input_list_size},
                             {"fnv1a", fmt::format("{:016x}", report.input_list_hash)}};
    }
    if (report.seconds) {
        doc["throughput"] = {{"seconds", *report.seconds},
                             {"images_per_second", images_per_second(report)}};
    }
    return dump(doc, 2) + "\n";
}

double images_per_second(const RunReport& report) {
    const auto done =
        std::count_if(report.images.begin(), report.images.end(),
                      [](const ImageReport& i) { return i.status == ImageStatus::done; });
    return report.seconds && *report.seconds > 0.0 ? static_cast<double>(done) / *report.seconds
                                                   : 0.0;
}

std::string report_csv(const RunReport& report) {
    std::string out =
        "input,status,stage_index,op,stage,channel,channels,height,width,elements,bytes,"
        "ratio_previous,ratio_input,ms,count,nonfinite,min,max,mean,std,zero_fraction,"
        "negative_fraction,entropy,p1,p50,p99,error,input_bytes\n";
    for (const auto& img : report.images) {
        // The name as UTF-8 (U+FFFD for bytes that are not), and its bytes when it is not.
        const std::string input = csv_field(utf8_display(img.input));
        const std::string bytes = is_valid_utf8(img.input) ? std::string() : base64(img.input);
        // A skipped image shows the stages its record kept (none with --emit final).
        if (!img.ok() || img.stages.empty()) {
            out += fmt::format("{},{},,,,,,,,,,,,,,,,,,,,,,,,,{},{}\n", input, status_of(img),
                               csv_field(utf8_display(img.error)), bytes);
            continue;
        }
        const char* status = status_of(img);
        for (const auto& st : img.stages) {
            // Once per stage, not per channel row: a bank's stage text can be kilobytes long.
            const std::string op = csv_field(st.op);
            const std::string stage = csv_field(st.stage);
            const auto row = [&](const std::string& channel, const ChannelStats& s) {
                out += fmt::format(
                    "{},{},{},{},{},{},{},{},{},{},{},{:.6g},{:.6g},{:.3f},{},{},{},{},{},{},{},{},"
                    "{},{},"
                    "{},{},,{}\n",
                    input, status, st.index, op, stage, channel, st.shape.channels, st.shape.height,
                    st.shape.width, st.elements(), st.bytes(), st.ratio_previous, st.ratio_input,
                    st.milliseconds, s.count, s.nonfinite, num(s.min), num(s.max), num(s.mean),
                    num(s.std), num(s.zero_fraction), num(s.negative_fraction), num(s.entropy),
                    num(s.p1), num(s.p50), num(s.p99), bytes);
            };
            if (st.channels.empty()) {  // --stats none: shape, sizes and time only
                out += fmt::format(
                    "{},{},{},{},{},all,{},{},{},{},{},{:.6g},{:.6g},{:.3f},,,,,,,,,,,,,,{}\n",
                    input, status, st.index, op, stage, st.shape.channels, st.shape.height,
                    st.shape.width, st.elements(), st.bytes(), st.ratio_previous, st.ratio_input,
                    st.milliseconds, bytes);
                continue;
            }
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
        const std::string name = terminal_text(img.input);  // no control character reaches a tty
        if (!img.ok() || (img.skipped() && img.stages.empty())) {
            out += img.skipped()       ? fmt::format("{}: skipped (outputs exist)\n\n", name)
                   : img.error.empty() ? fmt::format("{}: {}\n\n", name, status_of(img))
                                       : fmt::format("{}: {}: {}\n\n", name, status_of(img),
                                                     terminal_text(img.error));
            continue;
        }
        std::size_t width = 5;
        for (const auto& st : img.stages) {
            width = std::max(width, st.stage.size());
        }
        out += img.skipped()
                   ? fmt::format("{} (skipped: up to date; as its earlier run reported)\n", name)
                   : fmt::format("{}\n", name);
        out += fmt::format(
            "{:>3}  {:<{}} {:>13} {:>10} {:>9} {:>8} {:>8} {:>10} {:>10} {:>10} {:>10} {:>6}\n",
            "#", "stage", width, "shape", "elements", "bytes", "vs prev", "ms", "min", "max",
            "mean", "std", "zero");
        for (const auto& st : img.stages) {
            const auto stat = [&st](double v) { return stage_num(st, v); };
            out += fmt::format(
                "{:>3}  {:<{}} {:>13} {:>10} {:>9} {:>8.4f} {:>8.2f} {:>10} {:>10} {:>10} {:>10} "
                "{:>6}\n",
                fmt::format("{:02}", st.index), st.stage, width, to_string(st.shape), st.elements(),
                human_bytes(st.bytes()), st.ratio_previous, st.milliseconds, stat(st.overall.min),
                stat(st.overall.max), stat(st.overall.mean), stat(st.overall.std),
                stage_share(st, st.overall.zero_fraction));
            for (const auto& note : st.notes) {
                out += fmt::format("     note: {}\n", terminal_text(note));
            }
        }
        out += "\n";
    }
    return out;
}

std::string report_markdown(const RunReport& report) {
    std::string out = fmt::format("# convpool report\n\nPipeline: `{}`\n\n", report.pipeline);
    for (const auto& img : report.images) {
        out += fmt::format("## {}\n\n", terminal_text(img.input));
        if (!img.ok()) {
            out += fmt::format("{}: {}\n\n", status_of(img), terminal_text(img.error));
            continue;
        }
        out +=
            "| # | stage | shape | elements | bytes | vs prev | vs input | ms | min | max | mean | "
            "std | zero | neg | entropy | p1 | p50 | p99 |\n";
        out += "|---|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n";
        for (const auto& st : img.stages) {
            const auto& s = st.overall;
            const auto stat = [&st](double v) { return stage_num(st, v); };
            const auto share = [&st](double v) { return stage_share(st, v); };
            out += fmt::format(
                "| {:02} | `{}` | {} | {} | {} | {:.4f} | {:.4f} | {:.2f} | {} | {} | {} | {} | {} "
                "| {} | {} | {} | {} | {} |\n",
                st.index, st.stage, to_string(st.shape), st.elements(), st.bytes(),
                st.ratio_previous, st.ratio_input, st.milliseconds, stat(s.min), stat(s.max),
                stat(s.mean), stat(s.std), share(s.zero_fraction), share(s.negative_fraction),
                stat(s.entropy), stat(s.p1), stat(s.p50), stat(s.p99));
        }
        out += "\n";
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
