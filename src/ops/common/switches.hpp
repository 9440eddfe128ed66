#pragma once
// Max pooling that records switches (where each maximum came from), shared by pool:max and
// pool:fractional. The window walk is ops/common/pooling's; this adds only the bookkeeping.

#include "convpool/pipeline/op.hpp"

#include <vector>

#include "ops/common/pooling.hpp"

namespace convpool::ops {

/// The `switches` flag of max pools (left out of descriptions while off).
[[nodiscard]] ParamSpec switches_spec();

/// Where each window's first tap lies (padding included), per output row and column.
struct WindowStarts {
    std::vector<int> rows;
    std::vector<int> cols;
};

/// Max pool of `in` over `rows` x `cols` (as reduce_windows with MaxReducer) that also fills
/// `switches`: winner indices, winning tap offsets inside windows of `window` taps starting at
/// `starts`, and the coverage of every input cell.
[[nodiscard]] Tensor max_with_switches(const Tensor& in, const AxisPlan& rows, const AxisPlan& cols,
                                       const WindowStarts& starts, Size2 window,
                                       Switches& switches);

/// How many windows of `plan` read each of the `in` cells of an axis.
[[nodiscard]] std::vector<int> axis_coverage_counts(int in, const AxisPlan& plan);

}  // namespace convpool::ops
