#pragma once
/// \file conv_plugin.hpp
/// The convolution library of `conv:weights` (core/conv_engine.hpp): the plugin
/// convpool-dnnl.so (oneDNN), found as the model plugin is and loaded with dlopen the first time
/// a convolution layer runs.

namespace convpool {

/// Makes conv_engine() load convpool-dnnl.so when first asked. With the environment variable
/// CONVPOOL_CONV=loops, or when the plugin is missing or fails to load, there is no engine and
/// the hand-written loops run every layer (same results within the stated tolerance).
void use_conv_plugin();

}  // namespace convpool
