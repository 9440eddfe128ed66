#pragma once
/// \file onnx_plugin.hpp
/// The interface between io/onnx_model.cpp and the plugin convpool-onnx.so, which runs ONNX
/// models with OpenCV's dnn module. The plugin is loaded with dlopen only when a pipeline has a
/// `model` stage, so that a start of convpool does not load libopencv_dnn and its libraries.
/// Both sides are built from this tree with the same compiler: plain C++ types cross the line,
/// and the plugin's errors are std::runtime_error.

#include <functional>
#include <string>
#include <vector>

namespace convpool::plugin {

/// One layer as OpenCV runs it.
struct OnnxLayer {
    std::string name;
    std::string type;
    std::vector<int> shape;  ///< output shape, batch first
};

/// A model read by OpenCV's dnn module. Not thread-safe: the caller serialises calls.
class OnnxNet {
public:
    OnnxNet() = default;
    OnnxNet(const OnnxNet&) = delete;
    OnnxNet& operator=(const OnnxNet&) = delete;
    OnnxNet(OnnxNet&&) = delete;
    OnnxNet& operator=(OnnxNet&&) = delete;
    virtual ~OnnxNet() = default;

    /// Every layer's name, in order (the input layer left out).
    [[nodiscard]] virtual std::vector<std::string> layer_names() const = 0;
    /// Every layer with its output shape for an input of shape `input` (NCHW).
    [[nodiscard]] virtual std::vector<OnnxLayer> layers(const std::vector<int>& input) = 0;
    /// The output shape of `layer` ("" for the model's output) for `input`.
    [[nodiscard]] virtual std::vector<int> output_shape(const std::vector<int>& input,
                                                        const std::string& layer) = 0;
    /// Runs the model on `data` (NCHW floats of shape `input`) up to `layer` ("" for the
    /// model's output), and writes the output's values where `output(shape)` says: the caller
    /// allocates the tensor they end up in, so they are copied once.
    virtual void forward(const std::vector<int>& input, const float* data, const std::string& layer,
                         const std::function<float*(const std::vector<int>& shape)>& output) = 0;
};

/// The plugin's entry point: the model at `path`, or null with `error` set.
using OpenFunction = OnnxNet* (*)(const char* path, std::string* error);

/// The name of the entry point the plugin exports.
inline constexpr const char* kOpenSymbol = "convpool_onnx_open";

}  // namespace convpool::plugin
