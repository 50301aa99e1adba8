#!/usr/bin/env python3
"""Reference statistics of the PNG scans in Tests/Fixtures/medical, decoded independently of
libpng (zlib + the PNG filter definitions, numpy for the arithmetic).

Writes Tests/Fixtures/medical/reference.json: per file width, height, channels, bit depth,
min, max, sum of the samples, the samples at a few fixed coordinates, and the SHA-256 of the
samples in the conformance layout (row-major, interleaved, little-endian).
Supports what the fixtures use: non-interlaced gray/RGB 8/16-bit PNG.

Run from the repository root: python3 scripts/medical_fixture_reference.py
"""
import hashlib
import json
import struct
import zlib
from pathlib import Path

import numpy as np

FOLDER = Path("Tests/Fixtures/medical")
FILES = ["ct_small_128.png", "mr_small_64.png", "skimage_microaneurysms.png"]
CHANNELS = {0: 1, 2: 3, 4: 2, 6: 4}


def paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def decode(path):
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", path
    pos, idat, header = 8, b"", None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        elif kind == b"IEND":
            break
        pos += 12 + length
    width, height, depth, color, _, _, interlace = header
    assert interlace == 0 and depth in (8, 16) and color in CHANNELS, (path, header)
    channels = CHANNELS[color]
    bpp = channels * depth // 8
    stride = width * bpp
    raw = zlib.decompress(idat)
    out = bytearray(height * stride)
    prev = bytearray(stride)
    for y in range(height):
        ftype = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if ftype == 1:
                line[i] = (line[i] + a) & 255
            elif ftype == 2:
                line[i] = (line[i] + b) & 255
            elif ftype == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif ftype == 4:
                line[i] = (line[i] + paeth(a, b, c)) & 255
        out[y * stride:(y + 1) * stride] = line
        prev = line
    dtype = ">u2" if depth == 16 else "u1"
    samples = np.frombuffer(bytes(out), dtype=dtype).reshape(height, width, channels)
    return samples, depth


def main():
    result = {}
    for name in FILES:
        samples, depth = decode(FOLDER / name)
        h, w, c = samples.shape
        little = samples.astype("<u2" if depth == 16 else "u1")
        points = [(0, 0), (w // 2, h // 2), (w - 1, h - 1), (w // 3, 2 * h // 3)]
        result[name] = {
            "width": w, "height": h, "channels": c, "bitDepth": depth,
            "min": int(samples.min()), "max": int(samples.max()),
            "sum": int(samples.astype(np.int64).sum()),
            "points": [{"x": x, "y": y, "value": int(samples[y, x, 0])} for x, y in points],
            "samplesSHA256": hashlib.sha256(little.tobytes()).hexdigest(),
        }
    (FOLDER / "reference.json").write_text(json.dumps(result, indent=1) + "\n")


if __name__ == "__main__":
    main()
