// `convpool compare` and `convpool probe` (options in cli/options.cpp): the request they make of
// commands/measure, and what they print.
#include "convpool/commands/measure.hpp"
#include "convpool/commands/probe.hpp"
#include "convpool/core/error.hpp"
#include "convpool/core/params.hpp"
#include "convpool/core/text.hpp"
#include "convpool/io/image_io.hpp"
#include "convpool/io/terminal.hpp"
#include "convpool/pipeline/pipeline.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "cli/args.hpp"
#include "cli/common.hpp"

namespace convpool::cli {
namespace {

/// "0.01,0.05" as numbers.
std::vector<double> parse_number_list(const std::string& text, const char* what) {
    std::vector<double> values;
    std::string cur;
    for (const char c : text + ",") {
        if (c != ',') {
            cur += c;
        } else if (!cur.empty()) {
            values.push_back(parse_number(cur, what));
            cur.clear();
        }
    }
    return values;
}

/// `-k`, `-s` of compare and probe: N or HxW of whole numbers from 1, as the pool stage takes it.
std::string window_size(const std::string& text, const char* what) {
    Size2 s;
    try {
        s = parse_size(text, what);
    } catch (const UsageError&) {
        throw UsageError(fmt::format("{}: expected N or HxW, got '{}'{}", what, text,
                                     text.find_first_of(",=") == std::string::npos
                                         ? ""
                                         : " (padding and ceil mode are --pad and --ceil)"));
    }
    if (s.h < 1 || s.w < 1) {
        throw UsageError(fmt::format("{}: expected N or HxW of at least 1, got '{}'", what, text));
    }
    return s.h == s.w ? fmt::format("{}", s.h) : fmt::format("{}x{}", s.h, s.w);
}

/// `--pad` of compare and probe: N, HxW, same or valid.
std::string window_pad(const std::string& text) {
    std::string t = text;
    std::transform(t.begin(), t.end(), t.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (t.empty() || t == "same" || t == "valid") {
        return t;
    }
    try {
        const Size2 s = parse_size(t, "--pad");
        return s.h == s.w ? fmt::format("{}", s.h) : fmt::format("{}x{}", s.h, s.w);
    } catch (const UsageError&) {
        throw UsageError(fmt::format("--pad: expected N, HxW, same or valid, got '{}'", text));
    }
}

/// `--picture-size`: N from 16 to 16384, or `full` (0).
/// `convpool compare` and `convpool probe`: measure, write files, print the report.
}  // namespace

int measure_main(const MeasureArgs& a, bool is_compare) {
    MeasureRequest rq;
    rq.compare = is_compare;
    rq.kernel = window_size(a.kernel, "-k");
    rq.stride = a.stride.empty() ? a.stride : window_size(a.stride, "-s");
    rq.pad = window_pad(a.pad);
    rq.ceil = a.ceil;
    rq.force = a.force;
    rq.inputs = a.inputs;
    rq.recursive = a.recursive;
    rq.jobs = a.jobs;
    rq.out = a.out;
    rq.modes = a.modes;
    rq.replace_pools = a.replace_pools;
    rq.sheet_height = a.sheet_height;
    rq.png_scale = a.png_scale;
    rq.probe = a.probe;
    rq.probe.png_scale = a.png_scale;
    rq.probe.noise = parse_number_list(a.noise, "--noise");
    rq.probe.semantics = parse_semantics(a.semantics);
    rq.probe.context = parse_context(a.pipeline);
    rq.pipeline = a.pipeline.empty() ? std::string() : pipeline_argument(a.pipeline);
    rq.source = pipeline_source(a.pipeline);
    const auto outcome = measure(rq, [](const std::string& message) {
        fmt::print(stderr, "convpool: error: {}\n", terminal_text(message));
    });
    fmt::print("{}", a.report == "json"    ? outcome.json
                     : a.report == "csv"   ? outcome.csv
                     : a.report == "table" ? outcome.table
                                           : std::string());
    std::fflush(stdout);
    if (!a.quiet) {
        fmt::print(stderr, "convpool: wrote {}{} in {}/\n", join_names(outcome.files),
                   outcome.batch ? " and a folder per image" : "", terminal_text(a.out));
    }
    if (outcome.failed == 0) {
        return 0;
    }
    return static_cast<int>(outcome.failed == outcome.inputs ? ExitCode::no_input
                                                             : ExitCode::some_failed);
}

}  // namespace convpool::cli
