#include "convpool/io/image_io.hpp"

#include "convpool/core/error.hpp"
#include "convpool/io/exif.hpp"
#include "convpool/io/image_probe.hpp"
#include "convpool/io/npy.hpp"
#include "convpool/io/output_dir.hpp"
#include "convpool/io/png.hpp"
#include "convpool/pipeline/pipeline.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <opencv2/core.hpp>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <functional>
#include <string_view>
#include <vector>

#include "io/decode.hpp"
#include "io/decoders.hpp"
#include "io/pixels.hpp"

namespace convpool {
std::string errno_text(int err) {
    if (err == ENOENT) {
        return "no such file";
    }
    if (err == EACCES) {
        return "permission denied";
    }
    return std::strerror(err);
}

namespace {

/// Whether a JPEG is decoded to its luminance only (see LoadOptions::luminance).
bool luminance_only(const ImageHeader& header, bool luminance) {
    return luminance && header.format == ImageFormat::jpeg;
}

/// The bytes of `path`, a regular file of at most options.max_bytes.
std::vector<unsigned char> read_image_file(const std::string& path, const LoadOptions& options) {
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
        throw InputError(
            fmt::format("file is too large ({} bytes, at most {})", st.st_size, options.max_bytes));
    }
    // NOLINTNEXTLINE(cppcoreguidelines-pro-type-vararg): open(2) is variadic
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
    return bytes;
}

}  // namespace

bool is_image_path(const std::string& path) {
    std::string ext = std::filesystem::path(path).extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    // Not .pam: the header probe refuses PAM (P7), so folders must not collect it.
    static const std::vector<std::string> known{".png",  ".jpg", ".jpeg", ".jpe",  ".tif",
                                                ".tiff", ".bmp", ".dib",  ".webp", ".pnm",
                                                ".pgm",  ".ppm", ".pbm",  ".npy"};
    return std::find(known.begin(), known.end(), ext) != known.end();
}

namespace {

/// Decodes one image (not .npy) whose header is `header`.
LoadedImage decode_single(std::span<const unsigned char> bytes, const ImageHeader& header,
                          const LoadOptions& options) {
    LoadedImage loaded;
    const int orientation = exif_orientation(bytes);
    const bool orient = options.orient_exif && orientation > 1;
    if (orient) {
        loaded.notes.push_back(fmt::format("EXIF orientation {} applied: {}", orientation,
                                           orientation_description(orientation)));
    } else if (orientation > 1) {
        loaded.notes.push_back(
            fmt::format("EXIF orientation {} ignored (use --orient exif)", orientation));
    }
    // OpenCV's TIFF decoder applies the Orientation tag itself, at every depth: it decodes a copy
    // whose tag says 1, so that TIFF pixels arrive as stored, as JPEG and PNG pixels do.
    std::vector<unsigned char> unturned;
    if (header.format == ImageFormat::tiff && orientation > 1) {
        unturned.assign(bytes.begin(), bytes.end());
        clear_tiff_orientation(unturned);
        bytes = unturned;
    }
    decode_mat(bytes, header, options, loaded.warnings, [&](const cv::Mat& decoded) {
        // A copy, turned, only when an orientation is applied.
        const cv::Mat mat = orient ? decoders::apply_orientation(decoded, orientation) : decoded;
        if (options.keep_u8 && mat.depth() == CV_8U && mat.channels() <= 4 &&
            options.keep_u8(Shape{kept_channels(mat), mat.rows, mat.cols})) {
            loaded.u8 = mat_to_u8(mat);
        } else {
            loaded.tensor = mat_to_tensor(mat);
        }
    });
    loaded.luminance_only = luminance_only(header, options.luminance);
    const int channels = loaded.u8 ? loaded.u8->shape().channels : loaded.tensor.shape().channels;
    if (channels == 1) {
        loaded.channel_names = {"Y"};
    } else if (channels == 3) {
        loaded.channel_names = {"R", "G", "B"};
    }
    return loaded;
}

/// The pages of a TIFF, decoded one by one, as the channels of one image (--pages channels).
LoadedImage decode_pages_as_channels(std::span<const unsigned char> bytes, std::size_t pages,
                                     const LoadOptions& options) {
    LoadOptions one = options;
    one.keep_u8 = nullptr;
    one.luminance = false;
    std::vector<Tensor> planes;
    LoadedImage out;
    std::size_t values = 0;
    for (std::size_t p = 0; p < pages; ++p) {
        const auto page = tiff_page(bytes, p);
        LoadedImage loaded = decode_single(page, probe_image(page), one);
        for (auto& w : loaded.warnings) {
            out.warnings.push_back(fmt::format("page {}: {}", p, w));
        }
        const Shape& s = loaded.tensor.shape();
        const Shape& first = planes.empty() ? s : planes.front().shape();
        if (s.height != first.height || s.width != first.width) {
            throw InputError(
                fmt::format("--pages channels: tiff page {} is {}x{}, page 0 is {}x{}; pages of "
                            "different sizes cannot be channels of one image",
                            p, s.width, s.height, first.width, first.height));
        }
        values += s.elements();
        if (values > 4 * options.max_pixels) {
            throw InputError(fmt::format("--pages channels: the pages hold more than {} values",
                                         4 * options.max_pixels));
        }
        planes.push_back(std::move(loaded.tensor));
    }
    const Shape& first = planes.front().shape();
    int channels = 0;
    for (const auto& t : planes) {
        channels += t.shape().channels;
    }
    out.tensor = Tensor(Shape{channels, first.height, first.width});
    int c = 0;
    for (const auto& t : planes) {
        for (int k = 0; k < t.shape().channels; ++k, ++c) {
            const auto src = t.channel(k);
            std::copy(src.begin(), src.end(), out.tensor.channel(c).begin());
        }
    }
    return out;
}

/// A warning for a file read without naming which of its `count` images (LoadOptions::item).
void note_unread_items(std::size_t count, const LoadOptions& options, const char* what,
                       std::vector<std::string>& warnings) {
    if (!options.item && count > 1) {
        warnings.push_back(fmt::format(
            "the file holds {} {}; only the first was read (convpool run reads each as an input "
            "of its own)",
            count, what));
    }
}

}  // namespace

LoadedImage decode_image(std::span<const unsigned char> bytes, const LoadOptions& options) {
    if (bytes.empty()) {
        throw InputError("empty file");
    }
    const ImageHeader header = probe_image(bytes);
    const std::size_t item = options.item.value_or(0);
    if (header.format == ImageFormat::npy) {
        std::vector<std::string> warnings;
        Tensor t = decode_npy(bytes, options.npy_layout, item, &warnings);
        check_pixels(t.shape().height, t.shape().width, options);
        note_unread_items(npy_item_count(bytes, options.npy_layout), options, "images", warnings);
        return {std::move(t), std::move(warnings)};
    }
    if (header.format == ImageFormat::tiff) {
        const std::size_t pages = tiff_page_offsets(bytes).size();
        if (options.pages_as_channels && pages > 1) {
            return decode_pages_as_channels(bytes, pages, options);
        }
        if (item > 0) {
            const auto page = tiff_page(bytes, item);
            return decode_single(page, probe_image(page), options);
        }
        if (!options.pages_as_channels) {
            LoadedImage loaded = decode_single(bytes, header, options);
            note_unread_items(pages, options, "pages", loaded.warnings);
            return loaded;
        }
    }
    return decode_single(bytes, header, options);
}

namespace {

/// The bytes of the file whose images this thread reads one by one (LoadOptions::item): the
/// pages of a TIFF or the items of a .npy batch are read from one copy, not from the file again
/// for each (which would read an N-image file N times). Known by device, inode, size and
/// modification time, so a file changed between two items is read afresh.
struct ItemFileCache {
    std::string path;
    struct stat st {};
    std::vector<unsigned char> bytes;
};

const std::vector<unsigned char>& item_file_bytes(const std::string& path,
                                                  const LoadOptions& options) {
    thread_local ItemFileCache cache;
    struct stat st {};
    const bool same = ::stat(path.c_str(), &st) == 0 && path == cache.path &&
                      st.st_dev == cache.st.st_dev && st.st_ino == cache.st.st_ino &&
                      st.st_size == cache.st.st_size &&
                      st.st_mtim.tv_sec == cache.st.st_mtim.tv_sec &&
                      st.st_mtim.tv_nsec == cache.st.st_mtim.tv_nsec;
    if (!same) {
        cache.path.clear();
        cache.bytes = read_image_file(path, options);
        cache.path = path;
        cache.st = st;
    }
    return cache.bytes;
}

}  // namespace

LoadedImage load_image(const std::string& path, const LoadOptions& options) {
    if (options.item) {
        return decode_image(item_file_bytes(path, options), options);
    }
    return decode_image(read_image_file(path, options), options);
}

ImageU8 load_image_u8(const std::string& path, const LoadOptions& options) {
    const std::vector<unsigned char> bytes = read_image_file(path, options);
    if (bytes.empty()) {
        throw InputError("empty file");
    }
    const ImageHeader header = probe_image(bytes);
    if (header.format == ImageFormat::npy) {
        throw InputError(".npy arrays have no 8-bit decoding; give an 8-bit image");
    }
    std::vector<std::string> warnings;  // as for bench's float input: they do not matter here
    ImageU8 image;
    decode_mat(bytes, header, options, warnings, [&](const cv::Mat& mat) {
        if (mat.depth() != CV_8U) {
            throw InputError(fmt::format("{} data is not 8-bit ({} bytes per value)",
                                         format_name(header.format), mat.elemSize1()));
        }
        image = mat_to_u8(mat);
    });
    return image;
}

std::string encoding_extension(ImageEncoding encoding, int channels) {
    switch (encoding) {
        case ImageEncoding::png:
            return ".png";
        case ImageEncoding::pgm:
            return channels == 3 ? ".ppm" : ".pgm";
        case ImageEncoding::npy:
            return ".npy";
    }
    return "";
}

std::string encode_image(const Tensor& t, ImageEncoding encoding) {
    if (encoding == ImageEncoding::npy) {
        return encode_npy(t);
    }
    const Shape& s = t.shape();
    if (s.channels != 1 && s.channels != 3) {
        throw ShapeError(
            fmt::format("an 8-bit {} holds 1 or 3 channels, the final stage has {} "
                        "(use --format npy)",
                        encoding == ImageEncoding::png ? "PNG" : "PGM/PPM", s.channels));
    }
    const std::vector<unsigned char> px = tensor_to_u8_pixels(t);
    if (encoding == ImageEncoding::pgm) {
        std::string out =
            fmt::format("P{}\n{} {}\n255\n", s.channels == 3 ? 6 : 5, s.width, s.height);
        out.append(reinterpret_cast<const char*>(px.data()), px.size());
        return out;
    }
    return encode_png8(px, s.width, s.height, s.channels);
}

std::vector<unsigned char> read_stdin(std::size_t max_bytes) {
    std::vector<unsigned char> bytes;
    std::array<unsigned char, 65536> buf{};
    for (;;) {
        const ssize_t n = ::read(0, buf.data(), buf.size());
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            throw InputError(fmt::format("cannot read standard input: {}", std::strerror(errno)));
        }
        if (n == 0) {
            break;
        }
        bytes.insert(bytes.end(), buf.data(), buf.data() + n);
        if (bytes.size() > max_bytes) {
            throw InputError(fmt::format("standard input is larger than {} bytes", max_bytes));
        }
    }
    return bytes;
}

std::string read_text_file(const std::string& path, std::size_t max_bytes, std::string_view what) {
    // NOLINTNEXTLINE(cppcoreguidelines-pro-type-vararg): open(2) is variadic
    const FdCloser file{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
    if (file.fd < 0) {
        throw UsageError(fmt::format("{}: cannot read '{}': {}", what, path, errno_text(errno)));
    }
    struct stat st {};
    if (::fstat(file.fd, &st) == 0 && S_ISDIR(st.st_mode)) {
        throw UsageError(fmt::format("{}: '{}' is a directory", what, path));
    }
    const auto too_large = [&] {
        return UsageError(fmt::format("{}: '{}' is larger than {} bytes", what, path, max_bytes));
    };
    if (S_ISREG(st.st_mode) && static_cast<std::size_t>(st.st_size) > max_bytes) {
        throw too_large();
    }
    std::string text;
    std::array<char, 65536> buf{};
    for (;;) {
        const std::size_t want = std::min(buf.size(), max_bytes + 1 - text.size());
        const ssize_t n = ::read(file.fd, buf.data(), want);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            throw UsageError(
                fmt::format("{}: cannot read '{}': {}", what, path, errno_text(errno)));
        }
        if (n == 0) {
            return text;
        }
        text.append(buf.data(), static_cast<std::size_t>(n));
        if (text.size() > max_bytes) {
            throw too_large();
        }
    }
}

std::string pipeline_argument(std::string_view value) {
    if (value.empty() || value.front() != '@') {
        return std::string(value);
    }
    // At most what a pipeline may hold: `@/dev/zero` reads 64 KiB, not until memory runs out.
    return read_text_file(std::string(value.substr(1)), kMaxPipelineBytes, "pipeline file");
}

void write_file_atomic(const std::string& path, std::span<const char> bytes) {
    const std::filesystem::path target(path);
    OutputDir::open(target.has_parent_path() ? target.parent_path().string() : ".", false)
        .write(target.filename().string(), std::string_view(bytes.data(), bytes.size()));
}

}  // namespace convpool
