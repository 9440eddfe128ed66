#pragma once
// `convpool kernel SPEC`: the coefficients of named filters, generated banks and custom kernels
// as aligned tables, and as .npy (declared with the other subcommands in cli/options.cpp).

#include <string>
#include <string_view>

namespace convpool::cli {

/// The arguments of `convpool kernel`.
struct KernelArgs {
    std::string spec;  ///< bank entries (`gabor(theta=45)`), or a `bank:` stage
    std::string npy;   ///< --npy FILE ("" none)
};

/// The kernels of `spec` (what `bank:SPEC` filters with) as tables: a line naming each kernel
/// with its size and sum, then its rows, every value right-aligned in one column width. Throws
/// UsageError for a spec that does not parse.
[[nodiscard]] std::string kernel_text(std::string_view spec);

/// Runs `convpool kernel`: prints the tables and writes --npy (a (kH, kW) array for one kernel,
/// (N, kH, kW) for several of one size; several sizes are a UsageError). Returns the exit code.
int kernel_command(const KernelArgs& args);

}  // namespace convpool::cli
