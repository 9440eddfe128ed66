// merge-reports' streaming reader and writer (report/merge.hpp) on reports in memory.
#include "convpool/core/error.hpp"
#include "convpool/report/merge.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <string>

using convpool::merge_reports;
using convpool::UsageError;

namespace {

/// A small report: entries for `indices`, each input named after its index.
std::string report(std::initializer_list<int> indices, const std::string& extra = "") {
    std::string images;
    for (const int i : indices) {
        images += (images.empty() ? "" : ",") +
                  nlohmann::json{{"index", i},
                                 {"input", "im" + std::to_string(i)},
                                 {"status", i % 2 == 0 ? "done" : "failed"},
                                 {"stages", nlohmann::json::array({{{"x", 1.5}}})}}
                      .dump();
    }
    return R"({"zz":[1,{"a":null}],"images":[)" + images +
           R"(],"pipeline":"relu","report_version":2,"stages":["relu"],)" +
           R"("input_list":{"inputs":4,"fnv1a":"0"},"aa":"first")" + extra + "}";
}

}  // namespace

TEST_CASE("merge_reports: the merged report is nlohmann's pretty dump of the whole merge") {
    const auto merged = merge_reports({report({3, 0}), report({1})},
                                      {"input,v\nim3,a\nim0,b\nim3,c", "input,v\nim1,\"x\n\"\n"});
    auto expected = nlohmann::json::parse(report({0, 1, 3}));
    expected["summary"] = {{"inputs", 3},  {"ok", 1},          {"done", 1},       {"failed", 2},
                           {"skipped", 0}, {"interrupted", 0}, {"not_started", 0}};
    CHECK(merged.json == expected.dump(2) + "\n");
    // Rows in index order, each input's rows together; a last row without a line break gets one.
    CHECK(merged.csv == "input,v\nim0,b\nim1,\"x\n\"\nim3,a\nim3,c\n");
    CHECK(merged.inputs == 3);
    CHECK(merged.failed == 2);
    CHECK(merged.list_size == 4);
}

TEST_CASE("merge_reports: hostile reports are one UsageError each") {
    const auto refused = [](const std::string& json, const std::string& text) {
        CAPTURE(json);
        try {
            (void)merge_reports({json}, {"input\n"});
            FAIL("accepted");
        } catch (const UsageError& e) {
            CHECK(std::string(e.what()).find(text) != std::string::npos);
        }
    };
    refused(std::string(100000, '[') + std::string(100000, ']'), "nests deeper than 64 levels");
    refused(report({0}, R"(,"deep":)" + std::string(70, '[') + std::string(70, ']')),
            "nests deeper than 64 levels");
    refused(report({0}).substr(0, 40), "not valid JSON");
    refused(report({0}) + "x", "not valid JSON");
    refused(R"({"images":[{"index":0,"input":"a","status":"done"} {}],"pipeline":"p"})",
            "expected ',' or ']'");
    refused(R"({"images":[{"index":-1,"input":"a","status":"done"}],"pipeline":"p",)"
            R"("report_version":2})",
            "images[0].index is not a non-negative integer");
    refused(R"({"images":[],"pipeline":"p","report_version":"2"})",
            "report_version is not an integer");
    refused(R"({"images":[],"images":[],"pipeline":"p","report_version":2})", "two images arrays");
    refused(R"({"images":{},"pipeline":"p","report_version":2})", "not a convpool report");
    refused("[]", "not a convpool report");
    refused("", "not a convpool report");
}

TEST_CASE("merge_reports: an input listed many times gets its CSV rows once") {
    const std::string json =
        R"({"images":[{"index":0,"input":"a","status":"done"},)"
        R"({"index":1,"input":"a","status":"done"}],"pipeline":"p","report_version":2})";
    const auto merged = merge_reports({json}, {"input\na,1\na,2\n"});
    CHECK(merged.csv == "input\na,1\na,2\n");
}
