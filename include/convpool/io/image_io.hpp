#pragma once
/// \file image_io.hpp
/// Reading images into tensors and writing files safely. OpenCV is used only behind this
/// header (and visualize.hpp). Values: 8-bit and 16-bit images become [0, 1]; float images are
/// taken as they are; .npy arrays as decode_npy reads them (integers scaled, floats kept).
/// Colour images become RGB (alpha is dropped). A file may hold several images (TIFF pages,
/// a .npy batch): LoadOptions::item picks one, count_items says how many.

#include "convpool/core/tensor.hpp"
#include "convpool/io/npy.hpp"

#include <cstddef>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace convpool {

/// Limits applied while loading untrusted files.
struct LoadOptions {
    std::size_t max_bytes = std::size_t{1} << 30;  ///< largest file read
    std::size_t max_pixels = 128'000'000;          ///< largest H*W accepted
    NpyLayout npy_layout = NpyLayout::automatic;   ///< axis order of 3-D and 4-D .npy arrays
    /// Which image of a file that holds several (a TIFF page, an item of a .npy batch), 0-based.
    /// Unset: the first, with a warning when there are more.
    std::optional<std::size_t> item;
    /// A multi-page TIFF becomes one image whose channels are its pages' (all of one size).
    bool pages_as_channels = false;
    bool strict = false;  ///< truncated data is an error, not a warning
    bool isolate_decoder =
        true;  ///< decode in a child process (a crashing decoder fails one input)
    /// Decode a JPEG to its luminance only (one channel: the JPEG's own Y, as
    /// imread(IMREAD_GRAYSCALE)), skipping the colour planes. For a pipeline that starts with
    /// `gray` and shows no input picture; Y can differ from `gray` of the decoded RGB by a
    /// level or two in 255 (chroma upsampling and rounding). Other formats decode as usual.
    bool luminance = false;
    /// Apply a JPEG's or PNG's EXIF orientation tag (`--orient exif`): the image becomes the
    /// picture as it should be seen (decoders::apply_orientation). Otherwise pixels stay as
    /// stored, and a tag other than 1 gives a note. (OpenCV's TIFF decoder always applies a TIFF's
    /// Orientation tag.)
    bool orient_exif = false;
    /// When set, an 8-bit image (1 to 4 channels, any format but .npy) for whose shape (C×H×W
    /// as the tensor would have it) keep_u8 is true stays in 8 bits: LoadedImage::u8 holds it
    /// as load_image_u8 gives it, and `tensor` stays empty (unit_tensor(*u8) is the tensor it
    /// would have been). Other data (16-bit, float, .npy) becomes a tensor as usual.
    std::function<bool(const Shape&)> keep_u8;
    /// Polled while the decoding child works: when it returns true (Ctrl-C), the child is
    /// killed and Stopped thrown. The child is in a process group of its own, so the terminal's
    /// SIGINT reaches only this process, which decides.
    std::function<bool()> stop_requested;
};

/// A decoded input and what was odd about it (e.g. truncated data that still decoded).
struct LoadedImage {
    Tensor tensor;
    std::vector<std::string> warnings;
    bool luminance_only = false;  ///< a JPEG decoded to its luminance (LoadOptions::luminance)
    /// What the input picture's report should say: an EXIF orientation applied, or ignored.
    std::vector<std::string> notes;
    std::optional<ImageU8> u8;  ///< the 8-bit pixels instead of `tensor` (LoadOptions::keep_u8)
    /// One name per channel: `R`, `G`, `B` for a colour picture, `Y` for a gray one; empty for
    /// channels without names (a .npy array's, TIFF pages as channels), which are `c0`, `c1`, ...
    std::vector<std::string> channel_names;
};

/// True when `path` has an extension convpool reads (png, jpg, tif, bmp, webp, pnm, npy, ...).
[[nodiscard]] bool is_image_path(const std::string& path);

/// Reads and decodes `path` (a regular file). Throws InputError ("no such file", "not an
/// image", "too large", "truncated" with `strict`, ...) without the path; the caller adds it.
[[nodiscard]] LoadedImage load_image(const std::string& path, const LoadOptions& options);

/// Reads and decodes `path` as an 8-bit image without converting to float: interleaved
/// (H×W×C) as decoded, in RGB order like load_image (gray stays one channel, alpha is dropped).
/// Throws InputError as load_image does, and for data that is not 8-bit (16-bit or float
/// images, .npy arrays).
[[nodiscard]] ImageU8 load_image_u8(const std::string& path, const LoadOptions& options);

/// Decodes an image or .npy held in memory: the header is checked first (format allowlist by
/// magic bytes, size against max_pixels), then the decoder runs. Throws InputError.
[[nodiscard]] LoadedImage decode_image(std::span<const unsigned char> bytes,
                                       const LoadOptions& options);

/// How many images `bytes` hold: a TIFF's pages (1 with pages_as_channels), a .npy batch's
/// items (npy_item_count with options.npy_layout), else 1; also 1 for data that does not parse
/// (decoding then reports why).
[[nodiscard]] std::size_t count_items(std::span<const unsigned char> bytes,
                                      const LoadOptions& options);

/// A file of more images than this is refused as a run's input (each image is an input).
inline constexpr std::size_t kMaxItemsPerFile = 100000;

/// What count_file_items found: how many images, and whether they are TIFF pages.
struct FileItems {
    std::size_t count = 1;
    bool tiff_pages = false;
};

/// count_items of the file `path`: reads the first bytes, and maps the file only for a TIFF or
/// a .npy. 1 when the file cannot be read (loading it then reports why).
[[nodiscard]] FileItems count_file_items(const std::string& path, const LoadOptions& options);

/// count_items of bytes held in memory (standard input), as a FileItems.
[[nodiscard]] FileItems count_bytes_items(std::span<const unsigned char> bytes,
                                          const LoadOptions& options);

/// File formats for a final image.
enum class ImageEncoding {
    png,  ///< 8-bit gray or RGB PNG
    pgm,  ///< 8-bit binary PGM (1 channel) or PPM (3 channels)
    npy,  ///< float32 (C, H, W), any channel count
};

/// Encodes `t` as a file. For png and pgm, values in [0, 1] map to 0..255 and any other range is
/// stretched from its finite min and max; NaN becomes 0; only 1 or 3 channels are allowed
/// (ShapeError otherwise).
[[nodiscard]] std::string encode_image(const Tensor& t, ImageEncoding encoding);

/// File name extension of an encoding, with the dot (`.png`, `.pgm`/`.ppm`, `.npy`).
[[nodiscard]] std::string encoding_extension(ImageEncoding encoding, int channels);

/// Reads all of standard input (at most `max_bytes`); throws InputError.
[[nodiscard]] std::vector<unsigned char> read_stdin(std::size_t max_bytes);

/// Text of an errno value for messages: "no such file", "permission denied", else strerror.
[[nodiscard]] std::string errno_text(int err);

/// The contents of the text file `path` (a pipeline file, a --files-from list, a report),
/// reading at most `max_bytes` + 1 bytes: /dev/zero or an endless FIFO costs no more. Throws
/// UsageError "`cannot read` 'path': why", "'path' is a directory" or "'path' is larger than
/// max_bytes bytes", each after `what` (e.g. "--files-from: cannot read 'x': ...").
[[nodiscard]] std::string read_text_file(const std::string& path, std::size_t max_bytes,
                                         std::string_view what);

/// The text of `-p VALUE`: VALUE itself, or the contents of FILE for `@FILE` (at most
/// kMaxPipelineBytes). Throws UsageError when the file cannot be read.
[[nodiscard]] std::string pipeline_argument(std::string_view value);

/// Writes `bytes` to `path` through a temporary file in the same directory, fsync and rename
/// (OutputDir::write of the parent folder, which must exist): the file is either complete
/// or absent. Throws OutputError naming the path.
void write_file_atomic(const std::string& path, std::span<const char> bytes);

}  // namespace convpool

namespace convpool {
/// First argument that makes a convpool program (the CLI or the test runner) act as the decoding
/// child of decode_image: `main` must call decode_child_main() when it sees it.
inline constexpr const char* kDecodeChildArgument = "__decode-child";

/// The decoding child: reads encoded bytes from stdin, decodes them, puts the pixels in the
/// shared result file (fd 3) and returns the exit code. Only for `main`.
int decode_child_main() noexcept;

/// Silences OpenCV's own log output unless `verbose`.
void configure_library_logging(bool verbose);
}  // namespace convpool
