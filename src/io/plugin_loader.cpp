#include "io/plugin_loader.hpp"

#include <dlfcn.h>
#include <fmt/format.h>

#include <cstdlib>
#include <filesystem>
#include <vector>

namespace convpool {
namespace {

std::vector<std::filesystem::path> plugin_candidates(const char* file) {
    std::vector<std::filesystem::path> out;
    // NOLINTNEXTLINE(concurrency-mt-unsafe): read once, before any thread starts a plugin
    if (const char* dir = std::getenv("CONVPOOL_PLUGIN_DIR"); dir != nullptr && *dir != '\0') {
        out.emplace_back(std::filesystem::path(dir) / file);
    }
    std::error_code ec;
    const std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", ec);
    if (!ec) {
        out.push_back(exe.parent_path() / file);
        out.push_back(exe.parent_path().parent_path() / "lib" / "convpool" / file);
    }
    // The Python module (convpool/_convpool*.so) holds this code in a process whose executable
    // is python3: its plugins are up the tree from the module, the build tree's top folder
    // (BUILD/python/convpool/) or the prefix's lib/convpool (PREFIX/lib/python3/dist-packages/
    // convpool/).
    static const char here = 0;  // an address inside the file that holds this code
    Dl_info info{};
    if (::dladdr(&here, &info) != 0 && info.dli_fname != nullptr && info.dli_fname[0] == '/') {
        std::filesystem::path dir = std::filesystem::path(info.dli_fname).parent_path();
        if (dir != exe.parent_path()) {
            for (int up = 0; up < 4 && dir.has_relative_path(); ++up, dir = dir.parent_path()) {
                out.push_back(dir / file);
                out.push_back(dir / "lib" / "convpool" / file);
            }
        }
    }
    return out;
}

}  // namespace

PluginSymbol load_plugin_symbol(const char* file, const char* symbol, const char* what) {
    std::string tried;
    for (const auto& path : plugin_candidates(file)) {
        if (!std::filesystem::exists(path)) {
            tried += fmt::format("{}{}", tried.empty() ? "" : ", ", path.string());
            continue;
        }
        void* library = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
        if (library == nullptr) {
            return {nullptr, ::dlerror()};
        }
        void* found = ::dlsym(library, symbol);
        if (found == nullptr) {
            return {nullptr, ::dlerror()};
        }
        return {found, {}};
    }
    return {nullptr,
            fmt::format("the {} plugin {} is not installed (looked in {})", what, file, tried)};
}

}  // namespace convpool
