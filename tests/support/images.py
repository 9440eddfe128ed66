"""Image readers for the Python tests, standard library only: PNG (8-bit gray, RGB, indexed or
RGBA, the pictures convpool writes) and GIF (written from the GIF89a specification: the loop count and
every frame composited as a browser shows it, disposal 'do not dispose')."""
import struct
import zlib


def read_png(path, max_rows=None):
    """(width, height, rows of RGB tuples) of an 8-bit gray, RGB, indexed or RGBA PNG: its first
    max_rows rows (pure Python is slow; the top of the page is enough to judge it)."""
    with open(path, "rb") as f:
        data = f.read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, width, palette = 8, b"", 0, []
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", body)
            assert depth == 8 and ctype in (0, 2, 3, 6) and interlace == 0, (depth, ctype,
                                                                             interlace)
        elif kind == b"PLTE":
            palette = [tuple(body[i:i + 3]) for i in range(0, len(body), 3)]
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    bpp = {0: 1, 2: 3, 3: 1, 6: 4}[ctype]
    raw = zlib.decompress(idat)
    stride = width * bpp
    rows, prev = [], bytearray(stride)
    for y in range(height if max_rows is None else min(height, max_rows)):
        ftype = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        # One loop per filter type (this is most of the test's own time).
        if ftype == 1:
            for i in range(bpp, stride):
                line[i] = (line[i] + line[i - bpp]) & 255
        elif ftype == 2:
            line = bytearray((v + b) & 255 for v, b in zip(line, prev))
        elif ftype == 3:
            for i in range(bpp):
                line[i] = (line[i] + prev[i] // 2) & 255
            for i in range(bpp, stride):
                line[i] = (line[i] + (line[i - bpp] + prev[i]) // 2) & 255
        elif ftype == 4:
            for i in range(bpp):  # a = c = 0: the predictor is b
                line[i] = (line[i] + prev[i]) & 255
            for i in range(bpp, stride):
                a, b, c = line[i - bpp], prev[i], prev[i - bpp]
                pa, pb, pc = abs(b - c), abs(a - c), abs(a + b - c - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        if ctype == 0:
            rows.append([(v, v, v) for v in line])
        elif ctype == 3:
            rows.append([palette[v] for v in line])
        else:
            rows.append([tuple(line[x * bpp:x * bpp + 3]) for x in range(width)])
        prev = line
    return width, height, rows


def _lzw(data, min_size, count):
    """The palette indices of one image: GIF's variable-length LZW, codes packed LSB first."""
    clear, end = 1 << min_size, (1 << min_size) + 1
    size = min_size + 1
    table = [bytes([i]) for i in range(clear)] + [b"", b""]
    out, prev, bits, nbits, pos = bytearray(), None, 0, 0, 0
    while len(out) < count:
        while nbits < size:
            if pos >= len(data):
                raise ValueError("LZW data ends early")
            bits |= data[pos] << nbits
            pos, nbits = pos + 1, nbits + 8
        code = bits & ((1 << size) - 1)
        bits, nbits = bits >> size, nbits - size
        if code == clear:
            size, table, prev = min_size + 1, table[:clear + 2], None
            continue
        if code == end:
            break
        if code < len(table):
            entry = table[code]
            if prev is not None:
                table.append(prev + entry[:1])
        elif prev is not None and code == len(table):
            entry = prev + prev[:1]
            table.append(entry)
        else:
            raise ValueError("bad LZW code")
        out += entry
        prev = entry
        if len(table) == (1 << size) and size < 12:
            size += 1
    return bytes(out[:count])


def _blocks(data, pos):
    """The data sub-blocks starting at pos, joined, and the position after the terminator."""
    chunks = []
    while data[pos]:
        chunks.append(data[pos + 1:pos + 1 + data[pos]])
        pos += 1 + data[pos]
    return b"".join(chunks), pos + 1


def read_gif(path, pixels=True):
    """{'width', 'height', 'loop' (None without NETSCAPE2.0), 'frames': [{'delay' (hundredths of
    a second), 'rect' (left, top, width, height), 'transparent' (its transparent index or None),
    and with pixels=True 'pixels': the screen after the frame, rows of RGB tuples}]}"""
    with open(path, "rb") as f:
        data = f.read()
    if data[:6] not in (b"GIF87a", b"GIF89a"):
        raise ValueError("not a GIF")
    width, height, flags = struct.unpack("<HHB", data[6:11])
    pos = 13
    palette = []
    if flags & 0x80:
        n = 2 << (flags & 7)
        palette = [tuple(data[pos + 3 * i:pos + 3 * i + 3]) for i in range(n)]
        pos += 3 * n
    canvas = [[palette[0] if palette else (0, 0, 0)] * width for _ in range(height)]
    result = {"width": width, "height": height, "loop": None, "frames": []}
    delay, transparent = 0, None
    while True:
        kind = data[pos]
        if kind == 0x3B:
            return result
        if kind == 0x21:
            label = data[pos + 1]
            body, pos = _blocks(data, pos + 2)
            if label == 0xF9:
                delay = struct.unpack("<H", body[1:3])[0]
                transparent = body[3] if body[0] & 1 else None
            elif label == 0xFF and body[:11] == b"NETSCAPE2.0":
                result["loop"] = struct.unpack("<H", body[12:14])[0]
            continue
        if kind != 0x2C:
            raise ValueError(f"unexpected block {kind:#x}")
        left, top, w, h, iflags = struct.unpack("<HHHHB", data[pos + 1:pos + 10])
        pos += 10
        colours = palette
        if iflags & 0x80:
            n = 2 << (iflags & 7)
            colours = [tuple(data[pos + 3 * i:pos + 3 * i + 3]) for i in range(n)]
            pos += 3 * n
        if iflags & 0x40:
            raise ValueError("interlaced frames are not read here")
        min_size = data[pos]
        body, pos = _blocks(data, pos + 1)
        frame = {"delay": delay, "rect": (left, top, w, h), "transparent": transparent}
        if pixels:
            indices = _lzw(body, min_size, w * h)
            for y in range(h):
                row = canvas[top + y]
                for x in range(w):
                    i = indices[y * w + x]
                    if i != transparent:
                        row[left + x] = colours[i]
            frame["pixels"] = [list(r) for r in canvas]
        result["frames"].append(frame)
