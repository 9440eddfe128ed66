// Animated GIF through giflib: a palette from the colours of one picture, frames as the
// rectangle that changed since the frame before, each with its graphics control block (delay),
// the whole animation looping (the NETSCAPE2.0 application extension).
#include "convpool/io/gif.hpp"

#include <fmt/format.h>
#include <gif_lib.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <limits>
#include <stdexcept>
#include <unordered_map>
#include <utility>
#include <vector>

namespace convpool {
namespace {

constexpr std::size_t kColours = 255;       ///< the palette's colours
constexpr std::uint8_t kTransparent = 255;  ///< a pixel the frame before already shows
constexpr std::uint8_t kUnset = 0;          ///< a colour not looked up yet in the table (index + 1)

std::uint32_t rgb_key(const std::uint8_t* p) {
    return (static_cast<std::uint32_t>(p[0]) << 16U) | (static_cast<std::uint32_t>(p[1]) << 8U) |
           static_cast<std::uint32_t>(p[2]);
}

int write_to_string(GifFileType* gif, const GifByteType* data, int length) {
    static_cast<std::string*>(gif->UserData)
        ->append(reinterpret_cast<const char*>(data), static_cast<std::size_t>(length));
    return length;
}

void check(int status, const GifFileType* gif, const char* what) {
    if (status != GIF_OK) {
        throw std::runtime_error(
            fmt::format("GIF: {}: {}", what, GifErrorString(gif != nullptr ? gif->Error : 0)));
    }
}

}  // namespace

struct GifEncoder::Impl {
    int width = 0;
    int height = 0;
    std::string bytes;
    GifFileType* gif = nullptr;
    std::vector<std::array<std::uint8_t, 3>> palette;
    /// 2^24 entries: palette index + 1 of each RGB colour once looked up, 0 before.
    std::vector<std::uint8_t> lookup;
    std::vector<std::uint8_t> previous;  ///< the last frame's RGB (empty before the first)
    std::vector<std::uint8_t> pending;   ///< its palette indices, written when its delay is known
    int pending_delay = 0;
    std::array<int, 4> pending_rect{};  ///< left, top, width, height
    int written = 0;

    std::uint8_t index_of(const std::uint8_t* p) {
        std::uint8_t& slot = lookup[rgb_key(p)];
        if (slot == kUnset) {
            int best = 0;
            int best_d = std::numeric_limits<int>::max();
            for (std::size_t i = 0; i < palette.size(); ++i) {
                int d = 0;
                for (std::size_t c = 0; c < 3; ++c) {
                    const int diff = static_cast<int>(p[c]) - static_cast<int>(palette[i][c]);
                    d += diff * diff;
                }
                if (d < best_d) {
                    best_d = d;
                    best = static_cast<int>(i);
                }
            }
            slot = static_cast<std::uint8_t>(best + 1);
        }
        return static_cast<std::uint8_t>(slot - 1);
    }

    void flush_pending() {
        if (pending.empty()) {
            return;
        }
        GraphicsControlBlock gcb{};
        gcb.DisposalMode = DISPOSE_DO_NOT;
        gcb.DelayTime = pending_delay;
        gcb.TransparentColor = written == 0 ? NO_TRANSPARENT_COLOR : kTransparent;
        std::array<GifByteType, 4> ext{};
        EGifGCBToExtension(&gcb, ext.data());
        check(EGifPutExtension(gif, GRAPHICS_EXT_FUNC_CODE, 4, ext.data()), gif, "frame delay");
        const auto [left, top, w, h] = pending_rect;
        check(EGifPutImageDesc(gif, left, top, w, h, false, nullptr), gif, "frame");
        for (int y = 0; y < h; ++y) {
            check(
                EGifPutLine(
                    gif, pending.data() + static_cast<std::size_t>(y) * static_cast<std::size_t>(w),
                    w),
                gif, "frame row");
        }
        pending.clear();
        ++written;
    }
};

GifEncoder::GifEncoder(int width, int height, std::span<const std::uint8_t> palette_source)
    : m_impl(std::make_unique<Impl>()) {
    if (width <= 0 || height <= 0 || width > 65535 || height > 65535 ||
        palette_source.size() !=
            static_cast<std::size_t>(width) * static_cast<std::size_t>(height) * 3) {
        throw std::invalid_argument("GIF: bad size");
    }
    Impl& m = *m_impl;
    m.width = width;
    m.height = height;
    // The most frequent colours, ties broken by the colour itself (the same bytes every run).
    std::unordered_map<std::uint32_t, std::size_t> counts;
    for (std::size_t i = 0; i < palette_source.size(); i += 3) {
        ++counts[rgb_key(&palette_source[i])];
    }
    std::vector<std::pair<std::size_t, std::uint32_t>> ranked;
    ranked.reserve(counts.size());
    for (const auto& [key, n] : counts) {
        ranked.emplace_back(n, key);
    }
    std::sort(ranked.begin(), ranked.end(), [](const auto& a, const auto& b) {
        return a.first != b.first ? a.first > b.first : a.second < b.second;
    });
    ranked.resize(std::min(ranked.size(), kColours));
    std::vector<GifColorType> colours(kColours + 1);
    for (std::size_t i = 0; i < ranked.size(); ++i) {
        const std::uint32_t k = ranked[i].second;
        m.palette.push_back({static_cast<std::uint8_t>(k >> 16U),
                             static_cast<std::uint8_t>(k >> 8U), static_cast<std::uint8_t>(k)});
        colours[i] = {m.palette[i][0], m.palette[i][1], m.palette[i][2]};
    }
    m.lookup.assign(std::size_t{1} << 24U, kUnset);
    int error = 0;
    m.gif = EGifOpen(&m.bytes, write_to_string, &error);
    if (m.gif == nullptr) {
        throw std::runtime_error(fmt::format("GIF: {}", GifErrorString(error)));
    }
    EGifSetGifVersion(m.gif, true);
    ColorMapObject* map = GifMakeMapObject(static_cast<int>(kColours + 1), colours.data());
    const int status = EGifPutScreenDesc(m.gif, width, height, 8, 0, map);
    GifFreeMapObject(map);
    check(status, m.gif, "screen");
    // Loop forever: NETSCAPE2.0, sub-block 1, loop count 0.
    const std::array<GifByteType, 11> app{'N', 'E', 'T', 'S', 'C', 'A', 'P', 'E', '2', '.', '0'};
    std::array<GifByteType, 3> loop{1, 0, 0};
    check(EGifPutExtensionLeader(m.gif, APPLICATION_EXT_FUNC_CODE), m.gif, "loop");
    check(EGifPutExtensionBlock(m.gif, static_cast<int>(app.size()), app.data()), m.gif, "loop");
    check(EGifPutExtensionBlock(m.gif, static_cast<int>(loop.size()), loop.data()), m.gif, "loop");
    check(EGifPutExtensionTrailer(m.gif), m.gif, "loop");
}

GifEncoder::~GifEncoder() {
    if (m_impl && m_impl->gif != nullptr) {
        int error = 0;
        EGifCloseFile(m_impl->gif, &error);
    }
}

void GifEncoder::add(std::span<const std::uint8_t> rgb, int delay_cs) {
    Impl& m = *m_impl;
    if (rgb.size() != m.previous.size() && !m.previous.empty()) {
        throw std::invalid_argument("GIF: frames of different sizes");
    }
    const auto row_bytes = static_cast<std::size_t>(m.width) * 3;
    int top = 0;
    int bottom = m.height - 1;
    int left = 0;
    int right = m.width - 1;
    if (!m.previous.empty()) {
        // The rectangle that changed.
        const auto row_same = [&](int y) {
            const std::size_t at = static_cast<std::size_t>(y) * row_bytes;
            return std::memcmp(&rgb[at], &m.previous[at], row_bytes) == 0;
        };
        while (top <= bottom && row_same(top)) {
            ++top;
        }
        if (top > bottom) {
            m.pending_delay += delay_cs;  // the same picture: shown longer
            return;
        }
        while (row_same(bottom)) {
            --bottom;
        }
        const auto column_same = [&](int x) {
            for (int y = top; y <= bottom; ++y) {
                const std::size_t at =
                    static_cast<std::size_t>(y) * row_bytes + static_cast<std::size_t>(x) * 3;
                if (std::memcmp(&rgb[at], &m.previous[at], 3) != 0) {
                    return false;
                }
            }
            return true;
        };
        while (column_same(left)) {
            ++left;
        }
        while (column_same(right)) {
            --right;
        }
    }
    m.flush_pending();
    const int w = right - left + 1;
    const int h = bottom - top + 1;
    m.pending.resize(static_cast<std::size_t>(w) * static_cast<std::size_t>(h));
    for (int y = 0; y < h; ++y) {
        const std::uint8_t* src = &rgb[static_cast<std::size_t>(top + y) * row_bytes +
                                       static_cast<std::size_t>(left) * 3];
        std::uint8_t* dst = &m.pending[static_cast<std::size_t>(y) * static_cast<std::size_t>(w)];
        const std::uint8_t* before =
            m.previous.empty() ? nullptr : &m.previous[static_cast<std::size_t>(src - rgb.data())];
        for (int x = 0; x < w; ++x) {
            const std::size_t at = static_cast<std::size_t>(x) * 3;
            // Pixels the frame before shows already are transparent: long runs of one code.
            dst[x] = before != nullptr && std::memcmp(src + at, before + at, 3) == 0
                         ? kTransparent
                         : m.index_of(src + at);
        }
    }
    m.pending_rect = {left, top, w, h};
    m.pending_delay = delay_cs;
    m.previous.assign(rgb.begin(), rgb.end());
}

std::string GifEncoder::finish() {
    Impl& m = *m_impl;
    m.flush_pending();
    int error = 0;
    const int status = EGifCloseFile(m.gif, &error);
    m.gif = nullptr;
    if (status != GIF_OK) {
        throw std::runtime_error(fmt::format("GIF: {}", GifErrorString(error)));
    }
    return std::move(m.bytes);
}

int GifEncoder::frames() const { return m_impl->written + (m_impl->pending.empty() ? 0 : 1); }

}  // namespace convpool
