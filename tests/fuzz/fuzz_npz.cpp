// libFuzzer target: the weights inputs a pipeline's `@FILE` reads, on arbitrary bytes: the .npz
// (zip) reader (end record, central directory, local headers, bounded inflate, CRC-32, key
// lookup) and the weights .npy decoder (float16/32/64, any rank) behind it.
#include "convpool/core/error.hpp"
#include "convpool/io/npy.hpp"
#include "convpool/io/npz.hpp"

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace {

void decode(std::span<const unsigned char> bytes) {
    try {
        const auto w = convpool::decode_weights_npy(bytes);
        std::size_t count = 1;
        for (const std::size_t d : w.shape) {
            count *= d;
        }
        if (count != w.values.size()) {
            __builtin_trap();  // the shape must describe the values
        }
    } catch (const convpool::InputError&) {
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::span<const unsigned char> bytes(data, size);
    decode(bytes);
    if (!convpool::is_zip(bytes)) {
        return 0;
    }
    std::vector<std::string> keys;
    try {
        keys = convpool::npz_keys(bytes);
    } catch (const convpool::InputError&) {
    }
    keys.emplace_back("a");
    keys.emplace_back("../a");
    // A small cap keeps each input fast; the reader must refuse bigger members before inflating.
    constexpr std::size_t kCap = std::size_t{1} << 20;
    for (std::size_t i = 0; i < keys.size() && i < 8; ++i) {
        try {
            const auto member = convpool::npz_member(bytes, keys[i], kCap);
            if (member.size() > kCap) {
                __builtin_trap();
            }
            decode(member);
        } catch (const convpool::InputError&) {
        }
    }
    return 0;
}
