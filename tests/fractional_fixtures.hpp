#pragma once
// Cases of tests/fixtures/torch_fractional.json
// (scripts/make_torch_fixtures_fractional.py): pool:fractional,variant=torch and pool:max,switches
// | unpool against PyTorch.

#include "convpool/core/tensor.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include "test_helpers.hpp"

namespace test {

struct FractionalCase {
    std::string name;
    std::string family;  ///< fractional or unpool
    std::string stage;
    convpool::Tensor input;
    convpool::Shape output_shape;
    std::vector<float> output;
    std::vector<long long> indices;  ///< unpool: torch's max_pool2d indices
};

inline convpool::Shape fixture_shape(const nlohmann::json& j) {
    return {j.at(0).get<int>(), j.at(1).get<int>(), j.at(2).get<int>()};
}

/// Every case, read once. Values are finite multiples of 1/32 (exact as text).
inline const std::vector<FractionalCase>& fractional_cases() {
    static const std::vector<FractionalCase> cases = [] {
        const std::string path = std::string(CONVPOOL_FIXTURE_DIR) + "/torch_fractional.json";
        std::ifstream file(path);
        if (!file) {
            throw std::runtime_error("cannot open " + path);
        }
        const nlohmann::json doc = nlohmann::json::parse(file);
        std::vector<FractionalCase> out;
        for (const auto& c : doc.at("cases")) {
            FractionalCase f;
            f.name = c.at("name").get<std::string>();
            f.family = c.at("family").get<std::string>();
            f.stage = c.at("stage").get<std::string>();
            f.input = convpool::Tensor(fixture_shape(c.at("input_shape")),
                                       c.at("input").get<std::vector<float>>());
            f.output_shape = fixture_shape(c.at("output_shape"));
            f.output = c.at("output").get<std::vector<float>>();
            if (c.contains("indices")) {
                f.indices = c.at("indices").get<std::vector<long long>>();
            }
            out.push_back(std::move(f));
        }
        return out;
    }();
    return cases;
}

/// Runs every case of `family` through its stage and checks shape and values exactly (torch and
/// convpool pick the same cells); `more` adds checks per case. Returns the number of cases.
inline int check_fractional_family(const std::string& family,
                                   const std::function<void(const FractionalCase&)>& more = {}) {
    int count = 0;
    for (const auto& c : fractional_cases()) {
        if (c.family != family) {
            continue;
        }
        ++count;
        CAPTURE(c.name);
        const auto out = run(c.stage, c.input);
        REQUIRE(out.shape() == c.output_shape);
        CHECK(values(out) == c.output);
        if (more) {
            more(c);
        }
    }
    return count;
}

}  // namespace test
