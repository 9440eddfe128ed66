// Loading the PyTorch fixture files and checking a family of cases (see torch_fixtures.hpp).
#include "torch_fixtures.hpp"

#include "convpool/core/error.hpp"
#include "convpool/pipeline/pipeline.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <functional>
#include <limits>
#include <map>
#include <span>
#include <sstream>
#include <stdexcept>
#include <utility>

namespace torch_fixtures {
namespace {

using nlohmann::json;

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

std::vector<TorchCase> load_cases(const std::string& file) {
    const std::string path = std::string(CONVPOOL_FIXTURE_DIR) + "/" + file;
    std::ifstream in(path);
    if (!in) {
        throw std::runtime_error("cannot open " + path +
                                 " (run /usr/bin/python3 on its scripts/make_torch_fixtures*.py)");
    }
    const json doc = json::parse(in);
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
        if (c.contains("arrays")) {
            for (const auto& [key, a] : c.at("arrays").items()) {
                convpool::WeightsArray array;
                array.shape = a.at("shape").get<std::vector<std::size_t>>();
                for (const json& v : a.at("values")) {
                    array.values.push_back(to_float(v, t.name + " " + key));
                }
                t.arrays[key] = std::move(array);
            }
        }
        cases.push_back(std::move(t));
    }
    return cases;
}

std::string shape_text(const convpool::Shape& s) {
    return std::to_string(s.channels) + "x" + std::to_string(s.height) + "x" +
           std::to_string(s.width);
}

/// `scale` is max|torch| over the case (Compare::scaled only).
bool agree(float got, float want, Compare mode, double scale) {
    if (std::isnan(want) || std::isnan(got)) {
        return std::isnan(want) && std::isnan(got);
    }
    if (mode == Compare::exact || std::isinf(want) || std::isinf(got)) {
        return got == want;
    }
    const auto g = static_cast<double>(got);
    const auto w = static_cast<double>(want);
    if (mode == Compare::scaled) {
        return std::fabs(g - w) <= 1e-5 * scale + 1e-7;
    }
    if (mode == Compare::layer) {
        return std::fabs(g - w) <= 1e-4 * scale + 1e-6;
    }
    return std::fabs(g - w) <= 1e-5 + 1e-5 * std::fabs(w);
}

/// Largest finite |value|.
double max_abs(const std::vector<float>& values) {
    double m = 0.0;
    for (const float v : values) {
        if (std::isfinite(v)) {
            m = std::max(m, std::fabs(static_cast<double>(v)));
        }
    }
    return m;
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

}  // namespace

const std::vector<TorchCase>& cases(const std::string& file) {
    static std::map<std::string, std::vector<TorchCase>, std::less<>> loaded;
    auto it = loaded.find(file);
    if (it == loaded.end()) {
        it = loaded.emplace(file, load_cases(file)).first;
    }
    return it->second;
}

std::size_t check_family(const std::string& file, std::string_view family, Compare mode) {
    std::size_t count = 0;
    for (const TorchCase& c : cases(file)) {
        if (c.family != family) {
            continue;
        }
        ++count;
        const std::string& name = c.name;
        const std::string& stage = c.stage;
        CAPTURE(name);
        CAPTURE(stage);

        convpool::ParseContext context;
        const auto& arrays = c.arrays;
        context.load = [&arrays](const std::string& path, const std::string& /*key*/) {
            const auto it = arrays.find(path);
            if (it == arrays.end()) {
                throw convpool::InputError("no array '" + path + "' in the fixture");
            }
            return it->second;
        };
        const convpool::Pipeline pipeline(stage, convpool::Semantics::torch, "", context);
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
        const double scale = max_abs(c.output);
        double worst = 0.0;
        std::size_t mismatches = 0;
        std::string first_mismatch;
        for (std::size_t i = 0; i < got.size(); ++i) {
            worst = std::max(
                worst, std::fabs(static_cast<double>(got[i]) - static_cast<double>(c.output[i])));
            if (!agree(got[i], c.output[i], mode, scale)) {
                if (mismatches == 0) {
                    first_mismatch = describe_value(i, c.output_shape, got[i], c.output[i]);
                }
                ++mismatches;
            }
        }
        CAPTURE(first_mismatch);
        CAPTURE(worst);
        CAPTURE(scale);
        CHECK(mismatches == 0);
    }
    return count;
}

}  // namespace torch_fixtures
