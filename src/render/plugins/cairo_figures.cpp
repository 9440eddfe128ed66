// convpool-cairo.so: render/figure.hpp's canvas drawn with cairo, text in DejaVu Sans,
// anti-aliased; PNG pixels and PDF pages from the same calls. Loaded with dlopen by
// render/figure.cpp the first time a figure draws text: linking cairo would load it (and
// fontconfig, freetype, pixman) at every start of convpool.
#include <cairo-pdf.h>
#include <cairo.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <ctime>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "render/figure.hpp"

namespace convpool::figure {
namespace {

using SurfacePtr = std::unique_ptr<cairo_surface_t, decltype(&cairo_surface_destroy)>;
using ContextPtr = std::unique_ptr<cairo_t, decltype(&cairo_destroy)>;

/// Same metrics for every surface: no hinting, so a width measured once is the width drawn on a
/// PNG at any scale and on a PDF page.
void set_font(cairo_t* cr, const Font& font) {
    cairo_select_font_face(cr, kFontFamily, CAIRO_FONT_SLANT_NORMAL,
                           font.bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(cr, font.size);
    cairo_font_options_t* options = cairo_font_options_create();
    cairo_font_options_set_hint_metrics(options, CAIRO_HINT_METRICS_OFF);
    cairo_font_options_set_hint_style(options, CAIRO_HINT_STYLE_NONE);
    cairo_font_options_set_antialias(options, CAIRO_ANTIALIAS_GRAY);
    cairo_set_font_options(cr, options);
    cairo_font_options_destroy(options);
}

/// `s` as cairo may take it: an invalid UTF-8 sequence (a file name's bytes) would put the
/// context in an error state that stops all later drawing, so each bad byte becomes '?'.
std::string valid_utf8(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    std::size_t i = 0;
    while (i < s.size()) {
        const auto c = static_cast<unsigned char>(s[i]);
        std::size_t n = 0;
        std::uint32_t cp = 0;
        if (c < 0x80U) {
            n = 1;
            cp = c;
        } else if ((c & 0xE0U) == 0xC0U) {
            n = 2;
            cp = c & 0x1FU;
        } else if ((c & 0xF0U) == 0xE0U) {
            n = 3;
            cp = c & 0x0FU;
        } else if ((c & 0xF8U) == 0xF0U) {
            n = 4;
            cp = c & 0x07U;
        }
        bool ok = n > 0 && i + n <= s.size();
        for (std::size_t k = 1; ok && k < n; ++k) {
            const auto d = static_cast<unsigned char>(s[i + k]);
            ok = (d & 0xC0U) == 0x80U;
            cp = (cp << 6U) | (d & 0x3FU);
        }
        // Overlong forms, surrogates and values past U+10FFFF are invalid too.
        static constexpr std::array<std::uint32_t, 5> kLeast{0, 0, 0x80, 0x800, 0x10000};
        ok = ok && cp >= kLeast[n] && cp <= 0x10FFFFU && (cp < 0xD800U || cp > 0xDFFFU) && cp != 0;
        if (ok) {
            out.append(s.substr(i, n));
            i += n;
        } else {
            out += '?';
            ++i;
        }
    }
    return out;
}

void set_colour(cairo_t* cr, Rgb c) {
    cairo_set_source_rgb(cr, c[0] / 255.0, c[1] / 255.0, c[2] / 255.0);
}

/// cairo's RGB24 pixel (0x00RRGGBB in a native uint32) from RGB bytes, and back.
std::uint32_t pack(const std::uint8_t* p) {
    return (std::uint32_t{p[0]} << 16U) | (std::uint32_t{p[1]} << 8U) | std::uint32_t{p[2]};
}
void unpack(std::uint32_t v, std::uint8_t* p) {
    p[0] = static_cast<std::uint8_t>((v >> 16U) & 0xFFU);
    p[1] = static_cast<std::uint8_t>((v >> 8U) & 0xFFU);
    p[2] = static_cast<std::uint8_t>(v & 0xFFU);
}

/// One surface and its context, drawing in px.
class CairoCanvas : public Canvas {
public:
    CairoCanvas(SurfacePtr surface, double scale, double w, double h, Rgb paper)
        : m_surface(std::move(surface)), m_cr(cairo_create(m_surface.get()), &cairo_destroy) {
        cairo_scale(m_cr.get(), scale, scale);
        set_colour(m_cr.get(), paper);
        cairo_rectangle(m_cr.get(), 0, 0, w, h);
        cairo_fill(m_cr.get());
    }

    void fill_rect(double x, double y, double w, double h, Rgb colour) override {
        set_colour(m_cr.get(), colour);
        cairo_rectangle(m_cr.get(), x, y, w, h);
        cairo_fill(m_cr.get());
    }

    void stroke_rect(double x, double y, double w, double h, Rgb colour, double width,
                     bool dashed) override {
        set_colour(m_cr.get(), colour);
        cairo_set_line_width(m_cr.get(), width);
        const std::array<double, 2> dashes{4.0, 3.0};
        cairo_set_dash(m_cr.get(), dashes.data(), dashed ? 2 : 0, 0.0);
        cairo_rectangle(m_cr.get(), x, y, w, h);
        cairo_stroke(m_cr.get());
        cairo_set_dash(m_cr.get(), nullptr, 0, 0.0);
    }

    void line(double x0, double y0, double x1, double y1, Rgb colour, double width) override {
        set_colour(m_cr.get(), colour);
        cairo_set_line_width(m_cr.get(), width);
        cairo_move_to(m_cr.get(), x0, y0);
        cairo_line_to(m_cr.get(), x1, y1);
        cairo_stroke(m_cr.get());
    }

    void circle(double cx, double cy, double r, Rgb colour, double width) override {
        set_colour(m_cr.get(), colour);
        cairo_set_line_width(m_cr.get(), width);
        cairo_new_sub_path(m_cr.get());
        cairo_arc(m_cr.get(), cx, cy, r, 0.0, 2.0 * M_PI);
        cairo_stroke(m_cr.get());
    }

    void text(double x, double baseline, std::string_view utf8, const Font& font,
              Rgb colour) override {
        const std::string s = valid_utf8(utf8);
        set_font(m_cr.get(), font);
        set_colour(m_cr.get(), colour);
        cairo_move_to(m_cr.get(), x, baseline);
        cairo_show_text(m_cr.get(), s.c_str());
    }

    void image(const std::uint8_t* rgb, int w, int h, double x, double y, double dw,
               double dh) override {
        SurfacePtr img(cairo_image_surface_create(CAIRO_FORMAT_RGB24, w, h),
                       &cairo_surface_destroy);
        cairo_surface_flush(img.get());
        unsigned char* data = cairo_image_surface_get_data(img.get());
        const int stride = cairo_image_surface_get_stride(img.get());
        for (int yy = 0; yy < h; ++yy) {
            auto* row =
                reinterpret_cast<std::uint32_t*>(data + static_cast<std::ptrdiff_t>(yy) * stride);
            const std::uint8_t* src = rgb + static_cast<std::ptrdiff_t>(yy) * w * 3;
            for (int xx = 0; xx < w; ++xx) {
                row[xx] = pack(src + static_cast<std::ptrdiff_t>(xx) * 3);
            }
        }
        cairo_surface_mark_dirty(img.get());
        cairo_save(m_cr.get());
        cairo_rectangle(m_cr.get(), x, y, dw, dh);
        cairo_clip(m_cr.get());
        cairo_translate(m_cr.get(), x, y);
        cairo_scale(m_cr.get(), dw / w, dh / h);
        cairo_set_source_surface(m_cr.get(), img.get(), 0, 0);
        cairo_pattern_set_filter(cairo_get_source(m_cr.get()), CAIRO_FILTER_NEAREST);
        cairo_paint(m_cr.get());
        cairo_restore(m_cr.get());
    }

    std::vector<std::uint8_t> finish() override { return finish_surface(); }

protected:
    [[nodiscard]] cairo_surface_t* surface() const { return m_surface.get(); }
    void end_drawing() { m_cr.reset(); }

private:
    SurfacePtr m_surface;
    ContextPtr m_cr;

    virtual std::vector<std::uint8_t> finish_surface() = 0;
};

class RasterCanvas final : public CairoCanvas {
public:
    RasterCanvas(int pw, int ph, double scale, double w, double h, Rgb paper)
        : CairoCanvas(SurfacePtr(cairo_image_surface_create(CAIRO_FORMAT_RGB24, pw, ph),
                                 &cairo_surface_destroy),
                      scale, w, h, paper),
          m_width(pw),
          m_height(ph) {}

private:
    int m_width;
    int m_height;

    std::vector<std::uint8_t> finish_surface() override {
        end_drawing();
        cairo_surface_flush(surface());
        const unsigned char* data = cairo_image_surface_get_data(surface());
        const int stride = cairo_image_surface_get_stride(surface());
        std::vector<std::uint8_t> out(static_cast<std::size_t>(m_width) *
                                      static_cast<std::size_t>(m_height) * 3);
        for (int y = 0; y < m_height; ++y) {
            const auto* row = reinterpret_cast<const std::uint32_t*>(
                data + static_cast<std::ptrdiff_t>(y) * stride);
            for (int x = 0; x < m_width; ++x) {
                unpack(row[x], out.data() + (static_cast<std::size_t>(y) *
                                                 static_cast<std::size_t>(m_width) +
                                             static_cast<std::size_t>(x)) *
                                                3);
            }
        }
        return out;
    }
};

cairo_status_t append(void* closure, const unsigned char* data, unsigned int length) {
    auto* out = static_cast<std::vector<std::uint8_t>*>(closure);
    out->insert(out->end(), data, data + length);
    return CAIRO_STATUS_SUCCESS;
}

/// The date a PDF says it was made and changed, so that the same figure gives the same bytes:
/// SOURCE_DATE_EPOCH (seconds since 1970, UTC; reproducible-builds.org) when it is set to a
/// whole number, else a fixed date, 2000-01-01T00:00:00Z (cairo would write the time of the run).
std::string pdf_date() {
    std::time_t when = 946684800;  // 2000-01-01T00:00:00Z
    const char* env = std::getenv("SOURCE_DATE_EPOCH");
    const std::string_view text = env != nullptr ? env : "";
    long long seconds = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), seconds);
    constexpr long long kLast = 253402300799;  // 9999-12-31T23:59:59Z
    if (!text.empty() && ec == std::errc() && end == text.data() + text.size() && seconds >= 0 &&
        seconds <= kLast) {
        when = static_cast<std::time_t>(seconds);
    }
    std::tm utc{};
    gmtime_r(&when, &utc);
    std::array<char, 32> out{};
    const std::size_t n = std::strftime(out.data(), out.size(), "%Y-%m-%dT%H:%M:%SZ", &utc);
    return {out.data(), n};
}

class PdfCanvas final : public CairoCanvas {
public:
    PdfCanvas(std::unique_ptr<std::vector<std::uint8_t>> bytes, double w, double h, Rgb paper)
        : CairoCanvas(SurfacePtr(cairo_pdf_surface_create_for_stream(&append, bytes.get(), w * 0.75,
                                                                     h * 0.75),
                                 &cairo_surface_destroy),
                      0.75, w, h, paper),
          m_bytes(std::move(bytes)) {
        cairo_pdf_surface_set_metadata(surface(), CAIRO_PDF_METADATA_CREATOR, "convpool");
        const std::string date = pdf_date();
        cairo_pdf_surface_set_metadata(surface(), CAIRO_PDF_METADATA_CREATE_DATE, date.c_str());
        cairo_pdf_surface_set_metadata(surface(), CAIRO_PDF_METADATA_MOD_DATE, date.c_str());
    }

    PdfCanvas(const PdfCanvas&) = delete;
    PdfCanvas& operator=(const PdfCanvas&) = delete;
    PdfCanvas(PdfCanvas&&) = delete;
    PdfCanvas& operator=(PdfCanvas&&) = delete;
    // The surface writes its last bytes when it is finished: before the buffer goes (a canvas
    // dropped without finish(); after finish() this does nothing).
    ~PdfCanvas() override {
        end_drawing();
        cairo_surface_finish(surface());
    }

private:
    std::unique_ptr<std::vector<std::uint8_t>> m_bytes;

    std::vector<std::uint8_t> finish_surface() override {
        end_drawing();
        cairo_surface_finish(surface());
        return std::move(*m_bytes);
    }
};

class CairoBackend final : public Backend {
public:
    CairoBackend()
        : m_scratch(cairo_image_surface_create(CAIRO_FORMAT_RGB24, 1, 1), &cairo_surface_destroy),
          m_measure(cairo_create(m_scratch.get()), &cairo_destroy) {}

    [[nodiscard]] std::string name() const override {
        return std::string("cairo ") + cairo_version_string();
    }

    [[nodiscard]] double text_width(std::string_view utf8, const Font& font) const override {
        const std::string s = valid_utf8(utf8);
        const std::lock_guard lock(m_mutex);
        set_font(m_measure.get(), font);
        cairo_text_extents_t e{};
        cairo_text_extents(m_measure.get(), s.c_str(), &e);
        return e.x_advance;
    }

    void draw_text(std::uint8_t* rgb, int w, int h, double x, double baseline,
                   std::string_view utf8, const Font& font, Rgb colour) const override {
        // Only the text's box is copied to a cairo surface and back.
        const double width = text_width(utf8, font);
        const int x0 = std::max(0, static_cast<int>(std::floor(x)) - 2);
        const int x1 = std::min(w, static_cast<int>(std::ceil(x + width)) + 3);
        const int y0 = std::max(0, static_cast<int>(std::floor(baseline - font.size * 1.1)));
        const int y1 = std::min(h, static_cast<int>(std::ceil(baseline + font.size * 0.4)));
        if (x1 <= x0 || y1 <= y0) {
            return;
        }
        const int bw = x1 - x0;
        const int bh = y1 - y0;
        SurfacePtr box(cairo_image_surface_create(CAIRO_FORMAT_RGB24, bw, bh),
                       &cairo_surface_destroy);
        cairo_surface_flush(box.get());
        unsigned char* data = cairo_image_surface_get_data(box.get());
        const int stride = cairo_image_surface_get_stride(box.get());
        const auto at = [&](int yy, int xx) {
            return rgb + ((static_cast<std::size_t>(y0 + yy) * static_cast<std::size_t>(w)) +
                          static_cast<std::size_t>(x0 + xx)) *
                             3;
        };
        for (int yy = 0; yy < bh; ++yy) {
            auto* row =
                reinterpret_cast<std::uint32_t*>(data + static_cast<std::ptrdiff_t>(yy) * stride);
            for (int xx = 0; xx < bw; ++xx) {
                row[xx] = pack(at(yy, xx));
            }
        }
        cairo_surface_mark_dirty(box.get());
        {
            const ContextPtr cr(cairo_create(box.get()), &cairo_destroy);
            set_font(cr.get(), font);
            set_colour(cr.get(), colour);
            cairo_move_to(cr.get(), x - x0, baseline - y0);
            const std::string s = valid_utf8(utf8);
            cairo_show_text(cr.get(), s.c_str());
        }
        cairo_surface_flush(box.get());
        for (int yy = 0; yy < bh; ++yy) {
            const auto* row = reinterpret_cast<const std::uint32_t*>(
                data + static_cast<std::ptrdiff_t>(yy) * stride);
            for (int xx = 0; xx < bw; ++xx) {
                unpack(row[xx], at(yy, xx));
            }
        }
    }

    [[nodiscard]] std::unique_ptr<Canvas> raster(double w, double h, double scale,
                                                 Rgb paper) const override {
        return std::make_unique<RasterCanvas>(scaled(w, scale), scaled(h, scale), scale, w, h,
                                              paper);
    }

    [[nodiscard]] std::unique_ptr<Canvas> pdf(double w, double h, Rgb paper) const override {
        return std::make_unique<PdfCanvas>(std::make_unique<std::vector<std::uint8_t>>(), w, h,
                                           paper);
    }

private:
    SurfacePtr m_scratch;
    ContextPtr m_measure;
    mutable std::mutex m_mutex;  // the measuring context is shared by the drawing threads
};

}  // namespace
}  // namespace convpool::figure

extern "C" __attribute__((visibility("default"))) const convpool::figure::Backend*
convpool_figure_backend() {
    static const convpool::figure::CairoBackend backend;
    return &backend;
}
