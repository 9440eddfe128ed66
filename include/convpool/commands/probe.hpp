#pragma once
/// \file probe.hpp
/// `convpool probe`: measures what a pooling stage does to the map feeding it — shift
/// invariance, noise tolerance, information loss and compression — each next to the same
/// number for the pre-pool map, so that the gain (or loss) from pooling is visible.
///
/// Conventions (also in the README):
///  - Shifts never fill borders. The reference is the input cropped by N (= --shifts) pixels on
///    every side; a shift by d in direction (dy, dx) is the same-sized crop moved by (d dy, d dx),
///    so both are real image content. The pipeline runs on both crops and the outputs are
///    compared position by position (invariance: output(shift(x)) == output(x)). Every number
///    is the mean over the 8 directions.
///  - Noise is added to the input, not clipped: Gaussian of standard deviation sigma (in input
///    units, [0, 1] for 8-bit images) and salt-and-pepper (each value with probability p/2 set
///    to the input's minimum, p/2 to its maximum). Every noise field comes from
///    std::mt19937_64 seeded with the seed (the same seed for every sigma, so the pattern is
///    the same, scaled), mapped to numbers by convpool itself (Box-Muller for normals).
///  - PSNR and SSIM are those of metrics.hpp, against the clean map, with its data range.

#include "convpool/core/tensor.hpp"
#include "convpool/pipeline/pipeline.hpp"
#include "convpool/report/report.hpp"

#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace convpool {

class OutputDir;

/// What to measure.
struct ProbeOptions {
    int shifts = 2;                              ///< shifts 1..N pixels, 8 directions each
    std::vector<double> noise{0.01, 0.05, 0.1};  ///< Gaussian sigmas (>= 0)
    double salt_pepper = 0.02;                   ///< salt-and-pepper density; 0 = none
    std::uint64_t seed = 0;                      ///< seed of every noise field
    Semantics semantics = Semantics::torch;
    /// How the stages before the pools read `@FILE` weights (Pipeline's `context`).
    ParseContext context;
};

/// One pooling stage to probe: the stages feeding it and the pool itself.
struct ProbeTarget {
    std::string label;   ///< how tables and charts name it (`max`, `03 pool:max`)
    std::string prefix;  ///< pipeline text of the stages before the pool; empty = the input
    std::string pool;    ///< the pooling stage's text
};

/// Shift invariance at one shift distance, means over the 8 directions.
struct ShiftPoint {
    int shift = 0;                  ///< pixels, in the input
    double identical_pool = 0.0;    ///< fraction_identical(pool(x), pool(shift x))
    double correlation_pool = 0.0;  ///< normalized_correlation of the same
    double identical_pre = 0.0;     ///< the same for the pre-pool map
    double correlation_pre = 0.0;
};

/// Noise tolerance at one noise level: the noisy run against the clean run.
struct NoisePoint {
    std::string kind;  ///< `gaussian` (level = sigma) or `salt-pepper` (level = density)
    double level = 0.0;
    double psnr_pool = 0.0;  ///< dB, +infinity when identical
    double ssim_pool = 0.0;
    double psnr_pre = 0.0;
    double ssim_pre = 0.0;
};

/// How much of the pre-pool map the pooled map still holds.
struct InfoLoss {
    double psnr_nearest = 0.0;  ///< nearest-neighbour upsampling of the pooled map vs pre-pool
    double ssim_nearest = 0.0;
    std::optional<double> psnr_unpool;  ///< max pools: unpooling with switches vs pre-pool
    std::optional<double> ssim_unpool;
    double entropy_pre = 0.0;  ///< bits (256-bin histogram, as the report)
    double entropy_pool = 0.0;
    /// Share of pre-pool values that reach no output: for selecting pools (max, min,
    /// fractional, adaptive/global max, stochastic train) the values no window picked (a
    /// window's pick is the first of its cells, row-major, equal to its output, so of tied
    /// cells one counts); for mixing pools (avg, lp, stochastic test, adaptive/global avg) the
    /// values no window reads. NaN for a pool whose windows convpool does not know.
    double discarded = 0.0;
    bool selecting = false;  ///< which of the two rules gave `discarded`
};

/// Everything measured for one pooling stage.
struct PoolProbe {
    ProbeTarget target;
    std::string stage;  ///< the pool with every parameter filled in
    Shape pre_shape;    ///< the map feeding the pool (full input)
    Shape pool_shape;
    double milliseconds = 0.0;  ///< time of the pool on the full pre-pool map
    ChannelStats stats;         ///< of the pooled map
    std::vector<ShiftPoint> shift;
    std::vector<NoisePoint> noise;
    InfoLoss loss;
    Tensor pre;     ///< the pre-pool map (full input)
    Tensor pooled;  ///< the pooled map (full input)
};

/// A probe run.
struct ProbeReport {
    std::string input;
    Shape input_shape;
    std::string pipeline;  ///< as given (the prefix, with --modes)
    ProbeOptions options;
    std::vector<PoolProbe> pools;
};

/// Every pooling stage of `pipeline` (ops named `pool:...`), each with the stages before it.
/// Throws UsageError when there is none.
[[nodiscard]] std::vector<ProbeTarget> pipeline_targets(const Pipeline& pipeline);

/// Pooling modes `--modes` accepts: the ops that declare a mode form (OpInfo::mode), named
/// without `pool:`, in `convpool ops` order.
[[nodiscard]] const std::vector<std::string>& probe_modes();

/// compare's default `--modes`: the modes declared compared_by_default, comma-separated.
[[nodiscard]] std::string default_compare_modes();

/// Splits `--modes` text (`max,avg,...`); throws UsageError for an unknown or repeated mode,
/// listing the valid ones.
[[nodiscard]] std::vector<std::string> parse_modes(std::string_view text);

/// One target per mode after `prefix`, all with kernel `kernel` and stride `stride` (text, N
/// or HxW; empty stride = the kernel), and padding `pad` (empty: none) and `ceil` mode, as each
/// op declares (OpInfo::mode): window modes get `k`, `s`, `pad` and `ceil`; output-size modes
/// (fractional, adaptive) get `out=` the size a sliding window of that kernel and stride gives on
/// the pre-pool shape `pre` (so every mode has one output size); stride modes (blur) get `s=`
/// only; ops with a `seed` parameter get
/// `seed`, and the mode's extra arguments follow (stochastic: `negative=clip`, as noise makes
/// negative values even after a relu).
[[nodiscard]] std::vector<ProbeTarget> mode_targets(const std::string& prefix,
                                                    const std::vector<std::string>& modes,
                                                    const std::string& kernel,
                                                    const std::string& stride, std::uint64_t seed,
                                                    const Shape& pre, Semantics semantics,
                                                    const std::string& pad = {}, bool ceil = false);

/// Runs every measurement for every target on `input`. Throws UsageError (bad options),
/// ShapeError (an input too small for the shifts or the pool).
[[nodiscard]] ProbeReport probe(const Tensor& input, const std::vector<ProbeTarget>& targets,
                                const ProbeOptions& options);

/// The input cropped to rows [y, y+h) and columns [x, x+w) (must lie inside).
[[nodiscard]] Tensor crop(const Tensor& t, int y, int x, int h, int w);

/// `t` plus Gaussian noise of standard deviation `sigma`, not clipped; seeded.
[[nodiscard]] Tensor add_gaussian_noise(const Tensor& t, double sigma, std::uint64_t seed);

/// `t` with salt-and-pepper noise of `density`: each value with probability density/2 set to
/// the finite minimum of `t`, density/2 to its maximum; seeded.
[[nodiscard]] Tensor add_salt_pepper(const Tensor& t, double density, std::uint64_t seed);

/// Standard normal from two uniform draws of `engine` (Box-Muller, the cosine branch).
[[nodiscard]] double standard_normal(std::mt19937_64& engine);

/// `pooled` enlarged to `target` (same channels) by nearest neighbour, as PyTorch's
/// F.interpolate(mode="nearest"): output cell y reads floor(y * in / out).
[[nodiscard]] Tensor upsample_nearest(const Tensor& pooled, const Shape& target);

/// A measurement as text: `digits` significant digits, `inf`, `-inf` or `nan`.
[[nodiscard]] std::string format_metric(double v, int digits);

/// Readable table; JSON (`probe.json`); CSV (`probe.csv`, one row per pool and measurement).
/// Infinite PSNR is written `inf` in the table and CSV and "inf" (a string) in JSON.
[[nodiscard]] std::string probe_table(const ProbeReport& report);

/// The line compare's and probe's tables add for modes whose output is a vector per channel
/// (ModeForm::vector, e.g. spp), saying what their columns mean there; "" when there are none.
[[nodiscard]] std::string vector_modes_note(const ProbeReport& report);
[[nodiscard]] std::string probe_json(const ProbeReport& report);
[[nodiscard]] std::string probe_csv(const ProbeReport& report);

/// One measurement of one pool, as a row of probe.csv: `section` (shift, noise, loss,
/// compression, time), `metric`, `kind` (noise kind, or the discarded rule) and `level` (shift
/// in pixels, noise level) name it; `pre` is the same measurement of the pre-pool map, when it
/// has one.
struct ProbeRow {
    std::string pool;   ///< the target's label
    std::string stage;  ///< the pool with every parameter filled in
    std::string section;
    std::string metric;
    std::string kind;
    std::string level;
    double value = 0.0;
    std::optional<double> pre;
};

/// Every measurement of `report`, in probe.csv's order.
[[nodiscard]] std::vector<ProbeRow> probe_rows(const ProbeReport& report);

/// `v`, a value of `row`, as probe.csv writes it (counts in full, others 6 significant digits).
[[nodiscard]] std::string probe_row_value(const ProbeRow& row, double v);

/// What `convpool probe` writes into a directory, besides the table on stdout.
/// probe.json, probe.csv and the charts shift-identical.png, shift-correlation.png,
/// noise-psnr.png, noise-ssim.png. Returns the file names written. Throws OutputError.
std::vector<std::string> write_probe_outputs(const ProbeReport& report, const OutputDir& dir);

/// Only the charts (the shift charts when shifts were measured, the noise charts when Gaussian
/// noise was): one line per pool, a dashed line per distinct pre-pool map. Returns the names.
std::vector<std::string> write_probe_charts(const ProbeReport& report, const OutputDir& dir);

}  // namespace convpool
