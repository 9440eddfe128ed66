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

/// The outer product gy x gx.
std::vector<double> outer(const std::vector<double>& gy, const std::vector<double>& gx) {
    std::vector<double> m;
    m.reserve(gy.size() * gx.size());
    for (const double a : gy) {
        for (const double b : gx) {
            m.push_back(a * b);
        }
    }
    return m;
}

/// `v` (k.h x k.w) shifted to sum 0, in float.
Matrix zero_sum(Size2 k, const std::vector<double>& v) {
    double sum = 0.0;
    for (const double x : v) {
        sum += x;
    }
    const double mean = sum / static_cast<double>(v.size());
    Matrix m{k.h, k.w, {}};
    for (const double x : v) {
        m.values.push_back(static_cast<float>(x - mean));
    }
    return m;
}

/// The Kirsch compass kernel pointing to `dir` (n, ne, e, ...): 5 on the three cells on that
/// side, -3 on the other five, 0 in the middle; it responds where that side is brighter.
Matrix kirsch(std::string_view dir) {
    // The ring of border cells clockwise from the top left, as indices into the 3x3 kernel.
    constexpr std::array<int, 8> kRing{0, 1, 2, 5, 8, 7, 6, 3};
    constexpr std::array<std::string_view, 8> kDirs{"nw", "n", "ne", "e", "se", "s", "sw", "w"};
    const auto at =
        static_cast<std::size_t>(std::find(kDirs.begin(), kDirs.end(), dir) - kDirs.begin());
    Matrix m{3, 3, std::vector<float>(9, -3.0F)};
    m.values[4] = 0.0F;
    for (std::size_t j = 0; j < 3; ++j) {  // the direction's cell and its two neighbours
        m.values[static_cast<std::size_t>(kRing[(at + 7 + j) % 8])] = 5.0F;
    }
    return m;
}

Matrix box_or_identity(std::string_view name, Size2 size) {
    const bool sized = size.h > 0 && size.w > 0;
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

Matrix gaussian(Size2 size, double sigma) {
    Size2 k = size.h > 0 && size.w > 0 ? size : Size2{5, 5};
    if (size.h == 0 && sigma > 0) {
        k = {size_for_sigma(sigma), size_for_sigma(sigma)};
    }
    const auto m = outer(gaussian_1d(k.h, sigma > 0 ? sigma : sigma_for_size(k.h)),
                         gaussian_1d(k.w, sigma > 0 ? sigma : sigma_for_size(k.w)));
    Matrix out{k.h, k.w, {}};
    for (const double v : m) {
        out.values.push_back(static_cast<float>(v));
    }
    return out;
}

/// Laplacian of Gaussian, negative at the centre like `laplacian`, shifted to sum 0.
Matrix log_kernel(Size2 size, double sigma) {
    const double s = sigma > 0 ? sigma : 1.0;
    const Size2 k = size.h > 0 ? size : Size2{size_for_sigma(s), size_for_sigma(s)};
    std::vector<double> v;
    const double cy = (k.h - 1) / 2.0;
    const double cx = (k.w - 1) / 2.0;
    for (int y = 0; y < k.h; ++y) {
        for (int x = 0; x < k.w; ++x) {
            const double r2 = (y - cy) * (y - cy) + (x - cx) * (x - cx);
            const double t = r2 / (2.0 * s * s);
            v.push_back(-(1.0 - t) * std::exp(-t) / (std::numbers::pi * s * s * s * s));
        }
    }
    return zero_sum(k, v);
}

/// cv::getGaborKernel's formula (imgproc/src/gabor.cpp) with angles in degrees: the value at
/// offset (x, y) from the centre is exp(-(xr^2 + gamma^2 yr^2) / (2 sigma^2)) *
/// cos(2 pi xr / lambda + psi), xr = x cos(theta) + y sin(theta), yr = -x sin(theta) +
/// y cos(theta), stored at (ymax - y, xmax - x) as OpenCV stores it.
Matrix gabor(const FilterArgs& a) {
    const Size2 k = a.k.h > 0 ? a.k : Size2{9, 9};
    if (k.h % 2 == 0 || k.w % 2 == 0) {
        throw UsageError(fmt::format(
            "gabor: k={}x{}: a Gabor kernel has an odd size (cv::getGaborKernel makes an even "
            "size one larger)",
            k.h, k.w));
    }
    const double sigma = a.sigma > 0 ? a.sigma : 2.0;
    const double theta = a.theta * std::numbers::pi / 180.0;
    const double psi = a.psi * std::numbers::pi / 180.0;
    const double c = std::cos(theta);
    const double s = std::sin(theta);
    const double sigma_y = sigma / a.gamma;
    const double ex = -0.5 / (sigma * sigma);
    const double ey = -0.5 / (sigma_y * sigma_y);
    const double cscale = std::numbers::pi * 2.0 / a.lambda;
    const int xmax = k.w / 2;
    const int ymax = k.h / 2;
    Matrix m{k.h, k.w, std::vector<float>(static_cast<std::size_t>(k.h * k.w))};
    for (int y = -ymax; y <= ymax; ++y) {
        for (int x = -xmax; x <= xmax; ++x) {
            const double xr = x * c + y * s;
            const double yr = -x * s + y * c;
            const double v = std::exp(ex * xr * xr + ey * yr * yr) * std::cos(cscale * xr + psi);
            const auto row = static_cast<std::size_t>(ymax - y);
            const auto col = static_cast<std::size_t>(xmax - x);
            m.values[row * static_cast<std::size_t>(k.w) + col] = static_cast<float>(v);
        }
    }
    return m;
}

/// Difference of Gaussians: G(sigma1) - G(sigma2), each normalised to sum 1 over the kernel,
/// shifted to sum 0 (what rounding leaves).
Matrix dog(const FilterArgs& a) {
    if (!(a.sigma1 < a.sigma2)) {
        throw UsageError(fmt::format(
            "dog: sigma1 ({:g}) must be smaller than sigma2 ({:g}); scale=-1 negates the kernel",
            a.sigma1, a.sigma2));
    }
    const int n = size_for_sigma(a.sigma2);
    const Size2 k = a.k.h > 0 ? a.k : Size2{n, n};
    const auto g1 = outer(gaussian_1d(k.h, a.sigma1), gaussian_1d(k.w, a.sigma1));
    auto v = outer(gaussian_1d(k.h, a.sigma2), gaussian_1d(k.w, a.sigma2));
    for (std::size_t i = 0; i < v.size(); ++i) {
        v[i] = g1[i] - v[i];
    }
    return zero_sum(k, v);
}

/// `name(k=..,sigma=..,...)` of one Gabor kernel: theta always, the others when they are not
/// the defaults.
std::string gabor_name(const FilterArgs& a) {
    std::string out = fmt::format("gabor(theta={:g}", a.theta);
    const FilterArgs d;
    if (a.k.h > 0 && !(a.k == Size2{9, 9})) {
        out += a.k.h == a.k.w ? fmt::format(",k={}", a.k.h) : fmt::format(",k={}x{}", a.k.h, a.k.w);
    }
    if (a.sigma > 0 && a.sigma != 2.0) {
        out += fmt::format(",sigma={:.4g}", a.sigma);
    }
    if (a.lambda != d.lambda) {
        out += fmt::format(",lambda={:.4g}", a.lambda);
    }
    if (a.gamma != d.gamma) {
        out += fmt::format(",gamma={:g}", a.gamma);
    }
    if (a.psi != d.psi) {
        out += fmt::format(",psi={:g}", a.psi);
    }
    return out + ")";
}

}  // namespace

const std::vector<std::string>& kernel_names() {
    static const std::vector<std::string> names{
        "identity", "box",       "gaussian",  "sharpen",   "laplacian", "sobel-x",  "sobel-y",
        "scharr-x", "scharr-y",  "prewitt-x", "prewitt-y", "emboss",    "log",      "gabor",
        "dog",      "kirsch-n",  "kirsch-ne", "kirsch-e",  "kirsch-se", "kirsch-s", "kirsch-sw",
        "kirsch-w", "kirsch-nw", "roberts-x", "roberts-y"};
    return names;
}

bool kernel_has_size(std::string_view name) {
    return name == "identity" || name == "box" || name == "gaussian" || name == "log" ||
           name == "gabor" || name == "dog";
}

const std::vector<std::string>& kernel_param_names() {
    static const std::vector<std::string> names{"k",     "sigma", "theta",  "lambda",
                                                "gamma", "psi",   "sigma1", "sigma2"};
    return names;
}

std::vector<std::string> kernel_params(std::string_view name) {
    if (name == "gabor") {
        return {"k", "sigma", "theta", "lambda", "gamma", "psi"};
    }
    if (name == "dog") {
        return {"k", "sigma1", "sigma2"};
    }
    if (name == "gaussian" || name == "log") {
        return {"k", "sigma"};
    }
    if (kernel_has_size(name)) {
        return {"k"};
    }
    return {};
}

std::string kernels_taking(std::string_view param) {
    std::vector<std::string> names;
    for (const auto& name : kernel_names()) {
        const auto params = kernel_params(name);
        if (std::find(params.begin(), params.end(), param) != params.end()) {
            names.push_back(name);
        }
    }
    std::sort(names.begin(), names.end());
    std::string out;
    for (std::size_t i = 0; i < names.size(); ++i) {
        out += (i == 0 ? "" : i + 1 == names.size() ? " and " : ", ") + names[i];
    }
    return out;
}

void FilterArgs::set(std::string_view param, double value, Size2 size) {
    if (param == "k") {
        k = size;
    } else if (param == "sigma") {
        sigma = value;
    } else if (param == "theta") {
        theta = value;
    } else if (param == "lambda") {
        lambda = value;
    } else if (param == "gamma") {
        gamma = value;
    } else if (param == "psi") {
        psi = value;
    } else if (param == "sigma1") {
        sigma1 = value;
    } else if (param == "sigma2") {
        sigma2 = value;
    }
}

Matrix named_kernel(std::string_view name, Size2 size, double sigma) {
    FilterArgs args;
    args.k = size;
    args.sigma = sigma;
    return named_kernel(name, args);
}

Matrix named_kernel(std::string_view name, const FilterArgs& args) {
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
    if (name == "roberts-x") {
        return Matrix{2, 2, {1, 0, 0, -1}};
    }
    if (name == "roberts-y") {
        return Matrix{2, 2, {0, 1, -1, 0}};
    }
    if (name.starts_with("kirsch-") &&
        std::find(kernel_names().begin(), kernel_names().end(), name) != kernel_names().end()) {
        return kirsch(name.substr(7));
    }
    const Size2 size = args.k.h > 0 && args.k.w > 0 ? args.k : Size2{0, 0};
    if (name == "identity" || name == "box") {
        return box_or_identity(name, size);
    }
    if (name == "gaussian") {
        return gaussian(size, args.sigma);
    }
    if (name == "log") {
        return log_kernel(size, args.sigma);
    }
    if (name == "gabor") {
        return gabor(args);
    }
    if (name == "dog") {
        return dog(args);
    }
    throw UsageError(fmt::format("unknown filter '{}'", name));
}

KernelBank gabor_bank(const FilterArgs& args, int orientations, int scales) {
    KernelBank bank;
    for (int s = 0; s < scales; ++s) {
        const double factor = std::pow(std::numbers::sqrt2, s);
        for (int o = 0; o < orientations; ++o) {
            FilterArgs a = args;
            a.theta = args.theta + 180.0 * o / orientations;
            a.sigma = (args.sigma > 0 ? args.sigma : 2.0) * factor;
            a.lambda = args.lambda * factor;
            bank.kernels.push_back(gabor(a));
            bank.names.push_back(gabor_name(a));
        }
    }
    return bank;
}

}  // namespace convpool
