// The statistics of a stage (moments, shares, entropy, exact percentiles, histograms): passes
// over whole tensors, in a file of their own so that they alone are built at -O3 (src/CMakeLists).
#include "convpool/core/parallel.hpp"
#include "convpool/report/report.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <mutex>

namespace convpool {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

}  // namespace

namespace {

/// Values per piece of the statistics passes. The pieces, not the threads, fix the order in
/// which partial sums are added, so the results do not depend on the thread count.
constexpr std::size_t kStatsPiece = std::size_t{1} << 16;

/// Calls body(begin, end, piece) for every piece of [0, n), pieces spread over the threads.
template <typename F>
void for_each_piece(std::size_t n, const F& body) {
    const std::size_t pieces = (n + kStatsPiece - 1) / kStatsPiece;
    parallel_for(pieces, kMinBytesPerThread / (kStatsPiece * sizeof(float)) + 1,
                 [&](std::size_t first, std::size_t last) {
                     for (std::size_t p = first; p < last; ++p) {
                         body(p * kStatsPiece, std::min(n, (p + 1) * kStatsPiece), p);
                     }
                 });
}

/// Calls body(begin, end, counts) once per thread over its share of [0, n), with a zeroed
/// `bins`-long count array of its own, and adds every thread's counts into the result.
template <typename F>
std::vector<std::size_t> count_in_parallel(std::size_t n, std::size_t bins, const F& body) {
    std::vector<std::size_t> total(bins, 0);
    std::mutex lock;
    parallel_for(n, kMinBytesPerThread / sizeof(float), [&](std::size_t begin, std::size_t end) {
        std::vector<std::size_t> counts(bins, 0);
        body(begin, end, counts);
        const std::lock_guard<std::mutex> guard(lock);
        for (std::size_t i = 0; i < bins; ++i) {
            total[i] += counts[i];
        }
    });
    return total;
}

/// A key whose unsigned order is the order of the finite floats (-0 sorts before +0).
std::uint32_t order_key(float v) {
    const auto bits = std::bit_cast<std::uint32_t>(v);
    return (bits & 0x80000000U) != 0 ? ~bits : bits | 0x80000000U;
}

float key_value(std::uint32_t key) {
    return std::bit_cast<float>((key & 0x80000000U) != 0 ? key & 0x7FFFFFFFU : ~key);
}

/// The finite values of the given ranks (0-based, in ascending order of value), found exactly
/// by a most-significant-digit radix selection on order keys: three counting passes (11, 11
/// and 10 bits), each narrowing every rank to the values that share its known leading bits.
std::vector<float> values_of_ranks(std::span<const float> values,
                                   const std::vector<std::size_t>& ranks) {
    struct Target {
        std::uint32_t prefix = 0;  // known leading bits of the key
        std::size_t rank = 0;      // rank among the values with that prefix
    };
    std::vector<Target> targets;
    targets.reserve(ranks.size());
    for (const std::size_t r : ranks) {
        targets.push_back({0, r});
    }
    constexpr std::array<int, 3> kDigits{11, 11, 10};
    int known = 0;  // leading bits known so far
    for (const int digits : kDigits) {
        const int shift = 32 - known - digits;
        const std::size_t bins = std::size_t{1} << static_cast<unsigned>(digits);
        // The distinct prefixes still being narrowed (one count array each), in ascending
        // order, so those that share their top 11 bits are neighbours.
        std::vector<std::uint32_t> prefixes;
        prefixes.reserve(targets.size());
        for (const Target& t : targets) {
            prefixes.push_back(t.prefix);
        }
        std::sort(prefixes.begin(), prefixes.end());
        prefixes.erase(std::unique(prefixes.begin(), prefixes.end()), prefixes.end());
        const std::size_t groups = prefixes.size();
        // A key's top 11 bits -> the first group whose prefix starts with them (or none): most
        // values are turned away by this one lookup, the rest compare against a group or two.
        const int top_shift = std::max(known - 11, 0);
        const auto top_of = [&](std::uint32_t prefix) {
            return static_cast<std::size_t>(prefix >> static_cast<unsigned>(top_shift));
        };
        constexpr std::size_t kNoGroup = ~std::size_t{0};
        std::vector<std::size_t> first_group(std::size_t{1} << 11U, kNoGroup);
        for (std::size_t g = groups; g-- > 0;) {
            first_group[top_of(prefixes[g])] = g;
        }
        const auto counts = count_in_parallel(
            values.size(), groups * bins,
            [&](std::size_t begin, std::size_t end, std::vector<std::size_t>& c) {
                // Locals, not captures: the count stores could alias captured state, which the
                // compiler would then reload for every value.
                const float* const data = values.data();
                std::size_t* const count = c.data();
                const std::uint32_t* const group_prefix = prefixes.data();
                const std::size_t* const first = first_group.data();
                const std::size_t n_groups = groups;
                const auto lead_shift = static_cast<unsigned>(32 - known);
                const auto top = static_cast<unsigned>(top_shift);
                const auto digit_shift = static_cast<unsigned>(shift);
                const std::uint32_t digit_mask = static_cast<std::uint32_t>(bins) - 1U;
                const bool first_pass = known == 0;
                for (std::size_t i = begin; i < end; ++i) {
                    const auto bits = std::bit_cast<std::uint32_t>(data[i]);
                    if ((bits & 0x7F800000U) == 0x7F800000U) {
                        continue;  // inf or NaN
                    }
                    const std::uint32_t key = order_key(data[i]);
                    const std::size_t digit = (key >> digit_shift) & digit_mask;
                    if (first_pass) {
                        ++count[digit];  // one group, every value
                        continue;
                    }
                    const std::uint32_t lead = key >> lead_shift;
                    for (std::size_t g = first[lead >> top];
                         g < n_groups && (group_prefix[g] >> top) == (lead >> top); ++g) {
                        if (group_prefix[g] == lead) {
                            ++count[g * bins + digit];
                            break;
                        }
                    }
                }
            });
        for (Target& t : targets) {
            const auto g = static_cast<std::size_t>(
                std::find(prefixes.begin(), prefixes.end(), t.prefix) - prefixes.begin());
            std::size_t d = 0;
            while (t.rank >= counts[g * bins + d]) {
                t.rank -= counts[g * bins + d];
                ++d;
            }
            t.prefix = (t.prefix << static_cast<unsigned>(digits)) | static_cast<std::uint32_t>(d);
        }
        known += digits;
    }
    std::vector<float> out;
    out.reserve(targets.size());
    for (const Target& t : targets) {
        out.push_back(key_value(t.prefix));
    }
    return out;
}

/// The percentiles `qs` (fractions, 0..1) of the `finite` finite values of `values` (finite >
/// 0), interpolated linearly between the order statistics around q (finite - 1), as numpy does
/// by default.
std::vector<double> percentiles(std::span<const float> values, std::size_t finite,
                                std::span<const double> qs) {
    const auto n = static_cast<double>(finite);
    std::vector<std::size_t> ranks;
    for (const double q : qs) {
        const auto k = static_cast<std::size_t>(std::floor(q * (n - 1.0)));
        ranks.push_back(k);
        ranks.push_back(std::min(k + 1, finite - 1));
    }
    const std::vector<float> order = values_of_ranks(values, ranks);
    std::vector<double> result;
    for (std::size_t i = 0; i < qs.size(); ++i) {
        const double pos = qs[i] * (n - 1.0);
        const double frac = pos - std::floor(pos);
        const auto a = static_cast<double>(order[2 * i]);
        const auto b = static_cast<double>(order[2 * i + 1]);
        result.push_back(frac == 0.0 ? a : a + (b - a) * frac);
    }
    return result;
}

/// Sums of one piece of the first statistics pass.
struct PieceSums {
    std::size_t finite = 0;
    std::size_t zeros = 0;
    std::size_t negatives = 0;
    double sum = 0.0;
    float lo = std::numeric_limits<float>::infinity();
    float hi = -std::numeric_limits<float>::infinity();
};

}  // namespace

ChannelStats channel_stats(std::span<const float> values, StatsLevel level) {
    ChannelStats s;
    s.count = values.size();
    const std::size_t n_values = values.size();
    const std::size_t pieces = (n_values + kStatsPiece - 1) / kStatsPiece;
    std::vector<PieceSums> first(pieces);
    for_each_piece(n_values, [&](std::size_t begin, std::size_t end, std::size_t p) {
        PieceSums& ps = first[p];
        for (std::size_t i = begin; i < end; ++i) {
            const float v = values[i];
            if (!std::isfinite(v)) {
                continue;
            }
            ++ps.finite;
            ps.lo = std::min(ps.lo, v);
            ps.hi = std::max(ps.hi, v);
            ps.sum += static_cast<double>(v);
            ps.zeros += v == 0.0F ? 1U : 0U;
            ps.negatives += v < 0.0F ? 1U : 0U;
        }
    });
    PieceSums all;
    for (const PieceSums& ps : first) {
        all.finite += ps.finite;
        all.zeros += ps.zeros;
        all.negatives += ps.negatives;
        all.sum += ps.sum;
        all.lo = std::min(all.lo, ps.lo);
        all.hi = std::max(all.hi, ps.hi);
    }
    s.nonfinite = n_values - all.finite;
    s.entropy = s.p1 = s.p50 = s.p99 = kNaN;
    if (all.finite == 0) {
        s.min = s.max = s.mean = s.std = s.zero_fraction = s.negative_fraction = kNaN;
        return s;
    }
    const auto n = static_cast<double>(all.finite);
    const auto lo = static_cast<double>(all.lo);
    const auto hi = static_cast<double>(all.hi);
    s.min = lo;
    s.max = hi;
    s.mean = all.sum / n;
    s.zero_fraction = static_cast<double>(all.zeros) / n;
    s.negative_fraction = static_cast<double>(all.negatives) / n;
    std::vector<double> squares(pieces, 0.0);
    for_each_piece(n_values, [&](std::size_t begin, std::size_t end, std::size_t p) {
        double sq = 0.0;
        for (std::size_t i = begin; i < end; ++i) {
            const float v = values[i];
            if (std::isfinite(v)) {
                const double d = static_cast<double>(v) - s.mean;
                sq += d * d;
            }
        }
        squares[p] = sq;
    });
    double sq = 0.0;
    for (const double x : squares) {
        sq += x;
    }
    s.std = std::sqrt(sq / n);
    if (level != StatsLevel::full) {
        return s;
    }
    s.entropy = 0.0;
    if (hi > lo) {
        const auto hist = count_in_parallel(
            n_values, 256, [&](std::size_t begin, std::size_t end, std::vector<std::size_t>& c) {
                for (std::size_t i = begin; i < end; ++i) {
                    const float v = values[i];
                    if (std::isfinite(v)) {
                        ++c[static_cast<std::size_t>(std::min(
                            255.0, std::floor((static_cast<double>(v) - lo) / (hi - lo) * 256.0)))];
                    }
                }
            });
        for (const std::size_t c : hist) {
            if (c != 0) {
                const double p = static_cast<double>(c) / n;
                s.entropy -= p * std::log2(p);
            }
        }
    }
    const std::array<double, 3> qs{0.01, 0.50, 0.99};
    const std::vector<double> result = percentiles(values, all.finite, qs);
    s.p1 = result[0];
    s.p50 = result[1];
    s.p99 = result[2];
    return s;
}

std::optional<ValueRange> percentile_range(std::span<const float> values, double percent) {
    const auto finite = static_cast<std::size_t>(
        std::count_if(values.begin(), values.end(), [](float v) { return std::isfinite(v); }));
    if (finite == 0) {
        return std::nullopt;
    }
    // (100 - percent) / 100 rather than 1 - q: p99 is then the same double as channel_stats'.
    const std::array<double, 2> qs{percent / 100.0, (100.0 - percent) / 100.0};
    const std::vector<double> p = percentiles(values, finite, qs);
    return ValueRange{static_cast<float>(p[0]), static_cast<float>(p[1])};
}

Histogram value_histogram(std::span<const float> values, int bins) {
    Histogram h;
    const auto range = finite_value_range(values);
    if (!range || bins < 1) {
        return h;  // lo = hi = 0, no bins
    }
    h.lo = static_cast<double>(range->lo);
    h.hi = static_cast<double>(range->hi);
    h.counts.assign(static_cast<std::size_t>(bins), 0);
    const double scale = h.hi > h.lo ? static_cast<double>(bins) / (h.hi - h.lo) : 0.0;
    for (const float v : values) {
        if (std::isfinite(v)) {
            const double pos = std::floor((static_cast<double>(v) - h.lo) * scale);
            ++h.counts[static_cast<std::size_t>(std::min(static_cast<double>(bins - 1), pos))];
        }
    }
    return h;
}

}  // namespace convpool
