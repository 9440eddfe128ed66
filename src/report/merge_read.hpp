#pragma once
// merge-reports' bounded reader of report.json (private to report/): merge.cpp's pass 1.

#include "convpool/core/byte_source.hpp"
#include "convpool/core/error.hpp"

#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace convpool::detail {

/// Bytes read and copied at a time.
constexpr std::size_t kChunk = 65536;

/// Reading a ByteSource front to back through a buffer.
class Cursor {
public:
    explicit Cursor(const ByteSource& src) : m_src(src), m_buf(kChunk) {}
    int peek() {
        if (m_at == m_len && !fill()) {
            return -1;
        }
        return static_cast<unsigned char>(m_buf[m_at]);
    }
    int get() {
        const int c = peek();
        m_at += c >= 0 ? 1 : 0;
        return c;
    }
    [[nodiscard]] std::uint64_t offset() const noexcept { return m_start + m_at; }

private:
    bool fill() {
        m_start += m_len;
        m_at = 0;
        m_len = m_src.read_at(m_start, m_buf.data(), m_buf.size());
        return m_len > 0;
    }
    const ByteSource& m_src;
    std::vector<char> m_buf;
    std::uint64_t m_start = 0;
    std::size_t m_at = 0;
    std::size_t m_len = 0;
};

/// The bytes [begin, end) of `src`; throws `changed` when they are no longer there.
[[nodiscard]] std::string read_slice(const ByteSource& src, std::uint64_t begin, std::uint64_t end,
                                     const UsageError& changed);

/// Called for `images[]` entry `k` (parsed), lying at [begin, end) of the file.
using OnEntry = std::function<void(nlohmann::json&, std::uint64_t, std::uint64_t, std::size_t)>;

/// A report.json as read_report found it.
// NOLINTNEXTLINE(bugprone-exception-escape): its implicit moves only move nlohmann::json
struct ReadReport {
    nlohmann::json fields;    ///< the top-level fields but the `images` array
    bool had_images = false;  ///< an `images` array was there (and went to on_entry)
};

/// Reads report `n` front to back with a bounded structural reader: an array or object inside
/// more than 64 others is refused before anything is parsed, each top-level field and each
/// `images[]` entry is parsed alone (entries go to `on_entry`, then are dropped). Throws
/// UsageError naming report `n` ("is not valid JSON", "nests deeper than 64 levels", "is not a
/// convpool report").
[[nodiscard]] ReadReport read_report(const ByteSource& src, std::size_t n, const OnEntry& on_entry);

/// Checks the fields merge-reports reads in one `images[]` entry of report `n`
/// (docs/outputs.md): `index` a non-negative integer, `input` and `status` strings, `status`
/// one of the five, `stages` an array. Throws UsageError naming the report, the entry and the
/// field.
void check_image_entry(const nlohmann::json& img, std::size_t n, std::size_t k);

}  // namespace convpool::detail
