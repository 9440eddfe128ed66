// convpool-dnnl.so: convolution layers run by oneDNN (see core/conv_engine.hpp), the library
// PyTorch's CPU convolution uses. The input is read in convpool's planes (NCHW); the layer writes
// oneDNN's blocked layout with ReLU as a post-op, a fused max pool runs on that layout, and only
// the final map is reordered into planes.
#include "convpool/core/conv_engine.hpp"

#include <algorithm>
#include <exception>
#include <memory>
#include <mutex>
#include <oneapi/dnnl/dnnl.hpp>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

// libgomp's, the OpenMP runtime Debian's oneDNN runs on (declared here: no -fopenmp needed).
extern "C" void omp_set_num_threads(int threads);  // NOLINT(readability-identifier-naming)

namespace convpool::plugin {
namespace {

using dnnl::memory;
using Tag = memory::format_tag;
using Type = memory::data_type;

class DnnlPlan final : public ConvPlan {
public:
    DnnlPlan(const dnnl::engine& engine, const ConvJob& job) : m_engine(engine) {
        const memory::dim g = job.groups;
        const memory::dims src_dims{1, job.channels, job.height, job.width};
        const memory::dims dst_dims{1, job.out_channels, job.out_h, job.out_w};
        const memory::dims wei_dims =
            g == 1 ? memory::dims{job.out_channels, job.channels, job.kernel_h, job.kernel_w}
                   : memory::dims{g, job.out_channels / g, job.channels / g, job.kernel_h,
                                  job.kernel_w};
        const memory::desc user_wei(wei_dims, Type::f32, g == 1 ? Tag::oihw : Tag::goihw);
        const memory::desc bias_md({job.out_channels}, Type::f32, Tag::x);
        m_user_src = memory::desc(src_dims, Type::f32, Tag::nchw);
        const dnnl::convolution_forward::desc conv_desc(
            dnnl::prop_kind::forward_inference, dnnl::algorithm::convolution_direct,
            memory::desc(src_dims, Type::f32, Tag::any),
            memory::desc(wei_dims, Type::f32, Tag::any), bias_md,
            memory::desc(dst_dims, Type::f32, Tag::any), {job.stride_h, job.stride_w},
            {job.dilation_h - 1, job.dilation_w - 1}, {job.pad_top, job.pad_left},
            {job.pad_bottom, job.pad_right});
        dnnl::primitive_attr attr;
        attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
        if (job.relu) {
            dnnl::post_ops ops;
            ops.append_eltwise(1.0F, dnnl::algorithm::eltwise_relu, job.relu_slope, 0.0F);
            attr.set_post_ops(ops);
        }
        m_conv_pd = dnnl::convolution_forward::primitive_desc(conv_desc, attr, engine);
        m_conv = dnnl::convolution_forward(m_conv_pd);
        m_weights = memory(m_conv_pd.weights_desc(), engine);
        m_bias = memory(bias_md, engine);
        dnnl::stream stream(engine);
        // NOLINTNEXTLINE(cppcoreguidelines-pro-type-const-cast): read only by the reorder
        memory user(user_wei, engine, const_cast<float*>(job.weights));
        dnnl::reorder(user, m_weights).execute(stream, user, m_weights);
        stream.wait();
        const auto biases = static_cast<std::size_t>(job.out_channels);
        std::copy(job.bias, job.bias + biases, static_cast<float*>(m_bias.get_data_handle()));
        memory::desc last = m_conv_pd.dst_desc();
        memory::dims out_dims = dst_dims;
        if (job.pool_kernel_h > 0) {
            out_dims = {1, job.out_channels, job.pool_out_h, job.pool_out_w};
            dnnl::primitive_attr pool_attr;
            pool_attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
            m_pool_pd = dnnl::pooling_v2_forward::primitive_desc(
                dnnl::pooling_v2_forward::desc(
                    dnnl::prop_kind::forward_inference, dnnl::algorithm::pooling_max, last,
                    memory::desc(out_dims, Type::f32, Tag::any),
                    {job.pool_stride_h, job.pool_stride_w}, {job.pool_kernel_h, job.pool_kernel_w},
                    {job.pool_dilation_h - 1, job.pool_dilation_w - 1},
                    {job.pool_pad_top, job.pool_pad_left},
                    {job.pool_pad_bottom, job.pool_pad_right}),
                pool_attr, engine);
            m_pool = dnnl::pooling_v2_forward(*m_pool_pd);
            last = m_pool_pd->dst_desc();
        }
        m_user_dst = memory::desc(out_dims, Type::f32, Tag::nchw);
        if (last != m_user_dst) {
            m_to_planes = dnnl::reorder(memory(last, engine), memory(m_user_dst, engine));
        }
        if (m_conv_pd.src_desc() != m_user_src) {
            m_from_planes =
                dnnl::reorder(memory(m_user_src, engine), memory(m_conv_pd.src_desc(), engine));
        }
    }

    void run(const float* in, float* out, int threads) const override {
        omp_set_num_threads(threads);
        std::unique_ptr<Buffers> b = take();
        dnnl::stream stream(m_engine);
        // NOLINTNEXTLINE(cppcoreguidelines-pro-type-const-cast): the layer only reads its input
        memory src(m_user_src, m_engine, const_cast<float*>(in));
        if (m_from_planes) {
            m_from_planes->execute(stream, src, b->src);
            src = b->src;
        }
        memory dst_user(m_user_dst, m_engine, out);
        const bool direct = !m_pool && !m_to_planes;
        const memory conv_dst = direct ? dst_user : b->conv_dst;
        m_conv.execute(stream, {{DNNL_ARG_SRC, src},
                                {DNNL_ARG_WEIGHTS, m_weights},
                                {DNNL_ARG_BIAS, m_bias},
                                {DNNL_ARG_DST, conv_dst},
                                {DNNL_ARG_SCRATCHPAD, b->scratch}});
        memory last = conv_dst;
        if (m_pool) {
            const memory pooled = m_to_planes ? b->pooled : dst_user;
            m_pool->execute(stream, {{DNNL_ARG_SRC, conv_dst},
                                     {DNNL_ARG_DST, pooled},
                                     {DNNL_ARG_SCRATCHPAD, b->pool_scratch}});
            last = pooled;
        }
        if (m_to_planes) {
            m_to_planes->execute(stream, last, dst_user);
        }
        stream.wait();
        give(std::move(b));
    }

private:
    /// The buffers of one run in oneDNN's layouts, kept between runs: fresh memory for every run
    /// (64 MB for the stem's 1024x1024 output) cost more in page faults than the layer itself.
    struct Buffers {
        memory src;
        memory conv_dst;
        memory pooled;
        memory scratch;
        memory pool_scratch;
    };
    /// Buffers not in use (one per run at once).
    [[nodiscard]] std::unique_ptr<Buffers> take() const {
        {
            const std::lock_guard lock(m_mutex);
            if (!m_free.empty()) {
                std::unique_ptr<Buffers> b = std::move(m_free.back());
                m_free.pop_back();
                return b;
            }
        }
        auto b = std::make_unique<Buffers>();
        if (m_from_planes) {
            b->src = memory(m_conv_pd.src_desc(), m_engine);
        }
        if (m_pool || m_to_planes) {
            b->conv_dst = memory(m_conv_pd.dst_desc(), m_engine);
        }
        if (m_pool && m_to_planes) {
            b->pooled = memory(m_pool_pd->dst_desc(), m_engine);
        }
        b->scratch = memory(m_conv_pd.scratchpad_desc(), m_engine);
        if (m_pool) {
            b->pool_scratch = memory(m_pool_pd->scratchpad_desc(), m_engine);
        }
        return b;
    }
    void give(std::unique_ptr<Buffers> b) const {
        const std::lock_guard lock(m_mutex);
        m_free.push_back(std::move(b));
    }

    dnnl::engine m_engine;
    memory::desc m_user_src;
    memory::desc m_user_dst;
    dnnl::convolution_forward::primitive_desc m_conv_pd;
    dnnl::convolution_forward m_conv;
    memory m_weights;
    memory m_bias;
    std::optional<dnnl::pooling_v2_forward::primitive_desc> m_pool_pd;
    std::optional<dnnl::pooling_v2_forward> m_pool;
    std::optional<dnnl::reorder> m_from_planes;
    std::optional<dnnl::reorder> m_to_planes;
    mutable std::mutex m_mutex;
    mutable std::vector<std::unique_ptr<Buffers>> m_free;
};

class DnnlEngine final : public ConvEngine {
public:
    DnnlEngine() : m_engine(dnnl::engine::kind::cpu, 0) {}
    [[nodiscard]] std::string name() const override {
        const dnnl_version_t* v = dnnl_version();
        return "oneDNN " + std::to_string(v->major) + "." + std::to_string(v->minor) + "." +
               std::to_string(v->patch);
    }
    [[nodiscard]] std::unique_ptr<ConvPlan> plan(const ConvJob& job,
                                                 std::string& why) const override {
        try {
            return std::make_unique<DnnlPlan>(m_engine, job);
        } catch (const std::exception& e) {
            why = e.what();
        }
        return nullptr;
    }

private:
    dnnl::engine m_engine;
};

}  // namespace
}  // namespace convpool::plugin

// NOLINTNEXTLINE(readability-identifier-naming): a C symbol looked up by name
extern "C" __attribute__((visibility("default"))) const convpool::ConvEngine*
convpool_conv_engine() {
    try {
        static const convpool::plugin::DnnlEngine engine;
        return &engine;
    } catch (const std::exception&) {
        return nullptr;
    }
}
