// The image decoders behind decode_image: JPEG with libjpeg-turbo and PNG with libpng, called
// directly; TIFF, WebP, BMP and PNM with OpenCV's imgcodecs, loaded on first use. Linking
// imgcodecs would load its 139 libraries (GDAL, GDCM, ...) at every start of convpool, about
// 65 ms before main; without it a start takes about 5 ms.
#pragma once

#include <opencv2/core.hpp>

#include <span>
#include <string>

namespace convpool::decoders {

/// What decoding one image may cost (see docs/security.md). The time limit holds in this
/// process for JPEG and PNG only (checked in libjpeg's progress monitor and libpng's read
/// callback); OpenCV's decoders can only be bounded in the decoding child.
struct DecodeLimits {
    unsigned seconds = 120;  ///< gives up after this long
    int max_scans = 1000;    ///< JPEG scans at most (a progressive JPEG has about 10)
};

/// libpng's limits: bytes of one chunk it keeps, ancillary chunks kept, width and height.
inline constexpr std::size_t kPngChunkBytes = std::size_t{8} << 20U;
inline constexpr std::size_t kPngChunkCount = 1000;
inline constexpr unsigned kPngMaxSide = 1U << 24U;

/// Decodes JPEG data to 8 bits: one channel for a grayscale JPEG, or with `luminance` for any
/// (the Y plane as libjpeg computes it, no colour conversion); otherwise three in BGR order.
/// CMYK and YCCK JPEGs (Adobe's inverted values) are converted to BGR. Warnings (corrupt or
/// missing data, which libjpeg fills) go to *warning (libjpeg's first, and how many more; empty
/// when none); errors, more than limits.max_scans scans and the time limit throw InputError.
cv::Mat decode_jpeg(std::span<const unsigned char> bytes, bool luminance,
                    const DecodeLimits& limits = {}, std::string* warning = nullptr);

/// Decodes PNG data as OpenCV's IMREAD_UNCHANGED does: 8 or 16 bits (host order); gray (also
/// 1, 2 and 4-bit, tRNS dropped) and palette images whose palette is all gray as one channel;
/// gray+alpha (and gray palettes with transparency) as two, gray and alpha; unlike OpenCV, which
/// makes them BGR(A). RGB and other palette images as three in BGR order, or four (BGRA) with
/// transparency. Text, palette-suggestion, ICC, EXIF and
/// calibration chunks are skipped unread. Warnings go to *warning as for decode_jpeg; errors
/// (bad CRC, cut-short data) and the time limit throw InputError with libpng's text.
cv::Mat decode_png(std::span<const unsigned char> bytes, const DecodeLimits& limits = {},
                   std::string* warning = nullptr);

/// The picture as EXIF orientation `value` says it should be seen: 2 mirrors left to right,
/// 3 rotates 180 degrees, 4 mirrors top to bottom, 5 transposes (mirrors across the main
/// diagonal), 6 rotates 90 degrees clockwise, 7 transverses (mirrors across the anti-diagonal),
/// 8 rotates 90 degrees counter-clockwise; `mat` itself for 1 and any other value.
cv::Mat apply_orientation(const cv::Mat& mat, int value);

/// Decodes any other format with OpenCV's cv::imdecode (IMREAD_UNCHANGED), loading
/// libopencv_imgcodecs on first use. An empty Mat when OpenCV cannot decode the data.
cv::Mat decode_with_opencv(std::span<const unsigned char> bytes);

}  // namespace convpool::decoders
