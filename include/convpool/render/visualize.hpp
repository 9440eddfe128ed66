#pragma once
/// \file visualize.hpp
/// Pictures of feature maps and the contact sheet. Signed maps use a diverging colour map
/// centred on 0; non-negative maps use viridis; non-finite values are drawn magenta.

#include "convpool/core/params.hpp"
#include "convpool/core/tensor.hpp"

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace convpool {

/// A line of a picture's text, placed but not drawn yet (Picture::text).
struct PlacedText {
    int x = 0;
    int baseline = 0;
    std::string s;
};

/// An 8-bit RGB picture, row-major, 3 bytes per pixel.
struct Picture {
    int width = 0;
    int height = 0;
    std::vector<std::uint8_t> rgb;
    /// How the picture was reduced to keep to 16384 px a side and 64 MP ("" when it was not);
    /// titled_picture writes it under the colour bar.
    std::string note;
    /// Picture cells per map cell along each axis (1: every cell; 0.25: blocks of 4x4 cells).
    double scale_h = 1.0;
    double scale_w = 1.0;
    /// True when each picture cell stands for a block of map cells (a zoom is worth drawing).
    bool reduced = false;
    /// Pixels of its PNG per pixel here (`--png-scale`, RenderOptions::png_scale). Above 1 the
    /// picture's text is not in `rgb` but in `text`, and encode_png draws it sharp at that
    /// scale over the pixels enlarged (each a block).
    double png_scale = 1.0;
    std::vector<PlacedText> text = {};
    /// The text is kept in `text` at scale 1 too (RenderOptions::text_apart).
    bool text_apart = false;
    [[nodiscard]] bool keeps_text_apart() const { return png_scale != 1.0 || text_apart; }
};

/// How a tensor is drawn.
enum class PictureKind {
    feature_maps,  ///< every channel colour-mapped, several channels as a labelled grid
    natural,       ///< 1 or 3 channels shown as a gray or RGB image (the input stage)
};

/// The tensor's channels as one picture, without title (used for stage pictures and the sheet).
/// Small maps are enlarged by an integer factor with nearest neighbour.
[[nodiscard]] Picture render_tensor(const Tensor& t, PictureKind kind);

/// As render_tensor, but feature maps are coloured over `range` (a ValueRange, tensor.hpp: maps
/// drawn over one range share their colours) instead of their own finite
/// range (values outside it take the end colours), so that maps can be compared colour for
/// colour (`convpool compare`). Natural pictures ignore `range`.
[[nodiscard]] Picture render_tensor(const Tensor& t, PictureKind kind, const ValueRange& range);

/// Colour maps for feature maps: OpenCV's (cv::applyColorMap) and a plain gray ramp.
enum class ColorMap {
    viridis,
    inferno,
    magma,
    plasma,
    cividis,
    turbo,
    jet,
    hot,
    bone,
    parula,
    twilight,
    gray
};

/// Names of the colour maps, in enum order (as on the command line: `--colormap`).
[[nodiscard]] const std::vector<std::string>& colormap_names();

/// The colour map called `name`; throws UsageError listing the valid names.
[[nodiscard]] ColorMap parse_colormap(std::string_view name);

/// The colour (R, G, B) at position `t` in [0, 1] of colour map `m` (clamped).
[[nodiscard]] std::array<std::uint8_t, 3> colormap_color(ColorMap m, double t);

/// The colour (R, G, B) at position `t` in [0, 1] of the diverging map of signed feature maps
/// (blue, white at 0.5, red; clamped).
[[nodiscard]] std::array<std::uint8_t, 3> diverging_color(double t);

/// Which values share one colour range (`--scale`).
enum class ColorScale {
    stage,    ///< each picture over its own range (finite [min, max] unless RangeRule says)
    channel,  ///< each channel of a picture over its own range (labelled per channel)
    global,   ///< every picture over RenderOptions::range (the caller's range of all stages)
};

/// How the colour range of feature maps is found from their values (`--range`), for each
/// range ColorScale asks for (a picture, a channel, or all stages of an image).
struct RangeRule {
    /// 0: the finite [min, max] (`--range minmax`). 0 < percent < 50: the percent-th to the
    /// (100 - percent)-th percentile of the finite values (`--range pP`, percentile_range());
    /// values outside are clipped (drawn in the end colours) and the pictures say so.
    double percent = 0.0;
};

/// The rule spelled `text` on the command line: `minmax`, or `pP` with 0 < P < 50 (`p1`: the
/// 1st to the 99th percentile, `p0.5`: 0.5th to 99.5th). Throws UsageError naming `--range`.
[[nodiscard]] RangeRule parse_range_rule(std::string_view text);

/// The range `rule` gives `values` (non-finite values left out); unset when none is finite.
[[nodiscard]] std::optional<ValueRange> value_range(std::span<const float> values,
                                                    const RangeRule& rule);

/// Pooling windows drawn over a map (`--grid-overlay`): which input cells feed which output.
struct PoolGrid {
    Size2 kernel;
    Size2 stride;
    Size2 pad;  ///< top and left padding, in cells
};

/// Feature maps whose values are whole numbers standing for something (a switch map's winning
/// taps, a coverage count): drawn with a discrete legend, a swatch and a label per value, instead
/// of a colour bar.
struct DiscreteValues {
    /// The labels of the values 0, 1, ...: each is listed whether the map holds it or not
    /// (categories). Empty: each whole value the map holds is listed by its number (counts).
    std::vector<std::string> labels;
};

/// The file format of the contact sheet (`--sheet-format`).
enum class SheetFormat { png, svg, pdf };

/// How pictures are drawn; the defaults give convpool's usual pictures.
struct RenderOptions {
    ColorMap colormap = ColorMap::viridis;  ///< non-negative (or all) feature maps
    bool diverging = true;  ///< signed maps (min < 0 < max) use blue-white-red centred on 0
    ColorScale scale = ColorScale::stage;
    std::optional<ValueRange> range;  ///< the range of ColorScale::global (unset: per stage)
    RangeRule range_rule;             ///< min..max or percentiles (`--range`), for every scale
    int columns = 0;                  ///< channels per row of the grid; 0: ceil(sqrt(C))
    int display_height = 256;         ///< height of every item in the contact sheet
    bool smooth = false;  ///< sheet resampling: area/linear instead of nearest neighbour
    /// Longest side of a picture's body (`--picture-size`); 0: every cell (`full`), still within
    /// 16384 px a side and 64 MP. A larger map is reduced: each picture cell stands for a block
    /// of cells (adaptive-pooling bins), the value of largest magnitude with its sign for
    /// feature maps, the mean for images; Picture::scale and the legend say so.
    int picture_size = 0;
    /// A reduced feature map takes the mean of each block, as an image, instead of its value of
    /// largest magnitude (`run`: colour stages before any other, such as gray).
    bool reduce_mean = false;
    /// ColorScale::channel: each channel's range, when given (a zoom drawn in the colours of
    /// the whole stage); else each channel's own.
    std::vector<ValueRange> channel_ranges;
    /// Natural pictures: this range instead of their own (a zoom in the whole image's colours).
    std::optional<ValueRange> image_range;
    /// The finite [min, max] of the tensor being drawn, when the caller knows it already (its
    /// statistics): used instead of reading the values again where that range is wanted.
    std::optional<ValueRange> known_range;
    /// Feature maps: each channel's name for its label (`R:sobel-x`); channels without one
    /// are labelled `c0`, `c1`, ...
    std::vector<std::string> channel_names;
    /// The contact sheet at true relative sizes (`--sheet-scale true`): every panel at the same
    /// pixels per map cell, the tallest at the display height, so pooling visibly shrinks the
    /// map; else every panel at the display height.
    bool sheet_true_scale = false;
    /// The contact sheet's file (`--sheet-format`): sheet.png, sheet.svg or sheet.pdf.
    SheetFormat sheet_format = SheetFormat::png;
    /// Set: the feature maps are categories or counts, with a discrete legend (colour_bar's
    /// entries) when every finite value is whole and there are at most kMaxLegendEntries of them.
    std::optional<DiscreteValues> discrete;
    /// Pixels per px of the PNG pictures (`--png-scale`, 1 to 4): the stage pictures, their
    /// zooms and window close-ups, switch maps and sheet.png, text drawn sharp at that scale.
    double png_scale = 1.0;
    /// render_tensor keeps its tile labels apart (Picture::text), so that a contact sheet that
    /// shrinks the picture leaves them out instead of shrinking them below 12 px.
    bool text_apart = false;
};

/// The most values a discrete legend lists; a map with more gets a colour bar.
constexpr int kMaxLegendEntries = 32;

/// As render_tensor, drawn as `options` say.
[[nodiscard]] Picture render_tensor(const Tensor& t, PictureKind kind,
                                    const RenderOptions& options);

/// True when a picture of a tensor of shape `s` drawn as `kind` under `options` is reduced
/// (Picture::reduced), without drawing it.
[[nodiscard]] bool picture_reduces(const Shape& s, PictureKind kind, const RenderOptions& options);

/// As titled_picture; the colour bar shows `options`' colour map and range.
[[nodiscard]] Picture titled_picture(const Picture& body, const std::string& title, const Tensor& t,
                                     PictureKind kind, const RenderOptions& options);

/// The value range a picture of `t` is drawn over, as a short label (`0..2.41`, `per channel`;
/// with percentiles `p1..p99: [0.01, 2.3], clipped`).
[[nodiscard]] std::string range_label(const Tensor& t, PictureKind kind,
                                      const RenderOptions& options);

/// A titled close-up of the middle of `t` (up to 8 windows each way; feature maps:
/// channel 0) with the pooling windows of `grid` drawn over it: a grid line before every window
/// start (every `stride` cells, shifted by `pad`), and when windows overlap or leave gaps
/// (kernel != stride) the first two windows outlined. Colours as the stage picture of `t`.
[[nodiscard]] Picture pool_grid_picture(const Tensor& t, PictureKind kind, const PoolGrid& grid,
                                        const std::string& title, const RenderOptions& options);

/// A stage picture: `body` with `title` above it and a colour bar for the value range below.
[[nodiscard]] Picture titled_picture(const Picture& body, const std::string& title, const Tensor& t,
                                     PictureKind kind);

/// One value of a discrete legend: its swatch's colour and its label.
struct LegendEntry {
    std::array<std::uint8_t, 3> colour{};
    std::string label;
};

/// A picture's colour bar as the contact sheet draws it under a panel: its colours from the low
/// end to the high end, and the values written at its ends; or, for categories and counts
/// (RenderOptions::discrete), a discrete legend: one swatch and label per value.
struct ColourBar {
    std::vector<std::array<std::uint8_t, 3>> colours;  ///< empty: no bar (an RGB image)
    std::string lo;
    std::string hi;
    /// Not empty: the discrete legend, in value order (`colours` then holds the same colours
    /// and `lo` and `hi` are empty).
    std::vector<LegendEntry> entries = {};
};

/// The discrete legend of a picture of `t` under `options` (RenderOptions::discrete): one entry
/// per value, coloured as render_tensor colours it, and `none` (magenta) when a value is not
/// finite; empty when `options` has no DiscreteValues, a finite value is not whole, or there
/// would be more than kMaxLegendEntries.
[[nodiscard]] std::vector<LegendEntry> discrete_legend(const Tensor& t,
                                                       const RenderOptions& options);

/// The colour bar of a picture of `t` drawn as `kind` under `options` (the bar titled_picture
/// draws): none for an RGB image, whose colours are its own.
[[nodiscard]] ColourBar colour_bar(const Tensor& t, PictureKind kind, const RenderOptions& options);

/// One column of the contact sheet.
struct SheetItem {
    Picture body;
    std::string label;        ///< e.g. "02 pool:max,k=2,s=2" (wrapped to the panel's width)
    std::string sublabel;     ///< e.g. "3x256x256  0..1"
    std::string detail = {};  ///< e.g. the channel names, "R G B" (cut to the panel's width)
    ColourBar bar = {};       ///< drawn under the panel when it has colours
    /// Map cells per pixel of `body` along its rows (1 / Picture::scale_h), for
    /// RenderOptions::sheet_true_scale; 0 for a chart, drawn at the display height.
    double cells_per_px = 0.0;
};

/// All items side by side at one display height (nearest neighbour), each labelled.
[[nodiscard]] Picture contact_sheet(const std::vector<SheetItem>& items, int display_height);

/// As contact_sheet, at `options.display_height`, resampled smoothly with `options.smooth`.
[[nodiscard]] Picture contact_sheet(const std::vector<SheetItem>& items,
                                    const RenderOptions& options);

/// A contact sheet's file: its name and bytes.
struct SheetFile {
    std::string name;
    std::string bytes;
};

/// The contact sheet in `options.sheet_format`: sheet.png (pixels, text drawn by the figure
/// plugin), sheet.svg (each picture a PNG data URI, the text real <text> elements) or sheet.pdf
/// (the same layout through cairo; throws OutputError without the plugin).
[[nodiscard]] SheetFile sheet_file(const std::vector<SheetItem>& items,
                                   const RenderOptions& options);

/// `--sheet-format` text: png, svg or pdf (pdf only when the figure plugin is installed).
/// Throws UsageError.
[[nodiscard]] SheetFormat parse_sheet_format(std::string_view name);

/// `p` at its png_scale: each pixel a block, its text (Picture::text) drawn sharp; `p` as it is
/// when its scale is 1 and it has no text apart.
[[nodiscard]] Picture scaled_picture(const Picture& p);

/// PNG bytes of `p` at its scale (scaled_picture); throws OutputError when encoding fails.
[[nodiscard]] std::string encode_png(const Picture& p);

}  // namespace convpool
