#include "convpool/core/error.hpp"
#include "convpool/core/text.hpp"

#include <fmt/format.h>
#include <sys/stat.h>

#include <algorithm>
#include <cctype>

#include "batch.hpp"

namespace convpool {

namespace {

/// True when `name` in `dir` is one of the run's inputs (by device and inode).
bool is_input(const BatchContext& ctx, const OutputDir& dir, const std::string& name) {
    return !ctx.inputs.empty() &&
           ctx.inputs.contains(file_id(dir.path_of(name)).value_or(FileId{}));
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
    return name == "sheet.png" || name == "sheet.svg" || name == "sheet.pdf" ||
           (name.size() > 3 && std::isdigit(static_cast<unsigned char>(name[0])) != 0 &&
            std::isdigit(static_cast<unsigned char>(name[1])) != 0 && name[2] == '_');
}

}  // namespace

std::optional<FileId> file_id(const std::string& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
        return std::nullopt;
    }
    return FileId{st.st_dev, st.st_ino};
}

void write_output(const BatchContext& ctx, const OutputDir& dir, const std::string& name,
                  const std::string& bytes) {
    if (is_input(ctx, dir, name)) {
        throw OutputError(fmt::format("{}: refusing to overwrite an input", dir.path_of(name)));
    }
    dir.write(name, bytes);
}

std::string parent_of(const std::string& out_name) {
    const auto slash = out_name.rfind('/');
    return slash == std::string::npos ? std::string() : out_name.substr(0, slash);
}

RecordPlace record_place(const RunOptions& options, const InputItem& item) {
    if (options.emit == Emit::all) {
        return {item.out_name, std::string(kRecordName)};
    }
    const auto slash = item.out_name.rfind('/');
    const std::string base =
        slash == std::string::npos ? item.out_name : item.out_name.substr(slash + 1);
    return {parent_of(item.out_name), base + "." + std::string(kRecordName)};
}

void remove_recorded(const BatchContext& ctx, const OutputDir& dir, const std::string& record) {
    const auto earlier = recorded_files(dir, record);
    dir.remove(record);
    for (const auto& name : earlier) {
        if (!is_input(ctx, dir, name)) {
            dir.remove(name);
        }
    }
}

std::string final_name(const RunOptions& options, const InputItem& item, int channels) {
    const auto slash = item.out_name.rfind('/');
    const std::string base =
        slash == std::string::npos ? item.out_name : item.out_name.substr(slash + 1);
    return base + encoding_extension(options.format, channels);
}

OutputDir open_image_dir(const BatchContext& ctx, const InputItem& item) {
    OutputDir dir = ctx.out->subdir(item.out_name, true);
    dir.remove_stale_temps();
    // --skip-existing redoes an image whose record is out of date: its files go as with --force.
    if (ctx.options.force || ctx.options.skip_existing) {
        remove_recorded(ctx, dir, std::string(kRecordName));
    }
    return dir;
}

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
              {"sheet_true_scale", r.sheet_true_scale},
              {"sheet_format", static_cast<int>(r.sheet_format)},
              {"png_scale", r.png_scale}}},
            {"input", input}};
}

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

}  // namespace convpool
