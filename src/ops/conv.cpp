// conv - 2-D cross-correlation of every channel with one kernel (depthwise), or a full
// convolution layer (torch.nn.Conv2d) with weights from a file. The kernel is NOT flipped, as in
// CNN layers and cv::filter2D.
#include "convpool/core/conv_engine.hpp"
#include "convpool/core/error.hpp"
#include "convpool/core/parallel.hpp"
#include "convpool/pipeline/op.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <memory>
#include <mutex>
#include <vector>

#include "ops/common/convolution.hpp"
#include "ops/common/filters.hpp"

namespace convpool::ops {
namespace {

class Conv final : public Op {
public:
    explicit Conv(const Params& params) : m_settings(params), m_kernel(kernel_of(params)) {
        if (params.per_channel("bias").values.size() != 1) {
            throw UsageError(
                "conv: bias: a list of values applies to weights=@FILE (one per output channel)");
        }
        if (params.given("groups")) {
            throw UsageError("conv: groups applies to weights=@FILE");
        }
    }
    [[nodiscard]] Shape output_shape(const Shape& in) const override {
        const Size2 o = m_settings.output_size(in.height, in.width, m_kernel.rows, m_kernel.cols);
        return {in.channels, o.h, o.w};
    }
    [[nodiscard]] Tensor apply(const Tensor& in) const override {
        return apply_activated(in, Activation{});
    }
    [[nodiscard]] std::optional<Correlation> correlation(const Shape& in) const override {
        return m_settings.correlation(in.height, in.width, m_kernel);
    }
    [[nodiscard]] bool fuses_activation(const Shape& /*in*/) const override { return true; }
    [[nodiscard]] Tensor apply_activated(const Tensor& in, const Activation& a) const override {
        Tensor out(output_shape(in.shape()), uninitialized);  // correlate writes every value
        for (int c = 0; c < in.shape().channels; ++c) {
            m_settings.correlate(in.channel(c), in.shape().height, in.shape().width, m_kernel,
                                 out.channel(c), a);
        }
        return out;
    }

private:
    static Matrix kernel_of(const Params& params) {
        const bool named = params.has("filter");
        const bool custom = params.has("kernel");
        if (named && custom) {
            throw UsageError("conv: give a filter name or kernel=[...], not both");
        }
        if (!named && !custom) {
            throw UsageError(
                "conv: give a filter name (conv:sobel-x), a kernel (conv:kernel=[1 0 -1]) or "
                "layer weights (conv:weights=@w.npy)");
        }
        if (custom) {
            const std::string given = given_filter_param(params);
            if (!given.empty()) {
                throw UsageError(
                    fmt::format("conv: {} applies to named filters, not to kernel=[...]", given));
            }
            return params.matrix("kernel");
        }
        return filter_kernel(params, params.text("filter"), true);
    }

    ConvSettings m_settings;
    Matrix m_kernel;
};

constexpr std::size_t kMaxChannels = 4096;
constexpr std::size_t kMaxKernelExtent = 63;

/// acc[x] += w[0] * taps[0][x] + w[1] * taps[1][x] + ... (added in that order) for x in [0, n):
/// one kernel row. Blocks of 8 outputs stay in registers across the taps; every output gets the
/// same additions in the same order as a plain loop over taps, then outputs.
void accumulate_row(float* acc, int n, const float* w, const float* const* taps, int count) {
    constexpr int kBlock = 8;
    int x = 0;
    for (; x + kBlock <= n; x += kBlock) {
        std::array<float, kBlock> r{};
        for (int j = 0; j < kBlock; ++j) {
            r[static_cast<std::size_t>(j)] = acc[x + j];
        }
        for (int k = 0; k < count; ++k) {
            const float wk = w[k];
            const float* src = taps[k] + x;
            for (int j = 0; j < kBlock; ++j) {
                r[static_cast<std::size_t>(j)] += wk * src[j];
            }
        }
        for (int j = 0; j < kBlock; ++j) {
            acc[x + j] = r[static_cast<std::size_t>(j)];
        }
    }
    for (; x < n; ++x) {
        float r = acc[x];
        for (int k = 0; k < count; ++k) {
            r += w[k] * taps[k][x];
        }
        acc[x] = r;
    }
}

/// torch.nn.Conv2d: weights (C_out, C_in/groups, kH, kW), output channel o reads the C_in/groups
/// input channels of its group (o / (C_out/groups)). Each output row is summed in float32 over
/// its input channels, kernel rows and kernel columns in that order, so every thread count gives
/// the same bits.
class LayerConv final : public Op {
public:
    explicit LayerConv(const Params& params)
        : m_settings(params),
          m_border(parse_border(params.text("border"))),
          m_weights(params.weights("weights")),
          m_groups(params.integer("groups")),
          m_scale(static_cast<float>(params.number("scale"))) {
        if (params.has("filter") || params.has("kernel")) {
            throw UsageError("conv: give a filter name, kernel=[...] or weights=@FILE, not two");
        }
        const std::string given = given_filter_param(params);
        if (!given.empty()) {
            throw UsageError(
                fmt::format("conv: {} applies to named filters, not to weights=@FILE", given));
        }
        const auto& shape = m_weights.shape;
        if (shape.size() != 4) {
            throw UsageError(fmt::format(
                "conv: weights: {}: array has {} dimension{}; expected 4, (C_out, C_in/groups, "
                "kH, kW) as torch.nn.Conv2d.weight",
                m_weights.source, shape.size(), shape.size() == 1 ? "" : "s"));
        }
        if (shape[0] > kMaxChannels || shape[1] > kMaxChannels || shape[2] > kMaxKernelExtent ||
            shape[3] > kMaxKernelExtent) {
            throw UsageError(fmt::format(
                "conv: weights: {}: shape ({}, {}, {}, {}) is too large (at most {} channels and "
                "a {}x{} kernel)",
                m_weights.source, shape[0], shape[1], shape[2], shape[3], kMaxChannels,
                kMaxKernelExtent, kMaxKernelExtent));
        }
        m_out_channels = static_cast<int>(shape[0]);
        m_group_inputs = static_cast<int>(shape[1]);
        m_kernel = {static_cast<int>(shape[2]), static_cast<int>(shape[3])};
        if (m_out_channels % m_groups != 0) {
            throw UsageError(fmt::format(
                "conv: groups: {} output channels (weights {}) do not split into {} groups",
                m_out_channels, m_weights.source, m_groups));
        }
        const NumberList bias = params.per_channel("bias");
        if (bias.values.size() != 1 && bias.values.size() != shape[0]) {
            throw UsageError(fmt::format(
                "conv: bias: {} values for {} output channels (weights {}); give one per output "
                "channel or one number",
                bias.values.size(), m_out_channels, m_weights.source));
        }
        for (int o = 0; o < m_out_channels; ++o) {
            m_bias.push_back(static_cast<float>(
                bias.values[bias.values.size() == 1 ? 0 : static_cast<std::size_t>(o)]));
        }
    }

    [[nodiscard]] Shape output_shape(const Shape& in) const override {
        if (in.channels != m_group_inputs * m_groups) {
            throw ShapeError(fmt::format(
                "conv: weights {} take {} input channel{} ({} per group x {} group{}); the input "
                "has {}",
                m_weights.source, m_group_inputs * m_groups,
                m_group_inputs * m_groups == 1 ? "" : "s", m_group_inputs, m_groups,
                m_groups == 1 ? "" : "s", in.channels));
        }
        const Size2 o = m_settings.output_size(in.height, in.width, m_kernel.h, m_kernel.w);
        return {m_out_channels, o.h, o.w};
    }
    [[nodiscard]] Tensor apply(const Tensor& in) const override {
        return apply_activated(in, Activation{});
    }
    [[nodiscard]] bool fuses_activation(const Shape& /*in*/) const override { return true; }
    [[nodiscard]] Tensor apply_activated(const Tensor& in, const Activation& a) const override {
        Epilogue e;
        e.activation = a;
        return apply_fused(in, e);
    }
    /// bn and an activation always (folded into the weights, applied by the loops or the
    /// library); a max pool only through the library.
    [[nodiscard]] bool fuses(const Shape& in, const Epilogue& e) const override {
        return !e.max_pool || engine_plan(in, e) != nullptr;
    }
    [[nodiscard]] Tensor apply_fused(const Tensor& in, const Epilogue& e) const override;
    /// Every output channel's sum over its group's input channels, each with its own kernel.
    [[nodiscard]] std::optional<Correlation> correlation(const Shape& in) const override {
        Correlation k;
        k.window = m_settings.window(in.height, in.width, m_kernel.h, m_kernel.w);
        k.rows = border_map(in.height, k.window.rows, m_border);
        k.cols = border_map(in.width, k.window.cols, m_border);
        k.scale = m_scale;
        const auto taps =
            static_cast<std::size_t>(m_kernel.h) * static_cast<std::size_t>(m_kernel.w);
        const int per_group = m_out_channels / m_groups;
        const float* w = m_weights.values.data();
        for (int o = 0; o < m_out_channels; ++o) {
            std::vector<Correlation::Term> terms;
            for (int ci = 0; ci < m_group_inputs; ++ci) {
                Matrix kernel{m_kernel.h, m_kernel.w, std::vector<float>(w, w + taps)};
                terms.push_back({(o / per_group) * m_group_inputs + ci, std::move(kernel)});
                w += taps;
            }
            k.terms.push_back(std::move(terms));
        }
        k.kernel = k.terms.front().front().kernel;  // the window's extent
        k.biases = m_bias;
        return k;
    }

    [[nodiscard]] std::optional<Kernels> kernels() const override {
        Kernels k{.inputs = m_group_inputs, .kernels = {}, .names = {}};
        const auto taps =
            static_cast<std::size_t>(m_kernel.h) * static_cast<std::size_t>(m_kernel.w);
        const float* w = m_weights.values.data();
        for (int o = 0; o < m_out_channels; ++o) {
            for (int ci = 0; ci < m_group_inputs; ++ci) {
                k.kernels.push_back({m_kernel.h, m_kernel.w, std::vector<float>(w, w + taps)});
                w += taps;
            }
            k.names.push_back(fmt::format("c{}", o));
        }
        return k;
    }

private:
    /// The input padded by the border rule, each padded row stored as `stride` phases (column c
    /// at (c % stride) * phase + c / stride), so that every kernel tap reads a contiguous run.
    struct Padded {
        std::vector<float> values;
        int rows = 0;     ///< padded rows per channel
        int phase = 0;    ///< cells per phase
        int row_len = 0;  ///< stride * phase
    };
    [[nodiscard]] Padded pad_input(const Tensor& in, const Window& win) const;
    /// The hand-written loops with these weights and biases (the reference; the fallback when
    /// the library is missing or cannot run the layer).
    [[nodiscard]] Tensor loops(const Tensor& in, const float* weights,
                               const std::vector<float>& bias, const Activation& a) const;
    /// Weights and biases with `affine` folded in (w * scale[o], bias * scale[o] + shift[o]),
    /// and with `with_scale` also the stage's `scale` (for the library, which has none).
    [[nodiscard]] std::pair<std::vector<float>, std::vector<float>> folded(
        const std::optional<ChannelAffine>& affine, bool with_scale) const;
    /// The library's plan for input `in` with `e`, made once and kept; null when there is no
    /// library or it cannot run this layer (a border other than zero, an activation other than
    /// relu and leaky-relu, a window it refuses).
    [[nodiscard]] std::shared_ptr<const ConvPlan> engine_plan(const Shape& in,
                                                              const Epilogue& e) const;
    [[nodiscard]] std::unique_ptr<ConvPlan> make_plan(const ConvEngine& engine, const Shape& in,
                                                      const Epilogue& e) const;

    struct CachedPlan {
        Shape in;
        Epilogue epilogue;
        std::shared_ptr<const ConvPlan> plan;
    };
    mutable std::mutex m_plans_mutex;
    mutable std::vector<CachedPlan> m_plans;

    ConvSettings m_settings;
    Border m_border;
    WeightsArray m_weights;
    int m_groups = 1;
    float m_scale = 1.0F;
    int m_out_channels = 0;
    int m_group_inputs = 0;
    Size2 m_kernel;
    std::vector<float> m_bias;
};

LayerConv::Padded LayerConv::pad_input(const Tensor& in, const Window& win) const {
    const Shape s = in.shape();
    const auto rows = border_map(s.height, win.rows, m_border);
    const auto cols = border_map(s.width, win.cols, m_border);
    const int stride = win.cols.stride;
    Padded p;
    p.rows = static_cast<int>(rows.size());
    p.phase = (static_cast<int>(cols.size()) + stride - 1) / stride;
    p.row_len = p.phase * stride;
    p.values.assign(static_cast<std::size_t>(s.channels) * static_cast<std::size_t>(p.rows) *
                        static_cast<std::size_t>(p.row_len),
                    0.0F);
    for (int c = 0; c < s.channels; ++c) {
        const auto plane = in.channel(c);
        for (int y = 0; y < p.rows; ++y) {
            const int sy = rows[static_cast<std::size_t>(y)];
            if (sy < 0) {
                continue;
            }
            const float* src = plane.data() + static_cast<std::ptrdiff_t>(sy) * s.width;
            float* dst =
                p.values.data() + (static_cast<std::ptrdiff_t>(c) * p.rows + y) * p.row_len;
            for (std::size_t x = 0; x < cols.size(); ++x) {
                const int sx = cols[x];
                const auto xi = static_cast<int>(x);
                dst[(xi % stride) * p.phase + xi / stride] = sx < 0 ? 0.0F : src[sx];
            }
        }
    }
    return p;
}

Tensor LayerConv::loops(const Tensor& in, const float* weights, const std::vector<float>& bias,
                        const Activation& a) const {
    const Shape s = in.shape();
    const Window win = m_settings.window(s.height, s.width, m_kernel.h, m_kernel.w);
    const Shape os = output_shape(s);
    const Padded p = pad_input(in, win);
    Tensor out(os, uninitialized);  // every row is written below
    const int per_group = m_out_channels / m_groups;
    const auto taps = static_cast<std::size_t>(m_kernel.h) * static_cast<std::size_t>(m_kernel.w);
    const std::size_t row_work = static_cast<std::size_t>(m_group_inputs) * taps *
                                 static_cast<std::size_t>(os.width) * sizeof(float);
    const std::size_t grain =
        std::max<std::size_t>(1, kMinBytesPerThread / std::max<std::size_t>(row_work, 1));
    const int sx = win.cols.stride;
    parallel_for(
        static_cast<std::size_t>(os.channels) * static_cast<std::size_t>(os.height), grain,
        [&](std::size_t begin, std::size_t end) {
            std::vector<float> acc(static_cast<std::size_t>(os.width));
            std::array<const float*, kMaxKernelExtent> row_taps{};
            for (std::size_t i = begin; i < end; ++i) {
                const int o = static_cast<int>(i / static_cast<std::size_t>(os.height));
                const int oy = static_cast<int>(i % static_cast<std::size_t>(os.height));
                std::fill(acc.begin(), acc.end(), 0.0F);
                const int first_input = (o / per_group) * m_group_inputs;
                const float* w = weights + static_cast<std::ptrdiff_t>(o) * m_group_inputs *
                                               static_cast<std::ptrdiff_t>(taps);
                for (int ci = 0; ci < m_group_inputs; ++ci) {
                    for (int ky = 0; ky < m_kernel.h; ++ky) {
                        const int py = oy * win.rows.stride + ky * win.rows.dilation;
                        const float* row =
                            p.values.data() +
                            (static_cast<std::ptrdiff_t>(first_input + ci) * p.rows + py) *
                                p.row_len;
                        for (int kx = 0; kx < m_kernel.w; ++kx) {
                            const int px = kx * win.cols.dilation;
                            row_taps[static_cast<std::size_t>(kx)] =
                                row + static_cast<std::ptrdiff_t>(px % sx) * p.phase + px / sx;
                        }
                        accumulate_row(acc.data(), os.width, w, row_taps.data(), m_kernel.w);
                        w += m_kernel.w;
                    }
                }
                float* dst = out.channel(o).data() + static_cast<std::ptrdiff_t>(oy) * os.width;
                const float b = bias[static_cast<std::size_t>(o)];
                for (int ox = 0; ox < os.width; ++ox) {
                    dst[ox] = activate(a, acc[static_cast<std::size_t>(ox)] * m_scale + b);
                }
            }
        });
    return out;
}

std::pair<std::vector<float>, std::vector<float>> LayerConv::folded(
    const std::optional<ChannelAffine>& affine, bool with_scale) const {
    std::vector<float> weights = m_weights.values;
    std::vector<float> bias = m_bias;
    const std::size_t per_output = weights.size() / static_cast<std::size_t>(m_out_channels);
    for (std::size_t o = 0; o < static_cast<std::size_t>(m_out_channels); ++o) {
        const float a = affine ? affine->scale[o] : 1.0F;
        const float factor = with_scale ? a * m_scale : a;
        if (factor != 1.0F) {
            for (std::size_t k = o * per_output; k < (o + 1) * per_output; ++k) {
                weights[k] *= factor;
            }
        }
        if (affine) {
            bias[o] = bias[o] * a + affine->shift[o];
        }
    }
    return {std::move(weights), std::move(bias)};
}

/// The library's view of `axis` over n cells with `out` positions: the end padding that gives
/// `out`, or -1 when it would be negative.
int end_padding(int n, const Axis& axis, int out) {
    const int end = (out - 1) * axis.stride + axis.effective_kernel() - n - axis.pad_begin;
    return end < 0 ? -1 : end;
}

std::unique_ptr<ConvPlan> LayerConv::make_plan(const ConvEngine& engine, const Shape& in,
                                               const Epilogue& e) const {
    const Window win = m_settings.window(in.height, in.width, m_kernel.h, m_kernel.w);
    const bool padded =
        win.rows.pad_begin + win.rows.pad_end + win.cols.pad_begin + win.cols.pad_end > 0;
    const bool activation_ok = !e.activation || e.activation->kind == Activation::Kind::none ||
                               e.activation->kind == Activation::Kind::relu ||
                               e.activation->kind == Activation::Kind::leaky_relu;
    if ((padded && m_border != Border::zero) || !activation_ok) {
        return nullptr;
    }
    const Shape os = output_shape(in);
    ConvJob job{.channels = in.channels,
                .height = in.height,
                .width = in.width,
                .out_channels = m_out_channels,
                .groups = m_groups,
                .kernel_h = m_kernel.h,
                .kernel_w = m_kernel.w,
                .stride_h = win.rows.stride,
                .stride_w = win.cols.stride,
                .dilation_h = win.rows.dilation,
                .dilation_w = win.cols.dilation,
                .pad_top = win.rows.pad_begin,
                .pad_left = win.cols.pad_begin,
                .pad_bottom = end_padding(in.height, win.rows, os.height),
                .pad_right = end_padding(in.width, win.cols, os.width),
                .out_h = os.height,
                .out_w = os.width};
    if (job.pad_bottom < 0 || job.pad_right < 0) {
        return nullptr;
    }
    if (e.activation && e.activation->kind != Activation::Kind::none) {
        job.relu = true;
        job.relu_slope =
            e.activation->kind == Activation::Kind::leaky_relu ? e.activation->slope : 0.0F;
    }
    if (e.max_pool) {
        const Window& p = *e.max_pool;
        job.pool_kernel_h = p.rows.kernel;
        job.pool_kernel_w = p.cols.kernel;
        job.pool_stride_h = p.rows.stride;
        job.pool_stride_w = p.cols.stride;
        job.pool_dilation_h = p.rows.dilation;
        job.pool_dilation_w = p.cols.dilation;
        job.pool_pad_top = p.rows.pad_begin;
        job.pool_pad_left = p.cols.pad_begin;
        job.pool_out_h = output_extent(os.height, p.rows);
        job.pool_out_w = output_extent(os.width, p.cols);
        job.pool_pad_bottom = end_padding(os.height, p.rows, job.pool_out_h);
        job.pool_pad_right = end_padding(os.width, p.cols, job.pool_out_w);
        // Every window must hold an input cell (the library pads with the lowest value).
        if (job.pool_pad_bottom < 0 || job.pool_pad_right < 0 || job.pool_out_h < 1 ||
            job.pool_out_w < 1 || p.rows.pad_begin >= p.rows.effective_kernel() ||
            p.cols.pad_begin >= p.cols.effective_kernel() ||
            job.pool_pad_bottom >= p.rows.effective_kernel() ||
            job.pool_pad_right >= p.cols.effective_kernel()) {
            return nullptr;
        }
    }
    const auto [weights, bias] = folded(e.affine, true);
    job.weights = weights.data();
    job.bias = bias.data();
    std::string why;
    return engine.plan(job, why);
}

bool same_window(const std::optional<Window>& a, const std::optional<Window>& b) {
    return a.has_value() == b.has_value() && (!a || (a->rows == b->rows && a->cols == b->cols));
}

std::shared_ptr<const ConvPlan> LayerConv::engine_plan(const Shape& in, const Epilogue& e) const {
    const ConvEngine* engine = conv_engine();
    if (engine == nullptr) {
        return nullptr;
    }
    const std::lock_guard lock(m_plans_mutex);
    for (const auto& cached : m_plans) {
        if (cached.in == in && cached.epilogue.affine == e.affine &&
            same_window(cached.epilogue.max_pool, e.max_pool) &&
            cached.epilogue.activation.has_value() == e.activation.has_value() &&
            (!e.activation || (cached.epilogue.activation->kind == e.activation->kind &&
                               cached.epilogue.activation->slope == e.activation->slope))) {
            return cached.plan;
        }
    }
    // Few: a plan keeps its buffers (the layer's output in the library's layout) between runs.
    constexpr std::size_t kMaxPlans = 4;
    if (m_plans.size() == kMaxPlans) {
        m_plans.erase(m_plans.begin());
    }
    m_plans.push_back({in, e, make_plan(*engine, in, e)});
    return m_plans.back().plan;
}

Tensor LayerConv::apply_fused(const Tensor& in, const Epilogue& e) const {
    const Shape s = in.shape();
    if (const auto plan = engine_plan(s, e)) {
        Shape os = output_shape(s);
        if (e.max_pool) {
            os = {os.channels, output_extent(os.height, e.max_pool->rows),
                  output_extent(os.width, e.max_pool->cols)};
        }
        Tensor out(os, uninitialized);  // the library writes every value
        plan->run(in.data().data(), out.data().data(), thread_count());
        return out;
    }
    const Activation a = e.activation.value_or(Activation{});
    if (!e.affine) {
        return loops(in, m_weights.values.data(), m_bias, a);
    }
    const auto [weights, bias] = folded(e.affine, false);
    return loops(in, weights.data(), bias, a);
}

std::unique_ptr<Op> make(const Params& params) {
    if (params.has("weights")) {
        return std::make_unique<LayerConv>(params);
    }
    return std::make_unique<Conv>(params);
}

std::vector<ParamSpec> specs() {
    std::vector<ParamSpec> specs{
        {.name = "filter",
         .type = ParamType::choice,
         .help = "named kernel",
         .choices = kernel_names()},
        {.name = "kernel",
         .type = ParamType::array,
         .help = "custom kernel, rows separated by ';': [1 0 -1; 2 0 -2; 1 0 -1], or a 2-D "
                 "(kH, kW) array from a file: @k.npy or @w.npz:KEY"},
        {.name = "weights",
         .type = ParamType::weights,
         .help = "a convolution layer's weights (C_out, C_in/groups, kH, kW) from a file, as "
                 "torch.nn.Conv2d.weight: @w.npy or @model.npz:KEY (float16, 32 or 64)"},
        {.name = "groups",
         .type = ParamType::integer,
         .default_value = "1",
         .help = "with weights: input and output channels split into this many groups "
                 "(groups = C_in = C_out: depthwise)",
         .min = 1,
         .max = 4096,
         .omit_default = true},
    };
    for (auto& spec : conv_param_specs()) {
        if (spec.name == "pad") {
            spec.default_when_given = "weights";
            spec.default_when_given_value = "0";
            spec.help += "; 0 with weights, as PyTorch";
        } else if (spec.name == "border") {
            spec.default_when_given = "weights";
            spec.default_when_given_value = "zero";
            spec.help += "; zero with weights, as PyTorch";
        } else if (spec.name == "bias") {
            spec.per_channel = true;
            spec.help =
                "added to every output after scaling: a number, or with weights one "
                "value per output channel, [a b ...] or @b.npy";
        }
        specs.push_back(std::move(spec));
    }
    return specs;
}

}  // namespace

const OpInfo& conv_info() {
    static const OpInfo info{
        .name = "conv",
        .summary =
            "cross-correlate every channel with a named or custom kernel, or run a "
            "convolution layer with weights from a file",
        .details =
            "Cross-correlation as in CNN layers and cv::filter2D: the kernel is not "
            "flipped, so sobel-x is positive where values grow to the right. Each channel "
            "is filtered on its own (depthwise). out = scale * sum(w * x) + bias. "
            "With weights=@w.npy it is torch.nn.Conv2d: weights (C_out, C_in/groups, kH, kW), "
            "output channel o sums over the C_in/groups input channels of its group, "
            "out[o] = scale * sum(w[o] * x) + bias[o], computed in float32; pad and border "
            "default to PyTorch's 0 and zero (padding_mode zeros, reflect, replicate and "
            "circular are border=zero, reflect101, replicate and wrap). Weights whose C_in/groups "
            "does not match the input's channels are refused before any pixel is computed.",
        .params = specs(),
        .make = &make,
        .example = "conv:sobel-x"};
    return info;
}

}  // namespace convpool::ops
