#pragma once
/// \file text.hpp
/// Untrusted text (file names above all) made safe for where it goes: a terminal, JSON, CSV.

#include <string>
#include <string_view>

namespace convpool {

/// True when `text` is valid UTF-8 (no overlong forms, no surrogates, nothing past U+10FFFF).
[[nodiscard]] bool is_valid_utf8(std::string_view text) noexcept;

/// `text` for a terminal: control characters (C0, DEL, C1), backslashes and bytes that are not
/// UTF-8 as `\xNN`; printable UTF-8 as is. No escape sequence, CR or newline gets through.
[[nodiscard]] std::string terminal_text(std::string_view text);

/// `text` as valid UTF-8: each byte that is not part of a valid sequence becomes U+FFFD.
[[nodiscard]] std::string utf8_display(std::string_view text);

/// `bytes` in standard base64 (RFC 4648, with padding).
[[nodiscard]] std::string base64(std::string_view bytes);

}  // namespace convpool
