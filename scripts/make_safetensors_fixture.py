#!/usr/bin/env python3
"""Writes Tests/Fixtures/safetensors/python_written.safetensors with Python's `safetensors`.

The NeuralNet tests load the file and recompute every expected value in Swift from the
formulas below, so the file checks that the Swift reader agrees with the reference writer
(header layout, padding, dtype conversion, metadata). The contents are deterministic:
every tensor is an arange-based formula with values exactly representable in its dtype.

Usage: pip install safetensors numpy && python3 scripts/make_safetensors_fixture.py
"""
import pathlib

import numpy as np
from safetensors.numpy import save_file

OUT = (pathlib.Path(__file__).resolve().parent.parent
       / "Tests" / "Fixtures" / "safetensors" / "python_written.safetensors")


def main() -> None:
    tensors = {
        # F32 [2, 3, 4]: (i - 10) * 0.25 for flat index i.
        "encoder.0.conv.weight":
            ((np.arange(24, dtype=np.float32) - 10) * 0.25).reshape(2, 3, 4),
        # F32 [3]: i / 8.
        "encoder.0.conv.bias": np.arange(3, dtype=np.float32) / 8,
        # F16 [4]: i * 0.5 - 1.
        "half": (np.arange(4, dtype=np.float16) * np.float16(0.5) - np.float16(1)),
        # F64 [2, 2]: i / 3 (converted to the nearest Float32 by the reader).
        "double": (np.arange(4, dtype=np.float64) / 3).reshape(2, 2),
        # I32 [5]: 7 * i - 3.
        "int32": np.arange(5, dtype=np.int32) * 7 - 3,
        # I64 [3]: (i - 1) * 2^40.
        "int64": (np.arange(3, dtype=np.int64) - 1) * (2 ** 40),
        # F32 rank 0: 3.5.
        "scalar": np.array(3.5, dtype=np.float32),
        # F32 [0, 3]: empty.
        "empty": np.zeros((0, 3), dtype=np.float32),
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    save_file(tensors, str(OUT), metadata={"format": "np", "writer": "make_safetensors_fixture"})
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
