#pragma once
/// \file pipeline.hpp
/// Parse -> plan -> run. The pipeline text becomes op instances (parameters checked), the plan
/// computes every stage's output shape (shape errors raised), and only then do pixels move.

#include "convpool/pipeline/op.hpp"

#include <array>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace convpool {

/// A stage as written: op name and arguments, before any op is built.
struct StageText {
    std::string name;  ///< as written before the first ':' (e.g. `pool`, `conv`)
    std::vector<Arg> args;
    std::string text;      ///< the stage's own text, trimmed
    std::size_t line = 1;  ///< line of the pipeline text the stage starts on
};

/// Splits pipeline text into stages (`|` or newlines between stages, `#` comments to the end of
/// a line; brackets `[ ]`, parentheses `( )` and quoted paths `@"..."` protect `,` and `|`). A `|`
/// that ends a line, or starts one after a stage, joins the stages across the line break. Throws
/// UsageError on syntax errors; with a `source` (the file the text came from), every error starts
/// `SOURCE:LINE: `.
[[nodiscard]] std::vector<StageText> split_pipeline(std::string_view text,
                                                    std::string_view source = {});

/// The most bytes a pipeline's text may hold (inline or in a file).
inline constexpr std::size_t kMaxPipelineBytes = std::size_t{64} * 1024;

/// The file `-p VALUE` reads (`@FILE`: FILE), or "" for pipeline text: the `source` of
/// split_pipeline() and Pipeline.
[[nodiscard]] std::string pipeline_source(std::string_view value);

/// Whose pooling conventions fill in the parameters a stage does not give (`--semantics`).
///  - torch: PyTorch's defaults (ceil off, count-pad on).
///  - tf: TensorFlow: avg pools divide by the real cells only (count-pad off); write pad=same
///    or pad=valid for TensorFlow's padding (SAME puts the odd extra cell at the bottom/right).
///  - caffe: Caffe and OpenCV's dnn: ceil mode on, count-pad on.
///  - onnx: ONNX's operators: count-pad off (AveragePool's count_include_pad=0), ceil off, and
///    pooling padding may be larger than half the kernel.
enum class Semantics { torch, tf, caffe, onnx };

/// Every semantics, in `--semantics` order.
inline constexpr std::array kAllSemantics{Semantics::torch, Semantics::tf, Semantics::caffe,
                                          Semantics::onnx};

/// `torch`, `tf`, `caffe` or `onnx`.
[[nodiscard]] const char* semantics_name(Semantics s) noexcept;

/// The semantics called `name`; throws UsageError listing the valid names.
[[nodiscard]] Semantics parse_semantics(std::string_view name);

/// A built stage.
struct Stage {
    const OpInfo* info = nullptr;
    Params params;
    std::unique_ptr<Op> op;
    std::string text;      ///< as written
    std::string location;  ///< `FILE:LINE: ` of a pipeline read from a file, else empty

    /// `name,every=param` with defaults filled in (the report's record of the stage).
    [[nodiscard]] std::string describe() const;
};

/// One planned stage: its output shape and notes.
struct PlanStep {
    Shape shape;
    std::vector<std::string> notes;
    std::optional<RegionSequences> regions;  ///< fractional pooling's regions
};

/// Result of one stage of a run, given to the observer.
struct StageResult {
    int index = 0;                   ///< 0 is the input, 1.. are stages
    const Stage* stage = nullptr;    ///< null for the input
    const Tensor* tensor = nullptr;  ///< the values; null when `image` holds them, or none do
    double milliseconds = 0.0;
    const Switches* switches = nullptr;  ///< recorded by this stage (`pool:max,switches`)
    /// Set instead of `tensor` for the input and stages of an 8-bit run (run(ImageU8, ...)) that
    /// stay in 8 bits: unit_tensor(*image) (core/tensor.hpp) is the tensor a float run gives.
    const ImageU8* image = nullptr;
    /// The shape of a stage whose values were never stored (`tensor` and `image` null): a stage
    /// fused with the elementwise stage after it (run with `fuse`).
    Shape unstored;

    /// Shape of the result, whichever of `tensor` and `image` holds it.
    [[nodiscard]] const Shape& shape() const noexcept {
        return tensor != nullptr ? tensor->shape() : image != nullptr ? image->shape() : unstored;
    }
};

/// A parsed pipeline.
class Pipeline {
public:
    /// Parses and builds every stage, with pooling defaults from `semantics`; throws
    /// UsageError (with `stage N 'text': ` in front), also for an `unpool` that no earlier
    /// stage records switches for. With a `source` (the file the text came from), every error
    /// of parsing, planning and running starts `SOURCE:LINE: ` as well. `@FILE` weights are
    /// read with `context.load`; relative paths start from `context.base`, or when that is
    /// empty from the folder of `source` (the working directory for text from no file).
    explicit Pipeline(std::string_view text, Semantics semantics = Semantics::torch,
                      std::string_view source = {}, ParseContext context = {});

    [[nodiscard]] Semantics semantics() const noexcept { return m_semantics; }

    [[nodiscard]] const std::vector<Stage>& stages() const noexcept { return m_stages; }

    /// Shapes of every stage for input `in` (element 0 is the input); throws ShapeError naming
    /// the stage. Refuses intermediates over `max_elements` values.
    [[nodiscard]] std::vector<PlanStep> plan(const Shape& in,
                                             std::size_t max_elements = kDefaultMaxElements) const;

    /// Runs every stage on `input`, calling `observer` with the input and each stage's output.
    /// Returns the final tensor. Call plan() first. A ShapeError an op raises on the data
    /// (e.g. pool:stochastic on negative input) gets the stage in front.
    ///
    /// With `fuse`, for an observer that reads no stage's values but the last one's (shapes and
    /// times only): an elementwise stage (Op::activation: relu, abs, leaky-relu) right after a
    /// stage that can apply it as it writes its output (Op::fuses_activation: conv) is done by
    /// that stage, in one pass over memory, with the same bits. The observer then sees the
    /// producing stage with no values (`unstored` set) and the time of both, and the
    /// elementwise stage with its values and 0 ms. A convolution layer (`conv:weights`, through
    /// its library when it is loaded) absorbs more (Op::fuses): a `bn` right after it is folded
    /// into its weights and bias, then an activation and a `pool:max` are applied as it writes
    /// its output, equal to the stages run one by one within float rounding; the absorbed stages
    /// are seen with no values and 0 ms except the last.
    Tensor run(Tensor input, const std::function<void(const StageResult&)>& observer,
               bool fuse = false) const;

    /// The final tensor of every stage run on `input`, which is only read (run() would take a
    /// copy of it): the same values, with no observer. `fuse` as for run(Tensor, ...).
    [[nodiscard]] Tensor run_final(const Tensor& input, bool fuse) const;

    /// Number of leading stages that run in 8 bits on an 8-bit image of shape `in`: those whose
    /// Op::runs_u8 holds on their input, up to the first that needs floats. Call plan() first.
    [[nodiscard]] std::size_t leading_u8_stages(const Shape& in) const;

    /// The same as run(unit_tensor(input), observer), bit for bit, for an 8-bit image as
    /// load_image_u8 gives it: the leading_u8_stages() run on the 8 bits (Op::apply_u8, which
    /// only picks values, and picking commutes with v -> v / 255), and the image becomes float
    /// after the last of them. The observer sees the input and those stages with `image` set
    /// and `tensor` null, except the last 8-bit stage, whose float tensor is made anyway. The
    /// conversion is timed with no stage, as decoding is not. `fuse` as for run(Tensor, ...).
    Tensor run(ImageU8 input, const std::function<void(const StageResult&)>& observer,
               bool fuse = false) const;

    /// 4 * 128 megapixels: the largest intermediate accepted by default.
    static constexpr std::size_t kDefaultMaxElements = std::size_t{4} * 128 * 1000 * 1000;

private:
    /// Runs the stages from `first` (0-based) on `cur`, the output of the stage before it, or
    /// on `borrowed` when it is set (read only, never moved from).
    Tensor run_from(std::size_t first, Tensor cur, const Tensor* borrowed,
                    const std::function<void(const StageResult&)>& observer, bool fuse) const;
    /// With `fuse`, the activation that stage `i` applies for the stage after it on an input
    /// of shape `in`; none when the two run one after the other.
    [[nodiscard]] std::optional<Activation> fused_after(std::size_t i, const Shape& in,
                                                        bool fuse) const;

    /// With `fuse`, what stage `i` (a convolution layer, Op::fuses) absorbs of the stages after
    /// it on an input of shape `in`: bn, then an activation, then pool:max, as many of them as
    /// follow in that order and it can take; none when nothing is absorbed.
    [[nodiscard]] std::optional<Epilogue> epilogue_after(std::size_t i, const Shape& in,
                                                         bool fuse) const;
    /// Stage `i` run with `e` on `in`, the observer told about it and the stages it absorbs.
    Tensor run_fused(std::size_t i, const Tensor& in, const Epilogue& e,
                     const std::function<void(const StageResult&)>& observer) const;

    std::vector<Stage> m_stages;
    Semantics m_semantics = Semantics::torch;
};

}  // namespace convpool
