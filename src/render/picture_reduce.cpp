#include "render/picture_reduce.hpp"

#include <cmath>
#include <cstddef>

#include "render/picture_layout.hpp"

namespace convpool::detail {

float larger_magnitude(float a, float b) {
    if (std::isnan(a)) {
        return a;
    }
    if (std::isnan(b)) {
        return b;
    }
    const float ma = std::fabs(a);
    const float mb = std::fabs(b);
    if (mb != ma) {
        return mb > ma ? b : a;
    }
    return b > a ? b : a;
}

void reduce_row(std::span<const float> plane, int height, int width, int out_h, int out_w, int y,
                bool mean, std::vector<double>& scratch, std::span<float> out) {
    const int y0 = bin_start(y, out_h, height);
    const int y1 = bin_end(y, out_h, height);
    const auto w = static_cast<std::size_t>(width);
    // First down the block's rows, column by column, then across each block's columns.
    const std::span<const float> first = plane.subspan(static_cast<std::size_t>(y0) * w, w);
    if (mean) {
        scratch.assign(w, 0.0);
    } else {
        scratch.assign(first.begin(), first.end());
    }
    for (int yy = mean ? y0 : y0 + 1; yy < y1; ++yy) {
        const std::span<const float> row = plane.subspan(static_cast<std::size_t>(yy) * w, w);
        if (mean) {
            for (std::size_t x = 0; x < w; ++x) {
                scratch[x] += static_cast<double>(row[x]);
            }
        } else {
            for (std::size_t x = 0; x < w; ++x) {
                scratch[x] =
                    static_cast<double>(larger_magnitude(static_cast<float>(scratch[x]), row[x]));
            }
        }
    }
    for (int x = 0; x < out_w; ++x) {
        const int x0 = bin_start(x, out_w, width);
        const int x1 = bin_end(x, out_w, width);
        double v = mean ? 0.0 : scratch[static_cast<std::size_t>(x0)];
        for (int xx = x0; xx < x1; ++xx) {
            const double s = scratch[static_cast<std::size_t>(xx)];
            v = mean ? v + s
                     : static_cast<double>(
                           larger_magnitude(static_cast<float>(v), static_cast<float>(s)));
        }
        out[static_cast<std::size_t>(x)] =
            static_cast<float>(mean ? v / (static_cast<double>(y1 - y0) * (x1 - x0)) : v);
    }
}

}  // namespace convpool::detail
