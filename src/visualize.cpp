#include "convpool/visualize.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "convpool/error.hpp"

namespace convpool {
namespace {

using Rgb = std::array<std::uint8_t, 3>;
constexpr Rgb kBackground{255, 255, 255};
constexpr Rgb kNonFinite{255, 0, 255};
const cv::Scalar kText(40, 40, 40);
constexpr int kFont = cv::FONT_HERSHEY_SIMPLEX;
constexpr double kFontScale = 0.4;
constexpr int kGap = 4;

struct Range {
    float lo = 0.0F;
    float hi = 0.0F;
    bool any = false;
};

Range finite_range(std::span<const float> v) {
    Range r{std::numeric_limits<float>::infinity(), -std::numeric_limits<float>::infinity(), false};
    for (const float x : v) {
        if (std::isfinite(x)) {
            r.lo = std::min(r.lo, x);
            r.hi = std::max(r.hi, x);
            r.any = true;
        }
    }
    if (!r.any) {
        r.lo = r.hi = 0.0F;
    }
    return r;
}

bool is_signed(const Range& r) { return r.lo < 0.0F && r.hi > 0.0F; }

/// 256-entry viridis table taken from OpenCV's colour map.
const std::array<Rgb, 256>& viridis() {
    static const std::array<Rgb, 256> lut = [] {
        cv::Mat ramp(1, 256, CV_8UC1);
        for (int i = 0; i < 256; ++i) {
            ramp.at<std::uint8_t>(0, i) = static_cast<std::uint8_t>(i);
        }
        cv::Mat colored;
        cv::applyColorMap(ramp, colored, cv::COLORMAP_VIRIDIS);
        std::array<Rgb, 256> t{};
        for (int i = 0; i < 256; ++i) {
            const auto bgr = colored.at<cv::Vec3b>(0, i);
            t[static_cast<std::size_t>(i)] = {bgr[2], bgr[1], bgr[0]};
        }
        return t;
    }();
    return lut;
}

/// 256-entry diverging table (blue - white - red, after ColorBrewer's RdBu), 128 = zero.
const std::array<Rgb, 256>& diverging() {
    static const std::array<Rgb, 256> lut = [] {
        constexpr std::array<std::array<double, 3>, 5> anchors{{{33, 102, 172},
                                                                {103, 169, 207},
                                                                {247, 247, 247},
                                                                {239, 138, 98},
                                                                {178, 24, 43}}};
        std::array<Rgb, 256> t{};
        for (int i = 0; i < 256; ++i) {
            const double pos = i / 255.0 * 4.0;
            const auto k = static_cast<std::size_t>(std::min(3.0, std::floor(pos)));
            const double f = pos - static_cast<double>(k);
            Rgb c{};
            for (std::size_t j = 0; j < 3; ++j) {
                c[j] = static_cast<std::uint8_t>(
                    std::lround(anchors[k][j] + (anchors[k + 1][j] - anchors[k][j]) * f));
            }
            t[static_cast<std::size_t>(i)] = c;
        }
        return t;
    }();
    return lut;
}

std::uint8_t to_byte(double t) {
    return static_cast<std::uint8_t>(std::lround(std::clamp(t, 0.0, 1.0) * 255.0));
}

/// Colour of value `v` under range `r`.
Rgb map_value(float v, const Range& r) {
    if (!std::isfinite(v)) {
        return kNonFinite;
    }
    if (is_signed(r)) {
        const double m = std::max(-static_cast<double>(r.lo), static_cast<double>(r.hi));
        return diverging()[to_byte((static_cast<double>(v) / m + 1.0) / 2.0)];
    }
    const double span = static_cast<double>(r.hi) - static_cast<double>(r.lo);
    const double t = span > 0 ? (static_cast<double>(v) - static_cast<double>(r.lo)) / span : 0.5;
    return viridis()[to_byte(t)];
}

Picture blank(int w, int h) {
    Picture p{w, h, {}};
    p.rgb.resize(static_cast<std::size_t>(w) * static_cast<std::size_t>(h) * 3);
    for (std::size_t i = 0; i < p.rgb.size(); i += 3) {
        p.rgb[i] = kBackground[0];
        p.rgb[i + 1] = kBackground[1];
        p.rgb[i + 2] = kBackground[2];
    }
    return p;
}

void put(Picture& p, int x, int y, const Rgb& c) {
    const auto i = (static_cast<std::size_t>(y) * static_cast<std::size_t>(p.width) +
                    static_cast<std::size_t>(x)) * 3;
    p.rgb[i] = c[0];
    p.rgb[i + 1] = c[1];
    p.rgb[i + 2] = c[2];
}

void paste(Picture& dst, const Picture& src, int x0, int y0) {
    for (int y = 0; y < src.height; ++y) {
        const auto s = static_cast<std::size_t>(y) * static_cast<std::size_t>(src.width) * 3;
        const auto d = (static_cast<std::size_t>(y0 + y) * static_cast<std::size_t>(dst.width) +
                        static_cast<std::size_t>(x0)) * 3;
        std::copy_n(src.rgb.begin() + static_cast<std::ptrdiff_t>(s), static_cast<std::size_t>(src.width) * 3,
                    dst.rgb.begin() + static_cast<std::ptrdiff_t>(d));
    }
}

void text(Picture& p, const std::string& s, int x, int baseline) {
    cv::Mat m(p.height, p.width, CV_8UC3, p.rgb.data());
    cv::putText(m, s, {x, baseline}, kFont, kFontScale, kText, 1, cv::LINE_AA);
}

int text_width(const std::string& s) {
    int base = 0;
    return cv::getTextSize(s, kFont, kFontScale, 1, &base).width;
}

Picture resize_nearest(const Picture& p, int w, int h) {
    Picture out{w, h, std::vector<std::uint8_t>(static_cast<std::size_t>(w) * static_cast<std::size_t>(h) * 3)};
    for (int y = 0; y < h; ++y) {
        const int sy = std::min(p.height - 1, static_cast<int>(static_cast<long long>(y) * p.height / h));
        for (int x = 0; x < w; ++x) {
            const int sx = std::min(p.width - 1, static_cast<int>(static_cast<long long>(x) * p.width / w));
            const auto s = (static_cast<std::size_t>(sy) * static_cast<std::size_t>(p.width) + static_cast<std::size_t>(sx)) * 3;
            put(out, x, y, {p.rgb[s], p.rgb[s + 1], p.rgb[s + 2]});
        }
    }
    return out;
}

/// Integer enlargement so that small maps are at least ~160 px on their longer side.
int enlargement(int h, int w) {
    const int longer = std::max(h, w);
    return longer >= 160 ? 1 : std::min(64, (160 + longer - 1) / longer);
}

std::string number(float v) { return fmt::format("{:.4g}", v); }

}  // namespace

Picture render_tensor(const Tensor& t, PictureKind kind) {
    const Shape& s = t.shape();
    const int f = enlargement(s.height, s.width);
    const int tw = s.width * f;
    const int th = s.height * f;
    if (kind == PictureKind::natural && (s.channels == 1 || s.channels == 3)) {
        const Range r = finite_range(t.data());
        const bool unit = r.lo >= 0.0F && r.hi <= 1.0F;
        const double lo = unit ? 0.0 : static_cast<double>(r.lo);
        const double span = unit ? 1.0 : std::max(1e-30, static_cast<double>(r.hi) - static_cast<double>(r.lo));
        Picture p = blank(tw, th);
        for (int y = 0; y < th; ++y) {
            for (int x = 0; x < tw; ++x) {
                Rgb c{};
                bool finite = true;
                for (int ch = 0; ch < 3; ++ch) {
                    const float v = t.at(s.channels == 3 ? ch : 0, y / f, x / f);
                    finite = finite && std::isfinite(v);
                    c[static_cast<std::size_t>(ch)] = to_byte((static_cast<double>(v) - lo) / span);
                }
                put(p, x, y, finite ? c : kNonFinite);
            }
        }
        return p;
    }
    const Range r = finite_range(t.data());
    const int cols = static_cast<int>(std::ceil(std::sqrt(static_cast<double>(s.channels))));
    const int rows = (s.channels + cols - 1) / cols;
    const bool labels = s.channels > 1;
    const int label_h = labels ? 14 : 0;
    const int cell_w = tw + (labels ? kGap : 0);
    const int cell_h = th + label_h + (labels ? kGap : 0);
    Picture p = blank(std::max(1, cols * cell_w - (labels ? kGap : 0)),
                      std::max(1, rows * cell_h - (labels ? kGap : 0)));
    for (int c = 0; c < s.channels; ++c) {
        const int x0 = (c % cols) * cell_w;
        const int y0 = (c / cols) * cell_h + label_h;
        const auto plane = t.channel(c);
        for (int y = 0; y < th; ++y) {
            for (int x = 0; x < tw; ++x) {
                const float v = plane[static_cast<std::size_t>((y / f) * s.width + x / f)];
                put(p, x0 + x, y0 + y, map_value(v, r));
            }
        }
        if (labels) {
            text(p, fmt::format("c{}", c), x0 + 1, y0 - 3);
        }
    }
    return p;
}

Picture titled_picture(const Picture& body, const std::string& title, const Tensor& t,
                       PictureKind kind) {
    constexpr int kTitle = 22;
    constexpr int kBar = 10;
    constexpr int kBarText = 16;
    constexpr int kMargin = 6;
    const int width = std::max({body.width + 2 * kMargin, 360, text_width(title) + 2 * kMargin});
    const int height = kTitle + body.height + kMargin + kBar + kBarText + kMargin;
    Picture p = blank(width, height);
    text(p, title, kMargin, 15);
    paste(p, body, (width - body.width) / 2, kTitle);
    const Range r = finite_range(t.data());
    const int bar_y = kTitle + body.height + kMargin;
    const int bar_w = width - 2 * kMargin;
    const bool natural = kind == PictureKind::natural && (t.shape().channels == 1 || t.shape().channels == 3);
    for (int x = 0; x < bar_w; ++x) {
        const double pos = bar_w > 1 ? static_cast<double>(x) / (bar_w - 1) : 0.0;
        Rgb c{};
        if (natural) {
            c = {to_byte(pos), to_byte(pos), to_byte(pos)};
        } else if (is_signed(r)) {
            c = diverging()[to_byte(pos)];
        } else {
            c = viridis()[to_byte(pos)];
        }
        for (int y = 0; y < kBar; ++y) {
            put(p, kMargin + x, bar_y + y, c);
        }
    }
    std::string left = number(r.lo);
    std::string right = number(r.hi);
    if (!natural && is_signed(r)) {
        const float m = std::max(-r.lo, r.hi);
        left = number(-m);
        right = number(m);
        text(p, "0", width / 2 - 3, bar_y + kBar + 12);
    } else if (natural && r.lo >= 0.0F && r.hi <= 1.0F) {
        left = "0";
        right = "1";
    } else if (!natural && !(r.hi > r.lo)) {
        left = fmt::format("constant {}", number(r.lo));
        right.clear();
    }
    text(p, left, kMargin, bar_y + kBar + 12);
    text(p, right, width - kMargin - text_width(right), bar_y + kBar + 12);
    return p;
}

Picture contact_sheet(const std::vector<SheetItem>& items, int display_height) {
    constexpr int kLabel = 36;
    constexpr int kSpace = 10;
    std::vector<Picture> scaled;
    int width = kSpace;
    for (const auto& item : items) {
        const int w = std::max(1, static_cast<int>(std::lround(static_cast<double>(item.body.width) *
                                                               display_height / item.body.height)));
        scaled.push_back(resize_nearest(item.body, w, display_height));
        width += std::max(w, std::max(text_width(item.label), text_width(item.sublabel))) + kSpace;
    }
    Picture sheet = blank(width, kSpace + display_height + kLabel);
    int x = kSpace;
    for (std::size_t i = 0; i < items.size(); ++i) {
        paste(sheet, scaled[i], x, kSpace);
        text(sheet, items[i].label, x, kSpace + display_height + 15);
        text(sheet, items[i].sublabel, x, kSpace + display_height + 30);
        x += std::max(scaled[i].width,
                      std::max(text_width(items[i].label), text_width(items[i].sublabel))) + kSpace;
    }
    return sheet;
}

std::string encode_png(const Picture& p) {
    try {
        cv::Mat rgb(p.height, p.width, CV_8UC3, const_cast<std::uint8_t*>(p.rgb.data()));  // NOLINT: read only
        cv::Mat bgr;
        cv::cvtColor(rgb, bgr, cv::COLOR_RGB2BGR);
        std::vector<std::uint8_t> buf;
        if (!cv::imencode(".png", bgr, buf)) {
            throw OutputError("cannot encode PNG");
        }
        return {buf.begin(), buf.end()};
    } catch (const cv::Exception& e) {
        throw OutputError(fmt::format("cannot encode PNG: {}", e.msg));
    }
}

}  // namespace convpool
