// Statistics and report writers.
#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>

#include "convpool/report.hpp"

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

TEST_CASE("report_json: documented fields, NaN as null") {
    convpool::RunReport r;
    r.pipeline = "relu";
    r.stages = {"relu"};
    convpool::ImageReport img;
    img.input = "a.png";
    img.ok = true;
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
