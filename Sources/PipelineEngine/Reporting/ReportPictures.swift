import Foundation
import ImageCodecs
import ModelRuntime
import Reports

/// The pictures `report.html` shows for a case, made from files, never by running a model:
/// the scan (decoded from the input as the pipeline's `LoadImage` read it, shrunk by averaging
/// to the report's thumbnail size, 8-bit through the overlay's display window) and, when a
/// stage saved the case's mask, the mask as a coloured layer of the same size that the page
/// lays over the scan (`StageTransforms.maskLayer`).
///
/// A scan is shown only when the file still has the SHA-256 its record names: a picture of
/// another image would mislead. Each missing picture gets a note saying why.
struct ReportPictures {
    let outputFolder: String
    let settings: ReportSettings
    /// How `LoadImage` decoded the scans (page, orientation).
    let decodeOptions: DecodeOptions
    /// Labels of the run's last segmenter, in mask-value order.
    let maskLabels: [String]

    /// Opacity of the mask colours over the scan (the default of `SaveOverlay`).
    static let overlayOpacity = 0.5

    func pictures(_ record: CaseRecord) -> CasePictures {
        var notes: [String] = []
        guard let scan = thumbnail(record, notes: &notes) else {
            return CasePictures(notes: notes)
        }
        var pictures = CasePictures(notes: notes)
        pictures.scan = try? ImageEncoder.encodePNG(StageTransforms.displayScan(scan))
        if let segmentation = record.segmentation {
            if let mask = segmentation.mask {
                if let map = self.mask(mask, notes: &pictures.notes) {
                    let layer = StageTransforms.maskLayer(map, width: scan.width,
                                                          height: scan.height,
                                                          opacity: Self.overlayOpacity)
                    pictures.overlay = try? ImageEncoder.encodePNG(layer)
                }
            } else {
                pictures.notes.append("no overlay: the pipeline does not save the mask (add "
                                      + "SaveImage with \"what\": \"mask\")")
            }
        }
        return pictures
    }

    /// The case's scan, shrunk to the thumbnail size; nil with a note when it cannot be shown.
    private func thumbnail(_ record: CaseRecord, notes: inout [String]) -> ImagePlanes? {
        guard let data = FileManager.default.contents(atPath: record.input) else {
            notes.append("no picture: \(record.input) cannot be read here (moved, or the "
                         + "report was made from another folder than the run)")
            return nil
        }
        let bytes = [UInt8](data)
        guard ContentHash.hex(bytes) == record.inputSHA256 else {
            notes.append("no picture: \(record.input) has changed since the run")
            return nil
        }
        guard let scan = try? ImageDecoder.decode(bytes: bytes, name: record.input,
                                                  options: decodeOptions),
              scan.width > 0, scan.height > 0,
              let planes = try? ImagePlanes(scan: scan,
                                            channels: StageRuntime.colourChannels(of: scan),
                                            file: record.input) else {
            notes.append("no picture: \(record.input) cannot be decoded")
            return nil
        }
        let longest = max(planes.width, planes.height)
        guard longest > settings.thumbnailSize else { return planes }
        let scale = Double(settings.thumbnailSize) / Double(longest)
        return planes.resizedByAveraging(
            width: max(1, min(planes.width, Int((Double(planes.width) * scale).rounded()))),
            height: max(1, min(planes.height, Int((Double(planes.height) * scale).rounded()))))
    }

    /// The saved mask at `relative` (under the output folder) as a label map; nil with a note
    /// when it cannot be read.
    private func mask(_ relative: String, notes: inout [String]) -> LabelMap? {
        let path = (outputFolder as NSString).appendingPathComponent(relative)
        let labels = maskLabels.enumerated().map { LabelClass(name: $0.element,
                                                              values: [$0.offset]) }
        guard let scan = try? ImageDecoder.decode(path: path),
              let map = try? LabelMap(scan: scan, labels: labels, file: path) else {
            notes.append("no overlay: the mask \(relative) cannot be read")
            return nil
        }
        return map
    }
}
