#include "convpool/core/format.hpp"
#include "convpool/io/npy.hpp"
#include "convpool/render/visualize.hpp"
#include "convpool/render/weights.hpp"
#include "convpool/render/zoom.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <limits>
#include <utility>

#include "batch.hpp"
#include "write_queue.hpp"

namespace convpool {

namespace {

/// The pictures of a stage with switches, as (file suffix, PNG bytes): `_switches.png`, which
/// tap of each window won (ty*w + tx, magenta where none), and `_coverage.png`, how many windows
/// read each input cell (0 = a dropped border, above 1 = overlap), each with a discrete legend
/// (a swatch per tap, labelled `ty,tx`; per count). `label` names the stage
/// ("03 pool:max,k=2,..."); each title adds the shape of its own map: the output's for the
/// switches, the stage input's for the coverage.
std::vector<std::pair<std::string, std::string>> switch_map_pngs(const Switches& sw,
                                                                 const std::string& label,
                                                                 double png_scale) {
    std::vector<float> offsets;
    offsets.reserve(sw.offset.size());
    for (const int o : sw.offset) {
        offsets.push_back(o < 0 ? std::numeric_limits<float>::quiet_NaN() : static_cast<float>(o));
    }
    const Tensor switch_map(sw.output, offsets);
    const Tensor coverage(Shape{1, sw.input.height, sw.input.width},
                          std::vector<float>(sw.coverage.begin(), sw.coverage.end()));
    const auto png = [&label](const std::string& what, const Tensor& t, const RenderOptions& o) {
        const Picture body = render_tensor(t, PictureKind::feature_maps, o);
        return encode_png(
            titled_picture(body, fmt::format("{}  {}  {}", label, to_string(t.shape()), what), t,
                           PictureKind::feature_maps, o));
    };
    // Taps are categories: every tap of the window is listed, coloured over 0..taps-1.
    RenderOptions taps;
    taps.png_scale = png_scale;
    taps.discrete = DiscreteValues{};
    for (int ty = 0; ty < sw.window.h; ++ty) {
        for (int tx = 0; tx < sw.window.w; ++tx) {
            taps.discrete->labels.push_back(fmt::format("{},{}", ty, tx));
        }
    }
    taps.scale = ColorScale::global;
    taps.range = ValueRange{0.0F, static_cast<float>(std::max(1, sw.window.h * sw.window.w) - 1)};
    RenderOptions counts;
    counts.png_scale = png_scale;
    counts.discrete = DiscreteValues{};
    return {
        {"_switches.png",
         png(fmt::format("switches: winning tap ty,tx (ty*{}+tx)", sw.window.w), switch_map, taps)},
        {"_coverage.png",
         png("coverage of the stage's input: windows reading each cell", coverage, counts)}};
}

/// The windows of a sliding-window pooling stage on an input of `in`, as the op declares them
/// (Op::windows, padding resolved); none for other stages and for dilated windows.
std::optional<PoolGrid> pool_grid(const Stage& stage, const Shape& in) {
    const auto plans = stage.op->windows(in);
    if (!plans || !plans->sliding || plans->sliding->rows.dilation != 1 ||
        plans->sliding->cols.dilation != 1) {
        return std::nullopt;
    }
    const Window& w = *plans->sliding;
    return PoolGrid{{w.rows.kernel, w.cols.kernel},
                    {w.rows.stride, w.cols.stride},
                    {w.rows.pad_begin, w.cols.pad_begin}};
}

/// Queues `picture`, encoded as PNG, to be written as `name` in `dir`, and names it in `st`.
void queue_picture(const BatchContext& ctx, const OutputDir& dir, WriteQueue& files,
                   const std::string& name, Picture&& picture, StageReport& st) {
    if (picture.png_scale != 1.0) {
        st.png_scales[name] = picture.png_scale;
    }
    files.submit([&ctx, &dir, name, pic = std::move(picture)] {
        write_output(ctx, dir, name, encode_png(pic));
    });
    st.files.push_back(name);
}

/// A stage with its own kernels (bank, conv:weights): `NN_<stage>_weights.png`, named in `st`.
void write_weights_picture(const BatchContext& ctx, const OutputDir& dir, WriteQueue& files,
                           const Stage& stage, const std::string& base, StageReport& st) {
    auto kernels = stage.op->kernels();
    if (!kernels) {
        return;
    }
    const std::string file = base + "_weights.png";
    const std::string title = fmt::format("{} weights  {}", base.substr(0, 2), st.stage);
    queue_picture(ctx, dir, files, file,
                  weights_picture({kernels->inputs, std::move(kernels->kernels), kernels->names},
                                  title, ctx.options.render.png_scale),
                  st);
    // Drawn at --png-scale already (each weight a block): the page shows it at its 1x size.
    if (ctx.options.render.png_scale != 1.0) {
        st.png_scales[file] = ctx.options.render.png_scale;
    }
    st.weights = WeightsPictureReport{file, std::move(kernels->names)};
}

}  // namespace

void write_stage_pictures(const BatchContext& ctx, const OutputDir& dir, const StageView& view,
                          StageReport& st, std::vector<SheetItem>& sheet, WriteQueue& files) {
    const Pipeline& pipeline = ctx.pipeline;
    const RunOptions& options = ctx.options;
    const StageResult& r = view.result;
    const Tensor& values = *view.values;
    const RenderOptions& render = view.render;
    const std::string label = r.stage == nullptr ? "input" : stage_file_label(*r.stage);
    const std::string base = fmt::format("{:02}_{}", r.index, label);
    StagePicture pic = stage_picture(view, st);
    const PictureKind kind = pic.kind;
    const std::string& title = pic.title;
    queue_picture(
        ctx, dir, files, base + ".png",
        pic.chart ? Picture(pic.body) : titled_picture(pic.body, title, values, kind, render), st);
    if (pic.body.reduced && view.zoom != nullptr) {
        queue_picture(ctx, dir, files, base + "_zoom.png",
                      zoom_picture(values, kind, *view.zoom, title, render), st);
        st.picture->zoom = *view.zoom;
    }
    const auto next = static_cast<std::size_t>(r.index);  // stages()[index] runs next
    const auto grid =
        options.grid_overlay && next < pipeline.stages().size() && !view.plan[next + 1].regions
            ? pool_grid(pipeline.stages()[next], r.shape())
            : std::nullopt;
    if (grid) {
        const std::string what =
            fmt::format("{:02} windows of {}", r.index, pipeline.stages()[next].describe());
        queue_picture(ctx, dir, files, base + "_windows.png",
                      pool_grid_picture(values, kind, *grid, what, render), st);
    }
    if (r.stage != nullptr) {
        write_weights_picture(ctx, dir, files, *r.stage, base, st);
    }
    if (options.raw_npy) {
        write_output(ctx, dir, base + ".npy", encode_npy(values));
        st.files.push_back(base + ".npy");
    }
    if (r.switches != nullptr) {
        for (const auto& [suffix, png] : switch_map_pngs(
                 *r.switches, fmt::format("{:02} {}", r.index, st.stage), render.png_scale)) {
            write_output(ctx, dir, base + suffix, png);
            st.files.push_back(base + suffix);
            if (render.png_scale != 1.0) {
                st.png_scales[base + suffix] = render.png_scale;
            }
        }
    }
    sheet.push_back(sheet_tile(view, st, std::move(pic)));
}

std::string stage_file_label(const Stage& stage) {
    std::string label = stage.info->name;
    std::replace(label.begin(), label.end(), ':', '-');
    if (!stage.info->params.empty()) {
        const ParamSpec& first = stage.info->params.front();
        if (first.type == ParamType::choice && stage.params.has(first.name)) {
            label += "-" + stage.params.text(first.name);
        }
    }
    return label;
}

}  // namespace convpool
