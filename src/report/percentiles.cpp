// Exact percentiles by radix selection over order keys (stats_detail.hpp): counting passes
// over the values, no copy and no sort. Built at -O3 with the statistics (src/CMakeLists).
#include "convpool/core/parallel.hpp"
#include "convpool/report/report.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <mutex>
#include <utility>

#include "stats_detail.hpp"

namespace convpool {
namespace detail {
namespace {

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

}  // namespace

std::vector<float> values_of_ranks(std::span<const float> values,
                                   const std::vector<std::size_t>& ranks) {
    std::vector<PrefixRank> targets;
    targets.reserve(ranks.size());
    for (const std::size_t r : ranks) {
        targets.push_back({0, r});
    }
    return values_of_ranks(values, std::move(targets), 0);
}

std::vector<float> values_of_ranks(std::span<const float> values, std::vector<PrefixRank> targets,
                                   int known) {
    constexpr std::array<int, 3> kDigits{11, 11, 10};
    for (std::size_t pass = static_cast<std::size_t>(known) / 11; pass < kDigits.size(); ++pass) {
        const int digits = kDigits[pass];
        const int shift = 32 - known - digits;
        const std::size_t bins = std::size_t{1} << static_cast<unsigned>(digits);
        // The distinct prefixes still being narrowed (one count array each), in ascending
        // order, so those that share their top 11 bits are neighbours.
        std::vector<std::uint32_t> prefixes;
        prefixes.reserve(targets.size());
        for (const PrefixRank& t : targets) {
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
        for (PrefixRank& t : targets) {
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
    for (const PrefixRank& t : targets) {
        out.push_back(key_value(t.prefix));
    }
    return out;
}

std::vector<std::size_t> percentile_ranks(std::size_t finite, std::span<const double> qs) {
    const auto n = static_cast<double>(finite);
    std::vector<std::size_t> ranks;
    for (const double q : qs) {
        const auto k = static_cast<std::size_t>(std::floor(q * (n - 1.0)));
        ranks.push_back(k);
        ranks.push_back(std::min(k + 1, finite - 1));
    }
    return ranks;
}

std::vector<double> interpolate_percentiles(std::size_t finite, std::span<const double> qs,
                                            const std::vector<float>& order) {
    const auto n = static_cast<double>(finite);
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

}  // namespace detail

std::optional<ValueRange> percentile_range(std::span<const float> values, double percent) {
    const auto finite = static_cast<std::size_t>(
        std::count_if(values.begin(), values.end(), [](float v) { return std::isfinite(v); }));
    if (finite == 0) {
        return std::nullopt;
    }
    // (100 - percent) / 100 rather than 1 - q: p99 is then the same double as channel_stats'.
    const std::array<double, 2> qs{percent / 100.0, (100.0 - percent) / 100.0};
    const std::vector<double> p = detail::interpolate_percentiles(
        finite, qs, detail::values_of_ranks(values, detail::percentile_ranks(finite, qs)));
    return ValueRange{static_cast<float>(p[0]), static_cast<float>(p[1])};
}

}  // namespace convpool
