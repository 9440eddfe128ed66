// explain.png: explain's layout (explain_scene.cpp) drawn with OpenCV, Hershey fonts (ASCII).
#include "convpool/render/explain.hpp"

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <string>
#include <vector>

#include "explain_scene.hpp"

namespace convpool {

using namespace explain_scene;  // NOLINT(google-build-using-namespace): this file draws its scene

Picture explain_picture(const Explanation& e) {
    const Scene scene = layout(e);
    return draw(scene, static_cast<int>(scene.width), static_cast<int>(scene.height));
}

Picture explain_scene::draw(const Scene& scene, int w, int h) {
    cv::Mat canvas(h, w, CV_8UC3, cv::Scalar(kPaper[2], kPaper[1], kPaper[0]));
    const auto bgr = [](Color c) { return cv::Scalar(c[2], c[1], c[0]); };
    const auto pt = [](double x, double y) {
        return cv::Point(static_cast<int>(std::lround(x)), static_cast<int>(std::lround(y)));
    };
    for (const Item& it : scene.items) {
        switch (it.kind) {
            case Item::Kind::rect: {
                const cv::Point a = pt(it.x, it.y);
                const cv::Point b = pt(it.x + it.w, it.y + it.h);
                if (it.fill) {
                    cv::rectangle(canvas, a, b - cv::Point(1, 1), bgr(*it.fill), cv::FILLED);
                }
                if (it.hatched) {
                    std::vector<std::array<double, 4>> lines;
                    hatch_lines(it, lines);
                    for (const auto& l : lines) {
                        cv::line(canvas, pt(l[0], l[1]), pt(l[2], l[3]), bgr({140, 140, 140}), 1,
                                 cv::LINE_AA);
                    }
                }
                if (it.stroke) {
                    const int t = std::max(1, static_cast<int>(std::lround(it.stroke_width)));
                    if (it.dashed) {
                        // Dashes along the four sides.
                        const std::array<std::array<double, 4>, 4> sides{
                            {{it.x, it.y, it.x + it.w, it.y},
                             {it.x + it.w, it.y, it.x + it.w, it.y + it.h},
                             {it.x + it.w, it.y + it.h, it.x, it.y + it.h},
                             {it.x, it.y + it.h, it.x, it.y}}};
                        for (const auto& sd : sides) {
                            const double len = std::hypot(sd[2] - sd[0], sd[3] - sd[1]);
                            const auto dashes = static_cast<int>(std::ceil(len / 7));
                            for (int k = 0; k < dashes; ++k) {
                                const double d = 7.0 * k;
                                const double f0 = d / len;
                                const double f1 = std::min(1.0, (d + 4) / len);
                                cv::line(
                                    canvas,
                                    pt(sd[0] + (sd[2] - sd[0]) * f0, sd[1] + (sd[3] - sd[1]) * f0),
                                    pt(sd[0] + (sd[2] - sd[0]) * f1, sd[1] + (sd[3] - sd[1]) * f1),
                                    bgr(*it.stroke), t);
                            }
                        }
                    } else {
                        cv::rectangle(canvas, a, b, bgr(*it.stroke), t);
                    }
                }
                break;
            }
            case Item::Kind::line:
                cv::line(canvas, pt(it.x, it.y), pt(it.w, it.h), bgr(it.stroke.value_or(kBlack)),
                         std::max(1, static_cast<int>(std::lround(it.stroke_width))), cv::LINE_AA);
                break;
            case Item::Kind::circle:
                cv::circle(canvas, pt(it.x, it.y), static_cast<int>(std::lround(it.w)),
                           bgr(it.stroke.value_or(kBlack)),
                           std::max(1, static_cast<int>(std::lround(it.stroke_width))),
                           cv::LINE_AA);
                break;
            case Item::Kind::text: {
                // Hershey fonts are ASCII only.
                std::string t;
                for (std::size_t i = 0; i < it.text.size(); ++i) {
                    const auto c = static_cast<unsigned char>(it.text[i]);
                    if (it.text.compare(i, 3, "\u2192") == 0) {
                        t += "->";
                        i += 2;
                    } else if (it.text.compare(i, 2, "\u00d7") == 0) {
                        t += "x";
                        i += 1;
                    } else if (c < 0x80) {
                        t += static_cast<char>(c);
                    }
                }
                const double scale = it.size / 30.0;
                const int thick = it.bold ? 2 : 1;
                int baseline = 0;
                const cv::Size sz =
                    cv::getTextSize(t, cv::FONT_HERSHEY_SIMPLEX, scale, thick, &baseline);
                const double x = it.middle ? it.x - sz.width / 2.0 : it.x;
                cv::putText(canvas, t, pt(x, it.y), cv::FONT_HERSHEY_SIMPLEX, scale,
                            bgr(it.fill.value_or(kBlack)), thick, cv::LINE_AA);
                break;
            }
        }
    }
    Picture p{w, h, {}};
    p.rgb.resize(static_cast<std::size_t>(w) * static_cast<std::size_t>(h) * 3);
    for (int y = 0; y < h; ++y) {
        for (int x = 0; x < w; ++x) {
            const auto px = canvas.at<cv::Vec3b>(y, x);
            const std::size_t i = (static_cast<std::size_t>(y) * static_cast<std::size_t>(w) +
                                   static_cast<std::size_t>(x)) *
                                  3;
            p.rgb[i] = px[2];
            p.rgb[i + 1] = px[1];
            p.rgb[i + 2] = px[0];
        }
    }
    return p;
}

}  // namespace convpool
