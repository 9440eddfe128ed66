#pragma once
// The exact percentile selection the statistics share (private to report/): order keys of
// floats and a radix selection of given ranks by counting passes; bin counts of the passes.

#include <bit>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace convpool::detail {

/// A key whose unsigned order is the order of the finite floats (-0 sorts before +0).
[[nodiscard]] inline std::uint32_t order_key(float v) {
    const auto bits = std::bit_cast<std::uint32_t>(v);
    return (bits & 0x80000000U) != 0 ? ~bits : bits | 0x80000000U;
}

/// The float of an order key.
[[nodiscard]] inline float key_value(std::uint32_t key) {
    return std::bit_cast<float>((key & 0x80000000U) != 0 ? key & 0x7FFFFFFFU : ~key);
}

/// Count tables per bin array: value i of a chunk is counted in table i % kTables, so that a
/// run of values in one bin does not wait on its own previous increment.
constexpr std::size_t kTables = 4;

/// Bins counted in kTables tables of `bins` + 1 counts each (the last: values not counted).
class BinCounts {
public:
    explicit BinCounts(std::size_t bins) : m_stride(bins + 1), m_counts(kTables * m_stride, 0) {}

    /// Counts the bins of `n` values.
    void count(const std::int32_t* bins, std::size_t n) {
        std::size_t* c = m_counts.data();
        std::size_t i = 0;
        for (; i + kTables <= n; i += kTables) {
            for (std::size_t k = 0; k < kTables; ++k) {
                ++c[k * m_stride + static_cast<std::size_t>(bins[i + k])];
            }
        }
        for (; i < n; ++i) {
            ++c[static_cast<std::size_t>(bins[i])];
        }
    }

    /// Adds the counts of every bin (the last left out) into `into`, from `at` on.
    void add_to(std::vector<std::size_t>& into, std::size_t at) const {
        for (std::size_t b = 0; b + 1 < m_stride; ++b) {
            for (std::size_t k = 0; k < kTables; ++k) {
                into[at + b] += m_counts[k * m_stride + b];
            }
        }
    }

private:
    std::size_t m_stride;
    std::vector<std::size_t> m_counts;
};

/// The finite values of the given ranks (0-based, in ascending order of value), found exactly
/// by a most-significant-digit radix selection on order keys: three counting passes (11, 11
/// and 10 bits), each narrowing every rank to the values that share its known leading bits.
[[nodiscard]] std::vector<float> values_of_ranks(std::span<const float> values,
                                                 const std::vector<std::size_t>& ranks);

/// A rank among the finite values whose order keys start with the `known` bits `prefix`.
struct PrefixRank {
    std::uint32_t prefix = 0;
    std::size_t rank = 0;
};

/// values_of_ranks, for ranks whose leading `known` key bits (0, 11 or 22) are already found:
/// only the passes for the remaining bits (one pass when 22 are known).
[[nodiscard]] std::vector<float> values_of_ranks(std::span<const float> values,
                                                 std::vector<PrefixRank> targets, int known);

/// The two ranks around q (finite - 1) for each fraction of `qs`, as percentiles interpolate.
[[nodiscard]] std::vector<std::size_t> percentile_ranks(std::size_t finite,
                                                        std::span<const double> qs);

/// The percentiles `qs` from the values of percentile_ranks(finite, qs), interpolated linearly
/// between the order statistics around q (finite - 1), as numpy does by default.
[[nodiscard]] std::vector<double> interpolate_percentiles(std::size_t finite,
                                                          std::span<const double> qs,
                                                          const std::vector<float>& order);

}  // namespace convpool::detail
