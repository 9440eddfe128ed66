#pragma once
/// \file plugin_loader.hpp
/// Finding and loading convpool's plugins (convpool-onnx.so, convpool-dnnl.so) with dlopen.

#include <string>

namespace convpool {

/// A symbol of a loaded plugin, or null with the reason.
struct PluginSymbol {
    void* symbol = nullptr;
    std::string error;
};

/// Loads plugin `file` from the first place it is found: $CONVPOOL_PLUGIN_DIR, then beside the
/// executable (a build tree), then ../lib/convpool from it (an installed convpool); and looks up
/// `symbol` in it. `what` names the plugin in the error when it is nowhere.
[[nodiscard]] PluginSymbol load_plugin_symbol(const char* file, const char* symbol,
                                              const char* what);

}  // namespace convpool
