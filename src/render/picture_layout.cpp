#include "render/picture_layout.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace convpool::detail {
namespace {

/// Integer enlargement so that small maps are at least ~160 px on their longer side.
int enlargement(int h, int w) {
    const int longer = std::max(h, w);
    return longer >= 160 ? 1 : std::min(64, (160 + longer - 1) / longer);
}

/// Longest side and most pixels of a stage picture, whatever the tensor's shape (a 1000000x1
/// PNG drew a 360x1000060 picture in 3 GB): a map too large is drawn at 1/d of its size, and
/// a stage with more channels than fit shows the first of them; the legend says so.
constexpr long long kMaxSide = 16384;
constexpr long long kMaxPixels = 64LL << 20;
/// What titled_picture adds around a body (margins, title, colour bar, two text lines).
constexpr long long kFrameWidth = 12;
constexpr long long kFrameHeight = 108;
/// The most channels a stage picture shows.
constexpr int kMaxShownChannels = 4096;

}  // namespace

Layout layout(const Shape& s, bool natural, int columns, int picture_size) {
    Layout l;
    l.f = enlargement(s.height, s.width);
    l.shown = natural ? s.channels : std::min(s.channels, kMaxShownChannels);
    const auto fits = [picture_size](long long w, long long h) {
        if (picture_size > 0 && (w > picture_size || h > picture_size)) {
            return false;
        }
        const long long fw = std::max(w + kFrameWidth, 1024LL);
        const long long fh = h + kFrameHeight;
        return fw <= kMaxSide && fh <= kMaxSide && fw * fh <= kMaxPixels;
    };
    for (;;) {
        const int grid = natural ? 1 : l.shown;  // a natural picture is one map
        l.cols = columns > 0 ? std::min(columns, grid)
                             : static_cast<int>(std::ceil(std::sqrt(static_cast<double>(grid))));
        l.rows = (grid + l.cols - 1) / l.cols;
        l.labels = !natural && s.channels > 1;
        const long long gap = l.labels ? kGap : 0;
        const long long label_h = l.labels ? kTileLabel : 0;
        const long long tw = (static_cast<long long>(s.width) * l.f + l.d - 1) / l.d;
        const long long th = (static_cast<long long>(s.height) * l.f + l.d - 1) / l.d;
        const long long w = std::max(1LL, l.cols * (tw + gap) - gap);
        const long long h = std::max(1LL, l.rows * (th + label_h + gap) - gap);
        if (fits(w, h)) {
            l.tw = static_cast<int>(tw);
            l.th = static_cast<int>(th);
            l.width = static_cast<int>(w);
            l.height = static_cast<int>(h);
            return l;
        }
        if (tw > 1 || th > 1) {
            l.d += std::max(1, l.d / 4);
        } else {
            l.shown = std::max(1, l.shown / 2);
        }
    }
}

std::string reduction_note(const Layout& l, const Shape& s, bool mean, int picture_size) {
    const int channels = s.channels;
    std::string note;
    if (reduces(l)) {
        const std::string what = mean ? "mean" : "largest magnitude";
        const std::string scale =
            fmt::format("shown at 1/{:.3g} scale", static_cast<double>(l.d) / l.f);
        if (s.height % l.th == 0 && s.width % l.tw == 0) {
            note =
                fmt::format("{}: {} of each {}x{}", scale, what, s.height / l.th, s.width / l.tw);
        } else {  // the adaptive bins: blocks of one or two sizes per axis
            note = fmt::format("{}: {} of each block of about {:.3g}x{:.3g} cells", scale, what,
                               static_cast<double>(s.height) / l.th,
                               static_cast<double>(s.width) / l.tw);
        }
    } else if (l.d > 1) {
        note = fmt::format("enlarged {:.3g}x, not {}x", static_cast<double>(l.f) / l.d, l.f);
    }
    if (l.shown < channels) {
        note +=
            fmt::format("{}showing {} of {} channels", note.empty() ? "" : "; ", l.shown, channels);
    }
    if (note.empty()) {
        return note;
    }
    return note + (picture_size > 0 && picture_size < 16384
                       ? fmt::format(" (--picture-size {}; the raw outputs keep every value)",
                                     picture_size)
                       : std::string(" (pictures keep to 16384 px a side and 64 MP; the raw "
                                     "outputs keep every value)"));
}

}  // namespace convpool::detail
