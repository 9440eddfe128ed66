#pragma once
// `convpool ops`: the stages and their parameters as text, and as Markdown (docs/ops.md).

#include <string>

namespace convpool::cli {

/// `convpool ops [NAME]`: stages and their parameters, from the same declarations the parser uses.
[[nodiscard]] std::string ops_text(const std::string& name);

/// `convpool ops --markdown`: the reference of every stage (docs/ops.md), from the same
/// declarations as ops_text().
[[nodiscard]] std::string ops_markdown();

}  // namespace convpool::cli
