#include "convpool/registry.hpp"

#include "convpool/error.hpp"

#include <fmt/format.h>

namespace convpool {

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
    const std::string near = closest_match(name, names);
    std::string list;
    for (const auto& n : names) {
        list += (list.empty() ? "" : ", ") + n;
    }
    throw UsageError(fmt::format("unknown op '{}'{} (ops: {})", name,
                                 near.empty() ? "" : fmt::format(" (did you mean '{}'?)", near),
                                 list));
}

}  // namespace convpool
