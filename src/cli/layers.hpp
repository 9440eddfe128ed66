#pragma once
// `convpool layers FILE.onnx`: every layer of a model as OpenCV runs it, with its output shape.

#include <string>

namespace convpool::cli {

/// The layers of the model at `path` for an input of `size` (CxHxW, or "" for the size the
/// model declares), as a table or JSON. Throws UsageError for a file that cannot be loaded, a
/// missing size or one the model refuses.
[[nodiscard]] std::string layers_text(const std::string& path, const std::string& size, bool json);

}  // namespace convpool::cli
