#include "io/decoders.hpp"

#include "convpool/core/error.hpp"

#include <dlfcn.h>
#include <fmt/format.h>
#include <opencv2/imgcodecs.hpp>  // declarations only: imgcodecs is loaded with dlopen
#include <opencv2/imgproc.hpp>
// clang-format off: jpeglib.h needs <cstdio> first
#include <jpeglib.h>

#include <cstdio>
// clang-format on
#include <png.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <csetjmp>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace convpool::decoders {
namespace {

// Both C libraries report errors by longjmp. Each decoder therefore has an inner function that
// holds only C objects, calls setjmp, and returns false after a longjmp; the C++ objects it
// fills (the Mat, the row pointers) live in its caller, which throws. No C++ frame with objects
// to destroy is ever jumped over.

/// Copies `text` into a C message buffer, cut to fit, NUL-terminated.
template <std::size_t N>
void set_message(std::array<char, N>& buffer, std::string_view text) {
    const std::size_t n = std::min(text.size(), N - 1);
    std::copy_n(text.begin(), n, buffer.begin());
    buffer[n] = '\0';
}

using Clock = std::chrono::steady_clock;

/// The first warning a decoder gave and how many it gave.
struct Warnings {
    std::array<char, 256> first{};
    int count = 0;
};

/// Records a decoder warning in *w.
void note_warning(Warnings* w, std::string_view text) {
    if (w->count++ == 0) {
        set_message(w->first, text);
    }
}

/// "first (and N more)", or "" when there was none.
std::string warning_text(Warnings& w) {
    w.first.back() = '\0';
    if (w.count == 0) {
        return {};
    }
    return w.count == 1 ? std::string(w.first.data())
                        : fmt::format("{} (and {} more)", w.first.data(), w.count - 1);
}

/// libjpeg's error manager with where to jump, the message of a fatal error, the warnings, and
/// the limits the progress monitor enforces.
struct JpegErrors {
    jpeg_error_mgr manager{};  // first: libjpeg sees a pointer to it
    std::jmp_buf jump{};
    std::array<char, JMSG_LENGTH_MAX> message{};
    bool limit_hit = false;  // message is ours (a limit), not libjpeg's
    Warnings warnings;
    jpeg_progress_mgr progress{};
    Clock::time_point deadline;
    DecodeLimits limits;
};

void jpeg_fail(j_common_ptr cinfo) {
    auto* errors = reinterpret_cast<JpegErrors*>(cinfo->err);
    (*cinfo->err->format_message)(cinfo, errors->message.data());
    // libjpeg's error_exit must not return (see above); jmp_buf is an array type.
    // NOLINTNEXTLINE(cppcoreguidelines-pro-bounds-array-to-pointer-decay)
    std::longjmp(errors->jump, 1);
}

/// Keeps libjpeg's warnings (level -1: corrupt data it decoded anyway); drops trace messages.
void jpeg_warn(j_common_ptr cinfo, int level) {
    if (level >= 0) {
        return;
    }
    auto* errors = reinterpret_cast<JpegErrors*>(cinfo->err);
    ++cinfo->err->num_warnings;
    std::array<char, JMSG_LENGTH_MAX> text{};
    (*cinfo->err->format_message)(cinfo, text.data());
    note_warning(&errors->warnings, text.data());
}

/// libjpeg's progress monitor, called for every row of blocks of every scan: gives up on a scan
/// bomb (a progressive JPEG of thousands of scans, each decoded in full) and after the time
/// limit.
void jpeg_progress(j_common_ptr cinfo) {
    auto* errors = reinterpret_cast<JpegErrors*>(cinfo->err);
    const auto* decompress = reinterpret_cast<j_decompress_ptr>(cinfo);
    if (decompress->input_scan_number > errors->limits.max_scans) {
        set_message(errors->message,
                    fmt::format("jpeg data has more than {} scans", errors->limits.max_scans));
    } else if (Clock::now() > errors->deadline) {
        set_message(errors->message, fmt::format("jpeg decoder took more than {} s; gave up",
                                                 errors->limits.seconds));
    } else {
        return;
    }
    errors->limit_hit = true;
    // NOLINTNEXTLINE(cppcoreguidelines-pro-bounds-array-to-pointer-decay): jmp_buf is an array
    std::longjmp(errors->jump, 1);
}

/// Decodes into *out (8-bit, 1, 3 BGR or 4 CMYK channels); false with errors->message set.
bool jpeg_decode_into(const unsigned char* data, std::size_t size, bool luminance, cv::Mat* out,
                      JpegErrors* errors) {
    jpeg_decompress_struct cinfo{};
    cinfo.err = jpeg_std_error(&errors->manager);
    errors->manager.error_exit = jpeg_fail;
    errors->manager.emit_message = jpeg_warn;
    // NOLINTNEXTLINE(cppcoreguidelines-pro-bounds-array-to-pointer-decay): jmp_buf is an array
    if (setjmp(errors->jump) != 0) {
        jpeg_destroy_decompress(&cinfo);
        return false;
    }
    jpeg_create_decompress(&cinfo);
    errors->progress.progress_monitor = jpeg_progress;
    cinfo.progress = &errors->progress;
    jpeg_mem_src(&cinfo, data, static_cast<unsigned long>(size));
    jpeg_read_header(&cinfo, TRUE);
    int channels = 3;
    if (cinfo.jpeg_color_space == JCS_CMYK || cinfo.jpeg_color_space == JCS_YCCK) {
        cinfo.out_color_space = JCS_CMYK;
        channels = 4;
    } else if (luminance || cinfo.num_components == 1) {
        cinfo.out_color_space = JCS_GRAYSCALE;
        channels = 1;
    } else {
        cinfo.out_color_space = JCS_EXT_BGR;
    }
    jpeg_start_decompress(&cinfo);
    if (cinfo.output_components != channels) {
        set_message(errors->message,
                    fmt::format("unexpected output of {} components", cinfo.output_components));
        jpeg_destroy_decompress(&cinfo);
        return false;
    }
    out->create(static_cast<int>(cinfo.output_height), static_cast<int>(cinfo.output_width),
                CV_8UC(channels));
    while (cinfo.output_scanline < cinfo.output_height) {
        JSAMPROW row = out->ptr(static_cast<int>(cinfo.output_scanline));
        if (jpeg_read_scanlines(&cinfo, &row, 1) != 1) {
            set_message(errors->message, fmt::format("no scanline {}", cinfo.output_scanline));
            jpeg_destroy_decompress(&cinfo);
            return false;
        }
    }
    jpeg_finish_decompress(&cinfo);
    jpeg_destroy_decompress(&cinfo);
    return true;
}

/// Adobe's inverted CMYK (each value stored as 255 - ink) as libjpeg gives it, to BGR with
/// OpenCV's integer formula, so that CMYK JPEGs decode as they did through cv::imdecode:
/// channel = k - ((255 - stored) * k >> 8).
cv::Mat cmyk_to_bgr(const cv::Mat& cmyk) {
    cv::Mat bgr(cmyk.rows, cmyk.cols, CV_8UC3);
    const auto ink = [](unsigned stored, unsigned k) {
        return static_cast<unsigned char>(k - (((255U - stored) * k) >> 8U));
    };
    for (int y = 0; y < cmyk.rows; ++y) {
        const unsigned char* in = cmyk.ptr(y);
        unsigned char* o = bgr.ptr(y);
        for (int x = 0; x < cmyk.cols; ++x, in += 4, o += 3) {
            o[0] = ink(in[2], in[3]);
            o[1] = ink(in[1], in[3]);
            o[2] = ink(in[0], in[3]);
        }
    }
    return bgr;
}

/// Where libpng reads from, and until when.
struct PngSource {
    const unsigned char* data = nullptr;
    std::size_t size = 0;
    std::size_t at = 0;
    Clock::time_point deadline;
    bool late = false;  // gave up at the deadline
};

/// The message of a fatal error, and the warnings.
struct PngMessage {
    std::array<char, 256> error{};
    Warnings warnings;
};

/// libpng's read callback, called for every chunk and every piece of image data: also where
/// decoding gives up after the time limit.
void png_read_from(png_structp png, png_bytep out, png_size_t n) {
    auto* source = static_cast<PngSource*>(png_get_io_ptr(png));
    if (source->size - source->at < n) {
        png_error(png, "the data ends early");
    }
    if (Clock::now() > source->deadline) {
        source->late = true;
        png_error(png, "time limit");
    }
    std::memcpy(out, source->data + source->at, n);
    source->at += n;
}

void png_fail(png_structp png, png_const_charp message) {
    auto* text = static_cast<PngMessage*>(png_get_error_ptr(png));
    set_message(text->error, message);
    png_longjmp(png, 1);
}

void png_warn(png_structp png, png_const_charp message) {
    note_warning(&static_cast<PngMessage*>(png_get_error_ptr(png))->warnings, message);
}

/// Limits what libpng allocates for chunks it reads. Text, suggested palettes, colour profiles,
/// EXIF and calibration chunks, which convpool does not use, are skipped without being read:
/// libpng 1.6.39 allocates and zeroes the declared length of a tEXt, zTXt, iTXt or sPLT chunk
/// (2^31 - 1 in an 84-byte file: 2 GB, 10 to 40 s) even when that is over its malloc limit.
void set_png_limits(png_structp png) {
    static constexpr std::array<png_byte, 40> kSkipped{
        't', 'E', 'X', 't', 0, 'z', 'T', 'X', 't', 0, 'i', 'T', 'X', 't', 0, 's', 'P', 'L', 'T', 0,
        'i', 'C', 'C', 'P', 0, 'e', 'X', 'I', 'f', 0, 'p', 'C', 'A', 'L', 0, 's', 'C', 'A', 'L', 0};
    png_set_keep_unknown_chunks(png, PNG_HANDLE_CHUNK_NEVER, kSkipped.data(),
                                static_cast<int>(kSkipped.size() / 5));
    png_set_chunk_malloc_max(png, kPngChunkBytes);  // any other chunk libpng keeps
    png_set_chunk_cache_max(png, kPngChunkCount);   // ancillary chunks kept, at most
    png_set_user_limits(png, kPngMaxSide, kPngMaxSide);
}

/// Whether every entry of a palette image's palette is gray (red = green = blue).
bool gray_palette(png_structp png, png_infop info) {
    png_colorp palette = nullptr;
    int entries = 0;
    if (png_get_PLTE(png, info, &palette, &entries) == 0 || palette == nullptr) {
        return false;
    }
    return std::all_of(palette, palette + entries,
                       [](const png_color& c) { return c.red == c.green && c.green == c.blue; });
}

/// Sets libpng's transformations for colour type `color` and returns the channels they give:
/// gray (tRNS dropped) and palette images whose palette is all gray give 1, gray+alpha and
/// gray palettes with transparency 2 (gray, alpha); RGB and other palettes 3 (BGR), or 4 (BGRA)
/// with transparency.
int set_png_transformations(png_structp png, png_infop info, int color) {
    const bool transparency = png_get_valid(png, info, PNG_INFO_tRNS) != 0;
    if (color == PNG_COLOR_TYPE_GRAY) {
        png_set_expand_gray_1_2_4_to_8(png);  // tRNS is not expanded to alpha: dropped
        return 1;
    }
    if (color == PNG_COLOR_TYPE_GRAY_ALPHA) {
        return 2;
    }
    png_set_expand(png);  // palette to RGB, tRNS to alpha
    if (color == PNG_COLOR_TYPE_PALETTE && gray_palette(png, info)) {
        // Red = green = blue: libpng's conversion keeps the value exactly.
        png_set_rgb_to_gray_fixed(png, PNG_ERROR_ACTION_NONE, -1, -1);
        return transparency ? 2 : 1;
    }
    png_set_bgr(png);
    return (color == PNG_COLOR_TYPE_RGB || color == PNG_COLOR_TYPE_PALETTE) && !transparency ? 3
                                                                                             : 4;
}

/// Decodes into *out, using *rows for the row pointers; false with *message set.
bool png_decode_into(PngSource* source, PngMessage* message, cv::Mat* out,
                     std::vector<unsigned char*>* rows) {
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, message, png_fail, png_warn);
    png_infop info = png == nullptr ? nullptr : png_create_info_struct(png);
    if (info == nullptr) {
        png_destroy_read_struct(&png, nullptr, nullptr);
        set_message(message->error, "out of memory");
        return false;
    }
    if (setjmp(png_jmpbuf(png)) != 0) {
        png_destroy_read_struct(&png, &info, nullptr);
        return false;
    }
    png_set_read_fn(png, source, png_read_from);
    set_png_limits(png);
    png_read_info(png, info);
    png_uint_32 width = 0;
    png_uint_32 height = 0;
    int depth = 0;
    int color = 0;
    png_get_IHDR(png, info, &width, &height, &depth, &color, nullptr, nullptr, nullptr);
    const int channels = set_png_transformations(png, info, color);
    if (depth == 16) {
        png_set_swap(png);  // to the host's (little-endian) order
    }
    png_set_interlace_handling(png);
    png_read_update_info(png, info);
    const std::size_t value_bytes = depth == 16 ? 2 : 1;
    if (png_get_rowbytes(png, info) !=
        std::size_t{width} * static_cast<std::size_t>(channels) * value_bytes) {
        png_error(png, "unexpected row layout after the transformations");
    }
    out->create(static_cast<int>(height), static_cast<int>(width),
                CV_MAKETYPE(depth == 16 ? CV_16U : CV_8U, channels));
    rows->resize(height);
    for (png_uint_32 y = 0; y < height; ++y) {
        (*rows)[y] = out->ptr(static_cast<int>(y));
    }
    png_read_image(png, rows->data());
    png_read_end(png, nullptr);
    png_destroy_read_struct(&png, &info, nullptr);
    return true;
}

/// cv::imdecode from libopencv_imgcodecs, or why it could not be loaded.
using Imdecode = cv::Mat (*)(const cv::_InputArray&, int);
// Picks the overload the symbol below names; fails to compile if its signature changes.
static_assert(sizeof(static_cast<Imdecode>(&cv::imdecode)) == sizeof(Imdecode));

struct LoadedImdecode {
    Imdecode function = nullptr;
    std::string error;
};

LoadedImdecode load_imdecode() {
    void* library = ::dlopen(CONVPOOL_IMGCODECS_SONAME, RTLD_NOW | RTLD_LOCAL);
    if (library == nullptr) {
        return {nullptr, ::dlerror()};
    }
    void* symbol = ::dlsym(library, "_ZN2cv8imdecodeERKNS_11_InputArrayEi");
    if (symbol == nullptr) {
        return {nullptr, ::dlerror()};
    }
    return {reinterpret_cast<Imdecode>(symbol), {}};
}

}  // namespace

cv::Mat decode_jpeg(std::span<const unsigned char> bytes, bool luminance,
                    const DecodeLimits& limits, std::string* warning) {
    cv::Mat out;
    JpegErrors errors{};
    errors.limits = limits;
    errors.deadline = Clock::now() + std::chrono::seconds(limits.seconds);
    if (!jpeg_decode_into(bytes.data(), bytes.size(), luminance, &out, &errors)) {
        errors.message.back() = '\0';
        throw InputError(errors.limit_hit
                             ? std::string(errors.message.data())
                             : fmt::format("cannot decode jpeg data: {}", errors.message.data()));
    }
    if (warning != nullptr) {
        *warning = warning_text(errors.warnings);
    }
    if (out.channels() == 4) {
        out = cmyk_to_bgr(out);
        if (luminance) {
            cv::Mat gray;
            cv::cvtColor(out, gray, cv::COLOR_BGR2GRAY);
            out = gray;
        }
    }
    return out;
}

cv::Mat decode_png(std::span<const unsigned char> bytes, const DecodeLimits& limits,
                   std::string* warning) {
    cv::Mat out;
    std::vector<unsigned char*> rows;
    PngSource source{bytes.data(), bytes.size(), 0,
                     Clock::now() + std::chrono::seconds(limits.seconds), false};
    PngMessage message{};
    if (!png_decode_into(&source, &message, &out, &rows)) {
        if (source.late) {
            throw InputError(
                fmt::format("png decoder took more than {} s; gave up", limits.seconds));
        }
        message.error.back() = '\0';
        throw InputError(fmt::format("cannot decode png data: {}", message.error.data()));
    }
    if (warning != nullptr) {
        *warning = warning_text(message.warnings);
    }
    return out;
}

cv::Mat apply_orientation(const cv::Mat& mat, int value) {
    cv::Mat out;
    switch (value) {
        case 2:
            cv::flip(mat, out, 1);
            return out;
        case 3:
            cv::flip(mat, out, -1);
            return out;
        case 4:
            cv::flip(mat, out, 0);
            return out;
        case 5:
            cv::transpose(mat, out);
            return out;
        case 6:
            cv::rotate(mat, out, cv::ROTATE_90_CLOCKWISE);
            return out;
        case 7: {
            cv::Mat transposed;
            cv::transpose(mat, transposed);
            cv::flip(transposed, out, -1);
            return out;
        }
        case 8:
            cv::rotate(mat, out, cv::ROTATE_90_COUNTERCLOCKWISE);
            return out;
        default:
            return mat;
    }
}

cv::Mat decode_with_opencv(std::span<const unsigned char> bytes) {
    static const LoadedImdecode imdecode = load_imdecode();  // once, on first use
    if (imdecode.function == nullptr) {
        throw InputError(fmt::format("cannot load OpenCV's image codecs: {}", imdecode.error));
    }
    const cv::Mat buf(1, static_cast<int>(bytes.size()), CV_8UC1,
                      // NOLINTNEXTLINE(cppcoreguidelines-pro-type-const-cast): read only
                      const_cast<unsigned char*>(bytes.data()));
    return imdecode.function(buf, cv::IMREAD_UNCHANGED);
}

}  // namespace convpool::decoders
