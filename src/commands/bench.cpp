#include "convpool/commands/bench.hpp"

#include "convpool/core/error.hpp"
#include "convpool/core/format.hpp"
#include "convpool/core/parallel.hpp"
#include "convpool/io/image_io.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <thread>

namespace convpool {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
    return std::chrono::duration<double>(Clock::now() - start).count();
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    const std::size_t n = v.size();
    return n % 2 == 1 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

std::string cpu_model() {
    std::ifstream in("/proc/cpuinfo");
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind("model name", 0) == 0) {
            const auto colon = line.find(':');
            return colon == std::string::npos ? std::string() : line.substr(colon + 2);
        }
    }
    return {};
}

/// The next number of splitmix64 from `state`.
std::uint64_t splitmix64(std::uint64_t& state) {
    state += 0x9E3779B97F4A7C15ULL;
    std::uint64_t z = state;
    z = (z ^ (z >> 30U)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27U)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31U);
}

/// Times every stage of `pipeline` on `input` with `apply(op, image)`: the body of both
/// run_bench overloads (Image is Tensor or ImageU8).
template <typename Image, typename Apply>
BenchResult bench_stages(const Pipeline& pipeline, const Image& input, const BenchOptions& options,
                         const std::vector<PlanStep>& plan, const Apply& apply) {
    using Element = typename decltype(input.data())::element_type;
    BenchResult result;
    result.input = input.shape();
    result.type = options.type;
    result.threads = thread_count();
    result.repeat = std::max(options.repeat, 1);
    result.cpu = cpu_model();
    result.hardware_threads = static_cast<int>(std::thread::hardware_concurrency());
    Image cur = input;
    int index = 0;
    for (const auto& stage : pipeline.stages()) {
        ++index;
        BenchStage b;
        b.index = index;
        b.stage = stage.describe();
        b.in = cur.shape();
        b.out = plan[static_cast<std::size_t>(index)].shape;
        b.in_bytes = b.in.elements() * sizeof(Element);
        b.out_bytes = b.out.elements() * sizeof(Element);
        // The floor's destination is allocated and written once before timing, so the floor
        // never pays for page faults; it is allocated as the stage's output is (huge pages for
        // large ones).
        Image floor_image(b.out, Element{1});
        const std::span<std::byte> floor_out = std::as_writable_bytes(floor_image.data());
        Image next;
        for (int i = 0; i < options.warmup; ++i) {
            next = apply(*stage.op, cur);
            (void)streaming_copy_seconds(std::as_bytes(cur.data()), floor_out);
        }
        std::vector<double> times;
        std::vector<double> floors;
        for (int i = 0; i < result.repeat; ++i) {
            next = Image();  // free the previous output first, as a pipeline run would have
            const auto start = Clock::now();
            next = apply(*stage.op, cur);
            times.push_back(seconds_since(start) * 1e3);
            floors.push_back(streaming_copy_seconds(std::as_bytes(cur.data()), floor_out) * 1e3);
        }
        b.median_ms = median(times);
        b.min_ms = *std::min_element(times.begin(), times.end());
        b.floor_median_ms = median(floors);
        b.floor_min_ms = *std::min_element(floors.begin(), floors.end());
        std::vector<double> paired;
        for (std::size_t i = 0; i < times.size(); ++i) {
            paired.push_back(times[i] / floors[i]);
        }
        b.paired_ratio = median(paired);
        result.stages.push_back(std::move(b));
        cur = std::move(next);
    }
    return result;
}

}  // namespace

const char* bench_type_name(BenchType type) noexcept {
    return type == BenchType::u8 ? "u8" : "f32";
}

Tensor synthetic_tensor(const Shape& shape, std::uint64_t seed) {
    Tensor t(shape);
    std::uint64_t state = seed;
    for (float& v : t.data()) {
        v = static_cast<float>(splitmix64(state) >> 40U) / 16777216.0F;  // top 24 bits, [0, 1)
    }
    return t;
}

ImageU8 synthetic_image_u8(const Shape& shape, std::uint64_t seed) {
    ImageU8 image(shape);
    std::uint64_t state = seed;
    for (std::uint8_t& v : image.data()) {
        v = static_cast<std::uint8_t>(splitmix64(state) >> 56U);  // top 8 bits
    }
    return image;
}

BenchResult run_bench(const Pipeline& pipeline, const Tensor& input, const BenchOptions& options) {
    BenchResult result =
        bench_stages(pipeline, input, options, pipeline.plan(input.shape(), 4 * options.max_pixels),
                     [](const Op& op, const Tensor& in) { return op.apply(in); });
    if (options.fused) {
        // As `run --emit final --stats none` runs the stages: fused, no observer.
        for (int i = 0; i < options.warmup; ++i) {
            (void)pipeline.run(input, nullptr, true);
        }
        std::vector<double> times;
        for (int i = 0; i < result.repeat; ++i) {
            const auto start = Clock::now();
            const Tensor out = pipeline.run(input, nullptr, true);
            times.push_back(seconds_since(start) * 1e3);
        }
        result.has_fused = true;
        result.fused_median_ms = median(times);
        result.fused_min_ms = *std::min_element(times.begin(), times.end());
    }
    return result;
}

BenchResult run_bench(const Pipeline& pipeline, const ImageU8& input, const BenchOptions& options) {
    const auto plan = pipeline.plan(input.shape(), 4 * options.max_pixels);
    for (std::size_t i = 0; i < pipeline.stages().size(); ++i) {
        const Stage& stage = pipeline.stages()[i];
        if (!stage.op->runs_u8(plan[i].shape)) {
            throw UsageError(fmt::format(
                "stage {} '{}': --type u8: this stage has no 8-bit kernel (8-bit images run "
                "through pool:max without switches and pool:min, when every window reads an "
                "input cell)",
                i + 1, stage.text));
        }
    }
    return bench_stages(pipeline, input, options, plan,
                        [](const Op& op, const ImageU8& in) { return op.apply_u8(in); });
}

namespace {
LoadOptions bench_load_options(const BenchOptions& options) {
    LoadOptions load;
    load.max_pixels = options.max_pixels;
    return load;
}
}  // namespace

std::string bench_command(const Pipeline& pipeline, const std::string& pipeline_text,
                          const BenchOptions& options) {
    BenchResult result;
    if (options.type == BenchType::u8 && options.fused) {
        throw UsageError("bench: --fused times float32 runs, as run does: leave out --type u8");
    }
    if (options.type == BenchType::u8) {
        const ImageU8 input = options.input.empty()
                                  ? synthetic_image_u8(options.size)
                                  : load_image_u8(options.input, bench_load_options(options));
        result = run_bench(pipeline, input, options);
    } else {
        const Tensor input =
            options.input.empty()
                ? synthetic_tensor(options.size)
                : load_image(options.input, bench_load_options(options)).tensor;  // no warnings
        result = run_bench(pipeline, input, options);
    }
    result.pipeline = pipeline_text;
    result.source = options.input.empty() ? std::string("synthetic") : options.input;
    return options.json ? bench_json(result) : bench_table(result);
}

std::string bench_table(const BenchResult& r) {
    std::string out = fmt::format(
        "input {} {} ({}), {} thread(s), median and min of {} runs after warm-up\n"
        "floor = streaming copy with the same threads: read the stage's input bytes once, "
        "write its output bytes once\n",
        r.input, r.type == BenchType::u8 ? "u8 interleaved (HWC)" : "f32 planes (CHW)", r.source,
        r.threads, r.repeat);
    std::size_t width = 5;
    for (const auto& s : r.stages) {
        width = std::max(width, s.stage.size());
    }
    out += fmt::format("{:>3}  {:<{}} {:>13} {:>10} {:>10} {:>10} {:>8} {:>8} {:>8}\n", "#",
                       "stage", width, "out shape", "MB in+out", "median ms", "min ms", "floor ms",
                       "x floor", "GB/s");
    for (const auto& s : r.stages) {
        const double mb = static_cast<double>(s.in_bytes + s.out_bytes) / 1e6;
        out += fmt::format(
            "{:>3}  {:<{}} {:>13} {:>10.1f} {:>10.3f} {:>10.3f} {:>8.3f} {:>8.2f} "
            "{:>8.2f}\n",
            fmt::format("{:02}", s.index), s.stage, width, to_string(s.out), mb, s.median_ms,
            s.min_ms, s.floor_median_ms, s.ratio(), mb / s.median_ms);
    }
    out += fmt::format("     {:<{}} {:>13} {:>10} {:>10.3f}\n", "sum of the stages' medians", width,
                       "", "", r.stages_median_ms());
    if (r.has_fused) {
        out += fmt::format("     {:<{}} {:>13} {:>10} {:>10.3f} {:>10.3f}\n",
                           "fused (as run --emit final --stats none)", width, "", "",
                           r.fused_median_ms, r.fused_min_ms);
    }
    return out;
}

std::string bench_json(const BenchResult& r) {
    nlohmann::json stages = nlohmann::json::array();
    for (const auto& s : r.stages) {
        stages.push_back({{"index", s.index},
                          {"stage", s.stage},
                          {"in_shape", {s.in.channels, s.in.height, s.in.width}},
                          {"out_shape", {s.out.channels, s.out.height, s.out.width}},
                          {"in_bytes", s.in_bytes},
                          {"out_bytes", s.out_bytes},
                          {"median_ms", s.median_ms},
                          {"min_ms", s.min_ms},
                          {"floor_median_ms", s.floor_median_ms},
                          {"floor_min_ms", s.floor_min_ms},
                          {"ratio_median", s.ratio()},
                          {"ratio_min", s.min_ms / s.floor_min_ms},
                          {"ratio_paired_median", s.paired_ratio}});
    }
    nlohmann::json j = {
        {"pipeline", r.pipeline},
        {"source", r.source},
        {"input", {r.input.channels, r.input.height, r.input.width}},
        {"type", bench_type_name(r.type)},
        {"threads", r.threads},
        {"repeat", r.repeat},
        {"cpu", r.cpu},
        {"hardware_threads", r.hardware_threads},
        {"floor",
         "streaming with the same threads: every input byte read once with 32-byte loads, every "
         "output byte written once with non-temporal 32-byte stores, input and output walked "
         "together in proportional 128-byte steps, two walks interleaved per thread; "
         "destination allocated as the stage's output and written before timing"},
        {"stages", stages},
        {"stages_median_ms", r.stages_median_ms()}};
    if (r.has_fused) {
        j["fused"] = {{"median_ms", r.fused_median_ms},
                      {"min_ms", r.fused_min_ms},
                      {"what", "the whole pipeline as run --emit final --stats none runs it"}};
    }
    return j.dump(2) + "\n";
}

}  // namespace convpool
