"""Arrays for the Python tests, standard library only."""
import struct


def npy_f32(shape, values):
    """A version 1.0 .npy file of little-endian float32 `values` (flat, C order) of `shape`."""
    header = "{'descr': '<f4', 'fortran_order': False, 'shape': (%s), }" % (
        "".join(f"{d}, " for d in shape))
    header += " " * ((64 - (10 + len(header) + 1) % 64) % 64) + "\n"
    return (b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode() +
            struct.pack(f"<{len(values)}f", *values))
