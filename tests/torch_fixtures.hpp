#pragma once
// The PyTorch fixture files of tests/fixtures (scripts/make_torch_fixtures*.py): loading the
// cases and running every case of a family through convpool, value by value.

#include "convpool/core/params.hpp"
#include "convpool/core/tensor.hpp"

#include <cstddef>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace torch_fixtures {

/// One fixture case: one stage on one small input, with torch's output.
struct TorchCase {
    std::string name;
    std::string family;
    std::string stage;
    convpool::Shape input_shape;
    std::vector<float> input;
    convpool::Shape output_shape;
    std::vector<float> output;
    /// The weights files the stage names (`w.npy` for `@w.npy`), served to it by a loader.
    std::map<std::string, convpool::WeightsArray> arrays;
};

/// How a family's values are compared (NaN must meet NaN, infinities must be equal):
/// exact: bit for bit; close: within 1e-5 + 1e-5 |torch|; scaled: within
/// 1e-5 max|torch| + 1e-7, the maximum over the case's output; layer: within 1e-4 max|torch| +
/// 1e-6 (network layers: sums of many products, in float32).
enum class Compare { exact, close, scaled, layer };

/// Every case of `file` (a name in tests/fixtures), read once per file.
[[nodiscard]] const std::vector<TorchCase>& cases(const std::string& file);

/// Runs every case of `family` in `file` through convpool::Pipeline and checks the planned and
/// computed shapes and every value (doctest CHECKs); returns how many cases there were.
std::size_t check_family(const std::string& file, std::string_view family, Compare mode);

}  // namespace torch_fixtures
