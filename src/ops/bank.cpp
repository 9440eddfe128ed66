// bank - a filter bank: one output channel per input channel and filter.
#include "convpool/core/error.hpp"
#include "convpool/core/format.hpp"
#include "convpool/pipeline/op.hpp"

#include <fmt/format.h>

#include <algorithm>
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
            if (entries[i].has("orientations") || entries[i].has("scales")) {
                add_generated(params, entries[i]);
                continue;
            }
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

    [[nodiscard]] std::optional<Kernels> kernels() const override {
        return Kernels{.inputs = 1, .kernels = m_kernels, .names = m_names};
    }

    /// Output channel c*F+f is filter f's name, after input channel c's when there are several
    /// (`R:sobel-x`).
    [[nodiscard]] std::vector<std::string> channel_names(const std::vector<std::string>& names,
                                                         const Shape& in, const Shape& /*out*/,
                                                         const Tensor* /*values*/) const override {
        const std::vector<std::string> inputs = static_cast<int>(names.size()) == in.channels
                                                    ? names
                                                    : numbered_channel_names(in.channels);
        std::vector<std::string> out;
        out.reserve(inputs.size() * m_names.size());
        for (const auto& input : inputs) {
            for (const auto& filter : m_names) {
                out.push_back(inputs.size() > 1 ? fmt::format("{}:{}", input, filter) : filter);
            }
        }
        return out;
    }

private:
    /// The filter named by `entry` with its own arguments, else the stage's, else the filter's
    /// defaults.
    static FilterArgs entry_args(const Params& params, const Params& entry) {
        FilterArgs args;
        for (const auto& name : kernel_params(entry.op())) {
            const Params* from = entry.given(name) ? &entry : params.has(name) ? &params : nullptr;
            if (from != nullptr) {
                args.set(name, name == "k" ? 0.0 : from->number(name),
                         name == "k" ? from->size(name) : Size2{});
            }
        }
        return args;
    }

    /// The kernel of one entry: `kernel(...)`'s weights, or a named filter with its arguments.
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
        return named_kernel(name, entry_args(params, entry));
    }

    /// A generated bank, `gabor(orientations=8,scales=2)`: its kernels in order, each named
    /// with its own arguments.
    void add_generated(const Params& params, const Params& entry) {
        const int orientations = entry.has("orientations") ? entry.integer("orientations") : 1;
        const int scales = entry.has("scales") ? entry.integer("scales") : 1;
        if (entry.given("theta") && orientations > 1) {
            throw UsageError(
                "bank: filters: gabor: theta and orientations: the orientations are spread "
                "evenly over [0, 180); give one or the other");
        }
        FilterArgs args = entry_args(params, entry);
        if (orientations > 1) {
            args.theta = 0.0;  // the spread, whatever the stage's theta says
        }
        auto bank = gabor_bank(args, orientations, scales);
        for (std::size_t i = 0; i < bank.kernels.size(); ++i) {
            m_kernels.push_back(std::move(bank.kernels[i]));
            m_names.push_back(std::move(bank.names[i]));
        }
    }

    ConvSettings m_settings;
    std::vector<Matrix> m_kernels;
    std::vector<std::string> m_names;
};

/// The arguments a bank entry takes in parentheses: `kernel(WEIGHTS)`, the parameters of the
/// filters that have them (`gaussian(k=7,sigma=2)`, `gabor(theta=45)`), and gabor's
/// orientations and scales for a generated bank.
std::vector<ParamSpec> entry_specs(std::string_view filter) {
    if (filter == "kernel") {
        return {{.name = "weights",
                 .type = ParamType::array,
                 .help = "the kernel: [1 0 -1; 2 0 -2; 1 0 -1], @k.npy or @w.npz:KEY"}};
    }
    std::vector<ParamSpec> out;
    const auto takes = kernel_params(filter);
    for (auto& spec : conv_param_specs()) {
        if (std::find(takes.begin(), takes.end(), spec.name) != takes.end()) {
            out.push_back(std::move(spec));
        }
    }
    if (filter == "gabor") {
        out.push_back({.name = "orientations",
                       .type = ParamType::integer,
                       .help = "a generated bank: this many thetas evenly over [0, 180)",
                       .min = 1,
                       .max = 64});
        out.push_back({.name = "scales",
                       .type = ParamType::integer,
                       .help = "a generated bank: this many scales, each multiplying sigma and "
                               "lambda by sqrt(2)",
                       .min = 1,
                       .max = 8});
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
                 "own arguments, gaussian(k=7,sigma=2), gabor(theta=45,lambda=6); "
                 "gabor(orientations=8,scales=2) is a generated bank of 16 Gabor kernels; and "
                 "kernel(...) is a custom kernel: kernel([1 0 -1]), kernel(@k.npy)",
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
            "Takes the same parameters as conv; k, sigma, theta, lambda, gamma, psi, sigma1 "
            "and sigma2 apply to every filter that has them, unless an entry gives its own in "
            "parentheses. A generated bank gabor(orientations=O,scales=S) adds O x S filters, "
            "scale-major: filter s*O + o has theta = o*180/O degrees and sigma and lambda "
            "multiplied by sqrt(2)^s, k unchanged.",
        .params = specs(),
        .make = &make_op<Bank>,
        .example = "bank:sobel-x,sobel-y"};
    return info;
}

}  // namespace convpool::ops
