#pragma once
/// \file reference_fractional.hpp
/// Naive references for fractional, stochastic (test phase) and unpooling, test-only and sharing no
/// code with convpool. Integer arithmetic where the definition allows it.

#include <vector>

#include "reference/reference.hpp"

namespace ref {

/// Graham's pseudo-random boundaries a_0..a_out for u = u_num/u_den exactly: a_i =
/// ceil(n*(i+u)/out) - ceil(n*u/out), a_out = n, with every ceil an integer division.
[[nodiscard]] std::vector<int> pseudo_boundaries(int n, int out, long long u_num, long long u_den);

/// One region [begin, end) per output position.
struct Region {
    int begin = 0;
    int end = 0;
};

/// Regions from boundaries: [a_i, a_{i+1}), or with `overlap` [a_i, a_{i+1}] cut at n.
[[nodiscard]] std::vector<Region> regions_from_boundaries(const std::vector<int>& a, int n,
                                                          bool overlap);

/// Maximum of every rows[i] x cols[j] region of every channel (NaN wins, as max pooling).
[[nodiscard]] Image region_max(const Image& in, const std::vector<Region>& rows,
                               const std::vector<Region>& cols);

/// Stochastic pooling's test-phase value of one window: sum(a^2)/sum(a) in double, summed in
/// row-major order; 0 for an all-zero window.
[[nodiscard]] float stochastic_expectation(const std::vector<float>& window);

/// max_unpool: an h x w plane per channel of `pooled`, zero except pooled value i written at flat
/// index indices[c][i] (later writes win).
[[nodiscard]] Image unpool(const Image& pooled, const std::vector<long long>& indices, int h,
                           int w);

}  // namespace ref
