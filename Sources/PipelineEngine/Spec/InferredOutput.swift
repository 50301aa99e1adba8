import Equivariance
import ModelRuntime

/// What a stage gives, as far as the pipeline file and its model packages fix it before any
/// scan is read: the static side of the values that flow between stages (pipelines/README.md,
/// "Data flow").
///
/// Facts the file leaves open are nil: LoadImage's size (each scan has its own), its channels
/// with `"colour": "keep"`, the labels of a model package that could not be read.
public struct InferredOutput: Sendable, Equatable {
    /// The four kinds of value that flow between stages.
    public enum Kind: String, Sendable {
        /// Channel-first planes of intensities.
        case image
        /// One plane per model label (Segment's softmax).
        case probabilities
        /// One label per pixel (AsDiscrete).
        case mask
        /// Class probabilities (Classify); they go to the results record and no stage takes
        /// them.
        case classification
    }

    /// Whether an image's intensities are as decoded or were rescaled by a stage.
    public enum Intensity: Sendable, Equatable {
        /// Sample units as decoded: what model stages take, as each model normalises its
        /// input itself (its metadata's `input.normalization`).
        case raw
        /// Rescaled by the ScaleIntensityRange or NormalizeIntensity at this stage index.
        case scaled(byStage: Int)
    }

    /// The pixel grid a value lies on.
    public enum Frame: Sendable, Equatable {
        /// The scan's own orientation.
        case scan
        /// Turned into the pose found by the CanonicalizeOrientation at this stage index.
        case canonical(byStage: Int)
    }

    /// Width and height in pixels.
    public struct Size: Sendable, Equatable, CustomStringConvertible {
        public var width: Int
        public var height: Int

        public init(width: Int, height: Int) {
            self.width = width
            self.height = height
        }

        /// "64×32": width × height.
        public var description: String { "\(width)×\(height)" }
    }

    public var kind: Kind
    /// An image's channel count when the file fixes it (LoadImage `"colour"` gray or rgb, or
    /// a canonicalizer's input); nil otherwise and for other kinds.
    public var channels: Int?
    /// An image's intensities; `.raw` for other kinds.
    public var intensity: Intensity = .raw
    public var frame: Frame
    /// Width and height when fixed: by Resize, or by CenterSpatialCrop or SpatialPad of a
    /// value whose size is fixed.
    public var size: Size?
    /// Label names of probabilities and masks, class names of a classification, in the
    /// model's output order; nil for images and when the package could not be read.
    public var labels: [String]?

    /// The stages that fixed `channels` and `size`, for messages.
    var channelsSetBy: Int?
    var sizeSetBy: Int?
    /// In the canonical frame: the canonicalizer's pose group (nil when its package could not
    /// be read), the turns and mirrors applied since, composed into one element of D4, and the
    /// stages that applied them.
    var poses: GroupName?
    var moved = Group.d4.identity
    var movedBy: [Int] = []

    /// What LoadImage gives: raw intensities in the scan frame, of unknown size.
    static func scan(channels: Int?, setBy stage: Int) -> InferredOutput {
        InferredOutput(kind: .image, channels: channels, frame: .scan,
                       channelsSetBy: channels == nil ? nil : stage)
    }
}

extension InferredOutput.Kind {
    /// "an image", "probabilities", "a mask", "a classification".
    var words: String {
        switch self {
        case .image: return "an image"
        case .probabilities: return "probabilities"
        case .mask: return "a mask"
        case .classification: return "a classification"
        }
    }

    /// SaveImage's `what` for this kind; nil for a classification.
    var savedAs: String? {
        switch self {
        case .image: return "scan"
        case .probabilities: return "probabilities"
        case .mask: return "mask"
        case .classification: return nil
        }
    }
}

extension InferredOutput {
    /// Sets the size and the stage that fixed it (nil: unknown).
    mutating func setSize(_ newSize: Size?, by stage: Int) {
        size = newSize
        sizeSetBy = newSize == nil ? nil : stage
    }

    /// After a change of pose: a square keeps its size, any other may turn.
    mutating func keepSizeIfSquare() {
        if let size, size.width != size.height {
            self.size = nil
            sizeSetBy = nil
        }
    }

    /// Turns into a value of another kind on the same grid: image facts are dropped.
    mutating func becomes(_ newKind: Kind, labels newLabels: [String]?) {
        kind = newKind
        labels = newLabels
        channels = nil
        channelsSetBy = nil
        intensity = .raw
    }

    /// Records a turn or mirror applied in the canonical frame (none is tracked in the scan
    /// frame: nothing undoes a pose there).
    mutating func move(_ element: GroupElement, by stage: Int) {
        guard case .canonical = frame else { return }
        moved = Group.d4.compose(element, moved)
        movedBy.append(stage)
    }
}
