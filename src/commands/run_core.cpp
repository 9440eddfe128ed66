#include "convpool/commands/run_core.hpp"

#include "convpool/core/error.hpp"
#include "convpool/core/format.hpp"
#include "convpool/render/chart.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <limits>
#include <optional>
#include <utility>

namespace convpool {
namespace {

/// A Cx1x1 stage of more channels than this is drawn as a chart of its largest values.
constexpr int kMostScoreTiles = 16;
/// The least sheet height a chart is drawn again at for the sheet (kept readable below: shrunk).
constexpr int kLeastSheetChart = 200;

/// The report of stage `r`; `values` are its values (r.tensor, or an 8-bit result converted),
/// read only for statistics.
StageReport stage_report(const StageResult& r, const Tensor* values, const StageReport* previous,
                         const StageReport* input, const std::vector<std::string>& notes,
                         StatsLevel level) {
    StageReport st;
    st.index = r.index;
    st.op = r.stage == nullptr ? "input" : r.stage->info->name;
    st.stage = r.stage == nullptr ? "input" : r.stage->describe();
    st.shape = r.shape();
    st.milliseconds = r.milliseconds;
    const auto elements = static_cast<double>(st.shape.elements());
    st.ratio_previous =
        previous == nullptr ? 1.0 : elements / static_cast<double>(previous->elements());
    st.ratio_input = input == nullptr ? 1.0 : elements / static_cast<double>(input->elements());
    st.notes = notes;
    if (level == StatsLevel::none) {
        return st;
    }
    StageStats stats = stage_stats(values->data(), st.shape.channels, level);
    st.overall = stats.overall;
    st.channels = std::move(stats.channels);
    if (level == StatsLevel::full) {
        st.histogram = std::move(stats.histogram);
    }
    return st;
}

/// The report's summary of recorded switches: winning-offset histogram and coverage.
SwitchSummary switch_summary(const Switches& sw) {
    SwitchSummary sum;
    sum.window = sw.window;
    sum.offset_histogram.assign(
        static_cast<std::size_t>(sw.window.h) * static_cast<std::size_t>(sw.window.w), 0);
    for (const int o : sw.offset) {
        if (o >= 0) {
            ++sum.offset_histogram[static_cast<std::size_t>(o)];
        }
    }
    for (const int c : sw.coverage) {
        sum.uncovered += c == 0 ? 1 : 0;
        sum.max_coverage = std::max(sum.max_coverage, c);
    }
    return sum;
}

/// "winning taps of the 2x2 window (rows top to bottom): 10 5 / 3 20" for the table.
std::string offset_histogram_note(const SwitchSummary& sum) {
    std::string rows;
    for (int y = 0; y < sum.window.h; ++y) {
        rows += y == 0 ? "" : " /";
        for (int x = 0; x < sum.window.w; ++x) {
            rows +=
                fmt::format(" {}", sum.offset_histogram[static_cast<std::size_t>(y) *
                                                            static_cast<std::size_t>(sum.window.w) +
                                                        static_cast<std::size_t>(x)]);
        }
    }
    return fmt::format("winning taps of the {}x{} window (rows top to bottom):{}", sum.window.h,
                       sum.window.w, rows);
}

/// The finite [min, max] of a stage as its statistics found it (a zero bound as +0, as
/// finite_value_range gives it); unset without statistics or finite values.
std::optional<ValueRange> known_range(const StageReport& st) {
    if (st.channels.empty() || st.overall.nonfinite == st.overall.count) {
        return std::nullopt;
    }
    const auto bound = [](double v) { return v == 0.0 ? 0.0F : static_cast<float>(v); };
    return ValueRange{bound(st.overall.min), bound(st.overall.max)};
}

/// The picture options of one image. With --scale global, a first run of the pipeline finds the
/// range of every stage drawn as feature maps (the input, drawn as an image, is left out); a
/// percentile --range is taken over the values of all those stages together.
RenderOptions image_render_options(const Pipeline& pipeline, const RunOptions& options,
                                   const Tensor& input) {
    RenderOptions render = options.render;
    render.display_height = options.sheet_height;
    // Tile labels stay apart from the pixels: the sheet leaves them out of a panel that shrinks
    // the picture, where they would be drawn below 12 px.
    render.text_apart = true;
    render.picture_size = options.picture_size;
    if (render.scale == ColorScale::global) {
        const bool percentiles = render.range_rule.percent > 0.0;
        std::optional<ValueRange> all;
        std::vector<float> values;  // percentiles: every value of every feature-map stage
        (void)pipeline.run(input, [&](const StageResult& r) {
            const int channels = r.tensor->shape().channels;
            if (r.index == 0 && (channels == 1 || channels == 3)) {
                return;
            }
            if (percentiles) {
                values.insert(values.end(), r.tensor->data().begin(), r.tensor->data().end());
                return;
            }
            const auto range = finite_value_range(r.tensor->data());
            if (range) {
                all = all ? ValueRange{std::min(all->lo, range->lo), std::max(all->hi, range->hi)}
                          : *range;
            }
        });
        render.range = percentiles ? value_range(values, render.range_rule) : all;
    }
    return render;
}

}  // namespace

// NOLINTNEXTLINE(readability-function-cognitive-complexity): one observer over the stages
ImageStages run_image_stages(const Pipeline& pipeline, const RunOptions& options,
                             LoadedImage loaded, const ImageRunSpec& spec, const StageSink& sink) {
    const bool draw = spec.draw;
    const bool luminance_only = loaded.luminance_only;
    const std::vector<std::string> input_notes = std::move(loaded.notes);
    // The names of the channels of the stage observed next: the input's, then each stage's
    // from its input's, found while that input's values are at hand (select:top reads them).
    std::vector<std::string> names = std::move(loaded.channel_names);
    const Shape input_shape = loaded.u8 ? loaded.u8->shape() : loaded.tensor.shape();
    // Intermediates may hold up to 4 values per allowed input pixel (e.g. RGBA), no more.
    const auto plan = pipeline.plan(input_shape, 4 * options.load.max_pixels);
    if (spec.planned) {
        spec.planned();
    }
    ImageStages out;
    if (draw) {
        out.render = image_render_options(pipeline, options, loaded.tensor);
    }
    bool image_stage =
        true;  // every stage so far is the input or keeps its range (Op::keeps_range)
    std::optional<ValueRange> image_range;  // an input image's range, when not within [0, 1]
    std::vector<CellRegion> zooms;          // per stage, when some picture is reduced
    if (draw) {
        std::vector<Shape> shapes;
        shapes.reserve(plan.size());
        for (const auto& step : plan) {
            shapes.push_back(step.shape);
        }
        zooms = plan_zooms(pipeline, shapes, loaded.tensor, out.render, options.zoom);
    }
    std::vector<StageReport>& stages = out.stages;
    const auto observer = [&](const StageResult& r) {
        if (spec.stop_requested && spec.stop_requested()) {
            throw Stopped{};
        }
        // A stage run in 8 bits becomes float here only when its values are read (a stage
        // fused with the next has none, but then none are read).
        std::optional<Tensor> converted;
        if (r.image != nullptr && (draw || options.stats != StatsLevel::none)) {
            converted = unit_tensor(*r.image);
        }
        const Tensor* values = r.tensor != nullptr ? r.tensor : converted ? &*converted : nullptr;
        const StageReport* prev = stages.empty() ? nullptr : &stages.back();
        const StageReport* first = stages.empty() ? nullptr : &stages.front();
        const auto k = static_cast<std::size_t>(r.index);
        StageReport st = stage_report(r, values, prev, first, plan[k].notes, options.stats);
        st.regions = plan[k].regions;
        st.channel_names = static_cast<int>(names.size()) == st.shape.channels
                               ? std::move(names)
                               : numbered_channel_names(st.shape.channels);
        if (k < pipeline.stages().size()) {
            names = pipeline.stages()[k].op->channel_names(st.channel_names, st.shape,
                                                           plan[k + 1].shape, values);
        }
        if (r.index == 0 && luminance_only) {
            st.notes.emplace_back(
                "decoded as luminance only (the JPEG's Y), as the pipeline starts with gray");
        }
        if (r.index == 0) {
            st.notes.insert(st.notes.end(), input_notes.begin(), input_notes.end());
        }
        if (r.switches != nullptr) {
            st.switches = switch_summary(*r.switches);
            st.notes.push_back(offset_histogram_note(*st.switches));
        }
        // The input and the stages right after it that keep its range (gray, max or average
        // pooling) are images: drawn as the input is, in its map, their reduced pictures
        // average each block.
        image_stage = image_stage && (r.stage == nullptr || r.stage->op->keeps_range());
        RenderOptions stage_render = out.render;
        stage_render.reduce_mean = image_stage;
        stage_render.known_range = known_range(st);
        if (draw && r.index == 0 && values != nullptr) {
            const auto range = stage_render.known_range ? stage_render.known_range
                                                        : finite_value_range(values->data());
            if (range && (range->lo < 0.0F || range->hi > 1.0F)) {
                image_range = range;
            }
        }
        if (image_stage && r.index > 0) {
            stage_render.image_range = image_range;
        }
        if (draw) {
            stage_render.channel_names = st.channel_names;
        }
        if (sink) {
            sink(StageView{r, values, plan, stage_render, k < zooms.size() ? &zooms[k] : nullptr},
                 st);
        }
        stages.push_back(std::move(st));
    };
    // Fusing leaves a stage without values: only when no values but the final ones are read.
    const bool fuse = options.fuse && !draw && options.stats == StatsLevel::none;
    out.final_tensor = loaded.u8 ? pipeline.run(std::move(*loaded.u8), observer, fuse)
                                 : pipeline.run(std::move(loaded.tensor), observer, fuse);
    return out;
}

StagePicture stage_picture(const StageView& view, StageReport& report) {
    const StageResult& r = view.result;
    const Tensor& values = *view.values;
    StagePicture pic;
    // The input, and the stages that keep its range, are drawn as images (gray or RGB).
    pic.kind =
        r.index == 0 || view.render.reduce_mean ? PictureKind::natural : PictureKind::feature_maps;
    pic.title = fmt::format("{:02} {}  {}", r.index, report.stage, to_string(report.shape));
    std::vector<std::string> part_labels;
    std::vector<int> part_cells;
    for (const auto& part :
         r.stage == nullptr ? std::vector<Op::VectorPart>() : r.stage->op->vector_parts()) {
        part_labels.push_back(part.label);
        part_cells.push_back(part.cells);
    }
    // A vector output (spp) is drawn as a bar chart per part, not as a 1-row image; scores
    // (Cx1x1, more than a grid of 16 shows well: a classifier's output) as a chart of the top.
    const Shape& s = values.shape();
    const bool scores = s.height == 1 && s.width == 1 && s.channels > kMostScoreTiles;
    pic.chart = !part_labels.empty() || scores;
    const auto chart = [&](double scale, int height) {
        return !part_labels.empty()
                   ? render_vector_chart(values, part_labels, part_cells, pic.title, scale, height)
                   : render_class_chart(values, report.channel_names, pic.title, kMostScoreTiles,
                                        scale, height);
    };
    pic.body =
        pic.chart ? chart(view.render.png_scale, 0) : render_tensor(values, pic.kind, view.render);
    if (pic.chart && view.render.display_height >= kLeastSheetChart) {
        pic.sheet_body = chart(1.0, view.render.display_height);
    }
    const bool mean =
        view.render.reduce_mean || (pic.kind == PictureKind::natural &&
                                    (values.shape().channels == 1 || values.shape().channels == 3));
    report.picture = PictureReport{pic.body.scale_h, pic.body.scale_w,
                                   !pic.body.reduced ? "none"
                                   : mean            ? "mean"
                                                     : "largest-magnitude",
                                   std::nullopt};
    return pic;
}

SheetItem sheet_tile(const StageView& view, const StageReport& report, StagePicture&& picture) {
    const StageResult& r = view.result;
    std::string names;
    for (const auto& name : report.channel_names) {
        names += (names.empty() ? "" : " ") + name;
    }
    SheetItem item{
        .body = picture.sheet_body ? std::move(*picture.sheet_body) : std::move(picture.body),
        .label = fmt::format("{:02} {}", r.index, report.stage),
        .sublabel = to_string(report.shape),
        .detail = names};
    if (!picture.chart) {
        item.sublabel += "  " + range_label(*view.values, picture.kind, view.render);
        item.bar = colour_bar(*view.values, picture.kind, view.render);
        item.cells_per_px = item.body.scale_h > 0.0 ? 1.0 / item.body.scale_h : 0.0;
    }
    return item;
}

std::uint64_t fnv1a(std::string_view bytes, std::uint64_t hash) {
    for (const char b : bytes) {
        hash = (hash ^ static_cast<unsigned char>(b)) * 1099511628211ULL;
    }
    return hash;
}

std::uint64_t fnv1a(std::span<const unsigned char> bytes, std::uint64_t hash) {
    for (const unsigned char b : bytes) {
        hash = (hash ^ b) * 1099511628211ULL;
    }
    return hash;
}

RunReport run_report_head(const Pipeline& pipeline, const std::string& pipeline_text,
                          StatsLevel stats, const std::vector<std::string>& inputs) {
    RunReport report;
    report.pipeline = pipeline_text;
    report.semantics = semantics_name(pipeline.semantics());
    report.stats = stats;
    report.input_list_size = inputs.size();
    // The names, each NUL-ended, hashed in order.
    report.input_list_hash = fnv1a(std::string_view());
    for (const auto& in : inputs) {
        report.input_list_hash = fnv1a(in + '\0', report.input_list_hash);
    }
    for (const auto& stage : pipeline.stages()) {
        report.stages.push_back(stage.describe());
    }
    return report;
}

}  // namespace convpool
