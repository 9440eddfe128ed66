#pragma once
/// \file model.hpp
/// A network model that the `model` stage runs (an ONNX file), as an interface: its
/// implementation lives in io/ and in a plugin loaded only when a pipeline has a `model` stage,
/// so that core/, pipeline/ and ops/ never see the library that runs it.

#include "convpool/core/tensor.hpp"

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace convpool {

/// One layer of a model as its runtime runs it, for `convpool layers`.
struct ModelLayer {
    std::string name;        ///< the runtime's layer name (`onnx_node!/conv1/Conv`)
    std::string type;        ///< the runtime's layer type (`Convolution`)
    std::string node;        ///< the ONNX node name (`/conv1/Conv`), "" when none
    std::string tensors;     ///< the ONNX node's output tensor names, `, `-separated
    std::vector<int> shape;  ///< output shape, batch first (`1 8 16 16`)
};

/// A loaded model. Calls may come from several threads at once.
class Model {
public:
    Model() = default;
    Model(const Model&) = delete;
    Model& operator=(const Model&) = delete;
    Model(Model&&) = delete;
    Model& operator=(Model&&) = delete;
    virtual ~Model() = default;

    /// The layer whose output `name` means: a layer name, an ONNX node name or an ONNX tensor
    /// name; "" for the model's output. Throws UsageError naming the file when none matches.
    [[nodiscard]] virtual std::string resolve(std::string_view name) const = 0;
    /// The input shape the model declares (its batch left out); 0 for what it leaves open.
    [[nodiscard]] virtual Shape input_shape() const = 0;
    /// Every layer with its output shape for an input of shape `in`; throws ShapeError when
    /// the model refuses that input.
    [[nodiscard]] virtual std::vector<ModelLayer> layers(const Shape& in) const = 0;
    /// Shape of layer `layer`'s output (as resolve() names it; "" for the model's output) for
    /// input `in`, as a tensor: a 1-D output of K values is Kx1x1. Throws ShapeError.
    [[nodiscard]] virtual Shape output_shape(const Shape& in, const std::string& layer) const = 0;
    /// Runs the model on `in` up to `layer`, returning that layer's output.
    [[nodiscard]] virtual Tensor run(const Tensor& in, const std::string& layer) const = 0;
};

/// Loads the model at `path`; throws convpool::Error naming the file.
using ModelLoader = std::function<std::shared_ptr<const Model>(const std::string& path)>;

}  // namespace convpool
