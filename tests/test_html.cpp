#include "convpool/core/error.hpp"
#include "convpool/render/visualize.hpp"
#include "convpool/report/html.hpp"
#include "convpool/report/report.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

using convpool::value_histogram;

namespace {

/// A done image of `input` written to `dir`, with one 1x2x2 stage, the input.
convpool::ImageReport done_image(const std::string& input, const std::string& dir) {
    convpool::ImageReport img;
    img.input = input;
    img.output_dir = dir;
    img.status = convpool::ImageStatus::done;
    convpool::StageReport st;
    st.op = "input";
    st.stage = "input";
    st.shape = {1, 2, 2};
    img.stages.push_back(st);
    return img;
}

}  // namespace

TEST_CASE("value_histogram: counts finite values in equal bins, the maximum in the last") {
    const std::vector<float> v{0.0F,  0.1F, 0.5F,
                               0.99F, 1.0F, std::numeric_limits<float>::quiet_NaN()};
    const auto h = value_histogram(v, 4);
    CHECK(h.lo == 0.0);
    CHECK(h.hi == doctest::Approx(1.0));
    CHECK(h.counts == std::vector<std::size_t>{2, 0, 1, 2});
}

TEST_CASE("value_histogram: a constant puts everything in bin 0; no finite value gives no bins") {
    const std::vector<float> c{3.0F, 3.0F, 3.0F};
    CHECK(value_histogram(c, 8).counts == std::vector<std::size_t>{3, 0, 0, 0, 0, 0, 0, 0});
    const std::vector<float> none{std::numeric_limits<float>::infinity()};
    CHECK(value_histogram(none).counts.empty());
}

TEST_CASE("html_escape and url_path: text and file names cannot break the page") {
    CHECK(convpool::html_escape("<a href=\"x\">&'") == "&lt;a href=&quot;x&quot;&gt;&amp;&#39;");
    CHECK(convpool::url_path("my dir/a#1?.png") == "my%20dir/a%231%3F.png");
    CHECK(convpool::url_path("caf\xc3\xa9/x.png") == "caf%C3%A9/x.png");
}

TEST_CASE("report_html: pictures relative to OUT, escaped text, a histogram, no script") {
    convpool::RunReport report;
    report.pipeline = "relu | pool:max,k=2 <b>";
    convpool::ImageReport img;
    img.input = "in/a&b.png";
    img.output_dir = "out/a&b";
    img.status = convpool::ImageStatus::done;
    img.files = {"sheet.png"};
    convpool::StageReport st;
    st.op = "input";
    st.stage = "input";
    st.shape = {1, 2, 2};
    st.files = {"00_input.png"};
    const std::vector<float> values{0.0F, 1.0F, 2.0F, 3.0F};
    st.histogram = value_histogram(values);
    img.stages.push_back(st);
    report.images.push_back(img);
    const std::string page = convpool::report_html(report, "out");
    CHECK(page.find("src=\"a%26b/sheet.png\"") != std::string::npos);
    CHECK(page.find("src=\"a%26b/00_input.png\"") != std::string::npos);
    CHECK(page.find("pool:max,k=2 &lt;b&gt;") != std::string::npos);
    CHECK(page.find("<b>") == std::string::npos);
    CHECK(page.find("<svg") != std::string::npos);
    CHECK(page.find("<script") == std::string::npos);
    CHECK(page.find("http://") ==
          page.find("http://www.w3.org/2000/svg"));  // only the SVG namespace
    CHECK(page.find("https://") == std::string::npos);
    // One image: no index of thumbnails.
    CHECK(page.find("<nav>") == std::string::npos);
    report.images.push_back(img);
    CHECK(convpool::report_html(report, "out").find("<nav>") != std::string::npos);
}

TEST_CASE(
    "report_html: an image's html_view under its flow of shapes, the view style in the head") {
    convpool::RunReport report;
    report.pipeline = "pool:max,k=2";
    convpool::ImageReport img = done_image("a.npy", "out/a");
    img.html_view = "<div class=\"explain-view\">VIEW</div>";
    report.images.push_back(img);
    const std::string page = convpool::report_html(report, "out", ".explain-view { x: y; }");
    const auto style = page.find(".explain-view { x: y; }");
    const auto head_end = page.find("</head>");
    CHECK(style < head_end);
    const auto flow = page.find("class=\"flow\"");
    const auto view = page.find("<div class=\"explain-view\">VIEW</div>");
    CHECK(flow > head_end);
    CHECK(view > flow);
    CHECK(view < page.find("<table"));
    img.html_view.clear();
    report.images = {img};
    CHECK(convpool::report_html(report, "out").find("Windows and arithmetic") == std::string::npos);
}

TEST_CASE("parse_colormap: OpenCV's names and gray; an unknown name lists the valid ones") {
    CHECK(convpool::parse_colormap("turbo") == convpool::ColorMap::turbo);
    CHECK(convpool::parse_colormap("gray") == convpool::ColorMap::gray);
    CHECK_THROWS_WITH_AS((void)convpool::parse_colormap("viridus"),
                         doctest::Contains("unknown colour map 'viridus' (valid: viridis, inferno"),
                         convpool::UsageError);
}

TEST_CASE("render_tensor: columns set the grid; global scale colours every map over one range") {
    std::vector<float> v(std::size_t{4} * 10 * 10, 0.5F);
    const convpool::Tensor t(convpool::Shape{4, 10, 10}, v);
    convpool::RenderOptions one_row;
    one_row.columns = 4;
    const auto wide = convpool::render_tensor(t, convpool::PictureKind::feature_maps, one_row);
    const auto square = convpool::render_tensor(t, convpool::PictureKind::feature_maps);
    CHECK(wide.width > 2 * wide.height);
    CHECK(square.width < 2 * square.height);
    // 0.5 over 0..1 (global) is mid-colour; over its own constant range it is drawn the same,
    // but against 0..10 it takes the low end of the map.
    convpool::RenderOptions global;
    global.scale = convpool::ColorScale::global;
    global.range = convpool::ValueRange{0.0F, 10.0F};
    global.colormap = convpool::ColorMap::gray;
    const auto low = convpool::render_tensor(t, convpool::PictureKind::feature_maps, global);
    global.range = convpool::ValueRange{0.0F, 1.0F};
    const auto mid = convpool::render_tensor(t, convpool::PictureKind::feature_maps, global);
    // A pixel inside channel 0's cell, below its 14-pixel label.
    const std::size_t centre = (20 * static_cast<std::size_t>(low.width) + 5) * 3;
    CHECK(low.rgb[centre] < 20);
    CHECK(mid.rgb[centre] == doctest::Approx(128).epsilon(0.02));
    CHECK(convpool::range_label(t, convpool::PictureKind::feature_maps, global) == "0..1 (global)");
}

TEST_CASE(
    "report_html: with --stats basic a stage says it has no histogram, not no finite values") {
    convpool::RunReport report;
    report.pipeline = "relu";
    report.stats = convpool::StatsLevel::basic;
    convpool::ImageReport img = done_image("a.png", "out/a");
    convpool::StageReport& st = img.stages.front();
    const std::vector<float> values{0.0F, 1.0F, 2.0F, 3.0F};
    st.overall = convpool::channel_stats(values, convpool::StatsLevel::basic);
    st.channels = {st.overall};
    report.images.push_back(img);
    const std::string page = convpool::report_html(report, "out");
    CHECK(page.find("no histogram (--stats basic)") != std::string::npos);
    CHECK(page.find("no finite values") == std::string::npos);
    CHECK(page.find(">nan<") == std::string::npos);  // entropy and percentiles: not computed
    CHECK(page.find("<td>&ndash;</td>") != std::string::npos);
    // A stage with no finite value at all still says so.
    const std::vector<float> nans{std::numeric_limits<float>::quiet_NaN()};
    report.images[0].stages[0].overall = convpool::channel_stats(nans);
    CHECK(convpool::report_html(report, "out").find("no finite values") != std::string::npos);
}
