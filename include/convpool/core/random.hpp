#pragma once
/// \file random.hpp
/// Numbers from std::mt19937_64 that are the same on every machine. The engine's output is
/// specified by the C++ standard; std::uniform_*_distribution are not (libstdc++, libc++ and
/// MSVC differ), so randomised ops and probe's noise map raw draws to numbers only through these.

#include <cstdint>
#include <random>

namespace convpool {

/// Uniform in [0, 1): the top 53 bits of one draw, scaled by 2^-53.
[[nodiscard]] inline double unit_interval(std::mt19937_64& engine) {
    return static_cast<double>(engine() >> 11U) * 0x1.0p-53;
}

/// Uniform integer in [0, n), n >= 1, without modulo bias (draws above the largest multiple of n
/// are rejected and drawn again).
[[nodiscard]] inline std::uint64_t uniform_below(std::mt19937_64& engine, std::uint64_t n) {
    const std::uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    std::uint64_t draw = engine();
    while (draw >= limit) {
        draw = engine();
    }
    return draw % n;
}

}  // namespace convpool
