#pragma once
/// \file parallel.hpp
/// How many threads the fast kernels use, and the one loop that splits work between them.
///
/// The thread count is a single process-wide setting, read-only after the CLI sets it from
/// `--threads` (default: the machine's hardware concurrency). It is a setting rather than an
/// argument because `Op::apply` is pure and takes only a tensor: passing an execution context
/// through every op would change every op's signature for one integer. Results never depend on
/// it: parallel_for hands each index to exactly one call of the same body, so every output is
/// computed by the same code in the same order whatever the split.

#include <cstddef>
#include <functional>

namespace convpool {

/// Work below this many bytes (read + written) per thread stays on fewer threads: starting a
/// thread costs more than it saves. The kernels and the bench floor split work by this rule.
inline constexpr std::size_t kMinBytesPerThread = std::size_t{1} << 20;

/// Sets the number of threads of parallel_for; 0 means std::thread::hardware_concurrency().
/// Call it before any work starts (the CLI does, from `--threads`).
void set_thread_count(int threads);

/// The number of threads parallel_for uses (at least 1).
[[nodiscard]] int thread_count() noexcept;

/// Calls `body(begin, end)` on consecutive ranges covering [0, n), at most thread_count() of
/// them at a time, one per thread (the calling thread takes the first). Ranges hold at least
/// `min_grain` indices, so small jobs stay on the calling thread. The first exception thrown
/// by a body is rethrown after every thread has finished.
void parallel_for(std::size_t n, std::size_t min_grain,
                  const std::function<void(std::size_t begin, std::size_t end)>& body);

/// Makes freed memory reusable without new page faults: glibc serves large blocks (over 32 MB)
/// with fresh mmap calls, so every new tensor of that size would fault in and zero each page
/// again, on one thread, before a kernel writes it. This turns mmap off for malloc and keeps
/// freed memory in the heap (glibc's M_MMAP_MAX and M_TRIM_THRESHOLD); the peak resident size
/// stays that of the live tensors. Called once by the CLI before any work; a no-op elsewhere.
void keep_freed_memory();

}  // namespace convpool
