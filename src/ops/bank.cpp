// bank - a filter bank: one output channel per input channel and filter.
#include "convpool/core/error.hpp"
#include "convpool/core/format.hpp"
#include "convpool/pipeline/op.hpp"

#include <fmt/format.h>

#include "ops/common/convolution.hpp"
#include "ops/common/filters.hpp"

namespace convpool::ops {
namespace {

class Bank final : public Op {
public:
    explicit Bank(const Params& params) : m_settings(params) {
        for (const auto& name : params.list("filters")) {
            m_kernels.push_back(filter_kernel(params, name, false));
            m_names.push_back(name);
        }
    }
    [[nodiscard]] Shape output_shape(const Shape& in) const override {
        Size2 first{};
        for (std::size_t f = 0; f < m_kernels.size(); ++f) {
            const Size2 o =
                m_settings.output_size(in.height, in.width, m_kernels[f].rows, m_kernels[f].cols);
            if (f == 0) {
                first = o;
            } else if (!(o == first)) {
                throw ShapeError(fmt::format(
                    "bank: filters '{}' and '{}' give different output sizes ({}x{} and {}x{}); "
                    "use pad=same",
                    m_names.front(), m_names[f], first.h, first.w, o.h, o.w));
            }
        }
        return {in.channels * static_cast<int>(m_kernels.size()), first.h, first.w};
    }
    [[nodiscard]] Tensor apply(const Tensor& in) const override {
        Tensor out(output_shape(in.shape()));
        const int filters = static_cast<int>(m_kernels.size());
        for (int c = 0; c < in.shape().channels; ++c) {
            for (int f = 0; f < filters; ++f) {
                m_settings.correlate(in.channel(c), in.shape().height, in.shape().width,
                                     m_kernels[static_cast<std::size_t>(f)],
                                     out.channel(c * filters + f));
            }
        }
        return out;
    }

private:
    ConvSettings m_settings;
    std::vector<Matrix> m_kernels;
    std::vector<std::string> m_names;
};

std::vector<ParamSpec> specs() {
    std::vector<ParamSpec> specs{{.name = "filters",
                                  .type = ParamType::list,
                                  .help = "named kernels, comma separated: bank:sobel-x,sobel-y",
                                  .choices = kernel_names()}};
    for (auto& spec : conv_param_specs()) {
        specs.push_back(std::move(spec));
    }
    return specs;
}

}  // namespace

const OpInfo& bank_info() {
    static const OpInfo info{
        .name = "bank",
        .summary = "filter bank: channel c*F+f is input channel c correlated with filter f",
        .details =
            "Takes the same parameters as conv; k and sigma apply to every filter that "
            "has them.",
        .params = specs(),
        .make = &make_op<Bank>,
        .example = "bank:sobel-x,sobel-y"};
    return info;
}

}  // namespace convpool::ops
