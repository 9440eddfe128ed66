// convpool explain: the windows, winners and arithmetic of every stage on a small input, taken
// from what each op declares (Op::windows, Op::picks_input and switches, Op::arithmetic,
// Op::correlation), never from a list of op names.
#include "convpool/commands/explain.hpp"

#include "convpool/commands/probe.hpp"
#include "convpool/core/error.hpp"
#include "convpool/core/format.hpp"
#include "convpool/core/geometry.hpp"
#include "convpool/core/text.hpp"
#include "convpool/io/image_io.hpp"
#include "convpool/io/output_dir.hpp"
#include "convpool/io/terminal.hpp"
#include "convpool/pipeline/op.hpp"
#include "convpool/pipeline/registry.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>

namespace convpool {
namespace {

/// Index of (y, x) in a row-major grid `width` wide, computed in std::size_t.
std::size_t flat(int y, int width, int x) {
    return static_cast<std::size_t>(y) * static_cast<std::size_t>(width) +
           static_cast<std::size_t>(x);
}

constexpr std::array<const char*, 6> kOutputs{"explain.json", "explain.svg", "explain.html",
                                              "explain.png",  "explain.pdf", "explain.gif"};

std::string_view trim(std::string_view s) {
    const auto b = s.find_first_not_of(" \t\n\r");
    if (b == std::string_view::npos) {
        return {};
    }
    return s.substr(b, s.find_last_not_of(" \t\n\r") - b + 1);
}

/// The taps one output position reads along an axis: coordinates inside the input, and the
/// coordinates in the padding (outside it, the ceil-mode overhang left out).
struct AxisReads {
    std::vector<int> inside;
    std::vector<int> padding;
    int counted = 0;  ///< taps inside the input and its padding
};

/// Taps of output position `o` of a sliding window along an axis of `n` cells.
AxisReads sliding_reads(int o, int n, const Axis& axis) {
    AxisReads r;
    const int start = o * axis.stride - axis.pad_begin;
    for (int t = 0; t < axis.kernel; ++t) {
        const int i = start + t * axis.dilation;
        if (i >= 0 && i < n) {
            r.inside.push_back(i);
        } else if (i >= -axis.pad_begin && i < n + axis.pad_end) {
            r.padding.push_back(i);
        }
    }
    r.counted = static_cast<int>(r.inside.size() + r.padding.size());
    return r;
}

/// Taps of a window given only as AxisTaps (adaptive and fractional regions: no padding).
AxisReads plan_reads(const AxisTaps& taps, int step) {
    AxisReads r;
    for (int t = 0; t < taps.count; ++t) {
        r.inside.push_back(taps.first + t * step);
    }
    r.counted = taps.counted;
    return r;
}

/// The window of output (oy, ox) from the reads along each axis.
ExplainWindow window_of(GridCell out, const AxisReads& ry, const AxisReads& rx) {
    ExplainWindow w;
    w.out = out;
    std::vector<int> all_rows = ry.inside;
    all_rows.insert(all_rows.end(), ry.padding.begin(), ry.padding.end());
    std::sort(all_rows.begin(), all_rows.end());
    std::vector<int> all_cols = rx.inside;
    all_cols.insert(all_cols.end(), rx.padding.begin(), rx.padding.end());
    std::sort(all_cols.begin(), all_cols.end());
    const auto inside = [](const std::vector<int>& v, int i) {
        return std::find(v.begin(), v.end(), i) != v.end();
    };
    for (const int y : all_rows) {
        for (const int x : all_cols) {
            if (inside(ry.inside, y) && inside(rx.inside, x)) {
                w.cells.push_back({y, x});
            } else {
                w.padding.push_back({y, x});
            }
        }
    }
    return w;
}

bool same_value(float a, float b) {
    return (std::isnan(a) && std::isnan(b)) || (a == b && std::signbit(a) == std::signbit(b));
}

/// A number in a multiply-accumulate: negative ones in parentheses.
std::string term(float v) { return v < 0 ? fmt::format("({})", v) : fmt::format("{}", v); }

/// Input cells no window reads.
std::vector<GridCell> unread_cells(const Shape& in, const std::vector<ExplainWindow>& windows) {
    std::vector<int> reads(static_cast<std::size_t>(in.height) *
                           static_cast<std::size_t>(in.width));
    for (const auto& w : windows) {
        for (const auto& g : w.cells) {
            ++reads[flat(g.y, in.width, g.x)];
        }
    }
    std::vector<GridCell> out;
    for (int y = 0; y < in.height; ++y) {
        for (int x = 0; x < in.width; ++x) {
            if (reads[flat(y, in.width, x)] == 0) {
                out.push_back({y, x});
            }
        }
    }
    return out;
}

/// Windows the ceil rule dropped along one axis, as a sentence.
void add_dropped(const Axis& axis, int n, const char* along, const char* unit,
                 std::vector<std::string>& dropped) {
    const AxisCoverage cov = axis_coverage(n, axis);
    if (cov.ceil_dropped) {
        dropped.push_back(fmt::format(
            "the ceil rule dropped a last window along the {} that would start at {} {} (in the "
            "padding)",
            along, unit, cov.out * axis.stride - axis.pad_begin));
    }
}

/// Windows, winners and arithmetic of a pooling stage (Op::windows) on `in`, giving `out`.
void explain_pool(const Op& op, const WindowPlans& plans, const Tensor& in, const Tensor& out,
                  const Switches* switches, ExplainStage& st) {
    const Shape is = in.shape();
    const Shape os = out.shape();
    if (plans.sliding) {
        const Window& win = *plans.sliding;
        st.pad_before = {win.rows.pad_begin, win.cols.pad_begin};
        st.pad_after = {win.rows.pad_end, win.cols.pad_end};
        add_dropped(win.rows, is.height, "rows", "row", st.dropped);
        add_dropped(win.cols, is.width, "columns", "column", st.dropped);
    }
    for (int oy = 0; oy < os.height; ++oy) {
        const AxisReads ry =
            plans.sliding
                ? sliding_reads(oy, is.height, plans.sliding->rows)
                : plan_reads(plans.rows.taps[static_cast<std::size_t>(oy)], plans.rows.step);
        for (int ox = 0; ox < os.width; ++ox) {
            const AxisReads rx =
                plans.sliding
                    ? sliding_reads(ox, is.width, plans.sliding->cols)
                    : plan_reads(plans.cols.taps[static_cast<std::size_t>(ox)], plans.cols.step);
            ExplainWindow w = window_of({oy, ox}, ry, rx);
            for (int c = 0; c < os.channels; ++c) {
                const float result = out.at(c, oy, ox);
                std::vector<float> values;
                values.reserve(w.cells.size());
                for (const auto& g : w.cells) {
                    values.push_back(in.at(c, g.y, g.x));
                }
                w.arithmetic.push_back(op.arithmetic(values, ry.counted * rx.counted, result));
                if (switches != nullptr) {
                    // The op recorded where each value came from.
                    const auto index = switches->index[flat(c * os.height + oy, os.width, ox)];
                    w.winners.push_back(index < 0 ? std::nullopt
                                                  : std::optional<GridCell>(GridCell{
                                                        static_cast<int>(index / is.width),
                                                        static_cast<int>(index % is.width)}));
                } else if (op.picks_input()) {
                    // The output is one of the window's values: the first that is it, in
                    // row-major order (the tie rule of max and min pooling).
                    std::optional<GridCell> winner;
                    for (std::size_t i = 0; i < values.size() && !winner; ++i) {
                        if (same_value(values[i], result)) {
                            winner = w.cells[i];
                        }
                    }
                    w.winners.push_back(winner);
                }
            }
            st.windows.push_back(std::move(w));
        }
    }
    st.unread = unread_cells(is, st.windows);
}

/// `w×x + ...` over one kernel's taps at output (oy, ox), reading input channel `c`.
std::string products(const Correlation& k, const Matrix& kernel, const Tensor& in, int c, int oy,
                     int ox) {
    const Window& win = k.window;
    std::string sum;
    for (int ty = 0; ty < kernel.rows; ++ty) {
        const int sy = k.rows[flat(oy, win.rows.stride, 0) + flat(ty, win.rows.dilation, 0)];
        for (int tx = 0; tx < kernel.cols; ++tx) {
            const int sx = k.cols[flat(ox, win.cols.stride, 0) + flat(tx, win.cols.dilation, 0)];
            const float x = sy < 0 || sx < 0 ? 0.0F : in.at(c, sy, sx);
            const float wt = kernel.values[flat(ty, kernel.cols, tx)];
            sum += fmt::format("{}{}\u00d7{}", sum.empty() ? "" : " + ", term(wt), term(x));
        }
    }
    return sum;
}

/// The multiply-accumulate of output channel `c` at (oy, ox) written out: one kernel over input
/// channel c, or the channel's terms (`[in 0] ... + [in 1] ...`) for layers and banks.
std::string accumulate_text(const Correlation& k, const Tensor& in, int c, int oy, int ox) {
    std::string sum;
    float bias = k.bias;
    if (k.terms.empty()) {
        sum = products(k, k.kernel, in, c, oy, ox);
    } else {
        const auto& terms = k.terms[static_cast<std::size_t>(c)];
        for (const auto& t : terms) {
            const std::string p = products(k, t.kernel, in, t.input, oy, ox);
            sum += terms.size() == 1
                       ? p
                       : fmt::format("{}[in {}] {}", sum.empty() ? "" : " + ", t.input, p);
        }
        bias = k.biases[static_cast<std::size_t>(c)];
    }
    std::string text = k.scale == 1.0F ? sum : fmt::format("{} \u00d7 ({})", term(k.scale), sum);
    if (bias != 0.0F) {
        text += fmt::format(" + {}", term(bias));
    }
    return text;
}

/// Windows and multiply-accumulates of a correlation (Op::correlation) on `in`.
void explain_correlation(const Correlation& k, const Tensor& in, const Tensor& out,
                         ExplainStage& st) {
    const Shape is = in.shape();
    const Shape os = out.shape();
    const Window& win = k.window;
    st.pad_before = {win.rows.pad_begin, win.cols.pad_begin};
    st.pad_after = {win.rows.pad_end, win.cols.pad_end};
    if (k.terms.empty()) {
        st.kernel = k.kernel;
    }
    st.border_rows = k.rows;
    st.border_cols = k.cols;
    for (int oy = 0; oy < os.height; ++oy) {
        for (int ox = 0; ox < os.width; ++ox) {
            ExplainWindow w;
            w.out = {oy, ox};
            for (int ty = 0; ty < k.kernel.rows; ++ty) {
                const int py = oy * win.rows.stride + ty * win.rows.dilation;
                for (int tx = 0; tx < k.kernel.cols; ++tx) {
                    const int px = ox * win.cols.stride + tx * win.cols.dilation;
                    const GridCell g{py - win.rows.pad_begin, px - win.cols.pad_begin};
                    const bool inside = g.y >= 0 && g.y < is.height && g.x >= 0 && g.x < is.width;
                    (inside ? w.cells : w.padding).push_back(g);
                }
            }
            for (int c = 0; c < os.channels; ++c) {
                w.arithmetic.push_back(
                    fmt::format("{} = {}", accumulate_text(k, in, c, oy, ox), out.at(c, oy, ox)));
            }
            st.windows.push_back(std::move(w));
        }
    }
    st.unread = unread_cells(is, st.windows);
}

/// "Y,X" as a cell.
GridCell parse_cell(const std::string& text) {
    const auto comma = text.find(',');
    const auto bad = [&text] {
        return UsageError(fmt::format("--cell: expected Y,X (row, column from 0), got '{}'", text));
    };
    if (comma == std::string::npos) {
        throw bad();
    }
    try {
        const double y = parse_number(text.substr(0, comma), "--cell");
        const double x = parse_number(text.substr(comma + 1), "--cell");
        if (y < 0 || x < 0 || y != std::floor(y) || x != std::floor(x) || y > 1e6 || x > 1e6) {
            throw bad();
        }
        return {static_cast<int>(y), static_cast<int>(x)};
    } catch (const UsageError&) {
        throw bad();
    }
}

/// One panel: `text` run on `input`, every stage explained.
ExplainPanel explain_panel(const Tensor& input, const Pipeline& pipeline, const std::string& text,
                           const std::optional<GridCell>& cell) {
    (void)pipeline.plan(input.shape());
    ExplainPanel panel;
    panel.pipeline = text;
    std::vector<const Switches*> recorded;
    std::vector<Switches> switches;
    switches.reserve(pipeline.stages().size() + 1);
    (void)pipeline.run(input, [&](const StageResult& r) {
        ExplainStage st;
        st.text = r.stage == nullptr ? "input" : r.stage->text;
        st.kind = r.stage == nullptr ? "input" : "map";
        st.values = *r.tensor;
        panel.stages.push_back(std::move(st));
        if (r.switches != nullptr) {
            switches.push_back(*r.switches);
            recorded.push_back(&switches.back());
        } else {
            recorded.push_back(nullptr);
        }
    });
    std::size_t last_windowed = 0;
    for (std::size_t i = 1; i < panel.stages.size(); ++i) {
        const Op& op = *pipeline.stages()[i - 1].op;
        const Tensor& in = panel.stages[i - 1].values;
        ExplainStage& st = panel.stages[i];
        st.notes = op.notes(in.shape());
        if (const auto plans = op.windows(in.shape())) {
            st.kind = "pool";
            explain_pool(op, *plans, in, st.values, recorded[i], st);
            last_windowed = i;
        } else if (const auto k = op.correlation(in.shape())) {
            st.kind = "conv";
            explain_correlation(*k, in, st.values, st);
            last_windowed = i;
        }
    }
    for (std::size_t i = 1; i < panel.stages.size(); ++i) {
        ExplainStage& st = panel.stages[i];
        if (st.windows.empty()) {
            continue;
        }
        const Shape s = st.values.shape();
        const GridCell want = cell.value_or(GridCell{});
        if (i == last_windowed && (want.y >= s.height || want.x >= s.width)) {
            throw UsageError(
                fmt::format("--cell: ({}, {}) is outside the {}x{} output of stage {} "
                            "'{}'",
                            want.y, want.x, s.height, s.width, i, st.text));
        }
        st.chosen = {std::min(want.y, s.height - 1), std::min(want.x, s.width - 1)};
    }
    return panel;
}

/// The pipelines of `--modes`: the last pooling stage that is a mode (OpInfo::mode) replaced by
/// each mode with its window (k, s, pad, ceil).
std::vector<std::pair<std::string, std::string>> mode_pipelines(const Tensor& input,
                                                                const ExplainRequest& rq) {
    const Pipeline pipeline(rq.pipeline, rq.semantics, rq.source, rq.context);
    const auto plan = pipeline.plan(input.shape());
    const auto& stages = pipeline.stages();
    std::optional<std::size_t> last;
    std::optional<Window> window;
    for (std::size_t i = 0; i < stages.size(); ++i) {
        const auto plans = stages[i].op->windows(plan[i].shape);
        if (plans && plans->sliding && stages[i].info->mode.form != ModeForm::none) {
            last = i;
            window = plans->sliding;
        }
    }
    if (!last) {
        throw UsageError(
            "--modes: the pipeline has no sliding-window pooling stage whose mode could change");
    }
    const auto size = [](int h, int w) {
        return h == w ? fmt::format("{}", h) : fmt::format("{}x{}", h, w);
    };
    std::string prefix;
    for (std::size_t i = 0; i < *last; ++i) {
        prefix += (prefix.empty() ? "" : " | ") + stages[i].text;
    }
    std::string suffix;
    for (std::size_t i = *last + 1; i < stages.size(); ++i) {
        suffix += " | " + stages[i].text;
    }
    const Window& w = *window;
    const bool padded = w.rows.pad_begin + w.cols.pad_begin + w.rows.pad_end + w.cols.pad_end > 0;
    const auto targets = mode_targets(
        prefix, parse_modes(rq.modes), size(w.rows.kernel, w.cols.kernel),
        size(w.rows.stride, w.cols.stride), rq.seed, plan[*last].shape, rq.semantics,
        padded ? size(w.rows.pad_begin, w.cols.pad_begin) : std::string(), w.rows.ceil);
    std::vector<std::pair<std::string, std::string>> out;
    out.reserve(targets.size());
    for (const auto& t : targets) {
        out.emplace_back(t.label, (t.prefix.empty() ? "" : t.prefix + " | ") + t.pool + suffix);
    }
    return out;
}

void check_size(const Shape& s, const std::string& what) {
    if (s.height > kExplainMaxSide || s.width > kExplainMaxSide || s.height < 1 || s.width < 1) {
        throw UsageError(fmt::format(
            "explain: {} is {}x{}; explain draws inputs of 1x1 to {}x{} (crop an image with "
            "--crop Y,X,HxW)",
            what, s.height, s.width, kExplainMaxSide, kExplainMaxSide));
    }
}

}  // namespace

Tensor parse_explain_values(std::string_view text) {
    const std::string all{trim(text)};
    // `[1 2; 3 4;; 5 6; 7 8]` (one pair of brackets) or `[1 2; 3 4];;[5 6; 7 8]`.
    std::string_view inner = all;
    if (all.size() >= 2 && all.front() == '[' && all.back() == ']' &&
        all.find_first_of("[]", 1) == all.size() - 1) {
        inner = std::string_view(all).substr(1, all.size() - 2);
    }
    std::vector<Matrix> channels;
    std::size_t start = 0;
    while (true) {
        const auto stop = inner.find(";;", start);
        std::string part{trim(inner.substr(
            start, stop == std::string_view::npos ? std::string_view::npos : stop - start))};
        if (part.empty() || part.front() != '[') {
            part.insert(0, "[");
            part += "]";
        }
        channels.push_back(parse_matrix_text(part, "--values"));
        if (stop == std::string_view::npos) {
            break;
        }
        start = stop + 2;
    }
    const Matrix& first = channels.front();
    for (std::size_t c = 1; c < channels.size(); ++c) {
        if (channels[c].rows != first.rows || channels[c].cols != first.cols) {
            throw UsageError(fmt::format(
                "--values: channel {} is {}x{}, channel 0 is {}x{}; every channel needs the same "
                "size",
                c, channels[c].rows, channels[c].cols, first.rows, first.cols));
        }
    }
    Tensor t(Shape{static_cast<int>(channels.size()), first.rows, first.cols});
    for (std::size_t c = 0; c < channels.size(); ++c) {
        std::copy(channels[c].values.begin(), channels[c].values.end(),
                  t.channel(static_cast<int>(c)).begin());
    }
    return t;
}

Tensor explain_input(const ExplainRequest& rq) {
    const int given = static_cast<int>(!rq.values.empty()) + static_cast<int>(!rq.image.empty()) +
                      static_cast<int>(!rq.size.empty());
    if (given != 1) {
        throw UsageError(
            "explain: give one input: --values \"[1 2; 3 4]\", --values @FILE.npy, IMAGE (with "
            "--crop Y,X,HxW) or --size HxW");
    }
    if (!rq.crop.empty() && rq.image.empty()) {
        throw UsageError("explain: --crop applies to an IMAGE");
    }
    Tensor t;
    if (!rq.size.empty()) {
        const Size2 s = parse_size(rq.size, "--size");
        check_size({1, s.h, s.w}, "--size");
        t = Tensor(Shape{1, s.h, s.w});
        std::mt19937_64 engine(rq.seed);
        for (float& v : t.data()) {
            v = static_cast<float>(engine() % 10);  // small integers, 0 to 9
        }
        return t;
    }
    if (!rq.values.empty() && rq.values.front() != '@') {
        t = parse_explain_values(rq.values);
        check_size(t.shape(), "--values");
        return t;
    }
    const std::string path = rq.image.empty() ? rq.values.substr(1) : rq.image;
    try {
        t = load_image(path, LoadOptions{}).tensor;
    } catch (const InputError& e) {
        throw InputError(fmt::format("{}: {}", terminal_text(path), e.what()));
    }
    if (!rq.crop.empty()) {
        // Y,X,HxW
        const auto c1 = rq.crop.find(',');
        const auto c2 = c1 == std::string::npos ? c1 : rq.crop.find(',', c1 + 1);
        if (c2 == std::string::npos) {
            throw UsageError(fmt::format("--crop: expected Y,X,HxW, got '{}'", rq.crop));
        }
        const Size2 at =
            parse_size(rq.crop.substr(0, c1) + "x" + rq.crop.substr(c1 + 1, c2 - c1 - 1), "--crop");
        const Size2 size = parse_size(rq.crop.substr(c2 + 1), "--crop");
        check_size({1, size.h, size.w}, "--crop");
        try {
            t = crop(t, at.h, at.w, size.h, size.w);
        } catch (const ShapeError& e) {
            throw UsageError(fmt::format("--crop: {}", e.what()));
        }
    }
    check_size(t.shape(), terminal_text(path));
    return t;
}

Explanation explain(const Tensor& input, const ExplainRequest& rq, const std::string& input_name) {
    Explanation e;
    e.pipeline = rq.pipeline;
    e.source = input_name;
    // Assigned, not built by `?:`: GCC 12 at -O2 takes the copy of an optional built that way
    // for maybe-uninitialized (-Werror in the ci preset).
    std::optional<GridCell> cell;
    if (!rq.cell.empty()) {
        cell = parse_cell(rq.cell);
    }
    if (rq.modes.empty()) {
        const Pipeline pipeline(rq.pipeline, rq.semantics, rq.source, rq.context);
        e.panels.push_back(explain_panel(input, pipeline, rq.pipeline, cell));
        return e;
    }
    for (const auto& [mode, text] : mode_pipelines(input, rq)) {
        const Pipeline pipeline(text, rq.semantics, rq.source, rq.context);
        ExplainPanel p = explain_panel(input, pipeline, text, cell);
        p.mode = mode;
        e.panels.push_back(std::move(p));
    }
    return e;
}

Explanation explain_pipeline(const Pipeline& pipeline, const std::string& text, const Tensor& input,
                             const std::string& input_name) {
    Explanation e;
    e.pipeline = text;
    e.source = input_name;
    e.panels.push_back(explain_panel(input, pipeline, text, std::nullopt));
    return e;
}

std::vector<std::string> explain_command(const ExplainRequest& rq) {
    const Tensor input = explain_input(rq);
    const std::string name =
        !rq.size.empty()    ? fmt::format("random integers (--size {} --seed {})", rq.size, rq.seed)
        : !rq.image.empty() ? rq.image + (rq.crop.empty() ? "" : " cropped at " + rq.crop)
        : rq.values.front() == '@' ? rq.values.substr(1)
                                   : "--values " + rq.values;
    Explanation e;
    try {
        e = explain(input, rq, name);
    } catch (const ShapeError& err) {
        // A pipeline that does not fit the input is a usage problem here, as in shape.
        throw UsageError(err.what());
    }
    OutputDir out = OutputDir::open(rq.out);
    out.lock();
    out.remove_stale_temps();
    if (!rq.force) {
        for (const char* file : kOutputs) {
            if (out.has_file(file)) {
                throw UsageError(fmt::format(
                    "outputs of an earlier explain ({}) already exist in '{}'; use --force to "
                    "overwrite them",
                    file, terminal_text(out.path())));
            }
        }
    }
    const ExplainGif gif = explain_gif(e);
    e.animation = gif.steps;
    out.write("explain.json", explain_json(e));
    out.write("explain.svg", explain_svg(e));
    out.write("explain.html", explain_html(e));
    out.write("explain.png", encode_png(explain_picture(e, rq.png_scale)));
    std::vector<std::string> written{kOutputs.begin(), kOutputs.end()};
    if (const auto pdf = explain_pdf(e)) {
        out.write("explain.pdf",
                  std::string_view(reinterpret_cast<const char*>(pdf->data()), pdf->size()));
    } else {
        std::erase(written, "explain.pdf");  // the figure plugin is not installed
    }
    out.write("explain.gif", gif.bytes);
    return written;
}

}  // namespace convpool
