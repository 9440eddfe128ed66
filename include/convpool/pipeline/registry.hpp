#pragma once
/// \file registry.hpp
/// The read-only table of every op, in `convpool ops` order.

#include "convpool/pipeline/op.hpp"

#include <string_view>
#include <vector>

namespace convpool {

/// Every op, in the order of CONVPOOL_OPS in src/CMakeLists.txt.
[[nodiscard]] const std::vector<const OpInfo*>& all_ops();

/// The op called `name`; throws UsageError listing the valid names and the closest one.
[[nodiscard]] const OpInfo& find_op(std::string_view name);

}  // namespace convpool
