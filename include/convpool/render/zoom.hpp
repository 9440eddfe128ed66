#pragma once
/// \file zoom.hpp
/// The full-resolution zoom beside a reduced stage picture: one region of the input, followed
/// through every stage by the windows the ops declare (Op::windows, Op::correlation).

#include "convpool/pipeline/pipeline.hpp"
#include "convpool/render/visualize.hpp"
#include "convpool/report/report.hpp"

#include <optional>
#include <string_view>
#include <vector>

namespace convpool {

/// Side of the zoom's input region, in input cells.
inline constexpr int kZoomCells = 256;

/// `--zoom Y,X,HxW`: first row, first column, height x width of the input region (height
/// first, as every size). Throws UsageError naming `--zoom`.
[[nodiscard]] CellRegion parse_zoom(std::string_view text);

/// The cells of every stage's output that the input region `input` becomes: `shapes[0]` is the
/// input, `shapes[k]` the output of `pipeline.stages()[k - 1]`. Along each axis, an output cell
/// belongs to the region when the centre of the cells its window reads lies in it (pools:
/// Op::windows; convolutions: Op::correlation; other stages scale the region with the map).
/// A stage whose region would be empty along an axis (a global pool) gets its whole extent.
[[nodiscard]] std::vector<CellRegion> zoom_regions(const Pipeline& pipeline,
                                                   const std::vector<Shape>& shapes,
                                                   const CellRegion& input);

/// The input region of kZoomCells x kZoomCells cells (less for a smaller input) centred where
/// the final stage responds most: its value of largest magnitude (the first, row-major, over
/// every channel), followed back through every stage's windows to the input.
[[nodiscard]] CellRegion zoom_focus(const Pipeline& pipeline, const std::vector<Shape>& shapes,
                                    const Tensor& final_values);

/// The zoom regions of one image, per stage (zoom_regions), or none when no stage picture is
/// reduced under `render` (nothing to zoom into). The input region is `given` (`--zoom`,
/// clipped to the input; InputError when it starts outside) or else zoom_focus of a first run
/// of the pipeline on `input`.
[[nodiscard]] std::vector<CellRegion> plan_zooms(const Pipeline& pipeline,
                                                 const std::vector<Shape>& shapes,
                                                 const Tensor& input, const RenderOptions& render,
                                                 const std::optional<CellRegion>& given);

/// A titled picture of region `r` of `t` at full resolution, in the colours of the whole
/// stage's picture under `options` (its range, per channel or per image as the stage's).
[[nodiscard]] Picture zoom_picture(const Tensor& t, PictureKind kind, const CellRegion& r,
                                   const std::string& title, const RenderOptions& options);

}  // namespace convpool
