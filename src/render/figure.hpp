#pragma once
/// \file figure.hpp
/// What figures are drawn on (private to render/): a canvas of text and shapes, with text
/// measured before it is placed. The implementation is the plugin convpool-cairo.so (cairo,
/// anti-aliased DejaVu Sans, PNG pixels and PDF pages from the same calls), loaded with dlopen
/// the first time a figure draws text; without it (or with CONVPOOL_FIGURES=hershey) OpenCV's
/// Hershey font draws the pixels and no PDF can be made. SVG figures are written by hand with
/// real <text> elements (cairo's SVG surface writes text as glyph outlines).

#include <array>
#include <cmath>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace convpool::figure {

using Rgb = std::array<std::uint8_t, 3>;

/// The family every figure names: DejaVu Sans (fonts-dejavu-core), also in SVG's font-family.
inline constexpr const char* kFontFamily = "DejaVu Sans";

/// A font size in px (the em) and weight.
struct Font {
    double size = 14.0;
    bool bold = false;
};

/// Text and shapes on one surface, in px (a raster canvas may draw each px as scale x scale
/// pixels). Colours are RGB.
class Canvas {
public:
    Canvas() = default;
    Canvas(const Canvas&) = delete;
    Canvas& operator=(const Canvas&) = delete;
    Canvas(Canvas&&) = delete;
    Canvas& operator=(Canvas&&) = delete;
    virtual ~Canvas() = default;

    virtual void fill_rect(double x, double y, double w, double h, Rgb colour) = 0;
    /// The outline of a rectangle, `width` px wide, centred on its edges; dashed: 4 on, 3 off.
    virtual void stroke_rect(double x, double y, double w, double h, Rgb colour, double width,
                             bool dashed) = 0;
    virtual void line(double x0, double y0, double x1, double y1, Rgb colour, double width) = 0;
    virtual void circle(double cx, double cy, double r, Rgb colour, double width) = 0;
    /// UTF-8 text with its baseline starting at (x, baseline).
    virtual void text(double x, double baseline, std::string_view utf8, const Font& font,
                      Rgb colour) = 0;
    /// An RGB image (w x h, row-major) drawn into the rectangle (x, y, dw, dh), each pixel a
    /// sharp block (nearest neighbour).
    virtual void image(const std::uint8_t* rgb, int w, int h, double x, double y, double dw,
                       double dh) = 0;
    /// Ends the drawing: a raster canvas's RGB pixels, a PDF canvas's file.
    [[nodiscard]] virtual std::vector<std::uint8_t> finish() = 0;
};

/// A drawing library: measures text and makes canvases.
class Backend {
public:
    Backend() = default;
    Backend(const Backend&) = delete;
    Backend& operator=(const Backend&) = delete;
    Backend(Backend&&) = delete;
    Backend& operator=(Backend&&) = delete;
    virtual ~Backend() = default;

    /// The library's name, as --version and the tests read it ("cairo 1.16.0", "hershey").
    [[nodiscard]] virtual std::string name() const = 0;
    /// The advance width of `utf8` in px.
    [[nodiscard]] virtual double text_width(std::string_view utf8, const Font& font) const = 0;
    /// `utf8` drawn onto an RGB picture (w x h, row-major) in place, baseline at (x, baseline).
    virtual void draw_text(std::uint8_t* rgb, int w, int h, double x, double baseline,
                           std::string_view utf8, const Font& font, Rgb colour) const = 0;
    /// A w x h px canvas on `paper`, drawn at `scale` pixels per px.
    [[nodiscard]] virtual std::unique_ptr<Canvas> raster(double w, double h, double scale,
                                                         Rgb paper) const = 0;
    /// A PDF page of w x h px (1 px = 0.75 pt), or null when the library makes no PDF.
    [[nodiscard]] virtual std::unique_ptr<Canvas> pdf(double w, double h, Rgb paper) const = 0;
};

/// The backend figures are drawn with: convpool-cairo.so, loaded on the first call, or the
/// Hershey fallback when the plugin is missing or CONVPOOL_FIGURES=hershey.
[[nodiscard]] const Backend& backend();

/// The Hershey fallback itself (OpenCV), whatever is installed.
[[nodiscard]] const Backend& hershey_backend();

/// A raster canvas's pixels as w x h RGB (finish()'s bytes): `scale` applied to w and h.
[[nodiscard]] inline int scaled(double px, double scale) {
    return static_cast<int>(std::lround(px * scale));
}

}  // namespace convpool::figure

/// What convpool-cairo.so exports: its backend, alive until the process ends.
extern "C" const convpool::figure::Backend* convpool_figure_backend();
