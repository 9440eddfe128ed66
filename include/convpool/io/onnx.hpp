#pragma once
/// \file onnx.hpp
/// The graph of an ONNX model file (nodes, their names, types and tensors; the graph's input
/// and output), read from its protobuf encoding without a protobuf library, and checked before
/// the runtime sees the file: a file that is not an ONNX model, or that declares more values
/// than convpool reads, is refused here. The `model` stage's loader (ParseContext::load_model).

#include "convpool/core/model.hpp"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace convpool {

/// The largest model file read: 256 MiB.
inline constexpr std::size_t kMaxModelBytes = std::size_t{256} << 20U;
/// The most values one tensor of a model may declare (its weights): 2^26 (256 MiB of floats).
inline constexpr std::int64_t kMaxModelTensorValues = std::int64_t{1} << 26;

/// One node of an ONNX graph.
struct OnnxNode {
    std::string name;
    std::string op_type;
    std::vector<std::string> outputs;  ///< its output tensor names
};

/// What convpool reads of an ONNX model.
struct OnnxGraph {
    std::vector<OnnxNode> nodes;
    std::string input;                      ///< the first graph input that is not a weight
    std::vector<std::int64_t> input_shape;  ///< its declared dimensions (0 for a symbolic one)
    std::vector<std::string> outputs;       ///< the graph's output tensor names
    std::int64_t opset = 0;                 ///< the default domain's opset version
};

/// Reads an ONNX model's graph. Throws InputError ("not an ONNX model: ...") for bytes that are
/// not a model's protobuf encoding, a model without nodes or input, or a weight that declares
/// more than kMaxModelTensorValues values or a negative dimension.
[[nodiscard]] OnnxGraph parse_onnx(std::span<const unsigned char> bytes);

/// Loads the model at `path` (at most kMaxModelBytes): its graph checked by parse_onnx, then the
/// runtime plugin (OpenCV dnn), loaded with dlopen on first use. Throws InputError naming the
/// file.
[[nodiscard]] std::shared_ptr<const Model> load_onnx_model(const std::string& path);

}  // namespace convpool
