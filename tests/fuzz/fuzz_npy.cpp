// libFuzzer target: the .npy header parser (a Python literal dict, as numpy 1.24 reads it) and
// the array decoding behind it, on arbitrary bytes after the magic string.
#include "convpool/core/error.hpp"
#include "convpool/io/npy.hpp"

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    for (const bool chw : {false, true}) {
        std::vector<std::string> warnings;
        try {
            const auto t =
                convpool::decode_npy(std::span<const unsigned char>(data, size), chw, &warnings);
            (void)t;
        } catch (const convpool::InputError&) {
        }
    }
    return 0;
}
