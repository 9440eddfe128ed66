""".npy files for the Python tests, written and read by hand: standard library only.

Writers: npy_f32() for float32 values, npy_values() for another dtype, npy_bytes() for a payload
given as bytes (any descr, a shape given as text to write malformed ones, a comment after the
dict), npy_dict_file() for a header dict written out whole. Readers: read_npy() (shape and
values), npy_header_text() (the header as written, with its comment).
"""
import ast
import struct

MAGIC = b"\x93NUMPY"
# struct codes of the little-endian dtypes the tests write and read.
_CODES = {"<f4": "f", "<f8": "d", "<f2": "e", "<i4": "i"}


def shape_text(shape):
    """`shape` as numpy writes it: (2, 3), (4,), (); text is taken as it is (malformed shapes)."""
    if isinstance(shape, str):
        return shape
    return repr(tuple(int(d) for d in shape))


def npy_dict_file(dict_text, payload=b""):
    """A version 1.0 .npy file: the header `dict_text` (whatever it says), padded as numpy pads
    it, then `payload`."""
    header = dict_text + " " * ((64 - (len(MAGIC) + 4 + len(dict_text) + 1) % 64) % 64) + "\n"
    return MAGIC + b"\x01\x00" + struct.pack("<H", len(header)) + header.encode() + payload


def npy_bytes(descr, shape, payload, comment=""):
    """A version 1.0 C-order .npy file of dtype `descr` and `shape` holding `payload` (bytes, as
    they are: a payload that does not fit the shape makes a truncated or long file); `comment`
    is written after the dict."""
    return npy_dict_file("{'descr': '%s', 'fortran_order': False, 'shape': %s, }%s" % (
        descr, shape_text(shape), comment), payload)


def npy_values(descr, shape, values):
    """A version 1.0 C-order .npy file of `values` (flat) as little-endian `descr` (<f4, <f8,
    <f2 or <i4)."""
    return npy_bytes(descr, shape, struct.pack("<%d%s" % (len(values), _CODES[descr]), *values))


def npy_f32(shape, values):
    """A version 1.0 .npy file of little-endian float32 `values` (flat, C order) of `shape`."""
    return npy_values("<f4", shape, values)


def _header(data):
    """(header text, offset of the data) of .npy bytes `data`, version 1.0 or 2.0."""
    assert data[:6] == MAGIC, "not a .npy file"
    if data[6] == 1:
        (length,), start = struct.unpack("<H", data[8:10]), 10
    else:
        (length,), start = struct.unpack("<I", data[8:12]), 12
    return data[start:start + length].decode("latin1"), start + length


def npy_header_text(path):
    """The header of the .npy file at `path` as written: the dict and any comment after it."""
    with open(path, "rb") as f:
        return _header(f.read())[0]


def read_npy(path, descr=None):
    """(shape tuple, flat list of values) of the C-order little-endian float32 or float64 .npy
    file at `path`; `descr` ("<f4"): the dtype it must have."""
    with open(path, "rb") as f:
        data = f.read()
    text, start = _header(data)
    header = ast.literal_eval(text.split("#")[0].strip())
    assert not header["fortran_order"], path
    assert descr is None or header["descr"] == descr, (path, header)
    shape = tuple(header["shape"])
    count = 1
    for d in shape:
        count *= d
    code = {"<f4": "f", "<f8": "d"}[header["descr"]]
    size = struct.calcsize(code) * count
    assert len(data) - start >= size, "truncated .npy: " + path
    return shape, list(struct.unpack("<%d%s" % (count, code), data[start:start + size]))
