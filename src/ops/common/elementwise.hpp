#pragma once
// Stages that map every value on its own (relu, sigmoid, ...): shape in = shape out.

#include "convpool/core/parallel.hpp"
#include "convpool/pipeline/activation.hpp"
#include "convpool/pipeline/op.hpp"

#include <optional>
#include <span>

namespace convpool::ops {

/// Applies `F` (float -> float) to every value. `fused`, when set, is the same rule as an
/// Activation, for the stage before to apply as it writes its output.
template <typename F>
class Elementwise final : public Op {
public:
    explicit Elementwise(F f, std::optional<Activation> fused = std::nullopt)
        : m_f(std::move(f)), m_fused(fused) {}
    [[nodiscard]] Shape output_shape(const Shape& in) const override { return in; }
    [[nodiscard]] std::optional<Activation> activation() const override { return m_fused; }
    [[nodiscard]] Tensor apply(const Tensor& in) const override {
        Tensor out(in.shape(), uninitialized);
        map(in.data(), out.data());
        return out;
    }
    [[nodiscard]] Tensor apply_owned(Tensor in) const override {
        map(in.data(), in.data());
        return in;
    }

private:
    /// dst[i] = f(src[i]); src and dst may be the same values.
    void map(std::span<const float> src, std::span<float> dst) const {
        parallel_for(src.size(), kMinBytesPerThread / (2 * sizeof(float)),
                     [&](std::size_t begin, std::size_t end) {
                         for (std::size_t i = begin; i < end; ++i) {
                             dst[i] = m_f(src[i]);
                         }
                     });
    }

    F m_f;
    std::optional<Activation> m_fused;
};

/// Makes an Elementwise op from a function object; `fused`: see Elementwise.
template <typename F>
[[nodiscard]] std::unique_ptr<Op> make_elementwise(F f,
                                                   std::optional<Activation> fused = std::nullopt) {
    return std::make_unique<Elementwise<F>>(std::move(f), fused);
}

}  // namespace convpool::ops
