#include "cli/common.hpp"

#include "convpool/core/params.hpp"
#include "convpool/io/npz.hpp"
#include "convpool/io/terminal.hpp"

#include <fmt/format.h>

#include <filesystem>

namespace convpool::cli {

std::string did_you_mean(const std::string& near) {
    return near.empty() ? std::string() : fmt::format(" (did you mean '{}'?)", near);
}

std::string join_names(const std::vector<std::string>& names, const char* sep) {
    std::string out;
    for (const auto& n : names) {
        out += (out.empty() ? "" : sep) + n;
    }
    return out;
}

ParseContext parse_context(std::string_view pipeline_value) {
    ParseContext context = weights_context();
    const std::string source = pipeline_source(pipeline_value);
    if (!source.empty()) {
        context.base = std::filesystem::path(source).parent_path().string();
    }
    return context;
}

void print_stdout(const std::string& text) { write_stdout(text); }

}  // namespace convpool::cli
