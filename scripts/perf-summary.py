#!/usr/bin/env python3
"""Summarises a `perf record -g` profile of `equiscan bench models`: the share of samples per
leaf function, leaving out the benchmark's own sgemm calibration runs, so what remains is the
model's inference.

OpenBLAS is built without frame pointers, so a sample inside sgemm does not show who called it.
The calibration runs are found by time instead: the profile is cut into 100 ms slices, and a
slice in which no sample lies in EquiScan's own code, oneDNN or its JIT kernels is calibration
(the model's slices always hold some: convolution transforms, pooling, upsampling).

    perf record -F 499 -e cpu-clock -g -o unet.data -- \\
        .build/release/equiscan bench models --model unet-c4-8-16-32 --json
    perf script -i unet.data | python3 scripts/perf-summary.py [--top 20]

oneDNN's JIT kernels have no symbol and count together as "oneDNN JIT kernels";
names are demangled by `swift demangle --simplified` when it is on PATH.
"""
import argparse, collections, shutil, subprocess, sys


def samples(lines):
    """Yields (time in seconds, frames leaf first) of each sample of `perf script` output."""
    time, frames = None, []
    for line in lines:
        if line.startswith((" ", "\t")) and line.strip():
            frames.append(line.strip())
            continue
        if frames:
            yield time, frames
        frames = []
        fields = line.split()
        stamps = [f for f in fields if f.endswith(":") and f[:-1].replace(".", "", 1).isdigit()]
        if stamps:
            time = float(stamps[0][:-1])
    if frames:
        yield time, frames


def is_model_code(frame):
    return any(k in frame for k in ("equiscan", "libdnnl", "perf-", "[unknown] ([unknown])"))


def leaf_name(frame):
    # "addr symbol+0xoff (dso)"
    parts = frame.split(" ", 1)
    rest = parts[1] if len(parts) > 1 else ""
    symbol, _, dso = rest.rpartition(" (")
    symbol = symbol.rsplit("+0x", 1)[0]
    dso = dso.rstrip(")").rsplit("/", 1)[-1]
    if dso.startswith("perf-") or (symbol in ("[unknown]", "") and dso in ("[unknown]", "")):
        return "oneDNN JIT kernels"
    return f"{symbol} [{dso}]"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--top", type=int, default=20)
    a = ap.parse_args()
    recorded = list(samples(sys.stdin))
    model_slices = {int(t * 10) for t, frames in recorded if is_model_code(frames[0])}
    counts = collections.Counter()
    skipped = total = 0
    for t, frames in recorded:
        if int(t * 10) not in model_slices:
            skipped += 1
            continue
        total += 1
        counts[leaf_name(frames[0])] += 1
    names = [n for n, _ in counts.most_common(a.top)]
    if shutil.which("swift"):
        out = subprocess.run(["swift", "demangle", "--simplified"], input="\n".join(names),
                             capture_output=True, text=True).stdout.splitlines()
        if len(out) == len(names):
            names = out
    print(f"{total} samples of the model ({skipped} of the sgemm calibration left out)")
    for name, (_, n) in zip(names, counts.most_common(a.top)):
        print(f"{100.0 * n / total:6.2f}%  {name[:110]}")


if __name__ == "__main__":
    main()
