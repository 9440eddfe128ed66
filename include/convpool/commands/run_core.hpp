#pragma once
/// \file run_core.hpp
/// One image through the pipeline in memory: every stage's report (statistics, notes, switch
/// summary) and, when drawn, its picture and contact-sheet tile, without writing a file. The
/// `run` command (run.cpp) writes what this gives into OUT; the Python module (src/python/)
/// hands it to Python. Both share this one code path.

#include "convpool/commands/run.hpp"
#include "convpool/io/image_io.hpp"
#include "convpool/pipeline/pipeline.hpp"
#include "convpool/render/visualize.hpp"
#include "convpool/render/zoom.hpp"
#include "convpool/report/report.hpp"

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace convpool {

/// One stage of an image's run as a sink sees it.
struct StageView {
    const StageResult& result;
    /// Its values as float (an 8-bit stage converted); null only for a fused stage, which has
    /// none (RunOptions::fuse).
    const Tensor* values;
    const std::vector<PlanStep>& plan;
    /// The picture options of this stage (reduce_mean set for the input and colour stages).
    const RenderOptions& render;
    const CellRegion* zoom;  ///< the stage's zoom cells when its picture is reduced; null: none
};

/// Called for every stage (the input first) with its view and its report, which the sink may
/// complete (files written, picture facts). Pictures are drawn only when `draw` is set.
using StageSink = std::function<void(const StageView& view, StageReport& report)>;

/// What one image's run gives.
struct ImageStages {
    std::vector<StageReport> stages;
    Tensor final_tensor;
    RenderOptions render;  ///< the picture options every stage was drawn with
};

/// How one image is run.
struct ImageRunSpec {
    bool draw = true;  ///< pictures are drawn (Emit::all): values of every stage are read
    std::function<bool()> stop_requested;  ///< polled between stages; true throws Stopped
    /// Called once the pipeline is planned for the image (its shapes fit), before anything runs:
    /// `run` opens the image's folder there, so a misfit image leaves none.
    std::function<void()> planned;
};

/// Runs `loaded` through `pipeline` with `options` (stats, fuse, render, zoom, picture size),
/// calling `sink` for every stage. Throws what the pipeline throws (ShapeError, ...) and
/// Stopped.
[[nodiscard]] ImageStages run_image_stages(const Pipeline& pipeline, const RunOptions& options,
                                           LoadedImage loaded, const ImageRunSpec& spec,
                                           const StageSink& sink);

/// The picture of one stage as run draws it (its body: the feature maps, or a bar chart per
/// part for a vector output), with its title; records the picture's scale and reduction in
/// `report.picture`.
struct StagePicture {
    Picture body;
    std::string title;
    PictureKind kind = PictureKind::feature_maps;
    bool chart = false;  ///< a vector output's bar chart: the body is the whole picture
    /// A chart drawn again at the sheet's display height, so that its text stays 14 px there
    /// (empty below kLeastSheetChart px: the sheet shrinks `body`).
    std::optional<Picture> sheet_body = std::nullopt;
};
[[nodiscard]] StagePicture stage_picture(const StageView& view, StageReport& report);

/// The contact-sheet tile of a stage drawn as `picture` (moved into the tile).
[[nodiscard]] SheetItem sheet_tile(const StageView& view, const StageReport& report,
                                   StagePicture&& picture);

/// FNV-1a hash of the bytes of `bytes`, continuing from `hash`.
inline constexpr std::uint64_t kFnv1aStart = 14695981039346656037ULL;
[[nodiscard]] std::uint64_t fnv1a(std::string_view bytes, std::uint64_t hash = kFnv1aStart);
[[nodiscard]] std::uint64_t fnv1a(std::span<const unsigned char> bytes,
                                  std::uint64_t hash = kFnv1aStart);

/// The report of a run before its images: pipeline text, semantics, statistics level, stages,
/// and the list of input names (`display` of each, in order) as its size and hash.
[[nodiscard]] RunReport run_report_head(const Pipeline& pipeline, const std::string& pipeline_text,
                                        StatsLevel stats, const std::vector<std::string>& inputs);

}  // namespace convpool
