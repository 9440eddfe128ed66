// convpool bench's floor (streaming_copy_seconds): it must read every input byte and write every
// output byte, whatever the sizes (lines of 128 bytes and remainders) and the destination's
// alignment.
#include "convpool/commands/bench.hpp"
#include "convpool/core/parallel.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cstddef>
#include <vector>

using namespace convpool;

namespace {
constexpr auto kUnwritten = std::byte{0xAB};

/// Runs the floor from `in_bytes` bytes of 0x01 to `out_bytes` bytes at `offset` into a buffer
/// of kUnwritten, and returns the buffer.
std::vector<std::byte> floor_output(std::size_t in_bytes, std::size_t out_bytes,
                                    std::size_t offset) {
    const std::vector<std::byte> in(in_bytes, std::byte{1});
    std::vector<std::byte> buffer(offset + out_bytes + 64, kUnwritten);
    const double seconds =
        streaming_copy_seconds(in, std::span<std::byte>(buffer).subspan(offset, out_bytes));
    CHECK(seconds >= 0.0);
    return buffer;
}
}  // namespace

TEST_CASE("bench floor: writes every output byte with what it read, and nothing else") {
    for (const int threads : {1, 2, 3}) {
        set_thread_count(threads);
        for (const std::size_t in_bytes : {0UL, 1UL, 127UL, 128UL, 4096UL, 1000003UL, 4UL << 20U}) {
            for (const std::size_t out_bytes : {0UL, 5UL, 128UL, 1000UL, 1UL << 20U, 3000017UL}) {
                for (const std::size_t offset : {0UL, 4UL, 17UL, 32UL}) {
                    CAPTURE(threads);
                    CAPTURE(in_bytes);
                    CAPTURE(out_bytes);
                    CAPTURE(offset);
                    const auto buffer = floor_output(in_bytes, out_bytes, offset);
                    // Every output byte is written: zero or the 0x01 the input holds (the floor
                    // stores what its loads accumulated, zeros where it has read nothing yet).
                    const auto first = buffer.begin() + static_cast<std::ptrdiff_t>(offset);
                    const auto last = first + static_cast<std::ptrdiff_t>(out_bytes);
                    CHECK(std::all_of(first, last, [](std::byte b) {
                        return b == std::byte{0} || b == std::byte{1};
                    }));
                    // Nothing around it is.
                    CHECK(std::all_of(buffer.begin(), first,
                                      [](std::byte b) { return b == kUnwritten; }));
                    CHECK(std::all_of(last, buffer.end(),
                                      [](std::byte b) { return b == kUnwritten; }));
                }
            }
        }
    }
    set_thread_count(0);
}
