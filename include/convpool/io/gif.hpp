#pragma once
/// \file gif.hpp
/// An animated GIF writer (giflib) for figures drawn in few flat colours: frames are added one
/// at a time (only the last one is kept, to send just the rectangle that changed), so the
/// memory is two frames, whatever their number.

#include <cstdint>
#include <memory>
#include <span>
#include <string>

namespace convpool {

class GifEncoder {
public:
    /// An animation of `width` x `height` RGB frames that loops forever. Its palette is the 256
    /// colours most frequent in `palette_source` (an RGB picture of the same size that shows
    /// every colour the frames use, e.g. the figure fully drawn); other colours (anti-aliased
    /// edges) map to the nearest of them. Throws std::invalid_argument for a bad size.
    GifEncoder(int width, int height, std::span<const std::uint8_t> palette_source);
    ~GifEncoder();
    GifEncoder(const GifEncoder&) = delete;
    GifEncoder& operator=(const GifEncoder&) = delete;
    GifEncoder(GifEncoder&&) = delete;
    GifEncoder& operator=(GifEncoder&&) = delete;

    /// Adds a frame shown for `delay_cs` hundredths of a second. A frame equal to the one
    /// before lengthens that one's delay instead.
    void add(std::span<const std::uint8_t> rgb, int delay_cs);
    /// The file's bytes; call once, after the last frame.
    [[nodiscard]] std::string finish();
    /// Frames written so far (equal frames merged).
    [[nodiscard]] int frames() const;

private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

}  // namespace convpool
