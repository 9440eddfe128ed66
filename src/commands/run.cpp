#include "convpool/commands/run.hpp"

#include "convpool/commands/explain.hpp"
#include "convpool/core/error.hpp"
#include "convpool/core/parallel.hpp"
#include "convpool/core/text.hpp"
#include "convpool/report/html.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <mutex>
#include <optional>
#include <set>
#include <thread>
#include <utility>

#include "batch.hpp"
#include "write_queue.hpp"

namespace convpool {

namespace {

/// Pictures drawn and waiting for the encoding thread beside the one it encodes: each is at
/// most --picture-size px a side, so this bounds the memory the overlap costs.
constexpr std::size_t kWaitingPictures = 1;

/// The most images of a run whose HTML page shows the explain view (each view holds every
/// number, window and formula of its image, so a batch of small images would make a huge page).
constexpr std::size_t kHtmlViews = 16;

/// The input of the explain view in the HTML page, for the first kHtmlViews images of the batch
/// (`slot`) of at most kExplainMaxSide a side (decoded to float: pictures are drawn); else none.
std::optional<Tensor> view_input(const BatchContext& ctx, std::size_t slot,
                                 const LoadedImage& loaded) {
    const Shape s = loaded.tensor.shape();
    if (ctx.options.html && ctx.options.emit == Emit::all && slot < kHtmlViews && !loaded.u8 &&
        s.height <= kExplainMaxSide && s.width <= kExplainMaxSide) {
        return loaded.tensor;  // at most 32x32: the copy is small
    }
    return std::nullopt;
}

/// The explain view of `input` (explain.html's, ids scoped to the slot), for the HTML page.
std::string html_view(const Pipeline& pipeline, const Tensor& input, const std::string& name,
                      std::size_t slot) {
    std::string text;
    for (const auto& st : pipeline.stages()) {
        text += (text.empty() ? "" : " | ") + st.text;
    }
    try {
        // The name goes into the view's JSON: a name that is not UTF-8 is shown with U+FFFD.
        return explain_view(explain_pipeline(pipeline, text, input, utf8_display(name)),
                            fmt::format("v{}-", slot));
    } catch (const Error& e) {
        // The stages ran; a view they cannot be explained in is left out, and the page says why.
        return fmt::format("<p class=\"muted\">no explain view: {}</p>", html_escape(e.what()));
    }
}

/// How `item` is decoded for this run.
LoadOptions image_load_options(const BatchContext& ctx, const InputItem& item) {
    const Pipeline& pipeline = ctx.pipeline;
    const RunOptions& options = ctx.options;
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
    return load;
}

/// One image through the pipeline, its files written as `options.emit` asks and its record
/// last; `slot` is its place in the batch (view_input()).
ImageReport process_image(const BatchContext& ctx, const InputItem& item, std::size_t slot) {
    const Pipeline& pipeline = ctx.pipeline;
    const RunOptions& options = ctx.options;
    const std::string& input = item.path;
    ImageReport img;
    img.input = item.display();
    const LoadOptions load = image_load_options(ctx, item);
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
    const std::optional<Tensor> small = view_input(ctx, slot, loaded);
    std::vector<SheetItem> sheet;
    // Pictures are encoded and written while the next stage runs; declared after `dir`, so
    // that its jobs end before the folder closes.
    WriteQueue files(all ? kWaitingPictures : 0);
    StageSink sink;
    if (all) {
        sink = [&](const StageView& view, StageReport& st) {
            write_stage_pictures(ctx, *dir, view, st, sheet, files);
        };
    }
    ImageStages run =
        run_image_stages(pipeline, options, std::move(loaded),
                         ImageRunSpec{all, ctx.events.stop_requested, open_dirs}, sink);
    img.stages = std::move(run.stages);
    if (small) {
        img.html_view = html_view(pipeline, *small, img.input, slot);
    }
    const Tensor& final_tensor = run.final_tensor;
    const RenderOptions& render = run.render;
    if (all) {
        // The sheet is drawn and encoded here (its format names the file); it is written on
        // the queue like the stage pictures.
        SheetFile file = sheet_file(sheet, render);
        img.files.push_back(file.name);
        if (file.name == "sheet.png" && render.png_scale != 1.0) {
            img.png_scales[file.name] = render.png_scale;
        }
        files.submit([&ctx, &out = *dir, file = std::move(file)] {
            write_output(ctx, out, file.name, file.bytes);
        });
        sheet.clear();
        files.finish();
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

/// The places in `all` of the inputs this shard runs: every N-th of the whole list.
std::vector<std::size_t> shard_inputs(std::size_t all, const Shard& shard) {
    std::vector<std::size_t> chosen;
    for (std::size_t i = 0; i < all; ++i) {
        if (shard.count <= 0 || i % static_cast<std::size_t>(shard.count) ==
                                    static_cast<std::size_t>(shard.index - 1)) {
            chosen.push_back(i);
        }
    }
    return chosen;
}

/// Options that contradict each other or the inputs: refused before OUT is touched.
void check_batch_options(const RunOptions& options, std::size_t chosen) {
    if (options.out_dir == "-" && (chosen != 1 || options.emit != Emit::final)) {
        throw UsageError(
            fmt::format("-o - writes one final image to stdout: it needs --emit final "
                        "and exactly one input (got {})",
                        chosen));
    }
    if (options.skip_existing && options.force) {
        throw UsageError("--skip-existing and --force contradict each other");
    }
    if (options.html && options.stats == StatsLevel::none) {
        throw UsageError("--html shows every stage's statistics: it needs --stats full or basic");
    }
}

/// Opens and locks OUT before anything in it is read or written, and removes temporary files
/// of an interrupted earlier run: in OUT and in the folders final images go to here (shared by
/// several images, so cleaned before any job starts); an image's own folder is cleaned when the
/// image starts.
OutputDir open_batch_dir(const RunOptions& options, const std::vector<InputItem>& inputs,
                         const std::vector<std::size_t>& chosen) {
    OutputDir out = OutputDir::open(options.out_dir);
    out.lock();
    out.remove_stale_temps();
    if (options.emit == Emit::final) {
        std::set<std::string> parents;
        for (const std::size_t i : chosen) {
            parents.insert(parent_of(inputs[i].out_name));
        }
        for (const auto& p : parents) {
            if (const auto dir = out.find_subdir(p)) {
                dir->remove_stale_temps();
            }
        }
    }
    return out;
}

/// Refuses to run over the outputs of an earlier run unless --force or --skip-existing says
/// what to do with them.
void refuse_existing(const OutputDir& out, const RunOptions& options,
                     const std::vector<InputItem>& inputs, const std::vector<std::size_t>& chosen) {
    if (options.skip_existing || options.force) {
        return;
    }
    std::size_t existing = 0;
    std::string first;
    for (const std::size_t i : chosen) {
        if (outputs_exist(out, options, inputs[i])) {
            first = first.empty() ? inputs[i].display() : first;
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

/// How one input ended, before it is counted.
struct Attempt {
    ImageReport image;
    bool failed = false;
    bool output_error = false;  ///< failed writing an output file
    bool stopped = false;       ///< interrupted by a stop request
};

/// Runs one input, or takes its complete outputs from an earlier run with --skip-existing.
Attempt attempt(const BatchContext& ctx, const InputItem& item, std::size_t slot) {
    Attempt a;
    const std::string input = item.display();
    const bool resume = ctx.options.skip_existing && ctx.options.out_dir != "-";
    if (auto earlier = resume ? earlier_outputs(ctx, item) : std::nullopt) {
        a.image = std::move(*earlier);
        a.image.input = input;
        a.image.status = ImageStatus::skipped;
        return a;
    }
    try {
        a.image = process_image(ctx, item, slot);
    } catch (const Stopped&) {
        a.image = ImageReport{};
        a.image.input = input;
        a.image.status = ImageStatus::interrupted;
        a.stopped = true;
    } catch (const Error& e) {
        a.image = ImageReport{};
        a.image.input = input;
        a.image.error = e.what();
        a.failed = true;
        a.output_error = e.code() == ExitCode::output;
    } catch (const std::exception& e) {
        a.image = ImageReport{};
        a.image.input = input;
        a.image.error = fmt::format("internal error: {}", e.what());
        a.failed = true;
    }
    return a;
}

/// The inputs of one batch shared out to its jobs, each taking the next input when it is free;
/// counts and reports every input as it ends.
class BatchJobs {
public:
    BatchJobs(BatchContext ctx, const std::vector<InputItem>& inputs,
              const std::vector<std::size_t>& chosen, RunOutcome& outcome)
        : m_ctx(std::move(ctx)),
          m_events(m_ctx.events),
          m_inputs(inputs),
          m_chosen(chosen),
          m_outcome(outcome),
          m_results(chosen.size()) {
        // A job polls the batch's stop: the caller's request, or --fail-fast after a failure.
        m_ctx.events.stop_requested = [this] { return should_stop(); };
    }
    BatchJobs(const BatchJobs&) = delete;
    BatchJobs& operator=(const BatchJobs&) = delete;
    BatchJobs(BatchJobs&&) = delete;
    BatchJobs& operator=(BatchJobs&&) = delete;
    ~BatchJobs() = default;

    /// Runs every input on `jobs` threads (the calling one when 1).
    void run(std::size_t jobs) {
        if (jobs <= 1) {
            work();
            return;
        }
        std::vector<std::thread> threads;
        for (std::size_t j = 0; j < jobs; ++j) {
            threads.emplace_back([this] { work(); });
        }
        for (auto& t : threads) {
            t.join();
        }
    }

    /// Every input in the order of the list, those the batch never reached `not-started`.
    void report_all() {
        for (std::size_t slot = 0; slot < m_results.size(); ++slot) {
            auto& r = m_results[slot];
            if (!r) {
                r = ImageReport{};
                r->index = m_chosen[slot];
                r->input = m_inputs[m_chosen[slot]].display();
                r->status = ImageStatus::not_started;
            }
            m_outcome.interrupted += r->status == ImageStatus::interrupted ? 1U : 0U;
            m_outcome.not_started += r->status == ImageStatus::not_started ? 1U : 0U;
            m_outcome.report.images.push_back(std::move(*r));
        }
        m_outcome.stopped = m_outcome.interrupted + m_outcome.not_started > 0;
    }

private:
    [[nodiscard]] bool should_stop() const {
        return m_stop.load() || (m_events.stop_requested && m_events.stop_requested());
    }

    void work() {
        while (!should_stop()) {
            const std::size_t slot = m_next.fetch_add(1);
            if (slot >= m_chosen.size()) {
                return;
            }
            Attempt a = attempt(m_ctx, m_inputs[m_chosen[slot]], slot);
            a.image.index = m_chosen[slot];
            const std::lock_guard<std::mutex> lock(m_mutex);
            if (a.stopped) {
                m_results[slot] = std::move(a.image);
                return;
            }
            count(a);
            if (m_events.finished) {
                m_events.finished(a.image, ++m_done, m_chosen.size());
            }
            m_results[slot] = std::move(a.image);
        }
    }

    /// Counts an ended input and passes its error or warnings on (under the lock).
    void count(const Attempt& a) {
        const RunEvents& events = m_events;
        const std::string& input = a.image.input;
        if (a.failed) {
            ++m_outcome.failed;
            m_outcome.output_failed = m_outcome.output_failed || a.output_error;
            if (events.error) {
                events.error(input, a.image.error);
            }
            if (m_ctx.options.fail_fast) {
                m_stop = true;
            }
            return;
        }
        ++m_outcome.ok;
        m_outcome.skipped += a.image.skipped() ? 1U : 0U;
        for (const auto& w : a.image.warnings) {
            if (events.warning) {
                events.warning(input, w);
            }
        }
    }

    BatchContext m_ctx;
    const RunEvents m_events;  ///< the caller's events
    const std::vector<InputItem>& m_inputs;
    const std::vector<std::size_t>& m_chosen;
    RunOutcome& m_outcome;
    std::vector<std::optional<ImageReport>> m_results;
    std::mutex m_mutex;  // guards m_outcome, m_results, m_done and the events
    std::atomic<std::size_t> m_next{0};
    std::atomic<bool> m_stop{false};
    std::size_t m_done = 0;
};

/// How many images run at once: --jobs (default one per core), at most one per input. With
/// --share-cores each job's kernels get their share of the cores.
std::size_t batch_jobs(const RunOptions& options, std::size_t inputs) {
    const int hardware = std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
    const std::size_t jobs = std::min<std::size_t>(
        inputs, static_cast<std::size_t>(options.jobs > 0 ? options.jobs : hardware));
    if (options.share_cores && jobs > 1) {
        set_thread_count(std::max(1, hardware / static_cast<int>(jobs)));
    }
    return jobs;
}

}  // namespace

RunOutcome run_batch(const Pipeline& pipeline, const std::string& pipeline_text,
                     const RunOptions& options, const RunEvents& events) {
    const auto start = std::chrono::steady_clock::now();
    const auto files = list_inputs(options);
    std::vector<unsigned char> stdin_bytes;
    if (std::ranges::any_of(files, [](const InputItem& i) { return i.path == "-"; })) {
        stdin_bytes = read_stdin(options.load.max_bytes);
    }
    // TIFF pages and .npy batch items are inputs of their own, each with its own index.
    const auto all_inputs = expand_items(files, options, stdin_bytes);
    const auto chosen = shard_inputs(all_inputs.size(), options.shard);
    check_batch_options(options, chosen.size());
    std::optional<OutputDir> out;
    if (options.out_dir != "-") {
        out = open_batch_dir(options, all_inputs, chosen);
        refuse_existing(*out, options, all_inputs, chosen);
    }
    BatchContext ctx{pipeline, options, events, out ? &*out : nullptr, {}, std::move(stdin_bytes)};
    for (const auto& in : all_inputs) {
        if (const auto id = in.path == "-" ? std::nullopt : file_id(in.path)) {
            ctx.inputs.insert(*id);
        }
    }
    RunOutcome outcome;
    std::vector<std::string> names;
    names.reserve(all_inputs.size());
    for (const auto& in : all_inputs) {
        names.push_back(in.display());
    }
    outcome.report = run_report_head(pipeline, pipeline_text, options.stats, names);
    BatchJobs jobs(std::move(ctx), all_inputs, chosen, outcome);
    jobs.run(batch_jobs(options, chosen.size()));
    jobs.report_all();
    outcome.report.seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (out) {
        out->write("report.json", report_json(outcome.report));
        out->write("report.csv", report_csv(outcome.report));
        if (options.html) {
            out->write("index.html",
                       report_html(outcome.report, options.out_dir, explain_view_style()));
        }
    }
    return outcome;
}

}  // namespace convpool
