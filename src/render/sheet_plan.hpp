#pragma once
// The contact sheet laid out once (private to render/): sheet.cpp draws it as PNG pixels,
// sheet_vector.cpp as SVG (text as <text>) and PDF (through the figure plugin).

#include "convpool/render/visualize.hpp"

#include <string>
#include <utility>
#include <vector>

#include "render/draw.hpp"

namespace convpool::sheet {

constexpr int kSheetBar = 8;  ///< height of a panel's colour bar

/// One panel: its picture at (x, y), w x h px; its colour bar under it (when the item has one)
/// with the end values; its label lines, the first baseline at first_baseline, kLine apart.
struct Panel {
    const SheetItem* item = nullptr;
    int w = 1;
    int h = 1;
    int x = 0;
    int y = 0;
    int row_top = 0;  ///< top of the panel's row (the picture's top at the display height)
    int bar_y = 0;
    std::string lo;  ///< the bar's end values, cut to half its width
    std::string hi;
    /// A discrete legend's labels, each centred under its swatch: (centre x, text); empty when
    /// they do not all fit (the first and last are then `lo` and `hi`).
    std::vector<std::pair<int, std::string>> ticks;
    std::vector<std::string> lines;
    int first_baseline = 0;
    [[nodiscard]] int bar_baseline() const { return bar_y + kSheetBar + 1 + canvas::kAscent; }
};

struct Plan {
    int width = 0;
    int height = 0;
    std::vector<Panel> panels;
};

/// Where every panel, bar and label of the sheet of `items` goes (options: display height,
/// --sheet-scale, --picture-size).
[[nodiscard]] Plan plan(const std::vector<SheetItem>& items, const RenderOptions& options);

/// A panel's picture at its size (nearest, or smooth with options.smooth).
[[nodiscard]] Picture panel_picture(const Panel& p, const RenderOptions& options);

/// The colour bar of `bar`, w x kSheetBar px; a discrete legend's colours as equal swatches.
[[nodiscard]] Picture bar_picture(const ColourBar& bar, int w);

}  // namespace convpool::sheet
