// Naive references for fractional, stochastic and unpooling (test-only).
#include "reference/reference_fractional.hpp"

#include <cmath>
#include <cstddef>
#include <limits>

namespace ref {
namespace {
/// ceil(num/den) for num >= 0, den > 0.
long long ceil_div(long long num, long long den) { return (num + den - 1) / den; }
}  // namespace

std::vector<int> pseudo_boundaries(int n, int out, long long u_num, long long u_den) {
    // n*(i + p/q)/out = n*(i*q + p) / (out*q)
    const long long shift = ceil_div(static_cast<long long>(n) * u_num, out * u_den);
    std::vector<int> a;
    a.reserve(static_cast<std::size_t>(out));
    for (int i = 0; i < out; ++i) {
        a.push_back(static_cast<int>(
            ceil_div(static_cast<long long>(n) * (i * u_den + u_num), out * u_den) - shift));
    }
    a.push_back(n);
    return a;
}

std::vector<Region> regions_from_boundaries(const std::vector<int>& a, int n, bool overlap) {
    std::vector<Region> r;
    for (std::size_t i = 0; i + 1 < a.size(); ++i) {
        int end = a[i + 1] + (overlap ? 1 : 0);
        if (end > n) {
            end = n;
        }
        r.push_back({a[i], end});
    }
    return r;
}

Image region_max(const Image& in, const std::vector<Region>& rows,
                 const std::vector<Region>& cols) {
    Image out(in.channels, static_cast<int>(rows.size()), static_cast<int>(cols.size()));
    for (int c = 0; c < in.channels; ++c) {
        for (std::size_t i = 0; i < rows.size(); ++i) {
            for (std::size_t j = 0; j < cols.size(); ++j) {
                float best = -std::numeric_limits<float>::infinity();
                for (int y = rows[i].begin; y < rows[i].end; ++y) {
                    for (int x = cols[j].begin; x < cols[j].end; ++x) {
                        const float v = in.at(c, y, x);
                        if (std::isnan(v) || (!std::isnan(best) && v > best)) {
                            best = v;
                        }
                    }
                }
                out.at(c, static_cast<int>(i), static_cast<int>(j)) = best;
            }
        }
    }
    return out;
}

float stochastic_expectation(const std::vector<float>& window) {
    double sum = 0.0;
    double squares = 0.0;
    for (const float v : window) {
        sum += static_cast<double>(v);
        squares += static_cast<double>(v) * static_cast<double>(v);
    }
    return sum > 0.0 ? static_cast<float>(squares / sum) : 0.0F;
}

Image unpool(const Image& pooled, const std::vector<long long>& indices, int h, int w) {
    Image out(pooled.channels, h, w);
    const std::size_t plane =
        static_cast<std::size_t>(pooled.height) * static_cast<std::size_t>(pooled.width);
    for (int c = 0; c < pooled.channels; ++c) {
        for (std::size_t i = 0; i < plane; ++i) {
            const long long idx = indices[static_cast<std::size_t>(c) * plane + i];
            const int y = static_cast<int>(i / static_cast<std::size_t>(pooled.width));
            const int x = static_cast<int>(i % static_cast<std::size_t>(pooled.width));
            out.at(c, static_cast<int>(idx / w), static_cast<int>(idx % w)) = pooled.at(c, y, x);
        }
    }
    return out;
}

}  // namespace ref
