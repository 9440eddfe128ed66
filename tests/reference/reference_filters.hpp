#pragma once
/// \file reference_filters.hpp
/// Named kernels written from their definitions, for tests only, sharing no code with convpool:
/// Gabor from the formula OpenCV documents for cv::getGaborKernel, the difference of Gaussians
/// from the two Gaussians, Kirsch and Roberts written out cell by cell. Row-major values.

#include <string>
#include <vector>

namespace ref {

/// A kernel: rows x cols values, row-major.
struct Kernel {
    int rows = 0;
    int cols = 0;
    std::vector<double> values;
};

/// cv::getGaborKernel(Size(size, size), sigma, theta, lambda, gamma, psi) with theta and psi in
/// degrees: entry (i, j) holds the value at x = (size-1)/2 - j, y = (size-1)/2 - i (OpenCV fills
/// its kernel from the far corner), exp(-(xr^2 + gamma^2 yr^2) / (2 sigma^2)) cos(2 pi xr /
/// lambda + psi), xr = x cos(theta) + y sin(theta), yr = -x sin(theta) + y cos(theta).
[[nodiscard]] Kernel gabor(int size, double sigma, double theta_deg, double lambda, double gamma,
                           double psi_deg);

/// Difference of Gaussians, size = 2 ceil(3 sigma2) + 1: the normalised 2-D Gaussian of sigma1
/// minus that of sigma2 (each divided by its own sum over the kernel), then its mean taken off.
[[nodiscard]] Kernel dog(double sigma1, double sigma2);

/// The Kirsch compass kernel of `dir` (n, ne, e, se, s, sw, w, nw), as published.
[[nodiscard]] Kernel kirsch(const std::string& dir);

/// Roberts cross: x is [1 0; 0 -1], y is [0 1; -1 0].
[[nodiscard]] Kernel roberts(bool x);

}  // namespace ref
