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
    // oneDNN runs on libgomp, whose workers by default spin after every parallel region: they
    // then take the cores from convpool's own threads (the next stage, the next image), and on
    // a busy machine every region waits for a core. Passive workers sleep at once (measured on
    // the stem at 224x224, 2 threads, load 6: the layer took 36 ms with spinning workers, 1.7 ms
    // with passive ones). The variable is read when libgomp loads, i.e. by the dlopen below;
    // a value the user set is kept.
    // NOLINTNEXTLINE(concurrency-mt-unsafe): under conv_engine()'s lock, before oneDNN starts
    setenv("OMP_WAIT_POLICY", "PASSIVE", 0);
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
