#include "convpool/io/png.hpp"

#include "convpool/core/parallel.hpp"

#include <fmt/format.h>
#include <zlib.h>

#include <algorithm>
#include <array>
#include <stdexcept>
#include <string_view>
#include <vector>

namespace convpool {
namespace {

void put_u32(std::string& out, std::uint32_t v) {
    out += static_cast<char>((v >> 24U) & 0xFFU);
    out += static_cast<char>((v >> 16U) & 0xFFU);
    out += static_cast<char>((v >> 8U) & 0xFFU);
    out += static_cast<char>(v & 0xFFU);
}

/// Appends a chunk: length, type, data, CRC-32 of type and data.
void put_chunk(std::string& out, std::string_view type, std::span<const std::uint8_t> data) {
    put_u32(out, static_cast<std::uint32_t>(data.size()));
    const std::size_t start = out.size();
    out.append(type);
    out.append(reinterpret_cast<const char*>(data.data()), data.size());
    const auto* typed = reinterpret_cast<const Bytef*>(out.data() + start);
    put_u32(out, static_cast<std::uint32_t>(
                     crc32(0, typed, static_cast<uInt>(type.size() + data.size()))));
}

/// Filtered bytes per independently deflated piece. Fixed, so that the file's bytes do not
/// depend on the thread count.
constexpr std::size_t kPiece = std::size_t{1} << 18;

/// Raw deflate of one piece, ending on a byte boundary: with a sync flush (an empty stored
/// block) so that the next piece's blocks can follow, or, for the last piece, the final block.
std::vector<std::uint8_t> deflate_piece(std::span<const std::uint8_t> in, int level, bool last) {
    z_stream z{};
    if (deflateInit2(&z, level, Z_DEFLATED, -15, 8, Z_RLE) != Z_OK) {
        throw std::runtime_error("PNG: cannot start deflate");
    }
    std::vector<std::uint8_t> out(deflateBound(&z, static_cast<uLong>(in.size())) + 16);
    z.next_in = const_cast<Bytef*>(in.data());  // NOLINT(cppcoreguidelines-pro-type-const-cast):
                                                // zlib takes Bytef*, never writes it
    z.avail_in = static_cast<uInt>(in.size());
    z.next_out = out.data();
    z.avail_out = static_cast<uInt>(out.size());
    const int status = deflate(&z, last ? Z_FINISH : Z_SYNC_FLUSH);
    const bool done = last ? status == Z_STREAM_END : (status == Z_OK && z.avail_in == 0);
    out.resize(out.size() - z.avail_out);
    deflateEnd(&z);
    if (!done) {
        throw std::runtime_error("PNG: deflate did not finish");
    }
    return out;
}

}  // namespace

std::string encode_png8(std::span<const std::uint8_t> pixels, int width, int height, int channels,
                        int level) {
    if (width <= 0 || height <= 0 || channels < 1 || channels > 4 || level < 0 || level > 9 ||
        pixels.size() != static_cast<std::size_t>(width) * static_cast<std::size_t>(height) *
                             static_cast<std::size_t>(channels)) {
        throw std::invalid_argument(fmt::format("encode_png8: {} bytes for {}x{}x{} (level {})",
                                                pixels.size(), width, height, channels, level));
    }
    const auto c = static_cast<std::size_t>(channels);
    const std::size_t row = static_cast<std::size_t>(width) * c;
    // Filtered rows: a filter byte (1 = Sub) and each byte minus the byte one pixel to its left.
    std::vector<std::uint8_t> filtered(static_cast<std::size_t>(height) * (row + 1));
    parallel_for(static_cast<std::size_t>(height), kMinBytesPerThread / (2 * row + 1) + 1,
                 [&](std::size_t first, std::size_t last) {
                     for (std::size_t y = first; y < last; ++y) {
                         const std::uint8_t* src = pixels.data() + y * row;
                         std::uint8_t* dst = filtered.data() + y * (row + 1);
                         dst[0] = 1;
                         for (std::size_t i = 0; i < c; ++i) {
                             dst[1 + i] = src[i];
                         }
                         for (std::size_t i = c; i < row; ++i) {
                             dst[1 + i] = static_cast<std::uint8_t>(src[i] - src[i - c]);
                         }
                     }
                 });
    // One zlib stream made of pieces deflated on every thread (as pigz does): each piece's
    // Adler-32 is combined into the stream's.
    const std::size_t pieces = (filtered.size() + kPiece - 1) / kPiece;
    std::vector<std::vector<std::uint8_t>> packed(pieces);
    std::vector<uLong> adler(pieces);
    parallel_for(pieces, 1, [&](std::size_t first, std::size_t last) {
        for (std::size_t p = first; p < last; ++p) {
            const std::span<const std::uint8_t> in(filtered.data() + p * kPiece,
                                                   std::min(kPiece, filtered.size() - p * kPiece));
            packed[p] = deflate_piece(in, level, p + 1 == pieces);
            adler[p] = adler32(1, in.data(), static_cast<uInt>(in.size()));
        }
    });
    std::vector<std::uint8_t> z{0x78, 0x01};  // zlib header: deflate, 32 KiB window, fastest
    uLong check = adler[0];
    for (std::size_t p = 0; p < pieces; ++p) {
        z.insert(z.end(), packed[p].begin(), packed[p].end());
        if (p > 0) {
            check = adler32_combine(
                check, adler[p],
                static_cast<z_off_t>(std::min(kPiece, filtered.size() - p * kPiece)));
        }
    }
    for (const unsigned shift : {24U, 16U, 8U, 0U}) {
        z.push_back(static_cast<std::uint8_t>((check >> shift) & 0xFFU));
    }
    constexpr std::array<std::uint8_t, 4> kColourType{0, 4, 2, 6};  // gray, gray+alpha, RGB, RGBA
    std::string out("\x89PNG\r\n\x1a\n", 8);
    out.reserve(z.size() + 64 + z.size() / (std::size_t{1} << 30) * 12);
    std::string ihdr;
    put_u32(ihdr, static_cast<std::uint32_t>(width));
    put_u32(ihdr, static_cast<std::uint32_t>(height));
    ihdr += static_cast<char>(8);  // bits per sample
    ihdr += static_cast<char>(kColourType[c - 1]);
    ihdr.append(3, '\0');  // deflate, adaptive filtering, no interlace
    put_chunk(out, "IHDR",
              std::span(reinterpret_cast<const std::uint8_t*>(ihdr.data()), ihdr.size()));
    // IDAT chunks of at most 1 GiB (a chunk's length must stay below 2^31).
    constexpr std::size_t kMaxChunk = std::size_t{1} << 30;
    for (std::size_t done = 0; done < z.size(); done += kMaxChunk) {
        put_chunk(
            out, "IDAT",
            std::span<const std::uint8_t>(z.data() + done, std::min(kMaxChunk, z.size() - done)));
    }
    put_chunk(out, "IEND", {});
    return out;
}

}  // namespace convpool
