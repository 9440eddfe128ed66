// Named kernels from their definitions (see reference_filters.hpp).
#include "reference/reference_filters.hpp"

#include <cmath>
#include <map>
#include <stdexcept>

namespace ref {
namespace {

constexpr double kPi = 3.14159265358979323846;

double radians(double degrees) { return degrees * kPi / 180.0; }

/// The 2-D Gaussian of `sigma` on a size x size grid centred in it, divided by its sum.
std::vector<double> normalised_gaussian(int size, double sigma) {
    std::vector<double> g;
    double sum = 0.0;
    const double c = (size - 1) / 2.0;
    for (int i = 0; i < size; ++i) {
        for (int j = 0; j < size; ++j) {
            const double r2 = (i - c) * (i - c) + (j - c) * (j - c);
            g.push_back(std::exp(-r2 / (2.0 * sigma * sigma)));
            sum += g.back();
        }
    }
    for (double& v : g) {
        v /= sum;
    }
    return g;
}

}  // namespace

Kernel gabor(int size, double sigma, double theta_deg, double lambda, double gamma,
             double psi_deg) {
    Kernel k{size, size, {}};
    const double theta = radians(theta_deg);
    const double psi = radians(psi_deg);
    const int half = (size - 1) / 2;
    for (int i = 0; i < size; ++i) {
        for (int j = 0; j < size; ++j) {
            const double x = half - j;
            const double y = half - i;
            const double xr = x * std::cos(theta) + y * std::sin(theta);
            const double yr = -x * std::sin(theta) + y * std::cos(theta);
            const double envelope =
                std::exp(-(xr * xr + gamma * gamma * yr * yr) / (2.0 * sigma * sigma));
            k.values.push_back(envelope * std::cos(2.0 * kPi * xr / lambda + psi));
        }
    }
    return k;
}

Kernel dog(double sigma1, double sigma2) {
    const int size = 2 * static_cast<int>(std::ceil(3.0 * sigma2)) + 1;
    const auto a = normalised_gaussian(size, sigma1);
    const auto b = normalised_gaussian(size, sigma2);
    Kernel k{size, size, {}};
    double sum = 0.0;
    for (std::size_t i = 0; i < a.size(); ++i) {
        k.values.push_back(a[i] - b[i]);
        sum += a[i] - b[i];
    }
    for (double& v : k.values) {
        v -= sum / static_cast<double>(k.values.size());
    }
    return k;
}

Kernel kirsch(const std::string& dir) {
    static const std::map<std::string, std::vector<double>> kernels{
        {"n", {5, 5, 5, -3, 0, -3, -3, -3, -3}}, {"ne", {-3, 5, 5, -3, 0, 5, -3, -3, -3}},
        {"e", {-3, -3, 5, -3, 0, 5, -3, -3, 5}}, {"se", {-3, -3, -3, -3, 0, 5, -3, 5, 5}},
        {"s", {-3, -3, -3, -3, 0, -3, 5, 5, 5}}, {"sw", {-3, -3, -3, 5, 0, -3, 5, 5, -3}},
        {"w", {5, -3, -3, 5, 0, -3, 5, -3, -3}}, {"nw", {5, 5, -3, 5, 0, -3, -3, -3, -3}}};
    const auto it = kernels.find(dir);
    if (it == kernels.end()) {
        throw std::invalid_argument("no Kirsch kernel " + dir);
    }
    return {3, 3, it->second};
}

Kernel roberts(bool x) { return x ? Kernel{2, 2, {1, 0, 0, -1}} : Kernel{2, 2, {0, 1, -1, 0}}; }

}  // namespace ref
