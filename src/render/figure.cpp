// The figure backend: convpool-cairo.so when it loads, else OpenCV's Hershey font (figure.hpp).
#include "render/figure.hpp"

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <string>
#include <string_view>

#include "io/plugin_loader.hpp"

namespace convpool::figure {
namespace {

constexpr int kHershey = cv::FONT_HERSHEY_SIMPLEX;

/// Hershey fonts are ASCII only: arrows and multiplication signs spelled out, the rest dropped.
std::string ascii(std::string_view s) {
    std::string t;
    for (std::size_t i = 0; i < s.size(); ++i) {
        const auto c = static_cast<unsigned char>(s[i]);
        if (s.compare(i, 3, "\u2192") == 0) {
            t += "->";
            i += 2;
        } else if (s.compare(i, 2, "\u00d7") == 0) {
            t += "x";
            i += 1;
        } else if (c < 0x80) {
            t += static_cast<char>(c);
        }
    }
    return t;
}

/// A Hershey scale whose capitals are about as high as DejaVu Sans's at `font.size`.
double hershey_scale(const Font& font) { return font.size / 32.0; }
int hershey_thickness(const Font& font, double scale) {
    return std::max(1, static_cast<int>(std::lround((font.bold ? 2.0 : 1.0) * scale)));
}

cv::Scalar bgr(Rgb c) { return {static_cast<double>(c[2]), c[1] * 1.0, c[0] * 1.0}; }

cv::Point point(double x, double y, double scale) {
    return {static_cast<int>(std::lround(x * scale)), static_cast<int>(std::lround(y * scale))};
}

/// The Hershey canvas: an OpenCV BGR image, every px drawn as scale x scale pixels.
class HersheyCanvas final : public Canvas {
public:
    HersheyCanvas(double w, double h, double scale, Rgb paper)
        : m_scale(scale), m_image(scaled(h, scale), scaled(w, scale), CV_8UC3, bgr(paper)) {}

    void fill_rect(double x, double y, double w, double h, Rgb colour) override {
        cv::rectangle(m_image, point(x, y, m_scale), point(x + w, y + h, m_scale) - cv::Point(1, 1),
                      bgr(colour), cv::FILLED);
    }

    void stroke_rect(double x, double y, double w, double h, Rgb colour, double width,
                     bool dashed) override {
        if (!dashed) {
            cv::rectangle(m_image, point(x, y, m_scale), point(x + w, y + h, m_scale), bgr(colour),
                          thickness(width));
            return;
        }
        const std::array<std::array<double, 4>, 4> sides{{{x, y, x + w, y},
                                                          {x + w, y, x + w, y + h},
                                                          {x + w, y + h, x, y + h},
                                                          {x, y + h, x, y}}};
        for (const auto& sd : sides) {
            const double len = std::hypot(sd[2] - sd[0], sd[3] - sd[1]);
            const auto dashes = static_cast<int>(std::ceil(len / 7));
            for (int k = 0; k < dashes; ++k) {
                const double f0 = 7.0 * k / len;
                const double f1 = std::min(1.0, (7.0 * k + 4) / len);
                cv::line(m_image,
                         point(sd[0] + (sd[2] - sd[0]) * f0, sd[1] + (sd[3] - sd[1]) * f0, m_scale),
                         point(sd[0] + (sd[2] - sd[0]) * f1, sd[1] + (sd[3] - sd[1]) * f1, m_scale),
                         bgr(colour), thickness(width));
            }
        }
    }

    void line(double x0, double y0, double x1, double y1, Rgb colour, double width) override {
        cv::line(m_image, point(x0, y0, m_scale), point(x1, y1, m_scale), bgr(colour),
                 thickness(width), cv::LINE_AA);
    }

    void circle(double cx, double cy, double r, Rgb colour, double width) override {
        cv::circle(m_image, point(cx, cy, m_scale), static_cast<int>(std::lround(r * m_scale)),
                   bgr(colour), thickness(width), cv::LINE_AA);
    }

    void text(double x, double baseline, std::string_view utf8, const Font& font,
              Rgb colour) override {
        const double s = hershey_scale(font) * m_scale;
        cv::putText(m_image, ascii(utf8), point(x, baseline, m_scale), kHershey, s, bgr(colour),
                    hershey_thickness(font, m_scale), cv::LINE_AA);
    }

    void image(const std::uint8_t* rgb, int w, int h, double x, double y, double dw,
               double dh) override {
        const cv::Point a = point(x, y, m_scale);
        const cv::Point b = point(x + dw, y + dh, m_scale);
        const cv::Rect target = cv::Rect(a, b) & cv::Rect(0, 0, m_image.cols, m_image.rows);
        for (int py = target.y; py < target.y + target.height; ++py) {
            const int sy = std::min(h - 1, static_cast<int>((py - a.y) * 1.0 * h / (b.y - a.y)));
            for (int px = target.x; px < target.x + target.width; ++px) {
                const int sx =
                    std::min(w - 1, static_cast<int>((px - a.x) * 1.0 * w / (b.x - a.x)));
                const std::uint8_t* p =
                    rgb + (static_cast<std::size_t>(sy) * static_cast<std::size_t>(w) +
                           static_cast<std::size_t>(sx)) *
                              3;
                m_image.at<cv::Vec3b>(py, px) = cv::Vec3b(p[2], p[1], p[0]);
            }
        }
    }

    std::vector<std::uint8_t> finish() override {
        std::vector<std::uint8_t> out(m_image.total() * 3);
        cv::Mat rgb(m_image.rows, m_image.cols, CV_8UC3, out.data());
        cv::cvtColor(m_image, rgb, cv::COLOR_BGR2RGB);
        return out;
    }

private:
    double m_scale;
    cv::Mat m_image;

    [[nodiscard]] int thickness(double width) const {
        return std::max(1, static_cast<int>(std::lround(width * m_scale)));
    }
};

class HersheyBackend final : public Backend {
public:
    [[nodiscard]] std::string name() const override { return "hershey"; }

    [[nodiscard]] double text_width(std::string_view utf8, const Font& font) const override {
        int base = 0;
        return cv::getTextSize(ascii(utf8), kHershey, hershey_scale(font),
                               hershey_thickness(font, 1.0), &base)
            .width;
    }

    void draw_text(std::uint8_t* rgb, int w, int h, double x, double baseline,
                   std::string_view utf8, const Font& font, Rgb colour) const override {
        cv::Mat m(h, w, CV_8UC3, rgb);
        // The picture is RGB: the colour is given in the order of its bytes.
        cv::putText(m, ascii(utf8), point(x, baseline, 1.0), kHershey, hershey_scale(font),
                    cv::Scalar(colour[0], colour[1], colour[2]), hershey_thickness(font, 1.0),
                    cv::LINE_AA);
    }

    [[nodiscard]] std::unique_ptr<Canvas> raster(double w, double h, double scale,
                                                 Rgb paper) const override {
        return std::make_unique<HersheyCanvas>(w, h, scale, paper);
    }

    [[nodiscard]] std::unique_ptr<Canvas> pdf(double /*w*/, double /*h*/,
                                              Rgb /*paper*/) const override {
        return nullptr;
    }
};

using BackendFunction = const Backend* (*)();

const Backend* load() {
    // NOLINTNEXTLINE(concurrency-mt-unsafe): read once, under the static's initialisation lock
    const char* choice = std::getenv("CONVPOOL_FIGURES");
    if (choice != nullptr && std::string_view(choice) == "hershey") {
        return &hershey_backend();
    }
    const PluginSymbol found =
        load_plugin_symbol("convpool-cairo.so", "convpool_figure_backend", "figure");
    if (found.symbol == nullptr) {
        return &hershey_backend();
    }
    return reinterpret_cast<BackendFunction>(found.symbol)();
}

}  // namespace

const Backend& hershey_backend() {
    static const HersheyBackend backend;
    return backend;
}

const Backend& backend() {
    static const Backend* const chosen = load();
    return *chosen;
}

}  // namespace convpool::figure
