// Pixels between OpenCV's decoded Mats, convpool's C x H x W float tensors and 8-bit images:
// whole-image passes, in a file of their own so that they are built at -O3 (src/CMakeLists).
#include "io/pixels.hpp"

#include "convpool/core/parallel.hpp"

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

namespace convpool {

/// Channels a decoded Mat of 1-4 channels keeps: gray (+ alpha, dropped) is 1, BGR(A) is 3 (RGB).
int kept_channels(const cv::Mat& mat) { return mat.channels() <= 2 ? 1 : 3; }

/// Converts an 8-bit Mat (1-4 channels, BGR(A) order) to a C×H×W tensor in RGB order with
/// values v / 255, alpha dropped.
Tensor u8_mat_to_tensor(const cv::Mat& mat) {
    const int channels = kept_channels(mat);
    return u8_rows_to_tensor(mat.rows, mat.cols, mat.channels(), channels, channels == 3,
                             [&mat](int y) { return mat.ptr<unsigned char>(y); });
}

/// Converts a decoded Mat (any depth, 1-4 channels) to a C×H×W tensor in RGB order. 8 and
/// 16-bit data in one pass: decoding adds only the decoded image to the float tensor.
Tensor mat_to_tensor(const cv::Mat& mat) {
    if (mat.depth() == CV_8U && mat.channels() <= 4) {
        return u8_mat_to_tensor(mat);
    }
    if (mat.depth() == CV_16U && mat.channels() <= 4) {
        const int channels = kept_channels(mat);
        return u16_rows_to_tensor(mat.rows, mat.cols, mat.channels(), channels, channels == 3,
                                  [&mat](int y) { return mat.ptr<std::uint16_t>(y); });
    }
    double scale = 1.0;
    switch (mat.depth()) {
        case CV_8U:
            scale = 1.0 / 255.0;
            break;
        case CV_16U:
            scale = 1.0 / 65535.0;
            break;
        case CV_8S:
            scale = 1.0 / 127.0;
            break;
        case CV_16S:
            scale = 1.0 / 32767.0;
            break;
        default:
            break;  // float and 32-bit integer data are taken as they are
    }
    cv::Mat f;
    mat.convertTo(f, CV_MAKETYPE(CV_32F, mat.channels()), scale);
    std::vector<cv::Mat> planes;
    cv::split(f, planes);
    std::vector<int> order;
    if (planes.size() <= 2) {
        order = {0};  // gray (+ alpha, dropped)
    } else {
        order = {2, 1, 0};  // BGR(A) -> RGB, alpha dropped
    }
    const Shape shape{static_cast<int>(order.size()), mat.rows, mat.cols};
    Tensor t(shape);
    for (std::size_t c = 0; c < order.size(); ++c) {
        const cv::Mat& p = planes[static_cast<std::size_t>(order[c])];
        auto dst = t.channel(static_cast<int>(c));
        for (int y = 0; y < mat.rows; ++y) {
            const auto* row = p.ptr<float>(y);
            std::copy(row, row + mat.cols, dst.begin() + static_cast<std::ptrdiff_t>(y) * mat.cols);
        }
    }
    return t;
}

/// Copies a decoded 8-bit Mat (1-4 channels) into an interleaved image in RGB order, with the
/// channels mat_to_tensor keeps, in one pass (OpenCV writes straight into the image).
ImageU8 mat_to_u8(const cv::Mat& mat) {
    const int channels = kept_channels(mat);
    ImageU8 image(Shape{channels, mat.rows, mat.cols}, uninitialized);
    cv::Mat kept(mat.rows, mat.cols, CV_8UC(channels), image.data().data());
    if (channels == 1) {
        cv::extractChannel(mat, kept, 0);  // gray (+ alpha, dropped)
    } else {
        cv::cvtColor(mat, kept, mat.channels() == 3 ? cv::COLOR_BGR2RGB : cv::COLOR_BGRA2RGB);
    }
    if (kept.data != image.data().data()) {  // OpenCV reallocated: never expected, but copy
        for (int y = 0; y < kept.rows; ++y) {
            std::memcpy(image.row(y).data(), kept.ptr<unsigned char>(y), image.row_bytes());
        }
    }
    return image;
}

std::vector<unsigned char> tensor_to_u8_pixels(const Tensor& t) {
    const Shape& s = t.shape();
    // No finite value at all counts as [0, 1]: +inf is drawn white, the rest black.
    const auto finite = finite_value_range(t.data());
    const bool unit = !finite || (finite->lo >= 0.0F && finite->hi <= 1.0F);
    const float offset = unit ? 0.0F : finite->lo;
    const float span = unit ? 1.0F : (finite->hi > finite->lo ? finite->hi - finite->lo : 1.0F);
    // Interleaved 8-bit pixels, RGB for 3 channels; x * 255 rounded half away from zero (as
    // lround; exact in double), in a loop the compiler vectorises.
    std::vector<unsigned char> px(s.elements());
    const std::size_t plane = s.plane();
    const auto channels = static_cast<std::size_t>(s.channels);
    parallel_for(
        plane, kMinBytesPerThread / (channels * 5), [&](std::size_t begin, std::size_t end) {
            for (std::size_t c = 0; c < channels; ++c) {
                const float* src = t.channel(static_cast<int>(c)).data();
                for (std::size_t i = begin; i < end; ++i) {
                    const float v = src[i];
                    const float x = std::isfinite(v) ? (v - offset) / span : (v > 0 ? 1.0F : 0.0F);
                    const float level = std::clamp(x, 0.0F, 1.0F) * 255.0F;
                    px[i * channels + c] = static_cast<unsigned char>(
                        // NOLINTNEXTLINE(bugprone-incorrect-roundings): level >= 0, vectorises
                        static_cast<int>(static_cast<double>(level) + 0.5));
                }
            }
        });
    return px;
}

}  // namespace convpool
