#include "convpool/pipeline/pipeline.hpp"

#include "convpool/core/error.hpp"
#include "convpool/core/format.hpp"
#include "convpool/pipeline/registry.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <utility>

namespace convpool {
namespace {

constexpr std::size_t kMaxStages = 256;

std::string trimmed(std::string_view s) {
    const auto first = s.find_first_not_of(" \t\r\n");
    if (first == std::string_view::npos) {
        return {};
    }
    const auto last = s.find_last_not_of(" \t\r\n");
    return std::string(s.substr(first, last - first + 1));
}

StageText parse_stage(const std::string& text, std::size_t number) {
    const std::string context = fmt::format("stage {} '{}'", number, text);
    StageText st;
    st.text = text;
    const auto colon = text.find(':');
    const auto bracket = text.find_first_of("[(@");
    const bool has_args =
        colon != std::string::npos && (bracket == std::string::npos || colon < bracket);
    st.name = trimmed(has_args ? std::string_view(text).substr(0, colon) : std::string_view(text));
    if (st.name.empty()) {
        throw UsageError(fmt::format("{}: missing op name", context));
    }
    const auto comma = st.name.find(',');
    if (!has_args && comma != std::string::npos && comma > 0 && st.name.find('=') > comma) {
        // `leaky-relu,slope=0.1`: the op name and its parameters without the ':' between.
        throw UsageError(fmt::format("{}: parameters follow ':' ({}:{})", context,
                                     trimmed(std::string_view(text).substr(0, comma)),
                                     trimmed(std::string_view(text).substr(comma + 1))));
    }
    for (const char c : st.name) {
        if (std::isalnum(static_cast<unsigned char>(c)) == 0 && c != '-' && c != '_') {
            throw UsageError(fmt::format("{}: bad op name '{}'", context, st.name));
        }
    }
    if (!has_args) {
        return st;
    }
    st.args = split_args(std::string_view(text).substr(colon + 1), context);
    return st;
}

/// Resolves `pool` + bare `max` to the op `pool:max`; plain names to themselves.
const OpInfo& resolve(StageText& st) {
    const std::string family = st.name + ":";
    std::vector<std::string> modes;
    for (const auto* info : all_ops()) {
        if (info->name.rfind(family, 0) == 0) {
            modes.push_back(info->name.substr(family.size()));
        }
    }
    if (modes.empty()) {
        return find_op(st.name);
    }
    if (st.args.empty() || !st.args.front().key.empty()) {
        std::string list;
        for (const auto& m : modes) {
            list += (list.empty() ? "" : ", ") + m;
        }
        throw UsageError(
            fmt::format("{} needs a mode: {}:MODE with MODE one of {}", st.name, st.name, list));
    }
    const std::string mode = st.args.front().value;
    const std::string full = family + mode;
    for (const auto* info : all_ops()) {
        if (info->name == full) {
            st.args.erase(st.args.begin());
            return *info;
        }
    }
    const std::string near = closest_match(mode, modes);
    std::string list;
    for (const auto& m : modes) {
        list += (list.empty() ? "" : ", ") + m;
    }
    throw UsageError(fmt::format("unknown {} mode '{}'{} (modes: {})", st.name, mode,
                                 near.empty() ? "" : fmt::format(" (did you mean '{}'?)", near),
                                 list));
}

/// The op's parameters with the defaults `semantics` changes. Only pooling ops are touched,
/// and only through the parameters they declare (ceil, count-pad, pad).
std::vector<ParamSpec> semantic_specs(const OpInfo& info, Semantics semantics) {
    std::vector<ParamSpec> specs = info.params;
    if (info.name.rfind("pool:", 0) != 0) {
        return specs;
    }
    for (ParamSpec& spec : specs) {
        if (spec.name == "ceil" && semantics == Semantics::caffe) {
            spec.default_value = "true";
        } else if (spec.name == "count-pad") {
            const bool excludes = semantics == Semantics::tf || semantics == Semantics::onnx;
            spec.default_value = excludes ? "false" : "true";
        } else if (spec.name == "pad" && spec.type == ParamType::pad) {
            spec.wide_pad = semantics == Semantics::onnx;
        }
    }
    return specs;
}

/// `SOURCE:LINE: `, or "" for text that came from no file.
std::string location(std::string_view source, std::size_t line) {
    return source.empty() ? std::string() : fmt::format("{}:{}: ", source, line);
}

/// `text` without its comments, its brackets, parentheses and quoted paths checked: each error
/// at its line (`SOURCE:LINE: `).
std::string strip_comments(std::string_view text, std::string_view source) {
    std::string clean;
    bool in_comment = false;
    bool quoted = false;  // inside @"...": no comments, brackets or separators
    std::size_t line = 1;
    std::size_t quote_line = 1;
    std::vector<std::pair<char, std::size_t>> open;  // the '[' and '(' not closed yet, and lines
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (c == '\0') {
            throw UsageError(location(source, line) + "pipeline contains a NUL byte");
        }
        if (quoted) {
            if (c == '\n') {
                throw UsageError(location(source, quote_line) +
                                 "pipeline: '@\"' without a closing '\"' on its line");
            }
            clean += c;
            if (c == '\\' && i + 1 < text.size() && text[i + 1] != '\n') {
                clean += text[++i];
            } else if (c == '"') {
                quoted = false;
            }
            continue;
        }
        if (c == '\n') {
            in_comment = false;
        } else if (c == '#') {
            in_comment = true;
        }
        if (!in_comment) {
            clean += c;
            if (c == '"' && i > 0 && text[i - 1] == '@') {
                quoted = true;
                quote_line = line;
            } else if (c == '[' || c == '(') {
                open.emplace_back(c, line);
            } else if (c == ']' || c == ')') {
                const char opener = c == ']' ? '[' : '(';
                if (open.empty() || open.back().first != opener) {
                    throw UsageError(fmt::format("{}pipeline: '{}' without '{}'",
                                                 location(source, line), c, opener));
                }
                open.pop_back();
            }
        }
        line += c == '\n' ? 1 : 0;
    }
    if (quoted) {
        throw UsageError(location(source, quote_line) +
                         "pipeline: '@\"' without a closing '\"' on its line");
    }
    if (!open.empty()) {
        throw UsageError(fmt::format("{}pipeline: '{}' without '{}'",
                                     location(source, open.back().second), open.back().first,
                                     open.back().first == '[' ? ']' : ')'));
    }
    return clean;
}

}  // namespace

const char* semantics_name(Semantics s) noexcept {
    switch (s) {
        case Semantics::torch:
            return "torch";
        case Semantics::tf:
            return "tf";
        case Semantics::caffe:
            return "caffe";
        case Semantics::onnx:
            return "onnx";
    }
    return "torch";
}

Semantics parse_semantics(std::string_view name) {
    for (const Semantics s : kAllSemantics) {
        if (name == semantics_name(s)) {
            return s;
        }
    }
    throw UsageError(
        fmt::format("unknown semantics '{}' (choose from torch, tf, caffe, onnx)", name));
}

std::vector<StageText> split_pipeline(std::string_view text, std::string_view source) {
    if (text.size() > kMaxPipelineBytes) {
        throw UsageError(fmt::format("{}pipeline is {} bytes, more than the {} allowed",
                                     source.empty() ? "" : std::string(source) + ": ", text.size(),
                                     kMaxPipelineBytes));
    }
    const std::string clean = strip_comments(text, source);
    std::size_t line = 1;
    // Split at top-level newlines, then at '|'; a '|' at the end of a line (or at the start of
    // one, after a stage) joins stages across the line break.
    struct Part {
        std::string text;
        std::size_t line;
    };
    std::vector<Part> parts;
    const auto lines = split_top_level(clean, "\n", "pipeline");
    for (std::size_t i = 0; i < lines.size(); ++i) {
        const std::string& chunk = lines[i];
        const std::size_t chunk_line = line;
        line += static_cast<std::size_t>(std::count(chunk.begin(), chunk.end(), '\n')) + 1;
        if (trimmed(chunk).empty()) {
            continue;  // blank lines separate nothing
        }
        auto pieces = split_top_level(chunk, "|", "pipeline");
        std::vector<Part> found;
        std::size_t pos = 0;
        for (const auto& piece : pieces) {
            const auto first = piece.find_first_not_of(" \t\r\n");
            const std::size_t at = pos + (first == std::string::npos ? 0 : first);
            found.push_back(
                {trimmed(piece),
                 chunk_line +
                     static_cast<std::size_t>(std::count(
                         chunk.begin(), chunk.begin() + static_cast<std::ptrdiff_t>(at), '\n'))});
            pos += piece.size() + 1;
        }
        if (found.size() > 1 && found.back().text.empty() && i + 1 < lines.size()) {
            found.pop_back();
        }
        if (found.size() > 1 && found.front().text.empty() && !parts.empty()) {
            found.erase(found.begin());
        }
        parts.insert(parts.end(), found.begin(), found.end());
    }
    if (parts.empty()) {
        throw UsageError(
            fmt::format("{}pipeline is empty (write stages like \"conv:sobel-x | pool:max,k=2\")",
                        source.empty() ? "" : std::string(source) + ": "));
    }
    if (parts.size() > kMaxStages) {
        throw UsageError(fmt::format("{}pipeline has {} stages, more than the {} allowed",
                                     source.empty() ? "" : std::string(source) + ": ", parts.size(),
                                     kMaxStages));
    }
    std::vector<StageText> stages;
    for (std::size_t i = 0; i < parts.size(); ++i) {
        const std::string where = location(source, parts[i].line);
        if (parts[i].text.empty()) {
            throw UsageError(fmt::format("{}stage {} is empty (two '|' in a row, or '|' at an end)",
                                         where, i + 1));
        }
        try {
            stages.push_back(parse_stage(parts[i].text, i + 1));
        } catch (const UsageError& e) {
            throw UsageError(where + e.what());
        }
        stages.back().line = parts[i].line;
    }
    return stages;
}

std::string pipeline_source(std::string_view value) {
    return value.empty() || value.front() != '@' ? std::string() : std::string(value.substr(1));
}

std::string Stage::describe() const {
    // The first parameter, when it names a filter or mode, is written bare (conv:sobel-x,...),
    // so the description parses back to the same stage.
    const std::string params_text = params.describe(true);
    if (params_text.empty()) {
        return info->name;
    }
    const bool has_mode = info->name.find(':') != std::string::npos;
    return fmt::format("{}{}{}", info->name, has_mode ? "," : ":", params_text);
}

Pipeline::Pipeline(std::string_view text, Semantics semantics, std::string_view source,
                   ParseContext context)
    : m_semantics(semantics) {
    if (context.base.empty() && !source.empty()) {
        // Weights paths in a pipeline file start from the file's folder.
        context.base = std::filesystem::path(source).parent_path().string();
    }
    auto stage_texts = split_pipeline(text, source);
    std::size_t number = 0;
    bool switches_recorded = false;
    for (auto& st : stage_texts) {
        ++number;
        try {
            const OpInfo& info = resolve(st);
            Params params(info.name, semantic_specs(info, semantics), st.args, context);
            auto op = info.make(params);
            if (op->switch_role() == Op::SwitchRole::consumes && !switches_recorded) {
                throw UsageError(fmt::format(
                    "{} needs the switches of an earlier max pool: write 'pool:max,...,switches' "
                    "before it",
                    info.name));
            }
            switches_recorded = switches_recorded || op->switch_role() == Op::SwitchRole::records;
            m_stages.push_back(
                Stage{&info, std::move(params), std::move(op), st.text, location(source, st.line)});
        } catch (const UsageError& e) {
            throw UsageError(fmt::format("{}stage {} '{}': {}", location(source, st.line), number,
                                         st.text, e.what()));
        }
    }
}

std::vector<PlanStep> Pipeline::plan(const Shape& in, std::size_t max_elements) const {
    std::vector<PlanStep> steps;
    steps.push_back({in, {}});
    Shape cur = in;
    int number = 0;
    // Input and output shapes of the last stage that recorded switches.
    std::optional<std::pair<Shape, Shape>> switched;
    for (const auto& stage : m_stages) {
        ++number;
        try {
            const Op::SwitchRole role = stage.op->switch_role();
            const Shape out =
                role == Op::SwitchRole::consumes
                    ? stage.op->switched_output_shape(cur, switched->first, switched->second)
                    : stage.op->output_shape(cur);
            if (role == Op::SwitchRole::records) {
                switched = std::pair{cur, out};
            }
            PlanStep step{out, stage.op->notes(cur), stage.op->regions(cur)};
            if (step.shape.elements() > max_elements) {
                throw ShapeError(fmt::format("output {} has {} values, more than the {} allowed",
                                             step.shape, step.shape.elements(), max_elements));
            }
            cur = step.shape;
            steps.push_back(std::move(step));
        } catch (const ShapeError& e) {
            throw ShapeError(
                fmt::format("{}stage {} '{}': {}", stage.location, number, stage.text, e.what()));
        }
    }
    return steps;
}

Tensor Pipeline::run(Tensor input, const std::function<void(const StageResult&)>& observer,
                     bool fuse) const {
    if (observer) {
        observer(StageResult{0, nullptr, &input, 0.0});
    }
    return run_from(0, std::move(input), nullptr, observer, fuse);
}

std::size_t Pipeline::leading_u8_stages(const Shape& in) const {
    std::size_t n = 0;
    Shape cur = in;
    while (n < m_stages.size() && m_stages[n].op->switch_role() == Op::SwitchRole::none &&
           m_stages[n].op->runs_u8(cur)) {
        cur = m_stages[n].op->output_shape(cur);
        ++n;
    }
    return n;
}

Tensor Pipeline::run(ImageU8 input, const std::function<void(const StageResult&)>& observer,
                     bool fuse) const {
    const std::size_t u8_stages = leading_u8_stages(input.shape());
    if (u8_stages == 0) {
        return run(unit_tensor(input), observer, fuse);
    }
    if (observer) {
        observer(StageResult{0, nullptr, nullptr, 0.0, nullptr, &input});
    }
    ImageU8 cur = std::move(input);
    double last_ms = 0.0;
    for (std::size_t i = 0; i < u8_stages; ++i) {
        const Stage& stage = m_stages[i];
        const auto start = std::chrono::steady_clock::now();
        ImageU8 next = stage.op->apply_u8(cur);
        const auto stop = std::chrono::steady_clock::now();
        cur = std::move(next);
        last_ms = std::chrono::duration<double, std::milli>(stop - start).count();
        if (observer && i + 1 < u8_stages) {
            observer(StageResult{static_cast<int>(i) + 1, &stage, nullptr, last_ms, nullptr, &cur});
        }
    }
    Tensor values = unit_tensor(cur);
    cur = ImageU8{};
    if (observer) {
        observer(
            StageResult{static_cast<int>(u8_stages), &m_stages[u8_stages - 1], &values, last_ms});
    }
    return run_from(u8_stages, std::move(values), nullptr, observer, fuse);
}

std::optional<Activation> Pipeline::fused_after(std::size_t i, const Shape& in, bool fuse) const {
    if (!fuse || i + 1 >= m_stages.size()) {
        return std::nullopt;
    }
    const Op& op = *m_stages[i].op;
    const Op& after = *m_stages[i + 1].op;
    if (op.switch_role() != Op::SwitchRole::none || after.switch_role() != Op::SwitchRole::none ||
        !op.fuses_activation(in)) {
        return std::nullopt;
    }
    return after.activation();
}

std::optional<Epilogue> Pipeline::epilogue_after(std::size_t i, const Shape& in, bool fuse) const {
    const Op& op = *m_stages[i].op;
    if (!fuse || op.switch_role() != Op::SwitchRole::none || !op.fuses(in, Epilogue{})) {
        return std::nullopt;
    }
    const auto plain = [&](std::size_t j) {
        return j < m_stages.size() && m_stages[j].op->switch_role() == Op::SwitchRole::none;
    };
    const Shape out = op.output_shape(in);
    Epilogue e;
    std::size_t j = i + 1;
    if (plain(j)) {
        e.affine = m_stages[j].op->channel_affine(out);
        j += e.affine ? 1U : 0U;
    }
    if (plain(j)) {
        e.activation = m_stages[j].op->activation();
        j += e.activation ? 1U : 0U;
    }
    if (plain(j) && m_stages[j].info->name == "pool:max") {
        const auto windows = m_stages[j].op->windows(out);
        if (windows && windows->sliding) {
            Epilogue pooled = e;
            pooled.max_pool = windows->sliding;
            if (op.fuses(in, pooled)) {
                return pooled;
            }
        }
    }
    if (e.stages() == 0 || !op.fuses(in, e)) {
        return std::nullopt;
    }
    return e;
}

Tensor Pipeline::run_fused(std::size_t i, const Tensor& in, const Epilogue& e,
                           const std::function<void(const StageResult&)>& observer) const {
    const Stage& stage = m_stages[i];
    const auto start = std::chrono::steady_clock::now();
    Tensor out;
    try {
        out = stage.op->apply_fused(in, e);
    } catch (const ShapeError& err) {
        throw ShapeError(
            fmt::format("{}stage {} '{}': {}", stage.location, i + 1, stage.text, err.what()));
    }
    const auto stop = std::chrono::steady_clock::now();
    if (observer) {
        // The absorbed stages are done too: report them all, all but the last without values.
        const auto last = i + static_cast<std::size_t>(e.stages());
        Shape shape = in.shape();
        for (std::size_t k = i; k <= last; ++k) {
            const double ms =
                k == i ? std::chrono::duration<double, std::milli>(stop - start).count() : 0.0;
            if (k == last) {
                observer(StageResult{static_cast<int>(k) + 1, &m_stages[k], &out, ms});
                break;
            }
            shape = m_stages[k].op->output_shape(shape);
            StageResult r{static_cast<int>(k) + 1, &m_stages[k], nullptr, ms};
            r.unstored = shape;
            observer(r);
        }
    }
    return out;
}

Tensor Pipeline::run_final(const Tensor& input, bool fuse) const {
    return run_from(0, Tensor(), &input, {}, fuse);
}

Tensor Pipeline::run_from(std::size_t first, Tensor cur, const Tensor* borrowed,
                          const std::function<void(const StageResult&)>& observer,
                          bool fuse) const {
    if (borrowed != nullptr && first == m_stages.size()) {
        return *borrowed;
    }
    Switches switches;  // the last ones recorded (the constructor checked the order)
    for (std::size_t i = first; i < m_stages.size(); ++i) {
        const Stage& stage = m_stages[i];
        const int index = static_cast<int>(i) + 1;
        // The input of this stage: `borrowed` for the first, then what the stage before made.
        const Tensor& in = borrowed != nullptr ? *borrowed : cur;
        if (const auto e = epilogue_after(i, in.shape(), fuse)) {
            cur = run_fused(i, in, *e, observer);
            borrowed = nullptr;
            i += static_cast<std::size_t>(e->stages());
            continue;
        }
        const Op::SwitchRole role = stage.op->switch_role();
        const std::optional<Activation> fused = fused_after(i, in.shape(), fuse);
        const auto start = std::chrono::steady_clock::now();
        Tensor next;
        try {
            next = fused                              ? stage.op->apply_activated(in, *fused)
                   : role == Op::SwitchRole::records  ? stage.op->apply_recording(in, switches)
                   : role == Op::SwitchRole::consumes ? stage.op->apply_switched(in, switches)
                   : borrowed != nullptr              ? stage.op->apply(in)
                                                      : stage.op->apply_owned(std::move(cur));
        } catch (const ShapeError& e) {
            throw ShapeError(
                fmt::format("{}stage {} '{}': {}", stage.location, index, stage.text, e.what()));
        }
        const auto stop = std::chrono::steady_clock::now();
        cur = std::move(next);
        borrowed = nullptr;
        const double ms = std::chrono::duration<double, std::milli>(stop - start).count();
        if (fused) {
            // The elementwise stage is done: report both, the producer without values.
            if (observer) {
                StageResult producer{index, &stage, nullptr, ms};
                producer.unstored = cur.shape();
                observer(producer);
                observer(StageResult{index + 1, &m_stages[i + 1], &cur, 0.0});
            }
            ++i;
            continue;
        }
        if (observer) {
            observer(StageResult{index, &stage, &cur, ms,
                                 role == Op::SwitchRole::records ? &switches : nullptr});
        }
    }
    return cur;
}

}  // namespace convpool
