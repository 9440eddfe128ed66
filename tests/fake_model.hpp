#pragma once
// A Model for tests of the `model` stage without a model file or OpenCV: layer "" (the model's
// output) gives its input back, layer "double" twice its input; node "/double/Mul" and tensor
// "double_out" name that layer too. Declares `channels` input channels (0: any).

#include "convpool/core/error.hpp"
#include "convpool/core/model.hpp"
#include "convpool/core/params.hpp"

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace test {

class FakeModel final : public convpool::Model {
public:
    explicit FakeModel(int channels) : m_channels(channels) {}

    [[nodiscard]] std::string resolve(std::string_view name) const override {
        if (name.empty()) {
            return {};
        }
        if (name == "double" || name == "/double/Mul" || name == "double_out") {
            return "double";
        }
        throw convpool::UsageError("model: output: '" + std::string(name) + "' is unknown");
    }
    [[nodiscard]] convpool::Shape input_shape() const override { return {m_channels, 0, 0}; }
    [[nodiscard]] std::vector<convpool::ModelLayer> layers(
        const convpool::Shape& in) const override {
        return {
            {"double", "Mul", "/double/Mul", "double_out", {1, in.channels, in.height, in.width}}};
    }
    [[nodiscard]] convpool::Shape output_shape(const convpool::Shape& in,
                                               const std::string& /*layer*/) const override {
        return in;
    }
    [[nodiscard]] convpool::Tensor run(const convpool::Tensor& in,
                                       const std::string& layer) const override {
        convpool::Tensor out = in;
        if (layer == "double") {
            for (float& v : out.data()) {
                v *= 2.0F;
            }
        }
        return out;
    }

private:
    int m_channels;
};

/// A ParseContext whose models are FakeModel(channels), whatever the path.
inline convpool::ParseContext fake_model_context(int channels = 0) {
    convpool::ParseContext context;
    context.load_model = [channels](const std::string& /*path*/) {
        return std::make_shared<const FakeModel>(channels);
    };
    return context;
}

}  // namespace test
