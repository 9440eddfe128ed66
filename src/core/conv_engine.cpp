#include "convpool/core/conv_engine.hpp"

#include <mutex>

namespace convpool {
namespace {

struct EngineState {
    std::mutex mutex;
    ConvEngineLoader loader = nullptr;
    bool loaded = false;
    const ConvEngine* engine = nullptr;
};

EngineState& state() {
    static EngineState s;
    return s;
}

}  // namespace

void set_conv_engine_loader(ConvEngineLoader loader) {
    EngineState& s = state();
    const std::lock_guard lock(s.mutex);
    s.loader = loader;
    s.loaded = false;
    s.engine = nullptr;
}

const ConvEngine* conv_engine() {
    EngineState& s = state();
    const std::lock_guard lock(s.mutex);
    if (!s.loaded) {
        s.loaded = true;
        s.engine = s.loader == nullptr ? nullptr : s.loader();
    }
    return s.engine;
}

}  // namespace convpool
