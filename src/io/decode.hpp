// Decoding image bytes to pixels, in this process or in the decoding child (io/decode.cpp).
#pragma once

#include "convpool/io/image_io.hpp"
#include "convpool/io/image_probe.hpp"

#include <opencv2/core.hpp>
#include <unistd.h>

#include <functional>
#include <span>
#include <string>
#include <vector>

namespace convpool {

/// Closes a file descriptor when it goes out of scope.
struct FdCloser {
    int fd;
    explicit FdCloser(int f) : fd(f) {}
    FdCloser(const FdCloser&) = delete;
    FdCloser& operator=(const FdCloser&) = delete;
    FdCloser(FdCloser&&) = delete;
    FdCloser& operator=(FdCloser&&) = delete;
    ~FdCloser() {
        if (fd >= 0) {
            ::close(fd);
        }
    }
};

/// Refuses an empty image or one of more than options.max_pixels pixels (InputError).
void check_pixels(long long h, long long w, const LoadOptions& options);

/// Decodes image bytes whose header is `header` (not .npy) and calls use(mat) with the pixels
/// (valid during the call only): refuses absurd sizes before a decoder allocates anything; a
/// truncated file, or data the decoder warned about (corrupt JPEG data, a PNG chunk with a bad
/// CRC, ...), is a warning, or an error with `strict`. In the decoding child with
/// options.isolate_decoder.
void decode_mat(std::span<const unsigned char> bytes, const ImageHeader& header,
                const LoadOptions& options, std::vector<std::string>& warnings,
                const std::function<void(const cv::Mat&)>& use);

}  // namespace convpool
