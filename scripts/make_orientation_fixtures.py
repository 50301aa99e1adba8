#!/usr/bin/env python3
"""Builds Tests/Fixtures/orientation/: small upright copies of real scans for the
orientation-correction training test of the Canonicalization module.

Each source PNG is decoded (gray, palette, RGB; 8 or 16 bit), turned to gray (Rec. 601 luma),
windowed to its 1st..99.5th percentile, area-downsized so that its longer side is at most
MAX_SIDE pixels (aspect kept), and written as an 8-bit gray PNG. MONOCHROME1 scans (the chest
radiograph) are inverted so that bone is bright, as on screen.

Usage: python3 scripts/make_orientation_fixtures.py ../shared/data Tests/Fixtures/orientation
"""
import struct
import sys
import zlib
from pathlib import Path

import numpy as np

MAX_SIDE = 64

MEDICAL = [
    # (file, invert): every one has a natural upright pose (anatomical display convention).
    ("ct_small_128.png", False),
    ("ct_enhanced_512_frame0.png", False),
    ("mr_small_64.png", False),
    ("mr_head_64_frame0.png", False),
    ("mr_head_64_frame5.png", False),
    ("mr_head_64_frame9.png", False),
    ("mr_shoulder_1024.png", False),
    ("cr_chest_1841x1955.png", True),
    ("dipy_t1_coronal_256.png", False),
    ("itk_BrainProtonDensitySlice.png", False),
    ("itk_BrainT1Slice.png", False),
    ("itk_BrainMidSagittalSlice.png", False),
    ("itk_FatMRISlice.png", False),
    ("itk_VisibleWomanHeadSlice.png", False),
    ("nm_wholebody_256x1024.png", False),
]


def read_png(path):
    """Decodes a non-interlaced PNG into a float array (H, W) or (H, W, C)."""
    data = Path(path).read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", path
    pos, idat, palette = 8, b"", None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", body)
        elif kind == b"PLTE":
            palette = np.frombuffer(body, np.uint8).reshape(-1, 3)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    assert interlace == 0, "interlaced PNG not supported"
    channels = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}[colour]
    bits_per_pixel = channels * depth
    stride = (width * bits_per_pixel + 7) // 8
    bpp = max(1, bits_per_pixel // 8)
    raw = zlib.decompress(idat)
    rows = np.zeros((height, stride), np.uint8)
    previous = np.zeros(stride, np.int32)
    for y in range(height):
        start = y * (stride + 1)
        kind = raw[start]
        line = np.frombuffer(raw[start + 1:start + 1 + stride], np.uint8).astype(np.int32)
        out = np.zeros(stride, np.int32)
        for i in range(stride):
            a = out[i - bpp] if i >= bpp else 0
            b = previous[i]
            c = previous[i - bpp] if i >= bpp else 0
            if kind == 0:
                p = 0
            elif kind == 1:
                p = a
            elif kind == 2:
                p = b
            elif kind == 3:
                p = (a + b) // 2
            else:
                pa, pb, pc = abs(b - c), abs(a - c), abs(a + b - 2 * c)
                p = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
            out[i] = (line[i] + p) & 0xFF
        rows[y] = out
        previous = out
    if depth == 16:
        samples = rows.view(">u2").reshape(height, width, channels).astype(np.float64)
    elif depth == 8:
        samples = rows[:, :width * channels].reshape(height, width, channels).astype(np.float64)
    else:
        bits = np.unpackbits(rows, axis=1)[:, :width * depth]
        samples = bits.reshape(height, width, depth)
        samples = (samples * (1 << np.arange(depth - 1, -1, -1))).sum(-1)[..., None]
    if colour == 3:
        samples = palette[samples[..., 0].astype(int)].astype(np.float64)
    return samples


def to_gray(samples):
    if samples.shape[2] >= 3:
        return samples[..., 0] * 0.299 + samples[..., 1] * 0.587 + samples[..., 2] * 0.114
    return samples[..., 0]


def area_resize(image, height, width):
    """Box-filter resize (each output pixel averages the source area it covers)."""
    def weights(n_in, n_out):
        w = np.zeros((n_out, n_in))
        scale = n_in / n_out
        for o in range(n_out):
            lo, hi = o * scale, (o + 1) * scale
            for i in range(int(np.floor(lo)), min(n_in, int(np.ceil(hi)))):
                w[o, i] = max(0.0, min(hi, i + 1) - max(lo, i))
            w[o] /= w[o].sum()
        return w
    return weights(image.shape[0], height) @ image @ weights(image.shape[1], width).T


def write_png(path, image):
    """Writes an 8-bit gray PNG (filter 0 on every row)."""
    height, width = image.shape
    raw = b"".join(b"\x00" + image[y].astype(np.uint8).tobytes() for y in range(height))
    def chunk(kind, body):
        return (struct.pack(">I", len(body)) + kind + body
                + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    Path(path).write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
                           + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


def convert(source, target, invert):
    gray = to_gray(read_png(source))
    low, high = np.percentile(gray, [1, 99.5])
    gray = np.clip((gray - low) / max(high - low, 1e-9), 0, 1)
    if invert:
        gray = 1 - gray
    height, width = gray.shape
    scale = min(1.0, MAX_SIDE / max(height, width))
    size = (max(1, round(height * scale)), max(1, round(width * scale)))
    small = area_resize(gray, *size)
    write_png(target, np.round(small * 255))
    return gray.shape, size


def main():
    data, out = Path(sys.argv[1]), Path(sys.argv[2])
    out.mkdir(parents=True, exist_ok=True)
    for source in sorted((data / "segmentation/mni152-tissue/images").glob("*.png")):
        shape, size = convert(source, out / f"mni152_{source.name}", False)
        print(f"mni152_{source.name}: {shape} -> {size}")
    for name, invert in MEDICAL:
        shape, size = convert(data / "medical" / name, out / name, invert)
        print(f"{name}: {shape} -> {size}")


if __name__ == "__main__":
    main()
