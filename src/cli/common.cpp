#include "cli/common.hpp"

#include "convpool/core/params.hpp"
#include "convpool/io/npz.hpp"
#include "convpool/io/terminal.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <utility>

namespace convpool::cli {

CLI::Validator one_of(std::vector<std::string> choices) {
    std::string desc = "{" + join_names(choices, ",") + "}";
    return {[choices = std::move(choices)](const std::string& value) -> std::string {
                if (std::find(choices.begin(), choices.end(), value) != choices.end()) {
                    return {};
                }
                return fmt::format("unknown value '{}'{} (choose from {})", value,
                                   did_you_mean(convpool::closest_match(value, choices)),
                                   join_names(choices));
            },
            desc};
}

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
