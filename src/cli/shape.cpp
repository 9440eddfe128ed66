#include "cli/shape.hpp"

#include "convpool/core/error.hpp"
#include "convpool/core/format.hpp"
#include "convpool/core/params.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <vector>

namespace convpool::cli {

namespace {

/// `text` as a JSON string literal: stage text may hold quotes and backslashes (`@"..."` paths).
std::string json_quoted(std::string_view text) {
    std::string out = "\"";
    for (const char c : text) {
        if (c == '"' || c == '\\') {
            out += '\\';
            out += c;
        } else if (static_cast<unsigned char>(c) < 0x20) {
            out += fmt::format("\\u{:04x}", static_cast<unsigned>(static_cast<unsigned char>(c)));
        } else {
            out += c;
        }
    }
    return out + "\"";
}

}  // namespace

/// `convpool shape`: the plan as a table, with notes.
std::string shape_text(const Pipeline& pipeline, const Shape& in, bool json,
                       std::size_t max_elements) {
    const auto plan = pipeline.plan(in, max_elements);
    std::string out;
    if (json) {
        out = "{\"input\": [" + fmt::format("{}, {}, {}", in.channels, in.height, in.width) +
              "], \"stages\": [\n";
        for (std::size_t i = 0; i < plan.size(); ++i) {
            const auto& s = plan[i].shape;
            const std::string stage = i == 0 ? "input" : pipeline.stages()[i - 1].describe();
            std::string notes;
            for (const auto& n : plan[i].notes) {
                notes += (notes.empty() ? "" : ", ") + json_quoted(n);
            }
            out += fmt::format(
                "  {{\"index\": {}, \"stage\": {}, \"shape\": [{}, {}, {}], \"elements\": {}, "
                "\"notes\": [{}]}}{}\n",
                i, json_quoted(stage), s.channels, s.height, s.width, s.elements(), notes,
                i + 1 < plan.size() ? "," : "");
        }
        return out + "]}\n";
    }
    std::size_t width = 5;
    for (const auto& stage : pipeline.stages()) {
        width = std::max(width, stage.describe().size());
    }
    out += fmt::format("{:>3}  {:<{}} {:>13} {:>11} {:>8}\n", "#", "stage", width, "shape",
                       "elements", "vs prev");
    for (std::size_t i = 0; i < plan.size(); ++i) {
        const auto& s = plan[i].shape;
        const double ratio = i == 0 ? 1.0
                                    : static_cast<double>(s.elements()) /
                                          static_cast<double>(plan[i - 1].shape.elements());
        const std::string stage = i == 0 ? "input" : pipeline.stages()[i - 1].describe();
        out += fmt::format("{:>3}  {:<{}} {:>13} {:>11} {:>8.4f}\n", fmt::format("{:02}", i), stage,
                           width, to_string(s), s.elements(), ratio);
        for (const auto& n : plan[i].notes) {
            out += fmt::format("     note: {}\n", n);
        }
    }
    return out;
}

/// `convpool shape --semantics all`: every stage's output shape under torch, tf, caffe and onnx
/// conventions side by side, flagging stages where they disagree. Where a semantics cannot fit
/// a stage the cell says `error` (later cells `-`) and the message follows the table. Throws
/// ShapeError when no semantics fits the whole pipeline.
std::string semantics_comparison_text(std::string_view text, const Shape& in,
                                      std::string_view source, const ParseContext& context) {
    std::vector<std::string> written;
    // Parsed under onnx, which allows every padding: a stage only onnx accepts (pad over half
    // the kernel) gets an `error` cell under the others rather than failing the table.
    const Pipeline parsed(text, Semantics::onnx, source, context);
    for (const auto& st : parsed.stages()) {
        written.push_back(st.text);
    }
    // cells[s][i]: output of stage i+1 under semantics s, planned on the pipeline's first i+1
    // stages so that a failing stage still shows the ones before it.
    std::vector<std::vector<std::string>> cells;
    std::vector<std::string> errors;
    for (const Semantics s : kAllSemantics) {
        std::vector<std::string> column;
        std::string prefix;
        bool failed = false;
        for (const auto& stage : written) {
            prefix += (prefix.empty() ? "" : " | ") + stage;
            if (failed) {
                column.emplace_back("-");
                continue;
            }
            try {
                const Pipeline pipeline(prefix, s, {}, context);
                column.push_back(to_string(pipeline.plan(in).back().shape));
            } catch (const Error& e) {
                column.emplace_back("error");
                errors.push_back(fmt::format("{}: error: {}", semantics_name(s), e.what()));
                failed = true;
            }
        }
        cells.push_back(std::move(column));
    }
    if (errors.size() == std::size(kAllSemantics)) {
        throw ShapeError(errors.front());
    }
    std::size_t width = 18;  // "stage (as written)"
    for (const auto& w : written) {
        width = std::max(width, w.size());
    }
    std::string out = fmt::format("{:>3}  {:<{}}", "#", "stage (as written)", width);
    for (const Semantics s : kAllSemantics) {
        out += fmt::format(" {:>13}", semantics_name(s));
    }
    out += fmt::format("\n{:>3}  {:<{}}", "00", "input", width);
    for (std::size_t s = 0; s < cells.size(); ++s) {
        out += fmt::format(" {:>13}", to_string(in));
    }
    out += "\n";
    for (std::size_t i = 0; i < written.size(); ++i) {
        out += fmt::format("{:>3}  {:<{}}", fmt::format("{:02}", i + 1), written[i], width);
        bool differs = false;
        for (const auto& column : cells) {
            out += fmt::format(" {:>13}", column[i]);
            differs = differs || column[i] != cells.front()[i];
        }
        out += differs ? "  <- differs\n" : "\n";
    }
    out +=
        "torch: ceil off, count-pad on; tf: count-pad off (pad=same|valid as TensorFlow); "
        "caffe (and OpenCV dnn): ceil on, count-pad on; onnx: count-pad off, pads over half the "
        "kernel allowed\n";
    for (const auto& e : errors) {
        out += e + "\n";
    }
    return out;
}

/// `--size`: N (1xNxN), HxW (one channel) or CxHxW.
Shape parse_shape(const std::string& text) {
    std::vector<std::string> parts;
    std::string cur;
    for (const char c : text) {
        if (c == 'x' || c == 'X') {
            parts.push_back(cur);
            cur.clear();
        } else {
            cur += c;
        }
    }
    parts.push_back(cur);
    if (parts.size() > 3) {
        throw UsageError(fmt::format("--size: expected N, HxW or CxHxW, got '{}'", text));
    }
    if (parts.size() == 1) {
        parts.push_back(parts.front());  // N: a square, as stages read `k=N`
    }
    // A fixed array, not a vector: GCC 12 at -O2 reports a false -Wnull-dereference on
    // indexing a vector it cannot prove non-empty.
    std::array<int, 3> v{1, 1, 1};
    std::size_t n = 0;
    for (const auto& p : parts) {
        const double d = parse_number(p, "--size");
        if (d < 1 || d > (1 << 30) || d != static_cast<int>(d)) {
            throw UsageError(fmt::format("--size: '{}' is not a positive whole number", p));
        }
        v.at(n++) = static_cast<int>(d);
    }
    return n == 2 ? Shape{1, v[0], v[1]} : Shape{v[0], v[1], v[2]};
}

/// `size` (from --size) checked as `run` checks an image: at most `max_pixels` pixels (H*W), at
/// most 4 values per allowed pixel (C*H*W). Throws UsageError.
Shape checked_size(const Shape& size, std::size_t max_pixels) {
    if (size.plane() > max_pixels) {
        throw UsageError(fmt::format(
            "--size {}x{}: {} pixels, more than --max-pixels {}", size.height, size.width,
            size.plane() == SIZE_MAX ? std::string("too many") : std::to_string(size.plane()),
            max_pixels));
    }
    if (size.elements() / 4 > max_pixels) {
        throw UsageError(fmt::format(
            "--size {}: {} values, more than 4 per pixel of --max-pixels {}", size,
            size.elements() == SIZE_MAX ? std::string("too many") : std::to_string(size.elements()),
            max_pixels));
    }
    return size;
}

}  // namespace convpool::cli
