#pragma once
/// \file explain.hpp
/// `convpool explain`: a small input (at most 32x32) through a pipeline, every stage's values,
/// each output cell's window, winner and arithmetic, as the ops declare them (Op::windows,
/// Op::picks_input, switches, Op::arithmetic, Op::correlation); written as explain.json,
/// explain.svg, explain.html and explain.png.

#include "convpool/core/params.hpp"
#include "convpool/core/tensor.hpp"
#include "convpool/pipeline/pipeline.hpp"
#include "convpool/render/explain.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace convpool {

/// The largest input explain draws, each side.
inline constexpr int kExplainMaxSide = 32;

/// What `convpool explain` was asked to do.
struct ExplainRequest {
    std::string pipeline;  ///< pipeline text (after `-p @FILE` was read)
    std::string source;    ///< the file the pipeline came from, or ""
    ParseContext context;  ///< how `@FILE` weights are read
    Semantics semantics = Semantics::torch;
    std::string values;  ///< `--values`: a matrix, channels separated by `;;`, or `@FILE.npy`
    std::string image;   ///< IMAGE
    std::string crop;    ///< `--crop Y,X,HxW` of IMAGE
    std::string size;    ///< `--size HxW`: small random integers
    std::uint64_t seed = 0;
    std::string cell;   ///< `--cell Y,X`: the output cell written out; "" = the first
    std::string modes;  ///< `--modes max,avg`: the last pooling stage's mode, one panel each
    std::string out = "convpool-explain";
    bool force = false;
    double png_scale = 1.0;  ///< `--png-scale`: pixels of explain.png per px of the figure
};

/// `--values` text as a tensor: one matrix per channel, channels separated by `;;`. Throws
/// UsageError.
[[nodiscard]] Tensor parse_explain_values(std::string_view text);

/// The input a request names (values, a crop of an image, or random integers), checked to be at
/// most kExplainMaxSide a side. Throws UsageError, InputError.
[[nodiscard]] Tensor explain_input(const ExplainRequest& rq);

/// The explanation of `input` under the request's pipeline (one panel per mode). Throws
/// UsageError, ShapeError.
[[nodiscard]] Explanation explain(const Tensor& input, const ExplainRequest& rq,
                                  const std::string& input_name);

/// The explanation of `input` under a pipeline already built (run's HTML page: the explain view
/// of a small input), its first output cell written out. Throws ShapeError.
[[nodiscard]] Explanation explain_pipeline(const Pipeline& pipeline, const std::string& text,
                                           const Tensor& input, const std::string& input_name);

/// Runs the request and writes explain.json, .svg, .html, .png, .pdf (when the figure plugin
/// convpool-cairo.so is installed) and .gif into `rq.out` (refusing to overwrite them without
/// `force`); returns the names written.
std::vector<std::string> explain_command(const ExplainRequest& rq);

}  // namespace convpool
