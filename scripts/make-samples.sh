#!/usr/bin/env bash
# Regenerates samples/scans from the shared medical data set (see samples/README.md).
# Four scans are copied byte for byte; ct_small_128.tif is written by EquiScan's own TIFF
# encoder from ct_small_128.png, with the pixel size of the original DICOM (PixelSpacing
# 0.661468 mm, tag (0028,0030) of pydicom's CT_small.dcm), Deflate-compressed.
#
# Usage: scripts/make-samples.sh [DATA_DIR]   (default ../shared/data; EQUISCAN=path/to/binary)
set -euo pipefail
cd "$(dirname "$0")/.."

DATA="${1:-${DATA:-../shared/data}}"
MEDICAL="$DATA/medical"
OUT=samples/scans
EQUISCAN="${EQUISCAN:-.build/release/equiscan}"

if [ ! -x "$EQUISCAN" ]; then
    swift build -c release --product equiscan
fi

mkdir -p "$OUT" samples/LICENSES
for f in skimage_microaneurysms.png ct_small_128.png mr_small_64.png stardist_he_histo.jpg; do
    cp "$MEDICAL/$f" "$OUT/$f"
    chmod 644 "$OUT/$f"
done
"$EQUISCAN" convert "$OUT/ct_small_128.png" "$OUT/ct_small_128.tif" \
    --format tiff --compression deflate --pixel-size 0.661468
cp "$DATA/LICENSES/stardist.LICENSE.txt" samples/LICENSES/stardist.LICENSE.txt
chmod 644 samples/LICENSES/stardist.LICENSE.txt

# samples/cells: four validation crops per class of the BCCD blood-cell set (every 20th file
# in name order), for the classifier demo.
for class in RBC WBC Platelets; do
    rm -rf "samples/cells/$class"
    mkdir -p "samples/cells/$class"
    ls "$DATA/classification/bccd-cells/val/$class" | LC_ALL=C sort | awk 'NR % 20 == 1' \
        | head -4 | while read -r f; do
            cp "$DATA/classification/bccd-cells/val/$class/$f" "samples/cells/$class/$f"
            chmod 644 "samples/cells/$class/$f"
        done
done
cp "$DATA/LICENSES/BCCD_Dataset.LICENSE" samples/LICENSES/BCCD_Dataset.LICENSE
chmod 644 samples/LICENSES/BCCD_Dataset.LICENSE

"$EQUISCAN" inspect "$OUT"/* || true
du -ch "$OUT"/* | tail -1

# samples/em and samples/brain: validation slices of the segmentation sample models (cases the
# models never trained on; see samples/models/*/validation-cases.txt), for the segmentation
# pipelines.
mkdir -p samples/em samples/brain
for f in 00 04; do
    cp "$DATA/segmentation/em-membranes/images/$f.png" "samples/em/$f.png"
done
for f in z039 z063 z071; do
    cp "$DATA/segmentation/mni152-tissue/images/$f.png" "samples/brain/$f.png"
done
chmod 644 samples/em/*.png samples/brain/*.png
cp "$DATA/LICENSES/zhixuhao-unet.LICENSE" "$DATA/LICENSES/nilearn.LICENSE" samples/LICENSES/
chmod 644 samples/LICENSES/*
