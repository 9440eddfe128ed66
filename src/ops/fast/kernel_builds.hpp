#pragma once
// The builds of the fast row kernels (rows.cpp, conv_rows.cpp): on x86-64 GCC each kernel is
// compiled for AVX2 and the baseline (and AVX-512F where it pays), chosen at load time; the
// intrinsics headers the kernels use.

#if defined(__SSE2__)
#include <emmintrin.h>
#endif
// The AVX2 and AVX-512 builds of correlate_rows_3x3, chosen at run time by what the machine has.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#include <immintrin.h>
#define CONVPOOL_SIMD_BUILDS 1
#endif

// Two builds of each kernel on x86-64 GCC: AVX2 and the baseline, chosen at load time.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define CONVPOOL_KERNEL __attribute__((target_clones("avx2", "default")))
#else
#define CONVPOOL_KERNEL
#endif
