// libFuzzer target: the load path (magic bytes, header probe, .npy parser, decode) on arbitrary
// bytes. Decodes in this process (a fork per input would hide crashes from the fuzzer) with a
// small pixel cap so that huge claimed sizes are refused rather than allocated. A file of several
// images (TIFF pages, a .npy batch) is also read at its last item, and a TIFF's pages as channels.
#include "convpool/core/error.hpp"
#include "convpool/io/image_io.hpp"

#include <cstddef>
#include <cstdint>
#include <span>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    convpool::LoadOptions options;
    options.max_pixels = std::size_t{1} << 20;
    options.isolate_decoder = false;
    try {
        const auto loaded =
            convpool::decode_image(std::span<const unsigned char>(data, size), options);
        (void)loaded;
    } catch (const convpool::InputError&) {
    }
    options.npy_layout = convpool::NpyLayout::chw;
    options.strict = true;
    options.orient_exif = true;  // the EXIF orientation parser (io/exif.cpp) and its flips
    try {
        const auto loaded =
            convpool::decode_image(std::span<const unsigned char>(data, size), options);
        (void)loaded;
    } catch (const convpool::InputError&) {
    }
    options.npy_layout = convpool::NpyLayout::nhw;
    options.strict = false;
    const std::span<const unsigned char> bytes(data, size);
    if (const std::size_t count = convpool::count_items(bytes, options); count > 1) {
        options.item = count - 1;
        try {
            (void)convpool::decode_image(bytes, options);
        } catch (const convpool::InputError&) {
        }
        options.item.reset();
        options.pages_as_channels = true;
        try {
            (void)convpool::decode_image(bytes, options);
        } catch (const convpool::InputError&) {
        }
    }
    return 0;
}
