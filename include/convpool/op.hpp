#pragma once
/// \file op.hpp
/// Op (one pipeline stage), OpInfo (its declaration) and make_op (the factory).

#include <memory>
#include <string>
#include <vector>

#include "convpool/params.hpp"
#include "convpool/tensor.hpp"

namespace convpool {

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
    /// Facts worth telling about this stage on this input (ceil rule, uncovered borders).
    [[nodiscard]] virtual std::vector<std::string> notes(const Shape& /*in*/) const { return {}; }
};

/// Declaration of an op: its CLI name, help and parameters. One per op, read-only.
struct OpInfo {
    std::string name;     ///< CLI name, e.g. `pool:max`
    std::string summary;  ///< one line for `convpool ops`
    std::string details;  ///< extra paragraph for `convpool ops NAME` (may be empty)
    std::vector<ParamSpec> params;
    std::unique_ptr<Op> (*make)(const Params&) = nullptr;
};

/// Factory used in OpInfo::make.
template <typename T>
[[nodiscard]] std::unique_ptr<Op> make_op(const Params& params) {
    return std::make_unique<T>(params);
}

}  // namespace convpool
