#pragma once
/// \file file_source.hpp
/// A regular file read at offsets (merge-reports' reports), never whole.

#include "convpool/core/byte_source.hpp"

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace convpool {

/// The regular file `path`, of at most `max_bytes`, open for reading at offsets; reads stop at
/// the size it had when opened. Throws UsageError "`what`: cannot read 'path': why",
/// "path: not a regular file" (checked before opening: a FIFO is never opened) or
/// "`what`: 'path' is larger than max_bytes bytes".
[[nodiscard]] std::unique_ptr<ByteSource> open_file_source(const std::string& path,
                                                           std::uint64_t max_bytes,
                                                           std::string_view what);

}  // namespace convpool
