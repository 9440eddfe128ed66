// convpool against PyTorch: every case of tests/fixtures/torch_pool.json is one stage run on one
// small input, with the output torch.nn.functional produced (scripts/make_torch_fixtures.py).
// Max-like families must agree exactly (NaN where torch has NaN); the others within
// 1e-5 absolute + 1e-5 relative of torch's float64 result.
#include "convpool/core/tensor.hpp"
#include "convpool/pipeline/pipeline.hpp"

#include <doctest/doctest.h>

#include <array>
#include <string>
#include <string_view>
#include <vector>

#include "torch_fixtures.hpp"

namespace {

using torch_fixtures::Compare;
using torch_fixtures::TorchCase;

constexpr const char* kFile = "torch_pool.json";

/// Families the test cases below check; a case of any other family is a fixture error.
constexpr std::array<std::string_view, 7> kFamilies{"max",          "min",          "avg", "lp",
                                                    "adaptive-max", "adaptive-avg", "conv"};

std::size_t check_family(std::string_view family, Compare mode) {
    return torch_fixtures::check_family(kFile, family, mode);
}

/// Checks that `file` has at least `at_least` cases, each of one of `families`.
template <std::size_t N>
void check_families(const std::string& file, std::size_t at_least,
                    const std::array<std::string_view, N>& families) {
    const std::vector<TorchCase>& cases = torch_fixtures::cases(file);
    CHECK(cases.size() >= at_least);
    for (const TorchCase& c : cases) {
        const std::string& name = c.name;
        CAPTURE(name);
        bool known = false;
        for (const std::string_view family : families) {
            known = known || c.family == family;
        }
        CHECK(known);
    }
}

}  // namespace

TEST_CASE("torch fixtures: the file is complete and every case belongs to a checked family") {
    check_families(kFile, 100, kFamilies);
}

TEST_CASE("pool:max matches torch max_pool2d fixtures") {
    CHECK(check_family("max", Compare::exact) >= 30);
}

TEST_CASE("pool:min matches torch -max_pool2d(-x) fixtures") {
    CHECK(check_family("min", Compare::exact) >= 10);
}

TEST_CASE("pool:avg matches torch avg_pool2d fixtures") {
    CHECK(check_family("avg", Compare::exact) >= 15);
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

TEST_CASE("torch modern fixtures: every case belongs to a family that tests/ops checks") {
    constexpr std::array<std::string_view, 7> kModern{"blur",  "maxblur", "soft", "gem",
                                                      "mixed", "median",  "spp"};
    check_families("torch_modern.json", 50, kModern);
}
