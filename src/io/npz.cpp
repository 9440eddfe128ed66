#include "convpool/io/npz.hpp"

#include "convpool/core/error.hpp"
#include "convpool/io/image_io.hpp"
#include "convpool/io/npy.hpp"
#include "convpool/io/onnx.hpp"

#include <fmt/format.h>
#include <zlib.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <optional>

namespace convpool {
namespace {

constexpr std::uint32_t kLocalSignature = 0x04034b50;
constexpr std::uint32_t kCentralSignature = 0x02014b50;
constexpr std::uint32_t kEndSignature = 0x06054b50;
constexpr std::size_t kEndSize = 22;
constexpr std::size_t kCentralSize = 46;
constexpr std::size_t kLocalSize = 30;
constexpr std::size_t kMaxMembers = 4096;

std::uint32_t u16(std::span<const unsigned char> b, std::size_t at) {
    return static_cast<std::uint32_t>(b[at]) | (static_cast<std::uint32_t>(b[at + 1]) << 8U);
}

std::uint32_t u32(std::span<const unsigned char> b, std::size_t at) {
    return u16(b, at) | (u16(b, at + 2) << 16U);
}

[[noreturn]] void malformed(std::string_view why) {
    throw InputError(fmt::format("not a valid .npz (zip) archive: {}", why));
}

/// One member of the central directory.
struct Member {
    std::string name;
    std::uint32_t flags = 0;
    std::uint32_t method = 0;
    std::uint32_t crc = 0;
    std::size_t compressed = 0;
    std::size_t size = 0;
    std::size_t local = 0;  ///< offset of the local header
};

/// The central directory: its members and where it starts (every member's data lies before).
struct Directory {
    std::vector<Member> members;
    std::size_t offset = 0;
};

/// The members listed by the central directory, each entry checked to lie inside it.
Directory read_directory(std::span<const unsigned char> b) {
    if (b.size() < kEndSize) {
        malformed("too short");
    }
    // The end record is the last 22 bytes plus a comment of at most 65535 bytes.
    std::optional<std::size_t> end;
    const std::size_t lowest = b.size() - kEndSize > 65535 ? b.size() - kEndSize - 65535 : 0;
    for (std::size_t at = b.size() - kEndSize + 1; at-- > lowest;) {
        if (u32(b, at) == kEndSignature && at + kEndSize + u16(b, at + 20) == b.size()) {
            end = at;
            break;
        }
    }
    if (!end) {
        malformed("no end of central directory record");
    }
    const std::size_t e = *end;
    const std::uint32_t disk = u16(b, e + 4);
    const std::uint32_t cd_disk = u16(b, e + 6);
    const std::uint32_t on_disk = u16(b, e + 8);
    const std::uint32_t count = u16(b, e + 10);
    const std::uint32_t cd_size = u32(b, e + 12);
    const std::uint32_t cd_offset = u32(b, e + 16);
    if (count == 0xFFFFU || cd_size == 0xFFFFFFFFU || cd_offset == 0xFFFFFFFFU) {
        malformed("zip64 archives are not supported");
    }
    if (disk != 0 || cd_disk != 0 || on_disk != count) {
        malformed("multi-disk archives are not supported");
    }
    if (count > kMaxMembers) {
        malformed(fmt::format("{} members, more than {}", count, kMaxMembers));
    }
    if (cd_offset > e || cd_size > e - cd_offset) {
        malformed("the central directory lies outside the file");
    }
    Directory dir;
    dir.offset = cd_offset;
    std::vector<Member>& members = dir.members;
    std::size_t at = cd_offset;
    const std::size_t cd_end = cd_offset + cd_size;
    for (std::uint32_t i = 0; i < count; ++i) {
        if (cd_end - at < kCentralSize || u32(b, at) != kCentralSignature) {
            malformed(fmt::format("central directory entry {} is damaged", i + 1));
        }
        Member m;
        m.flags = u16(b, at + 8);
        m.method = u16(b, at + 10);
        m.crc = u32(b, at + 16);
        const std::uint32_t compressed = u32(b, at + 20);
        const std::uint32_t size = u32(b, at + 24);
        const std::size_t name_len = u16(b, at + 28);
        const std::size_t extra_len = u16(b, at + 30);
        const std::size_t comment_len = u16(b, at + 32);
        const std::uint32_t local = u32(b, at + 42);
        if (compressed == 0xFFFFFFFFU || size == 0xFFFFFFFFU || local == 0xFFFFFFFFU) {
            malformed("zip64 members are not supported");
        }
        const std::size_t entry_len = kCentralSize + name_len + extra_len + comment_len;
        if (cd_end - at < entry_len) {
            malformed(fmt::format("central directory entry {} is damaged", i + 1));
        }
        m.name.assign(reinterpret_cast<const char*>(b.data() + at + kCentralSize), name_len);
        m.compressed = compressed;
        m.size = size;
        m.local = local;
        members.push_back(std::move(m));
        at += entry_len;
    }
    return dir;
}

/// A member's name as an array key: without `.npy`.
std::string key_of(const std::string& name) {
    constexpr std::string_view kSuffix = ".npy";
    return name.size() > kSuffix.size() && name.ends_with(kSuffix)
               ? name.substr(0, name.size() - kSuffix.size())
               : name;
}

/// The member's data, inflated when deflated, checked against its sizes and CRC-32.
std::vector<unsigned char> extract(std::span<const unsigned char> b, const Member& m,
                                   std::size_t cd_offset, std::size_t max_bytes) {
    if ((m.flags & 1U) != 0) {
        throw InputError(fmt::format("npz member '{}' is encrypted", m.name));
    }
    if (m.method != 0 && m.method != 8) {
        throw InputError(
            fmt::format("npz member '{}' uses compression method {} (stored or deflated only)",
                        m.name, m.method));
    }
    if (m.size > max_bytes) {
        throw InputError(
            fmt::format("npz member '{}' inflates to {} bytes, more than the {} allowed", m.name,
                        m.size, max_bytes));
    }
    if (m.local > cd_offset || cd_offset - m.local < kLocalSize ||
        u32(b, m.local) != kLocalSignature) {
        malformed(fmt::format("the local header of '{}' is damaged", m.name));
    }
    const std::size_t name_len = u16(b, m.local + 26);
    const std::size_t extra_len = u16(b, m.local + 28);
    const std::size_t data = m.local + kLocalSize + name_len + extra_len;
    if (data > cd_offset || m.compressed > cd_offset - data) {
        malformed(fmt::format("the data of '{}' runs past the central directory", m.name));
    }
    if (name_len != m.name.size() ||
        !std::equal(m.name.begin(), m.name.end(),
                    b.begin() + static_cast<std::ptrdiff_t>(m.local + kLocalSize),
                    [](char x, unsigned char y) { return static_cast<unsigned char>(x) == y; })) {
        malformed(fmt::format("the local header of '{}' names another file", m.name));
    }
    const auto input = b.subspan(data, m.compressed);
    std::vector<unsigned char> out(m.size);
    if (m.method == 0) {
        if (m.compressed != m.size) {
            malformed(fmt::format("stored member '{}' has two sizes", m.name));
        }
        std::copy(input.begin(), input.end(), out.begin());
    } else {
        z_stream zs{};
        if (inflateInit2(&zs, -MAX_WBITS) != Z_OK) {
            throw InputError("zlib could not start inflating");
        }
        // Bounded by the declared size: output stops one byte past it, and a member that gets
        // there is refused, so a deflate bomb costs at most max_bytes + 1.
        out.resize(m.size + 1);
        // NOLINTNEXTLINE(cppcoreguidelines-pro-type-const-cast): zlib's API is not const
        zs.next_in = const_cast<unsigned char*>(input.data());
        zs.avail_in = static_cast<uInt>(input.size());
        zs.next_out = out.data();
        zs.avail_out = static_cast<uInt>(out.size());
        const int rc = inflate(&zs, Z_FINISH);
        const std::size_t produced = zs.total_out;
        const bool input_used = zs.avail_in == 0;
        inflateEnd(&zs);
        if (rc != Z_STREAM_END || produced != m.size) {
            const char* why = produced > m.size    ? "more data than declared"
                              : rc == Z_DATA_ERROR ? "corrupt deflate data"
                              : rc == Z_STREAM_END ? "less data than declared"
                              : input_used         ? "truncated deflate data"
                                                   : "corrupt deflate data";
            throw InputError(
                fmt::format("npz member '{}' does not inflate to its declared {} "
                            "bytes ({})",
                            m.name, m.size, why));
        }
        out.resize(m.size);
    }
    const auto crc = crc32(0L, out.data(), static_cast<uInt>(out.size()));
    if (crc != m.crc) {
        throw InputError(fmt::format("npz member '{}' fails its CRC-32 check", m.name));
    }
    return out;
}

}  // namespace

bool is_zip(std::span<const unsigned char> bytes) noexcept {
    return bytes.size() >= 4 && bytes[0] == 'P' && bytes[1] == 'K' &&
           ((bytes[2] == 3 && bytes[3] == 4) || (bytes[2] == 5 && bytes[3] == 6));
}

std::vector<std::string> npz_keys(std::span<const unsigned char> bytes) {
    std::vector<std::string> keys;
    for (const Member& m : read_directory(bytes).members) {
        keys.push_back(key_of(m.name));
    }
    return keys;
}

std::vector<unsigned char> npz_member(std::span<const unsigned char> bytes, std::string_view key,
                                      std::size_t max_bytes) {
    if (key.empty() || key.size() > 255 || key.find_first_of("/\\") != std::string_view::npos ||
        key.find('\0') != std::string_view::npos || key.find("..") != std::string_view::npos) {
        throw InputError(fmt::format("npz key '{}' is not a plain array name", key.substr(0, 255)));
    }
    const Directory dir = read_directory(bytes);
    const std::vector<Member>& members = dir.members;
    const Member* found = nullptr;
    std::vector<std::string> keys;
    for (const Member& m : members) {
        keys.push_back(key_of(m.name));
        if (m.name == key || key_of(m.name) == key) {
            if (found != nullptr) {
                throw InputError(fmt::format("npz has two arrays named '{}'", key));
            }
            found = &m;
        }
    }
    if (found == nullptr) {
        const std::string near = closest_match(key, keys);
        std::string list;
        for (const auto& k : keys) {
            list += (list.empty() ? "" : ", ") + k.substr(0, 64);
        }
        throw InputError(fmt::format("no array '{}'{} (arrays: {})", key,
                                     near.empty() ? "" : fmt::format(" (did you mean '{}'?)", near),
                                     list.empty() ? std::string("none") : list));
    }
    return extract(bytes, *found, dir.offset, max_bytes);
}

WeightsArray read_weights_file(const std::string& path, const std::string& key) {
    const std::string text = read_text_file(path, kMaxWeightsBytes, "weights file");
    const std::span<const unsigned char> bytes(reinterpret_cast<const unsigned char*>(text.data()),
                                               text.size());
    const std::string name =
        key.empty() ? fmt::format("'{}'", path) : fmt::format("'{}':{}", path, key);
    try {
        if (is_zip(bytes)) {
            if (key.empty()) {
                std::string list;
                for (const auto& k : npz_keys(bytes)) {
                    list += (list.empty() ? "" : ", ") + k.substr(0, 64);
                }
                throw InputError(
                    fmt::format("an .npz archive: name one of its arrays, @FILE:KEY "
                                "(arrays: {})",
                                list.empty() ? std::string("none") : list));
            }
            const auto member = npz_member(bytes, key);
            return decode_weights_npy(member);
        }
        if (!key.empty()) {
            throw InputError(
                "not an .npz archive, so ':KEY' names nothing (a path with ':' is written "
                "@\"...\")");
        }
        return decode_weights_npy(bytes);
    } catch (const InputError& e) {
        throw UsageError(fmt::format("{}: {}", name, e.what()));
    }
}

ParseContext weights_context() {
    return ParseContext{.load = &read_weights_file, .base = {}, .load_model = &load_onnx_model};
}

}  // namespace convpool
