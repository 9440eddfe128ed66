#include "convpool/commands/run.hpp"

#include "convpool/commands/run_core.hpp"
#include "convpool/core/error.hpp"
#include "convpool/core/format.hpp"
#include "convpool/core/geometry.hpp"
#include "convpool/core/parallel.hpp"
#include "convpool/io/npy.hpp"
#include "convpool/io/output_dir.hpp"
#include "convpool/render/visualize.hpp"
#include "convpool/render/weights.hpp"
#include "convpool/render/zoom.hpp"
#include "convpool/report/html.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <sstream>
#include <system_error>
#include <thread>
#include <utility>

namespace convpool {
namespace fs = std::filesystem;

namespace {

/// The record of an image's outputs in its folder: what it wrote (the only files --force ever
/// deletes there). Written last, so its presence marks the image's outputs complete.
constexpr std::string_view kRecordName = "convpool.json";
constexpr std::size_t kMaxRecordBytes = std::size_t{64} << 20U;

/// Device and inode of a file, to recognise it whatever path names it.
using FileId = std::pair<unsigned long long, unsigned long long>;

std::optional<FileId> file_id(const std::string& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
        return std::nullopt;
    }
    return FileId{st.st_dev, st.st_ino};
}

/// Shared, read-only facts of one batch that every image needs.
struct BatchContext {
    const Pipeline& pipeline;
    const RunOptions& options;
    const RunEvents& events;
    const OutputDir* out;                    ///< OUT, open and locked (null with `-o -`)
    std::set<FileId> inputs;                 ///< every input file: never overwritten or deleted
    std::vector<unsigned char> stdin_bytes;  ///< the image given as `-`
};

/// True when `name` in `dir` is one of the run's inputs (by device and inode).
bool is_input(const BatchContext& ctx, const OutputDir& dir, const std::string& name) {
    return !ctx.inputs.empty() &&
           ctx.inputs.contains(file_id(dir.path_of(name)).value_or(FileId{}));
}

/// Writes one output file, refusing to replace an input.
void write_output(const BatchContext& ctx, const OutputDir& dir, const std::string& name,
                  const std::string& bytes) {
    if (is_input(ctx, dir, name)) {
        throw OutputError(fmt::format("{}: refusing to overwrite an input", dir.path_of(name)));
    }
    dir.write(name, bytes);
}

/// Names of the files an image's record `record` in `dir` says it wrote (empty without a
/// readable record).
std::vector<std::string> recorded_files(const OutputDir& dir, const std::string& record_name) {
    const auto text = dir.read(record_name, kMaxRecordBytes);
    std::vector<std::string> files;
    if (text) {
        const auto record = nlohmann::json::parse(*text, nullptr, false);
        if (record.is_object() && record.contains("files") && record["files"].is_array()) {
            for (const auto& f : record["files"]) {
                if (f.is_string() && is_safe_name(f.get<std::string>())) {
                    files.push_back(f.get<std::string>());
                }
            }
        }
    }
    return files;
}

/// Names convpool 0.1 gave the files of an image's folder: used only to see that earlier
/// outputs exist (never to delete anything).
bool is_convpool_output(const std::string& name) {
    return name == "sheet.png" ||
           (name.size() > 3 && std::isdigit(static_cast<unsigned char>(name[0])) != 0 &&
            std::isdigit(static_cast<unsigned char>(name[1])) != 0 && name[2] == '_');
}

/// The folder part of an output name (`cats` of `cats/001`; empty for `001`).
std::string parent_of(const std::string& out_name) {
    const auto slash = out_name.rfind('/');
    return slash == std::string::npos ? std::string() : out_name.substr(0, slash);
}

/// Where the record of an image lives: with --emit all `convpool.json` in the image's own folder
/// (`OUT/cats/001/convpool.json`); with --emit final beside the final image, named after it
/// (`OUT/cats/001.convpool.json` next to `OUT/cats/001.png`).
struct RecordPlace {
    std::string folder;  ///< below OUT
    std::string name;
};

RecordPlace record_place(const RunOptions& options, const InputItem& item) {
    if (options.emit == Emit::all) {
        return {item.out_name, std::string(kRecordName)};
    }
    const auto slash = item.out_name.rfind('/');
    const std::string base =
        slash == std::string::npos ? item.out_name : item.out_name.substr(slash + 1);
    return {parent_of(item.out_name), base + "." + std::string(kRecordName)};
}

/// Removes the record `record` in `dir` and then the files it lists (never an input): the record
/// goes first, so an interrupted redo is never taken as complete.
void remove_recorded(const BatchContext& ctx, const OutputDir& dir, const std::string& record) {
    const auto earlier = recorded_files(dir, record);
    dir.remove(record);
    for (const auto& name : earlier) {
        if (!is_input(ctx, dir, name)) {
            dir.remove(name);
        }
    }
}

/// The file name of the final image of `item` (Emit::final with a directory).
std::string final_name(const RunOptions& options, const InputItem& item, int channels) {
    const auto slash = item.out_name.rfind('/');
    const std::string base =
        slash == std::string::npos ? item.out_name : item.out_name.substr(slash + 1);
    return base + encoding_extension(options.format, channels);
}

/// The pictures of a stage with switches, as (file suffix, PNG bytes): `_switches.png`, which
/// tap of each window won (ty*w + tx, magenta where none), and `_coverage.png`, how many windows
/// read each input cell (0 = a dropped border, above 1 = overlap). `label` names the stage
/// ("03 pool:max,k=2,..."); each title adds the shape of its own map: the output's for the
/// switches, the stage input's for the coverage.
std::vector<std::pair<std::string, std::string>> switch_map_pngs(const Switches& sw,
                                                                 const std::string& label) {
    std::vector<float> offsets;
    offsets.reserve(sw.offset.size());
    for (const int o : sw.offset) {
        offsets.push_back(o < 0 ? std::numeric_limits<float>::quiet_NaN() : static_cast<float>(o));
    }
    const Tensor switch_map(sw.output, offsets);
    const Tensor coverage(Shape{1, sw.input.height, sw.input.width},
                          std::vector<float>(sw.coverage.begin(), sw.coverage.end()));
    const auto png = [&label](const std::string& what, const Tensor& t) {
        const Picture body = render_tensor(t, PictureKind::feature_maps);
        return encode_png(
            titled_picture(body, fmt::format("{}  {}  {}", label, to_string(t.shape()), what), t,
                           PictureKind::feature_maps));
    };
    return {{"_switches.png",
             png(fmt::format("switches: winning tap ty*{}+tx", sw.window.w), switch_map)},
            {"_coverage.png",
             png("coverage of the stage's input: windows reading each cell", coverage)}};
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

/// A stage with its own kernels (bank, conv:weights): `NN_<stage>_weights.png`, named in `st`.
void write_weights_picture(const BatchContext& ctx, const OutputDir& dir, const Stage& stage,
                           const std::string& base, StageReport& st) {
    auto kernels = stage.op->kernels();
    if (!kernels) {
        return;
    }
    const std::string file = base + "_weights.png";
    const std::string title = fmt::format("{} weights  {}", base.substr(0, 2), st.stage);
    write_output(ctx, dir, file,
                 encode_png(weights_picture(
                     {kernels->inputs, std::move(kernels->kernels), kernels->names}, title)));
    st.files.push_back(file);
    st.weights = WeightsPictureReport{file, std::move(kernels->names)};
}

/// Writes the pictures of one stage for --emit all into `dir`: the stage's picture, its zoom
/// when reduced, its pooling-window overlay, .npy and switch maps as asked, naming them in `st`,
/// and adds the stage's tile to the contact sheet.
void write_stage_pictures(const BatchContext& ctx, const OutputDir& dir, const StageView& view,
                          StageReport& st, std::vector<SheetItem>& sheet) {
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
    write_output(
        ctx, dir, base + ".png",
        encode_png(pic.chart ? pic.body : titled_picture(pic.body, title, values, kind, render)));
    st.files.push_back(base + ".png");
    if (pic.body.reduced && view.zoom != nullptr) {
        write_output(ctx, dir, base + "_zoom.png",
                     encode_png(zoom_picture(values, kind, *view.zoom, title, render)));
        st.files.push_back(base + "_zoom.png");
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
        write_output(ctx, dir, base + "_windows.png",
                     encode_png(pool_grid_picture(values, kind, *grid, what, render)));
        st.files.push_back(base + "_windows.png");
    }
    if (r.stage != nullptr) {
        write_weights_picture(ctx, dir, *r.stage, base, st);
    }
    if (options.raw_npy) {
        write_output(ctx, dir, base + ".npy", encode_npy(values));
        st.files.push_back(base + ".npy");
    }
    if (r.switches != nullptr) {
        for (const auto& [suffix, png] :
             switch_map_pngs(*r.switches, fmt::format("{:02} {}", r.index, st.stage))) {
            write_output(ctx, dir, base + suffix, png);
            st.files.push_back(base + suffix);
        }
    }
    sheet.push_back(sheet_tile(view, st, std::move(pic)));
}

/// Opens the folder of one image for writing its outputs: removes temporary files of an earlier
/// interrupted run and, with --force or --skip-existing (an image redone), the files the earlier
/// run's record lists (never anything else, never an input). The record goes first, so an
/// interrupted redo is never taken as complete.
OutputDir open_image_dir(const BatchContext& ctx, const InputItem& item) {
    OutputDir dir = ctx.out->subdir(item.out_name, true);
    dir.remove_stale_temps();
    // --skip-existing redoes an image whose record is out of date: its files go as with --force.
    if (ctx.options.force || ctx.options.skip_existing) {
        remove_recorded(ctx, dir, std::string(kRecordName));
    }
    return dir;
}

/// What produced an image's outputs: the pipeline (defaults filled in), every option that
/// changes a written file, convpool's version, and the input's size and modification time (for
/// stdin: size and a hash of the bytes). An image whose record holds another fingerprint is
/// redone by --skip-existing.
nlohmann::json image_fingerprint(const BatchContext& ctx, const InputItem& item) {
    const RunOptions& o = ctx.options;
    const RenderOptions& r = o.render;
    std::vector<std::string> stages;
    for (const auto& stage : ctx.pipeline.stages()) {
        stages.push_back(stage.describe());
    }
    nlohmann::json input;
    if (item.path == "-") {
        input = {{"bytes", ctx.stdin_bytes.size()}, {"fnv1a", fnv1a(ctx.stdin_bytes)}};
    } else {
        struct stat st {};
        if (::stat(item.path.c_str(), &st) == 0) {
            input = {{"bytes", st.st_size},
                     {"mtime_ns", static_cast<long long>(st.st_mtim.tv_sec) * 1000000000LL +
                                      st.st_mtim.tv_nsec}};
        }
    }
    if (item.item) {
        input["item"] = *item.item;
    }
    return {{"convpool_version", CONVPOOL_VERSION},
            {"stages", stages},
            {"semantics", semantics_name(ctx.pipeline.semantics())},
            {"options",
             {{"emit", static_cast<int>(o.emit)},
              {"raw_npy", o.raw_npy},
              {"sheet_height", o.sheet_height},
              {"picture_size", o.picture_size},
              {"zoom", o.zoom ? nlohmann::json{o.zoom->y, o.zoom->x, o.zoom->h, o.zoom->w}
                              : nlohmann::json(nullptr)},
              {"stats", stats_level_name(o.stats)},
              {"grid_overlay", o.grid_overlay},
              {"npy_layout", npy_layout_name(o.load.npy_layout)},
              {"pages_as_channels", o.load.pages_as_channels},
              {"orient", o.load.orient_exif ? "exif" : "none"},
              {"colormap", static_cast<int>(r.colormap)},
              {"diverging", r.diverging},
              {"scale", static_cast<int>(r.scale)},
              {"range_percent", r.range_rule.percent},
              {"columns", r.columns},
              {"smooth", r.smooth},
              {"sheet_true_scale", r.sheet_true_scale}}},
            {"input", input}};
}

/// The record of an image: what produced it, the files it wrote (image-level and per stage)
/// and its report entry (docs/outputs.md).
std::string image_record(const ImageReport& img, const nlohmann::json& fingerprint) {
    // The record holds no timings and no paths: the same inputs give the same bytes, whatever
    // the folder, the job count or the shard.
    ImageReport stored = img;
    stored.output_dir.clear();
    for (auto& st : stored.stages) {
        st.milliseconds = 0;
    }
    std::vector<std::string> files;
    for (const auto& st : img.stages) {
        files.insert(files.end(), st.files.begin(), st.files.end());
    }
    files.insert(files.end(), img.files.begin(), img.files.end());
    const nlohmann::json record{{"convpool_record", 1},
                                {"fingerprint", fingerprint},
                                {"files", files},
                                {"image", nlohmann::json::parse(stored_image_json(stored))}};
    return record.dump(1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

ImageReport process_image(const BatchContext& ctx, const InputItem& item) {
    const Pipeline& pipeline = ctx.pipeline;
    const RunOptions& options = ctx.options;
    const std::string& input = item.path;
    ImageReport img;
    img.input = item.display();
    LoadOptions load = options.load;
    load.item = item.item;
    load.stop_requested = ctx.events.stop_requested;  // a decode under way is cut short (Stopped)
    // No picture of the input and a leading gray: a JPEG's luminance is all that is needed.
    load.luminance = options.emit == Emit::final && !pipeline.stages().empty() &&
                     pipeline.stages().front().info->luminance_only;
    // Nothing drawn (no picture needs the input as float): an 8-bit image whose pipeline starts
    // with max/min pools stays in 8 bits through them.
    if (options.u8_stages && options.emit == Emit::final) {
        load.keep_u8 = [&pipeline](const Shape& shape) {
            return pipeline.leading_u8_stages(shape) > 0;
        };
    }
    LoadedImage loaded =
        input == "-" ? decode_image(ctx.stdin_bytes, load) : load_image(input, load);
    img.warnings = std::move(loaded.warnings);
    const bool to_stdout = options.out_dir == "-";
    const bool all = options.emit == Emit::all;
    std::optional<OutputDir> dir;
    const auto open_dirs = [&] {
        if (all) {
            dir = open_image_dir(ctx, item);
            img.output_dir = dir->path();
        } else if (!to_stdout) {
            dir = ctx.out->subdir(parent_of(item.out_name), true);
            img.output_dir = dir->path();
            if (options.force || options.skip_existing) {
                remove_recorded(ctx, *dir, record_place(options, item).name);
            }
        }
    };
    std::vector<SheetItem> sheet;
    StageSink sink;
    if (all) {
        sink = [&](const StageView& view, StageReport& st) {
            write_stage_pictures(ctx, *dir, view, st, sheet);
        };
    }
    ImageStages run =
        run_image_stages(pipeline, options, std::move(loaded),
                         ImageRunSpec{all, ctx.events.stop_requested, open_dirs}, sink);
    img.stages = std::move(run.stages);
    const Tensor& final_tensor = run.final_tensor;
    const RenderOptions& render = run.render;
    if (all) {
        write_output(ctx, *dir, "sheet.png", encode_png(contact_sheet(sheet, render)));
        img.files.emplace_back("sheet.png");
        // The record is written last: its presence marks the image's outputs complete.
        img.status = ImageStatus::done;
        dir->write(kRecordName, image_record(img, image_fingerprint(ctx, item)));
    } else {
        const std::string bytes = encode_image(final_tensor, options.format);
        if (to_stdout) {
            ctx.events.write_stdout(bytes);
            img.files.emplace_back("-");
        } else {
            const std::string name = final_name(options, item, final_tensor.shape().channels);
            write_output(ctx, *dir, name, bytes);
            img.files.push_back(name);
            img.status = ImageStatus::done;
            write_output(ctx, *dir, record_place(options, item).name,
                         image_record(img, image_fingerprint(ctx, item)));
        }
    }
    img.status = ImageStatus::done;
    return img;
}

/// The report of `item` from an earlier run when its outputs are complete and up to date: its
/// record holds this run's fingerprint and every file it lists exists.
std::optional<ImageReport> earlier_outputs(const BatchContext& ctx, const InputItem& item) {
    const RecordPlace place = record_place(ctx.options, item);
    const auto dir = ctx.out->find_subdir(place.folder);
    const auto text = dir ? dir->read(place.name, kMaxRecordBytes) : std::nullopt;
    if (!text) {
        return std::nullopt;
    }
    const auto record = nlohmann::json::parse(*text, nullptr, false);
    if (!record.is_object() || !record.contains("image") ||
        record.value("fingerprint", nlohmann::json()) != image_fingerprint(ctx, item)) {
        return std::nullopt;
    }
    const auto files = recorded_files(*dir, place.name);
    if (files.empty() || !std::ranges::all_of(files, [&dir](const std::string& name) {
            return dir->has_file(name);
        })) {
        return std::nullopt;
    }
    try {
        ImageReport img = parse_stored_image(record["image"].dump());
        img.output_dir = dir->path();
        return img;
    } catch (const Error&) {
        return std::nullopt;
    }
}

/// True when an earlier run left any output of `item`: its record, or files named as convpool
/// names them (convpool 0.1 wrote no records).
bool outputs_exist(const OutputDir& out, const RunOptions& options, const InputItem& item) {
    const RecordPlace place = record_place(options, item);
    const auto dir = out.find_subdir(place.folder);
    if (!dir) {
        return false;
    }
    if (options.emit == Emit::all) {
        return std::ranges::any_of(dir->entries(), [](const std::string& name) {
            return name == kRecordName || is_convpool_output(name);
        });
    }
    return dir->has_file(place.name) || dir->has_file(final_name(options, item, 1)) ||
           dir->has_file(final_name(options, item, 3));
}

/// A --files-from list holds at most 64 MiB, each path at most PATH_MAX bytes.
constexpr std::size_t kMaxPathListBytes = std::size_t{64} << 20;
constexpr std::size_t kMaxPathBytes = 4096;

/// Reads paths from a --files-from list: one per line, or NUL-separated.
std::vector<std::string> read_path_list(const std::string& source, bool nul) {
    std::string text;
    if (source == "-") {
        try {
            const auto bytes = read_stdin(kMaxPathListBytes);
            text.assign(bytes.begin(), bytes.end());
        } catch (const InputError& e) {
            throw UsageError(fmt::format("--files-from: {}", e.what()));
        }
    } else {
        text = read_text_file(source, kMaxPathListBytes, "--files-from");
    }
    std::vector<std::string> paths;
    std::string cur;
    const char sep = nul ? '\0' : '\n';
    for (const char c : text) {
        if (c == sep) {
            if (!nul && !cur.empty() && cur.back() == '\r') {
                cur.pop_back();
            }
            if (!cur.empty()) {
                paths.push_back(cur);
            }
            cur.clear();
        } else if (cur.size() == kMaxPathBytes) {  // PATH_MAX: no path is longer
            throw UsageError(
                fmt::format("--files-from: an entry is longer than {} bytes; is "
                            "'{}' a list of paths?",
                            kMaxPathBytes, source));
        } else {
            cur += c;
        }
    }
    if (!cur.empty()) {
        paths.push_back(cur);
    }
    return paths;
}

/// True when `path` is `out` or lies below it (by device and inode of every folder on its
/// resolved path, so symlinks into OUT are caught too).
bool inside(const fs::path& path, const std::optional<FileId>& out) {
    if (!out) {
        return false;
    }
    std::error_code ec;
    fs::path p = fs::weakly_canonical(path, ec);
    if (ec) {
        return false;
    }
    for (;;) {
        if (file_id(p.string()) == out) {
            return true;
        }
        if (!p.has_relative_path()) {
            return false;
        }
        p = p.parent_path();
    }
}

/// Image files below `dir` (all levels when `recursive`), sorted, each with its path relative
/// to `dir`. Nothing inside `out` (the output folder) is collected.
std::vector<std::pair<std::string, fs::path>> images_in(const std::string& dir, bool recursive,
                                                        const std::optional<FileId>& out) {
    std::vector<std::pair<std::string, fs::path>> found;
    if (inside(dir, out)) {
        return found;
    }
    std::error_code ec;
    const auto take = [&](const fs::directory_entry& entry) {
        std::error_code fec;
        if (entry.is_regular_file(fec) && is_image_path(entry.path().string()) &&
            !inside(entry.path(), out)) {
            found.emplace_back(entry.path().string(), entry.path().lexically_relative(dir));
        }
    };
    if (recursive) {
        for (auto it = fs::recursive_directory_iterator(
                 dir, fs::directory_options::skip_permission_denied, ec);
             !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
            std::error_code dec;
            if (it->is_directory(dec) && out && file_id(it->path().string()) == out) {
                it.disable_recursion_pending();  // never descend into OUT
                continue;
            }
            take(*it);
        }
    } else {
        for (const auto& entry : fs::directory_iterator(dir, ec)) {
            take(entry);
        }
    }
    if (ec) {
        return {{dir, fs::path()}};  // unreadable directory: fails like a bad file
    }
    std::sort(found.begin(), found.end());
    return found;
}

/// Output name of a file found in a directory argument: its folders below that directory,
/// mirrored (each made safe), then its stem.
std::string mirrored_name(const fs::path& relative) {
    std::string name;
    for (const auto& part : relative.parent_path()) {
        name += safe_name(part.string()) + "/";
    }
    return name + output_stem(relative.string());
}

/// Every folder above each name (`cats` for `cats/001`).
std::set<std::string> ancestors_of(const std::vector<InputItem>& items) {
    std::set<std::string> dirs;
    for (const auto& item : items) {
        for (std::string d = parent_of(item.out_name); !d.empty(); d = parent_of(d)) {
            dirs.insert(d);
        }
    }
    return dirs;
}

/// Gives every item a distinct output name. Two files named directly with the same stem are
/// refused (as before); any other clash (an escaped name, files of one folder differing only in
/// extension, an image folder named like a mirrored folder) gets a suffix `~2`, `~3`, ...
void assign_unique_names(std::vector<InputItem>& items) {
    const std::set<std::string> folders = ancestors_of(items);
    std::map<std::string, const InputItem*> taken;
    for (auto& item : items) {
        const auto it = taken.find(item.out_name);
        if (it != taken.end() && item.named && it->second->named && !item.renamed &&
            !it->second->renamed) {
            throw UsageError(fmt::format(
                "inputs '{}' and '{}' would both write to '{}/'; rename one or run them "
                "separately",
                it->second->path, item.path, item.out_name));
        }
        const std::string wanted = item.out_name;
        for (int n = 2; taken.contains(item.out_name) || folders.contains(item.out_name); ++n) {
            item.out_name = fmt::format("{}~{}", wanted, n);
            item.renamed = true;
        }
        taken.emplace(item.out_name, &item);
    }
}

}  // namespace

std::string output_stem(const std::string& input) {
    if (input == "-") {
        return "stdin";
    }
    return safe_name(fs::path(input).stem().string());
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

std::vector<InputItem> list_inputs(const RunOptions& options) {
    std::vector<std::string> given = options.inputs;
    if (!options.files_from.empty()) {
        const auto listed = read_path_list(options.files_from, options.files_nul);
        given.insert(given.end(), listed.begin(), listed.end());
    }
    const auto out = options.out_dir == "-" ? std::nullopt : file_id(options.out_dir);
    std::vector<InputItem> inputs;
    for (const auto& p : given) {
        std::error_code ec;
        if (p != "-" && fs::is_directory(p, ec)) {
            for (const auto& [path, relative] : images_in(p, options.recursive, out)) {
                InputItem item{path, mirrored_name(relative), false, false};
                item.renamed = relative.empty();
                inputs.push_back(std::move(item));
            }
        } else {
            const std::string raw = p == "-" ? std::string("stdin") : fs::path(p).stem().string();
            InputItem item{p, output_stem(p), true, false};
            item.renamed = item.out_name != raw;
            inputs.push_back(std::move(item));
        }
    }
    const auto stdin_count = std::count_if(inputs.begin(), inputs.end(),
                                           [](const InputItem& i) { return i.path == "-"; });
    if (stdin_count > 1) {
        throw UsageError("'-' (standard input) can be given only once");
    }
    if (options.files_from == "-" && stdin_count > 0) {
        throw UsageError("standard input cannot hold both --files-from - and an image '-'");
    }
    if (inputs.empty()) {
        throw UsageError("no input images (directories are searched for image files by extension)");
    }
    assign_unique_names(inputs);
    return inputs;
}

std::vector<InputItem> expand_items(const std::vector<InputItem>& files, const RunOptions& options,
                                    std::span<const unsigned char> stdin_bytes) {
    std::vector<InputItem> items;
    items.reserve(files.size());
    for (const auto& file : files) {
        const FileItems found = file.path == "-" ? count_bytes_items(stdin_bytes, options.load)
                                                 : count_file_items(file.path, options.load);
        if (found.count <= 1) {
            items.push_back(file);
            continue;
        }
        if (found.count > kMaxItemsPerFile) {
            throw UsageError(
                fmt::format("'{}' holds {} images; at most {} of one file are read "
                            "as inputs",
                            file.path, found.count, kMaxItemsPerFile));
        }
        for (std::size_t k = 0; k < found.count; ++k) {
            InputItem one = file;
            one.item = k;
            one.out_name = fmt::format("{}_{}{}", file.out_name, found.tiff_pages ? 'p' : 'i', k);
            one.renamed = true;  // a clash with another file's name gets a suffix, not an error
            items.push_back(std::move(one));
        }
    }
    if (items.size() != files.size()) {
        assign_unique_names(items);
    }
    return items;
}

// NOLINTNEXTLINE(readability-function-cognitive-complexity): one loop over inputs, jobs, outputs
RunOutcome run_batch(const Pipeline& pipeline, const std::string& pipeline_text,
                     const RunOptions& options, const RunEvents& events) {
    const auto files = list_inputs(options);
    std::vector<unsigned char> stdin_bytes;
    if (std::ranges::any_of(files, [](const InputItem& i) { return i.path == "-"; })) {
        stdin_bytes = read_stdin(options.load.max_bytes);
    }
    // TIFF pages and .npy batch items are inputs of their own, each with its own index.
    const auto all_inputs = expand_items(files, options, stdin_bytes);
    // The shard keeps every N-th input of the whole list; `index` keeps each one's place in it.
    std::vector<std::size_t> chosen;
    for (std::size_t i = 0; i < all_inputs.size(); ++i) {
        if (options.shard.count <= 0 || i % static_cast<std::size_t>(options.shard.count) ==
                                            static_cast<std::size_t>(options.shard.index - 1)) {
            chosen.push_back(i);
        }
    }
    const bool to_stdout = options.out_dir == "-";
    if (to_stdout && (chosen.size() != 1 || options.emit != Emit::final)) {
        throw UsageError(
            fmt::format("-o - writes one final image to stdout: it needs --emit final "
                        "and exactly one input (got {})",
                        chosen.size()));
    }
    if (options.skip_existing && options.force) {
        throw UsageError("--skip-existing and --force contradict each other");
    }
    if (options.html && options.stats == StatsLevel::none) {
        throw UsageError("--html shows every stage's statistics: it needs --stats full or basic");
    }
    // OUT is opened and locked before anything in it is read or written.
    std::optional<OutputDir> out;
    if (!to_stdout) {
        out = OutputDir::open(options.out_dir);
        out->lock();
        // Temporary files of an interrupted earlier run: in OUT and the folders final images
        // go to here (shared by several images, so cleaned before any job starts); an image's
        // own folder is cleaned when the image starts.
        out->remove_stale_temps();
        if (options.emit == Emit::final) {
            std::set<std::string> parents;
            for (const std::size_t i : chosen) {
                parents.insert(parent_of(all_inputs[i].out_name));
            }
            for (const auto& p : parents) {
                if (const auto dir = out->find_subdir(p)) {
                    dir->remove_stale_temps();
                }
            }
        }
    }
    if (!to_stdout && !options.skip_existing && !options.force) {
        std::size_t existing = 0;
        std::string first;
        for (const std::size_t i : chosen) {
            if (outputs_exist(*out, options, all_inputs[i])) {
                first = first.empty() ? all_inputs[i].display() : first;
                ++existing;
            }
        }
        if (existing > 0) {
            throw UsageError(
                fmt::format("outputs of {} input{} (first: '{}') already exist in '{}'; "
                            "use --force to overwrite them or --skip-existing to resume",
                            existing, existing == 1 ? "" : "s", first, options.out_dir));
        }
    }
    BatchContext ctx{pipeline, options, events, out ? &*out : nullptr, {}, {}};
    for (const auto& in : all_inputs) {
        if (const auto id = in.path == "-" ? std::nullopt : file_id(in.path)) {
            ctx.inputs.insert(*id);
        }
    }
    ctx.stdin_bytes = std::move(stdin_bytes);

    RunOutcome outcome;
    std::vector<std::string> names;
    names.reserve(all_inputs.size());
    for (const auto& in : all_inputs) {
        names.push_back(in.display());
    }
    outcome.report = run_report_head(pipeline, pipeline_text, options.stats, names);
    std::vector<std::optional<ImageReport>> results(chosen.size());
    std::mutex mutex;  // guards outcome, events and the stop flag below
    std::atomic<std::size_t> next{0};
    std::atomic<bool> stop{false};
    std::size_t done = 0;
    const auto should_stop = [&] {
        return stop.load() || (events.stop_requested && events.stop_requested());
    };
    RunEvents worker_events = events;
    worker_events.stop_requested = should_stop;
    const BatchContext wctx{pipeline, options,    worker_events,
                            ctx.out,  ctx.inputs, std::move(ctx.stdin_bytes)};
    const auto worker = [&] {
        for (;;) {
            if (should_stop()) {
                return;
            }
            const std::size_t slot = next.fetch_add(1);
            if (slot >= chosen.size()) {
                return;
            }
            const InputItem& item = all_inputs[chosen[slot]];
            const std::string input = item.display();
            ImageReport img;
            bool failed = false;
            bool output_error = false;
            auto earlier = options.skip_existing && !to_stdout ? earlier_outputs(wctx, item)
                                                               : std::optional<ImageReport>();
            if (earlier) {
                img = std::move(*earlier);
                img.input = input;
                img.status = ImageStatus::skipped;
            } else {
                try {
                    img = process_image(wctx, item);
                } catch (const Stopped&) {
                    ImageReport stopped;
                    stopped.input = input;
                    stopped.index = chosen[slot];
                    stopped.status = ImageStatus::interrupted;
                    const std::lock_guard<std::mutex> lock(mutex);
                    results[slot] = std::move(stopped);
                    return;
                } catch (const Error& e) {
                    img = ImageReport{};
                    img.input = input;
                    img.error = e.what();
                    failed = true;
                    output_error = e.code() == ExitCode::output;
                } catch (const std::exception& e) {
                    img = ImageReport{};
                    img.input = input;
                    img.error = fmt::format("internal error: {}", e.what());
                    failed = true;
                }
            }
            img.index = chosen[slot];
            const std::lock_guard<std::mutex> lock(mutex);
            if (failed) {
                ++outcome.failed;
                outcome.output_failed = outcome.output_failed || output_error;
                if (events.error) {
                    events.error(input, img.error);
                }
                if (options.fail_fast) {
                    stop = true;
                }
            } else {
                ++outcome.ok;
                outcome.skipped += img.skipped() ? 1U : 0U;
                for (const auto& w : img.warnings) {
                    if (events.warning) {
                        events.warning(input, w);
                    }
                }
            }
            ++done;
            if (events.finished) {
                events.finished(img, done, chosen.size());
            }
            results[slot] = std::move(img);
        }
    };
    const int hardware = std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
    const std::size_t jobs = std::min<std::size_t>(
        chosen.size(), static_cast<std::size_t>(options.jobs > 0 ? options.jobs : hardware));
    if (options.share_cores && jobs > 1) {
        // Each job's kernels get their share of the cores, so jobs x threads stays one per core.
        set_thread_count(std::max(1, hardware / static_cast<int>(jobs)));
    }
    if (jobs <= 1) {
        worker();
    } else {
        std::vector<std::thread> threads;
        for (std::size_t j = 0; j < jobs; ++j) {
            threads.emplace_back(worker);
        }
        for (auto& t : threads) {
            t.join();
        }
    }
    // Every input is reported: those the batch never reached are `not-started`.
    for (std::size_t slot = 0; slot < results.size(); ++slot) {
        auto& r = results[slot];
        if (!r) {
            r = ImageReport{};
            r->index = chosen[slot];
            r->input = all_inputs[chosen[slot]].display();
            r->status = ImageStatus::not_started;
        }
        outcome.interrupted += r->status == ImageStatus::interrupted ? 1U : 0U;
        outcome.not_started += r->status == ImageStatus::not_started ? 1U : 0U;
        outcome.report.images.push_back(std::move(*r));
    }
    outcome.stopped = outcome.interrupted + outcome.not_started > 0;
    if (out) {
        out->write("report.json", report_json(outcome.report));
        out->write("report.csv", report_csv(outcome.report));
        if (options.html) {
            out->write("index.html", report_html(outcome.report, options.out_dir));
        }
    }
    return outcome;
}

}  // namespace convpool
