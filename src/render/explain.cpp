// explain's figure: one layout (a list of rectangles, lines and texts) drawn three ways: as SVG
// with real <text> elements, as the same SVG made interactive in an HTML page, and with OpenCV
// as a PNG. explain.json carries every number the figure shows.
#include "convpool/render/explain.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

namespace convpool {
namespace {

using Color = std::array<std::uint8_t, 3>;

constexpr Color kBlack{0, 0, 0};
constexpr Color kWhite{255, 255, 255};
constexpr Color kGray{120, 120, 120};
constexpr Color kPaper{250, 250, 250};
/// The chosen window and output cell: Okabe-Ito orange, apart from every colour-map colour.
constexpr Color kHighlight{230, 97, 0};
/// A value that is not finite.
constexpr Color kNonFiniteFill{255, 0, 255};

constexpr double kCell = 48.0;      ///< cell side, px
constexpr double kGap = 56.0;       ///< between stages
constexpr double kMargin = 24.0;    ///< around the figure
constexpr double kTitle = 16.0;     ///< title text size
constexpr double kText = 14.0;      ///< labels and formulas
constexpr double kLine = 22.0;      ///< a line of text
constexpr double kCharWidth = 0.6;  ///< estimated advance of a character, in text sizes

/// One thing drawn. Rectangles may carry an id and data for the HTML page.
struct Item {
    enum class Kind { rect, line, text, circle };
    Kind kind = Kind::rect;
    double x = 0;
    double y = 0;
    double w = 0;  ///< rect: width; line: x2; circle: radius
    double h = 0;  ///< rect: height; line: y2
    std::optional<Color> fill;
    std::optional<Color> stroke;
    double stroke_width = 1.0;
    bool dashed = false;
    bool hatched = false;  ///< padding: diagonal lines over the fill
    std::string text;      ///< text items
    double size = kText;
    bool middle = false;  ///< text anchored at its middle
    bool bold = false;
    std::string id;     ///< rect: id in the SVG
    std::string klass;  ///< rect: class in the SVG
    std::string data;   ///< rect: more attributes, written as they are
    std::string title;  ///< rect: a tooltip and text alternative
};

struct Scene {
    double width = 0;
    double height = 0;
    std::vector<Item> items;
};

/// Index of (y, x) in a row-major grid `width` wide, computed in std::size_t.
std::size_t flat(int y, int width, int x) {
    return static_cast<std::size_t>(y) * static_cast<std::size_t>(width) +
           static_cast<std::size_t>(x);
}

/// A finite range over every value of every stage of every panel (one colour scale).
std::pair<float, float> value_range(const Explanation& e) {
    float lo = std::numeric_limits<float>::infinity();
    float hi = -std::numeric_limits<float>::infinity();
    for (const auto& p : e.panels) {
        for (const auto& s : p.stages) {
            for (const float v : s.values.data()) {
                if (std::isfinite(v)) {
                    lo = std::min(lo, v);
                    hi = std::max(hi, v);
                }
            }
        }
    }
    if (lo > hi) {
        return {0.0F, 1.0F};
    }
    return {lo, hi};
}

Color fill_of(float v, std::pair<float, float> range, ColorMap map) {
    if (!std::isfinite(v)) {
        return kNonFiniteFill;
    }
    const double span = static_cast<double>(range.second) - static_cast<double>(range.first);
    const double t =
        span > 0 ? (static_cast<double>(v) - static_cast<double>(range.first)) / span : 0.5;
    return colormap_color(map, t);
}

/// Black on light fills, white on dark ones.
Color ink_on(Color fill) {
    const double luma = 0.299 * fill[0] + 0.587 * fill[1] + 0.114 * fill[2];
    return luma > 128 ? kBlack : kWhite;
}

/// A value as printed in a cell: short enough to fit (at most 6 characters where it can).
std::string cell_text(float v) {
    if (std::isnan(v)) {
        return "nan";
    }
    if (std::isinf(v)) {
        return v > 0 ? "inf" : "-inf";
    }
    if (v == std::round(v) && std::fabs(v) < 1e5F) {
        return fmt::format("{}", static_cast<long long>(v));
    }
    std::string s = fmt::format("{}", v);
    if (s.size() <= 5) {
        return s;
    }
    s = fmt::format("{:.3g}", v);
    return s.size() <= 6 ? s : fmt::format("{:.2g}", v);
}

double text_width(std::string_view s, double size) {
    // UTF-8 continuation bytes do not advance.
    const auto chars = std::count_if(s.begin(), s.end(), [](char c) {
        return (static_cast<unsigned char>(c) & 0xC0U) != 0x80U;
    });
    return static_cast<double>(chars) * size * kCharWidth;
}

std::string cell_id(std::size_t panel, std::size_t stage, int c, GridCell g) {
    return fmt::format("p{}s{}c{}y{}x{}", panel, stage, c, g.y, g.x);
}

std::string cell_name(GridCell g) { return fmt::format("({}, {})", g.y, g.x); }

/// `text` broken into lines of at most `width` px, after a `,`, a space or a `|` where it can.
std::vector<std::string> wrap(const std::string& text, double width) {
    const auto max_chars =
        std::max<std::size_t>(8, static_cast<std::size_t>(width / (kText * kCharWidth)));
    std::vector<std::string> lines;
    std::string rest = text;
    while (rest.size() > max_chars) {
        std::size_t cut = rest.find_last_of(", |", max_chars - 1);
        cut = cut == std::string::npos || cut == 0 ? max_chars : cut + 1;
        lines.push_back(rest.substr(0, cut));
        rest = rest.substr(cut);
        rest.erase(0, rest.find_first_not_of(' '));
    }
    lines.push_back(rest);
    return lines;
}

/// Every window of `st` reads cells no other window reads.
bool windows_apart(const ExplainStage& st) {
    std::vector<GridCell> seen;
    for (const auto& w : st.windows) {
        for (const auto* list : {&w.cells, &w.padding}) {
            for (const auto& g : *list) {
                if (std::find(seen.begin(), seen.end(), g) != seen.end()) {
                    return false;
                }
                seen.push_back(g);
            }
        }
    }
    return true;
}

/// The stage after `s` in `p` when it reads windows, else nullptr.
const ExplainStage* next_windowed(const ExplainPanel& p, std::size_t s) {
    if (s + 1 < p.stages.size() && !p.stages[s + 1].windows.empty()) {
        return &p.stages[s + 1];
    }
    return nullptr;
}

/// The chosen cell's lines under a panel: its arithmetic, its winner, dropped windows, cells no
/// window reads and the op's notes.
std::vector<std::string> panel_lines(const ExplainPanel& p) {
    std::vector<std::string> lines;
    for (std::size_t s = 1; s < p.stages.size(); ++s) {
        const ExplainStage& st = p.stages[s];
        if (st.windows.empty()) {
            continue;
        }
        if (st.kernel) {
            std::string rows;
            for (int y = 0; y < st.kernel->rows; ++y) {
                const auto first = st.kernel->values.begin() +
                                   static_cast<std::ptrdiff_t>(flat(y, st.kernel->cols, 0));
                rows += fmt::format("{}{}", y == 0 ? "" : "; ",
                                    fmt::join(first, first + st.kernel->cols, " "));
            }
            lines.push_back(fmt::format("{} kernel: [{}]", st.text, rows));
        }
        const auto& w = st.windows[flat(st.chosen.y, st.values.shape().width, st.chosen.x)];
        for (std::size_t c = 0; c < w.arithmetic.size(); ++c) {
            std::string line =
                fmt::format("{} {}{}: {}", st.text, cell_name(st.chosen),
                            w.arithmetic.size() > 1 ? fmt::format(" channel {}", c) : std::string(),
                            w.arithmetic[c].empty()
                                ? std::string("reads ") + std::to_string(w.cells.size()) + " cells"
                                : w.arithmetic[c]);
            if (c < w.winners.size() && w.winners[c]) {
                line += fmt::format("; winner: input cell {}", cell_name(*w.winners[c]));
            }
            lines.push_back(line);
        }
        for (const auto& d : st.dropped) {
            lines.push_back(st.text + ": " + d);
        }
        if (!st.unread.empty()) {
            std::string cells;
            for (const auto& g : st.unread) {
                cells += (cells.empty() ? "" : " ") + cell_name(g);
            }
            lines.push_back(fmt::format("{}: no window reads input cells {}", st.text, cells));
        }
    }
    return lines;
}

/// Hatching: diagonal lines 6 px apart, clipped to the rectangle (for the PNG).
void hatch_lines(const Item& r, std::vector<std::array<double, 4>>& out) {
    const auto n = static_cast<int>((r.w + r.h) / 6);
    for (int k = 1; k <= n; ++k) {
        const double d = 6.0 * k;
        // The line x + y = d in the rectangle's own coordinates, clipped.
        const double x1 = std::max(0.0, d - r.h);
        const double y1 = d - x1;
        const double x2 = std::min(r.w, d);
        const double y2 = d - x2;
        out.push_back({r.x + x1, r.y + y1, r.x + x2, r.y + y2});
    }
}

/// Lays out every panel and stage.
// NOLINTNEXTLINE(readability-function-cognitive-complexity): one pass over panels, stages, cells
Scene layout(const Explanation& e) {
    Scene scene;
    const auto range = value_range(e);
    double y = kMargin;
    double width = 0;
    for (std::size_t pi = 0; pi < e.panels.size(); ++pi) {
        const ExplainPanel& p = e.panels[pi];
        const std::string title =
            p.mode.empty() ? p.pipeline : fmt::format("{}:  {}", p.mode, p.pipeline);
        scene.items.push_back({.kind = Item::Kind::text,
                               .x = kMargin,
                               .y = y + kTitle,
                               .fill = kBlack,
                               .text = title,
                               .size = kTitle,
                               .bold = true});
        y += kTitle + 14;
        double x = kMargin;
        double panel_bottom = y;
        // Stage labels wrapped to their grid (at least 160 px), grids aligned below the longest.
        std::vector<std::vector<std::string>> labels;
        std::size_t label_lines = 1;
        for (std::size_t si = 0; si < p.stages.size(); ++si) {
            const Shape shape = p.stages[si].values.shape();
            const ExplainStage* next = next_windowed(p, si);
            const int cols =
                shape.width + (next != nullptr ? next->pad_before.x + next->pad_after.x : 0);
            labels.push_back(
                wrap(si == 0 ? "input" : p.stages[si].text, std::max(160.0, cols * kCell)));
            label_lines = std::max(label_lines, labels.back().size());
        }
        const double grid_top = y + static_cast<double>(label_lines + 1) * kLine + 4;
        for (std::size_t si = 0; si < p.stages.size(); ++si) {
            const ExplainStage& st = p.stages[si];
            const Shape shape = st.values.shape();
            const ExplainStage* next = next_windowed(p, si);
            const GridCell before = next != nullptr ? next->pad_before : GridCell{};
            const GridCell after = next != nullptr ? next->pad_after : GridCell{};
            const double grid_w = (shape.width + before.x + after.x) * kCell;
            const double grid_h = (shape.height + before.y + after.y) * kCell;
            const std::string label = si == 0 ? "input" : st.text;
            const std::string size_label =
                fmt::format("{}x{}x{}", shape.channels, shape.height, shape.width);
            double col_w = std::max(grid_w, text_width(size_label, kText));
            for (std::size_t li = 0; li < labels[si].size(); ++li) {
                col_w = std::max(col_w, text_width(labels[si][li], kText));
                scene.items.push_back({.kind = Item::Kind::text,
                                       .x = x,
                                       .y = y + kText + static_cast<double>(li) * kLine,
                                       .fill = kBlack,
                                       .text = labels[si][li],
                                       .bold = true});
            }
            scene.items.push_back({.kind = Item::Kind::text,
                                   .x = x,
                                   .y = grid_top - kLine + kText - 8,
                                   .fill = kGray,
                                   .text = size_label});
            double gy = grid_top;
            for (int c = 0; c < shape.channels; ++c) {
                if (shape.channels > 1) {
                    scene.items.push_back({.kind = Item::Kind::text,
                                           .x = x,
                                           .y = gy + kText,
                                           .fill = kGray,
                                           .text = fmt::format("channel {}", c)});
                    gy += kLine;
                }
                const auto px = [&](int gx) { return x + (gx + before.x) * kCell; };
                const auto py = [&](int gyy) { return gy + (gyy + before.y) * kCell; };
                // Padding ring of the next stage's windows.
                for (int yy = -before.y; yy < shape.height + after.y; ++yy) {
                    for (int xx = -before.x; xx < shape.width + after.x; ++xx) {
                        if (yy >= 0 && yy < shape.height && xx >= 0 && xx < shape.width) {
                            continue;
                        }
                        scene.items.push_back(
                            {.kind = Item::Kind::rect,
                             .x = px(xx),
                             .y = py(yy),
                             .w = kCell,
                             .h = kCell,
                             .fill = Color{235, 235, 235},
                             .stroke = Color{190, 190, 190},
                             .hatched = true,
                             .id = cell_id(pi, si, c, {yy, xx}),
                             .klass = "pad",
                             .title = fmt::format("padding {}", cell_name({yy, xx}))});
                    }
                }
                for (int yy = 0; yy < shape.height; ++yy) {
                    for (int xx = 0; xx < shape.width; ++xx) {
                        const float v = st.values.at(c, yy, xx);
                        const Color fill = fill_of(v, range, e.colormap);
                        const bool out = !st.windows.empty();
                        std::string data;
                        std::string tip = fmt::format("{} {}: {}", label, cell_name({yy, xx}),
                                                      fmt::format("{}", v));
                        if (out) {
                            const auto& w = st.windows[flat(yy, shape.width, xx)];
                            data = fmt::format(
                                R"(tabindex="0" role="button" data-p="{}" data-s="{}" data-c="{}" data-y="{}" data-x="{}")",
                                pi, si, c, yy, xx);
                            if (static_cast<std::size_t>(c) < w.arithmetic.size() &&
                                !w.arithmetic[static_cast<std::size_t>(c)].empty()) {
                                tip = fmt::format("{} {}: {}", label, cell_name({yy, xx}),
                                                  w.arithmetic[static_cast<std::size_t>(c)]);
                            }
                        }
                        scene.items.push_back({.kind = Item::Kind::rect,
                                               .x = px(xx),
                                               .y = py(yy),
                                               .w = kCell,
                                               .h = kCell,
                                               .fill = fill,
                                               .stroke = kWhite,
                                               .id = cell_id(pi, si, c, {yy, xx}),
                                               .klass = out ? "cell out" : "cell",
                                               .data = data,
                                               .title = tip});
                        const std::string t = cell_text(v);
                        scene.items.push_back({.kind = Item::Kind::text,
                                               .x = px(xx) + kCell / 2,
                                               .y = py(yy) + kCell / 2 + 5,
                                               .fill = ink_on(fill),
                                               .text = t,
                                               .size = t.size() > 5 ? 12.0 : 14.0,
                                               .middle = true});
                    }
                }
                // Cells no window of the next stage reads: crossed out.
                if (next != nullptr) {
                    for (const auto& g : next->unread) {
                        scene.items.push_back({.kind = Item::Kind::line,
                                               .x = px(g.x) + 4,
                                               .y = py(g.y) + 4,
                                               .w = px(g.x) + kCell - 4,
                                               .h = py(g.y) + kCell - 4,
                                               .stroke = kGray,
                                               .stroke_width = 1.5});
                    }
                    // Every window outlined (thin, dashed), the chosen one in orange.
                    const bool apart = windows_apart(*next);
                    for (const auto& w : next->windows) {
                        int y0 = std::numeric_limits<int>::max();
                        int x0 = y0;
                        int y1 = std::numeric_limits<int>::min();
                        int x1 = y1;
                        for (const auto* list : {&w.cells, &w.padding}) {
                            for (const auto& g : *list) {
                                y0 = std::min(y0, g.y);
                                x0 = std::min(x0, g.x);
                                y1 = std::max(y1, g.y);
                                x1 = std::max(x1, g.x);
                            }
                        }
                        if (y0 > y1) {
                            continue;
                        }
                        const bool chosen = w.out == next->chosen;
                        if (!chosen && !apart) {
                            continue;  // overlapping windows: only the chosen one is outlined
                        }
                        const double inset = chosen ? 2.0 : 5.0;
                        scene.items.push_back({.kind = Item::Kind::rect,
                                               .x = px(x0) + inset,
                                               .y = py(y0) + inset,
                                               .w = (x1 - x0 + 1) * kCell - 2 * inset,
                                               .h = (y1 - y0 + 1) * kCell - 2 * inset,
                                               .stroke = chosen ? kHighlight : Color{60, 60, 60},
                                               .stroke_width = chosen ? 3.5 : 1.0,
                                               .dashed = !chosen,
                                               .klass = chosen ? "chosen-window" : "window"});
                        const auto& winners = w.winners;
                        if (chosen && static_cast<std::size_t>(c) < winners.size() &&
                            winners[static_cast<std::size_t>(c)]) {
                            const GridCell g = *winners[static_cast<std::size_t>(c)];
                            scene.items.push_back({.kind = Item::Kind::circle,
                                                   .x = px(g.x) + kCell / 2,
                                                   .y = py(g.y) + kCell / 2,
                                                   .w = kCell / 2 - 5,
                                                   .stroke = kBlack,
                                                   .stroke_width = 4,
                                                   .klass = "winner"});
                            scene.items.push_back({.kind = Item::Kind::circle,
                                                   .x = px(g.x) + kCell / 2,
                                                   .y = py(g.y) + kCell / 2,
                                                   .w = kCell / 2 - 5,
                                                   .stroke = kWhite,
                                                   .stroke_width = 1.5,
                                                   .klass = "winner"});
                        }
                    }
                }
                if (!st.windows.empty()) {
                    scene.items.push_back({.kind = Item::Kind::rect,
                                           .x = px(st.chosen.x) + 2,
                                           .y = py(st.chosen.y) + 2,
                                           .w = kCell - 4,
                                           .h = kCell - 4,
                                           .stroke = kHighlight,
                                           .stroke_width = 3.5,
                                           .klass = "chosen-cell"});
                }
                gy += grid_h + 12;
            }
            panel_bottom = std::max(panel_bottom, gy);
            if (si + 1 < p.stages.size()) {
                scene.items.push_back({.kind = Item::Kind::text,
                                       .x = x + col_w + kGap / 2,
                                       .y = grid_top + kCell / 2 + 6,
                                       .fill = kGray,
                                       .text = "\u2192",
                                       .size = 22,
                                       .middle = true});
            }
            x += col_w + kGap;
        }
        width = std::max(width, x - kGap + kMargin);
        y = panel_bottom + 4;
        for (const auto& line : panel_lines(p)) {
            scene.items.push_back({.kind = Item::Kind::text,
                                   .x = kMargin,
                                   .y = y + kText,
                                   .fill = kBlack,
                                   .text = line});
            width = std::max(width, kMargin * 2 + text_width(line, kText));
            y += kLine;
        }
        y += kLine;
    }
    // The colour bar: one scale for every stage.
    const double bar_w = 240;
    constexpr int kSteps = 48;
    for (int i = 0; i < kSteps; ++i) {
        scene.items.push_back({.kind = Item::Kind::rect,
                               .x = kMargin + bar_w * i / kSteps,
                               .y = y,
                               .w = bar_w / kSteps + 0.5,
                               .h = 14,
                               .fill = colormap_color(e.colormap, (i + 0.5) / kSteps)});
    }
    scene.items.push_back({.kind = Item::Kind::text,
                           .x = kMargin,
                           .y = y + 14 + kLine - 4,
                           .fill = kBlack,
                           .text = fmt::format("{}", range.first)});
    scene.items.push_back({.kind = Item::Kind::text,
                           .x = kMargin + bar_w,
                           .y = y + 14 + kLine - 4,
                           .fill = kBlack,
                           .text = fmt::format("{}", range.second),
                           .middle = true});
    scene.items.push_back({.kind = Item::Kind::text,
                           .x = kMargin + bar_w + 40,
                           .y = y + 12,
                           .fill = kGray,
                           .text = "one colour scale for every stage; hatched: padding"});
    width = std::max(width,
                     kMargin + bar_w + 40 +
                         text_width("one colour scale for every stage; hatched: padding", kText) +
                         kMargin);
    scene.width = std::ceil(width);
    scene.height = std::ceil(y + 14 + kLine + kMargin);
    return scene;
}

std::string xml_escape(std::string_view s) {
    std::string out;
    for (const char c : s) {
        switch (c) {
            case '&':
                out += "&amp;";
                break;
            case '<':
                out += "&lt;";
                break;
            case '>':
                out += "&gt;";
                break;
            case '"':
                out += "&quot;";
                break;
            default:
                out += c;
        }
    }
    return out;
}

std::string hex(Color c) { return fmt::format("#{:02x}{:02x}{:02x}", c[0], c[1], c[2]); }

std::string num(double v) { return fmt::format("{:.1f}", v); }

std::string svg_of(const Scene& scene) {
    std::string s = fmt::format(
        R"(<svg xmlns="http://www.w3.org/2000/svg" width="{0}" height="{1}" viewBox="0 0 {0} {1}" font-family="DejaVu Sans, Verdana, sans-serif" role="img" aria-labelledby="explain-title">)"
        "\n",
        scene.width, scene.height);
    s += "<title id=\"explain-title\">convpool explain: every stage's values, windows and "
         "arithmetic</title>\n";
    s += "<defs><pattern id=\"hatch\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\" "
         "patternTransform=\"rotate(45)\"><line x1=\"0\" y1=\"0\" x2=\"0\" y2=\"6\" "
         "stroke=\"#8c8c8c\" stroke-width=\"1.5\"/></pattern></defs>\n";
    s += fmt::format(R"(<rect x="0" y="0" width="{}" height="{}" fill="{}"/>)"
                     "\n",
                     scene.width, scene.height, hex(kPaper));
    for (const Item& it : scene.items) {
        const std::string stroke =
            it.stroke ? fmt::format(R"( stroke="{}" stroke-width="{}"{})", hex(*it.stroke),
                                    it.stroke_width, it.dashed ? R"( stroke-dasharray="4 3")" : "")
                      : std::string();
        switch (it.kind) {
            case Item::Kind::rect: {
                std::string attrs;
                if (!it.id.empty()) {
                    attrs += fmt::format(R"( id="{}")", it.id);
                }
                if (!it.klass.empty()) {
                    attrs += fmt::format(R"( class="{}")", it.klass);
                }
                if (!it.data.empty()) {
                    attrs += " " + it.data;
                }
                const std::string fill = it.fill ? hex(*it.fill) : "none";
                s += fmt::format(R"(<rect x="{}" y="{}" width="{}" height="{}" fill="{}"{}{})",
                                 num(it.x), num(it.y), num(it.w), num(it.h), fill, stroke, attrs);
                if (!it.title.empty()) {
                    s += fmt::format("><title>{}</title></rect>\n", xml_escape(it.title));
                } else {
                    s += "/>\n";
                }
                if (it.hatched) {
                    s += fmt::format(
                        R"svg(<rect x="{}" y="{}" width="{}" height="{}" fill="url(#hatch)" pointer-events="none"/>)svg"
                        "\n",
                        num(it.x), num(it.y), num(it.w), num(it.h));
                }
                break;
            }
            case Item::Kind::line:
                s +=
                    fmt::format(R"(<line x1="{}" y1="{}" x2="{}" y2="{}"{} pointer-events="none"/>)"
                                "\n",
                                num(it.x), num(it.y), num(it.w), num(it.h), stroke);
                break;
            case Item::Kind::circle:
                s += fmt::format(
                    R"(<circle cx="{}" cy="{}" r="{}" fill="none"{} class="{}" pointer-events="none"/>)"
                    "\n",
                    num(it.x), num(it.y), num(it.w), stroke, it.klass);
                break;
            case Item::Kind::text:
                s += fmt::format(
                    R"(<text x="{}" y="{}" font-size="{}" fill="{}"{}{} pointer-events="none">{}</text>)"
                    "\n",
                    num(it.x), num(it.y), it.size, hex(it.fill.value_or(kBlack)),
                    it.middle ? R"( text-anchor="middle")" : "",
                    it.bold ? R"( font-weight="bold")" : "", xml_escape(it.text));
                break;
        }
    }
    s += "</svg>\n";
    return s;
}

nlohmann::json cell_json(GridCell g) { return nlohmann::json::array({g.y, g.x}); }

nlohmann::json value_json(float v) {
    return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr);
}

nlohmann::json stage_json(const ExplainStage& st, std::size_t index) {
    const Shape s = st.values.shape();
    nlohmann::json j;
    j["index"] = index;
    j["text"] = st.text;
    j["kind"] = st.kind;
    j["shape"] = {s.channels, s.height, s.width};
    nlohmann::json values = nlohmann::json::array();
    for (int c = 0; c < s.channels; ++c) {
        nlohmann::json rows = nlohmann::json::array();
        for (int y = 0; y < s.height; ++y) {
            nlohmann::json row = nlohmann::json::array();
            for (int x = 0; x < s.width; ++x) {
                row.push_back(value_json(st.values.at(c, y, x)));
            }
            rows.push_back(row);
        }
        values.push_back(rows);
    }
    j["values"] = values;
    if (st.kernel) {
        nlohmann::json k = nlohmann::json::array();
        for (int y = 0; y < st.kernel->rows; ++y) {
            nlohmann::json row = nlohmann::json::array();
            for (int x = 0; x < st.kernel->cols; ++x) {
                row.push_back(st.kernel->values[flat(y, st.kernel->cols, x)]);
            }
            k.push_back(row);
        }
        j["kernel"] = k;
    }
    if (st.windows.empty()) {
        return j;
    }
    j["padding"] = {{"before", cell_json(st.pad_before)}, {"after", cell_json(st.pad_after)}};
    nlohmann::json windows = nlohmann::json::array();
    for (const auto& w : st.windows) {
        nlohmann::json wj;
        wj["out"] = cell_json(w.out);
        wj["cells"] = nlohmann::json::array();
        for (const auto& g : w.cells) {
            wj["cells"].push_back(cell_json(g));
        }
        wj["padding"] = nlohmann::json::array();
        for (const auto& g : w.padding) {
            wj["padding"].push_back(cell_json(g));
        }
        if (!w.winners.empty()) {
            wj["winners"] = nlohmann::json::array();
            for (const auto& g : w.winners) {
                wj["winners"].push_back(g ? cell_json(*g) : nlohmann::json(nullptr));
            }
        }
        wj["arithmetic"] = w.arithmetic;
        windows.push_back(wj);
    }
    j["windows"] = windows;
    j["chosen"] = cell_json(st.chosen);
    j["formula"] = st.windows[flat(st.chosen.y, s.width, st.chosen.x)].arithmetic;
    j["unread"] = nlohmann::json::array();
    for (const auto& g : st.unread) {
        j["unread"].push_back(cell_json(g));
    }
    j["dropped"] = st.dropped;
    j["notes"] = st.notes;
    return j;
}

nlohmann::json model_json(const Explanation& e) {
    nlohmann::json j;
    j["pipeline"] = e.pipeline;
    j["source"] = e.source;
    j["colormap"] = colormap_names()[static_cast<std::size_t>(e.colormap)];
    const auto range = value_range(e);
    j["range"] = {range.first, range.second};
    j["panels"] = nlohmann::json::array();
    for (const auto& p : e.panels) {
        nlohmann::json pj;
        pj["mode"] = p.mode.empty() ? nlohmann::json(nullptr) : nlohmann::json(p.mode);
        pj["pipeline"] = p.pipeline;
        pj["stages"] = nlohmann::json::array();
        for (std::size_t i = 0; i < p.stages.size(); ++i) {
            pj["stages"].push_back(stage_json(p.stages[i], i));
        }
        j["panels"].push_back(pj);
    }
    return j;
}

constexpr const char* kPageScript = R"JS(
(function () {
  var data = JSON.parse(document.getElementById('explain-data').textContent);
  var info = document.getElementById('info');
  var marked = [];
  function mark(id, cls) {
    var el = document.getElementById(id);
    if (el) { el.classList.add(cls); marked.push([el, cls]); }
  }
  function clear() {
    marked.forEach(function (m) { m[0].classList.remove(m[1]); });
    marked = [];
  }
  function cellName(g) { return '(' + g[0] + ', ' + g[1] + ')'; }
  function show(el) {
    var p = +el.dataset.p, s = +el.dataset.s, c = +el.dataset.c;
    var y = +el.dataset.y, x = +el.dataset.x;
    var stage = data.panels[p].stages[s];
    var w = stage.windows[y * stage.shape[2] + x];
    clear();
    mark(el.id, 'sel');
    var prefix = 'p' + p + 's' + (s - 1) + 'c' + c;
    w.cells.forEach(function (g) { mark(prefix + 'y' + g[0] + 'x' + g[1], 'hl'); });
    w.padding.forEach(function (g) { mark(prefix + 'y' + g[0] + 'x' + g[1], 'hl'); });
    var text = stage.text + ' ' + cellName([y, x]) + ': ';
    text += w.arithmetic[c] ? w.arithmetic[c] : 'reads ' + w.cells.length + ' cells';
    if (w.winners && w.winners[c]) {
      mark(prefix + 'y' + w.winners[c][0] + 'x' + w.winners[c][1], 'win');
      text += '; winner: input cell ' + cellName(w.winners[c]);
    }
    info.textContent = text;
  }
  var cells = document.querySelectorAll('rect.out');
  cells.forEach(function (el) {
    el.addEventListener('mouseenter', function () { show(el); });
    el.addEventListener('focus', function () { show(el); });
    el.addEventListener('click', function () { el.focus(); show(el); });
    el.addEventListener('keydown', function (ev) {
      var d = {ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1]}[ev.key];
      if (!d) { return; }
      var id = 'p' + el.dataset.p + 's' + el.dataset.s + 'c' + el.dataset.c + 'y' +
        (+el.dataset.y + d[0]) + 'x' + (+el.dataset.x + d[1]);
      var next = document.getElementById(id);
      if (next) { next.focus(); show(next); ev.preventDefault(); }
    });
  });
})();
)JS";

}  // namespace

std::string explain_json(const Explanation& e) { return model_json(e).dump(1) + "\n"; }

std::string explain_svg(const Explanation& e) {
    return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" + svg_of(layout(e));
}

std::string explain_html(const Explanation& e) {
    std::string data = model_json(e).dump();
    // Inside <script>, "</" could end the element: JSON allows "<\/".
    for (std::size_t i = data.find("</"); i != std::string::npos; i = data.find("</", i + 3)) {
        data.replace(i, 2, "<\\/");
    }
    std::string alt;
    for (const auto& p : e.panels) {
        for (std::size_t si = 1; si < p.stages.size(); ++si) {
            const auto& st = p.stages[si];
            for (const auto& w : st.windows) {
                for (std::size_t c = 0; c < w.arithmetic.size(); ++c) {
                    alt += fmt::format(
                        "<li>{}{} {}: {}</li>\n", p.mode.empty() ? "" : p.mode + ": ",
                        xml_escape(st.text), cell_name(w.out),
                        xml_escape(w.arithmetic[c].empty()
                                       ? fmt::format("{}", st.values.at(static_cast<int>(c),
                                                                        w.out.y, w.out.x))
                                       : w.arithmetic[c]));
                }
            }
        }
    }
    return fmt::format(
        R"(<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>convpool explain: {0}</title>
<style>
body {{ font-family: "DejaVu Sans", Verdana, sans-serif; margin: 1.5em; color: #111; background: #fafafa; }}
#figure {{ overflow-x: auto; }}
rect.out {{ cursor: pointer; }}
rect.out:focus {{ outline: none; }}
rect.hl {{ stroke: #e66100; stroke-width: 4px; }}
rect.win {{ stroke: #000; stroke-width: 6px; }}
rect.sel {{ stroke: #e66100; stroke-width: 5px; }}
#info {{ font-size: 1.1em; min-height: 1.5em; padding: 0.4em 0.6em; background: #fff; border: 1px solid #ccc; }}
</style>
</head>
<body>
<h1>convpool explain</h1>
<p>Pipeline <code>{0}</code> on {1}. Hover, tap or focus (Tab) an output cell to see the cells its window reads and its arithmetic; the arrow keys step through the positions.</p>
<p id="info" aria-live="polite">Choose an output cell.</p>
<div id="figure">
{2}</div>
<details>
<summary>Every output cell's arithmetic (text alternative)</summary>
<ul>
{3}</ul>
</details>
<script type="application/json" id="explain-data">{4}</script>
<script>{5}</script>
</body>
</html>
)",
        xml_escape(e.pipeline), xml_escape(e.source), svg_of(layout(e)), alt, data, kPageScript);
}

Picture explain_picture(const Explanation& e) {
    const Scene scene = layout(e);
    const int w = static_cast<int>(scene.width);
    const int h = static_cast<int>(scene.height);
    cv::Mat canvas(h, w, CV_8UC3, cv::Scalar(kPaper[2], kPaper[1], kPaper[0]));
    const auto bgr = [](Color c) { return cv::Scalar(c[2], c[1], c[0]); };
    const auto pt = [](double x, double y) {
        return cv::Point(static_cast<int>(std::lround(x)), static_cast<int>(std::lround(y)));
    };
    for (const Item& it : scene.items) {
        switch (it.kind) {
            case Item::Kind::rect: {
                const cv::Point a = pt(it.x, it.y);
                const cv::Point b = pt(it.x + it.w, it.y + it.h);
                if (it.fill) {
                    cv::rectangle(canvas, a, b - cv::Point(1, 1), bgr(*it.fill), cv::FILLED);
                }
                if (it.hatched) {
                    std::vector<std::array<double, 4>> lines;
                    hatch_lines(it, lines);
                    for (const auto& l : lines) {
                        cv::line(canvas, pt(l[0], l[1]), pt(l[2], l[3]), bgr({140, 140, 140}), 1,
                                 cv::LINE_AA);
                    }
                }
                if (it.stroke) {
                    const int t = std::max(1, static_cast<int>(std::lround(it.stroke_width)));
                    if (it.dashed) {
                        // Dashes along the four sides.
                        const std::array<std::array<double, 4>, 4> sides{
                            {{it.x, it.y, it.x + it.w, it.y},
                             {it.x + it.w, it.y, it.x + it.w, it.y + it.h},
                             {it.x + it.w, it.y + it.h, it.x, it.y + it.h},
                             {it.x, it.y + it.h, it.x, it.y}}};
                        for (const auto& sd : sides) {
                            const double len = std::hypot(sd[2] - sd[0], sd[3] - sd[1]);
                            const auto dashes = static_cast<int>(std::ceil(len / 7));
                            for (int k = 0; k < dashes; ++k) {
                                const double d = 7.0 * k;
                                const double f0 = d / len;
                                const double f1 = std::min(1.0, (d + 4) / len);
                                cv::line(
                                    canvas,
                                    pt(sd[0] + (sd[2] - sd[0]) * f0, sd[1] + (sd[3] - sd[1]) * f0),
                                    pt(sd[0] + (sd[2] - sd[0]) * f1, sd[1] + (sd[3] - sd[1]) * f1),
                                    bgr(*it.stroke), t);
                            }
                        }
                    } else {
                        cv::rectangle(canvas, a, b, bgr(*it.stroke), t);
                    }
                }
                break;
            }
            case Item::Kind::line:
                cv::line(canvas, pt(it.x, it.y), pt(it.w, it.h), bgr(it.stroke.value_or(kBlack)),
                         std::max(1, static_cast<int>(std::lround(it.stroke_width))), cv::LINE_AA);
                break;
            case Item::Kind::circle:
                cv::circle(canvas, pt(it.x, it.y), static_cast<int>(std::lround(it.w)),
                           bgr(it.stroke.value_or(kBlack)),
                           std::max(1, static_cast<int>(std::lround(it.stroke_width))),
                           cv::LINE_AA);
                break;
            case Item::Kind::text: {
                // Hershey fonts are ASCII only.
                std::string t;
                for (std::size_t i = 0; i < it.text.size(); ++i) {
                    const auto c = static_cast<unsigned char>(it.text[i]);
                    if (it.text.compare(i, 3, "\u2192") == 0) {
                        t += "->";
                        i += 2;
                    } else if (it.text.compare(i, 2, "\u00d7") == 0) {
                        t += "x";
                        i += 1;
                    } else if (c < 0x80) {
                        t += static_cast<char>(c);
                    }
                }
                const double scale = it.size / 30.0;
                const int thick = it.bold ? 2 : 1;
                int baseline = 0;
                const cv::Size sz =
                    cv::getTextSize(t, cv::FONT_HERSHEY_SIMPLEX, scale, thick, &baseline);
                const double x = it.middle ? it.x - sz.width / 2.0 : it.x;
                cv::putText(canvas, t, pt(x, it.y), cv::FONT_HERSHEY_SIMPLEX, scale,
                            bgr(it.fill.value_or(kBlack)), thick, cv::LINE_AA);
                break;
            }
        }
    }
    Picture p{w, h, {}};
    p.rgb.resize(static_cast<std::size_t>(w) * static_cast<std::size_t>(h) * 3);
    for (int y = 0; y < h; ++y) {
        for (int x = 0; x < w; ++x) {
            const auto px = canvas.at<cv::Vec3b>(y, x);
            const std::size_t i = (static_cast<std::size_t>(y) * static_cast<std::size_t>(w) +
                                   static_cast<std::size_t>(x)) *
                                  3;
            p.rgb[i] = px[2];
            p.rgb[i + 1] = px[1];
            p.rgb[i + 2] = px[0];
        }
    }
    return p;
}

}  // namespace convpool
