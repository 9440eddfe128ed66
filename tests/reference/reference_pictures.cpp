#include "reference/reference_pictures.hpp"

#include <cmath>
#include <limits>

namespace ref {

Image reduce_picture(const Image& in, int out_h, int out_w, bool mean) {
    Image out(in.channels, out_h, out_w);
    for (int c = 0; c < in.channels; ++c) {
        for (int oy = 0; oy < out_h; ++oy) {
            const int y0 = oy * in.height / out_h;
            const int y1 = ((oy + 1) * in.height + out_h - 1) / out_h;
            for (int ox = 0; ox < out_w; ++ox) {
                const int x0 = ox * in.width / out_w;
                const int x1 = ((ox + 1) * in.width + out_w - 1) / out_w;
                double sum = 0.0;
                float best = in.at(c, y0, x0);
                bool nan = false;
                for (int y = y0; y < y1; ++y) {
                    for (int x = x0; x < x1; ++x) {
                        const float v = in.at(c, y, x);
                        sum += static_cast<double>(v);
                        nan = nan || std::isnan(v);
                        if (std::fabs(v) > std::fabs(best) ||
                            (std::fabs(v) == std::fabs(best) && v > best)) {
                            best = v;
                        }
                    }
                }
                const auto n = static_cast<double>((y1 - y0) * (x1 - x0));
                out.at(c, oy, ox) = mean  ? static_cast<float>(sum / n)
                                    : nan ? std::numeric_limits<float>::quiet_NaN()
                                          : best;
            }
        }
    }
    return out;
}

}  // namespace ref
