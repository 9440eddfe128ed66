#include "convpool/io/png.hpp"

#include "convpool/core/parallel.hpp"

#include <fmt/format.h>
#include <libdeflate.h>
#include <zlib.h>

#include <algorithm>
#include <array>
#include <optional>
#include <stdexcept>
#include <string_view>
#include <utility>
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

/// Writes into `dst` the bytes of the filtered image from offset `begin` on: rows of `row` bytes
/// of `pixels`, `c` per pixel, each after its filter byte: with `sub`, 1 (Sub: each byte minus
/// the byte one pixel to its left), else 0 (None: the bytes as they are).
void filter_rows(std::span<const std::uint8_t> pixels, std::size_t row, std::size_t c, bool sub,
                 std::size_t begin, std::span<std::uint8_t> dst) {
    std::size_t y = begin / (row + 1);
    std::size_t x = begin % (row + 1);  // 0: the filter byte, then 1 + byte
    std::size_t k = 0;
    while (k < dst.size()) {
        if (x == 0) {
            dst[k++] = sub ? 1 : 0;
            x = 1;
            continue;
        }
        const std::uint8_t* src = pixels.data() + y * row;
        const std::size_t n = std::min(row + 1 - x, dst.size() - k);
        std::uint8_t* to = dst.data() + k;
        const std::size_t at = x - 1;            // to[j] is byte at + j of the row
        const std::size_t left = sub ? c : row;  // bytes copied as they are
        std::size_t j = 0;
        for (; j < n && at + j < left; ++j) {
            to[j] = src[at + j];
        }
        for (; j < n; ++j) {
            to[j] = static_cast<std::uint8_t>(src[at + j] - src[at + j - c]);
        }
        k += n;
        x += n;
        if (x == row + 1) {
            x = 0;
            ++y;
        }
    }
}

/// Appends the zlib stream of a PNG to `out` as IDAT chunks of at most `max_chunk` bytes, each
/// with its length and CRC-32, given the stream's length ahead.
class IdatWriter {
public:
    IdatWriter(std::string& out, std::size_t stream, std::size_t max_chunk)
        : m_out(out), m_remaining(stream), m_max_chunk(max_chunk) {}

    void append(std::span<const std::uint8_t> bytes) {
        while (!bytes.empty()) {
            if (m_chunk_left == 0) {
                m_chunk_left = std::min(m_max_chunk, m_remaining);
                put_u32(m_out, static_cast<std::uint32_t>(m_chunk_left));
                m_out.append("IDAT");
                m_crc = crc32(0, reinterpret_cast<const Bytef*>("IDAT"), 4);
            }
            const std::size_t n = std::min(bytes.size(), m_chunk_left);
            m_out.append(reinterpret_cast<const char*>(bytes.data()), n);
            m_crc = crc32(m_crc, bytes.data(), static_cast<uInt>(n));
            m_chunk_left -= n;
            m_remaining -= n;
            bytes = bytes.subspan(n);
            if (m_chunk_left == 0) {
                put_u32(m_out, static_cast<std::uint32_t>(m_crc));
            }
        }
    }

private:
    std::string& m_out;
    std::size_t m_remaining;
    std::size_t m_max_chunk;
    std::size_t m_chunk_left = 0;
    uLong m_crc = 0;
};

/// How the pixels of a PNG are stored: IHDR's colour type, bytes per pixel, the filter, and
/// the palette (PLTE: RGB triples) of an indexed picture.
struct Format {
    std::uint8_t colour_type = 2;
    std::size_t bytes = 3;
    bool sub = true;
    std::span<const std::uint8_t> palette;
};

/// Filtered images up to this size are deflated whole by libdeflate on one thread (1.3-1.7x
/// zlib's speed at level 1 and up to 28 % smaller files on these pictures; docs/performance.md):
/// the pictures of a run are display-sized, and the run encodes them beside its other work.
/// Larger ones (--picture-size full of a big map) are deflated by zlib in pieces on every
/// thread. Either way the bytes depend only on the image, never on the thread count.
constexpr std::size_t kWhole = std::size_t{32} << 20;

/// The zlib stream (header, deflate data, Adler-32) of the `filtered` bytes of `pixels`.
std::vector<std::uint8_t> zlib_stream(std::span<const std::uint8_t> pixels, std::size_t row,
                                      const Format& f, std::size_t filtered, int level) {
    if (filtered <= kWhole) {
        std::vector<std::uint8_t> rows(filtered);
        filter_rows(pixels, row, f.bytes, f.sub, 0, rows);
        libdeflate_compressor* c = libdeflate_alloc_compressor(level);
        if (c == nullptr) {
            throw std::runtime_error("PNG: cannot start deflate");
        }
        std::vector<std::uint8_t> out(libdeflate_zlib_compress_bound(c, filtered));
        const std::size_t n =
            libdeflate_zlib_compress(c, rows.data(), rows.size(), out.data(), out.size());
        libdeflate_free_compressor(c);
        if (n == 0) {
            throw std::runtime_error("PNG: deflate did not finish");
        }
        out.resize(n);
        return out;
    }
    // One zlib stream made of pieces deflated on every thread (as pigz does), each piece's
    // Adler-32 combined into the stream's; the filtered rows made a piece at a time.
    const std::size_t pieces = (filtered + kPiece - 1) / kPiece;
    std::vector<std::vector<std::uint8_t>> packed(pieces);
    std::vector<uLong> adler(pieces);
    parallel_for(pieces, 1, [&](std::size_t first, std::size_t last) {
        std::vector<std::uint8_t> piece(kPiece);
        for (std::size_t p = first; p < last; ++p) {
            const std::size_t begin = p * kPiece;
            const std::size_t n = std::min(kPiece, filtered - begin);
            filter_rows(pixels, row, f.bytes, f.sub, begin, std::span(piece.data(), n));
            packed[p] = deflate_piece(std::span(piece.data(), n), level, p + 1 == pieces);
            adler[p] = adler32(1, piece.data(), static_cast<uInt>(n));
        }
    });
    uLong check = adler[0];
    std::vector<std::uint8_t> out{0x78, 0x01};  // deflate, 32 KiB window, fastest
    for (std::size_t p = 0; p < pieces; ++p) {
        out.insert(out.end(), packed[p].begin(), packed[p].end());
        std::vector<std::uint8_t>().swap(packed[p]);
        if (p > 0) {
            check = adler32_combine(check, adler[p],
                                    static_cast<z_off_t>(std::min(kPiece, filtered - p * kPiece)));
        }
    }
    for (const unsigned shift : {24U, 16U, 8U, 0U}) {
        out.push_back(static_cast<std::uint8_t>((check >> shift) & 0xFFU));
    }
    return out;
}

/// The PNG of `height` rows of `width` pixels stored as `f` says.
std::string assemble(std::span<const std::uint8_t> pixels, int width, int height, const Format& f,
                     int level) {
    const std::size_t row = static_cast<std::size_t>(width) * f.bytes;
    const std::size_t filtered = static_cast<std::size_t>(height) * (row + 1);
    const std::vector<std::uint8_t> stream = zlib_stream(pixels, row, f, filtered, level);
    // IDAT chunks of at most 1 GiB (a chunk's length must stay below 2^31).
    constexpr std::size_t kMaxChunk = std::size_t{1} << 30;
    std::string out("\x89PNG\r\n\x1a\n", 8);
    out.reserve(64 + f.palette.size() + stream.size() + (stream.size() / kMaxChunk + 1) * 12);
    std::string ihdr;
    put_u32(ihdr, static_cast<std::uint32_t>(width));
    put_u32(ihdr, static_cast<std::uint32_t>(height));
    ihdr += static_cast<char>(8);  // bits per sample (per index in an indexed picture)
    ihdr += static_cast<char>(f.colour_type);
    ihdr.append(3, '\0');  // deflate, adaptive filtering, no interlace
    put_chunk(out, "IHDR",
              std::span(reinterpret_cast<const std::uint8_t*>(ihdr.data()), ihdr.size()));
    if (!f.palette.empty()) {
        put_chunk(out, "PLTE", f.palette);
    }
    IdatWriter idat(out, stream.size(), kMaxChunk);
    idat.append(stream);
    put_chunk(out, "IEND", {});
    return out;
}

/// Whether every pixel of `rgb` has R == G == B.
bool all_gray(std::span<const std::uint8_t> rgb) {
    bool gray = true;
    for (std::size_t i = 0; i + 2 < rgb.size() && gray; i += 3) {
        gray = rgb[i] == rgb[i + 1] && rgb[i + 1] == rgb[i + 2];
    }
    return gray;
}

/// The palette (RGB triples, in order of first appearance) and the index of every pixel of
/// `rgb`, or nothing when it has more than 256 colours.
std::optional<std::pair<std::vector<std::uint8_t>, std::vector<std::uint8_t>>> indexed(
    std::span<const std::uint8_t> rgb) {
    constexpr std::size_t kSlots = 1024;      // open addressing, at most a quarter full
    std::array<std::uint32_t, kSlots> key{};  // colour + 1; 0: empty
    std::array<std::uint8_t, kSlots> index{};
    std::vector<std::uint8_t> palette;
    std::vector<std::uint8_t> out(rgb.size() / 3);
    std::uint32_t last = 0;  // colour + 1 of the previous pixel
    std::uint8_t last_index = 0;
    for (std::size_t i = 0; i < out.size(); ++i) {
        const std::uint32_t colour = (std::uint32_t{rgb[3 * i]} << 16U) |
                                     (std::uint32_t{rgb[3 * i + 1]} << 8U) | rgb[3 * i + 2];
        if (colour + 1 != last) {
            std::size_t slot = (colour * 2654435761U) >> 22U;
            while (key[slot] != 0 && key[slot] != colour + 1) {
                slot = (slot + 1) % kSlots;
            }
            if (key[slot] == 0) {
                if (palette.size() == std::size_t{256} * 3) {
                    return std::nullopt;
                }
                key[slot] = colour + 1;
                index[slot] = static_cast<std::uint8_t>(palette.size() / 3);
                palette.insert(palette.end(), {rgb[3 * i], rgb[3 * i + 1], rgb[3 * i + 2]});
            }
            last = colour + 1;
            last_index = index[slot];
        }
        out[i] = last_index;
    }
    return std::pair{std::move(palette), std::move(out)};
}

/// Whether `rgb` has at most kFewColours colours: a colour-mapped picture (a map through a
/// 256-colour table, with its labels' anti-aliased shades), not a photo.
constexpr std::size_t kFewColours = 4096;
bool few_colours(std::span<const std::uint8_t> rgb) {
    constexpr std::size_t kSlots = 4 * kFewColours;  // open addressing, at most a quarter full
    std::vector<std::uint32_t> key(kSlots, 0);       // colour + 1; 0: empty
    std::size_t count = 0;
    std::uint32_t last = 0;
    for (std::size_t i = 0; i + 2 < rgb.size(); i += 3) {
        const std::uint32_t colour =
            (std::uint32_t{rgb[i]} << 16U) | (std::uint32_t{rgb[i + 1]} << 8U) | rgb[i + 2];
        if (colour + 1 == last) {
            continue;
        }
        last = colour + 1;
        std::size_t slot = (colour * 2654435761U) >> 18U;
        while (key[slot] != 0 && key[slot] != colour + 1) {
            slot = (slot + 1) % kSlots;
        }
        if (key[slot] == 0) {
            if (++count > kFewColours) {
                return false;
            }
            key[slot] = colour + 1;
        }
    }
    return true;
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
    constexpr std::array<std::uint8_t, 4> kColourType{0, 4, 2, 6};  // gray, gray+alpha, RGB, RGBA
    const auto c = static_cast<std::size_t>(channels);
    return assemble(pixels, width, height, {kColourType[c - 1], c, true, {}}, level);
}

std::string encode_png_rgb(std::span<const std::uint8_t> rgb, int width, int height, int level) {
    if (width <= 0 || height <= 0 || level < 0 || level > 9 ||
        rgb.size() != static_cast<std::size_t>(width) * static_cast<std::size_t>(height) * 3) {
        throw std::invalid_argument(fmt::format("encode_png_rgb: {} bytes for {}x{} (level {})",
                                                rgb.size(), width, height, level));
    }
    if (all_gray(rgb)) {
        std::vector<std::uint8_t> gray(rgb.size() / 3);
        for (std::size_t i = 0; i < gray.size(); ++i) {
            gray[i] = rgb[3 * i];
        }
        return assemble(gray, width, height, {0, 1, true, {}}, level);
    }
    if (const auto palette = indexed(rgb)) {
        return assemble(palette->second, width, height, {3, 1, false, palette->first}, level);
    }
    // A colour-mapped picture repeats whole pixels, which deflate finds best unfiltered (its
    // files about 30 % smaller than with Sub, and faster: docs/performance.md); a photo wants
    // Sub. Pictures deflated in pieces keep Sub: zlib's run-length setting finds no repeats of
    // whole pixels.
    const bool whole =
        static_cast<std::size_t>(height) * (static_cast<std::size_t>(width) * 3 + 1) <= kWhole;
    return assemble(rgb, width, height, {2, 3, !(whole && few_colours(rgb)), {}}, level);
}

}  // namespace convpool
