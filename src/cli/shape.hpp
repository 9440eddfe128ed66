#pragma once
// `convpool shape`: every stage's output shape for an input size; `--size` as bench reads it too.

#include "convpool/pipeline/pipeline.hpp"

#include <cstddef>
#include <string>
#include <string_view>

namespace convpool::cli {

/// `convpool shape`: the plan as a table, with notes.
[[nodiscard]] std::string shape_text(const Pipeline& pipeline, const Shape& in, bool json,
                                     std::size_t max_elements);

/// `convpool shape --semantics all`: every stage's output shape under torch, tf, caffe and onnx
/// conventions side by side, flagging stages where they disagree. Where a semantics cannot fit
/// a stage the cell says `error` (later cells `-`) and the message follows the table. Throws
/// ShapeError when no semantics fits the whole pipeline.
[[nodiscard]] std::string semantics_comparison_text(std::string_view text, const Shape& in,
                                                    std::string_view source,
                                                    const ParseContext& context);

/// `--size`: N (1xNxN), HxW (one channel) or CxHxW.
[[nodiscard]] Shape parse_shape(const std::string& text);

/// `size` (from --size) checked as `run` checks an image: at most `max_pixels` pixels (H*W), at
/// most 4 values per allowed pixel (C*H*W). Throws UsageError.
[[nodiscard]] Shape checked_size(const Shape& size, std::size_t max_pixels);

}  // namespace convpool::cli
