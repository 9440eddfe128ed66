#pragma once
/// \file explain.hpp
/// `convpool explain`'s figure: the model (every stage's values, each output cell's window,
/// winners and arithmetic) and what is written from it: explain.json (the test oracle),
/// explain.svg (real `<text>`), explain.html (the SVG made interactive) and explain.png.

#include "convpool/core/params.hpp"
#include "convpool/core/tensor.hpp"
#include "convpool/render/visualize.hpp"

#include <optional>
#include <string>
#include <vector>

namespace convpool {

/// A cell of a grid: row, column.
struct GridCell {
    int y = 0;
    int x = 0;
    friend bool operator==(const GridCell&, const GridCell&) = default;
};

/// One output cell of a stage that reads windows: what it reads in the stage before it.
struct ExplainWindow {
    GridCell out;
    std::vector<GridCell> cells;    ///< input cells read, row-major
    std::vector<GridCell> padding;  ///< taps in the padding (coordinates outside the input)
    /// Per channel: the input cell whose value this output is (stages that pick: max, min).
    std::vector<std::optional<GridCell>> winners;
    /// Per channel: the arithmetic written out (`(5 + 6 + 7 + 9) / 4 = 6.75`), or "".
    std::vector<std::string> arithmetic;
};

/// One stage of the figure (or the input).
struct ExplainStage {
    std::string text;  ///< `input`, or the stage with its parameters
    std::string kind;  ///< `input`, `pool` (windows), `conv` (weighted windows) or `map`
    Tensor values;     ///< the stage's output
    /// One per output cell, row-major (empty unless kind is pool or conv).
    std::vector<ExplainWindow> windows;
    GridCell chosen;                   ///< the output cell whose arithmetic is written out
    GridCell pad_before;               ///< padding rows (y) and columns (x) before the input
    GridCell pad_after;                ///< and after it
    std::vector<GridCell> unread;      ///< input cells no window reads
    std::vector<std::string> dropped;  ///< windows the ceil rule dropped, as sentences
    std::vector<std::string> notes;    ///< the op's notes on this input
    std::optional<Matrix> kernel;      ///< a convolution's kernel
    /// A convolution's border: per padded row (pad_before.y + input height + pad_after.y), the
    /// input row that padding row reads, or -1 for a zero cell; empty when the stage's padding
    /// reads nothing (pooling).
    std::vector<int> border_rows;
    std::vector<int> border_cols;  ///< and per padded column
};

/// The stages of one pipeline (one per `--modes` mode).
struct ExplainPanel {
    std::string mode;                  ///< the pooling mode put in, "" without --modes
    std::string pipeline;              ///< the pipeline text run
    std::vector<ExplainStage> stages;  ///< the input first
};

/// How explain.gif steps (see explain_gif()).
struct ExplainSteps {
    std::size_t positions = 0;  ///< output cells of the animated stage (the largest panel's)
    std::size_t step = 1;       ///< positions advanced per frame
    int frames = 0;
};

/// Everything in the figure.
struct Explanation {
    std::string pipeline;  ///< as given
    std::string source;    ///< where the input came from (`--values`, a file and crop, ...)
    std::vector<ExplainPanel> panels;
    ColorMap colormap = ColorMap::cividis;
    ExplainSteps animation;  ///< set once explain.gif is made; in explain.json when frames > 0
};

/// explain.json: every number, window, winner and formula of the figure.
[[nodiscard]] std::string explain_json(const Explanation& e);

/// explain.svg: every stage as a grid of cells with its values as `<text>`.
[[nodiscard]] std::string explain_svg(const Explanation& e);

/// explain.html: one page (no network requests; inline script) with the SVG inline, where an
/// output cell's window, winner and arithmetic show on hover, tap or focus.
[[nodiscard]] std::string explain_html(const Explanation& e);

/// The interactive view of explain.html, as a fragment another page can hold: the SVG inline,
/// the shown arithmetic, the text alternative, the model as JSON and the script that highlights
/// windows, all in one `<div class="explain-view">`. Every id starts with `scope` and the script
/// only looks inside its own view, so several views can share a page; the page needs
/// explain_view_style() and a policy allowing inline script.
[[nodiscard]] std::string explain_view(const Explanation& e, const std::string& scope);

/// The style explain_view()'s fragments need (highlights, the figure scaled to its column).
[[nodiscard]] std::string explain_view_style();

/// explain.png: the SVG's layout drawn in DejaVu Sans with cairo (the plugin convpool-cairo.so;
/// OpenCV's Hershey font without it), `scale` pixels per px of the layout.
[[nodiscard]] Picture explain_picture(const Explanation& e, double scale = 1.0);

/// explain.pdf: the same layout drawn by the same code on a PDF page (text as text), or nothing
/// when the cairo plugin is not installed.
[[nodiscard]] std::optional<std::vector<std::uint8_t>> explain_pdf(const Explanation& e);

/// explain.gif, and how it steps.
struct ExplainGif {
    std::string bytes;
    ExplainSteps steps;
};

/// explain.gif: the figure of explain.png once per output cell of the last stage with windows
/// (of every panel at once), row-major: that cell's window outlined over the stage before, the
/// cell filled in and the cells after it empty, its arithmetic written out, "position i of N"
/// under the colour bar; the last frame held longer. At most 400 frames and 100 megapixels of
/// frames: beyond, each frame steps over several cells (said in the caption); a pipeline
/// without windows gives one frame.
[[nodiscard]] ExplainGif explain_gif(const Explanation& e);

}  // namespace convpool
