#pragma once
/// \file explain_scene.hpp
/// explain's figure as one layout, a list of rectangles, lines, circles and texts, that
/// explain.cpp writes as SVG (and the HTML page) and explain_png.cpp paints (PNG, PDF, GIF).
/// Internal to render/.

#include "convpool/render/explain.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace convpool::figure {
class Canvas;
}  // namespace convpool::figure

namespace convpool::explain_scene {

using Color = std::array<std::uint8_t, 3>;

inline constexpr Color kBlack{0, 0, 0};
inline constexpr Color kWhite{255, 255, 255};
inline constexpr Color kGray{120, 120, 120};
inline constexpr Color kPaper{250, 250, 250};
/// The chosen window and output cell: Okabe-Ito orange, apart from every colour-map colour.
inline constexpr Color kHighlight{230, 97, 0};
/// A value that is not finite.
inline constexpr Color kNonFiniteFill{255, 0, 255};

inline constexpr double kCell = 48.0;    ///< cell side, px
inline constexpr double kGap = 56.0;     ///< between stages
inline constexpr double kMargin = 24.0;  ///< around the figure
inline constexpr double kTitle = 16.0;   ///< title text size
inline constexpr double kText = 14.0;    ///< labels and formulas
inline constexpr double kLine = 22.0;    ///< a line of text

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

/// What one frame of explain.gif changes: in every panel the last stage with windows shows its
/// output cells up to `filled` (row-major) only, and a caption goes under the colour bar.
struct Frame {
    std::size_t filled = 0;
    std::string caption;
};

/// Lays out every panel and stage, then the colour bar (and a frame's caption).
[[nodiscard]] Scene layout(const Explanation& e, const Frame* frame = nullptr);

/// The scene painted on a figure canvas (explain_png.cpp: the PNG, the PDF, the GIF's frames).
void paint(const Scene& scene, figure::Canvas& canvas);

/// The scene drawn as pixels, `width` x `height` px (at least the scene's), `scale` pixels a px.
[[nodiscard]] Picture draw(const Scene& scene, int width, int height, double scale = 1.0);

/// The index of the last stage of `p` with windows, or 0 (the input) when none has any.
[[nodiscard]] std::size_t last_windowed(const ExplainPanel& p);

/// A finite range over every value of every stage of every panel (one colour scale).
[[nodiscard]] std::pair<float, float> value_range(const Explanation& e);

/// Index of (y, x) in a row-major grid `width` wide, computed in std::size_t.
[[nodiscard]] std::size_t flat(int y, int width, int x);

/// "(y, x)".
[[nodiscard]] std::string cell_name(GridCell g);

/// Hatching: diagonal lines 6 px apart, clipped to the rectangle (for the PNG).
void hatch_lines(const Item& r, std::vector<std::array<double, 4>>& out);

}  // namespace convpool::explain_scene
