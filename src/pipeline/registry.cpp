#include "convpool/pipeline/registry.hpp"

#include "convpool/core/error.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <utility>

namespace convpool {
namespace {

/// `name` in lower case without `_` and `-`: `MaxPool2d`, `max_pool2d` and `maxpool2d` alike.
std::string folded(std::string_view name) {
    std::string out;
    for (const char c : name) {
        if (c != '_' && c != '-') {
            out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        }
    }
    return out;
}

/// The op for a name from PyTorch, Keras or elsewhere (`MaxPool2d` -> `pool:max`), or "".
std::string known_name(std::string_view name) {
    static constexpr std::array<std::pair<std::string_view, std::string_view>, 22> kKnown{{
        {"maxpool", "pool:max"},
        {"maxpool2d", "pool:max"},
        {"maxpooling2d", "pool:max"},
        {"avgpool", "pool:avg"},
        {"avgpool2d", "pool:avg"},
        {"averagepooling2d", "pool:avg"},
        {"minpool", "pool:min"},
        {"minpool2d", "pool:min"},
        {"lppool", "pool:lp"},
        {"lppool2d", "pool:lp"},
        {"globalmaxpool", "pool:global-max"},
        {"globalmaxpooling2d", "pool:global-max"},
        {"globalavgpool", "pool:global-avg"},
        {"globalaveragepooling2d", "pool:global-avg"},
        {"adaptivemaxpool2d", "pool:adaptive-max"},
        {"adaptiveavgpool2d", "pool:adaptive-avg"},
        {"fractionalmaxpool2d", "pool:fractional"},
        {"maxunpool2d", "unpool"},
        {"conv2d", "conv"},
        {"leakyrelu", "leaky-relu"},
        {"grayscale", "gray"},
        {"rgb2gray", "gray"},
    }};
    const std::string key = folded(name);
    for (const auto& [known, op] : kKnown) {
        if (key == known) {
            return std::string(op);
        }
    }
    return {};
}

}  // namespace

namespace ops {
// op_list.inc is written by CMake from CONVPOOL_OPS: one CONVPOOL_OP(stem) line per op.
// NOLINTNEXTLINE(cppcoreguidelines-macro-usage): an X-macro over op_list.inc
#define CONVPOOL_OP(stem) const OpInfo& stem##_info();
#include "op_list.inc"
#undef CONVPOOL_OP
}  // namespace ops

const std::vector<const OpInfo*>& all_ops() {
    static const std::vector<const OpInfo*> ops{
// NOLINTNEXTLINE(cppcoreguidelines-macro-usage): as above
#define CONVPOOL_OP(stem) &ops::stem##_info(),
#include "op_list.inc"
#undef CONVPOOL_OP
    };
    return ops;
}

const OpInfo& find_op(std::string_view name) {
    std::vector<std::string> names;
    for (const auto* info : all_ops()) {
        if (info->name == name) {
            return *info;
        }
        names.push_back(info->name);
    }
    std::string near = known_name(name);
    near = near.empty() ? closest_match(name, names) : near;
    std::string list;
    for (const auto& n : names) {
        list += (list.empty() ? "" : ", ") + n;
    }
    throw UsageError(fmt::format("unknown op '{}'{} (ops: {})", name,
                                 near.empty() ? "" : fmt::format(" (did you mean '{}'?)", near),
                                 list));
}

}  // namespace convpool
