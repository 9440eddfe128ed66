#pragma once
/// \file format.hpp
/// fmt support for convpool types, so a shape prints the same everywhere (`3x64x64`).

#include "convpool/core/tensor.hpp"

#include <fmt/format.h>

#include <string>

namespace convpool {

/// `CxHxW`.
[[nodiscard]] inline std::string to_string(const Shape& s) {
    return fmt::format("{}x{}x{}", s.channels, s.height, s.width);
}

}  // namespace convpool

/// Formats a Shape as `CxHxW` (fmt 9 has no `format_as`).
template <>
struct fmt::formatter<convpool::Shape> : fmt::formatter<std::string_view> {
    template <typename Context>
    auto format(const convpool::Shape& s, Context& ctx) const {
        return fmt::formatter<std::string_view>::format(convpool::to_string(s), ctx);
    }
};
