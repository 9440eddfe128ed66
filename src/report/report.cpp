#include "convpool/report/report.hpp"

#include "convpool/core/error.hpp"
#include "convpool/core/format.hpp"
#include "convpool/core/parallel.hpp"
#include "convpool/core/text.hpp"
#include "convpool/report/build.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <mutex>

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

namespace {

/// Values per piece of the statistics passes. The pieces, not the threads, fix the order in
/// which partial sums are added, so the results do not depend on the thread count.
constexpr std::size_t kStatsPiece = std::size_t{1} << 16;

/// Calls body(begin, end, piece) for every piece of [0, n), pieces spread over the threads.
template <typename F>
void for_each_piece(std::size_t n, const F& body) {
    const std::size_t pieces = (n + kStatsPiece - 1) / kStatsPiece;
    parallel_for(pieces, kMinBytesPerThread / (kStatsPiece * sizeof(float)) + 1,
                 [&](std::size_t first, std::size_t last) {
                     for (std::size_t p = first; p < last; ++p) {
                         body(p * kStatsPiece, std::min(n, (p + 1) * kStatsPiece), p);
                     }
                 });
}

/// Calls body(begin, end, counts) once per thread over its share of [0, n), with a zeroed
/// `bins`-long count array of its own, and adds every thread's counts into the result.
template <typename F>
std::vector<std::size_t> count_in_parallel(std::size_t n, std::size_t bins, const F& body) {
    std::vector<std::size_t> total(bins, 0);
    std::mutex lock;
    parallel_for(n, kMinBytesPerThread / sizeof(float), [&](std::size_t begin, std::size_t end) {
        std::vector<std::size_t> counts(bins, 0);
        body(begin, end, counts);
        const std::lock_guard<std::mutex> guard(lock);
        for (std::size_t i = 0; i < bins; ++i) {
            total[i] += counts[i];
        }
    });
    return total;
}

/// A key whose unsigned order is the order of the finite floats (-0 sorts before +0).
std::uint32_t order_key(float v) {
    const auto bits = std::bit_cast<std::uint32_t>(v);
    return (bits & 0x80000000U) != 0 ? ~bits : bits | 0x80000000U;
}

float key_value(std::uint32_t key) {
    return std::bit_cast<float>((key & 0x80000000U) != 0 ? key & 0x7FFFFFFFU : ~key);
}

/// The finite values of the given ranks (0-based, in ascending order of value), found exactly
/// by a most-significant-digit radix selection on order keys: three counting passes (11, 11
/// and 10 bits), each narrowing every rank to the values that share its known leading bits.
std::vector<float> values_of_ranks(std::span<const float> values,
                                   const std::vector<std::size_t>& ranks) {
    struct Target {
        std::uint32_t prefix = 0;  // known leading bits of the key
        std::size_t rank = 0;      // rank among the values with that prefix
    };
    std::vector<Target> targets;
    targets.reserve(ranks.size());
    for (const std::size_t r : ranks) {
        targets.push_back({0, r});
    }
    constexpr std::array<int, 3> kDigits{11, 11, 10};
    int known = 0;  // leading bits known so far
    for (const int digits : kDigits) {
        const int shift = 32 - known - digits;
        const std::size_t bins = std::size_t{1} << static_cast<unsigned>(digits);
        // The distinct prefixes still being narrowed (one count array each), in ascending
        // order, so those that share their top 11 bits are neighbours.
        std::vector<std::uint32_t> prefixes;
        prefixes.reserve(targets.size());
        for (const Target& t : targets) {
            prefixes.push_back(t.prefix);
        }
        std::sort(prefixes.begin(), prefixes.end());
        prefixes.erase(std::unique(prefixes.begin(), prefixes.end()), prefixes.end());
        const std::size_t groups = prefixes.size();
        // A key's top 11 bits -> the first group whose prefix starts with them (or none): most
        // values are turned away by this one lookup, the rest compare against a group or two.
        const int top_shift = std::max(known - 11, 0);
        const auto top_of = [&](std::uint32_t prefix) {
            return static_cast<std::size_t>(prefix >> static_cast<unsigned>(top_shift));
        };
        constexpr std::size_t kNoGroup = ~std::size_t{0};
        std::vector<std::size_t> first_group(std::size_t{1} << 11U, kNoGroup);
        for (std::size_t g = groups; g-- > 0;) {
            first_group[top_of(prefixes[g])] = g;
        }
        const auto counts = count_in_parallel(
            values.size(), groups * bins,
            [&](std::size_t begin, std::size_t end, std::vector<std::size_t>& c) {
                // Locals, not captures: the count stores could alias captured state, which the
                // compiler would then reload for every value.
                const float* const data = values.data();
                std::size_t* const count = c.data();
                const std::uint32_t* const group_prefix = prefixes.data();
                const std::size_t* const first = first_group.data();
                const std::size_t n_groups = groups;
                const auto lead_shift = static_cast<unsigned>(32 - known);
                const auto top = static_cast<unsigned>(top_shift);
                const auto digit_shift = static_cast<unsigned>(shift);
                const std::uint32_t digit_mask = static_cast<std::uint32_t>(bins) - 1U;
                const bool first_pass = known == 0;
                for (std::size_t i = begin; i < end; ++i) {
                    const auto bits = std::bit_cast<std::uint32_t>(data[i]);
                    if ((bits & 0x7F800000U) == 0x7F800000U) {
                        continue;  // inf or NaN
                    }
                    const std::uint32_t key = order_key(data[i]);
                    const std::size_t digit = (key >> digit_shift) & digit_mask;
                    if (first_pass) {
                        ++count[digit];  // one group, every value
                        continue;
                    }
                    const std::uint32_t lead = key >> lead_shift;
                    for (std::size_t g = first[lead >> top];
                         g < n_groups && (group_prefix[g] >> top) == (lead >> top); ++g) {
                        if (group_prefix[g] == lead) {
                            ++count[g * bins + digit];
                            break;
                        }
                    }
                }
            });
        for (Target& t : targets) {
            const auto g = static_cast<std::size_t>(
                std::find(prefixes.begin(), prefixes.end(), t.prefix) - prefixes.begin());
            std::size_t d = 0;
            while (t.rank >= counts[g * bins + d]) {
                t.rank -= counts[g * bins + d];
                ++d;
            }
            t.prefix = (t.prefix << static_cast<unsigned>(digits)) | static_cast<std::uint32_t>(d);
        }
        known += digits;
    }
    std::vector<float> out;
    out.reserve(targets.size());
    for (const Target& t : targets) {
        out.push_back(key_value(t.prefix));
    }
    return out;
}

/// The percentiles `qs` (fractions, 0..1) of the `finite` finite values of `values` (finite >
/// 0), interpolated linearly between the order statistics around q (finite - 1), as numpy does
/// by default.
std::vector<double> percentiles(std::span<const float> values, std::size_t finite,
                                std::span<const double> qs) {
    const auto n = static_cast<double>(finite);
    std::vector<std::size_t> ranks;
    for (const double q : qs) {
        const auto k = static_cast<std::size_t>(std::floor(q * (n - 1.0)));
        ranks.push_back(k);
        ranks.push_back(std::min(k + 1, finite - 1));
    }
    const std::vector<float> order = values_of_ranks(values, ranks);
    std::vector<double> result;
    for (std::size_t i = 0; i < qs.size(); ++i) {
        const double pos = qs[i] * (n - 1.0);
        const double frac = pos - std::floor(pos);
        const auto a = static_cast<double>(order[2 * i]);
        const auto b = static_cast<double>(order[2 * i + 1]);
        result.push_back(frac == 0.0 ? a : a + (b - a) * frac);
    }
    return result;
}

/// Sums of one piece of the first statistics pass.
struct PieceSums {
    std::size_t finite = 0;
    std::size_t zeros = 0;
    std::size_t negatives = 0;
    double sum = 0.0;
    float lo = std::numeric_limits<float>::infinity();
    float hi = -std::numeric_limits<float>::infinity();
};

}  // namespace

ChannelStats channel_stats(std::span<const float> values, StatsLevel level) {
    ChannelStats s;
    s.count = values.size();
    const std::size_t n_values = values.size();
    const std::size_t pieces = (n_values + kStatsPiece - 1) / kStatsPiece;
    std::vector<PieceSums> first(pieces);
    for_each_piece(n_values, [&](std::size_t begin, std::size_t end, std::size_t p) {
        PieceSums& ps = first[p];
        for (std::size_t i = begin; i < end; ++i) {
            const float v = values[i];
            if (!std::isfinite(v)) {
                continue;
            }
            ++ps.finite;
            ps.lo = std::min(ps.lo, v);
            ps.hi = std::max(ps.hi, v);
            ps.sum += static_cast<double>(v);
            ps.zeros += v == 0.0F ? 1U : 0U;
            ps.negatives += v < 0.0F ? 1U : 0U;
        }
    });
    PieceSums all;
    for (const PieceSums& ps : first) {
        all.finite += ps.finite;
        all.zeros += ps.zeros;
        all.negatives += ps.negatives;
        all.sum += ps.sum;
        all.lo = std::min(all.lo, ps.lo);
        all.hi = std::max(all.hi, ps.hi);
    }
    s.nonfinite = n_values - all.finite;
    s.entropy = s.p1 = s.p50 = s.p99 = kNaN;
    if (all.finite == 0) {
        s.min = s.max = s.mean = s.std = s.zero_fraction = s.negative_fraction = kNaN;
        return s;
    }
    const auto n = static_cast<double>(all.finite);
    const auto lo = static_cast<double>(all.lo);
    const auto hi = static_cast<double>(all.hi);
    s.min = lo;
    s.max = hi;
    s.mean = all.sum / n;
    s.zero_fraction = static_cast<double>(all.zeros) / n;
    s.negative_fraction = static_cast<double>(all.negatives) / n;
    std::vector<double> squares(pieces, 0.0);
    for_each_piece(n_values, [&](std::size_t begin, std::size_t end, std::size_t p) {
        double sq = 0.0;
        for (std::size_t i = begin; i < end; ++i) {
            const float v = values[i];
            if (std::isfinite(v)) {
                const double d = static_cast<double>(v) - s.mean;
                sq += d * d;
            }
        }
        squares[p] = sq;
    });
    double sq = 0.0;
    for (const double x : squares) {
        sq += x;
    }
    s.std = std::sqrt(sq / n);
    if (level != StatsLevel::full) {
        return s;
    }
    s.entropy = 0.0;
    if (hi > lo) {
        const auto hist = count_in_parallel(
            n_values, 256, [&](std::size_t begin, std::size_t end, std::vector<std::size_t>& c) {
                for (std::size_t i = begin; i < end; ++i) {
                    const float v = values[i];
                    if (std::isfinite(v)) {
                        ++c[static_cast<std::size_t>(std::min(
                            255.0, std::floor((static_cast<double>(v) - lo) / (hi - lo) * 256.0)))];
                    }
                }
            });
        for (const std::size_t c : hist) {
            if (c != 0) {
                const double p = static_cast<double>(c) / n;
                s.entropy -= p * std::log2(p);
            }
        }
    }
    const std::array<double, 3> qs{0.01, 0.50, 0.99};
    const std::vector<double> result = percentiles(values, all.finite, qs);
    s.p1 = result[0];
    s.p50 = result[1];
    s.p99 = result[2];
    return s;
}

std::optional<ValueRange> percentile_range(std::span<const float> values, double percent) {
    const auto finite = static_cast<std::size_t>(
        std::count_if(values.begin(), values.end(), [](float v) { return std::isfinite(v); }));
    if (finite == 0) {
        return std::nullopt;
    }
    // (100 - percent) / 100 rather than 1 - q: p99 is then the same double as channel_stats'.
    const std::array<double, 2> qs{percent / 100.0, (100.0 - percent) / 100.0};
    const std::vector<double> p = percentiles(values, finite, qs);
    return ValueRange{static_cast<float>(p[0]), static_cast<float>(p[1])};
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
}

}  // namespace

std::string csv_field(const std::string& s) {
    if (s.find_first_of(",\"\n\r") == std::string::npos) {
        return s;
    }
    std::string out = "\"";
    for (const char c : s) {
        out += c == '"' ? std::string("\"\"") : std::string(1, c);
    }
    return out + "\"";
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
    return dump(doc, 2) + "\n";
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
            const auto row = [&](const std::string& channel, const ChannelStats& s) {
                out += fmt::format(
                    "{},{},{},{},{},{},{},{},{},{},{},{:.6g},{:.6g},{:.3f},{},{},{},{},{},{},{},{},"
                    "{},{},"
                    "{},{},,{}\n",
                    input, status, st.index, csv_field(st.op), csv_field(st.stage), channel,
                    st.shape.channels, st.shape.height, st.shape.width, st.elements(), st.bytes(),
                    st.ratio_previous, st.ratio_input, st.milliseconds, s.count, s.nonfinite,
                    num(s.min), num(s.max), num(s.mean), num(s.std), num(s.zero_fraction),
                    num(s.negative_fraction), num(s.entropy), num(s.p1), num(s.p50), num(s.p99),
                    bytes);
            };
            if (st.channels.empty()) {  // --stats none: shape, sizes and time only
                out += fmt::format(
                    "{},{},{},{},{},all,{},{},{},{},{},{:.6g},{:.6g},{:.3f},,,,,,,,,,,,,,{}\n",
                    input, status, st.index, csv_field(st.op), csv_field(st.stage),
                    st.shape.channels, st.shape.height, st.shape.width, st.elements(), st.bytes(),
                    st.ratio_previous, st.ratio_input, st.milliseconds, bytes);
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
