// model - run an ONNX model (or its prefix up to a named layer) on the current tensor.
#include "convpool/core/model.hpp"

#include "convpool/core/error.hpp"
#include "convpool/pipeline/op.hpp"
#include "convpool/pipeline/registry.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstddef>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace convpool::ops {
namespace {

class ModelStage final : public Op {
public:
    explicit ModelStage(const Params& params) {
        if (!params.has("file")) {
            throw UsageError("model: give the model file: model:FILE.onnx");
        }
        const ModelFile& file = params.model("file");
        m_file = file.source;
        m_model = file.model;
        m_layer = m_model->resolve(params.has("output") ? params.text("output") : std::string());
        if (params.has("mean")) {
            m_mean = params.values("mean").values;
        }
        if (params.has("std")) {
            m_std = params.values("std").values;
        }
        m_swap = params.flag("swap-rb");
        if (params.has("size")) {
            const Size2 size = params.size("size");
            const OpInfo& upsample = find_op("upsample");
            m_resize = upsample.make(
                Params("upsample", upsample.params,
                       {{"size", fmt::format("{}x{}", size.h, size.w)}, {"mode", "bilinear"}}));
        }
    }

    [[nodiscard]] Shape output_shape(const Shape& in) const override {
        const Shape fed = fed_shape(in);
        return m_model->output_shape(fed, m_layer);
    }

    [[nodiscard]] Tensor apply(const Tensor& in) const override {
        if (!m_resize && !m_swap && m_mean.empty() && m_std.empty()) {
            return m_model->run(in, m_layer);  // nothing to do first: no copy of the input
        }
        Tensor x = m_resize ? m_resize->apply(in) : in;
        const Shape shape = x.shape();
        if (m_swap) {
            std::swap_ranges(x.channel(0).begin(), x.channel(0).end(), x.channel(2).begin());
        }
        for (int c = 0; c < shape.channels; ++c) {
            const float mean = per_channel(m_mean, c, 0.0);
            const float std = per_channel(m_std, c, 1.0);
            if (mean == 0.0F && std == 1.0F) {
                continue;
            }
            for (float& v : x.channel(c)) {
                v = (v - mean) / std;  // as torchvision's Normalize, in float
            }
        }
        return m_model->run(x, m_layer);
    }

    [[nodiscard]] std::vector<std::string> notes(const Shape& /*in*/) const override {
        return {fmt::format("{} up to {}", m_file, m_layer.empty() ? "its output" : m_layer)};
    }

    /// A model's channels are its own: `c0`, `c1`, ... whatever the input's names.
    [[nodiscard]] std::vector<std::string> channel_names(const std::vector<std::string>& /*names*/,
                                                         const Shape& /*in*/, const Shape& out,
                                                         const Tensor* /*values*/) const override {
        return numbered_channel_names(out.channels);
    }

private:
    /// The shape given to the model, checked: after the resize, channels as the model declares
    /// and as many as mean, std and swap-rb need.
    [[nodiscard]] Shape fed_shape(const Shape& in) const {
        const Shape fed = m_resize ? m_resize->output_shape(in) : in;
        const int declared = m_model->input_shape().channels;
        if (declared > 0 && declared != fed.channels) {
            throw ShapeError(fmt::format("model: {} takes {} input channel{}, the input has {}",
                                         m_file, declared, declared == 1 ? "" : "s", fed.channels));
        }
        if (m_swap && fed.channels != 3) {
            throw ShapeError(
                fmt::format("model: swap-rb needs 3 channels, the input has {}", fed.channels));
        }
        for (const auto& [name, list] : {std::pair{"mean", &m_mean}, std::pair{"std", &m_std}}) {
            const auto n = static_cast<int>(list->size());
            if (n > 1 && n != fed.channels) {
                throw ShapeError(fmt::format("model: {} has {} values, the input has {} channels",
                                             name, n, fed.channels));
            }
        }
        return fed;
    }

    [[nodiscard]] static float per_channel(const std::vector<double>& list, int c, double none) {
        if (list.empty()) {
            return static_cast<float>(none);
        }
        return static_cast<float>(list.size() == 1 ? list.front()
                                                   : list[static_cast<std::size_t>(c)]);
    }

    std::string m_file;
    std::shared_ptr<const Model> m_model;
    std::string m_layer;
    std::vector<double> m_mean;
    std::vector<double> m_std;
    bool m_swap = false;
    std::unique_ptr<Op> m_resize;
};

}  // namespace

const OpInfo& model_info() {
    static const OpInfo info{
        .name = "model",
        .summary = "run an ONNX model, or its layers up to output=NAME, on the current tensor",
        .details =
            "Runs a model as torch.onnx.export writes it (OpenCV's dnn module, loaded only when a "
            "pipeline has a model stage) and outputs the feature maps of `output`: an OpenCV "
            "layer name, an ONNX node name or an ONNX tensor name, as `convpool layers FILE` "
            "lists them (default: the model's output; a 1-D output of K values is Kx1x1). Before "
            "the model: `size` resizes bilinearly (interpolate, align_corners=False), `swap-rb` "
            "exchanges channels 0 and 2 (BGR models), then (x - mean) / std per channel "
            "(convpool tensors are RGB in [0, 1]). A relative path starts from the @pipeline "
            "file's folder.",
        .params = {{.name = "file",
                    .type = ParamType::model,
                    .help = "the model: net.onnx, or @\"PATH\" for a path with ,|:()[] or spaces"},
                   {.name = "output",
                    .type = ParamType::text,
                    .help = "the layer, node or tensor whose output to give (default: the "
                            "model's output)"},
                   {.name = "mean",
                    .type = ParamType::values,
                    .help = "subtracted per channel before the model: [0.485 0.456 0.406]"},
                   {.name = "std",
                    .type = ParamType::values,
                    .help = "divides per channel before the model: [0.229 0.224 0.225]",
                    .min = 1e-30},
                   {.name = "size",
                    .type = ParamType::size,
                    .help = "resize to HxW first (bilinear)",
                    .min = 1,
                    .max = 1 << 16},
                   {.name = "swap-rb",
                    .type = ParamType::flag,
                    .default_value = "false",
                    .help = "exchange channels 0 and 2 first (models trained on BGR)",
                    .omit_default = true}},
        .make = &make_op<ModelStage>,
        .example = "model:net.onnx"};
    return info;
}

}  // namespace convpool::ops
