// explain.gif: explain's figure once per output position of the last stage with windows, each
// frame laid out by explain_scene with the stage filled up to that position, drawn at one
// common size and encoded with io's GifEncoder.
#include "convpool/io/gif.hpp"
#include "convpool/render/explain.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "explain_scene.hpp"

namespace convpool {

using namespace explain_scene;  // NOLINT(google-build-using-namespace): this file draws its scene

namespace {

constexpr std::size_t kMaxFrames = 400;
constexpr double kMaxFramePixels = 100e6;  ///< over all frames
constexpr int kDelay = 60;                 ///< hundredths of a second per frame
constexpr int kLastDelay = 250;

/// The output cells of the stage a panel animates.
std::size_t positions_of(const ExplainPanel& p) {
    const std::size_t s = last_windowed(p);
    return s == 0 ? 0 : p.stages[s].values.shape().plane();
}

/// `e` with every panel's animated stage at `position` (clamped to the panel's own cells).
Explanation at_position(const Explanation& e, std::size_t position) {
    Explanation f = e;
    for (auto& p : f.panels) {
        const std::size_t s = last_windowed(p);
        const std::size_t n = positions_of(p);
        if (n == 0) {
            continue;
        }
        const auto width = static_cast<std::size_t>(p.stages[s].values.shape().width);
        const std::size_t i = std::min(position, n - 1);
        p.stages[s].chosen = {static_cast<int>(i / width), static_cast<int>(i % width)};
    }
    return f;
}

}  // namespace

ExplainGif explain_gif(const Explanation& e) {
    ExplainGif gif;
    for (const auto& p : e.panels) {
        gif.steps.positions = std::max(gif.steps.positions, positions_of(p));
    }
    if (gif.steps.positions == 0) {
        const Picture still = explain_picture(e);
        GifEncoder enc(still.width, still.height, still.rgb);
        enc.add(still.rgb, kLastDelay);
        gif.steps.frames = enc.frames();
        gif.bytes = enc.finish();
        return gif;
    }
    // Every frame's scene first: they share the largest size. Fewer frames (a larger step)
    // until they fit the pixel budget.
    const Scene full = layout(e);
    const double guess = kMaxFramePixels / std::max(1.0, full.width * (full.height + kLine));
    gif.steps.step = (gif.steps.positions + kMaxFrames - 1) / kMaxFrames;
    gif.steps.step = std::max(
        gif.steps.step, static_cast<std::size_t>(std::ceil(
                            static_cast<double>(gif.steps.positions) / std::max(2.0, guess - 1))));
    std::vector<std::size_t> order;
    int w = 0;
    int h = 0;
    const auto frame_of = [&](std::size_t i) {
        std::string caption = fmt::format("position {} of {}", order[i] + 1, gif.steps.positions);
        if (gif.steps.step > 1) {
            caption += fmt::format(" (a frame per {} positions, to keep the animation small)",
                                   gif.steps.step);
        }
        return Frame{order[i], std::move(caption)};
    };
    for (;; ++gif.steps.step) {
        order.clear();
        for (std::size_t i = 0; i < gif.steps.positions; i += gif.steps.step) {
            order.push_back(i);
        }
        if (order.back() != gif.steps.positions - 1) {
            order.push_back(gif.steps.positions - 1);
        }
        double width = 0;
        double height = 0;
        for (std::size_t i = 0; i < order.size(); ++i) {
            const Frame f = frame_of(i);
            const Scene s = layout(at_position(e, order[i]), &f);
            width = std::max(width, s.width);
            height = std::max(height, s.height);
        }
        w = static_cast<int>(std::ceil(width));
        h = static_cast<int>(std::ceil(height));
        if (order.size() <= 2 || static_cast<double>(order.size()) * w * h <= kMaxFramePixels) {
            break;
        }
    }
    // The palette from the last frame, which shows every cell filled in.
    const Frame last = frame_of(order.size() - 1);
    const Picture palette = draw(layout(at_position(e, order.back()), &last), w, h);
    GifEncoder enc(w, h, palette.rgb);
    for (std::size_t i = 0; i < order.size(); ++i) {
        const Frame f = frame_of(i);
        const Picture pic = draw(layout(at_position(e, order[i]), &f), w, h);
        enc.add(pic.rgb, i + 1 == order.size() ? kLastDelay : kDelay);
    }
    gif.steps.frames = enc.frames();
    gif.bytes = enc.finish();
    return gif;
}

}  // namespace convpool
