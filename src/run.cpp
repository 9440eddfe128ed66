#include "convpool/run.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <limits>
#include <map>
#include <system_error>

#include "convpool/error.hpp"
#include "convpool/format.hpp"
#include "convpool/html.hpp"
#include "convpool/npy.hpp"
#include "convpool/visualize.hpp"

namespace convpool {
namespace fs = std::filesystem;

namespace {

void create_dir(const fs::path& dir) {
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec || !fs::is_directory(dir)) {
        throw OutputError(fmt::format("{}: cannot create directory: {}", dir.string(),
                                      ec ? ec.message() : std::string("not a directory")));
    }
}

void write_text(const fs::path& path, const std::string& text) {
    write_file_atomic(path.string(), std::span<const char>(text.data(), text.size()));
}

StageReport stage_report(const StageResult& r, const StageReport* previous, const StageReport* input,
                         const std::vector<std::string>& notes) {
    StageReport st;
    st.index = r.index;
    st.op = r.stage == nullptr ? "input" : r.stage->info->name;
    st.stage = r.stage == nullptr ? "input" : r.stage->describe();
    st.shape = r.tensor->shape();
    st.milliseconds = r.milliseconds;
    const auto elements = static_cast<double>(st.shape.elements());
    st.ratio_previous = previous == nullptr ? 1.0 : elements / static_cast<double>(previous->elements());
    st.ratio_input = input == nullptr ? 1.0 : elements / static_cast<double>(input->elements());
    st.overall = channel_stats(r.tensor->data());
    for (int c = 0; c < st.shape.channels; ++c) {
        st.channels.push_back(channel_stats(r.tensor->channel(c)));
    }
    st.histogram = value_histogram(r.tensor->data());
    st.notes = notes;
    return st;
}

/// The report's summary of recorded switches: winning-offset histogram and coverage.
SwitchSummary switch_summary(const Switches& sw) {
    SwitchSummary sum;
    sum.window = sw.window;
    sum.offset_histogram.assign(static_cast<std::size_t>(sw.window.h) * static_cast<std::size_t>(sw.window.w), 0);
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
            rows += fmt::format(" {}", sum.offset_histogram[static_cast<std::size_t>(y * sum.window.w + x)]);
        }
    }
    return fmt::format("winning taps of the {}x{} window (rows top to bottom):{}", sum.window.h,
                       sum.window.w, rows);
}

/// The pictures of a stage with switches, as (file suffix, PNG bytes): `_switches.png`, which
/// tap of each window won (ty*w + tx, magenta where none), and `_coverage.png`, how many windows
/// read each input cell (0 = a dropped border, above 1 = overlap).
std::vector<std::pair<std::string, std::string>> switch_map_pngs(const Switches& sw,
                                                                 const std::string& title) {
    std::vector<float> offsets;
    offsets.reserve(sw.offset.size());
    for (const int o : sw.offset) {
        offsets.push_back(o < 0 ? std::numeric_limits<float>::quiet_NaN() : static_cast<float>(o));
    }
    const Tensor switch_map(sw.output, std::move(offsets));
    const Tensor coverage(Shape{1, sw.input.height, sw.input.width},
                          std::vector<float>(sw.coverage.begin(), sw.coverage.end()));
    const auto png = [&title](const std::string& what, const Tensor& t) {
        const Picture body = render_tensor(t, PictureKind::feature_maps);
        return encode_png(titled_picture(body, fmt::format("{}  {}", title, what), t,
                                         PictureKind::feature_maps));
    };
    return {{"_switches.png", png(fmt::format("switches: winning tap ty*{}+tx", sw.window.w), switch_map)},
            {"_coverage.png", png("coverage: windows reading each input cell", coverage)}};
}

ImageReport process_image(const Pipeline& pipeline, const std::string& input,
                          const RunOptions& options) {
    ImageReport img;
    img.input = input;
    LoadedImage loaded = load_image(input, options.load);
    img.warnings = std::move(loaded.warnings);
    const Tensor tensor = std::move(loaded.tensor);
    // Intermediates may hold up to 4 values per allowed input pixel (e.g. RGBA), no more.
    const auto plan = pipeline.plan(tensor.shape(), 4 * options.load.max_pixels);
    const fs::path dir = fs::path(options.out_dir) / output_stem(input);
    create_dir(dir);
    img.output_dir = dir.string();
    std::vector<SheetItem> sheet;
    (void)pipeline.run(tensor, [&](const StageResult& r) {
        const StageReport* prev = img.stages.empty() ? nullptr : &img.stages.back();
        const StageReport* first = img.stages.empty() ? nullptr : &img.stages.front();
        StageReport st = stage_report(r, prev, first, plan[static_cast<std::size_t>(r.index)].notes);
        st.regions = plan[static_cast<std::size_t>(r.index)].regions;
        if (r.switches != nullptr) {
            st.switches = switch_summary(*r.switches);
            st.notes.push_back(offset_histogram_note(*st.switches));
        }
        const std::string label = r.stage == nullptr ? "input" : stage_file_label(*r.stage);
        const std::string base = fmt::format("{:02}_{}", r.index, label);
        const PictureKind kind = r.index == 0 ? PictureKind::natural : PictureKind::feature_maps;
        Picture body = render_tensor(*r.tensor, kind);
        const std::string title = fmt::format("{:02} {}  {}", r.index, st.stage, to_string(st.shape));
        write_text(dir / (base + ".png"), encode_png(titled_picture(body, title, *r.tensor, kind)));
        st.files.push_back(base + ".png");
        if (options.raw_npy) {
            write_text(dir / (base + ".npy"), encode_npy(*r.tensor));
            st.files.push_back(base + ".npy");
        }
        if (r.switches != nullptr) {
            for (const auto& [suffix, png] : switch_map_pngs(*r.switches, title)) {
                write_text(dir / (base + suffix), png);
                st.files.push_back(base + suffix);
            }
        }
        sheet.push_back({std::move(body), fmt::format("{:02} {}", r.index, r.stage == nullptr ? std::string("input") : r.stage->info->name),
                         to_string(st.shape)});
        img.stages.push_back(std::move(st));
    });
    write_text(dir / "sheet.png", encode_png(contact_sheet(sheet, options.sheet_height)));
    img.files.push_back("sheet.png");
    img.ok = true;
    return img;
}

}  // namespace

std::string output_stem(const std::string& input) {
    const std::string stem = fs::path(input).stem().string();
    return stem.empty() ? std::string("image") : stem;
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

std::vector<std::string> expand_inputs(const std::vector<std::string>& paths) {
    std::vector<std::string> inputs;
    for (const auto& p : paths) {
        std::error_code ec;
        if (fs::is_directory(p, ec)) {
            std::vector<std::string> found;
            for (const auto& entry : fs::directory_iterator(p, ec)) {
                std::error_code fec;
                if (entry.is_regular_file(fec) && is_image_path(entry.path().string())) {
                    found.push_back(entry.path().string());
                }
            }
            if (ec) {
                inputs.push_back(p);  // unreadable directory: fails like a bad file
                continue;
            }
            std::sort(found.begin(), found.end());
            inputs.insert(inputs.end(), found.begin(), found.end());
        } else {
            inputs.push_back(p);
        }
    }
    std::map<std::string, std::string> seen;
    for (const auto& in : inputs) {
        const auto [it, fresh] = seen.emplace(output_stem(in), in);
        if (!fresh) {
            throw UsageError(fmt::format("inputs '{}' and '{}' would both write to '{}/'; rename "
                                         "one or run them separately",
                                         it->second, in, it->first));
        }
    }
    return inputs;
}

RunOutcome run_batch(const Pipeline& pipeline, const std::string& pipeline_text,
                     const RunOptions& options,
                     const std::function<void(const std::string&, const std::string&)>& on_error,
                     const std::function<void(const std::string&, const std::string&)>& on_warning) {
    const auto inputs = expand_inputs(options.inputs);
    if (inputs.empty()) {
        throw UsageError("no input images (directories are searched for image files by extension)");
    }
    create_dir(options.out_dir);
    RunOutcome outcome;
    outcome.report.pipeline = pipeline_text;
    outcome.report.semantics = semantics_name(pipeline.semantics());
    for (const auto& stage : pipeline.stages()) {
        outcome.report.stages.push_back(stage.describe());
    }
    for (const auto& input : inputs) {
        try {
            outcome.report.images.push_back(process_image(pipeline, input, options));
            ++outcome.ok;
            for (const auto& warning : outcome.report.images.back().warnings) {
                on_warning(input, warning);
            }
        } catch (const Error& e) {
            ImageReport failed;
            failed.input = input;
            failed.error = e.what();
            outcome.report.images.push_back(std::move(failed));
            ++outcome.failed;
            outcome.output_failed = outcome.output_failed || e.code() == ExitCode::output;
            on_error(input, e.what());
        }
    }
    const fs::path out(options.out_dir);
    write_text(out / "report.json", report_json(outcome.report));
    write_text(out / "report.csv", report_csv(outcome.report));
    if (options.html) {
        write_html_report(outcome.report, options.out_dir);
    }
    return outcome;
}

}  // namespace convpool
