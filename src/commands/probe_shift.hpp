#pragma once
/// \file probe_shift.hpp
/// Inside `probe`: the equivariance and consistency measurements of one pool, on the pre-pool
/// maps probe.cpp computes once per prefix.

#include "convpool/commands/probe.hpp"

#include <functional>
#include <vector>

namespace convpool {

/// A pooling stage as a function of its input.
using PoolFn = std::function<Tensor(const Tensor&)>;

/// Equivariance for every shift 1..`shifts` that is a multiple of the total stride on both axes.
/// `pre_ref` is the pre-pool map of the reference crop, `pre_shifted` of the shifted crops
/// ([(d-1)*8 + direction], directions as kDirections), `pool_ref` the pool of `pre_ref`.
[[nodiscard]] std::vector<EquivariancePoint> equivariance_points(
    const PoolFn& pool, const Tensor& pre_ref, const Tensor& pool_ref,
    const std::vector<Tensor>& pre_shifted, int shifts, const Stride2& total,
    const Stride2& pre_stride);

/// Consistency of the crop pairs (`pre_pairs` [2 * pair + 0/1], `offsets` each pair's offset):
/// offset 0 (every pair) first, then each offset that has pairs.
[[nodiscard]] std::vector<ConsistencyPoint> consistency_points(const PoolFn& pool,
                                                               const std::vector<Tensor>& pre_pairs,
                                                               const std::vector<int>& offsets,
                                                               double tolerance);

/// The 8 directions of a shift, (dy, dx), row-major around the centre.
inline constexpr std::array<std::array<int, 2>, 8> kDirections{
    {{-1, -1}, {-1, 0}, {-1, 1}, {0, -1}, {0, 1}, {1, -1}, {1, 0}, {1, 1}}};

}  // namespace convpool
