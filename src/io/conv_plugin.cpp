// Loads convpool-dnnl.so for core/conv_engine.hpp.
#include "convpool/io/conv_plugin.hpp"

#include "convpool/core/conv_engine.hpp"

#include <cstdlib>
#include <string_view>

#include "io/plugin_loader.hpp"

namespace convpool {
namespace {

using EngineFunction = const ConvEngine* (*)();

const ConvEngine* load_engine() {
    // NOLINTNEXTLINE(concurrency-mt-unsafe): read under conv_engine()'s lock, once
    const char* choice = std::getenv("CONVPOOL_CONV");
    if (choice != nullptr && std::string_view(choice) == "loops") {
        return nullptr;
    }
    const PluginSymbol found =
        load_plugin_symbol("convpool-dnnl.so", "convpool_conv_engine", "convolution");
    if (found.symbol == nullptr) {
        return nullptr;  // the loops run every layer
    }
    return reinterpret_cast<EngineFunction>(found.symbol)();
}

}  // namespace

void use_conv_plugin() { set_conv_engine_loader(&load_engine); }

}  // namespace convpool
