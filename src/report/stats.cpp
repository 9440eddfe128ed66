// The statistics of a stage (moments, shares, entropy, exact percentiles, the histogram) in two
// passes over its values, in a file of their own so that they alone are built at -O3
// (src/CMakeLists). The first pass sums and counts; the second measures spreads around the
// first pass's means and ranges, and narrows every percentile to the values of one group of
// order keys; a third pass, only over what is still open, is needed only when a group is both
// large and holds many distinct values close together (docs/outputs.md, "statistics").
#include "convpool/core/parallel.hpp"
#include "convpool/report/report.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <mutex>
#include <optional>

#include "stats_detail.hpp"

namespace convpool {
namespace {

using detail::BinCounts;
using detail::key_value;
using detail::order_key;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr std::array<double, 3> kQs{0.01, 0.50, 0.99};
constexpr std::size_t kEntropyBins = 256;
constexpr std::size_t kHistogramBins = 64;

/// A key's top 11 bits are its group, the next 11 its sub-bin within the group.
constexpr unsigned kGroupShift = 21;
constexpr std::size_t kGroups = std::size_t{1} << 11U;
constexpr unsigned kSubShift = 10;
constexpr unsigned kSubBits = 11;
constexpr std::uint32_t kSubMask = (1U << 11U) - 1U;
constexpr std::size_t kSubBins = std::size_t{1} << 11U;

/// Values per piece of the passes. The pieces, not the threads, fix the order in which partial
/// sums are added, so the results do not depend on the thread count. A piece never spans two
/// channels.
constexpr std::size_t kStatsPiece = std::size_t{1} << 16;

/// Values per chunk of a piece in the second pass: their bins are worked out together.
constexpr std::size_t kChunk = 256;

bool finite_bits(float v) { return (std::bit_cast<std::uint32_t>(v) & 0x7F800000U) != 0x7F800000U; }

struct Piece {
    std::size_t part = 0;  ///< the channel
    std::size_t begin = 0;
    std::size_t end = 0;
};

/// The pieces of `parts` equal channels of `n` values, channel by channel.
std::vector<Piece> pieces_of(std::size_t n, std::size_t parts) {
    std::vector<Piece> pieces;
    const std::size_t plane = parts == 0 ? 0 : n / parts;
    for (std::size_t c = 0; c < parts; ++c) {
        for (std::size_t b = 0; b < plane; b += kStatsPiece) {
            pieces.push_back({c, c * plane + b, c * plane + std::min(plane, b + kStatsPiece)});
        }
    }
    return pieces;
}

/// Calls body(first, last) over ranges of the pieces, spread over the threads.
template <typename F>
void over_pieces(const std::vector<Piece>& pieces, const F& body) {
    parallel_for(pieces.size(), kMinBytesPerThread / (kStatsPiece * sizeof(float)) + 1, body);
}

/// Adds `from` into `into`, element by element.
template <typename T>
void add_into(std::vector<T>& into, const std::vector<T>& from) {
    for (std::size_t i = 0; i < into.size(); ++i) {
        into[i] += from[i];
    }
}

/// The sums of the first pass over one piece, or over a set of values.
struct Sums {
    std::size_t finite = 0;
    std::size_t zeros = 0;
    std::size_t negatives = 0;
    double sum = 0.0;
    float lo = std::numeric_limits<float>::infinity();
    float hi = -std::numeric_limits<float>::infinity();

    void add(const Sums& o) {
        finite += o.finite;
        zeros += o.zeros;
        negatives += o.negatives;
        sum += o.sum;
        lo = std::min(lo, o.lo);
        hi = std::max(hi, o.hi);
    }
};

/// The passes' loops, built also for x86-64-v3 (AVX2: four doubles to a vector) and picked
/// once per machine. Both builds do the same operations in the same order, never contracted
/// into FMA (src/CMakeLists), so they give the same bits.
#define CONVPOOL_STATS_KERNEL __attribute__((target_clones("arch=x86-64-v3", "default")))

/// The first pass over one piece; with `groups`, also counts its finite values per key group.
CONVPOOL_STATS_KERNEL Sums first_pass(const float* data, const Piece& p, std::size_t* groups) {
    Sums s;
    for (std::size_t i = p.begin; i < p.end; ++i) {
        const float v = data[i];
        if (!finite_bits(v)) {
            continue;
        }
        ++s.finite;
        s.lo = std::min(s.lo, v);
        s.hi = std::max(s.hi, v);
        s.sum += static_cast<double>(v);
        s.zeros += v == 0.0F ? 1U : 0U;
        s.negatives += v < 0.0F ? 1U : 0U;
        if (groups != nullptr) {
            ++groups[order_key(v) >> kGroupShift];
        }
    }
    return s;
}

/// A group of order keys that holds a wanted rank of one set (a channel, or all values). A
/// small group has its values collected; a large one counts its sub-bins, with the smallest and
/// largest key of each, so that a sub-bin of one distinct value needs no further pass.
struct Slot {
    std::uint32_t group = 0;
    bool collect = true;
    std::vector<float> values;          ///< collect
    std::vector<std::size_t> counts;    ///< !collect: per sub-bin
    std::vector<std::uint32_t> lo_key;  ///< !collect: per sub-bin
    std::vector<std::uint32_t> hi_key;

    void open_counts() {
        counts.assign(kSubBins, 0);
        lo_key.assign(kSubBins, std::numeric_limits<std::uint32_t>::max());
        hi_key.assign(kSubBins, 0);
    }
    /// Takes `n` values equal to `v` (key `key`).
    void take(std::uint32_t key, float v, std::size_t n) {
        if (collect) {
            values.insert(values.end(), n, v);
            return;
        }
        const std::size_t d = (key >> kSubShift) & kSubMask;
        counts[d] += n;
        lo_key[d] = std::min(lo_key[d], key);
        hi_key[d] = std::max(hi_key[d], key);
    }
    void merge(const Slot& o) {
        if (collect) {
            values.insert(values.end(), o.values.begin(), o.values.end());
            return;
        }
        for (std::size_t d = 0; d < kSubBins; ++d) {
            counts[d] += o.counts[d];
            lo_key[d] = std::min(lo_key[d], o.lo_key[d]);
            hi_key[d] = std::max(hi_key[d], o.hi_key[d]);
        }
    }
};

/// A rank wanted in one set: where it lies after the first pass.
struct Wanted {
    std::size_t rank = 0;        ///< among the set's finite values
    std::size_t slot = 0;        ///< its group's slot
    std::size_t in_group = 0;    ///< its rank among the values of that group
    std::optional<float> value;  ///< once known
    /// Else, after the second pass: its key's top 22 bits (group, sub-bin), and its rank among
    /// the values whose keys start with them.
    detail::PrefixRank open;
};

/// One set of values the statistics are of: a channel, or (with several) the whole stage.
struct Set {
    Sums sums;
    double mean = 0.0;
    std::vector<std::size_t> groups;  ///< first pass: finite values per key group
    std::vector<Wanted> wanted;
    std::vector<Slot> slots;
    std::array<std::int16_t, kGroups> slot_of{};  ///< group -> slot, -1: none

    /// The ranks of the percentiles and their groups' slots (after the first pass).
    void plan_ranks() {
        if (sums.finite == 0) {
            return;
        }
        const std::size_t budget = std::max(sums.finite / 16, std::size_t{1} << 16U);
        for (const std::size_t rank : detail::percentile_ranks(sums.finite, kQs)) {
            std::size_t g = 0;
            std::size_t r = rank;
            while (r >= groups[g]) {
                r -= groups[g];
                ++g;
            }
            if (slot_of[g] < 0) {
                slot_of[g] = static_cast<std::int16_t>(slots.size());
                Slot slot;
                slot.group = static_cast<std::uint32_t>(g);
                slot.collect = groups[g] <= budget;
                if (!slot.collect) {
                    slot.open_counts();
                } else {
                    slot.values.reserve(groups[g]);
                }
                slots.push_back(std::move(slot));
            }
            wanted.push_back({rank, static_cast<std::size_t>(slot_of[g]), r, std::nullopt});
        }
    }

    /// Empty slots of the same kinds, for one thread's share of the second pass.
    [[nodiscard]] std::vector<Slot> empty_slots() const {
        std::vector<Slot> out;
        for (const Slot& s : slots) {
            Slot e;
            e.group = s.group;
            e.collect = s.collect;
            if (!e.collect) {
                e.open_counts();
            } else {
                // Room for the whole group (pages are touched only as it fills): no copies.
                e.values.reserve(groups[s.group]);
            }
            out.push_back(std::move(e));
        }
        return out;
    }

    /// The values of the wanted ranks the second pass decided (the others stay unset).
    void resolve() {
        for (Wanted& w : wanted) {
            Slot& s = slots[w.slot];
            if (s.collect) {
                const auto at = s.values.begin() + static_cast<std::ptrdiff_t>(w.in_group);
                std::nth_element(s.values.begin(), at, s.values.end());
                w.value = *at;
                continue;
            }
            std::size_t d = 0;
            std::size_t r = w.in_group;
            while (r >= s.counts[d]) {
                r -= s.counts[d];
                ++d;
            }
            if (s.lo_key[d] == s.hi_key[d]) {
                w.value = key_value(s.lo_key[d]);
            } else {
                w.open = {(s.group << kSubBits) | static_cast<std::uint32_t>(d), r};
            }
        }
    }
};

/// What one thread gathers in the second pass, and the scratch of its chunks.
struct SecondPass {
    std::vector<BinCounts> entropy;  ///< per set
    BinCounts histogram{kHistogramBins};
    std::vector<std::vector<Slot>> slots;  ///< per set
    std::vector<std::int32_t> bins = std::vector<std::int32_t>(kChunk);
    std::vector<std::uint32_t> keys = std::vector<std::uint32_t>(kChunk);
    std::vector<std::uint32_t> hits = std::vector<std::uint32_t>(kChunk);
};

/// The statistics of `values` (CHW, `parts` channels) as a stage report wants them.
class StageStatistics {
public:
    StageStatistics(std::span<const float> values, std::size_t parts, StatsLevel level)
        : m_values(values),
          m_parts(std::max<std::size_t>(parts, 1)),
          m_full(level == StatsLevel::full),
          m_pieces(pieces_of(values.size(), m_parts)),
          m_sets(m_parts > 1 ? m_parts + 1 : 1) {}

    StageStats run() {
        first();
        second();
        StageStats out;
        for (std::size_t c = 0; c < m_parts; ++c) {
            out.channels.push_back(finish(c));
        }
        out.overall = m_parts > 1 ? finish(m_parts) : out.channels.front();
        out.histogram = m_histogram;
        return out;
    }

private:
    /// The set of all values: the channel's own when there is one channel.
    [[nodiscard]] std::size_t all() const { return m_sets.size() - 1; }

    void first() {
        std::vector<Sums> sums(m_pieces.size());
        for (Set& s : m_sets) {
            s.groups.assign(m_full ? kGroups : 0, 0);
            s.slot_of.fill(-1);
        }
        std::mutex lock;
        over_pieces(m_pieces, [&](std::size_t first, std::size_t last) {
            std::vector<std::size_t> groups(m_full ? m_parts * kGroups : 0, 0);
            for (std::size_t k = first; k < last; ++k) {
                const Piece& p = m_pieces[k];
                sums[k] = first_pass(m_values.data(), p,
                                     m_full ? groups.data() + p.part * kGroups : nullptr);
            }
            const std::lock_guard<std::mutex> guard(lock);
            for (std::size_t c = 0; m_full && c < m_parts; ++c) {
                for (std::size_t g = 0; g < kGroups; ++g) {
                    m_sets[c].groups[g] += groups[c * kGroups + g];
                }
            }
        });
        for (std::size_t k = 0; k < m_pieces.size(); ++k) {
            m_sets[m_pieces[k].part].sums.add(sums[k]);
            if (m_parts > 1) {
                m_sets[all()].sums.add(sums[k]);
            }
        }
        for (std::size_t c = 0; m_full && m_parts > 1 && c < m_parts; ++c) {
            add_into(m_sets[all()].groups, m_sets[c].groups);
        }
        for (Set& s : m_sets) {
            s.mean = s.sums.finite == 0 ? 0.0 : s.sums.sum / static_cast<double>(s.sums.finite);
            if (m_full) {
                s.plan_ranks();
            }
        }
    }

    /// One piece of the second pass: squares around the means into `squares` (own set, and
    /// all values when there are several), and with full statistics the entropy bins, the
    /// stage histogram and the percentile slots, a chunk of values at a time.
    CONVPOOL_STATS_KERNEL void second_piece(const Piece& p, std::array<double, 2>& squares,
                                            SecondPass& t) const {
        const Set& own = m_sets[p.part];
        const Set& every = m_sets[all()];
        const bool several = m_parts > 1;
        double own_sq = 0.0;
        double all_sq = 0.0;
        for (std::size_t c = p.begin; c < p.end; c += kChunk) {
            const std::size_t n = std::min(kChunk, p.end - c);
            const float* v = m_values.data() + c;
            // In value order, as a plain loop adds them: the same bits for every split.
            for (std::size_t i = 0; i < n; ++i) {
                if (finite_bits(v[i])) {
                    const double d = static_cast<double>(v[i]) - own.mean;
                    own_sq += d * d;
                    if (several) {
                        const double e = static_cast<double>(v[i]) - every.mean;
                        all_sq += e * e;
                    }
                }
            }
            if (m_full) {
                count_chunk(v, n, p.part, t);
            }
        }
        squares = {own_sq, all_sq};
    }

    /// The entropy bins, the histogram's bins and the percentile slots of the `n` values at `v`
    /// of channel `part`: the bins of the whole chunk first (loops the compiler vectorises),
    /// then counted.
    CONVPOOL_STATS_KERNEL void count_chunk(const float* v, std::size_t n, std::size_t part,
                                           SecondPass& t) const {
        const Set& own = m_sets[part];
        const Set& every = m_sets[all()];
        const auto lo = static_cast<double>(every.sums.lo);
        const auto hi = static_cast<double>(every.sums.hi);
        std::int32_t* bins = t.bins.data();
        if (own.sums.hi > own.sums.lo) {
            entropy_bins(v, n, own.sums.lo, own.sums.hi, bins);
            t.entropy[part].count(bins, n);
        }
        if (m_parts > 1 && hi > lo) {
            entropy_bins(v, n, every.sums.lo, every.sums.hi, bins);
            t.entropy[all()].count(bins, n);
        }
        // Never negative: truncation is value_histogram's floor. Not finite: the last bin.
        const double scale = hi > lo ? static_cast<double>(kHistogramBins) / (hi - lo) : 0.0;
        for (std::size_t i = 0; i < n; ++i) {
            const double h = (static_cast<double>(v[i]) - lo) * scale;
            const bool finite = h >= 0.0 && h <= 2.0 * kHistogramBins;
            bins[i] = static_cast<std::int32_t>(
                finite ? std::min(h, static_cast<double>(kHistogramBins - 1)) : kHistogramBins);
        }
        t.histogram.count(bins, n);
        for (std::size_t i = 0; i < n; ++i) {
            t.keys[i] = order_key(v[i]);
        }
        take_slots(own, v, n, t, t.slots[part]);
        if (m_parts > 1) {
            take_slots(every, v, n, t, t.slots[all()]);
        }
    }

    /// Gives the values of a chunk (`v`, keys in t.keys) that fall in a slot of `set` to
    /// `slots`: their positions found first without a branch, as few values fall in one, then
    /// taken a run of equal keys at a time (a map's many zeros). A value that is not finite
    /// has a key group of its own, never a slot's.
    static void take_slots(const Set& set, const float* v, std::size_t n, SecondPass& t,
                           std::vector<Slot>& slots) {
        std::size_t found = 0;
        for (std::size_t i = 0; i < n; ++i) {
            t.hits[found] = static_cast<std::uint32_t>(i);
            found += set.slot_of[t.keys[i] >> kGroupShift] >= 0 ? 1U : 0U;
        }
        for (std::size_t k = 0; k < found;) {
            const std::uint32_t key = t.keys[t.hits[k]];
            std::size_t run = 1;
            while (k + run < found && t.keys[t.hits[k + run]] == key) {
                ++run;
            }
            slots[static_cast<std::size_t>(set.slot_of[key >> kGroupShift])].take(key, v[t.hits[k]],
                                                                                  run);
            k += run;
        }
    }

    /// The entropy bins of the `n` values at `v` over [lo, hi] (hi > lo): floor((v - lo) /
    /// (hi - lo) * 256), at most 255, kEntropyBins for a value that is not finite. The quotient
    /// of a finite value is in [0, 256], so truncation is the floor (without SSE4.1,
    /// std::floor is a library call per value); one of NaN or inf is not, and has no branch of
    /// its own, so that the loop vectorises.
    static void entropy_bins(const float* v, std::size_t n, float lo, float hi,
                             std::int32_t* bins) {
        const auto low = static_cast<double>(lo);
        const double width = static_cast<double>(hi) - low;
        for (std::size_t i = 0; i < n; ++i) {
            const double q = (static_cast<double>(v[i]) - low) / width * 256.0;
            const bool finite = q >= 0.0 && q <= 256.0;
            bins[i] = static_cast<std::int32_t>(finite ? std::min(q, 255.0) : 256.0);
        }
    }

    void second() {
        std::vector<std::array<double, 2>> squares(m_pieces.size());
        m_entropy.assign(m_full ? m_sets.size() * kEntropyBins : 0, 0);
        m_histogram.counts.assign(m_full ? kHistogramBins : 0, 0);
        std::mutex lock;
        over_pieces(m_pieces, [&](std::size_t first, std::size_t last) {
            SecondPass t;
            t.entropy.assign(m_full ? m_sets.size() : 0, BinCounts(kEntropyBins));
            for (const Set& s : m_sets) {
                t.slots.push_back(s.empty_slots());
            }
            for (std::size_t k = first; k < last; ++k) {
                second_piece(m_pieces[k], squares[k], t);
            }
            const std::lock_guard<std::mutex> guard(lock);
            for (std::size_t k = 0; k < t.entropy.size(); ++k) {
                t.entropy[k].add_to(m_entropy, k * kEntropyBins);
            }
            if (m_full) {
                t.histogram.add_to(m_histogram.counts, 0);
            }
            for (std::size_t s = 0; s < m_sets.size(); ++s) {
                for (std::size_t k = 0; k < t.slots[s].size(); ++k) {
                    m_sets[s].slots[k].merge(t.slots[s][k]);
                }
            }
        });
        m_own_squares.assign(m_parts, 0.0);
        m_all_squares = 0.0;
        for (std::size_t k = 0; k < m_pieces.size(); ++k) {
            m_own_squares[m_pieces[k].part] += squares[k][0];
            m_all_squares += squares[k][1];
        }
        const Sums& every = m_sets[all()].sums;
        if (every.finite > 0) {
            m_histogram.lo = static_cast<double>(every.lo);
            m_histogram.hi = static_cast<double>(every.hi);
        } else {
            m_histogram.counts.clear();
        }
    }

    /// The statistics of set `s` from both passes (a third for percentiles still open).
    ChannelStats finish(std::size_t s) {
        Set& set = m_sets[s];
        ChannelStats out;
        const bool whole = s == all();
        const std::size_t plane = m_values.size() / m_parts;
        const std::span<const float> values = whole ? m_values : m_values.subspan(s * plane, plane);
        out.count = values.size();
        out.nonfinite = out.count - set.sums.finite;
        out.entropy = out.p1 = out.p50 = out.p99 = kNaN;
        if (set.sums.finite == 0) {
            out.min = out.max = out.mean = out.std = out.zero_fraction = out.negative_fraction =
                kNaN;
            return out;
        }
        const auto n = static_cast<double>(set.sums.finite);
        out.min = static_cast<double>(set.sums.lo);
        out.max = static_cast<double>(set.sums.hi);
        out.mean = set.mean;
        out.zero_fraction = static_cast<double>(set.sums.zeros) / n;
        out.negative_fraction = static_cast<double>(set.sums.negatives) / n;
        const double squares = whole && m_parts > 1 ? m_all_squares : m_own_squares[s];
        out.std = std::sqrt(squares / n);
        if (!m_full) {
            return out;
        }
        out.entropy = 0.0;
        if (out.max > out.min) {
            for (std::size_t b = 0; b < kEntropyBins; ++b) {
                if (const std::size_t c = m_entropy[s * kEntropyBins + b]; c != 0) {
                    const double p = static_cast<double>(c) / n;
                    out.entropy -= p * std::log2(p);
                }
            }
        }
        const std::vector<double> p =
            detail::interpolate_percentiles(set.sums.finite, kQs, percentile_values(set, values));
        out.p1 = p[0];
        out.p50 = p[1];
        out.p99 = p[2];
        return out;
    }

    /// The values of the wanted ranks of `set`, those the second pass left open found by the
    /// last step of a radix selection over `values`: their top 22 key bits are known.
    static std::vector<float> percentile_values(Set& set, std::span<const float> values) {
        set.resolve();
        std::vector<detail::PrefixRank> open;
        for (const Wanted& w : set.wanted) {
            if (!w.value) {
                open.push_back(w.open);
            }
        }
        const std::vector<float> found =
            open.empty() ? std::vector<float>()
                         : detail::values_of_ranks(values, std::move(open), 2 * kSubBits);
        std::vector<float> order;
        std::size_t next = 0;
        for (const Wanted& w : set.wanted) {
            order.push_back(w.value ? *w.value : found[next++]);
        }
        return order;
    }

    std::span<const float> m_values;
    std::size_t m_parts;
    bool m_full;
    std::vector<Piece> m_pieces;
    std::vector<Set> m_sets;  ///< the channels, then all values when there are several
    std::vector<std::size_t> m_entropy;
    std::vector<double> m_own_squares;
    double m_all_squares = 0.0;
    Histogram m_histogram;
};

}  // namespace

StageStats stage_stats(std::span<const float> values, int channels, StatsLevel level) {
    return StageStatistics(values, static_cast<std::size_t>(std::max(channels, 1)), level).run();
}

ChannelStats channel_stats(std::span<const float> values, StatsLevel level) {
    return stage_stats(values, 1, level).overall;
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
