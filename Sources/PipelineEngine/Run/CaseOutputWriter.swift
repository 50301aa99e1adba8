import Foundation
import ImageCodecs
import ModelRuntime
import SafeFiles

/// Writes a case's files: `SaveImage` and `SaveOverlay` outputs, named after the case so that
/// they mirror the input tree, each written atomically (temporary name, then rename) and never
/// over an input.
struct CaseOutputWriter {
    let outputFolder: String
    let layout: OutputSpec.Layout

    /// The file a saving stage writes for `caseID`, relative to the output folder:
    /// `CASE_SUFFIX.EXT`, with the stage's id as SUFFIX when it has one, else what it saves.
    static func relativePath(caseID: String, stage: StageSpec,
                             layout: OutputSpec.Layout) -> String {
        let suffix: String
        let ext: String
        if stage.op == .saveOverlay {
            suffix = stage.id ?? "overlay"
            ext = "png"
        } else {
            suffix = stage.id ?? stage.string("what") ?? "image"
            ext = stage.string("format") == "tiff" ? "tif" : "png"
        }
        let base = layout == .flat ? caseID.replacingOccurrences(of: "/", with: "__") : caseID
        return "\(base)_\(suffix).\(ext)"
    }

    func saveImage(_ input: CaseValue?, _ stage: PlannedStage,
                   _ context: inout CaseContext) throws -> CaseValue {
        let spec = stage.spec
        let format: ImageFormat = spec.string("format") == "tiff" ? .tiff : .png
        let file = context.source.path
        let scan: Scan
        switch (spec.string("what"), input) {
        case ("mask"?, .mask(let map, let labels, let geometry)?):
            guard labels.count <= 65536 else {
                throw StageFailure("\(file): \(labels.count) labels do not fit a 16-bit mask")
            }
            scan = StageTransforms.maskScan(map, pixelSize: geometry.pixelSize, format: format)
        case ("probabilities"?, .probabilities(let planes, _, let geometry)?):
            scan = OutputImages.probabilities(planes, format: format,
                                              pixelSize: geometry.pixelSize)
        case ("scan"?, .image(let planes, let intensity, let geometry)?):
            scan = try OutputImages.image(planes, intensity: intensity, like: context.scan,
                                          format: format, pixelSize: geometry.pixelSize,
                                          file: file)
        default:
            throw StageFailure("SaveImage of \(spec.string("what") ?? "?") cannot save "
                               + (input?.kindDescription ?? "nothing"))
        }
        let relative = try write(scan, format: format, stage: spec, &context)
        if spec.string("what") == "mask" { context.maskFile = relative }
        guard let input else { preconditionFailure("matched above") }
        return input
    }

    func saveOverlay(_ input: CaseValue?, _ stage: PlannedStage,
                     _ context: inout CaseContext) throws -> CaseValue {
        guard let input, case .mask(let map, _, let geometry) = input else {
            throw StageFailure("SaveOverlay needs a mask, but its input is "
                               + (input?.kindDescription ?? "missing"))
        }
        guard geometry.frame == .scan else {
            throw StageFailure("\(context.source.path): the mask is in the canonical frame; "
                               + "InvertCanonicalization must come first")
        }
        guard case .image(let background, _, let scanGeometry)? = context.values[0] else {
            preconditionFailure("stage 0 is LoadImage")
        }
        let overlay = StageTransforms.overlay(scan: background, mask: map,
                                              opacity: stage.spec.numberValue("opacity"),
                                              pixelSize: scanGeometry.pixelSize)
        _ = try write(overlay, format: .png, stage: stage.spec, &context)
        return input
    }

    /// Writes `scan` to the stage's file and records it; the path relative to the folder.
    private func write(_ scan: Scan, format: ImageFormat, stage: StageSpec,
                       _ context: inout CaseContext) throws -> String {
        let relative = Self.relativePath(caseID: context.source.id, stage: stage, layout: layout)
        let path = (outputFolder as NSString).appendingPathComponent(relative)
        let bytes = format == .tiff ? try ImageEncoder.encodeTIFF(scan)
                                    : try ImageEncoder.encodePNG(scan)
        try Self.createFolder(of: path)
        try AtomicFile.write(bytes, to: path)
        context.outputs.append((relative, ContentHash.hex(bytes)))
        return relative
    }

    /// Creates the folder `path` goes into, with its parents.
    static func createFolder(of path: String) throws {
        let folder = (path as NSString).deletingLastPathComponent
        do {
            try OutputModes.createFolder(folder.isEmpty ? "." : folder)
        } catch {
            throw SafeFileError(.io, path: folder, "cannot create the output folder")
        }
    }
}
