// explain.png and explain.pdf: explain's layout (explain_scene.cpp) painted on a figure canvas
// (render/figure.hpp: cairo and DejaVu Sans, or the Hershey fallback for the PNG).
#include "convpool/render/explain.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <string>
#include <vector>

#include "explain_scene.hpp"
#include "render/figure.hpp"

namespace convpool {

using namespace explain_scene;  // NOLINT(google-build-using-namespace): this file draws its scene

namespace {

constexpr Color kHatch{140, 140, 140};

void paint_rect(const Item& it, figure::Canvas& c) {
    if (it.fill) {
        c.fill_rect(it.x, it.y, it.w, it.h, *it.fill);
    }
    if (it.hatched) {
        std::vector<std::array<double, 4>> lines;
        hatch_lines(it, lines);
        for (const auto& l : lines) {
            c.line(l[0], l[1], l[2], l[3], kHatch, 1.0);
        }
    }
    if (it.stroke) {
        c.stroke_rect(it.x, it.y, it.w, it.h, *it.stroke, it.stroke_width, it.dashed);
    }
}

void paint_text(const Item& it, figure::Canvas& c) {
    const figure::Font font{it.size, it.bold};
    const double x = it.middle ? it.x - figure::backend().text_width(it.text, font) / 2.0 : it.x;
    c.text(x, it.y, it.text, font, it.fill.value_or(kBlack));
}

}  // namespace

void explain_scene::paint(const Scene& scene, figure::Canvas& canvas) {
    for (const Item& it : scene.items) {
        switch (it.kind) {
            case Item::Kind::rect:
                paint_rect(it, canvas);
                break;
            case Item::Kind::line:
                canvas.line(it.x, it.y, it.w, it.h, it.stroke.value_or(kBlack), it.stroke_width);
                break;
            case Item::Kind::circle:
                canvas.circle(it.x, it.y, it.w, it.stroke.value_or(kBlack), it.stroke_width);
                break;
            case Item::Kind::text:
                paint_text(it, canvas);
                break;
        }
    }
}

Picture explain_scene::draw(const Scene& scene, int w, int h, double scale) {
    const auto canvas = figure::backend().raster(w, h, scale, kPaper);
    paint(scene, *canvas);
    return {figure::scaled(w, scale), figure::scaled(h, scale), canvas->finish()};
}

Picture explain_picture(const Explanation& e, double scale) {
    const Scene scene = layout(e);
    return draw(scene, static_cast<int>(scene.width), static_cast<int>(scene.height), scale);
}

std::optional<std::vector<std::uint8_t>> explain_pdf(const Explanation& e) {
    const Scene scene = layout(e);
    const auto canvas = figure::backend().pdf(scene.width, scene.height, kPaper);
    if (canvas == nullptr) {
        return std::nullopt;
    }
    paint(scene, *canvas);
    return canvas->finish();
}

}  // namespace convpool
