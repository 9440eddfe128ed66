#include "convpool/image_io.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <opencv2/core.hpp>
#include <opencv2/core/utils/logger.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <vector>

#include "convpool/error.hpp"
#include "convpool/npy.hpp"

namespace convpool {
namespace {

/// Whether decoder libraries may print to stderr (libpng and libjpeg write there directly).
std::atomic<bool> g_library_output{false};

/// Points fd 2 at /dev/null for its lifetime unless library output is wanted.
class QuietStderr {
public:
    QuietStderr() {
        if (g_library_output.load()) {
            return;
        }
        std::fflush(stderr);
        m_saved = ::dup(2);
        const int null_fd = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
        if (m_saved >= 0 && null_fd >= 0) {
            ::dup2(null_fd, 2);
        }
        if (null_fd >= 0) {
            ::close(null_fd);
        }
    }
    ~QuietStderr() {
        if (m_saved >= 0) {
            ::dup2(m_saved, 2);
            ::close(m_saved);
        }
    }
    QuietStderr(const QuietStderr&) = delete;
    QuietStderr& operator=(const QuietStderr&) = delete;
    QuietStderr(QuietStderr&&) = delete;
    QuietStderr& operator=(QuietStderr&&) = delete;

private:
    int m_saved = -1;
};

/// Formats OpenCV decodes for us, identified by their magic bytes.
const char* image_format(std::span<const unsigned char> b) {
    const auto starts = [&b](std::initializer_list<unsigned char> m) {
        return b.size() >= m.size() && std::equal(m.begin(), m.end(), b.begin());
    };
    if (starts({0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A})) {
        return "png";
    }
    if (starts({0xFF, 0xD8, 0xFF})) {
        return "jpeg";
    }
    if (starts({'I', 'I', 0x2A, 0x00}) || starts({'M', 'M', 0x00, 0x2A})) {
        return "tiff";
    }
    if (starts({'B', 'M'})) {
        return "bmp";
    }
    if (b.size() >= 12 && starts({'R', 'I', 'F', 'F'}) && std::memcmp(b.data() + 8, "WEBP", 4) == 0) {
        return "webp";
    }
    if (b.size() >= 2 && b[0] == 'P' && b[1] >= '1' && b[1] <= '6') {
        return "pnm";
    }
    return nullptr;
}

std::string errno_text(int err) {
    if (err == ENOENT) {
        return "no such file";
    }
    if (err == EACCES) {
        return "permission denied";
    }
    return std::strerror(err);
}

/// Converts a decoded Mat (any depth, 1-4 channels) to a C×H×W tensor in RGB order.
Tensor mat_to_tensor(const cv::Mat& mat) {
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
            const float* row = p.ptr<float>(y);
            std::copy(row, row + mat.cols,
                      dst.begin() + static_cast<std::ptrdiff_t>(y) * mat.cols);
        }
    }
    return t;
}

}  // namespace

bool is_image_path(const std::string& path) {
    std::string ext = std::filesystem::path(path).extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    static const std::vector<std::string> known{".png", ".jpg",  ".jpeg", ".jpe", ".tif",
                                                ".tiff", ".bmp", ".dib",  ".webp", ".pnm",
                                                ".pgm", ".ppm",  ".pbm",  ".pam", ".npy"};
    return std::find(known.begin(), known.end(), ext) != known.end();
}

Tensor decode_image(std::span<const unsigned char> bytes, const LoadOptions& options) {
    if (bytes.empty()) {
        throw InputError("empty file");
    }
    if (is_npy(bytes)) {
        Tensor t = decode_npy(bytes, options.npy_chw);
        if (t.shape().plane() > options.max_pixels) {
            throw InputError(fmt::format("image is too large: {}x{} is more than {} pixels",
                                         t.shape().height, t.shape().width, options.max_pixels));
        }
        return t;
    }
    if (image_format(bytes) == nullptr) {
        throw InputError("not an image (unknown format; convpool reads PNG, JPEG, TIFF, BMP, "
                         "WebP, PNM and .npy)");
    }
    cv::setNumThreads(0);
    cv::Mat mat;
    try {
        const cv::Mat buf(1, static_cast<int>(bytes.size()), CV_8UC1,
                          const_cast<unsigned char*>(bytes.data()));  // NOLINT: read only
        const QuietStderr quiet;
        mat = cv::imdecode(buf, cv::IMREAD_UNCHANGED);
    } catch (const cv::Exception& e) {
        throw InputError(fmt::format("cannot decode {} data: {}", image_format(bytes), e.msg));
    }
    if (mat.empty()) {
        throw InputError(fmt::format("cannot decode {} data (corrupt or truncated)",
                                     image_format(bytes)));
    }
    if (static_cast<std::size_t>(mat.rows) * static_cast<std::size_t>(mat.cols) >
        options.max_pixels) {
        throw InputError(fmt::format("image is too large: {}x{} is more than {} pixels", mat.rows,
                                     mat.cols, options.max_pixels));
    }
    return mat_to_tensor(mat);
}

Tensor load_image(const std::string& path, const LoadOptions& options) {
    // Only regular files: opening a FIFO or a device could block forever.
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
        throw InputError(errno_text(errno));
    }
    if (S_ISDIR(st.st_mode)) {
        throw InputError("is a directory");
    }
    if (!S_ISREG(st.st_mode)) {
        throw InputError("not a regular file");
    }
    if (static_cast<std::size_t>(st.st_size) > options.max_bytes) {
        throw InputError(fmt::format("file is too large ({} bytes, at most {})", st.st_size,
                                     options.max_bytes));
    }
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        throw InputError(errno_text(errno));
    }
    std::vector<unsigned char> bytes(static_cast<std::size_t>(st.st_size));
    std::size_t got = 0;
    while (got < bytes.size()) {
        const ssize_t n = ::read(fd, bytes.data() + got, bytes.size() - got);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            const int err = errno;
            ::close(fd);
            throw InputError(n == 0 ? std::string("file shrank while reading") : errno_text(err));
        }
        got += static_cast<std::size_t>(n);
    }
    ::close(fd);
    return decode_image(bytes, options);
}

void write_file_atomic(const std::string& path, std::span<const char> bytes) {
    const std::filesystem::path target(path);
    const std::string dir = target.has_parent_path() ? target.parent_path().string() : ".";
    std::string tmpl = (std::filesystem::path(dir) / ("." + target.filename().string() + ".XXXXXX")).string();
    const int fd = ::mkstemp(tmpl.data());
    if (fd < 0) {
        throw OutputError(fmt::format("{}: cannot write: {}", path, std::strerror(errno)));
    }
    const auto fail = [&](int err) {
        ::close(fd);
        ::unlink(tmpl.c_str());
        throw OutputError(fmt::format("{}: cannot write: {}", path, std::strerror(err)));
    };
    std::size_t done = 0;
    while (done < bytes.size()) {
        const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            fail(errno);
        }
        done += static_cast<std::size_t>(n);
    }
    if (::fchmod(fd, 0644) != 0 || ::fsync(fd) != 0) {
        fail(errno);
    }
    if (::close(fd) != 0) {
        const int err = errno;
        ::unlink(tmpl.c_str());
        throw OutputError(fmt::format("{}: cannot write: {}", path, std::strerror(err)));
    }
    if (::rename(tmpl.c_str(), path.c_str()) != 0) {
        const int err = errno;
        ::unlink(tmpl.c_str());
        throw OutputError(fmt::format("{}: cannot write: {}", path, std::strerror(err)));
    }
}

}  // namespace convpool

namespace convpool {
void configure_library_logging(bool verbose) {
    g_library_output.store(verbose);
    cv::utils::logging::setLogLevel(verbose ? cv::utils::logging::LOG_LEVEL_WARNING
                                            : cv::utils::logging::LOG_LEVEL_SILENT);
}
}  // namespace convpool
