#include "convpool/io/versions.hpp"

#include <fmt/format.h>
#include <libdeflate.h>
#include <opencv2/core/utility.hpp>
#include <png.h>
#include <zlib.h>

#include <cstdio>

// jpeglib.h needs FILE and size_t declared first.
#include <jpeglib.h>

namespace convpool {

std::vector<LibraryVersion> io_library_versions() {
    // libjpeg-turbo has no run-time version call; LIBJPEG_TURBO_VERSION_NUMBER is MMMmmmppp.
    constexpr int kJpeg = LIBJPEG_TURBO_VERSION_NUMBER;
    return {{"OpenCV", cv::getVersionString()},
            {"libjpeg-turbo",
             fmt::format("{}.{}.{}", kJpeg / 1000000, kJpeg / 1000 % 1000, kJpeg % 1000)},
            {"libpng", png_get_libpng_ver(nullptr)},
            {"zlib", zlibVersion()},
            {"libdeflate", LIBDEFLATE_VERSION_STRING}};
}

}  // namespace convpool
