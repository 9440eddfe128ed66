// Statistics and report writers.
#include "convpool/core/parallel.hpp"
#include "convpool/core/text.hpp"
#include "convpool/report/report.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <iterator>
#include <limits>
#include <utility>

using convpool::channel_stats;

TEST_CASE("channel_stats: hand-checked values") {
    const std::vector<float> v{-1, 0, 0, 1, 2, 4};
    const auto s = channel_stats(v);
    CHECK(s.count == 6);
    CHECK(s.nonfinite == 0);
    CHECK(s.min == -1);
    CHECK(s.max == 4);
    CHECK(s.mean == doctest::Approx(1.0));
    // population variance: (4 + 1 + 1 + 0 + 1 + 9) / 6 = 16/6
    CHECK(s.std == doctest::Approx(std::sqrt(16.0 / 6.0)));
    CHECK(s.zero_fraction == doctest::Approx(2.0 / 6.0));
    CHECK(s.negative_fraction == doctest::Approx(1.0 / 6.0));
    // numpy.percentile(v, 50) = 0.5; p1 = -1 + 0.05*1 = -0.95; p99 = 2 + 0.95*2 = 3.9
    CHECK(s.p50 == doctest::Approx(0.5));
    CHECK(s.p1 == doctest::Approx(-0.95));
    CHECK(s.p99 == doctest::Approx(3.9));
}

TEST_CASE("channel_stats: entropy of a 256-bin histogram") {
    // Two equally common values land in the first and last bin: 1 bit.
    CHECK(channel_stats(std::vector<float>{0, 1, 0, 1}).entropy == doctest::Approx(1.0));
    // Four distinct, evenly spread values: 2 bits.
    CHECK(channel_stats(std::vector<float>{0, 1, 2, 3}).entropy == doctest::Approx(2.0));
    // A constant map has no information and no division by zero.
    const auto c = channel_stats(std::vector<float>{5, 5, 5});
    CHECK(c.entropy == 0.0);
    CHECK(c.std == 0.0);
}

TEST_CASE("channel_stats: non-finite values are counted and left out") {
    const float nan = std::numeric_limits<float>::quiet_NaN();
    const float inf = std::numeric_limits<float>::infinity();
    const auto s = channel_stats(std::vector<float>{nan, 1, inf, 3});
    CHECK(s.nonfinite == 2);
    CHECK(s.mean == doctest::Approx(2.0));
    const auto none = channel_stats(std::vector<float>{nan, nan});
    CHECK(std::isnan(none.mean));
}

TEST_CASE("percentile_range: 100 values 0..99 and two outliers give [0.01, 98.99]") {
    // Sorted: -1000, 0, 1, ..., 99, 5000 (102 values, numpy's linear interpolation).
    // p1: position 0.01 * 101 = 1.01, between 0 and 1: 0.01.
    // p99: position 0.99 * 101 = 99.99, between 98 and 99: 98.99. The outliers fall outside.
    std::vector<float> v{5000.0F};
    for (int i = 99; i >= 0; --i) {
        v.push_back(static_cast<float>(i));
    }
    v.push_back(-1000.0F);
    const auto r = convpool::percentile_range(v, 1.0);
    REQUIRE(r);
    CHECK(r->lo == doctest::Approx(0.01));
    CHECK(r->hi == doctest::Approx(98.99));
    // Non-finite values are left out, wherever they stand.
    const float nan = std::numeric_limits<float>::quiet_NaN();
    const float inf = std::numeric_limits<float>::infinity();
    std::vector<float> dirty{nan, inf};
    dirty.insert(dirty.end(), v.begin(), v.end());
    dirty.insert(dirty.end(), {-inf, nan});
    const auto d = convpool::percentile_range(dirty, 1.0);
    REQUIRE(d);
    CHECK(d->lo == doctest::Approx(0.01));
    CHECK(d->hi == doctest::Approx(98.99));
    // The input is left as it was (the selection only counts).
    CHECK(v.front() == 5000.0F);
    CHECK(v.back() == -1000.0F);
}

TEST_CASE("percentile_range: the same percentiles as channel_stats, the median at 50") {
    const std::vector<float> v{4, -1, 2, 0, 1, 0};
    const auto s = channel_stats(v);
    const auto r = convpool::percentile_range(v, 1.0);
    REQUIRE(r);
    CHECK(r->lo == doctest::Approx(s.p1));
    CHECK(r->hi == doctest::Approx(s.p99));
    const auto median = convpool::percentile_range(v, 50.0);
    REQUIRE(median);
    CHECK(median->lo == doctest::Approx(0.5));
    CHECK(median->hi == doctest::Approx(0.5));
    const auto all = convpool::percentile_range(v, 0.0);
    REQUIRE(all);
    CHECK(all->lo == -1.0F);
    CHECK(all->hi == 4.0F);
}

TEST_CASE("percentile_range: unset when no value is finite or there is none") {
    const float nan = std::numeric_limits<float>::quiet_NaN();
    const float inf = std::numeric_limits<float>::infinity();
    CHECK_FALSE(convpool::percentile_range(std::vector<float>{nan, inf, -inf}, 1.0));
    CHECK_FALSE(convpool::percentile_range(std::vector<float>{}, 1.0));
    const auto one = convpool::percentile_range(std::vector<float>{nan, 7, inf}, 1.0);
    REQUIRE(one);
    CHECK(one->lo == 7.0F);
    CHECK(one->hi == 7.0F);
}

TEST_CASE("report_json: documented fields, NaN as null") {
    convpool::RunReport r;
    r.pipeline = "relu";
    r.stages = {"relu"};
    convpool::ImageReport img;
    img.input = "a.png";
    img.status = convpool::ImageStatus::done;
    img.output_dir = "out/a";
    convpool::StageReport st;
    st.index = 0;
    st.op = "input";
    st.stage = "input";
    st.shape = {1, 2, 3};
    st.overall = channel_stats(std::vector<float>{std::numeric_limits<float>::quiet_NaN()});
    st.channels = {st.overall};
    img.stages = {st};
    r.images = {img};
    convpool::ImageReport bad;
    bad.input = "b.png";
    bad.error = "not an image";
    r.images.push_back(bad);
    const auto j = nlohmann::json::parse(convpool::report_json(r));
    CHECK(j["summary"]["inputs"] == 2);
    CHECK(j["summary"]["failed"] == 1);
    const auto& s0 = j["images"][0]["stages"][0];
    CHECK(s0["shape"] == nlohmann::json::array({1, 2, 3}));
    CHECK(s0["elements"] == 6);
    CHECK(s0["bytes"] == 24);
    CHECK(s0["stats"]["mean"].is_null());
    CHECK(s0["stats"]["nonfinite"] == 1);
    CHECK(j["images"][1]["status"] == "failed");
    CHECK(j["images"][1]["error"] == "not an image");
    const std::string csv = convpool::report_csv(r);
    CHECK(csv.find("b.png,failed,") != std::string::npos);
    CHECK(csv.rfind("input,status,stage_index,op,stage,channel,", 0) == 0);
}

namespace {
/// numpy.percentile's default (linear) from a full sort: the reference for channel_stats.
double sorted_percentile(std::vector<float> finite, double q) {
    std::sort(finite.begin(), finite.end());
    const double pos = q * static_cast<double>(finite.size() - 1);
    const auto k = static_cast<std::size_t>(std::floor(pos));
    const double frac = pos - std::floor(pos);
    const auto a = static_cast<double>(finite[k]);
    if (frac == 0.0 || k + 1 >= finite.size()) {
        return a;
    }
    return a + (static_cast<double>(finite[k + 1]) - a) * frac;
}
}  // namespace

namespace {
/// Two statistics of the same values computed on different thread counts: the same bits (the
/// pieces, not the threads, fix the order of every sum).
void check_same_bits(const convpool::ChannelStats& a, const convpool::ChannelStats& b) {
    CHECK(a.mean == b.mean);
    CHECK(a.std == b.std);
    CHECK(a.entropy == b.entropy);
    CHECK(a.p1 == b.p1);
    CHECK(a.p50 == b.p50);
    CHECK(a.p99 == b.p99);
}
}  // namespace

TEST_CASE("channel_stats: percentiles equal a full sort's on many distributions") {
    std::uint64_t state = 7;
    const auto next = [&state] {
        state = state * 6364136223846793005ULL + 1442695040888963407ULL;
        return static_cast<double>(state >> 11U) / 9007199254740992.0;  // [0, 1)
    };
    const float nan = std::numeric_limits<float>::quiet_NaN();
    const float inf = std::numeric_limits<float>::infinity();
    for (const std::size_t n : {1U, 2U, 3U, 99U, 100U, 101U, 4097U, 200003U}) {
        for (int kind = 0; kind < 7; ++kind) {
            std::vector<float> v(n);
            for (auto& x : v) {
                const double u = next();
                switch (kind) {
                    case 0:
                        x = static_cast<float>(u);
                        break;  // uniform
                    case 1:
                        x = static_cast<float>(u * 2.0 - 1.0);
                        break;  // signed
                    case 2:
                        x = u < 0.6 ? 0.0F : static_cast<float>(u);
                        break;  // relu-like ties
                    case 3:
                        x = static_cast<float>(std::floor(u * 5.0) - 2.0);
                        break;  // 5 levels
                    case 4:
                        x = u < 0.5 ? -0.0F : 0.0F;
                        break;  // signed zeros
                    case 5:
                        // Every value in one group of order keys, many in each of its sub-bins:
                        // at 200003 values, too many to collect, so the last 10 bits are found
                        // by a third pass.
                        x = static_cast<float>(0.5 + 0.125 * u);
                        break;
                    default:
                        x = u < 0.1 ? nan
                                    : (u < 0.15 ? -inf : static_cast<float>(1e30 * (u - 0.5)));
                }
            }
            std::vector<float> finite;
            std::copy_if(v.begin(), v.end(), std::back_inserter(finite),
                         [](float x) { return std::isfinite(x); });
            CAPTURE(n);
            CAPTURE(kind);
            const auto s = channel_stats(v);
            if (finite.empty()) {
                CHECK(std::isnan(s.p50));
                continue;
            }
            CHECK(s.p1 == sorted_percentile(finite, 0.01));
            CHECK(s.p50 == sorted_percentile(finite, 0.50));
            CHECK(s.p99 == sorted_percentile(finite, 0.99));
            CHECK(s.min == static_cast<double>(*std::min_element(finite.begin(), finite.end())));
        }
    }
}

TEST_CASE(
    "channel_stats: the same numbers with 1 and 2 threads; basic leaves out the extra passes") {
    std::vector<float> v(300001);
    for (std::size_t i = 0; i < v.size(); ++i) {
        v[i] = static_cast<float>(std::sin(static_cast<double>(i) * 0.001) * 3.0 +
                                  1e-3 * static_cast<double>(i % 7));
    }
    convpool::set_thread_count(1);
    const auto one = channel_stats(v);
    convpool::set_thread_count(2);
    const auto two = channel_stats(v);
    const auto basic = channel_stats(v, convpool::StatsLevel::basic);
    convpool::set_thread_count(0);
    check_same_bits(one, two);
    CHECK(basic.mean == one.mean);
    CHECK(basic.std == one.std);
    CHECK(basic.min == one.min);
    CHECK(std::isnan(basic.p50));
    CHECK(std::isnan(basic.entropy));
}

TEST_CASE("report: --stats none leaves stats null in JSON, empty in CSV and '-' in the table") {
    convpool::RunReport r;
    r.pipeline = "relu";
    r.stats = convpool::StatsLevel::none;
    convpool::ImageReport img;
    img.input = "a.png";
    img.status = convpool::ImageStatus::done;
    convpool::StageReport st;
    st.op = "input";
    st.stage = "input";
    st.shape = {1, 2, 3};
    img.stages = {st};
    r.images = {img};
    const auto j = nlohmann::json::parse(convpool::report_json(r));
    CHECK(j["stats"] == "none");
    CHECK(j["images"][0]["stages"][0]["stats"].is_null());
    CHECK(j["images"][0]["stages"][0]["channels"].empty());
    const std::string csv = convpool::report_csv(r);
    CHECK(csv.find("\na.png,done,0,input,input,all,1,2,3,6,24,1,1,0.000,,,,,,,,,,,,,,\n") !=
          std::string::npos);
    const std::string table = convpool::report_table(r);
    CHECK(table.find("     -          -          -          -      -\n") != std::string::npos);
}

TEST_CASE("hostile names: control characters, CR and bytes that are not UTF-8") {
    using convpool::ImageReport;
    CHECK(convpool::csv_field("a\rb") == "\"a\rb\"");  // RFC 4180: CR quoted too
    CHECK(convpool::terminal_text("a\x1b]0;x\x07\r\nb\\") == "a\\x1b]0;x\\x07\\x0d\\x0ab\\x5c");
    CHECK(convpool::terminal_text("caf\xe9 \xc2\x9b \xc3\xa9") == "caf\\xe9 \\xc2\\x9b \xc3\xa9");
    CHECK(convpool::utf8_display("caf\xe9") == "caf\xef\xbf\xbd");
    CHECK(convpool::is_valid_utf8("\xed\xa0\x80") == false);  // a surrogate
    CHECK(convpool::is_valid_utf8("\xc0\xaf") == false);      // overlong
    CHECK(convpool::base64("caf\xe9.png") == "Y2Fm6S5wbmc=");
    CHECK(convpool::base64("ab") == "YWI=");

    convpool::RunReport report;
    ImageReport latin;
    latin.input = "caf\xe9.png";
    latin.error = "caf\xe9.png: not an image";
    ImageReport forged;
    forged.input = "x\nconvpool: error: forged\r\x1b[2J.png";
    forged.error = "no such file";
    report.images = {latin, forged};
    // A Latin-1 name made nlohmann::json throw and the whole report was lost.
    std::string json;
    REQUIRE_NOTHROW(json = convpool::report_json(report));
    const auto doc = nlohmann::json::parse(json);
    CHECK(doc["images"][0]["input"] == "caf\xef\xbf\xbd.png");
    CHECK(doc["images"][0]["input_bytes"] == "Y2Fm6S5wbmc=");
    CHECK_FALSE(doc["images"][1].contains("input_bytes"));
    CHECK(doc["images"][1]["input"] == forged.input);
    CHECK_NOTHROW((void)convpool::image_json_line(latin));
    const std::string table = convpool::report_table(report);
    CHECK(table.find('\x1b') == std::string::npos);
    CHECK(table.find('\r') == std::string::npos);
    CHECK(table.find("\nconvpool: error") == std::string::npos);
    const std::string csv = convpool::report_csv(report);
    CHECK(csv.find("caf\xe9") == std::string::npos);
    CHECK(csv.find(",Y2Fm6S5wbmc=\n") != std::string::npos);
    CHECK(csv.find("\"x\nconvpool: error: forged\r\x1b[2J.png\"") != std::string::npos);
}

namespace {

/// The entropy of a 256-bin histogram over [min, max] of the finite values, written plainly.
double naive_entropy(const std::vector<float>& finite) {
    const auto [lo_it, hi_it] = std::minmax_element(finite.begin(), finite.end());
    const auto lo = static_cast<double>(*lo_it);
    const auto hi = static_cast<double>(*hi_it);
    if (!(hi > lo)) {
        return 0.0;
    }
    std::vector<double> bins(256, 0.0);
    for (const float x : finite) {
        const double b = std::floor((static_cast<double>(x) - lo) / (hi - lo) * 256.0);
        bins[static_cast<std::size_t>(std::min(255.0, b))] += 1.0;
    }
    double e = 0.0;
    for (const double c : bins) {
        if (c > 0) {
            const double p = c / static_cast<double>(finite.size());
            e -= p * std::log2(p);
        }
    }
    return e;
}

/// Every field of `s` against a plain computation over `values`.
void check_against_plain(const convpool::ChannelStats& s, const std::vector<float>& values) {
    std::vector<float> finite;
    std::copy_if(values.begin(), values.end(), std::back_inserter(finite),
                 [](float x) { return std::isfinite(x); });
    CHECK(s.count == values.size());
    CHECK(s.nonfinite == values.size() - finite.size());
    REQUIRE_FALSE(finite.empty());
    double sum = 0.0;
    for (const float x : finite) {
        sum += static_cast<double>(x);
    }
    const double mean = sum / static_cast<double>(finite.size());
    double sq = 0.0;
    for (const float x : finite) {
        sq += (static_cast<double>(x) - mean) * (static_cast<double>(x) - mean);
    }
    // A plain running sum of a million values is itself off by up to about n * 2^-53.
    CHECK(s.mean == doctest::Approx(mean).epsilon(1e-9));
    CHECK(s.std ==
          doctest::Approx(std::sqrt(sq / static_cast<double>(finite.size()))).epsilon(1e-9));
    CHECK(s.min == static_cast<double>(*std::min_element(finite.begin(), finite.end())));
    CHECK(s.max == static_cast<double>(*std::max_element(finite.begin(), finite.end())));
    const auto share = [&](auto pred) {
        return static_cast<double>(std::count_if(finite.begin(), finite.end(), pred)) /
               static_cast<double>(finite.size());
    };
    CHECK(s.zero_fraction == share([](float x) { return x == 0.0F; }));
    CHECK(s.negative_fraction == share([](float x) { return x < 0.0F; }));
    CHECK(s.entropy == doctest::Approx(naive_entropy(finite)).epsilon(1e-12));
    CHECK(s.p1 == sorted_percentile(finite, 0.01));
    CHECK(s.p50 == sorted_percentile(finite, 0.50));
    CHECK(s.p99 == sorted_percentile(finite, 0.99));
}

}  // namespace

TEST_CASE(
    "stage_stats: every channel and the whole stage equal a plain computation, on the "
    "three ways a percentile is found") {
    // 300000 values a channel: a group of keys over 65536 values is counted, not collected.
    constexpr std::size_t kPlane = 300000;
    std::uint64_t state = 11;
    const auto next = [&state] {
        state = state * 6364136223846793005ULL + 1442695040888963407ULL;
        return static_cast<double>(state >> 11U) / 9007199254740992.0;  // [0, 1)
    };
    const float nan = std::numeric_limits<float>::quiet_NaN();
    std::vector<float> v(4 * kPlane);
    for (std::size_t i = 0; i < kPlane; ++i) {
        const double u = next();
        // uniform over many groups: small groups, collected
        v[i] = static_cast<float>(u * 8.0 - 3.0);
        // 60 % zeros: one large group of one value, counted and decided by its sub-bin
        v[kPlane + i] = u < 0.6 ? 0.0F : static_cast<float>(u);
        // 838 distinct values in [1, 1.0001): one group and one sub-bin, finished by radix
        v[2 * kPlane + i] = static_cast<float>(1.0 + 1e-4 * next());
        // 8-bit levels with NaN: large groups, each sub-bin one level
        v[3 * kPlane + i] = u < 0.05 ? nan : static_cast<float>(std::floor(u * 256.0) / 255.0);
    }
    const auto stats = convpool::stage_stats(v, 4);
    REQUIRE(stats.channels.size() == 4);
    for (std::size_t c = 0; c < 4; ++c) {
        CAPTURE(c);
        check_against_plain(
            stats.channels[c],
            std::vector<float>(v.begin() + static_cast<std::ptrdiff_t>(c * kPlane),
                               v.begin() + static_cast<std::ptrdiff_t>((c + 1) * kPlane)));
    }
    check_against_plain(stats.overall, v);
    const auto h = convpool::value_histogram(v);
    CHECK(stats.histogram.lo == h.lo);
    CHECK(stats.histogram.hi == h.hi);
    CHECK(stats.histogram.counts == h.counts);
    // One channel: the same numbers as channel_stats of it.
    const auto one = convpool::stage_stats(std::span<const float>(v).first(kPlane), 1);
    CHECK(one.overall.p50 == stats.channels[0].p50);
    CHECK(one.overall.std == stats.channels[0].std);
}

TEST_CASE("stage_stats: the same bits with 1 and 2 threads, several channels") {
    std::vector<float> v(std::size_t{3} * 200001);
    for (std::size_t i = 0; i < v.size(); ++i) {
        v[i] = static_cast<float>(std::sin(static_cast<double>(i) * 0.0007) * 2.0 +
                                  1e-3 * static_cast<double>(i % 11));
    }
    convpool::set_thread_count(1);
    const auto one = convpool::stage_stats(v, 3);
    convpool::set_thread_count(2);
    const auto two = convpool::stage_stats(v, 3);
    convpool::set_thread_count(0);
    for (std::size_t c = 0; c <= 3; ++c) {
        const auto& a = c < 3 ? one.channels[c] : one.overall;
        const auto& b = c < 3 ? two.channels[c] : two.overall;
        CAPTURE(c);
        check_same_bits(a, b);
    }
    CHECK(one.histogram.counts == two.histogram.counts);
}

TEST_CASE("stage_stats: values on the entropy bins' edges fall in the bins of the definition") {
    // Values on the edges (and one float either side) must land where floor((v - lo) / (hi -
    // lo) * 256) puts them, so the entropy equals the plain one bit for bit.
    for (const auto& range : std::vector<std::pair<float, float>>{{0.0F, 1.0F},
                                                                  {-0.3F, 0.7F},
                                                                  {-1.7F, 3.1F},
                                                                  {1e-3F, 7e-3F},
                                                                  {-255.0F, 1020.0F},
                                                                  {655.4052F, 655.8139F},
                                                                  {-704.15594F, -700.5534F},
                                                                  {382.67407F, 382.72614F}}) {
        const float lo = range.first;
        const float hi = range.second;
        CAPTURE(lo);
        CAPTURE(hi);
        std::vector<float> v{lo, hi};
        const double w = static_cast<double>(hi) - static_cast<double>(lo);
        for (int k = 1; k < 256; ++k) {
            const auto edge =
                static_cast<float>(static_cast<double>(lo) + w * static_cast<double>(k) / 256.0);
            for (const float x : {std::nextafter(edge, lo), edge, std::nextafter(edge, hi)}) {
                v.push_back(x);
            }
        }
        const auto s = convpool::stage_stats(v, 1).overall;
        CHECK(s.min == static_cast<double>(lo));
        CHECK(s.max == static_cast<double>(hi));
        CHECK(s.entropy == naive_entropy(v));
    }
}

namespace {
/// The same double, bit for bit (NaN included).
bool same_bits(double a, double b) {
    return std::bit_cast<std::uint64_t>(a) == std::bit_cast<std::uint64_t>(b);
}

/// Every field of two statistics of the same values, bit for bit.
void check_identical(const convpool::ChannelStats& a, const convpool::ChannelStats& b) {
    CHECK(a.count == b.count);
    CHECK(a.nonfinite == b.nonfinite);
    for (const auto field :
         {&convpool::ChannelStats::min, &convpool::ChannelStats::max, &convpool::ChannelStats::mean,
          &convpool::ChannelStats::std, &convpool::ChannelStats::zero_fraction,
          &convpool::ChannelStats::negative_fraction, &convpool::ChannelStats::entropy,
          &convpool::ChannelStats::p1, &convpool::ChannelStats::p50,
          &convpool::ChannelStats::p99}) {
        CHECK(same_bits(a.*field, b.*field));
    }
}

/// A stage of `channels` channels of `plane` values each, filled by `value(channel, index)`.
template <typename F>
std::vector<float> stage_of(std::size_t channels, std::size_t plane, const F& value) {
    std::vector<float> v(channels * plane);
    for (std::size_t c = 0; c < channels; ++c) {
        for (std::size_t i = 0; i < plane; ++i) {
            v[c * plane + i] = value(c, i);
        }
    }
    return v;
}
}  // namespace

TEST_CASE(
    "stage_stats: awkward stages (constant, tiny, NaN and inf, ties at the percentiles) equal a "
    "plain two-pass computation, with the same bits on 1 and 2 threads") {
    const float nan = std::numeric_limits<float>::quiet_NaN();
    const float inf = std::numeric_limits<float>::infinity();
    struct Case {
        const char* name;
        std::size_t channels;
        std::vector<float> values;
    };
    // 3 x 200003 values: more pieces than one thread takes, so that 2 threads split them.
    constexpr std::size_t kBig = 200003;
    const std::vector<Case> cases{
        {"constant", 3, std::vector<float>(3 * kBig, 2.5F)},
        {"one value a channel", 3, {-1.0F, 7.0F, 4.0F}},
        {"one value, not finite", 1, {nan}},
        {"a channel of NaN only", 2, {1.0F, 2.0F, 3.0F, nan, -inf, nan}},
        {"two values", 1, {0.25F, -0.5F}},
        {"ties at every percentile, NaN and inf", 3,
         stage_of(3, kBig,
                  [&](std::size_t c, std::size_t i) {
                      // c0: 99 % one value, so p1, p50 and p99 all fall in the tie; c1: five
                      // levels with +-inf and NaN between; c2: -0 and +0, then a few 1e30
                      if (c == 0) {
                          return i % 100 == 7 ? static_cast<float>(i) : 3.0F;
                      }
                      if (c == 1) {
                          return i % 13 == 0   ? nan
                                 : i % 17 == 0 ? (i % 2 == 0 ? inf : -inf)
                                               : static_cast<float>(i % 5) - 2.0F;
                      }
                      return i % 1000 == 1 ? 1e30F : (i % 2 == 0 ? -0.0F : 0.0F);
                  })},
        {"relu-like with a long tail", 1,
         stage_of(1, 3 * kBig, [](std::size_t /*c*/, std::size_t i) {
             return i % 3 == 0 ? 0.0F
                               : std::ldexp(1.0F + static_cast<float>(i % 97) / 97.0F,
                                            static_cast<int>(i % 23) - 11);
         })}};
    for (const Case& k : cases) {
        CAPTURE(k.name);
        convpool::set_thread_count(1);
        const auto one = convpool::stage_stats(k.values, static_cast<int>(k.channels));
        convpool::set_thread_count(2);
        const auto two = convpool::stage_stats(k.values, static_cast<int>(k.channels));
        convpool::set_thread_count(0);
        REQUIRE(one.channels.size() == k.channels);
        const std::size_t plane = k.values.size() / k.channels;
        for (std::size_t c = 0; c <= k.channels; ++c) {
            CAPTURE(c);
            const bool whole = c == k.channels;
            const auto& s = whole ? one.overall : one.channels[c];
            check_identical(s, whole ? two.overall : two.channels[c]);
            const std::vector<float> values =
                whole ? k.values
                      : std::vector<float>(
                            k.values.begin() + static_cast<std::ptrdiff_t>(c * plane),
                            k.values.begin() + static_cast<std::ptrdiff_t>((c + 1) * plane));
            if (std::none_of(values.begin(), values.end(),
                             [](float x) { return std::isfinite(x); })) {
                CHECK(s.count == values.size());
                CHECK(s.nonfinite == values.size());
                for (const double x : {s.min, s.max, s.mean, s.std, s.p1, s.p50, s.p99}) {
                    CHECK(std::isnan(x));
                }
                continue;
            }
            check_against_plain(s, values);
        }
        const auto h = convpool::value_histogram(k.values);
        CHECK(one.histogram.lo == h.lo);
        CHECK(one.histogram.hi == h.hi);
        CHECK(one.histogram.counts == h.counts);
        CHECK(two.histogram.counts == h.counts);
    }
}
