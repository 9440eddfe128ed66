// The `model` stage's loader: the ONNX file read and checked (io/onnx.cpp), then run by the
// plugin convpool-onnx.so (OpenCV dnn), loaded with dlopen on first use.
#include "convpool/core/error.hpp"
#include "convpool/io/onnx.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "io/plugin_loader.hpp"
#include "io/plugins/onnx_plugin.hpp"

namespace convpool {
namespace {

constexpr const char* kPluginFile = "convpool-onnx.so";
constexpr const char* kNodePrefix = "onnx_node!";

struct LoadedPlugin {
    plugin::OpenFunction open = nullptr;
    std::string error;
};

LoadedPlugin load_plugin() {
    const PluginSymbol found = load_plugin_symbol(kPluginFile, plugin::kOpenSymbol, "model");
    return {reinterpret_cast<plugin::OpenFunction>(found.symbol), found.error};
}

const LoadedPlugin& plugin_once() {
    static const LoadedPlugin loaded = load_plugin();
    return loaded;
}

std::vector<unsigned char> read_model_file(const std::string& path) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec)) {
        throw InputError(
            fmt::format("'{}': {}", path,
                        std::filesystem::exists(path, ec) ? "not a regular file" : "no such file"));
    }
    const auto size = std::filesystem::file_size(path, ec);
    if (ec || size > kMaxModelBytes) {
        throw InputError(fmt::format(
            "'{}': {}", path,
            ec ? ec.message() : fmt::format("larger than {} MiB", kMaxModelBytes >> 20U)));
    }
    std::ifstream in(path, std::ios::binary);
    std::vector<unsigned char> bytes(static_cast<std::size_t>(size));
    if (!in ||
        !in.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(size))) {
        throw InputError(fmt::format("'{}': cannot be read", path));
    }
    return bytes;
}

std::vector<int> nchw(const Shape& s) { return {1, s.channels, s.height, s.width}; }

/// A runtime output shape as a tensor's: the batch of 1 dropped, a 1-D output Kx1x1.
Shape tensor_shape(const std::vector<int>& shape, const std::string& what) {
    std::vector<int> dims = shape;
    if (dims.size() > 1 && dims.front() == 1) {
        dims.erase(dims.begin());
    }
    if (dims.empty() || dims.size() > 3 ||
        std::any_of(dims.begin(), dims.end(), [](int d) { return d < 1; })) {
        std::string text;
        for (const int d : shape) {
            text += fmt::format("{}{}", text.empty() ? "" : "x", d);
        }
        throw ShapeError(fmt::format("{}: output of shape {} is not a feature map", what, text));
    }
    dims.resize(3, 1);
    return {dims[0], dims[1], dims[2]};
}

/// Runs a call of the plugin, its errors as ShapeError naming the model file.
template <typename F>
[[nodiscard]] auto guarded(const std::string& path, F&& call) {
    try {
        return std::forward<F>(call)();
    } catch (const Error&) {
        throw;  // convpool's own (the output's shape), already one line
    } catch (const std::exception& e) {
        throw ShapeError(fmt::format("model: '{}': {}", path, e.what()));
    }
}

class OnnxModel final : public Model {
public:
    OnnxModel(std::string path, OnnxGraph graph, std::unique_ptr<plugin::OnnxNet> net)
        : m_path(std::move(path)),
          m_graph(std::move(graph)),
          m_net(std::move(net)),
          m_layers(m_net->layer_names()) {}

    [[nodiscard]] std::string resolve(std::string_view name) const override {
        if (name.empty() || has_layer(name)) {
            return std::string(name);
        }
        for (const OnnxNode& node : m_graph.nodes) {
            const bool named = node.name == name;
            const bool produces =
                std::find(node.outputs.begin(), node.outputs.end(), name) != node.outputs.end();
            if ((named || produces) && has_layer(kNodePrefix + node.name)) {
                return kNodePrefix + node.name;
            }
            if (produces && node.outputs.size() == 1 && has_layer(node.outputs.front())) {
                return node.outputs.front();
            }
        }
        throw UsageError(fmt::format(
            "model: output: '{}' is no layer, node or tensor of '{}' (convpool layers {} lists "
            "them)",
            name, m_path, m_path));
    }

    [[nodiscard]] Shape input_shape() const override {
        const auto& dims = m_graph.input_shape;
        const auto dim = [&dims](std::size_t i) {
            return dims.size() == 4 && dims[i] > 0 && dims[i] < (1 << 30)
                       ? static_cast<int>(dims[i])
                       : 0;
        };
        return {dim(1), dim(2), dim(3)};
    }

    [[nodiscard]] std::vector<ModelLayer> layers(const Shape& in) const override {
        std::vector<plugin::OnnxLayer> found;
        {
            const std::lock_guard<std::mutex> lock(m_mutex);
            found = guarded(m_path, [&] { return m_net->layers(nchw(in)); });
        }
        std::vector<ModelLayer> out;
        for (auto& layer : found) {
            ModelLayer l{layer.name, layer.type, {}, {}, std::move(layer.shape)};
            for (const OnnxNode& node : m_graph.nodes) {
                const bool mine = kNodePrefix + node.name == l.name ||
                                  (node.outputs.size() == 1 && node.outputs.front() == l.name);
                if (mine) {
                    l.node = node.name;
                    for (const auto& t : node.outputs) {
                        l.tensors += fmt::format("{}{}", l.tensors.empty() ? "" : ", ", t);
                    }
                    break;
                }
            }
            out.push_back(std::move(l));
        }
        return out;
    }

    [[nodiscard]] Shape output_shape(const Shape& in, const std::string& layer) const override {
        std::vector<int> shape;
        {
            const std::lock_guard<std::mutex> lock(m_mutex);
            shape = guarded(m_path, [&] { return m_net->output_shape(nchw(in), layer); });
        }
        return tensor_shape(shape, fmt::format("model: {}", layer.empty() ? m_path : layer));
    }

    [[nodiscard]] Tensor run(const Tensor& in, const std::string& layer) const override {
        Tensor out;
        const auto output = [&](const std::vector<int>& shape) {
            out = Tensor(
                tensor_shape(shape, fmt::format("model: {}", layer.empty() ? m_path : layer)),
                uninitialized);  // every value is copied in by the plugin
            return out.data().data();
        };
        const std::lock_guard<std::mutex> lock(m_mutex);
        guarded(m_path, [&] { m_net->forward(nchw(in.shape()), in.data().data(), layer, output); });
        return out;
    }

private:
    [[nodiscard]] bool has_layer(std::string_view name) const {
        return std::find(m_layers.begin(), m_layers.end(), name) != m_layers.end();
    }

    std::string m_path;
    OnnxGraph m_graph;
    std::unique_ptr<plugin::OnnxNet> m_net;
    std::vector<std::string> m_layers;
    mutable std::mutex m_mutex;
};

}  // namespace

std::shared_ptr<const Model> load_onnx_model(const std::string& path) {
    const std::vector<unsigned char> bytes = read_model_file(path);
    OnnxGraph graph;
    try {
        graph = parse_onnx(bytes);
    } catch (const InputError& e) {
        throw InputError(fmt::format("'{}': {}", path, e.what()));
    }
    const LoadedPlugin& loaded = plugin_once();
    if (loaded.open == nullptr) {
        throw InputError(fmt::format("'{}': {}", path, loaded.error));
    }
    std::string error;
    std::unique_ptr<plugin::OnnxNet> net(loaded.open(path.c_str(), &error));
    if (net == nullptr) {
        throw InputError(fmt::format("'{}': OpenCV cannot run it: {}", path, error));
    }
    return std::make_shared<OnnxModel>(path, std::move(graph), std::move(net));
}

}  // namespace convpool
