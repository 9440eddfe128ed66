#pragma once
/// \file params_internal.hpp
/// What the three files of parameter parsing share (core/params.cpp: Params and its entries;
/// core/param_values.cpp: one value of each ParamType; core/grammar.cpp: splitting stage text
/// and `@FILE` references). Not a public header.

#include "convpool/core/params.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace convpool::detail {

/// `s` without leading and trailing blanks.
[[nodiscard]] std::string_view trim(std::string_view s);

/// `s` in lower case (ASCII).
[[nodiscard]] std::string lower(std::string_view s);

/// A key as written, for lookup: lower case, `_` as `-` (torch's `ceil_mode` is `ceil-mode`).
[[nodiscard]] std::string key_name(std::string_view s);

/// `items` joined with `sep`.
[[nodiscard]] std::string join(const std::vector<std::string>& items, std::string_view sep);

/// The value of `spec` written as `text`; errors are UsageError prefixed with `what`.
[[nodiscard]] Params::Value parse_value(const ParamSpec& spec, std::string_view text,
                                        std::string_view what, const ParseContext& context);

}  // namespace convpool::detail
