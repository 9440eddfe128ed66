#pragma once
// Small helpers shared by the unit tests.

#include "convpool/core/tensor.hpp"
#include "convpool/pipeline/pipeline.hpp"

#include <string>
#include <vector>

namespace test {

/// A C×H×W tensor from values listed channel by channel, row by row.
inline convpool::Tensor tensor(int c, int h, int w, const std::vector<float>& values) {
    return convpool::Tensor(convpool::Shape{c, h, w}, values);
}

/// 1x4x4 holding 1..16 row by row: 2x2 max pooling gives 6 8 14 16.
inline convpool::Tensor ramp4x4() {
    return tensor(1, 4, 4, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16});
}

/// Output of the pipeline `text` on `in` (planned first, as the CLI does).
inline convpool::Tensor run(const std::string& text, const convpool::Tensor& in) {
    const convpool::Pipeline p(text);
    (void)p.plan(in.shape());
    return p.run(in, {});
}

/// The values of `t` as a vector, for CHECK(values(t) == std::vector<float>{...}).
inline std::vector<float> values(const convpool::Tensor& t) {
    return {t.data().begin(), t.data().end()};
}

}  // namespace test
