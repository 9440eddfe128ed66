#include "convpool/report/metrics.hpp"

#include "convpool/core/error.hpp"
#include "convpool/core/format.hpp"
#include "convpool/report/report.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <vector>

namespace convpool {
namespace {

void require_same_shape(const Tensor& clean, const Tensor& test, const char* what) {
    if (!(clean.shape() == test.shape())) {
        throw ShapeError(fmt::format("{}: maps differ in shape: {} and {}", what,
                                     to_string(clean.shape()), to_string(test.shape())));
    }
}

constexpr int kSsimRadius = 5;  // 11x11 window
constexpr double kSsimSigma = 1.5;
constexpr double kK1 = 0.01;
constexpr double kK2 = 0.03;

/// Gaussian weights w[-5..5] (unnormalised: every window is renormalised where it is cut).
const std::array<double, 2 * kSsimRadius + 1>& gaussian_taps() {
    static const std::array<double, 2 * kSsimRadius + 1> taps = [] {
        std::array<double, 2 * kSsimRadius + 1> t{};
        for (std::size_t j = 0; j < t.size(); ++j) {
            const int i = static_cast<int>(j) - kSsimRadius;
            t[j] = std::exp(-static_cast<double>(i * i) / (2.0 * kSsimSigma * kSsimSigma));
        }
        return t;
    }();
    return taps;
}

/// One pass of the Gaussian along rows (`step` 1, `count` = width) or columns (`step` = width,
/// `count` = height) of `v`, the window cut at the border and renormalised.
std::vector<double> blur_axis(const std::vector<double>& v, std::size_t step, int count) {
    const auto& g = gaussian_taps();
    std::vector<double> out(v.size());
    for (std::size_t i = 0; i < v.size(); ++i) {
        const int pos = static_cast<int>((i / step) % static_cast<std::size_t>(count));
        double sum = 0.0;
        double weight = 0.0;
        for (int d = std::max(-kSsimRadius, -pos); d <= std::min(kSsimRadius, count - 1 - pos);
             ++d) {
            const int tap = d + kSsimRadius;  // 0..2r
            const double k = g[static_cast<std::size_t>(tap)];
            sum += k * v[static_cast<std::size_t>(static_cast<std::ptrdiff_t>(i) +
                                                  d * static_cast<std::ptrdiff_t>(step))];
            weight += k;
        }
        out[i] = sum / weight;
    }
    return out;
}

/// Gaussian-weighted local mean of `v` (h x w). Separable: the 2-D weights are a product, and
/// so are their sums over a window cut at the border.
std::vector<double> local_mean(const std::vector<double>& v, int h, int w) {
    return blur_axis(blur_axis(v, 1, w), static_cast<std::size_t>(w), h);
}

}  // namespace

double data_range(const Tensor& clean) {
    double lo = std::numeric_limits<double>::infinity();
    double hi = -std::numeric_limits<double>::infinity();
    for (const float v : clean.data()) {
        if (std::isfinite(v)) {
            lo = std::min(lo, static_cast<double>(v));
            hi = std::max(hi, static_cast<double>(v));
        }
    }
    return hi > lo ? hi - lo : 1.0;
}

double psnr(const Tensor& clean, const Tensor& test) {
    require_same_shape(clean, test, "psnr");
    double sum = 0.0;
    std::size_t n = 0;
    const auto a = clean.data();
    const auto b = test.data();
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (std::isfinite(a[i]) && std::isfinite(b[i])) {
            const double d = static_cast<double>(a[i]) - static_cast<double>(b[i]);
            sum += d * d;
            ++n;
        }
    }
    if (n == 0 || sum == 0.0) {
        return std::numeric_limits<double>::infinity();
    }
    const double peak = data_range(clean);
    return 10.0 * std::log10(peak * peak / (sum / static_cast<double>(n)));
}

double ssim(const Tensor& clean, const Tensor& test) {
    require_same_shape(clean, test, "ssim");
    const Shape& s = clean.shape();
    const double range = data_range(clean);
    const double c1 = (kK1 * range) * (kK1 * range);
    const double c2 = (kK2 * range) * (kK2 * range);
    double total = 0.0;
    std::size_t count = 0;
    for (int c = 0; c < s.channels; ++c) {
        const auto a = clean.channel(c);
        const auto b = test.channel(c);
        // Non-finite values would poison every window they touch; they become 0 in both maps.
        std::vector<double> x(a.size());
        std::vector<double> y(a.size());
        for (std::size_t i = 0; i < a.size(); ++i) {
            const bool ok = std::isfinite(a[i]) && std::isfinite(b[i]);
            x[i] = ok ? static_cast<double>(a[i]) : 0.0;
            y[i] = ok ? static_cast<double>(b[i]) : 0.0;
        }
        std::vector<double> xx(x.size());
        std::vector<double> yy(x.size());
        std::vector<double> xy(x.size());
        for (std::size_t i = 0; i < x.size(); ++i) {
            xx[i] = x[i] * x[i];
            yy[i] = y[i] * y[i];
            xy[i] = x[i] * y[i];
        }
        const auto mx = local_mean(x, s.height, s.width);
        const auto my = local_mean(y, s.height, s.width);
        const auto mxx = local_mean(xx, s.height, s.width);
        const auto myy = local_mean(yy, s.height, s.width);
        const auto mxy = local_mean(xy, s.height, s.width);
        for (std::size_t i = 0; i < x.size(); ++i) {
            const double vx = std::max(0.0, mxx[i] - mx[i] * mx[i]);
            const double vy = std::max(0.0, myy[i] - my[i] * my[i]);
            const double cov = mxy[i] - mx[i] * my[i];
            total += ((2.0 * mx[i] * my[i] + c1) * (2.0 * cov + c2)) /
                     ((mx[i] * mx[i] + my[i] * my[i] + c1) * (vx + vy + c2));
            ++count;
        }
    }
    return count == 0 ? 1.0 : total / static_cast<double>(count);
}

double normalized_correlation(std::span<const float> a, std::span<const float> b) {
    if (a.size() != b.size()) {
        throw ShapeError(
            fmt::format("normalized_correlation: {} and {} values", a.size(), b.size()));
    }
    double sa = 0.0;
    double sb = 0.0;
    std::size_t n = 0;
    bool equal = true;
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (std::isfinite(a[i]) && std::isfinite(b[i])) {
            sa += static_cast<double>(a[i]);
            sb += static_cast<double>(b[i]);
            equal = equal && a[i] == b[i];
            ++n;
        }
    }
    if (n == 0) {
        return 1.0;
    }
    const double ma = sa / static_cast<double>(n);
    const double mb = sb / static_cast<double>(n);
    double cab = 0.0;
    double caa = 0.0;
    double cbb = 0.0;
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (std::isfinite(a[i]) && std::isfinite(b[i])) {
            const double da = static_cast<double>(a[i]) - ma;
            const double db = static_cast<double>(b[i]) - mb;
            cab += da * db;
            caa += da * da;
            cbb += db * db;
        }
    }
    if (caa <= 0.0 || cbb <= 0.0) {
        return equal ? 1.0 : 0.0;
    }
    return std::clamp(cab / std::sqrt(caa * cbb), -1.0, 1.0);
}

double fraction_identical(std::span<const float> a, std::span<const float> b) {
    if (a.size() != b.size()) {
        throw ShapeError(fmt::format("fraction_identical: {} and {} values", a.size(), b.size()));
    }
    if (a.empty()) {
        return 1.0;
    }
    std::size_t same = 0;
    for (std::size_t i = 0; i < a.size(); ++i) {
        same += (a[i] == b[i] || (std::isnan(a[i]) && std::isnan(b[i]))) ? 1U : 0U;
    }
    return static_cast<double>(same) / static_cast<double>(a.size());
}

double entropy_bits(const Tensor& t) { return channel_stats(t.data()).entropy; }

}  // namespace convpool
