#pragma once
/// \file bench.hpp
/// `convpool bench`: times every stage of a pipeline in-process and, in the same run, the
/// memory-bandwidth floor of each stage, on float32 tensors or (`--type u8`) on 8-bit
/// interleaved images through the stages' 8-bit kernels.
///
/// The floor of a stage streams its bytes with the same threads: its input bytes are read
/// once with 32-byte loads and its output bytes written once with non-temporal 32-byte stores,
/// input and output walked together in proportional 128-byte steps, two walks interleaved in
/// each thread (src/commands/bench_floor.cpp), into a destination allocated as the stage's
/// output is and touched before timing. No pooling, arithmetic or allocation: the least any
/// stage that reads its input and writes its output must cost. Stage times include the output
/// allocation, as in `convpool run`.

#include "convpool/core/tensor.hpp"
#include "convpool/pipeline/pipeline.hpp"

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace convpool {

/// The element type a bench runs on: float32 C×H×W tensors, or 8-bit H×W×C images.
enum class BenchType { f32, u8 };

/// `f32` or `u8`, as on the command line.
[[nodiscard]] const char* bench_type_name(BenchType type) noexcept;

/// What `convpool bench` was asked to do.
struct BenchOptions {
    std::string input;                ///< image to load; empty for synthetic data of `size`
    Shape size{1, 1024, 1024};        ///< shape of the synthetic input
    BenchType type = BenchType::f32;  ///< element type of the input (`--type`)
    int repeat = 10;                  ///< timed runs per stage (after the warm-up), at least 1
    int warmup = 1;                   ///< untimed runs per stage before timing
    bool json = false;                ///< bench_command prints JSON instead of a table
    /// Also time the whole pipeline as `run --emit final --stats none` runs it (Pipeline::run
    /// with fuse, no observer): BenchResult::fused.
    bool fused = false;
    /// Largest input (H*W) accepted; stages may hold at most 4 values per such pixel.
    std::size_t max_pixels = 128'000'000;
};

/// Timings of one stage, in milliseconds.
struct BenchStage {
    int index = 0;      ///< 1 is the first stage
    std::string stage;  ///< every parameter with defaults filled in
    Shape in;
    Shape out;
    std::size_t in_bytes = 0;
    std::size_t out_bytes = 0;
    double median_ms = 0.0;
    double min_ms = 0.0;
    double floor_median_ms = 0.0;  ///< streaming copy of in_bytes + out_bytes
    double floor_min_ms = 0.0;
    /// Median over the repeats of (stage time / time of the floor run right after it).
    double paired_ratio = 0.0;

    /// median / floor median: how many floors the stage costs.
    [[nodiscard]] double ratio() const { return median_ms / floor_median_ms; }
};

/// A whole bench run.
struct BenchResult {
    std::string pipeline;
    std::string source;  ///< `synthetic` or the input path
    Shape input;
    BenchType type = BenchType::f32;
    int threads = 1;
    int repeat = 0;
    std::string cpu;  ///< model name from /proc/cpuinfo, or empty
    int hardware_threads = 0;
    std::vector<BenchStage> stages;
    /// With BenchOptions::fused: the whole pipeline run at once, fused, as `run --emit final
    /// --stats none` runs it (median and min ms over `repeat` runs after the warm-up).
    bool has_fused = false;
    double fused_median_ms = 0.0;
    double fused_min_ms = 0.0;
    /// The sum of the stages' medians, to compare with fused_median_ms.
    [[nodiscard]] double stages_median_ms() const {
        double sum = 0.0;
        for (const auto& s : stages) {
            sum += s.median_ms;
        }
        return sum;
    }
};

/// A tensor of `shape` with values in [0, 1) from a fixed generator (splitmix64 of `seed`).
[[nodiscard]] Tensor synthetic_tensor(const Shape& shape, std::uint64_t seed = 1);

/// An 8-bit image of `shape` (interleaved) with values 0..255 from the same generator.
[[nodiscard]] ImageU8 synthetic_image_u8(const Shape& shape, std::uint64_t seed = 1);

/// Times every stage of `pipeline` on `input` (plan first; throws ShapeError as plan does).
/// Stage i runs on the output of stage i-1, computed once. Each repeat times the stage, then
/// the floor, so both see the same machine state.
[[nodiscard]] BenchResult run_bench(const Pipeline& pipeline, const Tensor& input,
                                    const BenchOptions& options);

/// The same on an 8-bit image through every stage's 8-bit kernel (Op::apply_u8); the floor
/// counts the 8-bit bytes. Throws UsageError, naming the stage, when a stage has no 8-bit
/// kernel for its input (Op::runs_u8), before any stage runs.
[[nodiscard]] BenchResult run_bench(const Pipeline& pipeline, const ImageU8& input,
                                    const BenchOptions& options);

/// Seconds of one streaming copy of `in` to `out` with thread_count() threads (the floor).
/// Reads every byte of `in` and writes every byte of `out` once.
[[nodiscard]] double streaming_copy_seconds(std::span<const std::byte> in,
                                            std::span<std::byte> out);

/// The `convpool bench` command: loads `options.input` (or makes synthetic data) as
/// `options.type`, runs run_bench and returns the table or JSON. Throws InputError /
/// ShapeError, and UsageError for a stage without an 8-bit kernel.
[[nodiscard]] std::string bench_command(const Pipeline& pipeline, const std::string& pipeline_text,
                                        const BenchOptions& options);

/// The result as a table (one row per stage) or as JSON.
[[nodiscard]] std::string bench_table(const BenchResult& result);
[[nodiscard]] std::string bench_json(const BenchResult& result);

}  // namespace convpool
