// Naive references for the newer pools (test-only). See reference_modern.hpp.
#include "reference/reference_modern.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <stdexcept>
#include <utility>
#include <vector>

namespace ref {
namespace {

float nan_value() { return std::numeric_limits<float>::quiet_NaN(); }

bool has_nan(const std::vector<float>& cells) {
    return std::any_of(cells.begin(), cells.end(), [](float v) { return std::isnan(v); });
}

/// SoftPool (Stergiou et al., eq. 1-2): w_i = e^{x_i - max} / sum_j e^{x_j - max}, sum w_i x_i.
float softpool(const std::vector<float>& cells) {
    if (cells.empty() || has_nan(cells)) {
        return nan_value();
    }
    auto largest = static_cast<double>(cells.front());
    for (const float v : cells) {
        largest = std::max(largest, static_cast<double>(v));
    }
    double numerator = 0.0;
    double denominator = 0.0;
    for (const float v : cells) {
        const double e = std::exp(static_cast<double>(v) - largest);
        numerator += e * static_cast<double>(v);
        denominator += e;
    }
    return static_cast<float>(numerator / denominator);
}

/// GeM (Radenovic et al.): (1/|X| sum max(x, eps)^p)^(1/p).
float gem(const std::vector<float>& cells, double p, double eps) {
    if (cells.empty() || has_nan(cells)) {
        return nan_value();
    }
    double sum = 0.0;
    for (const float v : cells) {
        const double clamped = static_cast<double>(v) < eps ? eps : static_cast<double>(v);
        sum += std::pow(clamped, p);
    }
    return static_cast<float>(std::pow(sum / static_cast<double>(cells.size()), 1.0 / p));
}

/// torch.median: the lower of the two middle values for an even count.
float lower_median(std::vector<float> cells) {
    if (cells.empty() || has_nan(cells)) {
        return nan_value();
    }
    std::sort(cells.begin(), cells.end());
    return cells[(cells.size() - 1) / 2];
}

/// Binomial coefficient n choose i, from the factorial formula.
double choose(int n, int i) {
    double f = 1.0;
    for (int j = 1; j <= n; ++j) {
        f *= j;
    }
    double g = 1.0;
    for (int j = 1; j <= i; ++j) {
        g *= j;
    }
    double h = 1.0;
    for (int j = 1; j <= n - i; ++j) {
        h *= j;
    }
    return f / (g * h);
}

}  // namespace

Image window_pool(const Image& in, const WindowSpec& spec) {
    return reduce_windows(in, spec.rows, spec.cols,
                          [&spec](const std::vector<float>& cells, int /*counted*/) {
                              switch (spec.mode) {
                                  case WindowMode::soft:
                                      return softpool(cells);
                                  case WindowMode::gem:
                                      return gem(cells, spec.p, spec.eps);
                                  case WindowMode::median:
                                      return lower_median(cells);
                              }
                              return nan_value();
                          });
}

Image mixed_pool(const Image& in, const PoolSpec& window, double a) {
    PoolSpec max_spec = window;
    max_spec.mode = PoolMode::max;
    PoolSpec avg_spec = window;
    avg_spec.mode = PoolMode::avg;
    avg_spec.divisor = 0;
    const Image maxima = pool(in, max_spec);
    const Image means = pool(in, avg_spec);
    Image out = maxima;
    for (std::size_t i = 0; i < out.values.size(); ++i) {
        out.values[i] = static_cast<float>(a * static_cast<double>(maxima.values[i]) +
                                           (1.0 - a) * static_cast<double>(means.values[i]));
    }
    return out;
}

Image global_gem(const Image& in, double p, double eps) {
    Image out(in.channels, 1, 1);
    for (int c = 0; c < in.channels; ++c) {
        std::vector<float> cells;
        for (int y = 0; y < in.height; ++y) {
            for (int x = 0; x < in.width; ++x) {
                cells.push_back(in.at(c, y, x));
            }
        }
        out.at(c, 0, 0) = gem(cells, p, eps);
    }
    return out;
}

Image spp(const Image& in, const std::vector<int>& levels, bool max, bool paper) {
    int cells = 0;
    for (const int level : levels) {
        cells += level * level;
    }
    Image out(in.channels, 1, cells);
    // The bin [first, last) along an axis of n cells.
    const auto bin = [paper](int n, int level, int i) {
        if (paper) {
            const int first = i * (n / level);
            return std::pair<int, int>{first, first + (n + level - 1) / level};
        }
        const int first = static_cast<int>(std::floor(static_cast<double>(i) * n / level));
        const int last = static_cast<int>(std::ceil(static_cast<double>(i + 1) * n / level));
        return std::pair<int, int>{first, last};
    };
    for (int c = 0; c < in.channels; ++c) {
        int x_out = 0;
        for (const int level : levels) {
            for (int by = 0; by < level; ++by) {
                for (int bx = 0; bx < level; ++bx) {
                    const auto [y0, y1] = bin(in.height, level, by);
                    const auto [x0, x1] = bin(in.width, level, bx);
                    double sum = 0.0;
                    float best = -std::numeric_limits<float>::infinity();
                    bool nan = false;
                    for (int y = y0; y < y1; ++y) {
                        for (int x = x0; x < x1; ++x) {
                            const float v = in.at(c, y, x);
                            nan = nan || std::isnan(v);
                            best = std::max(best, v);
                            sum += static_cast<double>(v);
                        }
                    }
                    const double mean = sum / static_cast<double>((y1 - y0) * (x1 - x0));
                    out.at(c, 0, x_out++) =
                        max ? (nan ? std::numeric_limits<float>::quiet_NaN() : best)
                            : static_cast<float>(mean);
                }
            }
        }
    }
    return out;
}

bool blur_refused(int h, int w, const BlurSpec& spec) {
    const int after = spec.filter / 2;  // the larger of the two paddings
    return spec.border == Border::reflect101 && (after >= h || after >= w);
}

Image blur_pool(const Image& in, const BlurSpec& spec) {
    if (blur_refused(in.height, in.width, spec)) {
        throw std::invalid_argument("ref::blur_pool: torch refuses this reflect padding");
    }
    const int f = spec.filter;
    const int before = (f - 1) / 2;
    const int after = f / 2;
    // The 2-D filter outer(a, a) divided by its sum, as antialiased-cnns builds it.
    std::vector<std::vector<double>> filter;
    double total = 0.0;
    for (int i = 0; i < f; ++i) {
        std::vector<double> row;
        for (int j = 0; j < f; ++j) {
            row.push_back(choose(f - 1, i) * choose(f - 1, j));
            total += row.back();
        }
        filter.push_back(row);
    }
    for (std::vector<double>& row : filter) {
        for (double& v : row) {
            v /= total;
        }
    }
    // The padded image, materialised.
    Image padded(in.channels, in.height + before + after, in.width + before + after);
    for (int c = 0; c < in.channels; ++c) {
        for (int y = 0; y < padded.height; ++y) {
            for (int x = 0; x < padded.width; ++x) {
                const int sy = border_source(y - before, in.height, spec.border);
                const int sx = border_source(x - before, in.width, spec.border);
                padded.at(c, y, x) = sy < 0 || sx < 0 ? 0.0F : in.at(c, sy, sx);
            }
        }
    }
    const int out_h = (padded.height - f) / spec.stride_rows + 1;
    const int out_w = (padded.width - f) / spec.stride_cols + 1;
    Image out(in.channels, out_h, out_w);
    for (int c = 0; c < in.channels; ++c) {
        for (int oy = 0; oy < out_h; ++oy) {
            for (int ox = 0; ox < out_w; ++ox) {
                double sum = 0.0;
                for (int i = 0; i < f; ++i) {
                    for (int j = 0; j < f; ++j) {
                        sum += filter[static_cast<std::size_t>(i)][static_cast<std::size_t>(j)] *
                               static_cast<double>(padded.at(c, oy * spec.stride_rows + i,
                                                             ox * spec.stride_cols + j));
                    }
                }
                out.at(c, oy, ox) = static_cast<float>(sum);
            }
        }
    }
    return out;
}

Image max_blur_pool(const Image& in, int k_rows, int k_cols, const BlurSpec& spec) {
    PoolSpec max_spec;
    max_spec.mode = PoolMode::max;
    max_spec.rows.kernel = k_rows;
    max_spec.cols.kernel = k_cols;
    return blur_pool(pool(in, max_spec), spec);
}

}  // namespace ref
