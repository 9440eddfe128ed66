#include "convpool/core/text.hpp"

#include <fmt/format.h>

#include <array>
#include <cstddef>
#include <cstdint>

namespace convpool {
namespace {

/// The length of the valid UTF-8 sequence at text[at], or 0 when the byte there starts none.
std::size_t utf8_length(std::string_view text, std::size_t at) noexcept {
    const auto byte = [&text](std::size_t i) { return static_cast<unsigned char>(text[i]); };
    const unsigned char b = byte(at);
    if (b < 0x80) {
        return 1;
    }
    std::size_t n = 0;
    std::uint32_t lowest = 0;
    std::uint32_t code = 0;
    if ((b & 0xE0U) == 0xC0U) {
        n = 2;
        lowest = 0x80;
        code = b & 0x1FU;
    } else if ((b & 0xF0U) == 0xE0U) {
        n = 3;
        lowest = 0x800;
        code = b & 0x0FU;
    } else if ((b & 0xF8U) == 0xF0U) {
        n = 4;
        lowest = 0x10000;
        code = b & 0x07U;
    } else {
        return 0;
    }
    if (text.size() - at < n) {
        return 0;
    }
    for (std::size_t i = 1; i < n; ++i) {
        if ((byte(at + i) & 0xC0U) != 0x80U) {
            return 0;
        }
        code = (code << 6U) | (byte(at + i) & 0x3FU);
    }
    if (code < lowest || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) {
        return 0;
    }
    return n;
}

}  // namespace

bool is_valid_utf8(std::string_view text) noexcept {
    for (std::size_t i = 0; i < text.size();) {
        const std::size_t n = utf8_length(text, i);
        if (n == 0) {
            return false;
        }
        i += n;
    }
    return true;
}

std::string terminal_text(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size();) {
        const auto b = static_cast<unsigned char>(text[i]);
        const std::size_t n = utf8_length(text, i);
        // C1 controls (U+0080 to U+009F) are 0xC2 0x80 to 0xC2 0x9F in UTF-8.
        const bool c1 = n == 2 && b == 0xC2 && static_cast<unsigned char>(text[i + 1]) < 0xA0;
        if (n == 0 || b < 0x20 || b == 0x7F || b == '\\' || c1) {
            const std::size_t bytes = n == 0 ? 1 : n;
            for (std::size_t k = 0; k < bytes; ++k) {
                out += fmt::format("\\x{:02x}", static_cast<unsigned char>(text[i + k]));
            }
            i += bytes;
            continue;
        }
        out.append(text.substr(i, n));
        i += n;
    }
    return out;
}

std::string utf8_display(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size();) {
        const std::size_t n = utf8_length(text, i);
        if (n == 0) {
            out += "\xEF\xBF\xBD";  // U+FFFD
            ++i;
        } else {
            out.append(text.substr(i, n));
            i += n;
        }
    }
    return out;
}

std::string base64(std::string_view bytes) {
    static constexpr std::string_view kDigits =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    out.reserve((bytes.size() + 2) / 3 * 4);
    for (std::size_t i = 0; i < bytes.size(); i += 3) {
        std::uint32_t v = static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i])) << 16U;
        const std::size_t left = bytes.size() - i;
        if (left > 1) {
            v |= static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i + 1])) << 8U;
        }
        if (left > 2) {
            v |= static_cast<unsigned char>(bytes[i + 2]);
        }
        out += kDigits[(v >> 18U) & 63U];
        out += kDigits[(v >> 12U) & 63U];
        out += left > 1 ? kDigits[(v >> 6U) & 63U] : '=';
        out += left > 2 ? kDigits[v & 63U] : '=';
    }
    return out;
}

}  // namespace convpool
