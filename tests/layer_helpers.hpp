#pragma once
// Helpers of the tests of network layers with weights (conv:weights, bn): weights arrays served
// from memory instead of files.

#include "convpool/core/conv_engine.hpp"
#include "convpool/core/error.hpp"
#include "convpool/io/conv_plugin.hpp"
#include "convpool/pipeline/pipeline.hpp"

#include <cstddef>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace test {

/// `@NAME` weights by NAME.
using Arrays = std::map<std::string, convpool::WeightsArray>;

/// An array of `shape` holding `values` (C order).
inline convpool::WeightsArray array(std::vector<std::size_t> shape, std::vector<float> values) {
    convpool::WeightsArray a;
    a.shape = std::move(shape);
    a.values = std::move(values);
    return a;
}

/// A pipeline whose `@NAME` weights are served from `arrays`.
inline convpool::Pipeline layer_pipeline(const std::string& text, const Arrays& arrays) {
    convpool::ParseContext context;
    context.load = [arrays](const std::string& path, const std::string& /*key*/) {
        const auto it = arrays.find(path);
        if (it == arrays.end()) {
            throw convpool::InputError("no array '" + path + "'");
        }
        return it->second;
    };
    return convpool::Pipeline(text, convpool::Semantics::torch, "", context);
}

/// Turns the convolution library (oneDNN, convpool-dnnl.so) on or off for one scope, and restores
/// it for the cases after, whatever this one set: off, conv:weights runs the hand-written loops.
struct WithLibrary {
    explicit WithLibrary(bool on) {
        if (on) {
            convpool::use_conv_plugin();
        } else {
            convpool::set_conv_engine_loader(nullptr);
        }
    }
    WithLibrary(const WithLibrary&) = delete;
    WithLibrary& operator=(const WithLibrary&) = delete;
    WithLibrary(WithLibrary&&) = delete;
    WithLibrary& operator=(WithLibrary&&) = delete;
    ~WithLibrary() { convpool::use_conv_plugin(); }
};

}  // namespace test
