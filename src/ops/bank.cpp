// bank - a filter bank: one output channel per input channel and filter.
#include "convpool/core/error.hpp"
#include "convpool/core/format.hpp"
#include "convpool/pipeline/op.hpp"

#include <fmt/format.h>

#include <string_view>

#include "ops/common/convolution.hpp"
#include "ops/common/filters.hpp"

namespace convpool::ops {
namespace {

class Bank final : public Op {
public:
    explicit Bank(const Params& params) : m_settings(params) {
        const auto& texts = params.list("filters");
        const auto& entries = params.entries("filters");
        for (std::size_t i = 0; i < texts.size(); ++i) {
            m_kernels.push_back(entry_kernel(params, entries[i]));
            m_names.push_back(texts[i]);
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

    /// Output channel c*F+f reads input channel c with filter f. Filters of different sizes
    /// read different windows: then the stage is drawn as a map.
    [[nodiscard]] std::optional<Correlation> correlation(const Shape& in) const override {
        for (const auto& kernel : m_kernels) {
            if (kernel.rows != m_kernels.front().rows || kernel.cols != m_kernels.front().cols) {
                return std::nullopt;
            }
        }
        Correlation k = m_settings.correlation(in.height, in.width, m_kernels.front());
        for (int c = 0; c < in.channels; ++c) {
            for (const auto& kernel : m_kernels) {
                k.terms.push_back({{c, kernel}});
                k.biases.push_back(k.bias);
            }
        }
        return k;
    }

private:
    /// The kernel of one entry: `kernel(...)`'s weights, or a named filter with the entry's own
    /// k and sigma, else the stage's.
    static Matrix entry_kernel(const Params& params, const Params& entry) {
        const std::string& name = entry.op();
        if (name == "kernel") {
            if (!entry.has("weights")) {
                throw UsageError(
                    "bank: filters: kernel needs its weights: kernel([1 0 -1; 2 0 -2; 1 0 -1]) "
                    "or kernel(@k.npy)");
            }
            return entry.matrix("weights");
        }
        if (!entry.given("k") && !entry.given("sigma")) {
            return filter_kernel(params, name, false);
        }
        const Size2 k = entry.given("k")                           ? entry.size("k")
                        : params.has("k") && kernel_has_size(name) ? params.size("k")
                                                                   : Size2{0, 0};
        const double sigma = entry.given("sigma")  ? entry.number("sigma")
                             : params.has("sigma") ? params.number("sigma")
                                                   : 0.0;
        return named_kernel(name, k, sigma);
    }

    ConvSettings m_settings;
    std::vector<Matrix> m_kernels;
    std::vector<std::string> m_names;
};

/// The arguments a bank entry takes in parentheses: `kernel(WEIGHTS)`, and k and sigma for the
/// filters that have them (`gaussian(k=7,sigma=2)`).
std::vector<ParamSpec> entry_specs(std::string_view filter) {
    if (filter == "kernel") {
        return {{.name = "weights",
                 .type = ParamType::array,
                 .help = "the kernel: [1 0 -1; 2 0 -2; 1 0 -1], @k.npy or @w.npz:KEY"}};
    }
    std::vector<ParamSpec> out;
    for (auto& spec : conv_param_specs()) {
        if ((spec.name == "k" && kernel_has_size(filter)) ||
            (spec.name == "sigma" && (filter == "gaussian" || filter == "log"))) {
            out.push_back(std::move(spec));
        }
    }
    return out;
}

std::vector<std::string> filter_choices() {
    std::vector<std::string> choices = kernel_names();
    choices.emplace_back("kernel");
    return choices;
}

std::vector<ParamSpec> specs() {
    std::vector<ParamSpec> specs{
        {.name = "filters",
         .type = ParamType::list,
         .help = "named kernels, comma separated: bank:sobel-x,sobel-y; an entry may take its "
                 "own k and sigma, gaussian(k=7,sigma=2), and kernel(...) is a custom kernel: "
                 "kernel([1 0 -1]), kernel(@k.npy)",
         .choices = filter_choices(),
         .entry_params = &entry_specs}};
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
            "has them, unless an entry gives its own in parentheses.",
        .params = specs(),
        .make = &make_op<Bank>,
        .example = "bank:sobel-x,sobel-y"};
    return info;
}

}  // namespace convpool::ops
