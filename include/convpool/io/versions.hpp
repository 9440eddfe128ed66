#pragma once
/// \file versions.hpp
/// The versions of the libraries io/ decodes and writes images with, for `convpool --version`.

#include <string>
#include <vector>

namespace convpool {

/// One library and its version ("OpenCV", "4.6.0").
struct LibraryVersion {
    std::string name;     ///< as the library calls itself
    std::string version;  ///< dotted, as the library reports it
};

/// OpenCV, libjpeg-turbo, libpng and zlib: the version each reports at run time where it can
/// (OpenCV, libpng, zlib), else the one convpool was compiled against (libjpeg-turbo).
[[nodiscard]] std::vector<LibraryVersion> io_library_versions();

}  // namespace convpool
