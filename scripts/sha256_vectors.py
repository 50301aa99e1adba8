#!/usr/bin/env python3
"""Reference SHA-256 digests for Tests/ImageCodecsTests/SHA256Tests.swift.

Message n is the n bytes ((i * 7 + 3) & 0xff for i in 0..<n); lengths straddle the padding
boundaries (55/56, 63/64/65, 119/120) and one longer message spans many blocks. Also the
little-endian sample layouts checked by the Samples hashing test.
"""
import hashlib
import struct


def pattern(n):
    return bytes(((i * 7 + 3) & 0xFF) for i in range(n))


for n in [55, 56, 63, 64, 65, 119, 120, 1000]:
    print(n, hashlib.sha256(pattern(n)).hexdigest())
print("uint16 [0x6261]", hashlib.sha256(struct.pack("<H", 0x6261)).hexdigest())
print("int16 [-2, 300]", hashlib.sha256(struct.pack("<2h", -2, 300)).hexdigest())
print("float32 [1, -2.5]", hashlib.sha256(struct.pack("<2f", 1.0, -2.5)).hexdigest())
