// convpool bench's floor: the time to read a stage's input bytes once and write its output bytes
// once with the same threads, by the fastest streaming code found on the benchmark machine (see
// docs/performance.md, "The floor"): 32-byte loads, non-temporal 32-byte stores (no read for
// ownership of the destination), input and output walked together in proportional steps of one
// 128-byte line, and two such walks interleaved in each thread (two streams of each kind keep
// more memory requests in flight than one).
#include "convpool/commands/bench.hpp"
#include "convpool/core/parallel.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <cstring>

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#endif

namespace convpool {
namespace {

constexpr std::size_t kLine = 128;  ///< bytes per step: four 32-byte vectors

/// Reads `bytes` bytes at `src` by copying them, a cache-sized piece at a time, into a small
/// buffer that stays in L1 (a streaming read that the compiler cannot drop; the plain path).
void stream_read(const unsigned char* src, std::size_t bytes) {
    constexpr std::size_t kPiece = std::size_t{16} * 1024;
    std::array<unsigned char, kPiece> sink{};
    for (std::size_t done = 0; done < bytes; done += kPiece) {
        std::memcpy(sink.data(), src + done, std::min(kPiece, bytes - done));
    }
    asm volatile("" : : "r"(sink.data()) : "memory");  // keep the copies
}

/// One region (input and output bytes of consecutive pieces) walked in `steps` steps of at most
/// one input line read and one output line written: the larger side advances every step, the
/// smaller one when its share (Bresenham) reaches a whole line.
struct Walk {
    const unsigned char* src = nullptr;
    unsigned char* dst = nullptr;  ///< 32-byte aligned
    std::size_t in_lines = 0;
    std::size_t out_lines = 0;
    std::size_t steps = 0;  ///< max(in_lines, out_lines)
    std::size_t in_share = 0;
    std::size_t out_share = 0;
};

Walk make_walk(const unsigned char* src, std::size_t in_bytes, unsigned char* dst,
               std::size_t out_bytes) {
    Walk w;
    w.src = src;
    w.dst = dst;
    w.in_lines = in_bytes / kLine;
    w.out_lines = out_bytes / kLine;
    w.steps = std::max(w.in_lines, w.out_lines);
    return w;
}

#if defined(__x86_64__) && defined(__GNUC__)
/// The four accumulators of a walk: every loaded line is or-ed in, every stored line is them.
struct Lanes {
    __m256i a;
    __m256i b;
    __m256i c;
    __m256i d;
};

/// One step of `w`: reads its next input line into `acc` and stores `acc` as its next output
/// line, each when that side's share reaches a whole line.
__attribute__((target("avx2"), always_inline)) inline void step(Walk& w, Lanes& acc) {
    w.in_share += w.in_lines;
    if (w.in_share >= w.steps) {
        w.in_share -= w.steps;
        const auto* p = reinterpret_cast<const __m256i*>(w.src);
        acc.a = _mm256_or_si256(acc.a, _mm256_loadu_si256(p));
        acc.b = _mm256_or_si256(acc.b, _mm256_loadu_si256(p + 1));
        acc.c = _mm256_or_si256(acc.c, _mm256_loadu_si256(p + 2));
        acc.d = _mm256_or_si256(acc.d, _mm256_loadu_si256(p + 3));
        w.src += kLine;
    }
    w.out_share += w.out_lines;
    if (w.out_share >= w.steps) {
        w.out_share -= w.steps;
        auto* q = reinterpret_cast<__m256i*>(w.dst);
        _mm256_stream_si256(q, acc.a);
        _mm256_stream_si256(q + 1, acc.b);
        _mm256_stream_si256(q + 2, acc.c);
        _mm256_stream_si256(q + 3, acc.d);
        w.dst += kLine;
    }
}

/// Walks `a` and `b` in lockstep, then what is left of the longer one.
__attribute__((target("avx2"))) void walk_pair_avx2(Walk a, Walk b) {
    Lanes x{_mm256_setzero_si256(), _mm256_setzero_si256(), _mm256_setzero_si256(),
            _mm256_setzero_si256()};
    Lanes y = x;
    const std::size_t both = std::min(a.steps, b.steps);
    for (std::size_t i = 0; i < both; ++i) {
        step(a, x);
        step(b, y);
    }
    for (std::size_t i = both; i < a.steps; ++i) {
        step(a, x);
    }
    for (std::size_t i = both; i < b.steps; ++i) {
        step(b, y);
    }
    _mm_sfence();
    asm volatile("" : : "x"(x.a), "x"(y.a));
}

bool has_avx2() {
    static const bool avx2 = static_cast<bool>(__builtin_cpu_supports("avx2"));
    return avx2;
}
#endif

/// Reads [src, src + in_bytes) and writes [dst, dst + out_bytes) (dst 32-byte aligned): with
/// AVX2 as two interleaved walks of the halves, the bytes past their whole lines plainly.
void stream_region(const unsigned char* src, std::size_t in_bytes, unsigned char* dst,
                   std::size_t out_bytes) {
    std::size_t in_done = 0;
    std::size_t out_done = 0;
#if defined(__x86_64__) && defined(__GNUC__)
    if (has_avx2()) {
        const std::size_t in_half = in_bytes / 2 / kLine * kLine;
        const std::size_t out_half = out_bytes / 2 / kLine * kLine;
        const Walk a = make_walk(src, in_half, dst, out_half);
        const Walk b =
            make_walk(src + in_half, in_bytes - in_half, dst + out_half, out_bytes - out_half);
        walk_pair_avx2(a, b);
        in_done = in_half + b.in_lines * kLine;
        out_done = out_half + b.out_lines * kLine;
    }
#endif
    stream_read(src + in_done, in_bytes - in_done);
    std::memset(dst + out_done, 0, out_bytes - out_done);
}

}  // namespace

double streaming_copy_seconds(std::span<const std::byte> in, std::span<std::byte> out) {
    const auto* src = reinterpret_cast<const unsigned char*>(in.data());
    auto* dst = reinterpret_cast<unsigned char*>(out.data());
    // The first bytes up to a 32-byte boundary of the destination are written plainly.
    const std::size_t head =
        std::min(out.size_bytes(), (32 - reinterpret_cast<std::uintptr_t>(dst) % 32) % 32);
    std::memset(dst, 0, head);
    dst += head;
    const std::size_t in_bytes = in.size_bytes();
    const std::size_t out_bytes = out.size_bytes() - head;
    // Both buffers split into the same number of proportional pieces (on line boundaries), as a
    // pool's output rows map to its input rows; each thread takes a contiguous run of pieces,
    // as parallel_for splits a kernel's output rows.
    constexpr std::size_t kPieces = 1024;
    const std::size_t grain =
        kPieces * kMinBytesPerThread / std::max<std::size_t>(in_bytes + out_bytes, 1);
    const auto bound = [](std::size_t bytes, std::size_t piece) {
        return piece == kPieces ? bytes : bytes * piece / kPieces / kLine * kLine;
    };
    const auto start = std::chrono::steady_clock::now();
    parallel_for(kPieces, grain, [&](std::size_t begin, std::size_t end) {
        const std::size_t a = bound(in_bytes, begin);
        const std::size_t c = bound(out_bytes, begin);
        stream_region(src + a, bound(in_bytes, end) - a, dst + c, bound(out_bytes, end) - c);
    });
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace convpool
