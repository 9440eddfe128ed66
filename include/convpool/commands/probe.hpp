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
///  - Equivariance: for shifts d that are multiples of the total stride S of the stages up to
///    and including the pool (on each axis), output(shift x) moved back by d / S cells is
///    compared with output(x) on the cells both hold (border cells, where padding enters,
///    included). Stages without a fixed stride (adaptive, fractional, global) have none.
///  - Consistency (Zhang 2019, adapted to maps): pairs of crops of the input, (H-8)x(W-8), with
///    origins in [0, 8]^2 drawn (seeded) until the two origins are d apart (Chebyshev distance)
///    for d = 1..8, --pairs pairs per d; a pair is consistent when the cosine similarity of the
///    two outputs' per-channel means (what `pool:global-avg` gives a classifier head) is at least
///    the tolerance; Zhang's own form, the pair's two mean vectors peaking in the same channel
///    (the class a classifier reading the channels as classes would pick), is reported beside it.

#include "convpool/core/tensor.hpp"
#include "convpool/pipeline/pipeline.hpp"
#include "convpool/report/report.hpp"

#include <array>
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
    int shifts = 8;                              ///< shifts 1..N pixels, 8 directions each
    std::vector<double> noise{0.01, 0.05, 0.1};  ///< Gaussian sigmas (>= 0)
    double salt_pepper = 0.02;                   ///< salt-and-pepper density; 0 = none
    std::uint64_t seed = 0;                      ///< seed of every noise field and crop pair
    int pairs = 0;  ///< consistency: crop pairs per offset 1..8 (0: not measured; CLI: 4)
    double cos_tolerance = 0.99;  ///< consistency: least cosine similarity of a consistent pair
    Semantics semantics = Semantics::torch;
    /// How the stages before the pools read `@FILE` weights (Pipeline's `context`).
    ParseContext context;
    /// Pixels of the charts per px (`--png-scale`, 1 to 4): drawn again at that scale.
    double png_scale = 1.0;
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

/// Shift equivariance at one shift distance (a multiple of the total stride), means over the 8
/// directions: output(shift x) moved back by shift / stride cells against output(x).
struct EquivariancePoint {
    int shift = 0;  ///< pixels, in the input
    double identical_pool = 0.0;
    double correlation_pool = 0.0;
    double identical_pre = 0.0;  ///< the same for the pre-pool map (moved by shift / its stride)
    double correlation_pre = 0.0;
};

/// Zhang's consistency at one offset distance (0: every pair).
struct ConsistencyPoint {
    int offset = 0;                ///< Chebyshev distance of the two crops' origins, pixels
    int pairs = 0;                 ///< pairs measured
    double consistent_pool = 0.0;  ///< share of pairs with cosine >= the tolerance
    double cosine_pool = 0.0;      ///< mean cosine similarity
    double consistent_pre = 0.0;   ///< the same for the pre-pool map
    double cosine_pre = 0.0;
    /// Zhang's own form: share of pairs whose two per-channel mean vectors have their largest
    /// value in the same channel (what a classifier reading the channels as classes would pick)
    double same_argmax_pool = 0.0;
    double same_argmax_pre = 0.0;
};

/// The total stride of a pipeline, rows and columns (1 for an empty pipeline).
struct Stride2 {
    int y = 1;
    int x = 1;
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
    std::optional<Stride2> stride;                ///< of prefix and pool; none: no fixed stride
    Stride2 pre_stride;                           ///< of the prefix (when `stride` is known)
    std::vector<EquivariancePoint> equivariance;  ///< shifts that are multiples of `stride`
    std::vector<ConsistencyPoint> consistency;    ///< offset 0 (all pairs), then 1..8
    std::vector<NoisePoint> noise;
    InfoLoss loss;
    bool keeps_range = false;  ///< the pool keeps its input's range (Op::keeps_range)
    Tensor pre;                ///< the pre-pool map (full input)
    Tensor pooled;             ///< the pooled map (full input)
};

/// A probe run.
struct ProbeReport {
    std::string input;
    Shape input_shape;
    std::string pipeline;  ///< as given (the prefix, with --modes)
    ProbeOptions options;
    /// Empty, or why consistency was not measured although `options.pairs` > 0 (an input of 8
    /// pixels or less on an axis: the crops would be empty).
    std::string consistency_skipped;
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

/// One target per mode for a stack of layers (`probe --modes --replace-pools`): every pooling
/// stage of `pipeline` (an op that declares a mode form) is replaced by the mode, written as
/// mode_targets writes it (`-k`, `-s`, `--pad`, `--ceil`; an output-size mode's size from the
/// map feeding that stage), and the last stage, which must be one of them, is the pool measured
/// (the target's prefix holds the earlier replaced ones). `input` is the input's shape. Throws
/// UsageError when the pipeline does not end with a pooling stage.
[[nodiscard]] std::vector<ProbeTarget> stack_targets(const Pipeline& pipeline,
                                                     const std::vector<std::string>& modes,
                                                     const std::string& kernel,
                                                     const std::string& stride, std::uint64_t seed,
                                                     const Shape& input, const std::string& pad,
                                                     bool ceil, const ParseContext& context);

/// Runs every measurement for every target on `input`. Throws UsageError (bad options),
/// ShapeError (an input too small for the shifts or the pool).
[[nodiscard]] ProbeReport probe(const Tensor& input, const std::vector<ProbeTarget>& targets,
                                const ProbeOptions& options);

/// The total stride of `text` (stages, `|`-separated; empty: {1, 1}) on inputs of shape `in`:
/// the input growth D that adds one output cell, found by planning on `in` and `in` + 720
/// (720 is divisible by every stride up to 6 and by 8, 9, 10, 12, 16); none when the growth
/// does not divide 720 or adds nothing (adaptive, global and fractional pools).
[[nodiscard]] std::optional<Stride2> pipeline_stride(const std::string& text, const Shape& in,
                                                     Semantics semantics,
                                                     const ParseContext& context = {});

/// `a` and `b` of one shape compared on the cells they share once `b` is moved by (dy, dx)
/// cells (b's cell (y, x) is a's (y + dy, x + dx)): the fraction of identical values and the
/// normalised correlation. An empty overlap gives NaN for both.
struct Agreement {
    double identical = 0.0;
    double correlation = 0.0;
};
[[nodiscard]] Agreement aligned_agreement(const Tensor& a, const Tensor& b, int dy, int dx);

/// The crop origins of the consistency pairs: for each offset d = 1..8, `per_offset` pairs of
/// origins in [0, 8]^2 at Chebyshev distance d, drawn uniformly (rejection) from
/// std::mt19937_64 seeded with `seed`. Order: d = 1 first. Each element is {y1, x1, y2, x2}.
[[nodiscard]] std::vector<std::array<int, 4>> consistency_origins(int per_offset,
                                                                  std::uint64_t seed);

/// Whether the per-channel means of `a` and `b` (same channels) are largest in the same channel
/// (the first of equal largest means); false when a mean is NaN.
[[nodiscard]] bool same_argmax(const Tensor& a, const Tensor& b);

/// Cosine similarity of the per-channel means of `a` and `b` (same channels): 1 when the two
/// mean vectors are equal (both zero included), 0 when only one is zero, NaN if a mean is NaN.
[[nodiscard]] double mean_vector_cosine(const Tensor& a, const Tensor& b);

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

/// The lines compare's and probe's tables add for modes that do not take -k/-s as written: modes
/// with a stride only (ModeForm::stride, blur: no kernel, and an output up to a cell larger than
/// max pooling's) and modes whose output is a vector per channel (ModeForm::vector, e.g. spp),
/// saying what their columns mean there; "" when there are none.
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
