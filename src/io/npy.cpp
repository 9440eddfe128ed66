#include "convpool/io/npy.hpp"

#include "convpool/core/error.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <regex>
#include <string_view>
#include <utility>
#include <vector>

#include "io/npy_header.hpp"

namespace convpool {
using npy_detail::kLayoutComment;
using npy_detail::NpyHeader;
using npy_detail::read_npy_header;
using npy_detail::read_value;
namespace {

constexpr std::array<unsigned char, 6> kMagic{0x93, 'N', 'U', 'M', 'P', 'Y'};

/// A value of the header dict: the Python literals a .npy header can hold.
struct PyValue {
    enum class Kind { string, integer, boolean, none, real, tuple, list, dict } kind = Kind::none;
    std::string text;            // string
    long long integer = 0;       // integer (saturated at +-2^62)
    bool flag = false;           // boolean
    std::vector<PyValue> items;  // tuple, list
};

/// Parses the header as Python's ast.literal_eval does (numpy 1.24 reads it so): a dict literal
/// of strings, integers, floats, True/False/None, tuples and lists, with comments and blank
/// space anywhere between tokens. Refuses names and expressions; string prefixes and escapes
/// other than \\, \', \" and \xHH are refused too (numpy never writes them).
class HeaderParser {
public:
    HeaderParser(std::string_view text, bool long_suffix) : m_text(text), m_long(long_suffix) {}

    /// The comments met so far, each from its '#' to the end of its line.
    [[nodiscard]] const std::vector<std::string>& comments() const { return m_comments; }

    /// The dict, key by key (a repeated key: the last value, as Python).
    std::vector<std::pair<std::string, PyValue>> dict() {
        skip();
        expect('{');
        std::vector<std::pair<std::string, PyValue>> out;
        skip();
        while (peek() != '}') {
            PyValue key = value();
            if (key.kind != PyValue::Kind::string) {
                fail("a key is not a string");
            }
            skip();
            expect(':');
            PyValue v = value();
            const auto same = [&](const auto& kv) { return kv.first == key.text; };
            out.erase(std::remove_if(out.begin(), out.end(), same), out.end());
            out.emplace_back(key.text, std::move(v));
            skip();
            if (peek() != ',') {
                break;
            }
            ++m_at;
            skip();
        }
        expect('}');
        skip();
        if (m_at != m_text.size()) {
            fail("text after the dict");
        }
        return out;
    }

private:
    [[noreturn]] static void fail(std::string_view why) {
        throw InputError(fmt::format("npy header is not a Python literal dict ({})", why));
    }
    [[nodiscard]] char peek() const { return m_at < m_text.size() ? m_text[m_at] : '\0'; }
    void expect(char c) {
        if (peek() != c) {
            fail(fmt::format("expected '{}'", c));
        }
        ++m_at;
    }
    /// Skips blank space and comments.
    void skip() {
        while (m_at < m_text.size()) {
            const char c = m_text[m_at];
            if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f') {
                ++m_at;
            } else if (c == '#') {
                const std::size_t start = m_at;
                while (m_at < m_text.size() && m_text[m_at] != '\n') {
                    ++m_at;
                }
                m_comments.emplace_back(m_text.substr(start, m_at - start));
            } else {
                return;
            }
        }
    }

    // NOLINTNEXTLINE(misc-no-recursion): nested tuples and lists; the depth is capped at 32
    PyValue value() {
        if (++m_depth > 32) {
            fail("nested too deep");
        }
        skip();
        PyValue v;
        const char c = peek();
        if (c == '\'' || c == '"') {
            v.kind = PyValue::Kind::string;
            do {  // adjacent strings are one
                v.text += string();
                skip();
            } while (peek() == '\'' || peek() == '"');
        } else if (c == '(' || c == '[') {
            v = sequence(c == '(' ? ')' : ']');
        } else if (c == '{') {
            fail("a nested dict");
        } else if (c == '+' || c == '-' || c == '.' || (c >= '0' && c <= '9')) {
            v = number();
        } else {
            std::size_t end = m_at;
            while (end < m_text.size() &&
                   (std::isalnum(static_cast<unsigned char>(m_text[end])) != 0 ||
                    m_text[end] == '_')) {
                ++end;
            }
            const std::string_view name = m_text.substr(m_at, end - m_at);
            if (name == "True" || name == "False") {
                v.kind = PyValue::Kind::boolean;
                v.flag = name == "True";
            } else if (name == "None") {
                v.kind = PyValue::Kind::none;
            } else {
                fail(name.empty() ? std::string("unexpected character")
                                  : fmt::format("'{}' is not a literal", name.substr(0, 20)));
            }
            m_at = end;
        }
        --m_depth;
        return v;
    }

    std::string string() {
        const char quote = m_text[m_at++];
        std::string out;
        for (;;) {
            if (m_at >= m_text.size() || m_text[m_at] == '\n') {
                fail("unterminated string");
            }
            char c = m_text[m_at++];
            if (c == quote) {
                return out;
            }
            if (c == '\\') {
                c = peek();
                ++m_at;
                if (c == 'x' && m_at + 2 <= m_text.size() &&
                    std::isxdigit(static_cast<unsigned char>(m_text[m_at])) != 0 &&
                    std::isxdigit(static_cast<unsigned char>(m_text[m_at + 1])) != 0) {
                    c = static_cast<char>(
                        std::stoi(std::string(m_text.substr(m_at, 2)), nullptr, 16));
                    m_at += 2;
                } else if (c != '\\' && c != '\'' && c != '"') {
                    fail(R"(an escape other than \\, \', \" or \xHH)");
                }
            }
            out += c;
        }
    }

    // NOLINTNEXTLINE(misc-no-recursion): nested tuples and lists; the depth is capped at 32
    PyValue sequence(char close) {
        ++m_at;
        PyValue v;
        v.kind = close == ')' ? PyValue::Kind::tuple : PyValue::Kind::list;
        bool comma = false;
        skip();
        while (peek() != close) {
            v.items.push_back(value());
            skip();
            if (peek() != ',') {
                break;
            }
            comma = true;
            ++m_at;
            skip();
        }
        expect(close);
        if (close == ')' && v.items.size() == 1 && !comma) {  // (x) is x
            PyValue inner = std::move(v.items.front());
            return inner;
        }
        return v;
    }

    /// An integer (decimal, 0x, 0o, 0b, with '_' between digits, unary signs) or a float.
    PyValue number() {
        int sign = 1;
        while (peek() == '+' || peek() == '-') {
            sign = peek() == '-' ? -sign : sign;
            ++m_at;
            skip();
        }
        std::size_t end = m_at;
        while (end < m_text.size() && (std::isalnum(static_cast<unsigned char>(m_text[end])) != 0 ||
                                       m_text[end] == '_' || m_text[end] == '.' ||
                                       ((m_text[end] == '+' || m_text[end] == '-') &&
                                        (m_text[end - 1] == 'e' || m_text[end - 1] == 'E')))) {
            ++end;
        }
        std::string token(m_text.substr(m_at, end - m_at));
        m_at = end;
        if (m_long && !token.empty() && (token.back() == 'L' || token.back() == 'l')) {
            token.pop_back();  // Python 2's long suffix, as numpy's _filter_header allows
        }
        PyValue v;
        v.kind = PyValue::Kind::integer;
        int base = 10;
        std::string digits = token;
        if (token.size() > 2 && token[0] == '0' &&
            std::isalpha(static_cast<unsigned char>(token[1])) != 0) {
            const char b = static_cast<char>(std::tolower(static_cast<unsigned char>(token[1])));
            base = b == 'x' ? 16 : b == 'o' ? 8 : b == 'b' ? 2 : 0;
            digits = token.substr(2);
            if (!digits.empty() && digits.front() == '_') {
                digits.erase(0, 1);
            }
        }
        if (base == 0 || digits.empty() || digits.back() == '_' ||
            digits.find("__") != std::string::npos) {
            fail(fmt::format("'{}' is not a number", token.substr(0, 20)));
        }
        long long n = 0;
        for (const char d : digits) {
            if (d == '_') {
                continue;
            }
            const int k = std::isdigit(static_cast<unsigned char>(d)) != 0 ? d - '0'
                          : std::isxdigit(static_cast<unsigned char>(d)) != 0
                              ? std::tolower(static_cast<unsigned char>(d)) - 'a' + 10
                              : 99;
            if (k >= base) {
                if (base == 10 && std::regex_match(token, kFloat)) {
                    v.kind = PyValue::Kind::real;
                    v.text = token;
                    return v;
                }
                fail(fmt::format("'{}' is not a number", token.substr(0, 20)));
            }
            // Saturate before the product can overflow (fuzz_npy: 40 digits).
            n = n > (kSaturated - k) / base ? kSaturated : n * base + k;
        }
        if (base == 10 && digits.size() > 1 && digits[0] == '0' &&
            digits.find_first_not_of("0_") != std::string::npos) {
            fail(fmt::format("'{}' is not a number (leading zeros)", token.substr(0, 20)));
        }
        v.integer = sign * n;
        return v;
    }

    static constexpr long long kSaturated = 1LL << 62;
    inline static const std::regex kFloat{R"(([0-9][0-9_]*)?\.?[0-9_]*([eE][+-]?[0-9_]+)?[jJ]?)"};
    std::string_view m_text;
    std::vector<std::string> m_comments;
    std::size_t m_at = 0;
    int m_depth = 0;
    bool m_long;
};

}  // namespace

bool is_npy(std::span<const unsigned char> bytes) noexcept {
    return bytes.size() >= kMagic.size() && std::equal(kMagic.begin(), kMagic.end(), bytes.begin());
}

namespace {

/// With `any_rank`, every number of dimensions is accepted (weights); else 2, 3 or 4.
}  // namespace

namespace npy_detail {
NpyHeader read_npy_header(std::span<const unsigned char> bytes, bool any_rank) {
    if (!is_npy(bytes) || bytes.size() < 10) {
        throw InputError("not a .npy file");
    }
    const int major = bytes[6];
    std::size_t header_len = 0;
    std::size_t offset = 0;
    if (major == 1) {
        header_len =
            static_cast<std::size_t>(bytes[8]) | (static_cast<std::size_t>(bytes[9]) << 8U);
        offset = 10;
    } else if (major == 2 || major == 3) {
        if (bytes.size() < 12) {
            throw InputError("truncated .npy header");
        }
        header_len = static_cast<std::size_t>(bytes[8]) |
                     (static_cast<std::size_t>(bytes[9]) << 8U) |
                     (static_cast<std::size_t>(bytes[10]) << 16U) |
                     (static_cast<std::size_t>(bytes[11]) << 24U);
        offset = 12;
    } else {
        throw InputError(fmt::format("unsupported .npy version {}", major));
    }
    if (header_len > bytes.size() - offset || header_len > 65536) {
        throw InputError("truncated .npy header");
    }
    const std::string header(reinterpret_cast<const char*>(bytes.data() + offset), header_len);
    HeaderParser parser(header, major <= 2);
    auto items = parser.dict();
    std::sort(items.begin(), items.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
    if (items.size() != 3 || items[0].first != "descr" || items[1].first != "fortran_order" ||
        items[2].first != "shape") {
        std::string keys;
        for (const auto& kv : items) {
            keys += (keys.empty() ? "'" : ", '") + kv.first.substr(0, 20) + "'";
        }
        throw InputError(
            fmt::format("npy header has the keys {}; expected 'descr', 'fortran_order' and 'shape'",
                        keys.empty() ? std::string("(none)") : keys));
    }
    const PyValue& descr_value = items[0].second;
    const PyValue& fortran_value = items[1].second;
    const PyValue& shape_value = items[2].second;
    if (fortran_value.kind != PyValue::Kind::boolean) {
        throw InputError("npy fortran_order is not True or False");
    }
    NpyHeader out;
    out.comments = parser.comments();
    out.fortran = fortran_value.flag;
    std::string& shape_text = out.shape_text;
    std::vector<long long>& dims = out.dims;
    shape_text = "(";
    if (shape_value.kind == PyValue::Kind::tuple) {
        for (const PyValue& d : shape_value.items) {
            if (d.kind != PyValue::Kind::integer) {
                throw InputError("npy shape is not a tuple of integers");
            }
            dims.push_back(d.integer);
            shape_text += fmt::format("{}{}", dims.size() > 1 ? ", " : "", d.integer);
        }
    } else {
        throw InputError("npy shape is not a tuple of integers");
    }
    shape_text += dims.size() == 1 ? ",)" : ")";
    if (std::any_of(dims.begin(), dims.end(), [](long long d) { return d < 0; })) {
        throw InputError(fmt::format("npy shape {} has a negative dimension", shape_text));
    }
    if (!any_rank && (dims.size() < 2 || dims.size() > 4)) {
        throw InputError(
            fmt::format("npy array has shape {}; expected (H, W), (H, W, C), (C, H, W) or a batch",
                        shape_text));
    }
    if (descr_value.kind != PyValue::Kind::string) {
        throw InputError("unsupported npy dtype (not a simple type string)");
    }
    out.descr = descr_value.text;
    out.data_at = offset + header_len;
    return out;
}
}  // namespace npy_detail

Tensor decode_npy(std::span<const unsigned char> bytes, bool chw,
                  std::vector<std::string>* warnings) {
    return decode_npy(bytes, chw ? NpyLayout::chw : NpyLayout::hwc, 0, warnings);
}

float half_to_float(std::uint16_t h) noexcept {
    const std::uint32_t sign = (static_cast<std::uint32_t>(h) & 0x8000U) << 16U;
    const std::uint32_t exponent = (static_cast<std::uint32_t>(h) >> 10U) & 0x1FU;
    std::uint32_t mantissa = static_cast<std::uint32_t>(h) & 0x3FFU;
    std::uint32_t bits = 0;
    if (exponent == 0x1FU) {
        bits = sign | 0x7F800000U | (mantissa << 13U);  // inf, or NaN with its payload
    } else if (exponent != 0) {
        bits = sign | ((exponent + 112U) << 23U) | (mantissa << 13U);  // rebias 15 -> 127
    } else if (mantissa != 0) {
        // Subnormal: shift the mantissa up until its leading 1 is the implicit bit.
        std::uint32_t e = 113;
        while ((mantissa & 0x400U) == 0) {
            mantissa <<= 1U;
            --e;
        }
        bits = sign | (e << 23U) | ((mantissa & 0x3FFU) << 13U);
    } else {
        bits = sign;  // +-0
    }
    return std::bit_cast<float>(bits);
}

WeightsArray decode_weights_npy(std::span<const unsigned char> bytes) {
    const NpyHeader header = read_npy_header(bytes, true);
    const std::string& descr = header.descr;
    const char order = descr.empty() ? '?' : descr[0];
    const std::string kind = descr.size() < 2 ? std::string() : descr.substr(1);
    std::size_t item = 0;
    if (kind == "f2") {
        item = 2;
    } else if (kind == "f4") {
        item = 4;
    } else if (kind == "f8") {
        item = 8;
    }
    if (item == 0 || (order != '<' && order != '>' && order != '=')) {
        throw InputError(fmt::format("unsupported weights dtype '{}' (float16, float32 or float64)",
                                     descr.substr(0, 20)));
    }
    const bool little_host = std::endian::native == std::endian::little;
    const bool swap = (order == '<' && !little_host) || (order == '>' && little_host);
    constexpr std::size_t kMaxDims = 8;
    constexpr std::size_t kMaxValues = std::size_t{1} << 24;
    if (header.dims.size() > kMaxDims) {
        throw InputError(
            fmt::format("npy shape {} has more than {} dimensions", header.shape_text, kMaxDims));
    }
    WeightsArray out;
    std::size_t count = 1;
    for (const long long d : header.dims) {
        const auto extent = static_cast<std::size_t>(d);
        if (extent > kMaxValues || count * extent > kMaxValues) {
            throw InputError(
                fmt::format("npy shape {} has more than {} values", header.shape_text, kMaxValues));
        }
        count *= extent;
        out.shape.push_back(extent);
    }
    if (bytes.size() - header.data_at < count * item) {
        throw InputError(fmt::format("truncated .npy data: {} bytes, expected {}",
                                     bytes.size() - header.data_at, count * item));
    }
    out.values.resize(count);
    const unsigned char* src = bytes.data() + header.data_at;
    // Walk the values in C order; in a Fortran-order file the first index varies fastest.
    std::vector<std::size_t> index(out.shape.size(), 0);
    std::vector<std::size_t> fortran_stride(out.shape.size(), 1);
    for (std::size_t d = 1; d < out.shape.size(); ++d) {
        fortran_stride[d] = fortran_stride[d - 1] * out.shape[d - 1];
    }
    for (std::size_t i = 0; i < count; ++i) {
        std::size_t at = i;
        if (header.fortran) {
            at = 0;
            for (std::size_t d = 0; d < index.size(); ++d) {
                at += index[d] * fortran_stride[d];
            }
        }
        const unsigned char* p = src + at * item;
        out.values[i] = item == 2   ? half_to_float(read_value<std::uint16_t>(p, swap))
                        : item == 4 ? read_value<float>(p, swap)
                                    : static_cast<float>(read_value<double>(p, swap));
        for (std::size_t d = index.size(); d-- > 0;) {  // next C-order index
            if (++index[d] < out.shape[d]) {
                break;
            }
            index[d] = 0;
        }
    }
    return out;
}

namespace {

/// A version 1.0 .npy of float32 `values` under `header` (the dictionary and anything after it).
std::string npy_bytes(std::string header, std::span<const float> values) {
    // Pad so that the data starts on a 64-byte boundary; the header ends with '\n'.
    const std::size_t base = 10 + header.size() + 1;
    header.append((64 - base % 64) % 64, ' ');
    header += '\n';
    std::string out("\x93NUMPY\x01\x00", 8);
    out += static_cast<char>(header.size() & 0xFFU);
    out += static_cast<char>((header.size() >> 8U) & 0xFFU);
    out += header;
    static_assert(std::endian::native == std::endian::little, "big-endian hosts need a byte swap");
    out.append(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(float));
    return out;
}

}  // namespace

std::string encode_npy(const Tensor& t) {
    const Shape& s = t.shape();
    return npy_bytes(
        fmt::format("{{'descr': '<f4', 'fortran_order': False, 'shape': ({}, {}, {}), }} {}chw",
                    s.channels, s.height, s.width, kLayoutComment),
        t.data());
}

std::string encode_npy_array(const std::vector<std::size_t>& shape, std::span<const float> values) {
    std::string dims;
    for (const std::size_t d : shape) {
        dims += fmt::format("{}, ", d);
    }
    if (shape.size() > 1) {
        dims.resize(dims.size() - 2);  // (3, 3); a 1-D shape keeps its comma: (3,)
    } else if (!dims.empty()) {
        dims.pop_back();
    }
    return npy_bytes(
        fmt::format("{{'descr': '<f4', 'fortran_order': False, 'shape': ({}), }}", dims), values);
}

}  // namespace convpool
