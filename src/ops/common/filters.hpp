#pragma once
/// \file filters.hpp
/// Named convolution kernels. All are applied as cross-correlation (not flipped), as in CNN
/// layers and cv::filter2D: sobel-x responds positively where values grow to the right.

#include "convpool/core/params.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace convpool {

/// Names of every named kernel, in help order.
[[nodiscard]] const std::vector<std::string>& kernel_names();

/// True when the kernel's size can be chosen (box, dog, gabor, gaussian, identity, log).
[[nodiscard]] bool kernel_has_size(std::string_view name);

/// The parameters kernel `name` takes besides none (`k`, `sigma`, `theta`, ...), in the order
/// of kernel_param_names(); empty for fixed kernels such as sobel-x.
[[nodiscard]] std::vector<std::string> kernel_params(std::string_view name);

/// Every parameter some named kernel takes: k, sigma, theta, lambda, gamma, psi, sigma1, sigma2.
[[nodiscard]] const std::vector<std::string>& kernel_param_names();

/// The kernels that take parameter `param`, as a sentence: `box, dog, gabor, gaussian, identity
/// and log`.
[[nodiscard]] std::string kernels_taking(std::string_view param);

/// The arguments of a named kernel; each field's initial value is the kernel's default (k 0
/// and sigma 0: the kernel's own default, see named_kernel).
struct FilterArgs {
    Size2 k;             ///< h or w 0: the kernel's default size
    double sigma = 0.0;  ///< <= 0: the kernel's default
    double theta = 0.0;  ///< gabor: orientation in degrees
    double lambda = 4.0;
    double gamma = 0.5;
    double psi = 0.0;  ///< gabor: phase offset in degrees
    double sigma1 = 1.0;
    double sigma2 = 1.6;
    /// Sets parameter `param` (one of kernel_param_names(); k takes `size`, the others `value`).
    void set(std::string_view param, double value, Size2 size);
};

/// The kernel `name`. `args.k` (odd or even, >= 1) applies when kernel_has_size(name) (gabor:
/// odd only); `args.sigma` applies to gaussian, log and gabor (<= 0: gaussian derives it from
/// the size as OpenCV does, 0.3*((k-1)/2 - 1) + 0.8; log takes 1 and gabor 2). gabor is
/// cv::getGaborKernel(k (default 9), sigma, theta, lambda, gamma, psi) with its angles in
/// degrees; dog is the Gaussian of sigma1 minus that of sigma2 (each normalised to sum 1 over
/// the kernel), size 2*ceil(3*sigma2)+1, shifted to sum 0. Throws UsageError for an unknown
/// name or arguments the kernel cannot take.
[[nodiscard]] Matrix named_kernel(std::string_view name, const FilterArgs& args);

/// named_kernel with only a size and sigma given.
[[nodiscard]] Matrix named_kernel(std::string_view name, Size2 size, double sigma);

/// Several kernels made by one generated bank entry, and their names.
struct KernelBank {
    std::vector<Matrix> kernels;
    std::vector<std::string> names;  ///< each as the entry that makes it: `gabor(theta=45)`
};

/// `gabor(orientations=O,scales=S)`: O x S Gabor kernels, scale-major: kernel s*O + o has theta
/// = args.theta + o*180/O degrees and sigma and lambda multiplied by sqrt(2)^s (k unchanged).
[[nodiscard]] KernelBank gabor_bank(const FilterArgs& args, int orientations, int scales);

}  // namespace convpool
