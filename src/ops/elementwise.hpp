#pragma once
// Stages that map every value on its own (relu, sigmoid, ...): shape in = shape out.

#include "convpool/op.hpp"

namespace convpool::ops {

/// Applies `F` (float -> float) to every value.
template <typename F>
class Elementwise final : public Op {
public:
    explicit Elementwise(F f) : m_f(std::move(f)) {}
    [[nodiscard]] Shape output_shape(const Shape& in) const override { return in; }
    [[nodiscard]] Tensor apply(const Tensor& in) const override {
        Tensor out(in.shape());
        const auto src = in.data();
        auto dst = out.data();
        for (std::size_t i = 0; i < src.size(); ++i) {
            dst[i] = m_f(src[i]);
        }
        return out;
    }

private:
    F m_f;
};

/// Makes an Elementwise op from a function object.
template <typename F>
[[nodiscard]] std::unique_ptr<Op> make_elementwise(F f) {
    return std::make_unique<Elementwise<F>>(std::move(f));
}

}  // namespace convpool::ops
