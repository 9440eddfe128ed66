// convpool against PyTorch: every case of tests/fixtures/torch_pool.json is one stage run on one
// small input, with the output torch.nn.functional produced (scripts/make_torch_fixtures.py).
// Max-like families must agree exactly (NaN where torch has NaN); the others within
// 1e-5 absolute + 1e-5 relative of torch's float64 result.
#include "convpool/core/tensor.hpp"
#include "convpool/pipeline/pipeline.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <array>
#include <cmath>
#include <cstddef>
#include <fstream>
#include <functional>
#include <limits>
#include <span>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace {

using nlohmann::json;

/// One fixture case.
struct TorchCase {
    std::string name;
    std::string family;
    std::string stage;
    convpool::Shape input_shape;
    std::vector<float> input;
    convpool::Shape output_shape;
    std::vector<float> output;
};

/// How a family's values are compared.
enum class Compare { exact, close };

/// Families the test cases below check; a case of any other family is a fixture error.
constexpr std::array<std::string_view, 7> kFamilies{"max",          "min",          "avg", "lp",
                                                    "adaptive-max", "adaptive-avg", "conv"};

float to_float(const json& value, const std::string& where) {
    if (value.is_number()) {
        return static_cast<float>(value.get<double>());
    }
    if (value.is_null()) {
        return std::numeric_limits<float>::quiet_NaN();
    }
    if (value.is_string()) {
        const auto& text = value.get_ref<const std::string&>();
        if (text == "nan") {
            return std::numeric_limits<float>::quiet_NaN();
        }
        if (text == "inf") {
            return std::numeric_limits<float>::infinity();
        }
        if (text == "-inf") {
            return -std::numeric_limits<float>::infinity();
        }
    }
    throw std::runtime_error(where + ": not a number: " + value.dump());
}

convpool::Shape to_shape(const json& value, const std::string& where) {
    if (!value.is_array() || value.size() != 3) {
        throw std::runtime_error(where + ": expected [C, H, W], got " + value.dump());
    }
    const convpool::Shape s{value[0].get<int>(), value[1].get<int>(), value[2].get<int>()};
    if (s.channels < 1 || s.height < 1 || s.width < 1) {
        throw std::runtime_error(where + ": empty shape " + value.dump());
    }
    return s;
}

std::vector<float> to_values(const json& value, const convpool::Shape& shape,
                             const std::string& where) {
    if (!value.is_array() || value.size() != shape.elements()) {
        throw std::runtime_error(where + ": expected " + std::to_string(shape.elements()) +
                                 " values");
    }
    std::vector<float> out;
    out.reserve(value.size());
    for (const json& v : value) {
        out.push_back(to_float(v, where));
    }
    return out;
}

std::vector<TorchCase> load_cases() {
    const std::string path = std::string(CONVPOOL_FIXTURE_DIR) + "/torch_pool.json";
    std::ifstream file(path);
    if (!file) {
        throw std::runtime_error("cannot open " + path +
                                 " (run /usr/bin/python3 scripts/make_torch_fixtures.py)");
    }
    const json doc = json::parse(file);
    std::vector<TorchCase> cases;
    for (const json& c : doc.at("cases")) {
        TorchCase t;
        t.name = c.at("name").get<std::string>();
        t.family = c.at("family").get<std::string>();
        t.stage = c.at("stage").get<std::string>();
        t.input_shape = to_shape(c.at("input_shape"), t.name + " input_shape");
        t.input = to_values(c.at("input"), t.input_shape, t.name + " input");
        t.output_shape = to_shape(c.at("output_shape"), t.name + " output_shape");
        t.output = to_values(c.at("output"), t.output_shape, t.name + " output");
        cases.push_back(std::move(t));
    }
    return cases;
}

/// Every case of the fixture file, read once.
const std::vector<TorchCase>& torch_cases() {
    static const std::vector<TorchCase> cases = load_cases();
    return cases;
}

std::string shape_text(const convpool::Shape& s) {
    return std::to_string(s.channels) + "x" + std::to_string(s.height) + "x" +
           std::to_string(s.width);
}

bool agree(float got, float want, Compare mode) {
    if (std::isnan(want) || std::isnan(got)) {
        return std::isnan(want) && std::isnan(got);
    }
    if (mode == Compare::exact || std::isinf(want) || std::isinf(got)) {
        return got == want;
    }
    const auto g = static_cast<double>(got);
    const auto w = static_cast<double>(want);
    return std::fabs(g - w) <= 1e-5 + 1e-5 * std::fabs(w);
}

/// "c,y,x: got G, torch W" for value `i` of a tensor of shape `s`.
std::string describe_value(std::size_t i, const convpool::Shape& s, float got, float want) {
    const std::size_t plane = s.plane();
    const auto width = static_cast<std::size_t>(s.width);
    std::ostringstream out;
    out.precision(9);
    out << "at c=" << i / plane << " y=" << (i % plane) / width << " x=" << i % width
        << ": convpool " << got << ", torch " << want;
    return out.str();
}

/// Runs every case of `family`; returns how many there were.
std::size_t check_family(std::string_view family, Compare mode) {
    std::size_t count = 0;
    for (const TorchCase& c : torch_cases()) {
        if (c.family != family) {
            continue;
        }
        ++count;
        const std::string& name = c.name;
        const std::string& stage = c.stage;
        CAPTURE(name);
        CAPTURE(stage);

        const convpool::Pipeline pipeline(stage);
        const std::vector<convpool::PlanStep> plan = pipeline.plan(c.input_shape);
        REQUIRE(plan.size() == 2);
        CHECK(shape_text(plan.back().shape) == shape_text(c.output_shape));

        const convpool::Tensor out =
            pipeline.run(convpool::Tensor(c.input_shape, c.input),
                         std::function<void(const convpool::StageResult&)>{});
        CHECK(shape_text(out.shape()) == shape_text(c.output_shape));
        if (out.shape() != c.output_shape) {
            continue;
        }

        const std::span<const float> got = out.data();
        std::size_t mismatches = 0;
        std::string first_mismatch;
        for (std::size_t i = 0; i < got.size(); ++i) {
            if (!agree(got[i], c.output[i], mode)) {
                if (mismatches == 0) {
                    first_mismatch = describe_value(i, c.output_shape, got[i], c.output[i]);
                }
                ++mismatches;
            }
        }
        CAPTURE(first_mismatch);
        CHECK(mismatches == 0);
    }
    return count;
}

}  // namespace

TEST_CASE("torch fixtures: the file is complete and every case belongs to a checked family") {
    const std::vector<TorchCase>& cases = torch_cases();
    CHECK(cases.size() >= 100);
    for (const TorchCase& c : cases) {
        const std::string& name = c.name;
        CAPTURE(name);
        bool known = false;
        for (const std::string_view family : kFamilies) {
            known = known || c.family == family;
        }
        CHECK(known);
    }
}

TEST_CASE("pool:max matches torch max_pool2d fixtures") {
    CHECK(check_family("max", Compare::exact) >= 30);
}

TEST_CASE("pool:min matches torch -max_pool2d(-x) fixtures") {
    CHECK(check_family("min", Compare::exact) >= 10);
}

TEST_CASE("pool:avg matches torch avg_pool2d fixtures") {
    CHECK(check_family("avg", Compare::close) >= 15);
}

TEST_CASE("pool:lp matches torch lp_pool2d fixtures") {
    CHECK(check_family("lp", Compare::close) >= 12);
}

TEST_CASE("pool:adaptive-max and pool:global-max match torch adaptive_max_pool2d fixtures") {
    CHECK(check_family("adaptive-max", Compare::exact) >= 10);
}

TEST_CASE("pool:adaptive-avg and pool:global-avg match torch adaptive_avg_pool2d fixtures") {
    CHECK(check_family("adaptive-avg", Compare::close) >= 10);
}

TEST_CASE("conv matches torch conv2d fixtures (depthwise, zero and F.pad borders)") {
    CHECK(check_family("conv", Compare::close) >= 15);
}
