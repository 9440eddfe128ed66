// libFuzzer target: the .npy header parser (a Python literal dict, as numpy 1.24 reads it) and
// the array decoding behind it (every dtype and layout, batches: the first and last item), on
// arbitrary bytes after the magic string.
#include "convpool/core/error.hpp"
#include "convpool/io/npy.hpp"

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::span<const unsigned char> bytes(data, size);
    using convpool::NpyLayout;
    for (const auto layout : {NpyLayout::automatic, NpyLayout::hwc, NpyLayout::chw, NpyLayout::nhw,
                              NpyLayout::nchw, NpyLayout::nhwc}) {
        std::vector<std::string> warnings;
        try {
            const std::size_t count = convpool::npy_item_count(bytes, layout);
            (void)convpool::decode_npy(bytes, layout, 0, &warnings);
            (void)convpool::decode_npy(bytes, layout, count - 1, &warnings);
        } catch (const convpool::InputError&) {
        }
    }
    return 0;
}
