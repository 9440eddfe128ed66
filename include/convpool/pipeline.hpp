#pragma once
/// \file pipeline.hpp
/// Parse -> plan -> run. The pipeline text becomes op instances (parameters checked), the plan
/// computes every stage's output shape (shape errors raised), and only then do pixels move.

#include "convpool/op.hpp"

#include <array>
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
    std::string text;  ///< the stage's own text, trimmed
};

/// Splits pipeline text into stages (`|` or newlines between stages, `#` comments to the end of
/// a line, brackets protect `,` and `|`). Throws UsageError on syntax errors.
[[nodiscard]] std::vector<StageText> split_pipeline(std::string_view text);

/// The text of `-p VALUE`: VALUE itself, or the contents of FILE for `@FILE`.
/// Throws UsageError when the file cannot be read.
[[nodiscard]] std::string pipeline_argument(std::string_view value);

/// Whose pooling conventions fill in the parameters a stage does not give (`--semantics`).
///  - torch: PyTorch's defaults (ceil off, count-pad on).
///  - tf: TensorFlow: avg pools divide by the real cells only (count-pad off); write pad=same
///    or pad=valid for TensorFlow's padding (SAME puts the odd extra cell at the bottom/right).
///  - caffe: Caffe and OpenCV's dnn: ceil mode on, count-pad on.
enum class Semantics { torch, tf, caffe };

/// Every semantics, in `--semantics` order.
inline constexpr std::array kAllSemantics{Semantics::torch, Semantics::tf, Semantics::caffe};

/// `torch`, `tf` or `caffe`.
[[nodiscard]] const char* semantics_name(Semantics s) noexcept;

/// The semantics called `name`; throws UsageError listing the valid names.
[[nodiscard]] Semantics parse_semantics(std::string_view name);

/// A built stage.
struct Stage {
    const OpInfo* info = nullptr;
    Params params;
    std::unique_ptr<Op> op;
    std::string text;  ///< as written

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
    int index = 0;                 ///< 0 is the input, 1.. are stages
    const Stage* stage = nullptr;  ///< null for the input
    const Tensor* tensor = nullptr;
    double milliseconds = 0.0;
    const Switches* switches = nullptr;  ///< recorded by this stage (`pool:max,switches`)
};

/// A parsed pipeline.
class Pipeline {
public:
    /// Parses and builds every stage, with pooling defaults from `semantics`; throws
    /// UsageError (with `stage N 'text': ` in front), also for an `unpool` that no earlier
    /// stage records switches for.
    explicit Pipeline(std::string_view text, Semantics semantics = Semantics::torch);

    [[nodiscard]] Semantics semantics() const noexcept { return m_semantics; }

    [[nodiscard]] const std::vector<Stage>& stages() const noexcept { return m_stages; }

    /// Shapes of every stage for input `in` (element 0 is the input); throws ShapeError naming
    /// the stage. Refuses intermediates over `max_elements` values.
    [[nodiscard]] std::vector<PlanStep> plan(const Shape& in,
                                             std::size_t max_elements = kDefaultMaxElements) const;

    /// Runs every stage on `input`, calling `observer` with the input and each stage's output.
    /// Returns the final tensor. Call plan() first. A ShapeError an op raises on the data
    /// (e.g. pool:stochastic on negative input) gets the stage in front.
    Tensor run(Tensor input, const std::function<void(const StageResult&)>& observer) const;

    /// 4 * 128 megapixels: the largest intermediate accepted by default.
    static constexpr std::size_t kDefaultMaxElements = std::size_t{4} * 128 * 1000 * 1000;

private:
    std::vector<Stage> m_stages;
    Semantics m_semantics = Semantics::torch;
};

}  // namespace convpool
