#pragma once
/// \file op.hpp
/// Op (one pipeline stage), OpInfo (its declaration) and make_op (the factory).

#include "convpool/core/geometry.hpp"
#include "convpool/core/params.hpp"
#include "convpool/core/tensor.hpp"
#include "convpool/pipeline/activation.hpp"
#include "convpool/pipeline/epilogue.hpp"

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace convpool {

/// Where each value of a max pool came from: PyTorch's `return_indices`, Zeiler & Fergus's
/// "switches". Recorded by `pool:max,switches` (and `pool:fractional,switches`), read by `unpool`.
struct Switches {
    Shape input;   ///< shape of the pooling stage's input
    Shape output;  ///< shape of its output
    /// Per output value (C x H x W order): flat index y*W+x of the winner within its input
    /// channel, as torch; -1 when the window held no input cell.
    std::vector<std::int64_t> index;
    /// Per output value: which tap of its window won, ty*window.w + tx (taps counted from the
    /// window's first tap, padding included, `dilation` apart); -1 when none.
    std::vector<int> offset;
    Size2 window;  ///< taps per window (the largest window for fractional regions)
    /// Input height x width values: how many windows read each input cell (the same for every
    /// channel). 0 marks cells no window reads; above 1, overlap.
    std::vector<int> coverage;
};

/// Pooling regions along each axis, for pools whose regions are not a plain sliding window
/// (fractional pooling). Recorded in the report.
struct RegionSequences {
    std::string variant;          ///< e.g. `pseudo`, `random`, `torch`
    double u_rows = 0.0;          ///< the sample u used for rows (pseudo, torch)
    double u_cols = 0.0;          ///< and for columns
    std::uint64_t seed = 0;       ///< the seed that drew u or shuffled the increments
    std::vector<int> row_starts;  ///< first input row of each output row
    std::vector<int> row_sizes;   ///< rows read by each output row
    std::vector<int> col_starts;
    std::vector<int> col_sizes;
};

/// What a correlation stage (conv) reads and weighs, for `explain`: its window over the input
/// (padding resolved), the kernel's taps, and which input cell each padded coordinate reads
/// (its border mode: -1 for a zero cell).
struct Correlation {
    Window window;
    Matrix kernel;       ///< kernel.rows x kernel.cols taps, row major
    float scale = 1.0F;  ///< output = scale * sum + bias
    float bias = 0.0F;
    std::vector<int> rows;  ///< per padded row (pad_begin + H + pad_end): input row, or -1
    std::vector<int> cols;  ///< per padded column: input column, or -1
    /// One input channel correlated with its own kernel, a part of an output channel's sum.
    struct Term {
        int input = 0;
        Matrix kernel;
    };
    /// For stages whose output channels read input channels each with their own kernels
    /// (`conv:weights` sums its group's inputs; `bank` reads one input per filter): per output
    /// channel, its terms, and `biases` per output channel (then `bias` is unused). Empty for a
    /// depthwise `conv`, where output channel c reads input channel c with `kernel`.
    std::vector<std::vector<Term>> terms;
    std::vector<float> biases;
};

/// One pipeline stage. Ops are immutable after construction and pure: `apply` has no effects.
class Op {
public:
    Op() = default;
    virtual ~Op() = default;
    Op(const Op&) = delete;
    Op& operator=(const Op&) = delete;
    Op(Op&&) = delete;
    Op& operator=(Op&&) = delete;

    /// Shape of `apply(x)` for an input of shape `in`; throws ShapeError when it cannot fit.
    [[nodiscard]] virtual Shape output_shape(const Shape& in) const = 0;
    /// Runs the stage. Assumes `output_shape(in.shape())` succeeded.
    [[nodiscard]] virtual Tensor apply(const Tensor& in) const = 0;
    /// The same result as apply(in), for a caller that no longer needs `in`: a stage whose
    /// output has the input's shape may write it in place (elementwise stages) or pass the
    /// input on (gray of one channel), saving an allocation and a pass over memory.
    // NOLINTNEXTLINE(performance-unnecessary-value-param): by value, for overrides to reuse it
    [[nodiscard]] virtual Tensor apply_owned(Tensor in) const { return apply(in); }
    /// Facts worth telling about this stage on this input (ceil rule, uncovered borders).
    [[nodiscard]] virtual std::vector<std::string> notes(const Shape& /*in*/) const { return {}; }
    /// Pooling regions, for ops whose regions are not a plain sliding window.
    [[nodiscard]] virtual std::optional<RegionSequences> regions(const Shape& /*in*/) const {
        return std::nullopt;
    }

    /// The input cells each output cell reads, for pooling stages (sliding, adaptive, global and
    /// fractional windows): what `probe` measures information loss over. None for other stages.
    [[nodiscard]] virtual std::optional<WindowPlans> windows(const Shape& /*in*/) const {
        return std::nullopt;
    }
    /// True when every output value is one of its window's input values (max, min and
    /// fractional pooling, stochastic pooling in training).
    [[nodiscard]] virtual bool picks_input() const { return false; }
    /// The arithmetic of one output value of a pooling stage written out, for `explain`:
    /// `values` are the input cells its window reads (row-major), `counted` its taps with the
    /// padding (as reduce_windows counts them), `result` the output value; e.g.
    /// `(5 + 6 + 7 + 9) / 4 = 6.75`. Empty when the stage has no formula to show.
    [[nodiscard]] virtual std::string arithmetic(std::span<const float> /*values*/, int /*counted*/,
                                                 float /*result*/) const {
        return {};
    }
    /// The correlation a convolution stage computes on an input of shape `in`, for `explain`
    /// (the multiply-accumulate of an output cell); none for other stages.
    [[nodiscard]] virtual std::optional<Correlation> correlation(const Shape& /*in*/) const {
        return std::nullopt;
    }

    /// The kernels of a stage that has several of its own (bank, conv:weights), for its
    /// weights picture and `convpool kernel`: output-major, `inputs` kernels per output
    /// (conv:weights: C_in/groups, its kernels as the weights hold them; bank: 1, each filter
    /// read by every input channel), and one name per output (`gabor(theta=45)`, `c0`).
    struct Kernels {
        int inputs = 1;
        std::vector<Matrix> kernels;
        std::vector<std::string> names;
    };
    /// None for stages without such kernels.
    [[nodiscard]] virtual std::optional<Kernels> kernels() const { return std::nullopt; }

    /// The names of the output channels (of shape `out`) on an input of shape `in` whose
    /// channels are named `names` (one per input channel): `R`, `G`, `B`, `Y`, `R:sobel-x`,
    /// `c17`. `values` are the
    /// input's values when the run has them, else null; only a stage that picks channels by
    /// their values (select:top) reads them. The default: a stage with its own kernels names
    /// each output after its kernel (kernels(): conv:weights' `c0`, `c1`, ...), a stage that
    /// keeps the channel count keeps the names, any other numbers its outputs `c0`, `c1`, ...
    [[nodiscard]] virtual std::vector<std::string> channel_names(
        const std::vector<std::string>& names, const Shape& in, const Shape& out,
        const Tensor* values) const;
    /// True when every output value stays within the range of the input's values, or between
    /// them and 0 (as average pooling's counted padding): gray; every pool that picks a cell
    /// (max, min, median, fractional, stochastic) or takes a weighted mean whose weights sum to
    /// 1 (avg without a divisor, soft, gem, mixed, blur, maxblur, spp, adaptive and global);
    /// select, nearest and bilinear upsample, unpool. Not lp (a sum), conv, bank, bn, norm or
    /// the activations. An image stays an image through them: `run` and `compare` draw its
    /// picture as the input's is (gray, or RGB), in the same map.
    [[nodiscard]] virtual bool keeps_range() const { return false; }

    /// True when apply_u8 runs this stage on an 8-bit interleaved image of shape `in`: for the
    /// stages that only pick input values (max and min pooling, not with `switches`) whose
    /// every window reads at least one input cell (8 bits have no -inf for a window of padding).
    [[nodiscard]] virtual bool runs_u8(const Shape& /*in*/) const { return false; }
    /// The stage on an 8-bit interleaved image, without converting it to float: the values
    /// apply() gives on the same image as float, kept in 8 bits and interleaved. Call only when
    /// runs_u8(in.shape()).
    [[nodiscard]] virtual ImageU8 apply_u8(const ImageU8& in) const;

    /// The rule of an elementwise stage that the stage before it may apply to its output as it
    /// writes it (relu, abs, leaky-relu); none for other stages.
    [[nodiscard]] virtual std::optional<Activation> activation() const { return std::nullopt; }
    /// True when apply_activated runs this stage on an input of shape `in` (conv).
    [[nodiscard]] virtual bool fuses_activation(const Shape& /*in*/) const { return false; }
    /// apply(in) with `a` applied to every output value as it is written, in the same pass:
    /// bit for bit the values of this stage followed by the elementwise stage `a` stands for.
    /// Call only when fuses_activation(in.shape()).
    [[nodiscard]] virtual Tensor apply_activated(const Tensor& in, const Activation& a) const;
    /// A stage that maps every value to x * scale[c] + shift[c] per channel (bn): its factors for
    /// an input of shape `in`, so that a convolution before it can fold them into its weights.
    [[nodiscard]] virtual std::optional<ChannelAffine> channel_affine(const Shape& /*in*/) const {
        return std::nullopt;
    }
    /// True when apply_fused runs this stage with epilogue `e` on an input of shape `in`
    /// (conv:weights); with an empty `e`, whether it absorbs any epilogue at all.
    [[nodiscard]] virtual bool fuses(const Shape& /*in*/, const Epilogue& /*e*/) const {
        return false;
    }
    /// The output of this stage followed by the stages `e` stands for, in one pass, equal to
    /// them within float rounding (the affine folded into the weights). Call only when
    /// fuses(in.shape(), e).
    [[nodiscard]] virtual Tensor apply_fused(const Tensor& in, const Epilogue& e) const;

    /// A stage whose output is a vector per channel (Cx1xN) made of consecutive parts, e.g.
    /// spp's pyramid levels: each part's label and cell count, in order (their counts sum to
    /// N). Empty for a stage whose output is a map. Its picture is a bar chart per part.
    struct VectorPart {
        std::string label;
        int cells = 0;
    };
    [[nodiscard]] virtual std::vector<VectorPart> vector_parts() const { return {}; }

    /// How a stage takes part in switches: most stages do not; a max pool asked for them
    /// records them; `unpool` consumes the last ones recorded.
    enum class SwitchRole { none, records, consumes };
    [[nodiscard]] virtual SwitchRole switch_role() const { return SwitchRole::none; }
    /// `records`: the same as apply(in), and fills `switches`.
    [[nodiscard]] virtual Tensor apply_recording(const Tensor& in, Switches& switches) const;
    /// `consumes`: output shape given the recorded switches' shapes; throws ShapeError.
    [[nodiscard]] virtual Shape switched_output_shape(const Shape& in, const Shape& pooled_input,
                                                      const Shape& pooled_output) const;
    /// `consumes`: runs the stage with the switches recorded earlier.
    [[nodiscard]] virtual Tensor apply_switched(const Tensor& in, const Switches& switches) const;
};

/// `c0`, `c1`, ... `c{n-1}`: the names of channels that have no other (a .npy input's, a model's).
[[nodiscard]] std::vector<std::string> numbered_channel_names(int n);

/// How `compare` and `probe --modes` write a pooling op as one of their modes, from their -k,
/// -s, --pad and --ceil. The mode's name is the op's without `pool:`.
enum class ModeForm {
    none,         ///< not a mode of compare and probe
    window,       ///< `pool:NAME,k=K,s=S[,pad=P][,ceil]`
    output_size,  ///< `pool:NAME,out=HxW`: the output size pool:max gives with that window
    stride,       ///< `pool:NAME,s=S`: a pool with no window parameter (pool:blur)
    vector,       ///< `pool:NAME` with its own defaults: a vector per channel (pool:spp), not a map
};

/// An op as a mode of compare and probe. An op with a `seed` parameter gets `seed=` from
/// their --seed.
struct ModeDecl {
    ModeForm form = ModeForm::none;
    std::string extra;                 ///< more arguments of the mode's stage (`negative=clip`)
    bool compared_by_default = false;  ///< one of compare's default --modes
};

/// Declaration of an op: its CLI name, help and parameters, and what the rest of the program
/// asks of it. One per op, read-only.
struct OpInfo {
    std::string name;     ///< CLI name, e.g. `pool:max`
    std::string summary;  ///< one line for `convpool ops`
    std::string details;  ///< extra paragraph for `convpool ops NAME` (may be empty)
    std::vector<ParamSpec> params;
    std::unique_ptr<Op> (*make)(const Params&) = nullptr;
    /// A stage of this op that runs as written (or a short pipeline ending in it, for an op
    /// that needs one before it); "" means the bare name. Tests run every op's example.
    std::string example;
    ModeDecl mode;  ///< as a mode of compare and probe
    /// The output depends on the input's luminance only (gray): a pipeline starting with it
    /// may decode a JPEG to its Y plane alone.
    bool luminance_only = false;
};

/// Factory used in OpInfo::make.
template <typename T>
[[nodiscard]] std::unique_ptr<Op> make_op(const Params& params) {
    return std::make_unique<T>(params);
}

}  // namespace convpool
