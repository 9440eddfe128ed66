#pragma once
/// \file conv_engine.hpp
/// A library that runs convolution layers (`conv:weights`) faster than the hand-written loops
/// of ops/conv.cpp, as an interface: the implementation is the plugin convpool-dnnl.so (oneDNN,
/// io/plugins/conv_dnnl.cpp), loaded with dlopen the first time a `conv:weights` stage runs, so
/// that core/, pipeline/ and ops/ never see the library and other runs never load it. Without a
/// loader, or when the plugin is missing, conv_engine() is null and the loops run.
///
/// Plain C++ types cross the line (both sides are built from this tree with one compiler).

#include <memory>
#include <string>

namespace convpool {

/// One convolution layer on one input shape (batch 1, NCHW float32, C x H x W planes), with
/// what may be fused into its output: a ReLU, then a max pool over the activated output.
struct ConvJob {
    int channels = 0;  ///< input channels
    int height = 0;
    int width = 0;
    int out_channels = 0;
    int groups = 1;
    int kernel_h = 1;
    int kernel_w = 1;
    int stride_h = 1;
    int stride_w = 1;
    int dilation_h = 1;  ///< 1: taps next to each other (PyTorch's convention)
    int dilation_w = 1;
    int pad_top = 0;  ///< zero padding (other borders run in the loops)
    int pad_left = 0;
    int pad_bottom = 0;  ///< may differ from pad_top: whatever makes out_h come out
    int pad_right = 0;
    int out_h = 0;
    int out_w = 0;
    /// (out_channels, channels/groups, kernel_h, kernel_w) weights and out_channels biases,
    /// copied by plan(): the caller may free them afterwards.
    const float* weights = nullptr;
    const float* bias = nullptr;
    bool relu = false;        ///< x < 0 ? relu_slope * x : x applied as the output is written
    float relu_slope = 0.0F;  ///< 0: ReLU; otherwise leaky ReLU
    /// A max pool over the (activated) convolution output, padded cells never winning; its
    /// kernel 0 for none. pool_out_h x pool_out_w is then the plan's output.
    int pool_kernel_h = 0;
    int pool_kernel_w = 0;
    int pool_stride_h = 1;
    int pool_stride_w = 1;
    int pool_dilation_h = 1;
    int pool_dilation_w = 1;
    int pool_pad_top = 0;
    int pool_pad_left = 0;
    int pool_pad_bottom = 0;
    int pool_pad_right = 0;
    int pool_out_h = 0;
    int pool_out_w = 0;
};

/// A job prepared by the library (weights reordered, kernels generated). run() may be called
/// from several threads at once.
class ConvPlan {
public:
    ConvPlan() = default;
    ConvPlan(const ConvPlan&) = delete;
    ConvPlan& operator=(const ConvPlan&) = delete;
    ConvPlan(ConvPlan&&) = delete;
    ConvPlan& operator=(ConvPlan&&) = delete;
    virtual ~ConvPlan() = default;
    /// Reads channels x height x width floats at `in`, writes the output planes at `out`
    /// (out_channels x out_h x out_w, or x pool_out_h x pool_out_w), with `threads` threads.
    virtual void run(const float* in, float* out, int threads) const = 0;
};

/// The library.
class ConvEngine {
public:
    ConvEngine() = default;
    ConvEngine(const ConvEngine&) = delete;
    ConvEngine& operator=(const ConvEngine&) = delete;
    ConvEngine(ConvEngine&&) = delete;
    ConvEngine& operator=(ConvEngine&&) = delete;
    virtual ~ConvEngine() = default;
    /// The library and its version, e.g. `oneDNN 2.6.3`.
    [[nodiscard]] virtual std::string name() const = 0;
    /// The job prepared, or null (with the reason in `why`) when the library cannot run it:
    /// then the loops run it.
    [[nodiscard]] virtual std::unique_ptr<ConvPlan> plan(const ConvJob& job,
                                                         std::string& why) const = 0;
};

/// Finds and loads the engine: null when there is none (the io layer provides it).
using ConvEngineLoader = const ConvEngine* (*)();

/// Sets how conv_engine() loads the engine; nullptr: no engine, the loops run every layer.
/// Not thread-safe: call before any pipeline runs (main, or a test between its cases).
void set_conv_engine_loader(ConvEngineLoader loader);

/// The engine, loaded on the first call after set_conv_engine_loader; null without one.
[[nodiscard]] const ConvEngine* conv_engine();

}  // namespace convpool
