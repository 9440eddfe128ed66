#include "convpool/core/parallel.hpp"

#include <algorithm>
#include <atomic>
#include <exception>
#include <limits>
#include <thread>
#include <vector>

#if __has_include(<malloc.h>)
#include <malloc.h>
#endif

namespace convpool {
namespace {

int hardware_threads() noexcept {
    const unsigned n = std::thread::hardware_concurrency();
    return n == 0 ? 1 : static_cast<int>(std::min(n, 256U));
}

/// The documented process-wide setting (see parallel.hpp); 0 until set_thread_count is called.
// NOLINTNEXTLINE(cppcoreguidelines-avoid-non-const-global-variables): the one setting
std::atomic<int> g_threads{0};

}  // namespace

void set_thread_count(int threads) {
    g_threads.store(threads <= 0 ? hardware_threads() : std::min(threads, 256));
}

int thread_count() noexcept {
    const int n = g_threads.load(std::memory_order_relaxed);
    return n > 0 ? n : hardware_threads();
}

void parallel_for(std::size_t n, std::size_t min_grain,
                  const std::function<void(std::size_t begin, std::size_t end)>& body) {
    if (n == 0) {
        return;
    }
    const std::size_t grain = std::max<std::size_t>(min_grain, 1);
    const std::size_t parts =
        std::min(static_cast<std::size_t>(thread_count()), std::max<std::size_t>(n / grain, 1));
    if (parts <= 1) {
        body(0, n);
        return;
    }
    const auto bound = [n, parts](std::size_t part) { return n * part / parts; };
    std::vector<std::exception_ptr> errors(parts);
    std::vector<std::thread> workers;
    workers.reserve(parts - 1);
    for (std::size_t part = 1; part < parts; ++part) {
        workers.emplace_back([&, part] {
            try {
                body(bound(part), bound(part + 1));
            } catch (...) {
                errors[part] = std::current_exception();
            }
        });
    }
    try {
        body(0, bound(1));
    } catch (...) {
        errors[0] = std::current_exception();
    }
    for (auto& w : workers) {
        w.join();
    }
    for (const auto& e : errors) {
        if (e) {
            std::rethrow_exception(e);
        }
    }
}

void keep_freed_memory() {
#if defined(M_MMAP_MAX) && defined(M_TRIM_THRESHOLD)
    (void)mallopt(M_MMAP_MAX, 0);
    (void)mallopt(M_TRIM_THRESHOLD, std::numeric_limits<int>::max());
#endif
}

}  // namespace convpool
