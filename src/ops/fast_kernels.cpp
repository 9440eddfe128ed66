#include "fast_kernels.hpp"

#include <cstring>

// Two builds of each kernel on x86-64 GCC: AVX2 and the baseline, chosen at load time.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define CONVPOOL_KERNEL __attribute__((target_clones("avx2", "default")))
#else
#define CONVPOOL_KERNEL
#endif

namespace convpool::ops::kernels {
namespace {

template <bool IsMax>
[[nodiscard]] inline float pick(float a, float b) {
    if constexpr (IsMax) {
        return pick_max(a, b);
    } else {
        return pick_min(a, b);
    }
}

template <bool IsMax>
inline void pick_into_t(float* __restrict acc, const float* __restrict later, int n) {
    for (int i = 0; i < n; ++i) {
        acc[i] = pick<IsMax>(acc[i], later[i]);
    }
}

template <bool IsMax>
inline void pick_rows_t(float* __restrict dst, const float* __restrict earlier,
                        const float* __restrict later, int n) {
    for (int i = 0; i < n; ++i) {
        dst[i] = pick<IsMax>(earlier[i], later[i]);
    }
}

template <bool IsMax>
inline void pick_shifted_t(float* __restrict dst, const float* __restrict src, int n, int offset) {
    const float* __restrict next = src + offset;
    for (int x = 0; x < n; ++x) {
        dst[x] = pick<IsMax>(src[x], next[x]);
    }
}

template <bool IsMax, int Stride>
inline void pick_sampled_t(float* __restrict out, const float* __restrict src, int n, int stride,
                           int offset) {
    const int s = Stride > 0 ? Stride : stride;
    const float* __restrict next = src + offset;
    for (int o = 0; o < n; ++o) {
        out[o] = pick<IsMax>(src[o * s], next[o * s]);
    }
}

template <bool IsMax>
inline void pick_sampled_any(float* out, const float* src, int n, int stride, int offset) {
    if (stride == 1) {
        pick_sampled_t<IsMax, 1>(out, src, n, 1, offset);
    } else if (stride == 2) {
        pick_sampled_t<IsMax, 2>(out, src, n, 2, offset);
    } else {
        pick_sampled_t<IsMax, 0>(out, src, n, stride, offset);
    }
}

template <int Stride>
inline void add_sampled_t(double* __restrict acc, const float* __restrict src, int n, int stride) {
    const int s = Stride > 0 ? Stride : stride;
    for (int o = 0; o < n; ++o) {
        acc[o] += static_cast<double>(src[o * s]);
    }
}

}  // namespace

CONVPOOL_KERNEL void pick_into(float* acc, const float* later, int n, bool is_max) {
    if (is_max) {
        pick_into_t<true>(acc, later, n);
    } else {
        pick_into_t<false>(acc, later, n);
    }
}

CONVPOOL_KERNEL void pick_rows(float* dst, const float* earlier, const float* later, int n,
                               bool is_max) {
    if (is_max) {
        pick_rows_t<true>(dst, earlier, later, n);
    } else {
        pick_rows_t<false>(dst, earlier, later, n);
    }
}

CONVPOOL_KERNEL void pick_shifted(float* dst, const float* src, int n, int offset, bool is_max) {
    if (is_max) {
        pick_shifted_t<true>(dst, src, n, offset);
    } else {
        pick_shifted_t<false>(dst, src, n, offset);
    }
}

CONVPOOL_KERNEL void pick_sampled(float* out, const float* src, int n, int stride, int offset,
                                  bool is_max) {
    if (offset == 0) {
        if (stride == 1) {
            std::memcpy(out, src, static_cast<std::size_t>(n) * sizeof(float));
        } else {
            for (int o = 0; o < n; ++o) {
                out[o] = src[static_cast<std::ptrdiff_t>(o) * stride];
            }
        }
    } else if (is_max) {
        pick_sampled_any<true>(out, src, n, stride, offset);
    } else {
        pick_sampled_any<false>(out, src, n, stride, offset);
    }
}

CONVPOOL_KERNEL void add_sampled(double* acc, const float* src, int n, int stride) {
    if (stride == 1) {
        add_sampled_t<1>(acc, src, n, 1);
    } else if (stride == 2) {
        add_sampled_t<2>(acc, src, n, 2);
    } else {
        add_sampled_t<0>(acc, src, n, stride);
    }
}

}  // namespace convpool::ops::kernels
