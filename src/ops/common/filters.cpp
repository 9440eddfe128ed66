#include "ops/common/filters.hpp"

#include "convpool/core/error.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <numbers>

namespace convpool {
namespace {

Matrix fixed3(std::initializer_list<float> v) { return Matrix{3, 3, std::vector<float>(v)}; }

/// OpenCV's sigma for a Gaussian of k taps when none is given.
double sigma_for_size(int k) { return 0.3 * ((k - 1) * 0.5 - 1.0) + 0.8; }

/// Smallest odd size that holds +-3 sigma.
int size_for_sigma(double sigma) { return 2 * static_cast<int>(std::ceil(3.0 * sigma)) + 1; }

std::vector<double> gaussian_1d(int k, double sigma) {
    std::vector<double> g(static_cast<std::size_t>(k));
    const double c = (k - 1) / 2.0;
    double sum = 0.0;
    for (int i = 0; i < k; ++i) {
        const double x = i - c;
        g[static_cast<std::size_t>(i)] = std::exp(-x * x / (2.0 * sigma * sigma));
        sum += g[static_cast<std::size_t>(i)];
    }
    for (auto& v : g) {
        v /= sum;
    }
    return g;
}

}  // namespace

const std::vector<std::string>& kernel_names() {
    static const std::vector<std::string> names{
        "identity", "box",      "gaussian",  "sharpen",   "laplacian", "sobel-x", "sobel-y",
        "scharr-x", "scharr-y", "prewitt-x", "prewitt-y", "emboss",    "log"};
    return names;
}

bool kernel_has_size(std::string_view name) {
    return name == "identity" || name == "box" || name == "gaussian" || name == "log";
}

Matrix named_kernel(std::string_view name, Size2 size, double sigma) {
    if (name == "sharpen") {
        return fixed3({0, -1, 0, -1, 5, -1, 0, -1, 0});
    }
    if (name == "laplacian") {
        return fixed3({0, 1, 0, 1, -4, 1, 0, 1, 0});
    }
    if (name == "sobel-x") {
        return fixed3({-1, 0, 1, -2, 0, 2, -1, 0, 1});
    }
    if (name == "sobel-y") {
        return fixed3({-1, -2, -1, 0, 0, 0, 1, 2, 1});
    }
    if (name == "scharr-x") {
        return fixed3({-3, 0, 3, -10, 0, 10, -3, 0, 3});
    }
    if (name == "scharr-y") {
        return fixed3({-3, -10, -3, 0, 0, 0, 3, 10, 3});
    }
    if (name == "prewitt-x") {
        return fixed3({-1, 0, 1, -1, 0, 1, -1, 0, 1});
    }
    if (name == "prewitt-y") {
        return fixed3({-1, -1, -1, 0, 0, 0, 1, 1, 1});
    }
    if (name == "emboss") {
        return fixed3({-2, -1, 0, -1, 1, 1, 0, 1, 2});
    }
    const bool sized = size.h > 0 && size.w > 0;
    if (name == "identity" || name == "box") {
        const Size2 k = sized ? size : Size2{name == "box" ? 3 : 1, name == "box" ? 3 : 1};
        Matrix m{k.h, k.w, std::vector<float>(static_cast<std::size_t>(k.h * k.w), 0.0F)};
        if (name == "box") {
            std::fill(m.values.begin(), m.values.end(), 1.0F / static_cast<float>(k.h * k.w));
        } else {
            m.values[static_cast<std::size_t>(k.h / 2) * static_cast<std::size_t>(k.w) +
                     static_cast<std::size_t>(k.w / 2)] = 1.0F;
        }
        return m;
    }
    if (name == "gaussian") {
        Size2 k = sized ? size : Size2{5, 5};
        if (!sized && sigma > 0) {
            k = {size_for_sigma(sigma), size_for_sigma(sigma)};
        }
        const auto gy = gaussian_1d(k.h, sigma > 0 ? sigma : sigma_for_size(k.h));
        const auto gx = gaussian_1d(k.w, sigma > 0 ? sigma : sigma_for_size(k.w));
        Matrix m{k.h, k.w, {}};
        for (const double a : gy) {
            for (const double b : gx) {
                m.values.push_back(static_cast<float>(a * b));
            }
        }
        return m;
    }
    if (name == "log") {
        const double s = sigma > 0 ? sigma : 1.0;
        const Size2 k = sized ? size : Size2{size_for_sigma(s), size_for_sigma(s)};
        // Laplacian of Gaussian, negative at the centre like `laplacian`, shifted to sum 0.
        std::vector<double> v;
        const double cy = (k.h - 1) / 2.0;
        const double cx = (k.w - 1) / 2.0;
        double sum = 0.0;
        for (int y = 0; y < k.h; ++y) {
            for (int x = 0; x < k.w; ++x) {
                const double r2 = (y - cy) * (y - cy) + (x - cx) * (x - cx);
                const double t = r2 / (2.0 * s * s);
                const double val = -(1.0 - t) * std::exp(-t) / (std::numbers::pi * s * s * s * s);
                v.push_back(val);
                sum += val;
            }
        }
        Matrix m{k.h, k.w, {}};
        const double mean = sum / static_cast<double>(v.size());
        for (const double val : v) {
            m.values.push_back(static_cast<float>(val - mean));
        }
        return m;
    }
    throw UsageError(fmt::format("unknown filter '{}'", name));
}

}  // namespace convpool
