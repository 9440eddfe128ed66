#include "cli/layers.hpp"

#include "convpool/core/error.hpp"
#include "convpool/io/onnx.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "cli/shape.hpp"

namespace convpool::cli {
namespace {

std::string dims_text(const std::vector<int>& dims) {
    std::string out;
    for (std::size_t i = dims.size() > 1 && dims.front() == 1 ? 1 : 0; i < dims.size(); ++i) {
        out += fmt::format("{}{}", out.empty() ? "" : "x", dims[i]);
    }
    return out;
}

std::string table(const std::string& path, const Shape& in, const std::vector<ModelLayer>& layers) {
    std::vector<std::vector<std::string>> rows{{"layer", "type", "output", "ONNX node", "tensors"}};
    for (const auto& l : layers) {
        rows.push_back({l.name, l.type, dims_text(l.shape), l.node.empty() ? "-" : l.node,
                        l.tensors.empty() ? "-" : l.tensors});
    }
    std::vector<std::size_t> width(rows.front().size(), 0);
    for (const auto& row : rows) {
        for (std::size_t i = 0; i < row.size(); ++i) {
            width[i] = std::max(width[i], row[i].size());
        }
    }
    std::string out = fmt::format("{}: input {}x{}x{}\n", path, in.channels, in.height, in.width);
    for (const auto& row : rows) {
        std::string line;
        for (std::size_t i = 0; i < row.size(); ++i) {
            line += i + 1 == row.size() ? row[i] : fmt::format("{:<{}}  ", row[i], width[i]);
        }
        out += line + "\n";
    }
    return out;
}

std::string json_text(const std::string& path, const Shape& in,
                      const std::vector<ModelLayer>& layers) {
    nlohmann::ordered_json doc;
    doc["model"] = path;
    doc["input"] = {in.channels, in.height, in.width};
    doc["layers"] = nlohmann::ordered_json::array();
    for (const auto& l : layers) {
        doc["layers"].push_back({{"name", l.name},
                                 {"type", l.type},
                                 {"shape", l.shape},
                                 {"node", l.node},
                                 {"tensors", l.tensors}});
    }
    return doc.dump(2) + "\n";
}

}  // namespace

std::string layers_text(const std::string& path, const std::string& size, bool json) {
    std::shared_ptr<const Model> model;
    try {
        model = load_onnx_model(path);
    } catch (const Error& e) {
        throw UsageError(e.what());
    }
    const Shape declared = model->input_shape();
    Shape in = declared;
    if (!size.empty()) {
        in = parse_shape(size);
        const auto crosses =
            std::count_if(size.begin(), size.end(), [](char c) { return c == 'x' || c == 'X'; });
        if (crosses < 2 && declared.channels > 0) {
            in.channels = declared.channels;  // N or HxW: the channels the model declares
        }
        if (declared.channels > 0 && in.channels != declared.channels) {
            throw UsageError(fmt::format("layers: '{}' takes {} input channels, --size gives {}",
                                         path, declared.channels, in.channels));
        }
    } else if (in.channels == 0 || in.height == 0 || in.width == 0) {
        throw UsageError(fmt::format(
            "layers: '{}' does not declare its whole input size; give --size CxHxW", path));
    }
    std::vector<ModelLayer> layers;
    try {
        layers = model->layers(in);
    } catch (const Error& e) {
        throw UsageError(e.what());
    }
    return json ? json_text(path, in, layers) : table(path, in, layers);
}

}  // namespace convpool::cli
