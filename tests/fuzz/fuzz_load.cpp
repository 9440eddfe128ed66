// libFuzzer target: the load path (magic bytes, header probe, .npy parser, decode) on arbitrary
// bytes. Decodes in this process (a fork per input would hide crashes from the fuzzer) with a
// small pixel cap so that huge claimed sizes are refused rather than allocated.
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
    try {
        const auto loaded =
            convpool::decode_image(std::span<const unsigned char>(data, size), options);
        (void)loaded;
    } catch (const convpool::InputError&) {
    }
    return 0;
}
