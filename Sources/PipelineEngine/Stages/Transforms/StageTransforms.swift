/// The numerical kernels behind the pipeline's stage ops: pure functions from `ImagePlanes`
/// and `LabelMap` values to new ones, with no I/O, no state and no knowledge of pipeline files.
///
/// Layout: images and probabilities are `ImagePlanes`, channel-first `(C, H, W)` Float planes;
/// masks are `LabelMap`s, one Int32 label per pixel, 0 = background. An op named after a MONAI
/// transform follows that transform's semantics in 2-D with MONAI's defaults, stated exactly on
/// each function, so that a model trained behind a MONAI pipeline sees the same numbers here.
/// Parameter values were checked by pipeline validation before any of these run; what remains
/// (a non-positive size, a label outside the model's range) is programmer misuse and stops on a
/// precondition that names the broken rule.
///
/// Neither `ImagePlanes` nor `LabelMap` carries a pixel size: the caller keeps it beside the
/// value. Crops, pads and flips keep it; `pixelSize(_:rotatedBy:)` and
/// `pixelSize(_:resizedFrom:to:)` say what turns and resizes make of it.
///
/// Families, one file each: intensity (`scaleIntensityRange`, `normalizeIntensity`), spatial
/// (`centerSpatialCrop`, `spatialPad`), orientation (`rotate90`, `flip`), discrete
/// (`softmax`, `argmax`, `threshold`), components (`keepLargestConnectedComponent`), areas
/// (`labelCounts`, `areasMM2`), overlay (`overlay`) and output scans (`maskScan`,
/// `floatPlanesScan`); sliding-window inference is `SlidingWindow`.
public enum StageTransforms {}
