#pragma once
// The `seed` parameter of randomised ops. Their numbers come from core/random.hpp.

#include "convpool/core/params.hpp"
#include "convpool/core/random.hpp"

#include <cstdint>
#include <string>

namespace convpool::ops {

/// The `seed` parameter of a randomised op (default 0); `what` says what it drives.
[[nodiscard]] inline ParamSpec seed_spec(const std::string& what) {
    return {.name = "seed",
            .type = ParamType::integer,
            .default_value = "0",
            .help = "seed of std::mt19937_64 (the same output on every machine): " + what,
            .min = 0,
            .max = 2147483647};
}

/// The validated `seed` of `params`.
[[nodiscard]] inline std::uint64_t seed_of(const Params& params) {
    return static_cast<std::uint64_t>(params.integer("seed"));
}

}  // namespace convpool::ops
