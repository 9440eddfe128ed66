#pragma once
/// \file byte_source.hpp
/// Bytes read at offsets: a file (io/file_source.hpp) or a string. merge-reports reads its
/// reports through this, a piece at a time, never whole.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace convpool {

/// Bytes read at offsets.
class ByteSource {
public:
    ByteSource() = default;
    ByteSource(const ByteSource&) = delete;
    ByteSource& operator=(const ByteSource&) = delete;
    ByteSource(ByteSource&&) = delete;
    ByteSource& operator=(ByteSource&&) = delete;
    virtual ~ByteSource() = default;
    /// Up to `n` bytes at `offset` into `buf`; fewer only at the end. Throws on a read error.
    virtual std::size_t read_at(std::uint64_t offset, char* buf, std::size_t n) const = 0;
};

/// A string as a ByteSource (the string must outlive it).
class StringSource final : public ByteSource {
public:
    explicit StringSource(std::string_view text) noexcept : m_text(text) {}
    std::size_t read_at(std::uint64_t offset, char* buf, std::size_t n) const override {
        if (offset >= m_text.size()) {
            return 0;
        }
        const std::size_t count = std::min<std::size_t>(n, m_text.size() - offset);
        std::memcpy(buf, m_text.data() + offset, count);
        return count;
    }

private:
    std::string_view m_text;
};

}  // namespace convpool
