/// \file probe_shift.cpp
/// The shift measures of `probe` beyond invariance: the total stride of a pipeline, outputs
/// compared after moving one back (equivariance), and Zhang's consistency of crop pairs.
#include "probe_shift.hpp"

#include "convpool/core/error.hpp"
#include "convpool/core/format.hpp"
#include "convpool/core/random.hpp"
#include "convpool/report/metrics.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <span>

namespace convpool {

namespace {

/// Growth of the input on each axis used to find a stride (see pipeline_stride).
constexpr int kGrowth = 720;

/// The largest origin of a consistency crop: crops are (H-8)x(W-8), origins in [0, 8]^2.
constexpr int kMaxOffset = 8;

/// kGrowth / (out(in + kGrowth) - out(in)), or 0 when that is not a whole number >= 1.
int axis_stride(int out_small, int out_large) {
    const int grew = out_large - out_small;
    return grew > 0 && kGrowth % grew == 0 ? kGrowth / grew : 0;
}

}  // namespace

std::optional<Stride2> pipeline_stride(const std::string& text, const Shape& in,
                                       Semantics semantics, const ParseContext& context) {
    if (text.empty()) {
        return Stride2{};
    }
    const Pipeline pipeline(text, semantics, std::string_view(), context);
    const Shape small = pipeline.plan(in).back().shape;
    const Shape large =
        pipeline.plan(Shape{in.channels, in.height + kGrowth, in.width + kGrowth}).back().shape;
    const int y = axis_stride(small.height, large.height);
    const int x = axis_stride(small.width, large.width);
    if (y == 0 || x == 0) {
        return std::nullopt;
    }
    return Stride2{.y = y, .x = x};
}

Agreement aligned_agreement(const Tensor& a, const Tensor& b, int dy, int dx) {
    const Shape& s = a.shape();
    if (!(b.shape() == s)) {
        throw ShapeError(
            fmt::format("aligned_agreement: {} and {}", to_string(s), to_string(b.shape())));
    }
    // b's cell (y, x) meets a's (y + dy, x + dx): y in [max(0, -dy), min(h, h - dy)).
    const int y0 = std::max(0, -dy);
    const int y1 = std::min(s.height, s.height - dy);
    const int x0 = std::max(0, -dx);
    const int x1 = std::min(s.width, s.width - dx);
    std::vector<float> va;
    std::vector<float> vb;
    for (int c = 0; c < s.channels; ++c) {
        for (int y = y0; y < y1; ++y) {
            for (int x = x0; x < x1; ++x) {
                va.push_back(a.at(c, y + dy, x + dx));
                vb.push_back(b.at(c, y, x));
            }
        }
    }
    if (va.empty()) {
        const double nan = std::numeric_limits<double>::quiet_NaN();
        return {.identical = nan, .correlation = nan};
    }
    return {.identical = fraction_identical(va, vb), .correlation = normalized_correlation(va, vb)};
}

std::vector<std::array<int, 4>> consistency_origins(int per_offset, std::uint64_t seed) {
    std::mt19937_64 engine(seed);
    std::vector<std::array<int, 4>> origins;
    const auto draw = [&engine] { return static_cast<int>(uniform_below(engine, kMaxOffset + 1)); };
    for (int d = 1; d <= kMaxOffset; ++d) {
        for (int i = 0; i < per_offset; ++i) {
            std::array<int, 4> o{};
            do {
                o = {draw(), draw(), draw(), draw()};
            } while (std::max(std::abs(o[0] - o[2]), std::abs(o[1] - o[3])) != d);
            origins.push_back(o);
        }
    }
    return origins;
}

namespace {

/// The mean of one channel's values, in double.
double channel_mean(std::span<const float> v) {
    double sum = 0.0;
    for (const float x : v) {
        sum += static_cast<double>(x);
    }
    return v.empty() ? 0.0 : sum / static_cast<double>(v.size());
}

/// The channel whose mean is largest (the first of equal ones); -1 when a mean is NaN.
int argmax_channel(const Tensor& t) {
    int best = -1;
    double best_mean = 0.0;
    for (int c = 0; c < t.shape().channels; ++c) {
        const double m = channel_mean(t.channel(c));
        if (std::isnan(m)) {
            return -1;
        }
        if (best < 0 || m > best_mean) {
            best = c;
            best_mean = m;
        }
    }
    return best;
}

}  // namespace

bool same_argmax(const Tensor& a, const Tensor& b) {
    if (b.shape().channels != a.shape().channels) {
        throw ShapeError(
            fmt::format("same_argmax: {} and {}", to_string(a.shape()), to_string(b.shape())));
    }
    const int best = argmax_channel(a);
    return best >= 0 && best == argmax_channel(b);
}

double mean_vector_cosine(const Tensor& a, const Tensor& b) {
    const int channels = a.shape().channels;
    if (b.shape().channels != channels) {
        throw ShapeError(fmt::format("mean_vector_cosine: {} and {}", to_string(a.shape()),
                                     to_string(b.shape())));
    }
    double dot = 0.0;
    double na = 0.0;
    double nb = 0.0;
    bool equal = true;
    for (int c = 0; c < channels; ++c) {
        const double ma = channel_mean(a.channel(c));
        const double mb = channel_mean(b.channel(c));
        if (std::isnan(ma) || std::isnan(mb)) {
            return std::numeric_limits<double>::quiet_NaN();
        }
        equal = equal && ma == mb;
        dot += ma * mb;
        na += ma * ma;
        nb += mb * mb;
    }
    if (equal) {
        return 1.0;
    }
    if (na == 0.0 || nb == 0.0) {
        return 0.0;
    }
    return std::clamp(dot / std::sqrt(na * nb), -1.0, 1.0);
}

std::vector<EquivariancePoint> equivariance_points(const PoolFn& pool, const Tensor& pre_ref,
                                                   const Tensor& pool_ref,
                                                   const std::vector<Tensor>& pre_shifted,
                                                   int shifts, const Stride2& total,
                                                   const Stride2& pre_stride) {
    std::vector<EquivariancePoint> points;
    for (int d = 1; d <= shifts; ++d) {
        if (d % total.y != 0 || d % total.x != 0) {
            continue;
        }
        EquivariancePoint e{.shift = d};
        for (std::size_t k = 0; k < kDirections.size(); ++k) {
            const int dy = kDirections[k][0] * d;
            const int dx = kDirections[k][1] * d;
            const Tensor& moved_pre =
                pre_shifted[static_cast<std::size_t>(d - 1) * kDirections.size() + k];
            const Agreement out =
                aligned_agreement(pool_ref, pool(moved_pre), dy / total.y, dx / total.x);
            const Agreement in =
                aligned_agreement(pre_ref, moved_pre, dy / pre_stride.y, dx / pre_stride.x);
            e.identical_pool += out.identical;
            e.correlation_pool += out.correlation;
            e.identical_pre += in.identical;
            e.correlation_pre += in.correlation;
        }
        const auto n = static_cast<double>(kDirections.size());
        e.identical_pool /= n;
        e.correlation_pool /= n;
        e.identical_pre /= n;
        e.correlation_pre /= n;
        points.push_back(e);
    }
    return points;
}

std::vector<ConsistencyPoint> consistency_points(const PoolFn& pool,
                                                 const std::vector<Tensor>& pre_pairs,
                                                 const std::vector<int>& offsets,
                                                 double tolerance) {
    if (offsets.empty()) {
        return {};
    }
    // [0]: every pair; [d]: offset d.
    std::vector<ConsistencyPoint> by_offset(kMaxOffset + 1);
    for (int d = 0; d <= kMaxOffset; ++d) {
        by_offset[static_cast<std::size_t>(d)].offset = d;
    }
    for (std::size_t i = 0; i < offsets.size(); ++i) {
        const Tensor& a = pre_pairs[2 * i];
        const Tensor& b = pre_pairs[2 * i + 1];
        const Tensor pooled_a = pool(a);
        const Tensor pooled_b = pool(b);
        const double pooled = mean_vector_cosine(pooled_a, pooled_b);
        const double pre = mean_vector_cosine(a, b);
        const double argmax_pooled = same_argmax(pooled_a, pooled_b) ? 1.0 : 0.0;
        const double argmax_pre = same_argmax(a, b) ? 1.0 : 0.0;
        for (const int d : {0, offsets[i]}) {
            auto& p = by_offset[static_cast<std::size_t>(d)];
            ++p.pairs;
            p.consistent_pool += pooled >= tolerance ? 1.0 : 0.0;
            p.cosine_pool += pooled;
            p.consistent_pre += pre >= tolerance ? 1.0 : 0.0;
            p.cosine_pre += pre;
            p.same_argmax_pool += argmax_pooled;
            p.same_argmax_pre += argmax_pre;
        }
    }
    std::vector<ConsistencyPoint> points;
    for (auto& p : by_offset) {
        if (p.pairs > 0) {
            const auto n = static_cast<double>(p.pairs);
            p.consistent_pool /= n;
            p.cosine_pool /= n;
            p.consistent_pre /= n;
            p.cosine_pre /= n;
            p.same_argmax_pool /= n;
            p.same_argmax_pre /= n;
            points.push_back(p);
        }
    }
    return points;
}

}  // namespace convpool
