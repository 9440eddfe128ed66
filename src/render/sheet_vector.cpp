// The contact sheet as SVG (pictures as PNG data URIs, text as real <text>) and as PDF (cairo,
// through the figure plugin): the layout of sheet.cpp's plan, drawn without pixels for text.
#include "convpool/core/error.hpp"
#include "convpool/core/text.hpp"
#include "convpool/render/visualize.hpp"
#include "convpool/report/html.hpp"

#include <fmt/format.h>

#include <string>
#include <vector>

#include "render/figure.hpp"
#include "render/sheet_plan.hpp"

namespace convpool {
namespace {

constexpr figure::Rgb kInk{40, 40, 40};
constexpr figure::Rgb kPaper{255, 255, 255};

/// A picture as an SVG <image> at (x, y), each pixel a sharp block.
std::string svg_image(const Picture& p, int x, int y) {
    return fmt::format(
        R"(<image x="{}" y="{}" width="{}" height="{}" style="image-rendering:pixelated" )"
        R"(href="data:image/png;base64,{}"/>)"
        "\n",
        x, y, p.width, p.height, base64(encode_png(p)));
}

std::string svg_text(const std::string& s, int x, int baseline, const std::string& anchor = "") {
    if (s.empty()) {
        return {};
    }
    return fmt::format(R"(<text x="{}" y="{}"{}>{}</text>)"
                       "\n",
                       x, baseline, anchor.empty() ? "" : R"( text-anchor=")" + anchor + "\"",
                       html_escape(s));
}

std::string sheet_svg(const sheet::Plan& plan, const RenderOptions& options) {
    std::string s = fmt::format(
        R"(<?xml version="1.0" encoding="UTF-8"?>)"
        "\n"
        R"(<svg xmlns="http://www.w3.org/2000/svg" width="{0}" height="{1}" viewBox="0 0 {0} {1}" )"
        R"(font-family="{2}, Verdana, sans-serif" font-size="{3}" fill="#282828" )"
        R"(style="white-space:pre">)"
        "\n",
        plan.width, plan.height, figure::kFontFamily, canvas::kTextPx);
    s += "<title>convpool contact sheet: every stage of the pipeline</title>\n";
    s += fmt::format(R"(<rect x="0" y="0" width="{}" height="{}" fill="#ffffff"/>)"
                     "\n",
                     plan.width, plan.height);
    for (const sheet::Panel& p : plan.panels) {
        s += svg_image(sheet::panel_picture(p, options), p.x, p.y);
        if (!p.item->bar.colours.empty()) {
            s += svg_image(sheet::bar_picture(p.item->bar, p.w), p.x, p.bar_y);
            s += svg_text(p.lo, p.x, p.bar_baseline());
            s += svg_text(p.hi, p.x + p.w, p.bar_baseline(), "end");
            for (const auto& [centre, label] : p.ticks) {
                s += svg_text(label, centre, p.bar_baseline(), "middle");
            }
        }
        int baseline = p.first_baseline;
        for (const auto& line : p.lines) {
            s += svg_text(line, p.x, baseline);
            baseline += canvas::kLine;
        }
    }
    return s + "</svg>\n";
}

std::string sheet_pdf(const sheet::Plan& plan, const RenderOptions& options) {
    const figure::Backend& b = figure::backend();
    const auto page = b.pdf(plan.width, plan.height, kPaper);
    if (page == nullptr) {
        throw OutputError(
            "sheet.pdf: needs the figure plugin convpool-cairo.so, which is not installed");
    }
    const figure::Font font{canvas::kTextPx};
    const auto image = [&page](const Picture& p, int x, int y) {
        page->image(p.rgb.data(), p.width, p.height, x, y, p.width, p.height);
    };
    for (const sheet::Panel& p : plan.panels) {
        image(sheet::panel_picture(p, options), p.x, p.y);
        if (!p.item->bar.colours.empty()) {
            image(sheet::bar_picture(p.item->bar, p.w), p.x, p.bar_y);
            page->text(p.x, p.bar_baseline(), p.lo, font, kInk);
            page->text(p.x + p.w - b.text_width(p.hi, font), p.bar_baseline(), p.hi, font, kInk);
            for (const auto& [centre, label] : p.ticks) {
                page->text(centre - b.text_width(label, font) / 2, p.bar_baseline(), label, font,
                           kInk);
            }
        }
        int baseline = p.first_baseline;
        for (const auto& line : p.lines) {
            page->text(p.x, baseline, line, font, kInk);
            baseline += canvas::kLine;
        }
    }
    const std::vector<std::uint8_t> bytes = page->finish();
    return {bytes.begin(), bytes.end()};
}

}  // namespace

SheetFormat parse_sheet_format(std::string_view name) {
    if (name == "png") {
        return SheetFormat::png;
    }
    if (name == "svg") {
        return SheetFormat::svg;
    }
    if (name == "pdf") {
        if (figure::backend().pdf(1, 1, kPaper) == nullptr) {
            throw UsageError(
                "--sheet-format pdf: needs the figure plugin convpool-cairo.so, which is not "
                "installed (or CONVPOOL_FIGURES=hershey)");
        }
        return SheetFormat::pdf;
    }
    throw UsageError(
        fmt::format("--sheet-format: expected png, svg or pdf, got '{}'", std::string(name)));
}

SheetFile sheet_file(const std::vector<SheetItem>& items, const RenderOptions& options) {
    RenderOptions vector = options;  // vector files: the pictures' text in their pixels
    vector.png_scale = 1.0;
    switch (options.sheet_format) {
        case SheetFormat::svg:
            return {"sheet.svg", sheet_svg(sheet::plan(items, vector), vector)};
        case SheetFormat::pdf:
            return {"sheet.pdf", sheet_pdf(sheet::plan(items, vector), vector)};
        case SheetFormat::png:
            break;
    }
    return {"sheet.png", encode_png(contact_sheet(items, options))};
}

}  // namespace convpool
